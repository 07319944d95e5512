"""`ZeroPadding2D`: pads the rows and columns of a 4D (image) input with zeros."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseZeroPadding, standardize_pairs


@keras_export("keras.layers.ZeroPadding2D")
class ZeroPadding2D(BaseZeroPadding):
    """Zero-padding layer for 2D input (e.g. picture).

    Adds rows and columns of zeros at the top, bottom, left and right of an image tensor.

    Args:
        padding: Int, or tuple of 2 ints, or tuple of 2 tuples of 2 ints.
            - int: the same symmetric padding on height and width.
            - 2 ints: `(symmetric_height_pad, symmetric_width_pad)`.
            - 2 tuples of 2 ints: `((top_pad, bottom_pad), (left_pad, right_pad))`.
        data_format: `"channels_last"` (default, `(batch, height, width, channels)`) or
            `"channels_first"` (`(batch, channels, height, width)`).

    Input shape:
        4D tensor.

    Output shape:
        4D tensor, height grown by `top_pad + bottom_pad` and width by `left_pad + right_pad`.
    """

    _rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._setup(standardize_pairs(padding, 2, "padding"), data_format)
