"""`AdaptiveAveragePooling2D`: average pooling to a fixed output size."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_adaptive_pooling import BaseAdaptiveAveragePooling


@keras_export("keras.layers.AdaptiveAveragePooling2D")
class AdaptiveAveragePooling2D(BaseAdaptiveAveragePooling):
    """Adaptive average pooling operation for 2D data.

    Pools the input so that its height and width become `output_size`, whatever the input size; the windows are
    torch's adaptive windows (`[floor(i * n / out), ceil((i + 1) * n / out))`), as in Keras's torch backend.

    Args:
        output_size: Integer or tuple of 2 integers, the target output size.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `"channels_last"`: `(batch_size, height, width, channels)`; `"channels_first"`: `(batch_size, channels, height, width)`.

    Output shape:
        The input shape with the spatial sizes replaced by `output_size`.
    """

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, pool_dimensions=2, **kwargs)
