"""`UpSampling2D`: upsamples the rows and columns of a 4D (image) input."""

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseUpSampling, repeat_spatial, standardize_tuple

# What Keras 3 on the torch backend accepts (`keras.ops.image.resize` -> `F.interpolate`); Keras maps
# "nearest" to repeats, the others to `F.interpolate(..., align_corners=False, antialias=False)`.
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


@keras_export("keras.layers.UpSampling2D")
class UpSampling2D(BaseUpSampling):
    """Upsampling layer for 2D inputs.

    With `interpolation="nearest"` the rows and columns are repeated `size[0]` and `size[1]` times.
    `"bilinear"` and `"bicubic"` resize the image with half-pixel centers and no antialiasing, as
    Keras's `ops.image.resize` does on every backend (`F.interpolate(..., align_corners=False)`);
    integer inputs are resized in float32 and rounded back, float16/bfloat16 inputs in float32.

    Args:
        size: Int, or tuple of 2 integers, the upsampling factors for rows and columns.
        data_format: `"channels_last"` (default, `(batch, height, width, channels)`) or
            `"channels_first"` (`(batch, channels, height, width)`).
        interpolation: `"nearest"` (default), `"bilinear"` or `"bicubic"`. (The Lanczos and area modes
            of other Keras backends do not exist on the torch backend; Keras raises at call time,
            torchkeras at construction.)

    Input shape:
        4D tensor.

    Output shape:
        4D tensor, `(batch, upsampled_rows, upsampled_cols, channels)` for channels-last data.

    Example:

    >>> UpSampling2D(size=(2, 2))(torch.tensor([[[[1.0], [2.0]], [[3.0], [4.0]]]]))[0, :, :, 0]
    tensor([[1., 1., 2., 2.],
            [1., 1., 2., 2.],
            [3., 3., 4., 4.],
            [3., 3., 4., 4.]])
    """

    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self._setup(standardize_tuple(size, 2, "size"), data_format)
        if not isinstance(interpolation, str) or interpolation.lower() not in _INTERPOLATIONS:
            raise ValueError(
                f"Invalid value for argument `interpolation` of layer UpSampling2D. Expected one of "
                f"{_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation.lower()
        self._channels_last = self.data_format == "channels_last"

    def call(self, inputs):
        if self.interpolation == "nearest":
            if self.size == (1, 1):
                return inputs
            return repeat_spatial(inputs, self.size, self._axes)
        images = inputs.permute(0, 3, 1, 2) if self._channels_last else inputs  # NCHW view
        out_dtype = images.dtype
        if out_dtype not in (torch.float32, torch.float64):
            images = images.to(torch.float32)
        resized = F.interpolate(
            images, size=(images.shape[2] * self.size[0], images.shape[3] * self.size[1]),
            mode=self.interpolation, align_corners=False, antialias=False,
        )
        if out_dtype != resized.dtype:
            if out_dtype in _INTEGER_DTYPES:
                resized = torch.round(resized)
            resized = resized.to(out_dtype)
        return resized.permute(0, 2, 3, 1) if self._channels_last else resized

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config
