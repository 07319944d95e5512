"""`AveragePooling1D`: the average over a sliding window, for temporal data."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_pooling import BasePooling


@keras_export("keras.layers.AveragePooling1D", "keras.layers.AvgPool1D")
class AveragePooling1D(BasePooling):
    """Average pooling operation for temporal data.

    Downsamples the input along its spatial axes (steps) by taking the average over a window of
    `pool_size`, shifted by `strides`. With `padding="valid"` each output size is
    `floor((input_size - pool_size) / strides) + 1`; with `padding="same"` it is
    `floor((input_size - 1) / strides) + 1`.

    With `padding="same"`, padding that is symmetric on every axis is left out of each
    average; when some axis pads asymmetrically (the extra element on the right), every axis is
    padded by replicating its edge values, and those count in the average, as in Keras's torch
    backend.

    Args:
        pool_size: int or tuple of 1 integers, the size of the pooling window.
        strides: int, tuple of 1 integers, or `None` (default: `pool_size`).
        padding: `"valid"` (default) or `"same"` (case-insensitive).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `"channels_last"`: `(batch_size, steps, features)`; `"channels_first"`: `(batch_size, features, steps)`.

    Output shape:
        `"channels_last"`: `(batch_size, pooled_steps, features)`; `"channels_first"`: `(batch_size, features, pooled_steps)`.
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="average", padding=padding,
                         data_format=data_format, name=name, **kwargs)
