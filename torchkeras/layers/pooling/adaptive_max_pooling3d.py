"""`AdaptiveMaxPooling3D`: max pooling to a fixed output size."""

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_adaptive_pooling import BaseAdaptiveMaxPooling


@keras_export("keras.layers.AdaptiveMaxPooling3D")
class AdaptiveMaxPooling3D(BaseAdaptiveMaxPooling):
    """Adaptive max pooling operation for 3D data.

    Pools the input so that its depth, height and width become `output_size`, whatever the input size; the windows are
    torch's adaptive windows (`[floor(i * n / out), ceil((i + 1) * n / out))`), as in Keras's torch backend.

    Args:
        output_size: Integer or tuple of 3 integers, the target output size.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `"channels_last"`: `(batch_size, depth, height, width, channels)`; `"channels_first"`: `(batch_size, channels, depth, height, width)`.

    Output shape:
        The input shape with the spatial sizes replaced by `output_size`.
    """

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, pool_dimensions=3, **kwargs)
