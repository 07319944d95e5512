"""`GlobalAveragePooling2D`: the mean over height and width."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


@keras_export("keras.layers.GlobalAveragePooling2D", "keras.layers.GlobalAvgPool2D")
class GlobalAveragePooling2D(BaseGlobalPooling):
    """Global average pooling operation for 2D spatial data.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: Whether to keep the reduced spatial axes, with size 1 (default `False`).

    Input shape:
        `"channels_last"`: `(batch_size, height, width, channels)`; `"channels_first"`: `(batch_size, channels, height, width)`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True` the input shape with every spatial size 1.
    """

    _reduce = "mean"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)
