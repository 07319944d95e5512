"""`Dropout`: zeroes a random fraction `rate` of the inputs in training, scaling the rest by
`1 / (1 - rate)`; the identity at inference."""

import numbers

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Dropout")
class Dropout(Layer):
    """Applies dropout to the input.

    In training (`training=True`), each input unit is set to 0 with probability `rate` and the others are
    scaled up by `1 / (1 - rate)`, so that the expected sum is unchanged. At inference the layer returns
    its input unchanged. `trainable` has no effect: the layer has no weights.

    Args:
        rate: Float between 0 and 1, the fraction of the input units to drop.
        noise_shape: Optional shape of the binary dropout mask that multiplies the input, e.g.
            `(batch_size, 1, features)` to drop the same features at every timestep. `None` entries take
            the input's size on that axis.
        seed: Optional Python integer. With a seed, the layer draws its masks from its own generator
            (reproducible sequences of masks); without one, or under `torch.compile`, from torch's
            global RNG (`torch.manual_seed` makes it reproducible). Random streams differ from Keras's.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Whether to apply dropout (training) or return the input (inference).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                f"Received: rate={rate}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(
                f"Invalid value received for argument `seed`. Expected None or an integer. "
                f"Received: seed={seed!r}"
            )
        self.rate = rate
        self.seed = seed
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras
        self._keep_prob = 1.0 - float(rate)
        self._generators = {}  # device -> torch.Generator, when seeded

    @staticmethod
    def _validate_noise_shape(noise_shape):
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected a tuple or list of "
                f"integers. Received: noise_shape={noise_shape}"
            )
        try:
            noise_shape = tuple(noise_shape)
        except TypeError:
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected an iterable of integers "
                f"(e.g., a tuple or list). Received: noise_shape={noise_shape}"
            ) from None
        for i, dim in enumerate(noise_shape):
            if dim is None:
                continue
            if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
                raise ValueError(
                    "Invalid value received for argument `noise_shape`. Expected all elements to be "
                    f"integers or None. Received: noise_shape={noise_shape} (element at index {i}: "
                    f"{dim!r} of type {type(dim).__name__})"
                )
            if dim <= 0:
                raise ValueError(
                    "Invalid value received for argument `noise_shape`. Expected all dimensions to be "
                    f"positive integers or None. Received: noise_shape={noise_shape}"
                )
        return tuple(None if d is None else int(d) for d in noise_shape)

    def _generator(self, device):
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(int(self.seed))
            self._generators[device] = generator
        return generator

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs.masked_fill(torch.ones((), dtype=torch.bool, device=inputs.device), 0)
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, p=self.rate, training=True)
        if self.noise_shape is None:
            shape = inputs.shape
        else:
            if len(self.noise_shape) != inputs.dim():
                raise ValueError(
                    f"Dropout layer '{self.name}': `noise_shape` must have the rank of the inputs. "
                    f"Received: noise_shape={self.noise_shape}, inputs.shape={tuple(inputs.shape)}"
                )
            shape = [s if n is None else n for n, s in zip(self.noise_shape, inputs.shape)]
        generator = None
        if self.seed is not None and not torch.compiler.is_compiling():
            # torch.compile cannot trace an explicit generator: compiled code draws from torch's
            # global RNG (seeded by `torch.manual_seed`) instead.
            generator = self._generator(inputs.device)
        mask_dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        keep = torch.empty(shape, dtype=mask_dtype, device=inputs.device)
        keep.bernoulli_(self._keep_prob, generator=generator)
        return torch.where(keep.bool(), inputs / self._keep_prob, 0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
