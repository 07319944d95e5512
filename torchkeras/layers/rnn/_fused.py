"""torch's fused LSTM/GRU kernels (`torch.lstm` / `torch.gru`, what `torch.nn.LSTM/GRU` call; cuDNN on
CUDA) fed with Keras-layout weights, and the weight mapping between the two layouts.

Keras -> torch weight mapping (one layer, one direction), also what `to_torch_lstm` / `to_torch_gru`
copy into a `torch.nn.LSTM` / `torch.nn.GRU`:

- LSTM (gate order i, f, c, o in both): `weight_ih_l0 = kernel.T` `(4u, in)`,
  `weight_hh_l0 = recurrent_kernel.T` `(4u, u)`, `bias_ih_l0 = bias`, `bias_hh_l0 = 0`.
- GRU, `reset_after=True` only (torch's GRU applies the reset gate after the recurrent matmul; Keras's
  gate order z, r, h becomes torch's r, z, n): `weight_ih_l0 = kernel.T` with its row blocks reordered
  `[r, z, h]`, same for `weight_hh_l0` from `recurrent_kernel`; `bias_ih_l0 = bias[0]` and
  `bias_hh_l0 = bias[1]`, reordered the same way.

The cells store `kernel` and `recurrent_kernel` with Keras's shapes but the memory of their transposes
(`relayout_weight`), so `kernel.T` is contiguous without a copy; the GRU's reorder is one
concatenation of contiguous row blocks per call. Nothing derived is cached, so `set_weights`,
`load_state_dict` and optimizer steps are always seen.
"""

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from torchkeras import activations

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)


def activations_supported(cell):
    """Whether the cell's activations are the ones torch's kernels compute (tanh and sigmoid)."""
    return cell.activation in _TANH and cell.recurrent_activation in _SIGMOID


def dtype_supported(x):
    return x.is_cuda or x.dtype in (torch.float32, torch.float64)


def lstm_params(kernel, recurrent_kernel, bias):
    """`(params, has_biases)` for `torch.lstm` from Keras LSTM weights."""
    w_ih, w_hh = kernel.t(), recurrent_kernel.t()
    if bias is None:
        return (w_ih, w_hh), False
    return (w_ih, w_hh, bias, torch.zeros_like(bias)), True


def _zrh_to_rzh(weight_t, units):
    """Rows `[z, r, h]` -> `[r, z, h]` (on the torch-layout, i.e. transposed, weight)."""
    return torch.cat((weight_t[units:2 * units], weight_t[:units], weight_t[2 * units:]))


def gru_params(kernel, recurrent_kernel, bias, units):
    """`(params, has_biases)` for `torch.gru` from Keras GRU weights (`reset_after=True`)."""
    w_ih = _zrh_to_rzh(kernel.t(), units)
    w_hh = _zrh_to_rzh(recurrent_kernel.t(), units)
    if bias is None:
        return (w_ih, w_hh), False
    b = bias.view(2, 3, units)
    b = torch.cat((b[:, 1:2], b[:, 0:1], b[:, 2:3]), dim=1).reshape(2, 3 * units)
    return (w_ih, w_hh, b[0], b[1]), True


def right_padded_lengths(mask):
    """The sequence lengths if `mask` (`(batch, timesteps)` bool) is right-padded, else `None`. Reads
    the mask on the host (one sync), so it is only asked outside `torch.compile` and meta runs."""
    lengths = mask.sum(dim=1)
    positions = torch.arange(mask.shape[1], device=mask.device)
    if not torch.equal(mask, positions.unsqueeze(0) < lengths.unsqueeze(1)):
        return None
    return lengths


def run_fused(kind, x, states, params, has_biases, lengths=None):
    """One layer of torch's fused `kind` (`"lstm"` or `"gru"`) over batch-first `x`.

    Args:
        states: `[h0]` (GRU) or `[h0, c0]` (LSTM), each `(batch, units)`.
        lengths: Optional `(batch,)` lengths of right-padded sequences, all >= 1 (packed sequences).

    Returns:
        `(outputs, final_states)`; `outputs` is `(batch, timesteps, units)` (zeros past each length);
        `final_states` are taken at each sequence's last valid step.
    """
    train = torch.is_grad_enabled()
    if lengths is None:
        if kind == "lstm":
            out, h, c = torch.lstm(x, (states[0].unsqueeze(0), states[1].unsqueeze(0)), params, has_biases,
                                   1, 0.0, train, False, True)
            return out, [h[0], c[0]]
        out, h = torch.gru(x, states[0].unsqueeze(0), params, has_biases, 1, 0.0, train, False, True)
        return out, [h[0]]
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    sorted_indices, unsorted_indices = packed.sorted_indices, packed.unsorted_indices
    hx = [s.index_select(0, sorted_indices).unsqueeze(0) for s in states]
    if kind == "lstm":
        data, h, c = torch.lstm(packed.data, packed.batch_sizes, (hx[0], hx[1]), params, has_biases, 1, 0.0,
                                train, False)
        final = [h, c]
    else:
        data, h = torch.gru(packed.data, packed.batch_sizes, hx[0], params, has_biases, 1, 0.0, train, False)
        final = [h]
    out, _ = pad_packed_sequence(PackedSequence(data, packed.batch_sizes, sorted_indices, unsorted_indices),
                                 batch_first=True, total_length=x.shape[1])
    return out, [s[0].index_select(0, unsorted_indices) for s in final]


def fused_sequence(kind, x, states, params, has_biases, mask=None, zero_output_for_mask=False):
    """Keras's recurrence results `(last_output, outputs, states)` from torch's fused kernel, `x` and
    `mask` already in processing order; `mask` (if any) must be right-padded.

    With a mask, Keras's masked-step rules are applied to the kernel's results: past a sequence's end
    the states stay those of its last valid step, and the output repeats the last valid output (or is
    zero with `zero_output_for_mask`); a fully masked sequence keeps its initial states and outputs
    zeros.
    """
    if mask is None:
        out, final = run_fused(kind, x, states, params, has_biases)
        return out[:, -1], out, final
    lengths = mask.sum(dim=1)
    empty = lengths == 0
    out, final = run_fused(kind, x, states, params, has_biases, lengths.clamp(min=1))
    keep = ~empty.unsqueeze(1)
    final = [torch.where(keep, f, s) for f, s in zip(final, states)]
    last_valid = torch.where(keep, final[0], torch.zeros_like(final[0]))  # the output is the state h
    if zero_output_for_mask:
        outputs = torch.where(mask.unsqueeze(-1), out, torch.zeros_like(out))
        last_output = torch.where(mask[:, -1:], last_valid, torch.zeros_like(last_valid))
    else:
        outputs = torch.where(mask.unsqueeze(-1), out, last_valid.unsqueeze(1))
        last_output = last_valid
    return last_output, outputs, final


def to_torch_lstm(layer, module=None):
    """A `torch.nn.LSTM` (batch_first) holding the weights of a built torchkeras `LSTM` layer (copies).

    Args:
        layer: A built `torchkeras.layers.LSTM`.
        module: Optional existing `torch.nn.LSTM(input_size, units, batch_first=True)` to fill.
    """
    cell = layer.cell
    if module is None:
        module = torch.nn.LSTM(cell.kernel.shape[0], cell.units, batch_first=True, bias=cell.use_bias,
                               device=cell.kernel.device, dtype=cell.kernel.dtype)
    params, _ = lstm_params(cell.kernel, cell.recurrent_kernel, cell.bias)
    _copy_params(module, params)
    return module


def to_torch_gru(layer, module=None):
    """A `torch.nn.GRU` (batch_first) holding the weights of a built torchkeras `GRU` layer with
    `reset_after=True` (copies)."""
    cell = layer.cell
    if not cell.reset_after:
        raise ValueError(
            "Only a GRU with `reset_after=True` maps onto torch.nn.GRU (torch applies the reset gate after "
            f"the recurrent matmul). Received: reset_after={cell.reset_after}"
        )
    if module is None:
        module = torch.nn.GRU(cell.kernel.shape[0], cell.units, batch_first=True, bias=cell.use_bias,
                              device=cell.kernel.device, dtype=cell.kernel.dtype)
    params, _ = gru_params(cell.kernel, cell.recurrent_kernel, cell.bias, cell.units)
    _copy_params(module, params)
    return module


def _copy_params(module, params):
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"][:len(params)]
    with torch.no_grad():
        for name, value in zip(names, params):
            getattr(module, name).copy_(value)
