"""DepthwiseConv1D/2D: contract, goldens, bad arguments, no-copy layout."""

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


def _copy_ops(fn):
    """The copy ops (if any) that one call of `fn` runs, seen by torch's profiler."""
    from torch.profiler import profile
    fn()
    with profile() as prof:
        fn()
    return sorted({e.name for e in prof.events()} & {"aten::contiguous", "aten::copy_", "aten::clone"})


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape, n_weights", [
    (layers.DepthwiseConv1D, dict(kernel_size=3), (2, 8, 3), (2, 6, 3), 2),
    (layers.DepthwiseConv1D, dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same",
                                  data_format="channels_first"), (2, 3, 7), (2, 6, 4), 2),
    (layers.DepthwiseConv2D, dict(kernel_size=3, use_bias=False), (2, 6, 5, 3), (2, 4, 3, 3), 1),
    (layers.DepthwiseConv2D, dict(kernel_size=(3, 2), strides=2, padding="same", depth_multiplier=3,
                                  activation="relu"), (2, 7, 6, 2), (2, 4, 3, 6), 2),
    (layers.DepthwiseConv2D, dict(kernel_size=2, dilation_rate=2, data_format="channels_first"),
     (2, 3, 5, 5), (2, 3, 3, 3), 2),
])
def test_depthwise_contract(cls, kwargs, input_shape, output_shape, n_weights):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0)


def test_depthwise_golden_channel_order():
    # Output channel c * multiplier + m comes from input channel c with kernel[..., c, m].
    layer = layers.DepthwiseConv1D(1, depth_multiplier=2, use_bias=False)
    layer.build((None, 2, 2))
    layer.set_weights([np.array([[[1.0, 2.0], [10.0, 20.0]]], "float32")])  # (1, 2, 2)
    out = layer(np.array([[[1.0, 3.0], [2.0, 5.0]]], "float32")).detach().numpy()
    np.testing.assert_allclose(out, [[[1, 2, 30, 60], [2, 4, 50, 100]]])


def test_depthwise2d_golden_sum_filter():
    layer = layers.DepthwiseConv2D(2, bias_initializer="ones")
    layer.build((None, 3, 3, 2))
    layer.set_weights([np.stack([np.ones((2, 2)), -np.ones((2, 2))], -1)[..., None].astype("float32"),
                       np.array([1.0, 0.0], "float32")])
    x = np.arange(18, dtype="float32").reshape(1, 3, 3, 2)
    out = layer(x).detach().numpy()
    ch0 = x[0, :, :, 0]
    expected0 = np.array([[ch0[i:i + 2, j:j + 2].sum() for j in range(2)] for i in range(2)]) + 1
    ch1 = x[0, :, :, 1]
    expected1 = -np.array([[ch1[i:i + 2, j:j + 2].sum() for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(out[0, :, :, 0], expected0)
    np.testing.assert_allclose(out[0, :, :, 1], expected1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=3, depth_multiplier=0), "Received: depth_multiplier=0"),
    (dict(kernel_size=0), "Received: kernel_size=0"),
    (dict(kernel_size=3, strides=(1, 0)), r"Received: strides=\(1, 0\)"),
    (dict(kernel_size=3, padding="causal"), "Received: padding='causal'"),
    (dict(kernel_size=3, padding="full"), "Received: padding='full'"),
])
def test_depthwise_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.DepthwiseConv2D(**kwargs)


def test_depthwise_bad_inputs():
    with pytest.raises(ValueError):
        layers.DepthwiseConv2D(3)(np.zeros((1, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"kernel_size=\(4,\)"):
        layers.DepthwiseConv1D(4)(np.zeros((1, 3, 2), "float32"))


@pytest.mark.parametrize("cls, shape, data_format", [
    (layers.DepthwiseConv1D, (2, 9, 4), "channels_last"),
    (layers.DepthwiseConv2D, (2, 8, 9, 4), "channels_last"),
    (layers.DepthwiseConv2D, (2, 4, 8, 9), "channels_first"),
])
def test_depthwise_runs_without_copies(cls, shape, data_format):
    from torchkeras.layers.convolutional.base_depthwise_conv import depthwise_torch_weight
    layer = cls(3, depth_multiplier=2, padding="same", data_format=data_format)
    x = torch.randn(shape)
    layer(x)
    assert depthwise_torch_weight(layer._plan, layer.kernel).data_ptr() == layer.kernel.data_ptr()
    assert _copy_ops(lambda: layer(x)) == []


def test_depthwise_torch_compile_fullgraph():
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same")
    x = torch.randn(2, 7, 6, 3)
    expected = layer(x)
    torch.testing.assert_close(torch.compile(layer, fullgraph=True, backend="aot_eager")(x), expected)
