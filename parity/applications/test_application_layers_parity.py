"""Parity of the layers defined by Keras's application modules with the real Keras classes:
`LayerScale` and `StochasticDepth` (`keras.src.applications.convnext`), `CustomScaleLayer`
(`keras.src.applications.inception_resnet_v2`).

Configs, weight shapes and order, outputs with weights moved both ways; StochasticDepth's training mode
by statistics (Keras and torch draw from different random streams)."""

import re

import keras
import numpy as np
import pytest
import torch
from keras.src.applications import convnext as keras_convnext
from keras.src.applications import inception_resnet_v2 as keras_inception_resnet_v2

import torchkeras
from parity.harness import LAYER_ATOL, LAYER_RTOL, assert_close, random_weights_like
from torchkeras.applications import convnext, inception_resnet_v2


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _pair(module_pair, class_name, kwargs):
    keras_module, tk_module = module_pair
    keras_layer = getattr(keras_module, class_name)(**kwargs)
    tk_layer = getattr(tk_module, class_name)(**kwargs)
    assert tk_layer.get_config() == keras_layer.get_config(), (keras_layer.get_config(), tk_layer.get_config())
    return keras_layer, tk_layer


CONVNEXT = (keras_convnext, convnext)
INCEPTION_RESNET_V2 = (keras_inception_resnet_v2, inception_resnet_v2)


@pytest.mark.parametrize("kwargs, shape", [
    ({"init_values": 1e-6, "projection_dim": 8, "name": "ls"}, (2, 3, 3, 8)),
    ({"init_values": 0.5, "projection_dim": 4, "name": "ls"}, (5, 4)),
])
def test_layer_scale(device, kwargs, shape):
    keras_layer, tk_layer = _pair(CONVNEXT, "LayerScale", kwargs)
    x = _x(*shape)
    expected = keras.ops.convert_to_numpy(keras_layer(x))
    tk_layer.to(device)
    assert_close(expected, tk_layer(torch.as_tensor(x).to(device)).detach().cpu().numpy(), LAYER_ATOL,
                 LAYER_RTOL, "LayerScale, initial weights")
    assert [tuple(w.shape) for w in keras_layer.weights] == [w.shape for w in tk_layer.weights]
    assert [w.trainable for w in keras_layer.weights] == [w.trainable for w in tk_layer.weights]
    # Unnamed in Keras: `variable`, `variable_1`, ... from a process-wide counter (so not comparable here).
    for weight in keras_layer.weights + tk_layer.weights:
        assert re.fullmatch(r"ls/variable(_\d+)?", weight.path), weight.path

    tk_layer.set_weights(random_weights_like(keras_layer.get_weights(), seed=4))
    keras_layer.set_weights(tk_layer.get_weights())
    assert_close(keras.ops.convert_to_numpy(keras_layer(x)),
                 tk_layer(torch.as_tensor(x).to(device)).detach().cpu().numpy(), LAYER_ATOL, LAYER_RTOL,
                 "LayerScale, torchkeras -> Keras weights")


@pytest.mark.parametrize("scale, shapes", [(0.17, [(2, 4, 4, 6), (2, 4, 4, 6)]), (1.0, [(3, 5), (3, 5)]),
                                           (0.2, [(2, 3, 4), (2, 1, 4)])])
def test_custom_scale_layer(device, scale, shapes):
    keras_layer, tk_layer = _pair(INCEPTION_RESNET_V2, "CustomScaleLayer", {"scale": scale, "name": "cs"})
    xs = [_x(*shape, seed=i) for i, shape in enumerate(shapes)]
    expected = keras.ops.convert_to_numpy(keras_layer(xs))
    received = tk_layer([torch.as_tensor(v).to(device) for v in xs]).cpu().numpy()
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "CustomScaleLayer")


def test_stochastic_depth_inference_exact(device):
    keras_layer, tk_layer = _pair(CONVNEXT, "StochasticDepth", {"drop_path_rate": 0.4, "name": "sd"})
    x = _x(3, 4, 4, 5)
    assert_close(keras.ops.convert_to_numpy(keras_layer(x)),
                 tk_layer(torch.as_tensor(x).to(device)).cpu().numpy(), 0, 0, "StochasticDepth at inference")


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_stochastic_depth_training_statistics(device, rate):
    x = np.ones((4000, 3, 2), "float32")
    keras_layer, tk_layer = _pair(CONVNEXT, "StochasticDepth", {"drop_path_rate": rate, "name": "sd"})
    keras.utils.set_random_seed(0)
    keras_out = keras.ops.convert_to_numpy(keras_layer(x, training=True))
    torch.manual_seed(0)
    tk_out = tk_layer(torch.as_tensor(x).to(device), training=True).cpu().numpy()
    tolerance = 5 * np.sqrt(rate * (1 - rate) / x.shape[0])  # five binomial standard deviations
    for out in (keras_out, tk_out):
        per_sample = out.reshape(x.shape[0], -1)
        # A whole sample is dropped or kept, the kept ones scaled by 1 / (1 - rate).
        assert np.array_equal(per_sample, np.broadcast_to(per_sample[:, :1], per_sample.shape))
        np.testing.assert_allclose(per_sample[per_sample[:, 0] != 0, 0], 1 / (1 - rate), rtol=1e-6)
        assert abs((per_sample[:, 0] == 0).mean() - rate) < tolerance
    assert abs((keras_out == 0).mean() - (tk_out == 0).mean()) < np.sqrt(2) * tolerance


def test_functional_configs_record_the_same_call_arguments():
    """In a functional model, Keras records no `training` argument for StochasticDepth (its default is
    None) and records build configs for it and CustomScaleLayer (unlike Dropout, built at creation)."""
    def build(k, layers_module):
        inputs = k.Input((4, 4, 6))
        x = layers_module[0].LayerScale(0.1, 6, name="ls")(inputs)
        x = layers_module[0].StochasticDepth(0.3, name="sd")(x)
        outputs = layers_module[1].CustomScaleLayer(0.5, name="cs")([inputs, x])
        return k.Model(inputs, outputs, name="m")

    keras_config = build(keras, (keras_convnext, keras_inception_resnet_v2)).get_config()
    tk_config = build(torchkeras, (convnext, inception_resnet_v2)).get_config()
    for keras_layer, tk_layer in zip(keras_config["layers"][1:], tk_config["layers"][1:]):
        assert keras_layer["inbound_nodes"][0]["kwargs"] == tk_layer["inbound_nodes"][0]["kwargs"]
        assert keras_layer.get("build_config") == tk_layer.get("build_config")
        assert (keras_layer["module"], keras_layer["registered_name"]) == (
            tk_layer["module"], tk_layer["registered_name"])
