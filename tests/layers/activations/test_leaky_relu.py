import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.5}, {"negative_slope": 0.0}])
def test_layer_contract(kwargs):
    run_layer_test(layers.LeakyReLU, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    x = torch.tensor([-10.0, -1.0, 0.0, 2.0])
    run_layer_test(layers.LeakyReLU, {}, input_data=x,
                   expected_output=torch.tensor([-3.0, -0.3, 0.0, 2.0]))
    assert layers.LeakyReLU(negative_slope=0.5)(x).tolist() == [-5.0, -0.5, 0.0, 2.0]


def test_default_negative_slope_is_0_3():
    assert layers.LeakyReLU().negative_slope == 0.3
    assert layers.LeakyReLU().get_config()["negative_slope"] == 0.3


def test_legacy_alpha_kwarg():
    with pytest.warns(UserWarning, match="alpha"):
        layer = layers.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2
    assert "alpha" not in layer.get_config()


@pytest.mark.parametrize("value", [-0.1, None])
def test_invalid_negative_slope(value):
    with pytest.raises(ValueError, match="Received: negative_slope="):
        layers.LeakyReLU(negative_slope=value)
