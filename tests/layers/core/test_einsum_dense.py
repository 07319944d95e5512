import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize(
    "equation, output_shape, bias_axes, input_shape, expected_output_shape, kernel_shape, bias_shape",
    [
        ("ab,bc->ac", 64, None, (2, 32), (2, 64), (32, 64), None),
        ("ab,bc->ac", (64,), "c", (2, 32), (2, 64), (32, 64), (64,)),
        ("btd,de->bte", (None, 16), "e", (2, 5, 8), (2, 5, 16), (8, 16), (16,)),
        ("btd,ndh->btnh", (None, 4, 3), "nh", (2, 5, 8), (2, 5, 4, 3), (4, 8, 3), (4, 3)),
        ("btd,ndh->btnh", (None, 4, 3), "h", (2, 5, 8), (2, 5, 4, 3), (4, 8, 3), (3,)),
        ("btnh,nhd->btd", (None, 6), "d", (2, 5, 4, 3), (2, 5, 6), (4, 3, 6), (6,)),
        ("...b,bc->...c", 4, "c", (2, 3, 5), (2, 3, 4), (5, 4), (4,)),
        ("ab...,bc->ac...", 4, "c", (2, 5, 3), (2, 4, 3), (5, 4), (4, 1)),
    ],
)
def test_contract(equation, output_shape, bias_axes, input_shape, expected_output_shape, kernel_shape,
                  bias_shape):
    layer = run_layer_test(
        layers.EinsumDense,
        {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes},
        input_shape=input_shape,
        expected_output_shape=expected_output_shape,
        expected_num_trainable_weights=1 if bias_axes is None else 2,
        expected_num_non_trainable_weights=0,
    )
    assert layer.kernel.shape == kernel_shape
    if bias_shape is None:
        assert layer.bias is None
    else:
        assert tuple(layer.bias.shape) == bias_shape
    assert [w.name for w in layer.weights] == ["kernel", "bias"][: len(layer.weights)]


def test_activation_and_regularizers():
    run_layer_test(
        layers.EinsumDense,
        {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c", "activation": "relu",
         "kernel_regularizer": "l2", "bias_regularizer": "l1", "activity_regularizer": "l2",
         "kernel_constraint": "non_neg", "kernel_initializer": "he_normal", "bias_initializer": "ones"},
        input_shape=(2, 4),
        expected_output_shape=(2, 3),
        expected_num_losses=3,
    )


def test_golden_values():
    layer = layers.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c", activation="relu")
    layer.build((None, 3))
    layer.set_weights([np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]], "float32"),
                       np.array([0.5, -10.0], "float32")])
    out = layer(torch.tensor([[1.0, 1.0, 1.0], [2.0, 0.0, 1.0]]))
    # [1+2+0+0.5, -1+0+3-10] -> relu; [2+0+0+0.5, -2+0+3-10]
    torch.testing.assert_close(out, torch.tensor([[3.5, 0.0], [2.5, 0.0]]))


def test_matches_dense_for_matrix_equation():
    dense = layers.Dense(5)
    einsum = layers.EinsumDense("ab,bc->ac", 5, bias_axes="c")
    x = torch.randn(3, 4)
    dense(x)
    einsum.build((None, 4))
    einsum.set_weights(dense.get_weights())
    torch.testing.assert_close(einsum(x), dense(x))


def test_glorot_fans_use_kernel_axes():
    torch.manual_seed(0)
    layer = layers.EinsumDense("btd,ndh->btnh", (None, 4, 64), kernel_initializer="glorot_uniform")
    layer.build((None, 5, 256))
    # fan_in = d = 256, fan_out = n*h = 256 -> limit sqrt(6 / 512)
    limit = (6.0 / 512) ** 0.5
    kernel = layer.kernel.detach()
    assert kernel.abs().max() <= limit
    assert kernel.abs().max() > 0.9 * limit
    # The user's initializer object is left as it was given.
    assert layer.kernel_initializer.input_axes is None


def test_compute_output_shape_unknown_dims():
    layer = layers.EinsumDense("btd,de->bte", (None, 16), bias_axes="e")
    assert layer.compute_output_shape((None, None, 8)) == (None, None, 16)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"equation": "ab->b", "output_shape": 2}, ValueError),
        ({"equation": 3, "output_shape": 2}, ValueError),
        ({"equation": "ab,bc->ac", "output_shape": 0}, ValueError),
        ({"equation": "ab,bc->ac", "output_shape": "2"}, ValueError),
        ({"equation": "ab,bc->ac", "output_shape": 2.5}, TypeError),
        ({"equation": "ab,bc->ac", "output_shape": 2, "bias_axes": "z"}, ValueError),
        ({"equation": "ab,bc->ac", "output_shape": 2, "bias_axes": 1}, TypeError),
        ({"equation": "ab,bc->ac", "output_shape": 2, "lora_rank": 2}, ValueError),
        ({"equation": "ab,bz->ac", "output_shape": 2}, ValueError),
        ({"equation": "ab,bc->az", "output_shape": 2}, ValueError),
    ],
)
def test_invalid_arguments(kwargs, error):
    with pytest.raises(error, match="Received"):
        layers.EinsumDense(**kwargs)


def test_bad_build_shapes():
    layer = layers.EinsumDense("abc,cd->abd", (3, 4))
    with pytest.raises(ValueError, match="Received"):
        layer.build((None, 5, 6))  # output_shape says b=3, the input says 5
    layer = layers.EinsumDense("abc,cd->abd", (None, None))
    with pytest.raises(ValueError, match="einsum_dense"):
        layer.build((None, 5, 6))  # the kernel's 'd' size is unknown
    layer = layers.EinsumDense("ab,bc->ac", 4)
    layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="einsum_dense"):
        layer(torch.zeros(2, 3, 3))  # wrong rank


def test_wrong_feature_size_names_layer():
    layer = layers.EinsumDense("btd,de->bte", (None, 4), name="ed")
    layer(torch.zeros(2, 3, 5))
    layer(torch.zeros(2, 7, 5))  # 't' is not in the kernel: any size
    with pytest.raises(ValueError, match="ed"):
        layer(torch.zeros(2, 3, 6))
    layer = layers.EinsumDense("...b,bc->...c", 4, name="ed2")
    layer(torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="ed2"):
        layer(torch.zeros(2, 3, 6))
