"""`Bidirectional`: runs a recurrent layer forwards and a copy of it backwards, and merges the outputs."""

import copy

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.rnn import without_implicit_mask
from torchkeras.saving import serialization

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _remove_prefix(text, prefix):
    return text[len(prefix):] if text.startswith(prefix) else text


@keras_export("keras.layers.Bidirectional")
class Bidirectional(Layer):
    """Bidirectional wrapper for RNNs.

    The forward layer is a copy of `layer` (from its config, named `forward_<name>`); the backward layer
    is another copy with `go_backwards=True` (named `backward_<name>`), or `backward_layer` when given.
    With `return_sequences`, masked timesteps of both directions output zeros (Keras forces
    `zero_output_for_mask=return_sequences` on both layers), and the backward sequence is flipped back
    to the input's time order before merging.

    Args:
        layer: An `RNN` instance (`LSTM`, `GRU`, `SimpleRNN`, `RNN(cell)`, ...), or any layer with
            `go_backwards`, `return_sequences`, `return_state` and `stateful` attributes.
        merge_mode: How the two outputs combine: `"concat"` (default), `"sum"`, `"mul"`, `"ave"`, or
            `None` (a list of both outputs).
        weights: Optional initial weights (forward then backward), set once the layer is built.
        backward_layer: Optional layer for the backward direction; it must have `go_backwards` opposite
            to `layer`'s and the same `stateful`, `return_sequences` and `return_state`.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: Optional list of initial states: the forward layer's, then the backward layer's.
        mask: Optional boolean `(batch, timesteps)`.
        training: Passed to both layers.

    Weights: the forward layer's, then the backward layer's (`bidirectional/forward_lstm/lstm_cell/kernel`,
    ..., `bidirectional/backward_lstm/lstm_cell/kernel`, ...), as in Keras.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. Received: {layer}"
            )
        _check_recurrent(layer, "layer")
        if backward_layer is not None:
            if not isinstance(backward_layer, Layer):
                raise ValueError(
                    f"`backward_layer` need to be a `keras.layers.Layer` instance. Received: {backward_layer}"
                )
            _check_recurrent(backward_layer, "backward_layer")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        config = serialization.serialize_keras_object(layer)
        config["config"]["name"] = f"forward_{_remove_prefix(layer.name, 'forward_')}"
        self.forward_layer = serialization.deserialize_keras_object(config)
        if backward_layer is None:
            config = serialization.serialize_keras_object(layer)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = f"backward_{_remove_prefix(layer.name, 'backward_')}"
            self.backward_layer = serialization.deserialize_keras_object(config)
        else:
            self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()

        for sublayer in (self.forward_layer, self.backward_layer):
            if getattr(sublayer, "zero_output_for_mask", None) is not None:
                sublayer.zero_output_for_mask = sublayer.return_sequences

        self.merge_mode = merge_mode
        if weights:
            self._initial_weights = list(weights)
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        """Ensures the forward and backward layers agree on what they must agree on."""
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. Received: "
                f"forward_layer.go_backwards {self.forward_layer.go_backwards}, "
                f"backward_layer.go_backwards={self.backward_layer.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward_value = getattr(self.forward_layer, attribute)
            backward_value = getattr(self.backward_layer, attribute)
            if forward_value != backward_value:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for attribute "
                    f'"{attribute}", got "{forward_value}" for forward layer and "{backward_value}" for '
                    "backward layer"
                )

    # ------------------------------------------------------------------ shapes and masks

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = list(output_shape)
            output_shape[-1] = None if output_shape[-1] is None else output_shape[-1] * 2
            output_shape = tuple(output_shape)
        elif self.merge_mode is None:
            output_shape = [output_shape, output_shape]
        if self.return_state:
            if self.merge_mode is None:
                return tuple(output_shape) + state_shape + state_shape
            return (output_shape,) + state_shape + state_shape
        return tuple(output_shape)

    def compute_mask(self, _, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if self.return_sequences:
            output_mask = [mask, mask] if not self.merge_mode else [mask]
        else:
            output_mask = [None, None] if not self.merge_mode else [None]
        if self.return_state:
            num_states = len(self._flat_state_sizes(self.forward_layer)) + len(
                self._flat_state_sizes(self.backward_layer))
            output_mask = output_mask + [None] * num_states
        if len(output_mask) == 1:
            return output_mask[0]
        return output_mask

    @staticmethod
    def _flat_state_sizes(layer):
        from torchkeras.layers.rnn.stacked_rnn_cells import flatten_structure

        sizes = getattr(layer, "state_size", None)
        return flatten_structure(sizes) if sizes is not None else []

    def __call__(self, *args, **kwargs):
        args, input_mask = without_implicit_mask(args, kwargs)
        outputs = super().__call__(*args, **kwargs)
        if self.return_sequences and input_mask is not None:
            # Keras sets the mask on every sequence output (Layer.__call__ does on a single tensor).
            if isinstance(outputs, torch.Tensor):
                outputs._keras_mask = input_mask
            else:
                for output in outputs[:2 if self.merge_mode is None else 1]:
                    if isinstance(output, torch.Tensor):
                        output._keras_mask = input_mask
        return outputs

    # ------------------------------------------------------------------ build and call

    def build(self, sequences_shape, initial_state_shape=None):
        if not self.forward_layer.built:
            self.forward_layer.build(sequences_shape)
        if not self.backward_layer.built:
            self.backward_layer.build(sequences_shape)

    def _split_initial_state(self, initial_state):
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        sizes = self._flat_state_sizes(self.forward_layer) + self._flat_state_sizes(self.backward_layer)
        # Cells with custom states (state_size -1, e.g. ConvLSTM) do not tell their number of states.
        expected = len(sizes) if all(isinstance(s, int) and s > 0 for s in sizes) else 0
        if len(initial_state) % 2 or (expected and len(initial_state) != expected):
            raise ValueError(
                f"Layer '{self.name}' (Bidirectional) expects its initial states as one list: the forward "
                f"layer's then the backward layer's ({expected or 'an even number of'} tensors). Received "
                f"{len(initial_state)} initial state tensor(s)."
            )
        half = len(initial_state) // 2
        return initial_state[:half], initial_state[half:]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if self.forward_layer._call_has_training_arg:
            kwargs["training"] = training
        if self.forward_layer._call_has_mask_arg:
            kwargs["mask"] = mask
        if initial_state is not None:
            forward_state, backward_state = self._split_initial_state(initial_state)
        else:
            forward_state, backward_state = None, None
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)

        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y = y[0]
            y_rev = y_rev[0]
        compute_dtype = self._compute_torch_dtype
        if y.dtype is not compute_dtype:
            y = y.to(compute_dtype)
        if y_rev.dtype is not compute_dtype:
            y_rev = y_rev.to(compute_dtype)
        if self.return_sequences:
            y_rev = torch.flip(y_rev, dims=[1])
        if self.merge_mode == "concat":
            output = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            if self.merge_mode is None:
                return output + states
            return (output,) + states
        return output

    # ------------------------------------------------------------------ states

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    @property
    def states(self):
        forward_states = getattr(self.forward_layer, "states", None)
        backward_states = getattr(self.backward_layer, "states", None)
        if forward_states and backward_states:
            return tuple(forward_states) + tuple(backward_states)
        return None

    # ------------------------------------------------------------------ config

    def get_config(self):
        config = {"merge_mode": self.merge_mode}
        config["layer"] = serialization.serialize_keras_object(self.forward_layer)
        config["backward_layer"] = serialization.serialize_keras_object(self.backward_layer)
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = serialization.deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        backward_layer_config = config.pop("backward_layer", None)
        if backward_layer_config is not None:
            config["backward_layer"] = serialization.deserialize_keras_object(
                backward_layer_config, custom_objects=custom_objects)
        if "dtype" in config and isinstance(config["dtype"], dict):
            from torchkeras import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(**config)


def _check_recurrent(layer, argument):
    missing = [a for a in ("go_backwards", "return_sequences", "return_state", "stateful")
               if not hasattr(layer, a)]
    if missing:
        raise ValueError(
            f"`Bidirectional` expects `{argument}` to be a recurrent layer (an `RNN` such as LSTM or GRU) with "
            f"`go_backwards`, `return_sequences`, `return_state` and `stateful` attributes. Received: "
            f"{argument}={layer.name!r} ({type(layer).__name__}), missing {missing}"
        )
