"""Conv1DTranspose / Conv2DTranspose / Conv3DTranspose against real Keras: configs, weights both ways,
outputs, output shapes (incl. the "same" cropping at odd/even sizes, strides 1/2/3, output_padding)."""

import keras
import numpy as np
import pytest

import torchkeras
from parity.harness import check_layer_parity

RNG = np.random.default_rng(0)

CONFIGS_2D = [
    # (kwargs, spatial input size)
    (dict(filters=3, kernel_size=3), (5, 6)),
    (dict(filters=3, kernel_size=3, padding="same"), (5, 6)),
    (dict(filters=4, kernel_size=3, strides=2), (5, 6)),
    (dict(filters=4, kernel_size=3, strides=2, padding="same"), (5, 6)),
    (dict(filters=4, kernel_size=2, strides=2, padding="same"), (5, 4)),
    (dict(filters=4, kernel_size=4, strides=2, padding="same"), (7, 4)),
    (dict(filters=2, kernel_size=3, strides=3, padding="same"), (4, 5)),
    (dict(filters=2, kernel_size=5, strides=3, padding="valid"), (4, 5)),
    (dict(filters=2, kernel_size=1, strides=3, padding="valid"), (4, 3)),
    (dict(filters=2, kernel_size=1, strides=3, padding="same"), (4, 3)),
    (dict(filters=2, kernel_size=2, strides=3, padding="same"), (3, 4)),
    (dict(filters=3, kernel_size=3, strides=2, output_padding=1), (5, 4)),
    (dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1), (5, 4)),
    (dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=0), (5, 4)),
    (dict(filters=3, kernel_size=4, strides=2, padding="same", output_padding=1), (5, 4)),
    (dict(filters=3, kernel_size=1, strides=2, padding="same", output_padding=1), (3, 4)),
    (dict(filters=3, kernel_size=(2, 3), strides=(3, 2), padding="same", output_padding=(2, 0)), (4, 5)),
    (dict(filters=3, kernel_size=(3, 2), strides=(1, 3), padding="valid", output_padding=(0, 2)), (4, 5)),
    (dict(filters=2, kernel_size=3, dilation_rate=2), (6, 5)),
    (dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (6, 5)),
    (dict(filters=2, kernel_size=(2, 3), dilation_rate=(3, 2), padding="same"), (6, 5)),
    (dict(filters=2, kernel_size=2, dilation_rate=2, padding="same", output_padding=0), (5, 5)),
    (dict(filters=5, kernel_size=3, strides=2, padding="same", data_format="channels_first"), (5, 6)),
    (dict(filters=5, kernel_size=3, strides=2, data_format="channels_first", output_padding=1), (5, 6)),
    (dict(filters=3, kernel_size=3, strides=2, padding="same", use_bias=False, activation="relu"), (5, 6)),
    (dict(filters=3, kernel_size=2, activation="tanh", bias_initializer="ones"), (4, 4)),
    (dict(filters=3, kernel_size=3, activation="sigmoid", kernel_initializer="he_normal"), (4, 4)),
]


def _input(kwargs, spatial, rank, channels=3, batch=2):
    if kwargs.get("data_format") == "channels_first":
        shape = (batch, channels) + tuple(spatial)
    else:
        shape = (batch,) + tuple(spatial) + (channels,)
    return RNG.normal(size=shape).astype("float32")


def _check(class_name, kwargs, x, device):
    keras_layer, tk_layer = check_layer_parity(class_name, dict(kwargs, name="under_test"), x, device=device)
    expected = tuple(keras_layer.compute_output_shape(x.shape))
    assert tuple(tk_layer.compute_output_shape(x.shape)) == expected
    assert tuple(tk_layer(torchkeras.backend.convert_to_tensor(x).to(device)).shape) == expected
    assert tuple(keras_layer(x).shape) == expected


@pytest.mark.parametrize("kwargs, spatial", CONFIGS_2D)
def test_conv2d_transpose_parity(kwargs, spatial, device):
    _check("Conv2DTranspose", kwargs, _input(kwargs, spatial, 2), device)


CONFIGS_1D = [
    (dict(filters=3, kernel_size=3), 7),
    (dict(filters=3, kernel_size=3, padding="same"), 6),
    (dict(filters=3, kernel_size=3, strides=2, padding="same"), 7),
    (dict(filters=3, kernel_size=3, strides=2, padding="same"), 8),
    (dict(filters=3, kernel_size=4, strides=2, padding="same"), 7),
    (dict(filters=3, kernel_size=2, strides=3), 5),
    (dict(filters=3, kernel_size=5, strides=3, padding="same"), 5),
    (dict(filters=3, kernel_size=5, strides=3, padding="same", output_padding=2), 5),
    (dict(filters=3, kernel_size=3, strides=2, output_padding=1), 6),
    (dict(filters=2, kernel_size=3, dilation_rate=3, padding="same"), 9),
    (dict(filters=2, kernel_size=4, dilation_rate=2), 9),
    (dict(filters=4, kernel_size=3, strides=2, padding="same", data_format="channels_first"), 7),
    (dict(filters=4, kernel_size=3, strides=3, data_format="channels_first", use_bias=False,
          activation="relu"), 7),
    (dict(filters=2, kernel_size=3, strides=2, activation="gelu"), 5),
]


@pytest.mark.parametrize("kwargs, length", CONFIGS_1D)
def test_conv1d_transpose_parity(kwargs, length, device):
    _check("Conv1DTranspose", kwargs, _input(kwargs, (length,), 1), device)


CONFIGS_3D = [
    (dict(filters=2, kernel_size=2), (3, 4, 3)),
    (dict(filters=2, kernel_size=3, strides=2, padding="same"), (3, 4, 3)),
    (dict(filters=2, kernel_size=3, strides=(1, 2, 3), padding="valid"), (3, 4, 3)),
    (dict(filters=2, kernel_size=(2, 3, 1), strides=(2, 3, 2), padding="same"), (3, 2, 3)),
    (dict(filters=2, kernel_size=3, strides=2, padding="same", output_padding=1), (3, 4, 3)),
    (dict(filters=2, kernel_size=3, strides=(2, 3, 1), output_padding=(1, 2, 0)), (3, 4, 3)),
    (dict(filters=2, kernel_size=2, dilation_rate=2, padding="same"), (4, 3, 4)),
    (dict(filters=3, kernel_size=3, strides=2, padding="same", data_format="channels_first"), (3, 4, 3)),
    (dict(filters=3, kernel_size=2, strides=2, data_format="channels_first", use_bias=False,
          activation="softplus"), (3, 2, 3)),
]


@pytest.mark.parametrize("kwargs, spatial", CONFIGS_3D)
def test_conv3d_transpose_parity(kwargs, spatial, device):
    _check("Conv3DTranspose", kwargs, _input(kwargs, spatial, 3), device)


@pytest.mark.parametrize("class_name", ["Convolution1DTranspose", "Convolution2DTranspose",
                                        "Convolution3DTranspose"])
def test_aliases_are_the_same_classes(class_name):
    assert getattr(torchkeras.layers, class_name) is getattr(torchkeras.layers, class_name.replace(
        "Convolution", "Conv"))
    assert getattr(keras.layers, class_name) is getattr(keras.layers, class_name.replace("Convolution", "Conv"))


def test_default_config_and_regularizers_match():
    kwargs = dict(filters=3, kernel_size=3, strides=2, kernel_regularizer="l2", bias_regularizer="l1",
                  activity_regularizer="l2", kernel_constraint="max_norm", name="cfg")
    assert keras.layers.Conv2DTranspose(**kwargs).get_config() == \
        torchkeras.layers.Conv2DTranspose(**kwargs).get_config()
    x = RNG.normal(size=(2, 4, 4, 2)).astype("float32")
    keras_layer, tk_layer = check_layer_parity("Conv2DTranspose", kwargs, x)
    keras_layer(x)
    tk_layer(torchkeras.backend.convert_to_tensor(x))
    np.testing.assert_allclose(sorted(float(v.detach()) for v in tk_layer.losses),
                               sorted(float(keras.ops.convert_to_numpy(v)) for v in keras_layer.losses),
                               rtol=1e-5)


def test_weights_from_a_keras_model_file_layout(tmp_path):
    """Kernel shape is Keras's (kh, kw, out, in): a Keras-trained kernel loads unchanged."""
    keras_layer = keras.layers.Conv2DTranspose(5, (2, 3))
    keras_layer.build((None, 4, 4, 7))
    tk_layer = torchkeras.layers.Conv2DTranspose(5, (2, 3))
    tk_layer.build((None, 4, 4, 7))
    assert [w.shape for w in tk_layer.get_weights()] == [tuple(w.shape) for w in keras_layer.weights] == [
        (2, 3, 5, 7), (5,)]
