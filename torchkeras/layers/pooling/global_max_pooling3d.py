"""`GlobalMaxPooling3D`: the maximum over dim1, dim2 and dim3."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


@keras_export("keras.layers.GlobalMaxPooling3D", "keras.layers.GlobalMaxPool3D")
class GlobalMaxPooling3D(BaseGlobalPooling):
    """Global max pooling operation for 3D data.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: Whether to keep the reduced spatial axes, with size 1 (default `False`).

    Input shape:
        `"channels_last"`: `(batch_size, dim1, dim2, dim3, channels)`; `"channels_first"`: `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True` the input shape with every spatial size 1.
    """

    _reduce = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=3, data_format=data_format, keepdims=keepdims, **kwargs)
