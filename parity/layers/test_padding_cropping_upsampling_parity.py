"""Parity of ZeroPadding, Cropping and UpSampling 1D/2D/3D with real Keras: configs and outputs."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from parity.harness import check_layer_parity  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


CASES = [
    ("ZeroPadding1D", {}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": (2, 0)}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": [1, 3], "data_format": "channels_first"}, (2, 3, 5)),
    ("ZeroPadding2D", {}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": ((1, 0), (0, 2))}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": (2, 1), "data_format": "channels_first"}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {}, (1, 3, 4, 2, 2)),
    ("ZeroPadding3D", {"padding": ((0, 1), (2, 0), (1, 1)), "data_format": "channels_first"}, (1, 2, 3, 4, 2)),
    ("ZeroPadding3D", {"padding": 2}, (1, 2, 2, 2, 1)),
    ("Cropping1D", {}, (2, 6, 3)),
    ("Cropping1D", {"cropping": (0, 2)}, (2, 6, 3)),
    ("Cropping1D", {"cropping": 2}, (2, 6, 3)),
    ("Cropping2D", {}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (0, 2))}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": ((0, 2), (1, 0))}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": (1, 2), "data_format": "channels_first"}, (2, 3, 5, 6)),
    ("Cropping3D", {}, (1, 4, 5, 6, 2)),
    ("Cropping3D", {"cropping": ((0, 1), (2, 0), (1, 1))}, (1, 4, 5, 6, 2)),
    ("Cropping3D", {"cropping": ((1, 0), (0, 0), (0, 2)), "data_format": "channels_first"}, (1, 2, 4, 5, 6)),
    ("UpSampling1D", {}, (2, 4, 3)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling2D", {}, (2, 3, 4, 3)),
    ("UpSampling2D", {"size": (3, 1), "data_format": "channels_first"}, (2, 3, 4, 5)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 5, 4, 3)),
    ("UpSampling2D", {"size": 2, "interpolation": "bilinear", "data_format": "channels_first"}, (2, 3, 5, 4)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bicubic"}, (2, 5, 4, 3)),
    ("UpSampling2D", {"size": 4, "interpolation": "bicubic", "data_format": "channels_first"}, (1, 2, 3, 3)),
    ("UpSampling3D", {}, (1, 2, 3, 4, 2)),
    ("UpSampling3D", {"size": (1, 2, 3), "data_format": "channels_first"}, (1, 2, 3, 4, 2)),
]


@pytest.mark.parametrize("class_name, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_outputs_and_config(device, class_name, kwargs, shape):
    check_layer_parity(class_name, {**kwargs, "name": "layer"}, _x(*shape), device=device)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
def test_up_sampling2d_integer_inputs(device, interpolation):
    x = np.random.default_rng(1).integers(0, 255, size=(1, 3, 4, 2)).astype("int32")
    check_layer_parity("UpSampling2D", {"size": (2, 3), "interpolation": interpolation, "name": "u"}, x,
                       device=device)


def test_zero_padding_integer_inputs(device):
    x = np.arange(12, dtype="int32").reshape(1, 2, 3, 2)
    check_layer_parity("ZeroPadding2D", {"padding": ((1, 0), (0, 2)), "name": "z"}, x, device=device)


@pytest.mark.parametrize("class_name, kwargs", [
    ("ZeroPadding2D", {"padding": 1}), ("ZeroPadding3D", {"padding": (1, 2, 3)}),
    ("Cropping2D", {"cropping": ((1, 2), (3, 4))}), ("Cropping3D", {"cropping": 1}),
    ("UpSampling2D", {"size": 3, "interpolation": "BILINEAR"}), ("UpSampling3D", {"size": 2}),
])
def test_config_round_trip_between_frameworks(class_name, kwargs):
    import torchkeras

    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name).from_config(keras_layer.get_config())
    assert tk_layer.get_config() == keras_layer.get_config()
    back = getattr(keras.layers, class_name).from_config(tk_layer.get_config())
    assert back.get_config() == keras_layer.get_config()


@pytest.mark.parametrize("class_name, kwargs", [
    ("ZeroPadding1D", {"padding": -1}), ("ZeroPadding2D", {"padding": (1, 2, 3)}),
    ("ZeroPadding2D", {"padding": ((1, -1), (0, 0))}), ("ZeroPadding3D", {"padding": (1, 1)}),
    ("Cropping1D", {"cropping": -1}), ("Cropping2D", {"cropping": -1}), ("Cropping3D", {"cropping": (1, 2)}),
    ("UpSampling1D", {"size": 0}), ("UpSampling2D", {"size": (0, 1)}), ("UpSampling3D", {"size": (1, 2)}),
])
def test_both_refuse_bad_arguments(class_name, kwargs):
    import torchkeras

    with pytest.raises(ValueError, match="Received"):
        getattr(keras.layers, class_name)(**kwargs)
    with pytest.raises(ValueError, match="Received"):
        getattr(torchkeras.layers, class_name)(**kwargs)


@pytest.mark.parametrize("class_name, kwargs, shape", [
    ("Cropping1D", {"cropping": (3, 3)}, (1, 6, 2)),
    ("Cropping2D", {"cropping": ((0, 0), (2, 2))}, (1, 6, 4, 2)),
    ("Cropping3D", {"cropping": ((2, 2), (0, 0), (0, 0))}, (1, 4, 5, 6, 2)),
])
def test_both_refuse_cropping_larger_than_input(class_name, kwargs, shape):
    import torch
    import torchkeras

    x = _x(*shape)
    with pytest.raises(ValueError, match="Received"):
        getattr(keras.layers, class_name)(**kwargs)(x)
    with pytest.raises(ValueError, match="Received"):
        getattr(torchkeras.layers, class_name)(**kwargs)(torch.as_tensor(x))
