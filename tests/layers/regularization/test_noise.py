import math

import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test

_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


@pytest.mark.parametrize("cls, kwargs, shape", [
    (layers.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
    (layers.SpatialDropout1D, {"rate": 0.3, "seed": 1}, (2, 3, 4)),
    (layers.SpatialDropout2D, {"rate": 0.5}, (2, 3, 4, 5)),
    (layers.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first", "seed": 2}, (2, 3, 4, 5)),
    (layers.SpatialDropout3D, {"rate": 0.2}, (2, 3, 2, 2, 4)),
    (layers.SpatialDropout3D, {"rate": 0.2, "data_format": "channels_first"}, (2, 3, 2, 2, 4)),
    (layers.GaussianNoise, {"stddev": 0.5}, (2, 3, 4)),
    (layers.GaussianNoise, {"stddev": 0.1, "seed": 3}, (2, 3)),
    (layers.GaussianDropout, {"rate": 0.4}, (2, 3, 4)),
    (layers.GaussianDropout, {"rate": 0.4, "seed": 5}, (2, 3)),
    (layers.AlphaDropout, {"rate": 0.2}, (2, 3, 4)),
    (layers.AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 4), "seed": 4}, (2, 3, 4)),
])
def test_contract(cls, kwargs, shape):
    run_layer_test(cls, kwargs, input_shape=shape, expected_output_shape=shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True, deterministic=False)


@pytest.mark.parametrize("layer", [
    layers.SpatialDropout1D(0.9), layers.SpatialDropout2D(0.5), layers.SpatialDropout3D(0.5),
    layers.GaussianNoise(1.0), layers.GaussianDropout(0.5), layers.AlphaDropout(0.5), layers.GaussianDropout(1.0),
    layers.AlphaDropout(1.0),
])
def test_identity_at_inference(layer):
    x = torch.randn(*(2, 3, 4, 5, 6)[: layer.input_spec.ndim if layer.input_spec else 3])
    assert layer(x) is x
    assert layer(x, training=False) is x


@pytest.mark.parametrize("cls, shape, data_format, channel_axis", [
    (layers.SpatialDropout1D, (64, 10, 50), None, -1),
    (layers.SpatialDropout2D, (64, 4, 5, 50), "channels_last", -1),
    (layers.SpatialDropout2D, (64, 50, 4, 5), "channels_first", 1),
    (layers.SpatialDropout3D, (32, 3, 2, 2, 100), "channels_last", -1),
    (layers.SpatialDropout3D, (32, 100, 3, 2, 2), "channels_first", 1),
])
def test_spatial_dropout_drops_whole_channels(cls, shape, data_format, channel_axis):
    torch.manual_seed(0)
    kwargs = {} if data_format is None else {"data_format": data_format}
    out = cls(0.3, **kwargs)(torch.ones(shape), training=True)
    assert out.unique().tolist() == [0.0, torch.tensor(1 / 0.7).item()]
    moved = out.movedim(channel_axis, 1).flatten(2)  # (batch, channels, spatial)
    assert torch.equal(moved, moved[:, :, :1].expand_as(moved))  # one decision per (sample, channel)
    assert abs((moved[:, :, 0] == 0).float().mean().item() - 0.3) < 0.05


def test_spatial_dropout_seeded_and_rate_one():
    x = torch.ones(8, 5, 6)
    a, b = layers.SpatialDropout1D(0.5, seed=9), layers.SpatialDropout1D(0.5, seed=9)
    first = a(x, training=True)
    assert torch.equal(first, b(x, training=True))
    assert not torch.equal(first, a(x, training=True))
    assert torch.equal(layers.SpatialDropout1D(1.0)(x, training=True), torch.zeros_like(x))
    assert layers.SpatialDropout1D(0.0)(x, training=True) is x


def test_spatial_dropout_signature_and_config_like_keras():
    layer = layers.SpatialDropout2D(0.25, data_format="channels_first", seed=3, name="sd")
    assert layer.get_config() == {"rate": 0.25, "seed": 3, "name": "sd", "dtype": "float32",
                                  "data_format": "channels_first"}
    assert layers.SpatialDropout1D(0.1).get_config().keys() == {"rate", "seed", "name", "dtype"}
    with pytest.raises(TypeError):
        layers.SpatialDropout1D(0.1, noise_shape=(1, 1, 1))
    with pytest.raises(ValueError, match="Received: rate=1.5"):
        layers.SpatialDropout2D(1.5)
    with pytest.raises(ValueError, match="Received"):
        layers.SpatialDropout2D(0.5, data_format="nhwc")


def test_gaussian_noise_statistics():
    torch.manual_seed(0)
    x = torch.full((400, 500), 3.0)
    noise = layers.GaussianNoise(0.2)(x, training=True) - x
    assert abs(noise.mean().item()) < 0.002
    assert abs(noise.std().item() - 0.2) < 0.002


def test_gaussian_dropout_statistics():
    torch.manual_seed(0)
    x = torch.full((400, 500), 2.0)
    factor = layers.GaussianDropout(0.3)(x, training=True) / x
    assert abs(factor.mean().item() - 1.0) < 0.005
    assert abs(factor.std().item() - math.sqrt(0.3 / 0.7)) < 0.005


def test_alpha_dropout_constants_and_statistics():
    torch.manual_seed(0)
    rate = 0.2
    a = ((1 - rate) * (1 + rate * _ALPHA_P ** 2)) ** -0.5
    b = -a * _ALPHA_P * rate
    x = torch.randn(400, 500)
    out = layers.AlphaDropout(rate)(x, training=True)
    dropped = torch.isclose(out, torch.tensor(a * _ALPHA_P + b), atol=0, rtol=0)
    assert abs(dropped.float().mean().item() - rate) < 0.01
    torch.testing.assert_close(out[~dropped], (a * x + b)[~dropped], rtol=0, atol=0)
    # Self-normalizing: standardized inputs stay about standardized.
    assert abs(out.mean().item()) < 0.02 and abs(out.std().item() - 1) < 0.02


def test_alpha_dropout_noise_shape_and_config():
    torch.manual_seed(0)
    layer = layers.AlphaDropout(0.5, noise_shape=[None, 1, None])
    assert layer.get_config()["noise_shape"] == [None, 1, None]  # kept as given, as Keras
    out = layer(torch.zeros(6, 7, 8), training=True)
    assert torch.equal(out, out[:, :1, :].expand_as(out))
    with pytest.raises(ValueError, match="rank"):
        layer(torch.zeros(6, 7), training=True)
    with pytest.raises(ValueError, match="Received"):
        layers.AlphaDropout(0.5, noise_shape="abc")


@pytest.mark.parametrize("cls, arg", [
    (layers.GaussianNoise, "stddev"), (layers.GaussianDropout, "rate"), (layers.AlphaDropout, "rate"),
])
@pytest.mark.parametrize("value", [-0.1, 1.5, "x"])
def test_bad_rate(cls, arg, value):
    with pytest.raises(ValueError, match=f"Received: {arg}="):
        cls(value)


def test_rate_one_training_raises_clearly():
    with pytest.raises(ValueError, match="gd_one.*Received: rate=1"):
        layers.GaussianDropout(1.0, name="gd_one")(torch.ones(2, 2), training=True)
    with pytest.raises(ValueError, match="ad_one.*Received: rate=1"):
        layers.AlphaDropout(1.0, name="ad_one")(torch.ones(2, 2), training=True)


@pytest.mark.parametrize("make", [lambda: layers.GaussianNoise(0.5, seed=7), lambda: layers.GaussianDropout(0.5, seed=7),
                                  lambda: layers.AlphaDropout(0.5, seed=7)])
def test_seeded_reproducible(make):
    x = torch.ones(20, 20)
    first, second = make(), make()
    out = first(x, training=True)
    assert torch.equal(out, second(x, training=True))
    assert not torch.equal(out, first(x, training=True))


def test_training_from_module_mode_and_gradient():
    layer = layers.GaussianDropout(0.5)
    x = torch.ones(4, 4, requires_grad=True)
    layer.train()
    out = layer(x)
    assert not torch.equal(out, x)
    out.sum().backward()
    torch.testing.assert_close(x.grad, (out / x).detach())
    layer.eval()
    assert layer(x) is x
