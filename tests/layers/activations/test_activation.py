import pytest
import torch

from torchkeras import activations
from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("activation", ["relu", "gelu", "softmax", "tanh", "linear", None])
def test_layer_contract(activation):
    run_layer_test(layers.Activation, {"activation": activation}, input_shape=(2, 3, 4),
                   expected_output_shape=(2, 3, 4), expected_num_trainable_weights=0,
                   supports_masking=True)


def test_golden_values():
    x = torch.tensor([-3.0, -1.0, 0.0, 2.0])
    assert layers.Activation("relu")(x).tolist() == [0.0, 0.0, 0.0, 2.0]
    assert layers.Activation(None)(x).tolist() == x.tolist()
    assert layers.Activation(lambda t: 2 * t)(x).tolist() == [-6.0, -2.0, 0.0, 4.0]


def test_config():
    layer = layers.Activation("sigmoid", name="act")
    config = layer.get_config()
    assert config["activation"] == "sigmoid" and config["name"] == "act"
    assert layers.Activation.from_config(config).activation is activations.sigmoid


def test_mask_passes_through():
    x = torch.ones(2, 3, 4)
    x._keras_mask = torch.tensor([[True, False, True], [False, True, True]])
    out = layers.Activation("relu")(x)
    assert torch.equal(out._keras_mask, x._keras_mask)


def test_unknown_activation():
    with pytest.raises(ValueError):
        layers.Activation("not_an_activation")
