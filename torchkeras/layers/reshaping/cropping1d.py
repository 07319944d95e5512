"""`Cropping1D`: crops the temporal axis of a 3D input (a view, no copy)."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseCropping, standardize_tuple


@keras_export("keras.layers.Cropping1D")
class Cropping1D(BaseCropping):
    """Cropping layer for 1D input (e.g. temporal sequence).

    It crops along the time dimension (axis 1). The output is a view of the input.

    Args:
        cropping: Int, or tuple of 2 ints. How many units to trim off at the beginning and end of the
            cropping dimension (axis 1). An int trims the same amount on both sides.

    Input shape:
        3D tensor `(batch_size, axis_to_crop, features)`.

    Output shape:
        3D tensor `(batch_size, cropped_axis, features)`.

    Example:

    >>> Cropping1D(cropping=(1, 0))(torch.arange(3.0).reshape(1, 3, 1))[0, :, 0]
    tensor([1., 2.])
    """

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        self._setup(self.cropping, "channels_last")

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config
