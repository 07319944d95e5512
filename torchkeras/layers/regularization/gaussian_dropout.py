"""`GaussianDropout`: multiplies by 1-centered Gaussian noise in training; the identity at inference."""

import math

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization._noise import SeededNoiseMixin, check_rate, check_seed, noise_dtype


@keras_export("keras.layers.GaussianDropout")
class GaussianDropout(SeededNoiseMixin, Layer):
    """Apply multiplicative 1-centered Gaussian noise.

    In training the inputs are multiplied by noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))`; at inference the layer is the identity.

    Args:
        rate: Float between 0 and 1, the drop probability (as with `Dropout`). `rate=1` gives infinite
            noise: it is accepted at construction (as in Keras) and refused by a training call.
        seed: Optional integer: the layer then draws its noise from its own generator (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Whether to apply noise (training) or return the input unchanged (inference).
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.seed = check_seed(seed)
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras
        self._stddev = math.sqrt(rate / (1.0 - rate)) if rate < 1 else math.inf

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            raise ValueError(
                f"GaussianDropout layer '{self.name}' cannot run in training with rate=1: the noise "
                f"standard deviation sqrt(rate / (1 - rate)) is infinite. Received: rate={self.rate}"
            )
        noise = torch.randn(inputs.shape, dtype=noise_dtype(inputs, self), device=inputs.device,
                            generator=self._noise_generator(inputs.device))
        return inputs * (noise * self._stddev + 1.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
