"""`GaussianNoise`: adds zero-centered Gaussian noise in training; the identity at inference."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.regularization._noise import SeededNoiseMixin, check_rate, check_seed, noise_dtype


@keras_export("keras.layers.GaussianNoise")
class GaussianNoise(SeededNoiseMixin, Layer):
    """Apply additive zero-centered Gaussian noise.

    Useful to mitigate overfitting (a form of random data augmentation). As it is a regularization
    layer, it is only active at training time.

    Args:
        stddev: Float between 0 and 1 (as Keras requires), the standard deviation of the noise.
        seed: Optional integer: the layer then draws its noise from its own generator (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Whether to add noise (training) or return the input unchanged (inference).
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = check_rate(stddev, "stddev")
        self.seed = check_seed(seed)
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = torch.randn(inputs.shape, dtype=noise_dtype(inputs, self), device=inputs.device,
                            generator=self._noise_generator(inputs.device))
        return inputs + noise * self.stddev

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
