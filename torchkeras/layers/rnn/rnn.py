"""`RNN`: the base recurrent layer, running any RNN cell over the time axis.

Semantics follow Keras 3 (`keras/src/layers/rnn/rnn.py` and the torch backend's `rnn()` loop):

- A cell is a layer (or any object) with `state_size` (an int, a list of ints, or nested lists for
  stacked cells), optionally `output_size` and `get_initial_state(batch_size)`, and
  `call(inputs_t, states) -> (output_t, new_states)`; `states` is a tuple of the top-level states.
- `go_backwards` processes the sequence (and its mask) reversed; the returned sequence is in processing
  order (reversed), as in Keras.
- With a mask (`[batch, timesteps]`, `True` = keep): at a masked step the states are carried over
  unchanged and the output is the previous step's output (zeros before the first kept step), or zeros
  when `zero_output_for_mask=True`. The last output is the output of the last processed step.
- `compute_mask` returns the mask when `return_sequences` (else `None`), followed by one `None` per
  state with `return_state`.
- `stateful=True` keeps the last states (per sample) in non-trainable, non-saved buffers (Keras's
  untracked `rnn_state` variables) and starts the next call from them; the batch size is fixed at
  build time. `reset_state()` zeroes them.

The step loop is a plain Python loop over `torch` ops, so `torch.compile(fullgraph=True)` traces it
(unrolled over the static number of timesteps) without graph breaks. LSTM and GRU override
`inner_loop` to use torch's fused kernels when their configuration allows it.
"""

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from torchkeras.layers.rnn.stacked_rnn_cells import flatten_structure, is_nested, pack_as
from torchkeras.layers import call_context
from torchkeras.saving import serialization


def _expand_like(mask_t, x):
    """A `(batch,)` boolean mask viewed so that it broadcasts against `x` (`(batch, ...)`)."""
    return mask_t.view((mask_t.shape[0],) + (1,) * (x.dim() - 1))


def rnn_loop(step_function, inputs, initial_states, go_backwards=False, mask=None,
             zero_output_for_mask=False, return_all_outputs=True):
    """Runs `step_function(input_t, states) -> (output_t, new_states)` over axis 1 of `inputs`.

    Args:
        step_function: The step; `states` is a tuple of the top-level states.
        inputs: `(batch, timesteps, ...)` tensor.
        initial_states: List of the top-level initial states (tensors or nested lists of tensors).
        go_backwards: Process the timesteps last to first.
        mask: Optional boolean `(batch, timesteps)` tensor.
        zero_output_for_mask: Masked steps output zeros instead of the previous output.
        return_all_outputs: Stack every output (else only the last one is kept).

    Returns:
        `(last_output, outputs, new_states)`, `outputs` being `(batch, timesteps, ...)` in processing
        order, or `(batch, 1, ...)` holding the last output when `return_all_outputs` is False.
    """
    steps = inputs.unbind(1)
    masks = None if mask is None else mask.unbind(1)
    if go_backwards:
        steps = steps[::-1]
        masks = None if masks is None else masks[::-1]
    states = tuple(initial_states)
    outputs = []
    previous = None
    zeros = None
    output = None
    for t in range(len(steps)):
        output, new_states = step_function(steps[t], states)
        if masks is not None:
            keep = masks[t]
            if previous is None:
                previous = torch.zeros_like(output)
                zeros = previous
            keep_out = _expand_like(keep, output)
            output = torch.where(keep_out, output, zeros if zero_output_for_mask else previous)
            flat_old = flatten_structure(states)
            flat_new = flatten_structure(new_states)
            new_states = pack_as(new_states, [torch.where(_expand_like(keep, n), n, o)
                                              for n, o in zip(flat_new, flat_old)])
            previous = output
        states = tuple(new_states)
        if return_all_outputs:
            outputs.append(output)
    if return_all_outputs:
        stacked = torch.stack(outputs, dim=1)
    else:
        stacked = output.unsqueeze(1)
    return output, stacked, list(states)


def without_implicit_mask(args, kwargs):
    """Keras's `Layer.__call__` fills `mask` from the input's mask only when the call has one tensor
    argument: with an `initial_state`, the input's mask is ignored by the computation (and still set on
    the outputs). Returns `args` (the input replaced by a mask-free view where needed) and the mask the
    outputs carry with `return_sequences` (`None` when `Layer.__call__` sets it itself)."""
    if not args or not isinstance(args[0], torch.Tensor):
        return args, None
    explicit = kwargs.get("mask")
    if explicit is not None:
        if isinstance(explicit, (list, tuple)):
            explicit = explicit[0] if explicit else None
        return args, explicit if isinstance(explicit, torch.Tensor) else None
    mask = getattr(args[0], "_keras_mask", None)
    if mask is None:
        return args, None
    initial_state = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
    if initial_state is None:
        return args, mask
    return (args[0].view_as(args[0]),) + tuple(args[1:]), mask


def cell_property(name):
    """A read-only property forwarding `name` to `self.cell`: a recurrent layer reports its cell's
    arguments (`lstm.units`, `lstm.dropout`, ...) as Keras's layers do."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


@keras_export("keras.layers.RNN")
class RNN(Layer):
    """Base class for recurrent layers.

    Args:
        cell: An RNN cell instance or a list of them (stacked with `StackedRNNCells`). A cell has
            `call(input_at_t, states_at_t) -> (output_at_t, states_at_t_plus_1)`, a `state_size`
            (int, or list of ints, one per state), optionally an `output_size` (int) and
            `get_initial_state(batch_size=None)`.
        return_sequences: Return the whole output sequence (else the last output).
        return_state: Also return the last states.
        go_backwards: Process the input sequence backwards and return the reversed sequence.
        stateful: Reuse the last states of each sample as initial states of the sample of the same
            index in the next batch (fixed batch size).
        unroll: Accepted for Keras compatibility; the torch loop is always a Python loop (which
            `torch.compile` unrolls), so results do not depend on it. LSTM and GRU take their loop
            path rather than torch's fused kernels when it is set.
        zero_output_for_mask: Output zeros at masked timesteps (with `return_sequences`) instead of
            the previous output.

    Call arguments:
        sequences: A tensor `(batch_size, timesteps, features...)`.
        initial_state: Optional list of initial state tensors (one per state, `(batch_size,
            state_size)`), in place of zeros (or of the stored states when stateful).
        mask: Optional boolean `(batch_size, timesteps)`; `False` steps are skipped.
        training: Passed to the cell (dropout).

    Output shape:
        `(batch_size, output_size)`, or `(batch_size, timesteps, output_size)` with
        `return_sequences`; with `return_state`, a tuple `(output, *states)`.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError(
                "The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                f"one integer per RNN state). Received: cell={cell}"
            )
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self.input_spec = None
        self._expected_batch_size = None
        self._state_structure = None  # stateful: the structure of the stored states

        state_size = getattr(self.cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if isinstance(state_size, bool) or not isinstance(state_size, (list, tuple, int)):
            raise ValueError(
                "state_size must be an integer, or a list/tuple of integers (one for each state tensor). "
                f"Received: state_size={state_size!r}"
            )
        if isinstance(state_size, int):
            self.state_size = [state_size]
            self.single_state = True
        else:
            self.state_size = list(state_size)
            self.single_state = False

    # ------------------------------------------------------------------ shapes and masks

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch_size = sequences_shape[0]
        length = sequences_shape[1]
        states_shape = []
        for state_size in self.state_size:
            if isinstance(state_size, int):
                states_shape.append((batch_size, state_size))
            elif isinstance(state_size, (list, tuple)):
                states_shape.append([(batch_size, s) for s in state_size])
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = self.state_size[0]
        if not isinstance(output_size, int):
            raise ValueError(f"output_size must be an integer. Received: output_size={output_size!r}")
        if self.return_sequences:
            output_shape = (batch_size, length, output_size)
        else:
            output_shape = (batch_size, output_size)
        if self.return_state:
            return (output_shape, *states_shape)
        return output_shape

    def compute_output_spec(self, *args, **kwargs):
        if self.return_state and any(not isinstance(s, int) for s in self.state_size):
            # Nested states (stacked cells): a shape-only run keeps their structure.
            from torchkeras.utils.shape_inference import infer_output_spec

            return infer_output_spec(self, args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def compute_mask(self, _, mask):
        if isinstance(mask, (list, tuple)):
            mask = flatten_structure(mask)[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def __call__(self, *args, **kwargs):
        args, input_mask = without_implicit_mask(args, kwargs)
        outputs = super().__call__(*args, **kwargs)
        if self.return_sequences and input_mask is not None:
            # Keras sets it on the sequence output also with `return_state` and with `initial_state`
            # (Layer.__call__ sets it on a single output computed with the input's mask).
            first = outputs[0] if type(outputs) is tuple else outputs
            if isinstance(first, torch.Tensor) and getattr(first, "_keras_mask", None) is None:
                first._keras_mask = input_mask
        return outputs

    # ------------------------------------------------------------------ build and states

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of rank >= 3 (batch, timesteps, "
                f"features). Received: input_shape={sequences_shape}"
            )
        step_input_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_input_shape)
            self.cell.built = True
        if self.stateful:
            if self._state_structure is not None:
                self.reset_state()
            else:
                if sequences_shape[0] is None:
                    raise ValueError(
                        "When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                        f"batch size: sequence.shape={sequences_shape}"
                    )
                self._create_state_variables(sequences_shape[0])
                self._expected_batch_size = sequences_shape[0]

    def _create_state_variables(self, batch_size):
        device = call_context.weight_device()
        initial = self.get_initial_state(batch_size)
        flat = flatten_structure(initial)
        names = []
        for index, value in enumerate(flat):
            name = f"_rnn_state_{index}"
            tensor = torch.as_tensor(value).to(device=device,
                                               dtype=backend.to_torch_dtype(self.variable_dtype))
            # Not saved (Keras does not save them either) but moved by `.to(device)`.
            self.register_buffer(name, tensor.detach().clone(), persistent=False)
            names.append(name)
        self._state_structure = pack_as(initial, names)

    @property
    def states(self):
        """The stored states of a stateful layer (structured like the initial states), else `None`."""
        if self._state_structure is None:
            return None
        return pack_as(self._state_structure,
                       [self._buffers[name] for name in flatten_structure(self._state_structure)])

    @states.setter
    def states(self, value):
        if value is not None:
            raise AttributeError("Use `reset_state()` or the `initial_state` call argument to set RNN states.")
        for name in flatten_structure(self._state_structure) if self._state_structure else []:
            del self._buffers[name]
        self._state_structure = None

    def get_initial_state(self, batch_size):
        get_initial_state_fn = getattr(self.cell, "get_initial_state", None)
        if get_initial_state_fn:
            init_state = get_initial_state_fn(batch_size=batch_size)
        else:
            dtype = _torch_dtype(getattr(self.cell, "compute_dtype", None), self)
            return [torch.zeros((batch_size, d), dtype=dtype) for d in self.state_size]
        if not is_nested(init_state):
            init_state = [init_state]
        return list(init_state)

    def reset_states(self):
        # Compatibility alias.
        self.reset_state()

    def reset_state(self):
        """Zeroes the stored states of a stateful layer (no effect otherwise)."""
        states = self.states
        if states is not None:
            with torch.no_grad():
                for tensor in flatten_structure(states):
                    tensor.zero_()

    # ------------------------------------------------------------------ call

    def _check_sequences(self, sequences):
        if sequences.dim() < 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of rank >= 3 (batch, timesteps, "
                f"features). Received: inputs.shape={tuple(sequences.shape)}"
            )
        if sequences.shape[1] == 0:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs at least one timestep. Received: "
                f"inputs.shape={tuple(sequences.shape)}"
            )

    def _standardize_mask(self, mask, sequences):
        if isinstance(mask, (list, tuple)):
            mask = flatten_structure(mask)[0] if mask else None
        if mask is None:
            return None
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(mask)
        if mask.dim() == 3 and mask.shape[-1] == 1:
            mask = mask.squeeze(-1)
        if tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects a mask of shape (batch_size, timesteps) "
                f"= {tuple(sequences.shape[:2])} for inputs of shape {tuple(sequences.shape)}. Received: "
                f"mask.shape={tuple(mask.shape)}"
            )
        if mask.dtype is not torch.bool:
            mask = mask.bool()
        if mask.device != sequences.device:
            mask = mask.to(sequences.device)
        return mask

    def _expected_state_shapes(self, batch_size):
        """The flat list of expected initial state shapes, and the structure of the states."""
        flat_sizes = flatten_structure(self.state_size)
        if all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in flat_sizes):
            return [(batch_size, s) for s in flat_sizes], self.state_size
        # Cells with custom states (e.g. ConvLSTM): their own initial states tell the shapes.
        template = self.get_initial_state(batch_size)
        return [tuple(t.shape) for t in flatten_structure(template)], template

    def _standardize_initial_state(self, initial_state, batch_size, sequences):
        if not is_nested(initial_state):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        flat = [torch.as_tensor(s) if not isinstance(s, torch.Tensor) else s
                for s in flatten_structure(initial_state)]
        expected, structure = self._expected_state_shapes(batch_size)
        if len(flat) != len(expected):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {len(expected)} initial state "
                f"tensor(s) of shapes {expected}. Received {len(flat)} initial state tensor(s) of shapes "
                f"{[tuple(s.shape) for s in flat]}"
            )
        for index, (tensor, shape) in enumerate(zip(flat, expected)):
            if tuple(tensor.shape) != tuple(shape):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): initial state {index} must have shape "
                    f"{tuple(shape)} (batch_size, state_size). Received: shape={tuple(tensor.shape)}"
                )
        if len(initial_state) != len(structure):
            initial_state = pack_as(list(structure), flat)  # a flat list for nested (stacked) states
        else:
            initial_state = pack_as(initial_state, flat)
        return initial_state

    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_sequences(sequences)
        batch_size = sequences.shape[0]
        mask = self._standardize_mask(mask, sequences)
        if initial_state is None:
            if self.stateful and self._state_structure is not None:
                # A copy: the stored states are updated in place after the sequence.
                initial_state = _map(lambda t: t.clone(), list(self.states))
            else:
                initial_state = self.get_initial_state(batch_size=batch_size)
        else:
            initial_state = self._standardize_initial_state(initial_state, batch_size, sequences)
        if self.stateful and self._expected_batch_size is not None and batch_size != self._expected_batch_size:
            raise ValueError(
                "If an RNN is stateful, the batch size of the input sequences must be the same as the batch "
                f"size of the initial state.\n- Expected batch size: {self._expected_batch_size}\n"
                f"- Received batch size: {batch_size}"
            )
        state_dtype = _torch_dtype(getattr(self.cell, "compute_dtype", None), self)
        device = sequences.device
        initial_state = _map(lambda t: t if (t.dtype is state_dtype and t.device == device)
                             else t.to(device=device, dtype=state_dtype), list(initial_state))

        self._maybe_reset_dropout_masks(self.cell)
        try:
            last_output, outputs, states = self.inner_loop(
                sequences=sequences, initial_state=initial_state, mask=mask, training=training)
        finally:
            self._maybe_reset_dropout_masks(self.cell)
        compute_dtype = self._compute_torch_dtype
        if last_output.dtype is not compute_dtype:
            last_output = last_output.to(compute_dtype)
            outputs = outputs.to(compute_dtype)
            states = _map(lambda t: t.to(compute_dtype), states)

        if self.stateful and self._state_structure is not None:
            with torch.no_grad():
                for stored, new in zip(flatten_structure(self.states), flatten_structure(states)):
                    stored.copy_(new.detach())

        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """The recurrence over the whole sequence: `(last_output, outputs, states)`."""
        cell = self.cell
        cell_kwargs = {}
        if isinstance(cell, Layer) and cell._call_has_training_arg:
            cell_kwargs["training"] = training
        if isinstance(cell, Layer):
            cell_call = cell.call  # built in `build()`: no per-step `__call__` bookkeeping
        else:
            cell_call = cell if callable(cell) else cell.call

        def step(inputs, states):
            output, new_states = cell_call(inputs, states, **cell_kwargs)
            if not is_nested(new_states):
                new_states = [new_states]
            return output, new_states

        if not is_nested(initial_state):
            initial_state = [initial_state]
        return rnn_loop(step, sequences, initial_state, go_backwards=self.go_backwards, mask=mask,
                        zero_output_for_mask=self.zero_output_for_mask,
                        return_all_outputs=self.return_sequences)

    def _maybe_reset_dropout_masks(self, cell):
        if isinstance(cell, DropoutRNNCell):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        if isinstance(cell, StackedRNNCells):
            for c in cell.cells:
                self._maybe_reset_dropout_masks(c)

    # ------------------------------------------------------------------ config

    def get_config(self):
        config = {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        config["cell"] = serialization.serialize_keras_object(self.cell)
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = serialization.deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        if "dtype" in config and isinstance(config["dtype"], dict):
            from torchkeras import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(cell, **config)


def _map(fn, structure):
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, s) for s in structure)
    return fn(structure)


def _torch_dtype(dtype, layer):
    if dtype is None:
        return layer._compute_torch_dtype
    if isinstance(dtype, torch.dtype):
        return dtype
    return backend.to_torch_dtype(dtype)
