"""Shared helpers of the noise layers: argument checks and the seeded-generator handling of `Dropout`."""

import numbers

import torch


def check_rate(value, name="rate"):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value between 0 and 1. "
            f"Received: {name}={value}"
        )
    return value


def check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(
            f"Invalid value received for argument `seed`. Expected None or an integer. Received: seed={seed!r}"
        )
    return seed


class SeededNoiseMixin:
    """With a seed, draws come from the layer's own generator (one per device); without one, or under
    `torch.compile` (which cannot trace an explicit generator), from torch's global RNG."""

    def _noise_generator(self, device):
        if self.seed is None or torch.compiler.is_compiling():
            return None
        generators = self.__dict__.setdefault("_noise_generators", {})
        generator = generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(int(self.seed))
            generators[device] = generator
        return generator


def noise_dtype(inputs, layer):
    """The dtype of the noise: the input's when it is floating, else the layer's compute dtype."""
    if inputs.is_floating_point():
        return inputs.dtype
    return getattr(torch, str(layer.compute_dtype))
