"""`AlphaDropout`: dropout that keeps the self-normalizing property of SELU activations."""

import numbers

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization._noise import SeededNoiseMixin, check_rate, check_seed

# SELU's constants, to the digits Keras writes them.
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946
_ALPHA_P = -_ALPHA * _SCALE


@keras_export("keras.layers.AlphaDropout")
class AlphaDropout(SeededNoiseMixin, Layer):
    """Applies Alpha Dropout to the input.

    In training, each unit is set with probability `rate` to SELU's negative saturation value
    `alpha_p = -alpha * scale`, then the result is transformed as `a * x + b` with
    `a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5` and `b = -a * alpha_p * rate`, which keeps the
    mean and variance of standardized inputs. At inference the layer is the identity.

    Args:
        rate: Float between 0 and 1, the drop probability. `rate=1` is accepted at construction (as in
            Keras) and refused by a training call (`a` would be infinite).
        noise_shape: Optional shape of the binary keep mask (`None` entries take the input's size).
            Kept in the config exactly as given, as Keras does.
        seed: Optional integer: the layer then draws its masks from its own generator (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Whether to apply dropout (training) or return the input unchanged (inference).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.seed = check_seed(seed)
        self.noise_shape = noise_shape
        self._noise_shape = self._validate_noise_shape(noise_shape)
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras
        if 0 < rate < 1:
            self._a = ((1 - rate) * (1 + rate * _ALPHA_P**2)) ** -0.5
            self._b = -self._a * _ALPHA_P * rate

    @staticmethod
    def _validate_noise_shape(noise_shape):
        if noise_shape is None:
            return None
        try:
            dims = tuple(noise_shape)
        except TypeError:
            dims = None
        if dims is None or isinstance(noise_shape, str) or any(
                d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0)
                for d in dims):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected a tuple or list of positive "
                f"integers or None. Received: noise_shape={noise_shape}"
            )
        return tuple(None if d is None else int(d) for d in dims)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            raise ValueError(
                f"AlphaDropout layer '{self.name}' cannot run in training with rate=1: its affine "
                f"correction ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5 is infinite. "
                f"Received: rate={self.rate}"
            )
        if self._noise_shape is None:
            shape = inputs.shape
        else:
            if len(self._noise_shape) != inputs.dim():
                raise ValueError(
                    f"AlphaDropout layer '{self.name}': `noise_shape` must have the rank of the inputs. "
                    f"Received: noise_shape={self.noise_shape}, inputs.shape={tuple(inputs.shape)}"
                )
            shape = [s if n is None else n for n, s in zip(self._noise_shape, inputs.shape)]
        dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        uniform = torch.rand(shape, dtype=dtype, device=inputs.device,
                             generator=self._noise_generator(inputs.device))
        # Keras: x = inputs * kept + alpha_p * (1 - kept); the same values without the two products.
        x = torch.where(uniform >= self.rate, inputs, _ALPHA_P)
        return self._a * x + self._b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
