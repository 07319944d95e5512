import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs", [
    {},
    {"max_value": 6.0},
    {"max_value": 2.5},
    {"negative_slope": 0.1},
    {"threshold": 0.5},
    {"max_value": 6.0, "threshold": 1.0},
    {"max_value": 3.0, "negative_slope": 0.2, "threshold": 0.5},
    {"max_value": 6.0, "negative_slope": 0.2},
])
def test_layer_contract(kwargs):
    run_layer_test(layers.ReLU, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_max_value_threshold():
    x = torch.tensor([-1.0, 0.5, 2.0, 10.0])
    run_layer_test(layers.ReLU, {"max_value": 6, "threshold": 1}, input_data=x,
                   expected_output=torch.tensor([0.0, 0.0, 2.0, 6.0]))


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.0, 0.0, 0.5, 2.0, 10.0]),
    ({"max_value": 6.0}, [0.0, 0.0, 0.5, 2.0, 6.0]),
    ({"max_value": 1.0}, [0.0, 0.0, 0.5, 1.0, 1.0]),
    ({"negative_slope": 0.5}, [-1.0, 0.0, 0.5, 2.0, 10.0]),
    # below threshold: x zeroed, minus slope * (threshold - x)
    ({"negative_slope": 0.5, "threshold": 1.0}, [-1.5, -0.5, -0.25, 2.0, 10.0]),
    ({"negative_slope": 0.5, "max_value": 1.0}, [-1.0, 0.0, 0.5, 1.0, 1.0]),
])
def test_golden_values(kwargs, expected):
    x = torch.tensor([-2.0, 0.0, 0.5, 2.0, 10.0])
    assert layers.ReLU(**kwargs)(x).tolist() == expected


def test_gradient_at_zero_and_max_is_kerass():
    # relu then clip: gradient 0 at x == 0, 1 at x == max_value (torch.clip's inclusive bound).
    x = torch.tensor([0.0, 2.0, 1.0], requires_grad=True)
    layers.ReLU(max_value=2.0)(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("kwargs", [
    {"max_value": -1.0}, {"negative_slope": -0.1}, {"negative_slope": None}, {"threshold": -1.0},
    {"threshold": None},
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="Received:"):
        layers.ReLU(**kwargs)


def test_config():
    config = layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="r").get_config()
    assert (config["max_value"], config["negative_slope"], config["threshold"]) == (6.0, 0.1, 0.5)
    assert config["name"] == "r"
    assert layers.ReLU.from_config(config).get_config() == config
