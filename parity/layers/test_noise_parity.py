"""Parity of SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout and AlphaDropout with real Keras.

Random streams differ between Keras and torch: inference is compared exactly (the identity), training
by statistics (fraction of channels dropped and the scale of the kept ones, noise mean and std, the
AlphaDropout affine constants, which must be equal to the last bit).
"""

import math
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import check_layer_parity  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


INFERENCE_CASES = [
    ("SpatialDropout1D", {"rate": 0.5}, (2, 3, 4)),
    ("SpatialDropout1D", {"rate": 0.2, "seed": 3}, (2, 3, 4)),
    ("SpatialDropout2D", {"rate": 0.5}, (2, 3, 4, 5)),
    ("SpatialDropout2D", {"rate": 0.5, "data_format": "channels_first", "seed": 1}, (2, 3, 4, 5)),
    ("SpatialDropout3D", {"rate": 0.3}, (1, 2, 3, 4, 5)),
    ("SpatialDropout3D", {"rate": 0.3, "data_format": "channels_first"}, (1, 2, 3, 4, 5)),
    ("GaussianNoise", {"stddev": 0.5}, (2, 3, 4)),
    ("GaussianNoise", {"stddev": 0.0, "seed": 2}, (2, 3)),
    ("GaussianDropout", {"rate": 0.4}, (2, 3, 4)),
    ("GaussianDropout", {"rate": 1.0, "seed": 5}, (2, 3)),
    ("AlphaDropout", {"rate": 0.2}, (2, 3, 4)),
    ("AlphaDropout", {"rate": 0.2, "noise_shape": [None, 1, 4], "seed": 4}, (2, 3, 4)),
]


@pytest.mark.parametrize("class_name, kwargs, shape", INFERENCE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(INFERENCE_CASES)])
def test_inference_exact_and_config(device, class_name, kwargs, shape):
    keras_layer, tk_layer = check_layer_parity(class_name, {**kwargs, "name": "noise"}, _x(*shape), device=device)
    # from_config across frameworks
    assert getattr(torchkeras.layers, class_name).from_config(keras_layer.get_config()).get_config() == \
        keras_layer.get_config()
    assert getattr(keras.layers, class_name).from_config(tk_layer.get_config()).get_config() == \
        tk_layer.get_config()


def _keras(layer, x):
    return keras.ops.convert_to_numpy(layer(x, training=True))


def _tk(layer, x, device):
    torch.manual_seed(0)
    return layer(torch.as_tensor(x).to(device), training=True).cpu().numpy()


@pytest.mark.parametrize("class_name, kwargs, shape, channel_axis", [
    ("SpatialDropout1D", {"rate": 0.3}, (64, 6, 40), -1),
    ("SpatialDropout2D", {"rate": 0.4, "seed": 2}, (64, 3, 4, 40), -1),
    ("SpatialDropout2D", {"rate": 0.4, "data_format": "channels_first"}, (64, 40, 3, 4), 1),
    ("SpatialDropout3D", {"rate": 0.25}, (32, 2, 3, 2, 60), -1),
    ("SpatialDropout3D", {"rate": 0.25, "data_format": "channels_first"}, (32, 60, 2, 3, 2), 1),
])
def test_spatial_dropout_training_statistics(device, class_name, kwargs, shape, channel_axis):
    x = np.ones(shape, "float32")
    keras_out = _keras(getattr(keras.layers, class_name)(**kwargs), x)
    tk_out = _tk(getattr(torchkeras.layers, class_name)(**kwargs), x, device)
    rate = kwargs["rate"]
    fractions = []
    for out in (keras_out, tk_out):
        kept = out[out != 0]
        np.testing.assert_array_equal(kept, np.float32(1.0) / np.float32(1.0 - rate))
        per_channel = np.moveaxis(out, channel_axis, 1).reshape(shape[0], out.shape[channel_axis], -1)
        assert np.array_equal(per_channel, np.broadcast_to(per_channel[:, :, :1], per_channel.shape))
        fractions.append((per_channel[:, :, 0] == 0).mean())
        assert abs(fractions[-1] - rate) < 0.04
    assert abs(fractions[0] - fractions[1]) < 0.06


def test_gaussian_noise_training_statistics(device):
    x = np.full((300, 400), 2.0, "float32")
    keras_noise = _keras(keras.layers.GaussianNoise(0.3), x) - x
    tk_noise = _tk(torchkeras.layers.GaussianNoise(0.3), x, device) - x
    for noise in (keras_noise, tk_noise):
        assert abs(noise.mean()) < 0.003
        assert abs(noise.std() - 0.3) < 0.003
    assert abs(keras_noise.std() - tk_noise.std()) < 0.004


def test_gaussian_dropout_training_statistics(device):
    x = np.full((300, 400), 2.0, "float32")
    keras_factor = _keras(keras.layers.GaussianDropout(0.3), x) / x
    tk_factor = _tk(torchkeras.layers.GaussianDropout(0.3), x, device) / x
    for factor in (keras_factor, tk_factor):
        assert abs(factor.mean() - 1.0) < 0.005
        assert abs(factor.std() - math.sqrt(0.3 / 0.7)) < 0.005


@pytest.mark.parametrize("kwargs", [{"rate": 0.1}, {"rate": 0.5, "seed": 3},
                                    {"rate": 0.3, "noise_shape": (None, 1, None)}])
def test_alpha_dropout_training(device, kwargs):
    x = _x(64, 20, 30)
    keras_out = _keras(keras.layers.AlphaDropout(**kwargs), x)
    tk_out = _tk(torchkeras.layers.AlphaDropout(**kwargs), x, device)
    rate = kwargs["rate"]
    # Where both kept a unit, the affine correction a * x + b must agree to the last bit; dropped
    # units take the same constant a * alpha_p + b on both sides.
    dropped_value = None
    for out in (keras_out, tk_out):
        values, counts = np.unique(out, return_counts=True)
        constant = values[np.argmax(counts)]
        dropped_value = constant if dropped_value is None else dropped_value
        assert constant == dropped_value
        dropped = out == constant
        assert abs(dropped.mean() - rate) < 0.03
        if "noise_shape" in kwargs:
            assert np.array_equal(dropped, np.broadcast_to(dropped[:, :1, :], dropped.shape))
    both_kept = (keras_out != dropped_value) & (tk_out != dropped_value)
    np.testing.assert_array_equal(keras_out[both_kept], tk_out[both_kept])
    assert both_kept.any()


@pytest.mark.parametrize("class_name, kwargs", [
    ("GaussianNoise", {"stddev": 1.5}), ("GaussianNoise", {"stddev": -0.1}), ("GaussianDropout", {"rate": 1.1}),
    ("AlphaDropout", {"rate": -0.5}), ("SpatialDropout1D", {"rate": 2.0}),
])
def test_both_refuse_bad_rates(class_name, kwargs):
    for module in (keras.layers, torchkeras.layers):
        with pytest.raises(ValueError, match="Received"):
            getattr(module, class_name)(**kwargs)
