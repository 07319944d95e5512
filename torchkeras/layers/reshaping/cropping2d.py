"""`Cropping2D`: crops the rows and columns of a 4D (image) input (a view, no copy)."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseCropping, standardize_pairs


@keras_export("keras.layers.Cropping2D")
class Cropping2D(BaseCropping):
    """Cropping layer for 2D input (e.g. picture).

    The output is a view of the input (slicing), never a copy.

    Args:
        cropping: Int, or tuple of 2 ints, or tuple of 2 tuples of 2 ints.
            - int: the same symmetric cropping on every spatial axis.
            - 2 ints: one symmetric cropping per spatial axis.
            - 2 tuples of 2 ints: `((top_crop, bottom_crop), (left_crop, right_crop))`.
        data_format: `"channels_last"` (default, `(batch, height, width, channels)`) or `"channels_first"` (`(batch, channels, height, width)`).

    Input shape:
        2D spatial input plus batch and channels: a 4D tensor.

    Output shape:
        The input shape, each spatial axis shrunk by its two croppings.
    """

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_pairs(cropping, 2, "cropping")
        self._setup(self.cropping, data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config
