"""Activation layers: torchkeras vs real Keras (configs, weights both ways, outputs)."""

import numpy as np
import pytest

from parity.harness import check_layer_parity

RNG = np.random.default_rng(0)


def data(*shape):
    return (RNG.standard_normal(shape) * 4).astype("float32")


@pytest.mark.parametrize("activation", [
    "relu", "gelu", "sigmoid", "tanh", "softmax", "elu", "selu", "swish", "hard_sigmoid", "linear",
    "leaky_relu", "relu6", "softplus", "log_softmax", "mish",
])
def test_activation(device, activation):
    check_layer_parity("Activation", {"activation": activation, "name": "act"}, data(3, 4, 5),
                       device=device)


@pytest.mark.parametrize("kwargs", [
    {},
    {"max_value": 6.0},
    {"max_value": 2.5},
    {"negative_slope": 0.1},
    {"threshold": 0.5},
    {"max_value": 6.0, "threshold": 1.0},
    {"max_value": 6.0, "negative_slope": 0.2},
    {"max_value": 3.0, "negative_slope": 0.2, "threshold": 0.5},
    {"negative_slope": 0.3, "threshold": 2.0},
])
def test_relu(device, kwargs):
    check_layer_parity("ReLU", {**kwargs, "name": "relu"}, data(4, 7), device=device)


def test_relu_golden_against_keras(device):
    x = np.array([[-1.0, 0.5, 2.0, 10.0]], "float32")
    keras_layer, layer = check_layer_parity("ReLU", {"max_value": 6.0, "threshold": 1.0, "name": "r"}, x,
                                            device=device)
    np.testing.assert_array_equal(np.asarray(keras_layer(x).cpu()), [[0.0, 0.0, 2.0, 6.0]])


@pytest.mark.parametrize("class_name, kwargs", [
    ("PReLU", {"shared_axes": [1]}),
    ("ReLU", {"max_value": 2.0}),
    ("ReLU", {"max_value": 6.0, "negative_slope": 0.2, "threshold": 1.0}),
])
def test_gradients_match(class_name, kwargs):
    """Training behaviour: input (and alpha) gradients equal Keras's, also at the kinks (0, max, threshold)."""
    import torch

    x = np.array([[[-2.0, 0.0, 1.0, 2.0, 6.0], [3.0, -0.5, 0.0, 1.5, 7.0]]], "float32")
    keras_layer, layer = check_layer_parity(class_name, {**kwargs, "name": "g"}, x)
    xk = torch.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    (keras_layer(xk) * torch.arange(1.0, 11.0).reshape(1, 2, 5)).sum().backward()
    (layer(xt) * torch.arange(1.0, 11.0).reshape(1, 2, 5)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), xk.grad.numpy(), rtol=1e-6, atol=1e-6)
    if class_name == "PReLU":
        np.testing.assert_allclose(layer.alpha.grad.numpy(), keras_layer.alpha.value.grad.cpu().numpy(),
                                   rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.5}, {"negative_slope": 0.0}])
def test_leaky_relu(device, kwargs):
    check_layer_parity("LeakyReLU", {**kwargs, "name": "lrelu"}, data(4, 3, 2), device=device)


def test_leaky_relu_legacy_alpha(device):
    with pytest.warns(UserWarning):
        check_layer_parity("LeakyReLU", {"alpha": 0.15, "name": "lrelu"}, data(4, 3), device=device)


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.5}, {"alpha": 2.0}])
def test_elu(device, kwargs):
    check_layer_parity("ELU", {**kwargs, "name": "elu"}, data(4, 3, 2), device=device)


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (4, 5)),
    ({}, (2, 3, 4)),
    ({"shared_axes": 1}, (2, 3, 4)),
    ({"shared_axes": [1, 2]}, (2, 3, 4, 5)),
    ({"shared_axes": (2,)}, (2, 3, 4, 5)),
    ({"alpha_initializer": "ones", "alpha_regularizer": "l2", "alpha_constraint": "non_neg"}, (3, 4)),
    ({"alpha_initializer": {"class_name": "Constant", "config": {"value": 0.25}}}, (3, 4)),
])
def test_prelu(device, kwargs, shape):
    check_layer_parity("PReLU", {**kwargs, "name": "prelu"}, data(*shape), device=device)


@pytest.mark.parametrize("axis, shape", [
    (-1, (3, 7)), (1, (2, 3, 4)), (-2, (2, 3, 4)), ([1, 2], (2, 3, 4)), ([2], (2, 3, 4)),
    ((1, 3), (2, 3, 4, 5)),
])
def test_softmax(device, axis, shape):
    check_layer_parity("Softmax", {"axis": axis, "name": "softmax"}, data(*shape), device=device)


@pytest.mark.parametrize("mask", [
    np.array([[True, False, True, True, False]] * 3),
    np.array([True, True, False, False, True]),  # broadcast over the batch
    np.array([[1.0, 0.0, 0.7, 0.2, 1.0]] * 3, "float32"),  # non-boolean: > 0.5 keeps
    np.zeros((3, 5), bool),  # fully masked rows give zeros
])
def test_softmax_with_mask(device, mask):
    check_layer_parity("Softmax", {"name": "softmax"}, data(3, 5), device=device,
                       call_kwargs={"mask": mask})


def test_softmax_mask_multi_axis(device):
    mask = RNG.random((2, 3, 4)) > 0.3
    check_layer_parity("Softmax", {"axis": [1, 2], "name": "softmax"}, data(2, 3, 4), device=device,
                       call_kwargs={"mask": mask})
