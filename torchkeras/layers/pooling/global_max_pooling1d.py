"""`GlobalMaxPooling1D`: the maximum over steps."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


@keras_export("keras.layers.GlobalMaxPooling1D", "keras.layers.GlobalMaxPool1D")
class GlobalMaxPooling1D(BaseGlobalPooling):
    """Global max pooling operation for temporal data.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: Whether to keep the reduced spatial axes, with size 1 (default `False`).

    Input shape:
        `"channels_last"`: `(batch_size, steps, features)`; `"channels_first"`: `(batch_size, features, steps)`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True` the input shape with every spatial size 1.
    """

    _reduce = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)
