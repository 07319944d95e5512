"""`GlobalMaxPooling2D`: the maximum over height and width."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


@keras_export("keras.layers.GlobalMaxPooling2D", "keras.layers.GlobalMaxPool2D")
class GlobalMaxPooling2D(BaseGlobalPooling):
    """Global max pooling operation for 2D spatial data.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: Whether to keep the reduced spatial axes, with size 1 (default `False`).

    Input shape:
        `"channels_last"`: `(batch_size, height, width, channels)`; `"channels_first"`: `(batch_size, channels, height, width)`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True` the input shape with every spatial size 1.
    """

    _reduce = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)
