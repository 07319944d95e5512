"""`RMSNormalization`: scale each example by the reciprocal root mean square over the given axes."""

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization._common import (canonical_axes, check_axis, check_epsilon,
                                                     check_output_shape_axes, stats_dtype)


@keras_export("keras.layers.RMSNormalization")
class RMSNormalization(Layer):
    """Root mean square normalization: `x * rsqrt(mean(x**2, axis) + epsilon) * scale`.

    Args:
        axis: Integer or list of integers, the axes to normalize; the trainable `scale` has the shape of
            the input along them.
        epsilon: Small positive float added to the mean square (Keras's default 1e-6).

    Unlike Keras on the torch backend (which fails there), axes that are not the trailing ones work.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_axis("RMSNormalization", axis)
        check_epsilon("RMSNormalization", epsilon)
        self.epsilon = epsilon
        self._declare_weight("scale")
        self._axes = None
        self._trailing = False

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        axes = canonical_axes(self.name, self.axis, rank)
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[dim] for dim in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        if any(d is None for d in shape):
            raise ValueError(
                f"The normalized axes of the inputs to RMSNormalization layer '{self.name}' must have "
                f"known sizes. Received: input_shape={input_shape}, axis={self.axis}"
            )
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self._axes = axes
        self._normalized_shape = tuple(input_shape[a] for a in axes)
        self._trailing = axes == list(range(rank - len(axes), rank)) and shape == self._normalized_shape
        self._broadcast_shape = [input_shape[d] if d in axes else 1 for d in range(rank)]

    def call(self, x):
        original_dtype = x.dtype
        dtype = stats_dtype(x.dtype)
        if x.dtype != dtype:
            x = x.to(dtype)
        scale = self.scale.to(dtype)
        if self._trailing:
            outputs = F.rms_norm(x, self._normalized_shape, scale, self.epsilon)
        else:
            rrms = torch.rsqrt(torch.mean(torch.square(x), dim=self._axes, keepdim=True) + self.epsilon)
            outputs = x * rrms * scale.reshape(self._broadcast_shape)
        return outputs.to(original_dtype)

    def compute_output_shape(self, input_shape):
        return check_output_shape_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
