"""Parity of the reshaping layers (Flatten, Reshape, Permute, RepeatVector) with real Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import check_layer_parity  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4, 5), (3,)])
def test_flatten(device, data_format, shape):
    check_layer_parity("Flatten", {"data_format": data_format, "name": "flatten"}, _x(*shape), device=device)


@pytest.mark.parametrize("shape", [(None, 3, 4), (None, 2, 3, 4), (None, None, 4)])
def test_flatten_output_shape(shape):
    assert (keras.layers.Flatten().compute_output_shape(shape)
            == torchkeras.layers.Flatten().compute_output_shape(shape))


@pytest.mark.parametrize(
    "target_shape, shape",
    [((8,), (2, 2, 4)), ((-1,), (2, 2, 4)), ((-1, 2), (3, 2, 4)), ((2, -1, 2), (3, 8)), ((4, 2), (3, 2, 4)),
     ((1, 1, 6), (2, 6))],
)
def test_reshape(device, target_shape, shape):
    check_layer_parity("Reshape", {"target_shape": target_shape, "name": "reshape"}, _x(*shape), device=device)
    for symbolic in [(None,) + shape[1:], (None,) * len(shape)]:
        assert (keras.layers.Reshape(target_shape).compute_output_shape(symbolic)
                == torchkeras.layers.Reshape(target_shape).compute_output_shape(symbolic))


def test_reshape_incompatible_error_like_keras():
    with pytest.raises(ValueError, match="total size of the tensor must be unchanged"):
        keras.layers.Reshape((5,))(np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match="total size of the tensor must be unchanged"):
        torchkeras.layers.Reshape((5,))(np.zeros((2, 6), "float32"))


@pytest.mark.parametrize("dims, shape", [((2, 1), (2, 3, 4)), ((1, 2), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5)),
                                         ((2, 3, 1), (2, 3, 4, 5))])
def test_permute(device, dims, shape):
    check_layer_parity("Permute", {"dims": dims, "name": "permute"}, _x(*shape), device=device)
    symbolic = (None,) + shape[1:]
    assert (keras.layers.Permute(dims).compute_output_shape(symbolic)
            == torchkeras.layers.Permute(dims).compute_output_shape(symbolic))


@pytest.mark.parametrize("n", [1, 4])
def test_repeat_vector(device, n):
    check_layer_parity("RepeatVector", {"n": n, "name": "repeat_vector"}, _x(3, 5), device=device)
    assert (keras.layers.RepeatVector(n).compute_output_shape((None, 5))
            == torchkeras.layers.RepeatVector(n).compute_output_shape((None, 5)))
