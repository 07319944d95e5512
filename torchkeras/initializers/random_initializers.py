"""Random initializers: normal, truncated normal, uniform, variance scaling, orthogonal.

Distributions match Keras 3 exactly; random streams do not (torch's generator is used).
Seeding: an integer `seed` makes every call return the same values (as in Keras); `seed=None`
draws from torch's global RNG, so `torch.manual_seed` makes model construction reproducible.
"""

import math
import numbers

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.initializers.initializer import Initializer
from torchkeras.initializers.initializer import standardize_shape

# Standard deviation of a standard normal truncated to [-2, 2].
_TRUNCATED_STD = 0.87962566103423978


def _validate_number(value, name, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a float. Received: {name}={value!r}"
        )
    if positive and not value > 0:
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a positive float. "
            f"Received: {name}={value!r}"
        )
    return value


class RandomInitializer(Initializer):
    """Base class of the random initializers: handles `seed`.

    Args:
        seed: `None`, a Python integer, or the config dict of a Keras
            `SeedGenerator` (which then advances on every call, as in Keras).
    """

    def __init__(self, seed=None):
        self._init_seed = seed
        self._stateful_generator = None
        if seed is None:
            pass
        elif isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
            inner = (seed.get("config") or {}).get("seed")
            self._stateful_generator = torch.Generator().manual_seed(
                int(inner) if inner is not None else int(torch.randint(0, 2**31 - 1, ()).item())
            )
        elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(
                "Invalid value for argument `seed`: expected None or an integer. "
                f"Received: seed={seed!r}"
            )
        self.seed = seed

    def _generator(self):
        """The `torch.Generator` for one call (`None` means torch's global RNG)."""
        if self._stateful_generator is not None:
            return self._stateful_generator
        if self.seed is None:
            return None
        return torch.Generator().manual_seed(int(self.seed))

    @staticmethod
    def _float_dtype(dtype):
        name = backend.standardize_dtype(dtype)
        if not backend.is_float_dtype(name):
            raise ValueError(
                "Random initializers only produce floating point tensors. "
                f"Received: dtype={dtype!r}"
            )
        torch_dtype = backend.to_torch_dtype(name)
        # Sample half precision in float32, then cast.
        sample_dtype = torch.float64 if torch_dtype == torch.float64 else torch.float32
        return torch_dtype, sample_dtype

    def _normal(self, shape, mean, stddev, dtype):
        torch_dtype, sample_dtype = self._float_dtype(dtype)
        out = torch.empty(standardize_shape(shape), dtype=sample_dtype)
        out.normal_(mean=0.0, std=1.0, generator=self._generator())
        return (out * stddev + mean).to(torch_dtype)

    def _truncated_normal(self, shape, mean, stddev, dtype):
        """Normal truncated at two standard deviations from the mean (inverse CDF)."""
        torch_dtype, sample_dtype = self._float_dtype(dtype)
        low = math.erf(-2.0 / math.sqrt(2.0))
        out = torch.empty(standardize_shape(shape), dtype=sample_dtype)
        out.uniform_(low, -low, generator=self._generator())
        out = torch.special.erfinv(out).mul_(math.sqrt(2.0)).clamp_(-2.0, 2.0)
        return (out * stddev + mean).to(torch_dtype)

    def _uniform(self, shape, minval, maxval, dtype):
        torch_dtype, sample_dtype = self._float_dtype(dtype)
        out = torch.empty(standardize_shape(shape), dtype=sample_dtype)
        out.uniform_(0.0, 1.0, generator=self._generator())
        return (out * (maxval - minval) + minval).to(torch_dtype)

    def get_config(self):
        from torchkeras.saving import serialization

        return {"seed": serialization.serialize_keras_object(self._init_seed)}


class _MeanStddevInitializer(RandomInitializer):
    """Shared by the normal initializers: a `mean`, a `stddev` and a seed."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _validate_number(mean, "mean")
        self.stddev = _validate_number(stddev, "stddev")
        super().__init__(seed=seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@keras_export("keras.initializers.RandomNormal", "keras.initializers.random_normal")
class RandomNormal(_MeanStddevInitializer):
    """Random normal initializer.

    Args:
        mean: Mean of the random values to generate.
        stddev: Standard deviation of the random values to generate.
        seed: `None` or a Python integer. An integer seed makes every call
            return the same values.
    """

    def __call__(self, shape, dtype=None):
        return self._normal(shape, self.mean, self.stddev, dtype)


@keras_export("keras.initializers.TruncatedNormal", "keras.initializers.truncated_normal")
class TruncatedNormal(_MeanStddevInitializer):
    """Truncated normal initializer: values beyond two standard deviations are redrawn.

    Args:
        mean: Mean of the random values to generate.
        stddev: Standard deviation of the normal distribution before truncation.
        seed: `None` or a Python integer. An integer seed makes every call
            return the same values.
    """

    def __call__(self, shape, dtype=None):
        return self._truncated_normal(shape, self.mean, self.stddev, dtype)


@keras_export("keras.initializers.RandomUniform", "keras.initializers.random_uniform")
class RandomUniform(RandomInitializer):
    """Random uniform initializer on `[minval, maxval)`.

    Args:
        minval: Lower bound of the range (inclusive).
        maxval: Upper bound of the range (exclusive).
        seed: `None` or a Python integer. An integer seed makes every call
            return the same values.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _validate_number(minval, "minval")
        self.maxval = _validate_number(maxval, "maxval")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """Computes the number of input and output units for a weight shape.

    The last axis is the output axis, the one before the input axis, and any
    leading axes form the receptive field (Keras kernel layout).

    Args:
        shape: Integer shape tuple.
        input_axes: Optional list of axes counted as input units.
        output_axes: Optional list of axes counted as output units.

    Returns:
        A tuple of integers `(fan_in, fan_out)`.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = 1
        for axis in input_axes:
            fan_in *= shape[axis]
        fan_out = 1
        for axis in output_axes:
            fan_out *= shape[axis]
        return int(fan_in), int(fan_out)
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field_size = 1
        for dim in shape[:-2]:
            receptive_field_size *= dim
        fan_in = shape[-2] * receptive_field_size
        fan_out = shape[-1] * receptive_field_size
    return int(fan_in), int(fan_out)


@keras_export("keras.initializers.VarianceScaling", "keras.initializers.variance_scaling")
class VarianceScaling(RandomInitializer):
    """Initializer that adapts its scale to the shape of its input tensors.

    With `distribution="truncated_normal"` or `"untruncated_normal"`, samples
    have zero mean and standard deviation (after truncation) `sqrt(scale / n)`;
    with `"uniform"`, samples lie in `[-limit, limit]` with
    `limit = sqrt(3 * scale / n)`. `n` is fan_in, fan_out or their average,
    per `mode`.

    Args:
        scale: Scaling factor (positive float).
        mode: One of `"fan_in"`, `"fan_out"`, `"fan_avg"`.
        distribution: One of `"truncated_normal"` (alias `"normal"`),
            `"untruncated_normal"`, `"uniform"`.
        seed: `None` or a Python integer. An integer seed makes every call
            return the same values.
        input_axes: Optional list of integers, the axes counted for fan-in.
        output_axes: Optional list of integers, the axes counted for fan-out.
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        _validate_number(scale, "scale", positive=True)
        allowed_modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in allowed_modes:
            raise ValueError(
                f"Invalid value for argument `mode`: expected one of {allowed_modes}. "
                f"Received: mode={mode!r}"
            )
        allowed_distributions = ("uniform", "truncated_normal", "untruncated_normal")
        if not isinstance(distribution, str) or distribution.lower() not in (
            *allowed_distributions,
            "normal",
        ):
            raise ValueError(
                "Invalid value for argument `distribution`: expected one of "
                f"{allowed_distributions}. Received: distribution={distribution!r}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        scale = self.scale
        fan_in, fan_out = compute_fans(shape, input_axes=self.input_axes, output_axes=self.output_axes)
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / _TRUNCATED_STD
            return self._truncated_normal(shape, 0.0, stddev, dtype)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return self._uniform(shape, -limit, limit, dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A `VarianceScaling` whose scale, mode and distribution are fixed."""

    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(
            scale=self._scale,
            mode=self._mode,
            distribution=self._distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        from torchkeras.saving import serialization

        return {
            "seed": serialization.serialize_keras_object(self._init_seed),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


_FIXED_ARGS_DOC = """
    Args:
        seed: `None` or a Python integer. An integer seed makes every call
            return the same values.
        input_axes: Optional list of integers, the axes counted for fan-in.
        output_axes: Optional list of integers, the axes counted for fan-out.
    """


@keras_export("keras.initializers.GlorotUniform", "keras.initializers.glorot_uniform")
class GlorotUniform(_FixedVarianceScaling):
    __doc__ = "Glorot (Xavier) uniform initializer: `U(-limit, limit)`, `limit = sqrt(6 / (fan_in + fan_out))`.\n" + _FIXED_ARGS_DOC
    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


@keras_export("keras.initializers.GlorotNormal", "keras.initializers.glorot_normal")
class GlorotNormal(_FixedVarianceScaling):
    __doc__ = "Glorot (Xavier) normal initializer: truncated normal, `stddev = sqrt(2 / (fan_in + fan_out))`.\n" + _FIXED_ARGS_DOC
    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


@keras_export("keras.initializers.LecunNormal", "keras.initializers.lecun_normal")
class LecunNormal(_FixedVarianceScaling):
    __doc__ = "Lecun normal initializer: truncated normal, `stddev = sqrt(1 / fan_in)`.\n" + _FIXED_ARGS_DOC
    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


@keras_export("keras.initializers.LecunUniform", "keras.initializers.lecun_uniform")
class LecunUniform(_FixedVarianceScaling):
    __doc__ = "Lecun uniform initializer: `U(-limit, limit)`, `limit = sqrt(3 / fan_in)`.\n" + _FIXED_ARGS_DOC
    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


@keras_export("keras.initializers.HeNormal", "keras.initializers.he_normal")
class HeNormal(_FixedVarianceScaling):
    __doc__ = "He normal initializer: truncated normal, `stddev = sqrt(2 / fan_in)`.\n" + _FIXED_ARGS_DOC
    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


@keras_export("keras.initializers.HeUniform", "keras.initializers.he_uniform")
class HeUniform(_FixedVarianceScaling):
    __doc__ = "He uniform initializer: `U(-limit, limit)`, `limit = sqrt(6 / fan_in)`.\n" + _FIXED_ARGS_DOC
    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


@keras_export(
    "keras.initializers.Orthogonal",
    "keras.initializers.orthogonal",
    "keras.initializers.OrthogonalInitializer",
)
class Orthogonal(RandomInitializer):
    """Initializer that generates an orthogonal matrix.

    The tensor is viewed as a matrix `(prod(shape[:-1]), shape[-1])`, filled
    from the QR decomposition of a normal random matrix (orthogonal columns,
    or orthogonal rows when there are fewer rows than columns).

    Args:
        gain: Multiplicative factor to apply to the orthogonal matrix.
        seed: `None` or a Python integer. An integer seed makes every call
            return the same values.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _validate_number(gain, "gain")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        torch_dtype, sample_dtype = self._float_dtype(dtype)
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))
        a = torch.empty(flat_shape, dtype=sample_dtype)
        a.normal_(generator=self._generator())
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if num_rows < num_cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(torch_dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}
