"""`UpSampling1D`: repeats each temporal step `size` times."""

import numbers

from torchkeras.api_export import keras_export
from torchkeras.layers.reshaping._spatial import BaseUpSampling


@keras_export("keras.layers.UpSampling1D")
class UpSampling1D(BaseUpSampling):
    """Upsampling layer for 1D inputs: repeats each temporal step `size` times along the time axis.

    Args:
        size: Positive integer, the upsampling factor.

    Input shape:
        3D tensor `(batch_size, steps, features)`.

    Output shape:
        3D tensor `(batch_size, upsampled_steps, features)`.

    Example:

    >>> UpSampling1D(size=2)(torch.tensor([[[1.0], [2.0]]]))[0, :, 0]
    tensor([1., 1., 2., 2.])
    """

    _rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self._setup((int(size),), "channels_last")
        self.size = int(size)

    def call(self, inputs):
        if self.size == 1:
            return inputs
        return inputs.repeat_interleave(self.size, dim=1)

    def compute_output_shape(self, input_shape):
        steps = self.size * input_shape[1] if input_shape[1] is not None else None
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config
