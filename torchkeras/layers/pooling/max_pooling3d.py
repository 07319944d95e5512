"""`MaxPooling3D`: the maximum over a sliding window, for spatial or spatio-temporal (3D) data."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_pooling import BasePooling


@keras_export("keras.layers.MaxPooling3D", "keras.layers.MaxPool3D")
class MaxPooling3D(BasePooling):
    """Max pooling operation for spatial or spatio-temporal (3D) data.

    Downsamples the input along its spatial axes (dim1, dim2, dim3) by taking the maximum over a window of
    `pool_size`, shifted by `strides`. With `padding="valid"` each output size is
    `floor((input_size - pool_size) / strides) + 1`; with `padding="same"` it is
    `floor((input_size - 1) / strides) + 1`.

    With `padding="same"`, the padding never wins the maximum (it acts as `-inf`); the extra
    padding element, when the total is odd, goes on the right/bottom.

    Args:
        pool_size: int or tuple of 3 integers, the size of the pooling window.
        strides: int, tuple of 3 integers, or `None` (default: `pool_size`).
        padding: `"valid"` (default) or `"same"` (case-insensitive).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `"channels_last"`: `(batch_size, dim1, dim2, dim3, channels)`; `"channels_first"`: `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        `"channels_last"`: `(batch_size, pooled_dim1, pooled_dim2, pooled_dim3, channels)`; `"channels_first"`: `(batch_size, channels, pooled_dim1, pooled_dim2, pooled_dim3)`.
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
