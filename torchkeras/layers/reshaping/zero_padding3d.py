"""`ZeroPadding3D`: pads the three spatial axes of a 5D (volume) input with zeros."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseZeroPadding, standardize_pairs


@keras_export("keras.layers.ZeroPadding3D")
class ZeroPadding3D(BaseZeroPadding):
    """Zero-padding layer for 3D data (spatial or spatio-temporal).

    Args:
        padding: Int, or tuple of 3 ints, or tuple of 3 tuples of 2 ints.
            - int: the same symmetric padding on all three spatial axes.
            - 3 ints: `(symmetric_dim1_pad, symmetric_dim2_pad, symmetric_dim3_pad)`.
            - 3 tuples of 2 ints: `((left_dim1_pad, right_dim1_pad), (left_dim2_pad, right_dim2_pad),
              (left_dim3_pad, right_dim3_pad))`.
        data_format: `"channels_last"` (default, `(batch, dim1, dim2, dim3, channels)`) or
            `"channels_first"` (`(batch, channels, dim1, dim2, dim3)`).

    Input shape:
        5D tensor.

    Output shape:
        5D tensor, each spatial axis grown by its two paddings.
    """

    _rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._setup(standardize_pairs(padding, 3, "padding"), data_format)
