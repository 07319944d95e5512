"""`UpSampling3D`: repeats the three spatial axes of a 5D (volume) input."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseUpSampling, standardize_tuple


@keras_export("keras.layers.UpSampling3D")
class UpSampling3D(BaseUpSampling):
    """Upsampling layer for 3D inputs: repeats dim1, dim2 and dim3 by `size[0]`, `size[1]`, `size[2]`.

    Args:
        size: Int, or tuple of 3 integers, the upsampling factors for dim1, dim2 and dim3.
        data_format: `"channels_last"` (default, `(batch, dim1, dim2, dim3, channels)`) or
            `"channels_first"` (`(batch, channels, dim1, dim2, dim3)`).

    Input shape:
        5D tensor.

    Output shape:
        5D tensor, each spatial axis multiplied by its factor.
    """

    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._setup(standardize_tuple(size, 3, "size"), data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
