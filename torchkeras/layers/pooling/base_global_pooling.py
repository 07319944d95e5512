"""`BaseGlobalPooling`: the shared body of the GlobalMax/GlobalAveragePooling1D/2D/3D layers.

The reduction runs over the spatial axes in place (no permute needed whatever the data format).
"""

import torch

from torchkeras import backend
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


class BaseGlobalPooling(Layer):
    """Base global pooling layer: reduces every spatial axis with `max` or `mean`."""

    _reduce = None  # "max" or "mean", set by subclasses

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        if not isinstance(keepdims, (bool, int)):
            raise ValueError(f"The `keepdims` argument must be a boolean. Received: keepdims={keepdims}")
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + pool_dimensions))
        self._keepdims = bool(keepdims)
        self.built = True  # no weights: built at construction, as in Keras (no `build_config` in configs)

    def call(self, inputs):
        if self._reduce == "max":
            return torch.amax(inputs, dim=self._axes, keepdim=self._keepdims)
        if not inputs.is_floating_point():  # Keras's mean of integers is float32
            inputs = inputs.to(torch.float32)
        return torch.mean(inputs, dim=self._axes, keepdim=self._keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        num_spatial_dims = len(input_shape) - 2
        if self.data_format == "channels_last":
            if self.keepdims:
                return (input_shape[0],) + (1,) * num_spatial_dims + (input_shape[-1],)
            return (input_shape[0], input_shape[-1])
        if self.keepdims:
            return (input_shape[0], input_shape[1]) + (1,) * num_spatial_dims
        return (input_shape[0], input_shape[1])

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config
