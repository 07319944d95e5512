"""Parity of Conv1D/2D/3D, DepthwiseConv1D/2D and SeparableConv1D/2D with real Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from parity.harness import check_layer_parity  # noqa: E402

FORMATS = ["channels_last", "channels_first"]


def _x(spatial, channels, data_format, batch=2, seed=0):
    shape = ((batch,) + tuple(spatial) + (channels,) if data_format == "channels_last"
             else (batch, channels) + tuple(spatial))
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# (kwargs, spatial): strides, dilation, same padding at odd and even sizes with stride 2, groups, ...
CONV_CASES = {
    1: [(dict(filters=4, kernel_size=3), (9,)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (8,)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (9,)),
        (dict(filters=4, kernel_size=4, strides=3, padding="same"), (10,)),
        (dict(filters=4, kernel_size=2, padding="same"), (7,)),
        (dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (9,)),
        (dict(filters=4, kernel_size=3, padding="causal"), (8,)),
        (dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (9,)),
        (dict(filters=6, kernel_size=3, groups=3, use_bias=False), (8,)),
        (dict(filters=4, kernel_size=3, strides=2, activation="relu"), (9,))],
    2: [(dict(filters=4, kernel_size=3), (6, 7)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (6, 6)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (7, 7)),
        (dict(filters=4, kernel_size=(3, 2), strides=(2, 1), padding="same"), (7, 6)),
        (dict(filters=4, kernel_size=4, strides=2, padding="same"), (7, 8)),
        (dict(filters=4, kernel_size=2, padding="same"), (5, 5)),
        (dict(filters=4, kernel_size=3, dilation_rate=(2, 1), padding="same"), (7, 6)),
        (dict(filters=4, kernel_size=3, dilation_rate=2), (8, 8)),
        (dict(filters=6, kernel_size=3, groups=3, padding="same", use_bias=False), (5, 6)),
        (dict(filters=4, kernel_size=(1, 3), strides=(1, 2), activation="tanh"), (5, 9))],
    3: [(dict(filters=4, kernel_size=3), (5, 5, 6)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (4, 5, 6)),
        (dict(filters=4, kernel_size=2, padding="same", dilation_rate=2), (5, 4, 5)),
        (dict(filters=6, kernel_size=(2, 3, 1), groups=3, use_bias=False, activation="relu"), (4, 5, 3))],
}


def _cases(table):
    return [(rank, kwargs, spatial, fmt) for rank, cases in table.items() for kwargs, spatial in cases
            for fmt in FORMATS]


@pytest.mark.parametrize("rank, kwargs, spatial, data_format", _cases(CONV_CASES))
def test_conv_parity(rank, kwargs, spatial, data_format, device):
    channels = 3 if kwargs.get("groups", 1) == 1 else 6
    check_layer_parity(f"Conv{rank}D", dict(kwargs, data_format=data_format, name="conv"),
                       _x(spatial, channels, data_format), device=device)


DEPTHWISE_CASES = {
    1: [(dict(kernel_size=3), (9,)),
        (dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (8,)),
        (dict(kernel_size=3, strides=2, padding="same"), (9,)),
        (dict(kernel_size=3, dilation_rate=2, padding="same", use_bias=False), (8,)),
        (dict(kernel_size=2, depth_multiplier=3, activation="relu"), (7,))],
    2: [(dict(kernel_size=3), (6, 7)),
        (dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (6, 6)),
        (dict(kernel_size=3, strides=2, padding="same"), (7, 7)),
        (dict(kernel_size=(3, 2), strides=(2, 1), padding="same", depth_multiplier=3), (7, 6)),
        (dict(kernel_size=3, dilation_rate=2, use_bias=False), (8, 8)),
        (dict(kernel_size=2, padding="same", activation="relu"), (5, 5))],
}


@pytest.mark.parametrize("rank, kwargs, spatial, data_format", _cases(DEPTHWISE_CASES))
def test_depthwise_conv_parity(rank, kwargs, spatial, data_format, device):
    check_layer_parity(f"DepthwiseConv{rank}D", dict(kwargs, data_format=data_format, name="dw"),
                       _x(spatial, 3, data_format), device=device)


SEPARABLE_CASES = {
    1: [(dict(filters=4, kernel_size=3), (9,)),
        (dict(filters=4, kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (8,)),
        (dict(filters=5, kernel_size=3, strides=2, padding="same"), (9,)),
        (dict(filters=4, kernel_size=3, dilation_rate=2, padding="same", use_bias=False), (8,)),
        (dict(filters=2, kernel_size=2, depth_multiplier=3, activation="relu"), (7,))],
    2: [(dict(filters=4, kernel_size=3), (6, 7)),
        (dict(filters=4, kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (6, 6)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (7, 7)),
        (dict(filters=5, kernel_size=(3, 2), strides=(2, 1), padding="same", depth_multiplier=3), (7, 6)),
        (dict(filters=4, kernel_size=3, dilation_rate=2, use_bias=False), (8, 8)),
        (dict(filters=3, kernel_size=2, padding="same", activation="sigmoid"), (5, 5))],
}


@pytest.mark.parametrize("rank, kwargs, spatial, data_format", _cases(SEPARABLE_CASES))
def test_separable_conv_parity(rank, kwargs, spatial, data_format, device):
    check_layer_parity(f"SeparableConv{rank}D", dict(kwargs, data_format=data_format, name="sep"),
                       _x(spatial, 3, data_format), device=device)


@pytest.mark.parametrize("class_name", ["Convolution1D", "Convolution2D", "Convolution3D",
                                        "SeparableConvolution1D", "SeparableConvolution2D"])
def test_aliases_parity(class_name):
    import keras

    import torchkeras
    assert getattr(torchkeras.layers, class_name).__name__ == getattr(keras.layers, class_name).__name__


def test_conv_regularizers_constraints_config_parity(device):
    check_layer_parity("Conv2D", dict(filters=3, kernel_size=2, kernel_regularizer="l2", bias_regularizer="l1",
                                      activity_regularizer="l2", kernel_constraint="non_neg",
                                      bias_initializer="ones", kernel_initializer="he_normal", name="c"),
                       _x((5, 5), 2, "channels_last"), device=device)
    check_layer_parity("SeparableConv2D", dict(filters=3, kernel_size=2, pointwise_regularizer="l2",
                                               depthwise_constraint="non_neg", name="s"),
                       _x((5, 5), 2, "channels_last"), device=device)
    check_layer_parity("DepthwiseConv2D", dict(kernel_size=2, depthwise_regularizer="l1", name="d"),
                       _x((5, 5), 2, "channels_last"), device=device)
