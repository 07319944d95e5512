"""`AdaptiveAveragePooling1D`: average pooling to a fixed output size."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_adaptive_pooling import BaseAdaptiveAveragePooling


@keras_export("keras.layers.AdaptiveAveragePooling1D")
class AdaptiveAveragePooling1D(BaseAdaptiveAveragePooling):
    """Adaptive average pooling operation for 1D data.

    Pools the input so that its length become `output_size`, whatever the input size; the windows are
    torch's adaptive windows (`[floor(i * n / out), ceil((i + 1) * n / out))`), as in Keras's torch backend.

    Args:
        output_size: Integer or tuple of 1 integer, the target output size.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `"channels_last"`: `(batch_size, length, channels)`; `"channels_first"`: `(batch_size, channels, length)`.

    Output shape:
        The input shape with the spatial sizes replaced by `output_size`.
    """

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, pool_dimensions=1, **kwargs)
