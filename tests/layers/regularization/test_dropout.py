import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0.5}, {"rate": 0.0}, {"rate": 1.0}, {"rate": 0.3, "seed": 1337},
     {"rate": 0.5, "noise_shape": (2, 1, 4)}, {"rate": 0.5, "noise_shape": (None, 1, None), "seed": 3}],
)
def test_contract(kwargs):
    run_layer_test(
        layers.Dropout, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
        supports_masking=True, deterministic=True,  # inference calls are the identity
    )


def test_identity_at_inference():
    x = torch.randn(4, 5)
    layer = layers.Dropout(0.9)
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert layers.Dropout(0.0)(x, training=True) is x


def test_training_statistics():
    torch.manual_seed(0)
    x = torch.ones(200, 500)
    out = layers.Dropout(0.3)(x, training=True)
    zero_fraction = (out == 0).float().mean().item()
    assert abs(zero_fraction - 0.3) < 0.01
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.7))
    # The expected sum is unchanged.
    assert abs(out.mean().item() - 1.0) < 0.02


def test_rate_one_zeroes_everything():
    out = layers.Dropout(1.0)(torch.randn(3, 4), training=True)
    assert torch.equal(out, torch.zeros(3, 4))


def test_noise_shape_broadcasts_mask():
    torch.manual_seed(1)
    x = torch.ones(8, 6, 10)
    out = layers.Dropout(0.5, noise_shape=(None, 1, None))(x, training=True)
    # The same features are dropped at every timestep.
    assert torch.equal(out, out[:, :1, :].expand_as(out))
    values = set(out.unique().tolist())
    assert values <= {0.0, 2.0} and values == {0.0, 2.0}


def test_seeded_layers_are_reproducible():
    x = torch.ones(50, 50)
    a = layers.Dropout(0.5, seed=42)
    b = layers.Dropout(0.5, seed=42)
    first = a(x, training=True)
    torch.testing.assert_close(first, b(x, training=True))
    # Successive calls draw new masks.
    assert not torch.equal(first, a(x, training=True))


def test_training_from_module_mode_and_mask_passthrough():
    torch.manual_seed(0)
    layer = layers.Dropout(0.5)
    x = torch.ones(10, 10)
    layer.train()
    assert (layer(x) == 0).any()
    layer.eval()
    assert layer(x) is x
    masked = layers.Masking()(torch.tensor([[[1.0], [0.0]]]))
    assert layer(masked)._keras_mask.tolist() == [[True, False]]


def test_gradient_in_training():
    torch.manual_seed(0)
    x = torch.ones(4, 4, requires_grad=True)
    out = layers.Dropout(0.5, noise_shape=(4, 1))(x, training=True)
    out.sum().backward()
    torch.testing.assert_close(x.grad, (out.detach() != 0).float() * 2.0)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"rate": 1.5}, ValueError), ({"rate": -0.1}, ValueError), ({"rate": "0.5"}, ValueError),
        ({"rate": 0.5, "noise_shape": "abc"}, ValueError), ({"rate": 0.5, "noise_shape": 3}, ValueError),
        ({"rate": 0.5, "noise_shape": (2, 0)}, ValueError), ({"rate": 0.5, "noise_shape": (2, 1.5)}, ValueError),
        ({"rate": 0.5, "seed": "x"}, ValueError),
    ],
)
def test_invalid_arguments(kwargs, error):
    with pytest.raises(error, match="Received"):
        layers.Dropout(**kwargs)


def test_rate_message_is_keras():
    with pytest.raises(ValueError) as info:
        layers.Dropout(1.5)
    assert str(info.value) == ("Invalid value received for argument `rate`. Expected a float value between "
                               "0 and 1. Received: rate=1.5")


def test_noise_shape_rank_mismatch_names_layer():
    layer = layers.Dropout(0.5, noise_shape=(2, 1), name="drop")
    with pytest.raises(ValueError, match="drop"):
        layer(torch.ones(2, 3, 4), training=True)
