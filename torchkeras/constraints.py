"""Weight constraints, as in `keras.constraints` (Keras 3.15). `constraint(w)` returns the projected tensor."""

import inspect

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export

# Keras's `backend.epsilon()`.
EPSILON = 1e-7


def _norms(w, axis):
    if isinstance(axis, list):
        axis = tuple(axis)
    return torch.sqrt(torch.sum(torch.square(w), dim=axis, keepdim=True))


@keras_export("keras.constraints.Constraint")
class Constraint:
    """Base class for weight constraints: a stateless projection `w -> w'`."""

    def __call__(self, w):
        """Applies the constraint to `w` (the base class returns it unchanged)."""
        return w

    def get_config(self):
        """Returns the constraint's config (a JSON-serializable dict)."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Instantiates a constraint from its config (the output of `get_config`)."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"


@keras_export("keras.constraints.MaxNorm", "keras.constraints.max_norm")
class MaxNorm(Constraint):
    """Constrains the norm of the weights incident to each unit to be at most `max_value`.

    Args:
        max_value: The maximum norm of the incoming weights.
        axis: Integer or list of integers, the axes over which norms are
            computed (`0` for a Dense kernel `(input_dim, units)`,
            `[0, 1, 2]` for a Conv2D kernel `(rows, cols, in, out)`).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = torch.clip(norms, 0, self.max_value)
        return w.to(norms.dtype) * (desired / (EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@keras_export("keras.constraints.NonNeg", "keras.constraints.non_neg")
class NonNeg(Constraint):
    """Constrains the weights to be non-negative."""

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        return torch.maximum(w, torch.zeros((), dtype=w.dtype, device=w.device))


@keras_export("keras.constraints.UnitNorm", "keras.constraints.unit_norm")
class UnitNorm(Constraint):
    """Constrains the weights incident to each unit to have unit norm.

    Args:
        axis: Integer or list of integers, the axes over which norms are computed.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return w.to(norms.dtype) / (EPSILON + norms)

    def get_config(self):
        return {"axis": self.axis}


@keras_export("keras.constraints.MinMaxNorm", "keras.constraints.min_max_norm")
class MinMaxNorm(Constraint):
    """Constrains the norm of the weights incident to each unit to lie in `[min_value, max_value]`.

    Args:
        min_value: The minimum norm of the incoming weights.
        max_value: The maximum norm of the incoming weights.
        rate: Rescaling rate: weights are rescaled to
            `(1 - rate) * norm + rate * norm.clip(min_value, max_value)`.
        axis: Integer or list of integers, the axes over which norms are computed.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w.to(norms.dtype) * (desired / (EPSILON + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

ALL_OBJECTS = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
ALL_OBJECTS_DICT = {
    "Constraint": Constraint,
    "constraint": Constraint,
    "MaxNorm": MaxNorm,
    "max_norm": MaxNorm,
    "MinMaxNorm": MinMaxNorm,
    "min_max_norm": MinMaxNorm,
    "NonNeg": NonNeg,
    "non_neg": NonNeg,
    "UnitNorm": UnitNorm,
    "unit_norm": UnitNorm,
}


@keras_export("keras.constraints.serialize")
def serialize(constraint):
    """Returns the constraint's Keras config dict."""
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(constraint)


@keras_export("keras.constraints.deserialize")
def deserialize(config, custom_objects=None):
    """Returns a constraint from its config (or name)."""
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


@keras_export("keras.constraints.get")
def get(identifier):
    """Retrieves a constraint.

    Args:
        identifier: `None`, a name (`"max_norm"`, `"MaxNorm"`...), a config
            dict, a class, an instance, or a callable `fn(w) -> w`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        if inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(
        f"Could not interpret constraint identifier: {identifier!r}. Expected None, a "
        f"callable, a config dict, or one of {sorted(ALL_OBJECTS_DICT)}."
    )
