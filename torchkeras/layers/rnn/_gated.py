"""`GatedRNN`: what `LSTM` and `GRU` share on top of `RNN`: the choice between torch's fused kernel and
the step loop, and Keras's input-dropout rules for each.

Keras's torch backend has a fast path for LSTM/GRU (`backend.lstm` / `backend.gru`) that it takes when
there is no mask and no recurrent dropout (and, for GRU, `reset_after=True`); that path multiplies the
whole input sequence by one dropout mask for any `dropout > 0`, so `dropout=1.0` zeroes the inputs in
training. Otherwise Keras's cell applies dropout per step, and only for `0 < dropout < 1`. These rules
are kept whatever path torchkeras runs.

torchkeras runs torch's fused kernel when the math is what it computes (tanh/sigmoid, no recurrent
dropout, not unrolled, `use_cudnn` not False, GRU `reset_after=True`, and no mask or a right-padded
mask); else the step loop, projecting all inputs at once when no per-step dropout applies (as Keras's
torch backend does), or calling the cell step by step for per-gate and recurrent dropout masks.
"""

import torch

from torchkeras.layers.rnn import _fused
from torchkeras.layers.rnn import rnn as rnn_module
from torchkeras.layers.rnn.rnn import RNN


class GatedRNN(RNN):
    """What LSTM and GRU share: choosing between torch's fused kernel and the step loop, and Keras's
    input-dropout rules for each. Subclasses define `_kind`, `_keras_fast_path_config()`,
    `_fused_params()` and `_projected_step(...)`."""

    _kind = None

    def _keras_fast_path(self, mask):
        """Whether Keras itself would take its backend fast path (which decides its dropout rules)."""
        return (self.use_cudnn in ("auto", True) and not self.cell.recurrent_dropout and mask is None
                and self._keras_fast_path_config())

    def _keras_fast_path_config(self):
        return True

    def _fused_config(self):
        """Whether torch's fused kernel computes this layer's math (no per-step dropout)."""
        cell = self.cell
        # (Recurrent dropout in training never gets here: `inner_loop` runs the cell for it.)
        return (self.use_cudnn is not False and not self.unroll and _fused.activations_supported(cell)
                and self._keras_fast_path_config())

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        training = bool(training)
        keras_fast = self._keras_fast_path(mask)
        if self.use_cudnn is True and not keras_fast:
            raise ValueError(
                "use_cudnn=True was specified, but cuDNN is not supported for this layer configuration with "
                "this backend. Pass use_cudnn='auto' to fallback to a non-cuDNN implementation."
            )
        # Keras's input dropout: its fast path multiplies the whole sequence by one mask for any rate > 0;
        # its cell does it per step for 0 < rate < 1, with one mask per gate for `implementation=1`.
        drop_inputs = training and (cell.dropout > 0 if keras_fast else 0.0 < cell.dropout < 1.0)
        per_gate = drop_inputs and not keras_fast and getattr(cell, "dropout_mask_count", None) is not None
        recurrent_drop = training and 0.0 < cell.recurrent_dropout < 1.0
        x = sequences
        if drop_inputs and not per_gate:
            dp_mask = cell.get_dropout_mask(sequences[:, 0])
            if isinstance(dp_mask, (list, tuple)):
                dp_mask = dp_mask[0]
            x = sequences * dp_mask.unsqueeze(1)

        if per_gate or recurrent_drop:
            # Per-gate masks: Keras's cell, step by step.
            return super().inner_loop(sequences, initial_state, mask, training=training)

        use_fused = self._fused_config() and _fused.dtype_supported(sequences)
        processed_mask = mask
        if use_fused and mask is not None:
            if torch.compiler.is_compiling() or mask.device.type == "meta":
                use_fused = False  # a data-dependent choice: the loop traces without graph breaks
            else:
                if self.go_backwards:
                    processed_mask = torch.flip(mask, dims=[1])
                use_fused = _fused.right_padded_lengths(processed_mask) is not None
        if use_fused:
            if self.go_backwards:
                x = torch.flip(x, dims=[1])
            params, has_biases = self._fused_params()
            last_output, outputs, states = _fused.fused_sequence(
                self._kind, x, list(initial_state), params, has_biases, mask=processed_mask,
                zero_output_for_mask=self.zero_output_for_mask)
            if not self.return_sequences:
                outputs = last_output.unsqueeze(1)
            return last_output, outputs, states

        # The step loop without per-step dropout, as Keras's torch backend runs it: every timestep's
        # input projection at once, then only the recurrent part per step.
        return rnn_module.rnn_loop(self._projected_step, self._project_inputs(x), list(initial_state),
                                   go_backwards=self.go_backwards, mask=mask,
                                   zero_output_for_mask=self.zero_output_for_mask,
                                   return_all_outputs=self.return_sequences)

    def _project_inputs(self, x):
        cell = self.cell
        projected = torch.matmul(x, cell.kernel)
        if cell.bias is not None:
            projected = projected + self._input_bias()
        return projected
