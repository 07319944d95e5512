import inspect
import os

import numpy as np
import pytest
import torch

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from torchkeras import activations  # noqa: E402
from torchkeras import saving  # noqa: E402

RNG = np.random.default_rng(0)
X = np.concatenate(
    [
        RNG.normal(size=200) * 4,
        np.array([0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 0.5, -0.5, 25.0, -25.0, 80.0, -80.0]),
    ]
).astype("float32")
X = np.concatenate([X, np.zeros(16 - len(X) % 16, dtype="float32")]).reshape(-1, 16)

CASES = [
    (name, {})
    for name in sorted(activations.ALL_OBJECTS_DICT)
    if name not in ("threshold",)
] + [
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 4.5}),
    ("relu", {"threshold": 1.5}),
    ("relu", {"negative_slope": 0.3, "max_value": 6.0, "threshold": -1.0}),
    ("relu", {"negative_slope": 0.3, "max_value": 2.0}),
    ("leaky_relu", {"negative_slope": 0.01}),
    ("elu", {"alpha": 0.5}),
    ("celu", {"alpha": 2.0}),
    ("gelu", {"approximate": True}),
    ("gelu", {"approximate": False}),
    ("softmax", {"axis": 0}),
    ("softmax", {"axis": (0, 1)}),
    ("log_softmax", {"axis": 0}),
    ("sparsemax", {"axis": 0}),
    ("glu", {"axis": 0}),
    ("squareplus", {"b": 1}),
    ("soft_shrink", {"threshold": 1.0}),
    ("hard_shrink", {"threshold": 1.0}),
    ("threshold", {"threshold": 0.5, "default_value": -2.0}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_activation_matches_keras(name, kwargs):
    ours = activations.get(name)(torch.from_numpy(X.copy()), **kwargs)
    theirs = keras.ops.convert_to_numpy(keras.activations.get(name)(keras.ops.convert_to_tensor(X), **kwargs))
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5, rtol=1e-5)


def test_same_names_and_signatures():
    keras_names = {
        n for n, f in vars(keras.activations).items() if inspect.isfunction(f) and n not in ("get", "serialize", "deserialize")
    }
    assert keras_names == set(activations.ALL_OBJECTS_DICT)
    for name in keras_names:
        assert inspect.signature(activations.ALL_OBJECTS_DICT[name]) == inspect.signature(getattr(keras.activations, name)), name
    assert inspect.signature(activations.gelu).parameters["approximate"].default is False


@pytest.mark.parametrize("name", sorted(activations.ALL_OBJECTS_DICT))
def test_serialization_matches_keras(name):
    ours, theirs = activations.get(name), keras.activations.get(name)
    assert activations.serialize(ours) == keras.activations.serialize(theirs)
    keras_config = keras.saving.serialize_keras_object(theirs)
    assert saving.serialize_keras_object(ours) == keras_config
    assert saving.deserialize_keras_object(keras_config).__name__ == theirs.__name__
    assert activations.get(keras_config).__name__ == theirs.__name__


def test_dense_style_activation_config():
    layer = keras.layers.Dense(2, activation="swish")
    assert activations.get(layer.get_config()["activation"]) is activations.silu
