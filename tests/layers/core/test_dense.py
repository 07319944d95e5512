"""Dense: the layer contract, golden values, bad arguments."""

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape, n_weights", [
    (dict(units=3), (2, 4), (2, 3), 2),
    (dict(units=5, activation="relu", use_bias=False), (2, 4), (2, 5), 1),
    (dict(units=2, activation="softmax", kernel_initializer="he_normal"), (3, 6, 4), (3, 6, 2), 2),
    (dict(units=1, kernel_regularizer="l2", kernel_constraint="non_neg"), (2, 2, 3, 4), (2, 2, 3, 1), 2),
])
def test_dense_contract(kwargs, input_shape, output_shape, n_weights):
    run_layer_test(layers.Dense, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_dense_golden_values():
    dense = layers.Dense(2, activation="relu", kernel_initializer="ones", bias_initializer="zeros")
    dense.build((None, 3))
    dense.set_weights([np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 1.0]], "float32"),
                       np.array([0.5, -0.5], "float32")])
    out = dense(np.array([[1.0, 1.0, 1.0], [0.0, 0.0, -3.0]], "float32"))
    # row 1: [1+2+0+0.5, -1+0+1-0.5] = [3.5, -0.5] -> relu -> [3.5, 0]; row 2: [0.5, -3.5] -> [0.5, 0]
    np.testing.assert_allclose(out.detach().numpy(), [[3.5, 0.0], [0.5, 0.0]])


def test_dense_passes_masks_through():
    x = torch.ones(2, 3, 4)
    x._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    out = layers.Dense(2)(x)
    assert torch.equal(out._keras_mask, x._keras_mask)


@pytest.mark.parametrize("kwargs, message", [
    (dict(units=0), "Received: units=0"),
    (dict(units=-3), "Received: units=-3"),
    (dict(units=2.5), "Received: units=2.5"),
    (dict(units=2, activation="swishy"), "swishy"),
    (dict(units=2, kernel_initializer="glorot_uniformish"), "glorot_uniformish"),
    (dict(units=2, lora_rank=4), "Received: lora_rank=4"),
])
def test_dense_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Dense(**kwargs)


def test_dense_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match="last dimension of the inputs to Dense layer .* must be known"):
        layers.Dense(2).build((None, None))


def test_dense_under_a_float64_policy():
    dense = layers.Dense(2, dtype="float64")
    out = dense(np.ones((1, 3)))
    assert out.dtype == torch.float64 and dense.weights[0].dtype == "float64"
    assert dense.dtype_policy == keras.DTypePolicy("float64")
