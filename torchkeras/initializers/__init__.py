"""Weight initializers, as in `keras.initializers` (Keras 3.15).

Every initializer is called as `init(shape, dtype=None)` and returns a CPU `torch.Tensor`.
"""

import inspect
import re

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.initializers.constant_initializers import STFT
from torchkeras.initializers.constant_initializers import Constant
from torchkeras.initializers.constant_initializers import Identity
from torchkeras.initializers.constant_initializers import Ones
from torchkeras.initializers.constant_initializers import Zeros
from torchkeras.initializers.initializer import Initializer
from torchkeras.initializers.random_initializers import GlorotNormal
from torchkeras.initializers.random_initializers import GlorotUniform
from torchkeras.initializers.random_initializers import HeNormal
from torchkeras.initializers.random_initializers import HeUniform
from torchkeras.initializers.random_initializers import LecunNormal
from torchkeras.initializers.random_initializers import LecunUniform
from torchkeras.initializers.random_initializers import Orthogonal
from torchkeras.initializers.random_initializers import RandomInitializer
from torchkeras.initializers.random_initializers import RandomNormal
from torchkeras.initializers.random_initializers import RandomUniform
from torchkeras.initializers.random_initializers import TruncatedNormal
from torchkeras.initializers.random_initializers import VarianceScaling
from torchkeras.initializers.random_initializers import compute_fans

# Keras's snake_case aliases (the classes themselves).
constant = Constant
zeros = Zeros
ones = Ones
identity = Identity
IdentityInitializer = Identity
stft = STFT
STFTInitializer = STFT
random_normal = RandomNormal
truncated_normal = TruncatedNormal
random_uniform = RandomUniform
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
he_uniform = HeUniform
he_normal = HeNormal
orthogonal = Orthogonal
OrthogonalInitializer = Orthogonal


def _to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


ALL_OBJECTS = (
    Initializer,
    Constant,
    Identity,
    Ones,
    STFT,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({_to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update(
    {
        "IdentityInitializer": Identity,
        "normal": RandomNormal,
        "one": Ones,
        "STFTInitializer": STFT,
        "OrthogonalInitializer": Orthogonal,
        "uniform": RandomUniform,
        "zero": Zeros,
    }
)


@keras_export("keras.initializers.serialize")
def serialize(initializer):
    """Returns the initializer's Keras config dict."""
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(initializer)


@keras_export("keras.initializers.deserialize")
def deserialize(config, custom_objects=None):
    """Returns an initializer from its config (or name)."""
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


@keras_export("keras.initializers.get")
def get(identifier):
    """Retrieves an initializer from an identifier.

    Args:
        identifier: `None`, a name (`"glorot_uniform"` or `"GlorotUniform"`),
            a config dict, an `Initializer` class or instance, a callable
            `fn(shape, dtype=None)`, or a tensor / numpy array holding the
            values themselves.

    Returns:
        An initializer (or callable), or `None` for `None`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    elif isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        values = identifier

        def initialize_fn(shape, dtype=None):
            expected = tuple(values.shape)
            if tuple(int(d) for d in shape) != expected:
                raise ValueError(
                    f"Expected `shape` to be {expected} for a tensor used as initializer. "
                    f"Received: shape={tuple(shape)}"
                )
            return backend.convert_to_tensor(values, dtype=backend.standardize_dtype(dtype)).clone()

        obj = initialize_fn
    else:
        obj = identifier

    if callable(obj):
        if inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Expected None, one of "
        f"the names {sorted(ALL_OBJECTS_DICT)}, a config dict, an Initializer class or "
        "instance, a callable `fn(shape, dtype=None)`, or a tensor."
    )


__all__ = [
    "ALL_OBJECTS",
    "ALL_OBJECTS_DICT",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
