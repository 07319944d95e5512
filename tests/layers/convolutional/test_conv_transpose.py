"""Conv1DTranspose / Conv2DTranspose / Conv3DTranspose: the layer contract, hand-checked goldens, the
"same" cropping rule, the kernel's memory layout, bad arguments and bad inputs."""

import copy

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.layers.convolutional.base_conv_transpose import (conv_transpose_crops,
                                                                 conv_transpose_output_length,
                                                                 torch_conv_transpose_plan)
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape, n_weights", [
    (layers.Conv1DTranspose, dict(filters=3, kernel_size=3), (2, 5, 4), (2, 7, 3), 2),
    (layers.Conv1DTranspose, dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 5, 4), (2, 10, 3), 2),
    (layers.Conv1DTranspose, dict(filters=2, kernel_size=2, strides=3, data_format="channels_first",
                                  use_bias=False), (2, 4, 5), (2, 2, 15), 1),
    (layers.Conv2DTranspose, dict(filters=3, kernel_size=3), (2, 4, 5, 2), (2, 6, 7, 3), 2),
    (layers.Conv2DTranspose, dict(filters=3, kernel_size=3, strides=2, padding="same", activation="relu"),
     (2, 5, 4, 2), (2, 10, 8, 3), 2),
    (layers.Conv2DTranspose, dict(filters=3, kernel_size=3, strides=2, output_padding=1), (2, 5, 4, 2),
     (2, 12, 10, 3), 2),
    (layers.Conv2DTranspose, dict(filters=4, kernel_size=(2, 3), strides=(3, 2), padding="same",
                                  output_padding=(2, 1), data_format="channels_first"),
     (2, 2, 4, 5), (2, 4, 3 * 3 + 2 % 2 + 2, 4 * 2 + 3 % 2 + 1), 2),  # (n - 1) * s + k % 2 + output_padding
    (layers.Conv2DTranspose, dict(filters=2, kernel_size=3, dilation_rate=2, padding="same",
                                  kernel_regularizer="l2", kernel_constraint="non_neg"), (2, 5, 5, 3),
     (2, 5, 5, 2), 2),
    (layers.Conv3DTranspose, dict(filters=2, kernel_size=2, strides=2), (2, 3, 2, 3, 2), (2, 6, 4, 6, 2), 2),
    (layers.Conv3DTranspose, dict(filters=2, kernel_size=3, strides=(1, 2, 3), padding="same",
                                  data_format="channels_first"), (2, 2, 3, 2, 3), (2, 2, 3, 4, 9), 2),
])
def test_conv_transpose_contract(cls, kwargs, input_shape, output_shape, n_weights):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0)


def test_conv2d_transpose_golden_stride_2():
    # 1 channel, 2x2 kernel, stride 2: every input pixel stamps `value * kernel` into its own 2x2 block.
    layer = layers.Conv2DTranspose(1, 2, strides=2, bias_initializer="zeros")
    layer.build((None, 2, 2, 1))
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(2, 2, 1, 1)
    layer.set_weights([kernel, np.array([0.5], "float32")])
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(1, 2, 2, 1)
    out = layer(x).detach().numpy()[0, :, :, 0]
    expected = np.array([[1, 2, 2, 4],
                         [3, 4, 6, 8],
                         [3, 6, 4, 8],
                         [9, 12, 12, 16]], "float32") + 0.5
    np.testing.assert_array_equal(out, expected)


def test_conv1d_transpose_golden_same_crops_on_the_right():
    # k=3, s=2, "same": the natural output [1, 1, 1+2, 2, 2] (length 5) is cropped to `n * s = 4` by
    # dropping the last element, as Keras's torch backend does.
    layer = layers.Conv1DTranspose(1, 3, strides=2, padding="same", kernel_initializer="ones")
    out = layer(np.array([[[1.0], [2.0]]], "float32")).detach().numpy()[0, :, 0]
    np.testing.assert_array_equal(out, [1.0, 1.0, 3.0, 2.0])


def test_conv1d_transpose_golden_valid_output_padding_adds_zeros_then_bias():
    # k=1, s=3, "valid": the default output padding is max(1, 3) - 1 = 2 zeros after each input step.
    layer = layers.Conv1DTranspose(1, 1, strides=3, kernel_initializer="ones", bias_initializer="ones")
    out = layer(np.array([[[2.0], [5.0]]], "float32")).detach().numpy()[0, :, 0]
    np.testing.assert_array_equal(out, [3.0, 1.0, 1.0, 6.0, 1.0, 1.0])


@pytest.mark.parametrize("size, kernel, stride, padding, output_padding, expected", [
    (5, 3, 2, "same", None, 10), (4, 3, 2, "same", None, 8), (5, 3, 3, "same", None, 15),
    (5, 3, 2, "valid", None, 11), (5, 1, 3, "valid", None, 15), (5, 3, 2, "valid", 1, 12),
    (5, 3, 2, "same", 1, 10), (5, 4, 2, "same", 1, 9), (5, 3, 3, "same", 2, 15), (None, 3, 2, "same", None, None),
])
def test_output_length_formula(size, kernel, stride, padding, output_padding, expected):
    assert conv_transpose_output_length(size, kernel, stride, padding, output_padding, 1) == expected
    if size is not None:
        layer = layers.Conv1DTranspose(1, kernel, strides=stride, padding=padding, output_padding=output_padding)
        assert layer(torch.zeros(1, size, 1)).shape == (1, expected, 1)


def test_plan_folds_crops_into_torch_padding_or_slices_and_zero_extends():
    # valid, k=3, s=2, output_padding=1: crop (0, -1) is torch's padding=0, output_padding=1.
    assert torch_conv_transpose_plan(conv_transpose_crops((3,), (2,), "valid", (1,), (1,)), (2,), (1,)) == \
        ((0,), (1,), None)
    # same, k=5, s=1: crop (2, 2) is torch's padding=2.
    assert torch_conv_transpose_plan(conv_transpose_crops((5,), (1,), "same", None, (1,)), (1,), (1,)) == \
        ((2,), (0,), None)
    # same, k=3, s=2: crop (0, 1) cannot be written in torch's arguments; slice one on the right.
    assert torch_conv_transpose_plan(((0, 1),), (2,), (1,)) == ((0,), (0,), [(0, 1)])
    # A right extension beyond what output_padding allows falls back on zero padding.
    assert torch_conv_transpose_plan(((1, -3),), (2,), (1,)) == ((0,), (0,), [(1, -3)])


def test_zero_extension_path_matches_its_definition():
    layer = layers.Conv1DTranspose(2, 3, strides=2, bias_initializer="ones")
    x = torch.randn(2, 4, 3)
    natural = layer(x)  # valid, k=3, s=2: the natural output, length 9, bias included
    layer._torch_padding, layer._torch_output_padding = (0,), (0,)
    layer._rest_crops, layer._zero_extends = [(1, -3)], True
    out = layer(x)
    bias = layer.bias.detach()
    expected = torch.cat([natural[:, 1:], bias.expand(2, 3, 2)], dim=1)
    torch.testing.assert_close(out, expected)


def test_kernel_has_keras_shape_and_torch_memory_layout():
    layer = layers.Conv2DTranspose(5, (2, 3))
    layer(torch.zeros(1, 4, 4, 7))
    assert tuple(layer.kernel.shape) == (2, 3, 5, 7)
    assert [tuple(w.shape) for w in layer.get_weights()] == [(2, 3, 5, 7), (5,)]
    assert layer.kernel.permute(3, 2, 0, 1).is_contiguous()  # torch's (in, out, kh, kw), no copy per call
    layer.set_weights([np.arange(2 * 3 * 5 * 7, dtype="float32").reshape(2, 3, 5, 7), np.zeros(5, "float32")])
    assert layer.kernel.permute(3, 2, 0, 1).is_contiguous()
    np.testing.assert_array_equal(layer.get_weights()[0], np.arange(210, dtype="float32").reshape(2, 3, 5, 7))
    state = layer.state_dict()
    assert tuple(state["kernel"].shape) == (2, 3, 5, 7)
    unbuilt = layers.Conv2DTranspose(5, (2, 3))
    unbuilt.load_state_dict(state)
    unbuilt(torch.zeros(1, 4, 4, 7))
    assert unbuilt.kernel.permute(3, 2, 0, 1).is_contiguous()
    torch.testing.assert_close(unbuilt.kernel, layer.kernel)
    for moved in (copy.deepcopy(layer), layer.to(torch.float64)):
        assert moved.kernel.permute(3, 2, 0, 1).is_contiguous()


@pytest.mark.parametrize("cls, shape", [
    (layers.Conv1DTranspose, (2, 5, 3)), (layers.Conv2DTranspose, (2, 5, 4, 3)),
    (layers.Conv3DTranspose, (2, 3, 4, 2, 3)),
])
def test_channels_last_equals_channels_first_on_permuted_data(cls, shape):
    last = cls(4, 3, strides=2, padding="same")
    first = cls(4, 3, strides=2, padding="same", data_format="channels_first")
    x = torch.randn(shape)
    out_last = last(x)
    first.build((None, shape[-1]) + shape[1:-1])
    first.set_weights(last.get_weights())
    to_first = (0, len(shape) - 1) + tuple(range(1, len(shape) - 1))
    to_last = (0,) + tuple(range(2, len(shape))) + (1,)
    torch.testing.assert_close(first(x.permute(to_first)).permute(to_last), out_last)


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0, kernel_size=3), "Received: filters=0"),
    (dict(filters=2.5, kernel_size=3), "Received: filters=2.5"),
    (dict(filters=2, kernel_size=0), "Received: kernel_size=0"),
    (dict(filters=2, kernel_size=(3, 3, 3)), r"Received: kernel_size=\(3, 3, 3\)"),
    (dict(filters=2, kernel_size=3, strides=0), "Received: strides=0"),
    (dict(filters=2, kernel_size=3, strides="2"), "Received: strides=2"),
    (dict(filters=2, kernel_size=3, padding="causal"), "Received: padding=causal"),
    (dict(filters=2, kernel_size=3, data_format="nhwc"), "Received: data_format=nhwc"),
    (dict(filters=2, kernel_size=3, output_padding=-1), "Received: output_padding=-1"),
    (dict(filters=2, kernel_size=3, strides=2, output_padding=2), r"Received: output_padding=\(2, 2\)"),
    (dict(filters=2, kernel_size=3, output_padding=1), r"Received: output_padding=\(1, 1\), strides=\(1, 1\)"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), r"Received: strides=\(2, 2\) and dilation_rate"),
    (dict(filters=2, kernel_size=3, activation="swishy"), "swishy"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Conv2DTranspose(**kwargs)


def test_output_padding_must_be_less_than_stride_per_axis():
    with pytest.raises(ValueError, match="At dimension 1, `output_padding` is 1 but `strides` is 1"):
        layers.Conv2DTranspose(2, 3, strides=(2, 1), output_padding=(1, 1))
    layers.Conv2DTranspose(2, 3, strides=(2, 1), output_padding=(1, 0))  # fine


@pytest.mark.parametrize("cls, shape", [
    (layers.Conv2DTranspose, (2, 4, 3)), (layers.Conv2DTranspose, (2, 4, 4, 4, 3)),
    (layers.Conv1DTranspose, (2, 4, 4, 3)), (layers.Conv3DTranspose, (2, 4, 4, 3)),
])
def test_wrong_input_rank_is_rejected(cls, shape):
    with pytest.raises(ValueError, match="ndim"):
        cls(2, 2)(torch.zeros(shape))


def test_wrong_channel_count_after_build_is_rejected():
    layer = layers.Conv2DTranspose(2, 2)
    layer(torch.zeros(1, 3, 3, 4))
    with pytest.raises(ValueError, match="axis -1"):
        layer(torch.zeros(1, 3, 3, 5))


def test_unknown_channels_cannot_build():
    with pytest.raises(ValueError, match="channel dimension .* must be known"):
        layers.Conv2DTranspose(2, 2).build((None, 4, 4, None))
