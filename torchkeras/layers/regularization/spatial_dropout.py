"""`SpatialDropout1D/2D/3D`: dropout of whole feature maps (channels) instead of single elements."""

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.regularization.dropout import Dropout


class BaseSpatialDropout(Dropout):
    """Dropout whose mask has size 1 on the spatial axes: a channel is dropped everywhere or nowhere.

    As in Keras, the constructor takes only `rate`, `seed`, `name`, `dtype` (and `data_format` in
    2D/3D), and `get_config` returns only those (with `dtype` as a plain string).
    """

    _rank = None

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = "channels_last"
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _mask_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + (1,) * self._rank
        return (shape[0],) + (1,) * self._rank + (shape[-1],)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        if self.input_spec.ndim != inputs.dim():
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank {self.input_spec.ndim}. "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        generator = None
        if self.seed is not None and not torch.compiler.is_compiling():
            generator = self._generator(inputs.device)
        mask_dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        keep = torch.empty(self._mask_shape(inputs.shape), dtype=mask_dtype, device=inputs.device)
        keep.bernoulli_(self._keep_prob, generator=generator)
        # The (batch, 1, ..., channels) mask broadcasts inside `where`: no full-size mask is made.
        return torch.where(keep.bool(), inputs / self._keep_prob, 0)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype_policy.name}


@keras_export("keras.layers.SpatialDropout1D")
class SpatialDropout1D(BaseSpatialDropout):
    """Spatial 1D version of Dropout.

    Drops entire 1D feature maps: in training, each channel of each sample is zeroed at every timestep
    with probability `rate` (the kept ones scaled by `1 / (1 - rate)`); at inference the identity.
    Useful when adjacent frames are strongly correlated, where plain dropout would not regularize.

    Args:
        rate: Float between 0 and 1, the fraction of the channels to drop.
        seed: Optional integer: the layer then draws its masks from its own generator.

    Call arguments:
        inputs: A 3D tensor `(samples, timesteps, channels)`.
        training: Whether to apply dropout (training) or return the input (inference).
    """

    _rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)


class _SpatialDropoutND(BaseSpatialDropout):
    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = backend.standardize_data_format(data_format)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@keras_export("keras.layers.SpatialDropout2D")
class SpatialDropout2D(_SpatialDropoutND):
    """Spatial 2D version of Dropout.

    Drops entire 2D feature maps: in training, each channel of each sample is zeroed over the whole
    image with probability `rate` (the kept ones scaled by `1 / (1 - rate)`); at inference the identity.

    Args:
        rate: Float between 0 and 1, the fraction of the channels to drop.
        data_format: `"channels_last"` (default, `(samples, rows, cols, channels)`) or `"channels_first"`
            (`(samples, channels, rows, cols)`).
        seed: Optional integer: the layer then draws its masks from its own generator.

    Call arguments:
        inputs: A 4D tensor.
        training: Whether to apply dropout (training) or return the input (inference).
    """

    _rank = 2


@keras_export("keras.layers.SpatialDropout3D")
class SpatialDropout3D(_SpatialDropoutND):
    """Spatial 3D version of Dropout.

    Drops entire 3D feature maps: in training, each channel of each sample is zeroed over the whole
    volume with probability `rate` (the kept ones scaled by `1 / (1 - rate)`); at inference the identity.

    Args:
        rate: Float between 0 and 1, the fraction of the channels to drop.
        data_format: `"channels_last"` (default, `(samples, dim1, dim2, dim3, channels)`) or
            `"channels_first"` (`(samples, channels, dim1, dim2, dim3)`).
        seed: Optional integer: the layer then draws its masks from its own generator.

    Call arguments:
        inputs: A 5D tensor.
        training: Whether to apply dropout (training) or return the input (inference).
    """

    _rank = 3
