import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs", [{"l1": 0.1}, {"l2": 0.2}, {"l1": 0.01, "l2": 0.02}, {}])
def test_contract(kwargs):
    run_layer_test(
        layers.ActivityRegularization, kwargs, input_shape=(2, 3), expected_output_shape=(2, 3),
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
        expected_num_losses=1, supports_masking=True,
    )


def test_loss_value_is_normalised_by_batch_size():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    out = layer(x)
    assert out is x
    # (0.1 * (1 + 2 + 3) + 0.01 * (1 + 4 + 9)) / batch 2
    assert len(layer.losses) == 1
    torch.testing.assert_close(layer.losses[0], torch.tensor((0.6 + 0.14) / 2))


def test_losses_follow_the_last_call_and_backprop():
    layer = layers.ActivityRegularization(l2=1.0)
    layer(torch.ones(4, 3))
    torch.testing.assert_close(layer.losses[0], torch.tensor(3.0))
    x = torch.full((1, 2), 2.0, requires_grad=True)
    layer(x)
    assert len(layer.losses) == 1
    layer.losses[0].backward()
    torch.testing.assert_close(x.grad, torch.full((1, 2), 4.0))


def test_config_has_l1_l2_not_activity_regularizer():
    config = layers.ActivityRegularization(l1=0.5, name="ar").get_config()
    assert config["l1"] == 0.5 and config["l2"] == 0.0
    assert "activity_regularizer" not in config
    assert layers.ActivityRegularization.from_config(config).get_config() == config


@pytest.mark.parametrize("kwargs", [{"l1": -1.0}, {"l2": "x"}, {"l1": float("nan")}])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.ActivityRegularization(**kwargs)
