import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, alpha_shape", [
    ({}, (2, 5), (5,)),
    ({}, (2, 3, 4), (3, 4)),
    ({"shared_axes": 1}, (2, 3, 4), (1, 4)),
    ({"shared_axes": [1, 2]}, (2, 3, 4, 5), (1, 1, 5)),
    ({"shared_axes": (2,)}, (2, 3, 4, 5), (3, 1, 5)),
    ({"alpha_initializer": "ones", "alpha_regularizer": "l2", "alpha_constraint": "non_neg"},
     (2, 3), (3,)),
])
def test_layer_contract(kwargs, input_shape, alpha_shape):
    layer = run_layer_test(layers.PReLU, kwargs, input_shape=input_shape,
                           expected_output_shape=input_shape, expected_num_trainable_weights=1,
                           expected_num_non_trainable_weights=0, supports_masking=True)
    assert layer.weights[0].path == f"{layer.name}/alpha"
    assert tuple(layer.weights[0].shape) == alpha_shape


def test_golden_values():
    x = torch.tensor([[-2.0, -1.0, 0.0, 3.0]])
    layer = layers.PReLU(alpha_initializer="zeros")
    assert layer(x).tolist() == [[0.0, 0.0, 0.0, 3.0]]  # alpha starts at 0: a ReLU
    layer.set_weights([torch.tensor([0.5, 0.25, 1.0, 2.0]).numpy()])
    assert layer(x).tolist() == [[-1.0, -0.25, 0.0, 3.0]]


def test_shared_axes_golden():
    x = -torch.ones(1, 2, 3)
    layer = layers.PReLU(shared_axes=[1])
    layer.build((None, 2, 3))
    layer.set_weights([torch.tensor([[0.1, 0.2, 0.3]]).numpy()])
    assert torch.allclose(layer(x), -torch.tensor([[0.1, 0.2, 0.3]]).expand(1, 2, 3))


def test_alpha_gradient():
    x = torch.tensor([[-2.0, 3.0]])
    layer = layers.PReLU(alpha_initializer="ones")
    layer(x).sum().backward()
    assert layer.alpha.grad.tolist() == [-2.0, 0.0]


def test_input_spec_checks_shared_axes_layout():
    layer = layers.PReLU(shared_axes=[1])
    layer(torch.ones(2, 3, 4))
    layer(torch.ones(2, 7, 4))  # the shared axis may change size
    with pytest.raises(ValueError, match="p_re_lu"):
        layer(torch.ones(2, 3, 5))


def test_regularizer_loss():
    layer = layers.PReLU(alpha_initializer="ones", alpha_regularizer="l2")
    layer(torch.ones(2, 4))
    assert len(layer.losses) == 1
    assert layer.losses[0].item() == pytest.approx(0.01 * 4)


def test_config():
    config = layers.PReLU(shared_axes=1, name="p").get_config()
    assert config["shared_axes"] == [1]
    assert config["alpha_initializer"]["class_name"] == "Zeros"


def test_invalid_shared_axes():
    with pytest.raises(ValueError, match="Received:"):
        layers.PReLU(shared_axes=[1, "a"])
    with pytest.raises(ValueError, match="Received:"):
        layers.PReLU(shared_axes=[3]).build((None, 2, 3))
