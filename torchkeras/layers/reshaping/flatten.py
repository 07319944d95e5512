"""`Flatten`: flattens every axis but the batch axis, always in channels-last order."""

import math

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Flatten")
class Flatten(Layer):
    """Flattens the input. Does not affect the batch size.

    The features are always flattened in channels-last order: a `channels_first` input
    `(batch, channels, ...)` is first moved to `(batch, ..., channels)`, so that a Dense layer after it
    has the same kernel whatever the data format (and as in Keras). Inputs shaped `(batch,)` become
    `(batch, 1)`.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`, the ordering of the dimensions
            in the inputs.

    Input shape:
        N-D tensor `(batch_size, ...)`, N >= 1.

    Output shape:
        2-D tensor `(batch_size, prod(non-batch dimensions))`.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs):
        rank = inputs.dim()
        if rank == 1:
            return inputs.unsqueeze(-1)
        if self._channels_first and rank > 2:
            # To channels-last order: a view, then the one copy the reshape needs anyway.
            inputs = inputs.movedim(1, -1)
        return torch.flatten(inputs, 1)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        non_batch_dims = input_shape[1:]
        if len(non_batch_dims) == 0:
            flattened_dim = 1
        elif any(d is None for d in non_batch_dims):
            flattened_dim = None
        else:
            flattened_dim = math.prod(non_batch_dims)
        return (input_shape[0], flattened_dim)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
