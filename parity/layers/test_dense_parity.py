"""Dense against real Keras: configs, weights both ways, outputs, regularization losses, gradients."""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import assert_close, check_layer_parity

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(units=3), (4, 5)),
    (dict(units=7, activation="relu"), (4, 5)),
    (dict(units=2, activation="gelu", use_bias=False), (3, 6)),
    (dict(units=4, activation="softmax", kernel_initializer="he_normal", bias_initializer="ones"), (2, 3, 5)),
    (dict(units=5, activation="tanh", kernel_initializer=keras.initializers.RandomNormal(stddev=0.3)), (2, 2, 3, 4)),
    (dict(units=1, activation="sigmoid", kernel_regularizer="l2", bias_regularizer="l1"), (6, 8)),
    (dict(units=3, activation="selu", kernel_constraint="max_norm", activity_regularizer="l1"), (4, 2)),
])
def test_dense_parity(kwargs, shape, device):
    kwargs = dict(kwargs, name="dense_under_test")
    if isinstance(kwargs.get("kernel_initializer"), keras.initializers.Initializer):
        kwargs["kernel_initializer"] = keras.saving.serialize_keras_object(kwargs["kernel_initializer"])
    check_layer_parity("Dense", kwargs, RNG.normal(size=shape).astype("float32"), device=device)


def test_dense_regularization_losses_match(device):
    kwargs = dict(units=3, kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02), name="reg",
                  activity_regularizer=keras.regularizers.L2(0.1))
    tk_kwargs = dict(kwargs, kernel_regularizer=torchkeras.regularizers.L1L2(0.01, 0.02),
                     activity_regularizer=torchkeras.regularizers.L2(0.1))
    x = RNG.normal(size=(4, 5)).astype("float32")
    keras_layer, tk_layer = keras.layers.Dense(**kwargs), torchkeras.layers.Dense(**tk_kwargs).to(device)
    keras_layer(x)
    tk_layer(torch.from_numpy(x).to(device))
    tk_layer.set_weights(keras_layer.get_weights())
    keras_layer(x)
    tk_layer(torch.from_numpy(x).to(device))
    expected = sorted(float(keras.ops.convert_to_numpy(v)) for v in keras_layer.losses)
    received = sorted(float(v) for v in tk_layer.losses)
    np.testing.assert_allclose(received, expected, rtol=1e-5)


def test_dense_gradients_match(device):
    x = RNG.normal(size=(4, 6)).astype("float32")
    keras_layer, tk_layer = check_layer_parity("Dense", dict(units=3, activation="tanh", name="g"), x,
                                               device=device)
    keras_x = torch.tensor(x, device=keras_layer.kernel.value.device, requires_grad=True)
    keras_layer(keras_x).square().sum().backward()
    tk_x = torch.tensor(x, device=device, requires_grad=True)
    tk_layer(tk_x).square().sum().backward()
    assert_close([keras_layer.kernel.value.grad.cpu().numpy(), keras_x.grad.cpu().numpy()],
                 [tk_layer.kernel.grad.cpu().numpy(), tk_x.grad.cpu().numpy()], 1e-5, 1e-5, "gradients")
