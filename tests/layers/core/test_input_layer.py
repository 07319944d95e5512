"""Input and InputLayer: shapes, dtypes, names, config, errors."""

import pytest

import torchkeras as keras
from torchkeras import layers


def test_input_returns_a_symbolic_tensor_with_keras_shape():
    x = keras.Input(shape=(784,), name="pixels")
    assert x.shape == (None, 784) and x.dtype == "float32" and x.name == "pixels"
    layer = x._keras_history.operation
    assert isinstance(layer, layers.InputLayer) and layer.name == "pixels" and layer.output is x
    assert keras.Input(shape=(3, 4), batch_size=8, dtype="int32").shape == (8, 3, 4)
    assert keras.Input(batch_shape=(None, None, 2)).shape == (None, None, 2)


def test_input_layer_config_round_trip():
    layer = layers.InputLayer(shape=(5,), name="meta")
    assert layer.get_config() == {"batch_shape": (None, 5), "dtype": "float32", "sparse": False,
                                  "ragged": False, "name": "meta", "optional": False}
    assert layers.InputLayer.from_config(layer.get_config()).batch_shape == (None, 5)


def test_calling_a_layer_on_an_input_builds_it_and_infers_the_shape():
    dense = layers.Dense(16)
    out = dense(keras.Input(shape=(8,)))
    assert dense.built and out.shape == (None, 16)


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "must pass a `shape`"),
    (dict(shape=(3,), batch_shape=(None, 3)), "both `shape` and `batch_shape`"),
    (dict(shape=(-1,)), "Received: shape=\\(-1,\\)"),
    (dict(shape="abc"), "Received: shape=\\('a', 'b', 'c'\\)"),
    (dict(shape=(3,), sparse=True), "dense tensors"),
])
def test_bad_input_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.Input(**kwargs)


def test_bad_dtype_lists_the_valid_names():
    with pytest.raises(ValueError, match="Invalid dtype.*Received: dtype='floaty'"):
        keras.Input(shape=(3,), dtype="floaty")
