"""LayerNormalization: contract, golden values, non-trailing axes, bad input."""

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, n_weights", [
    (dict(), (3, 4), 2),
    (dict(axis=1), (2, 3, 4, 5), 2),
    (dict(axis=[2, 3], center=False), (2, 3, 4, 5), 1),
    (dict(axis=[1, 3], scale=False), (2, 3, 4, 5), 1),
    (dict(rms_scaling=True), (2, 4), 1),
    (dict(center=False, scale=False), (2, 4), 0),
])
def test_layer_normalization_contract(kwargs, input_shape, n_weights):
    with pytest.warns(UserWarning) if kwargs.get("rms_scaling") else _nothing():
        run_layer_test(layers.LayerNormalization, kwargs, input_shape=input_shape,
                       expected_output_shape=input_shape, expected_num_trainable_weights=n_weights,
                       expected_num_non_trainable_weights=0, supports_masking=True)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def _reference(x, axes, epsilon=1e-3):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon)


def test_layer_normalization_golden():
    x = np.array([[1.0, 2.0, 3.0, 6.0]], "float32")  # mean 3, variance 3.5
    out = layers.LayerNormalization(epsilon=0.5)(x)
    np.testing.assert_allclose(out.detach().numpy(), [[-1.0, -0.5, 0.0, 1.5]], rtol=1e-6)


@pytest.mark.parametrize("axis, axes", [(1, [1]), (-2, [2]), ([1, 2], [1, 2]), ([1, 3], [1, 3])])
def test_layer_normalization_any_axes(axis, axes):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype("float32")
    layer = layers.LayerNormalization(axis=axis)
    out = layer(x).detach().numpy()
    np.testing.assert_allclose(out, _reference(x.astype("float64"), axes), atol=1e-5)
    gamma = np.random.default_rng(1).normal(size=layer.weights[0].shape).astype("float32")
    layer.set_weights([gamma, np.zeros_like(gamma)])
    shape = [x.shape[d] if d in axes else 1 for d in range(4)]
    np.testing.assert_allclose(layer(x).detach().numpy(), _reference(x, axes) * gamma.reshape(shape),
                               atol=1e-5)


def test_layer_normalization_config_axis_becomes_a_list_when_built():
    layer = layers.LayerNormalization(axis=-1)
    assert layer.get_config()["axis"] == -1
    layer.build((None, 3))
    assert layer.get_config()["axis"] == [-1]


def test_layer_normalization_float16_inputs():
    layer = layers.LayerNormalization(dtype="mixed_float16")
    out = layer(torch.randn(2, 8).half() * 300)
    assert out.dtype == torch.float16 and torch.isfinite(out).all()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(epsilon=0), ValueError, "Received: epsilon=0"),
    (dict(epsilon=-1.0), ValueError, "Received: epsilon=-1.0"),
    (dict(axis="last"), TypeError, "Received: axis='last'"),
    (dict(axis=[1, 1]), ValueError, r"Received: axis=\[1, 1\]"),
])
def test_layer_normalization_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        layers.LayerNormalization(**kwargs)


def test_layer_normalization_axis_out_of_range():
    with pytest.raises(ValueError, match="Received: axis=3"):
        layers.LayerNormalization(axis=3).build((None, 4, 5))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.LayerNormalization(axis=3).compute_output_shape((None, 4, 5))
