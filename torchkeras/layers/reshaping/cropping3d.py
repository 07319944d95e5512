"""`Cropping3D`: crops the three spatial axes of a 5D (volume) input (a view, no copy)."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseCropping, standardize_pairs


@keras_export("keras.layers.Cropping3D")
class Cropping3D(BaseCropping):
    """Cropping layer for 3D data (e.g. spatial or spatio-temporal).

    The output is a view of the input (slicing), never a copy.

    Args:
        cropping: Int, or tuple of 3 ints, or tuple of 3 tuples of 2 ints.
            - int: the same symmetric cropping on every spatial axis.
            - 3 ints: one symmetric cropping per spatial axis.
            - 3 tuples of 2 ints: `((left_dim1_crop, right_dim1_crop), (left_dim2_crop, right_dim2_crop), (left_dim3_crop, right_dim3_crop))`.
        data_format: `"channels_last"` (default, `(batch, dim1, dim2, dim3, channels)`) or `"channels_first"` (`(batch, channels, dim1, dim2, dim3)`).

    Input shape:
        3D spatial input plus batch and channels: a 5D tensor.

    Output shape:
        The input shape, each spatial axis shrunk by its two croppings.
    """

    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_pairs(cropping, 3, "cropping")
        self._setup(self.cropping, data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config
