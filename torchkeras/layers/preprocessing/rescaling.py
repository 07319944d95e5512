"""`Rescaling`: `inputs * scale + offset`, in the layer's compute dtype."""

import numbers

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.saving import serialization


def _as_constant(value, argument):
    """`scale` / `offset` as a numpy array of numbers (a TypeError naming the argument otherwise)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "iuf":
        raise TypeError(
            f"Invalid value for argument `{argument}` of layer Rescaling. Expected a number or a "
            f"list/array of numbers. Received: {argument}={value!r}"
        )
    return array


@keras_export("keras.layers.Rescaling")
class Rescaling(Layer):
    """A preprocessing layer which rescales input values to a new range: `inputs * scale + offset`.

    To rescale inputs in `[0, 255]` to `[0, 1]`, pass `scale=1./255`; to `[-1, 1]`, pass
    `scale=1./127.5, offset=-1`. The rescaling is applied both during training and inference. Inputs
    of any dtype (integers included) are cast to the compute dtype, so the output is floating.

    A `scale` with one value per channel (a list or array) broadcasts against the last axis; when
    `keras.config.image_data_format()` is `"channels_first"`, as in Keras, it is reshaped to
    `(channels, 1, 1)` so that it broadcasts against the channels axis of images. (`offset` is not
    reshaped: Keras does not reshape it either.)

    Args:
        scale: Float, or list/array of floats, the scale to apply to the inputs.
        offset: Float, or list/array of floats, the offset to apply to the inputs.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input shape.

    Example:

    >>> Rescaling(1.0 / 127.5, offset=-1.0)(torch.tensor([0, 255], dtype=torch.uint8))
    tensor([-1.,  1.])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        scale_array = _as_constant(scale, "scale")
        offset_array = _as_constant(offset, "offset")
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        # The constants as tensors once (they follow the layer across devices; the config holds them).
        dtype = self._compute_torch_dtype
        self.register_buffer("_scale", torch.as_tensor(scale_array, dtype=dtype), persistent=False)
        self.register_buffer("_offset", torch.as_tensor(offset_array, dtype=dtype), persistent=False)

    def call(self, inputs):
        dtype = self._compute_torch_dtype
        scale, offset = self._scale, self._offset
        if scale.dtype != dtype or scale.device != inputs.device:  # a later policy change or device move
            scale, offset = scale.to(inputs.device, dtype), offset.to(inputs.device, dtype)
        if scale.dim() > 0 and backend.image_data_format() == "channels_first":
            # Read at call time, as Keras does: per-channel scales broadcast against the channels axis.
            scale = scale.reshape(tuple(scale.shape) + (1,) * (3 - scale.dim()))
        return inputs.to(dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            # `scale` and `offset` may be numpy arrays, written as Keras writes them.
            "scale": serialization.serialize_keras_object(self.scale),
            "offset": serialization.serialize_keras_object(self.offset),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("scale", "offset"):
            if key in config and not isinstance(config[key], numbers.Number):
                config[key] = serialization.deserialize_keras_object(config[key])
        return super().from_config(config)
