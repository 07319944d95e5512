"""`UnitNormalization`: scale each example to unit L2 norm over the given axes."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization._common import check_output_shape_axes

_EPSILON = 1e-12


@keras_export("keras.layers.UnitNormalization")
class UnitNormalization(Layer):
    """Normalizes each example so that its L2 norm over `axis` is 1: `x * min(rsqrt(sum(x**2)), 1e12)`.

    Args:
        axis: Integer or list/tuple of integers, the axes to normalize across.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if any(isinstance(a, bool) or not isinstance(a, int) for a in axis):
                raise TypeError(
                    "Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                    f"Received: axis={axis}"
                )
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                f"Received: axis={axis}"
            )
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        x = inputs
        if x.dim() == 0:
            x = x.unsqueeze(0)
        rank = x.dim()
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if a >= rank or a < -rank:
                raise ValueError(
                    f"Axis {self.axis} is out of bounds for input shape {tuple(inputs.shape)} in layer "
                    f"'{self.name}'. Received: axis={self.axis}"
                )
        square_sum = torch.sum(torch.square(x), dim=axes, keepdim=True)
        inv_norm = torch.clamp_max(torch.rsqrt(square_sum), 1.0 / _EPSILON)
        return x * inv_norm

    def compute_output_shape(self, input_shape):
        if isinstance(self.axis, int):
            axes = [self.axis]
        else:
            axes = self.axis
        for axis in axes:
            if axis >= len(input_shape) or axis < -len(input_shape):
                raise ValueError(f"Axis {self.axis} is out of bounds for input shape {input_shape}.")
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis})
        return config
