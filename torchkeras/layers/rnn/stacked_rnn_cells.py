"""`StackedRNNCells`: a list of RNN cells that behaves as one cell (each cell's output feeds the next)."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.saving import serialization


def is_nested(structure):
    return isinstance(structure, (list, tuple))


def flatten_structure(structure):
    """The leaves of nested lists/tuples, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten_structure(item)]
    return [structure]


def pack_as(structure, flat):
    """`flat` leaves arranged like `structure` (nested lists/tuples keep their types)."""
    iterator = iter(flat)

    def pack(item):
        if isinstance(item, (list, tuple)):
            return type(item)(pack(x) for x in item)
        return next(iterator)

    return pack(structure)


@keras_export("keras.layers.StackedRNNCells")
class StackedRNNCells(Layer):
    """Wrapper allowing a stack of RNN cells to behave as a single cell.

    Used to implement efficient stacked RNNs: `RNN([LSTMCell(8), LSTMCell(8)])` wraps its cells in one.

    Args:
        cells: List of RNN cell instances.

    Example:

    ```python
    rnn_cells = [keras.layers.LSTMCell(128) for _ in range(2)]
    stacked_lstm = keras.layers.StackedRNNCells(rnn_cells)
    lstm_layer = keras.layers.RNN(stacked_lstm)
    result = lstm_layer(x)
    ```
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"`cells` must be a non-empty list of RNN cells. Received: cells={cells!r}")
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(
                    f"All cells must have a `call` method. Received cell without a `call` method: {cell}"
                )
            if "state_size" not in dir(cell):
                raise ValueError(
                    f"All cells must have a `state_size` attribute. Received cell without a `state_size`: {cell}"
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        if getattr(self.cells[-1], "output_size", None) is not None:
            return self.cells[-1].output_size
        elif isinstance(self.cells[-1].state_size, (list, tuple)):
            return self.cells[-1].state_size[0]
        else:
            return self.cells[-1].state_size

    def get_initial_state(self, batch_size=None):
        initial_states = []
        dtype = self._compute_torch_dtype
        for cell in self.cells:
            get_initial_state_fn = getattr(cell, "get_initial_state", None)
            if get_initial_state_fn:
                initial_states.append(get_initial_state_fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                initial_states.append(torch.zeros((batch_size, cell.state_size), dtype=dtype))
            else:
                initial_states.append([torch.zeros((batch_size, d), dtype=dtype) for d in cell.state_size])
        return initial_states

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            state_is_list = is_nested(cell_states)
            cell_states = list(cell_states) if state_is_list else [cell_states]
            if isinstance(cell, Layer):
                if cell._call_has_training_arg:
                    kwargs["training"] = training
                else:
                    kwargs.pop("training", None)
                cell_call = cell.call  # built by `build()`
            else:
                kwargs.pop("training", None)
                cell_call = cell if callable(cell) else cell.call
            inputs, cell_states = cell_call(inputs, cell_states, **kwargs)
            if not is_nested(cell_states):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not state_is_list:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            if getattr(cell, "output_size", None) is not None:
                output_dim = cell.output_size
            elif isinstance(cell.state_size, (list, tuple)):
                output_dim = cell.state_size[0]
            else:
                output_dim = cell.state_size
            batch_size = flatten_structure(input_shape)[0]
            input_shape = (batch_size, output_dim)

    def get_config(self):
        cells = [serialization.serialize_keras_object(cell) for cell in self.cells]
        config = {"cells": cells}
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [serialization.deserialize_keras_object(c, custom_objects=custom_objects)
                 for c in config.pop("cells")]
        if "dtype" in config and isinstance(config["dtype"], dict):
            from torchkeras import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(cells, **config)
