import os

import numpy as np
import pytest
import torch

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from torchkeras import constraints  # noqa: E402
from torchkeras import regularizers  # noqa: E402
from torchkeras import saving  # noqa: E402

RNG = np.random.default_rng(0)
ARRAYS = {
    "dense": RNG.normal(size=(7, 5)).astype("float32"),
    "wide": (RNG.normal(size=(3, 9)) * 3).astype("float32"),
    "conv": RNG.normal(size=(3, 3, 4, 6)).astype("float32"),
    "small": (RNG.normal(size=(4, 4)) * 1e-4).astype("float32"),
    "f64": RNG.normal(size=(5, 5)),
}

REGULARIZERS = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 2.0}),
    ("L1L2", {}),
    ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
]


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("name, kwargs", REGULARIZERS)
def test_regularizers_match_keras(name, kwargs):
    ours = getattr(regularizers, name)(**kwargs)
    theirs = getattr(keras.regularizers, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert saving.serialize_keras_object(ours) == keras.saving.serialize_keras_object(theirs)
    back = regularizers.deserialize(keras.regularizers.serialize(theirs))
    assert type(back) is type(ours) and back.get_config() == ours.get_config()
    for key, array in ARRAYS.items():
        if name == "OrthogonalRegularizer" and array.ndim != 2:
            continue
        value = ours(torch.from_numpy(array.copy()))
        expected = _np(theirs(torch.from_numpy(array.copy())))
        assert value.ndim == 0
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("name", ["l1", "l2", "l1l2", "L1L2", "orthogonal_regularizer"])
def test_regularizer_get_matches_keras(name):
    assert regularizers.get(name).get_config() == keras.regularizers.get(name).get_config()


CONSTRAINTS = [
    ("MaxNorm", {}),
    ("MaxNorm", {"max_value": 1.5, "axis": 1}),
    ("MaxNorm", {"max_value": 2, "axis": [0, 1, 2]}),
    ("NonNeg", {}),
    ("UnitNorm", {}),
    ("UnitNorm", {"axis": [0, 1, 2]}),
    ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 2.0, "rate": 0.7, "axis": 1}),
]


@pytest.mark.parametrize("name, kwargs", CONSTRAINTS)
def test_constraints_match_keras(name, kwargs):
    ours = getattr(constraints, name)(**kwargs)
    theirs = getattr(keras.constraints, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert saving.serialize_keras_object(ours) == keras.saving.serialize_keras_object(theirs)
    back = constraints.deserialize(keras.constraints.serialize(theirs))
    assert type(back) is type(ours) and back.get_config() == ours.get_config()
    for key, array in ARRAYS.items():
        axis = kwargs.get("axis", 0)
        if isinstance(axis, list) and array.ndim != 4:
            continue
        out = ours(torch.from_numpy(array.copy()))
        expected = _np(theirs(torch.from_numpy(array.copy())))
        # Keras 3.15's NonNeg (ops.maximum(w, 0)) returns float32 for float64 weights; we keep
        # the weight's dtype, and compare values.
        assert out.dtype == torch.from_numpy(array).dtype
        if not (name == "NonNeg" and array.dtype == np.float64):
            assert out.dtype == torch.from_numpy(expected).dtype
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("name", ["max_norm", "non_neg", "unit_norm", "min_max_norm", "MaxNorm"])
def test_constraint_get_matches_keras(name):
    assert constraints.get(name).get_config() == keras.constraints.get(name).get_config()


def test_layer_configs_deserialize():
    layer = keras.layers.Dense(
        3,
        kernel_regularizer=keras.regularizers.L1L2(0.1, 0.2),
        kernel_constraint=keras.constraints.MaxNorm(3),
        bias_initializer=keras.initializers.Constant(0.5),
    )
    config = layer.get_config()
    assert saving.deserialize_keras_object(config["kernel_regularizer"]).get_config() == {"l1": 0.1, "l2": 0.2}
    assert saving.deserialize_keras_object(config["kernel_constraint"]).max_value == 3
    assert saving.deserialize_keras_object(config["bias_initializer"]).value == 0.5
    assert saving.deserialize_keras_object(config["kernel_initializer"]).get_config() == {
        "seed": None, "input_axes": None, "output_axes": None
    }
