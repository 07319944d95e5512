"""GroupNormalization: contract, golden values against a numpy reference, bad input."""

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, n_weights", [
    (dict(groups=2), (2, 4, 6), 2),
    (dict(groups=3, axis=1), (2, 6, 4, 5), 2),
    (dict(groups=-1, center=False), (2, 4, 4, 3), 1),
    (dict(groups=1, scale=False, center=False), (2, 4), 0),
])
def test_group_normalization_contract(kwargs, input_shape, n_weights):
    run_layer_test(layers.GroupNormalization, kwargs, input_shape=input_shape,
                   expected_output_shape=input_shape, expected_num_trainable_weights=n_weights,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def _reference(x, groups, axis, epsilon=1e-3):
    x = np.moveaxis(x, axis, 1)
    n, c = x.shape[:2]
    g = x.reshape(n, groups, c // groups, -1)
    mean = g.mean(axis=(2, 3), keepdims=True)
    var = g.var(axis=(2, 3), keepdims=True)
    out = ((g - mean) / np.sqrt(var + epsilon)).reshape(x.shape)
    return np.moveaxis(out, 1, axis)


@pytest.mark.parametrize("groups, axis", [(2, -1), (3, 1), (6, -1), (1, 1)])
def test_group_normalization_values(groups, axis):
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 6)).astype("float64")
    out = layers.GroupNormalization(groups=groups, axis=axis, dtype="float64")(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), _reference(x, groups, axis), atol=1e-10)


def test_group_normalization_groups_minus_one_becomes_channels():
    layer = layers.GroupNormalization(groups=-1)
    layer.build((None, 5, 3))
    assert layer.get_config()["groups"] == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(groups=0), "Received: groups=0"),
    (dict(groups=2.0), "Received: groups=2.0"),
    (dict(groups=2, epsilon=0.0), "Received: epsilon=0.0"),
])
def test_group_normalization_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.GroupNormalization(**kwargs)


def test_group_normalization_bad_shapes():
    with pytest.raises(ValueError, match=r"cannot be more than the number of channels \(4\). Received: groups=8"):
        layers.GroupNormalization(groups=8).build((None, 4))
    with pytest.raises(ValueError, match=r"channels \(4\) must be a multiple of `groups`. Received: groups=3"):
        layers.GroupNormalization(groups=3).build((None, 4))
    with pytest.raises(ValueError, match="Received: axis=3"):
        layers.GroupNormalization(groups=1, axis=3).build((None, 4, 4))
