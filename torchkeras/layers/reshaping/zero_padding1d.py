"""`ZeroPadding1D`: pads the temporal axis of a 3D input with zeros."""

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseZeroPadding, standardize_tuple


@keras_export("keras.layers.ZeroPadding1D")
class ZeroPadding1D(BaseZeroPadding):
    """Zero-padding layer for 1D input (e.g. temporal sequence).

    Args:
        padding: Int, or tuple of 2 ints. An int `p` adds `p` zeros at the start and at the end of the
            padding axis; a tuple `(left_pad, right_pad)` says how many zeros go on each side.
        data_format: `"channels_last"` (default, inputs `(batch, axis_to_pad, features)`) or
            `"channels_first"` (inputs `(batch, features, axis_to_pad)`).

    Input shape:
        3D tensor.

    Output shape:
        3D tensor, the padding axis grown by `left_pad + right_pad`.

    Example:

    >>> ZeroPadding1D(padding=(1, 2))(torch.ones(1, 2, 1))[0, :, 0]
    tensor([0., 1., 1., 0., 0.])
    """

    _rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._setup((standardize_tuple(padding, 2, "padding", allow_zero=True),), data_format)
        self.padding = self.padding[0]

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        if output_shape[axis] is not None:
            output_shape[axis] += self.padding[0] + self.padding[1]
        return tuple(output_shape)
