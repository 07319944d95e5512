"""SeparableConv1D/2D: contract, equality with depthwise-then-pointwise, bad arguments, no-copy layout."""

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
    (layers.SeparableConv1D, dict(filters=4, kernel_size=3), (2, 8, 3), (2, 6, 4), 3),
    (layers.SeparableConv1D, dict(filters=4, kernel_size=3, depth_multiplier=2, strides=2, padding="same",
                                  data_format="channels_first"), (2, 3, 7), (2, 4, 4), 3),
    (layers.SeparableConv2D, dict(filters=5, kernel_size=3, use_bias=False), (2, 6, 5, 3), (2, 4, 3, 5), 2),
    (layers.SeparableConv2D, dict(filters=2, kernel_size=(3, 2), strides=2, padding="same", depth_multiplier=3,
                                  activation="relu", pointwise_regularizer="l2"), (2, 7, 6, 2), (2, 4, 3, 2), 3),
    (layers.SeparableConv2D, dict(filters=3, kernel_size=2, dilation_rate=2, data_format="channels_first"),
     (2, 3, 5, 5), (2, 3, 3, 3), 3),
])
def test_separable_contract(cls, kwargs, input_shape, output_shape, n_weights):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_separable_equals_depthwise_then_pointwise(data_format):
    x = np.random.default_rng(0).standard_normal((2, 7, 6, 3)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    sep = layers.SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2, data_format=data_format,
                                 bias_initializer="random_normal")
    out = sep(x)
    depthwise_kernel, pointwise_kernel, bias = sep.get_weights()
    dw = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, use_bias=False,
                                data_format=data_format)
    pw = layers.Conv2D(4, 1, data_format=data_format)
    dw(x)
    dw.set_weights([depthwise_kernel])
    mid = dw(x)
    pw(mid)
    pw.set_weights([pointwise_kernel, bias])
    torch.testing.assert_close(out, pw(mid), atol=1e-5, rtol=1e-5)
    assert [w.name for w in sep.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert sep.weights[1].shape == (1, 1, 6, 4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0, kernel_size=3), "Received: filters=0"),
    (dict(filters=2, kernel_size=3, depth_multiplier=-1), "Received: depth_multiplier=-1"),
    (dict(filters=2, kernel_size=3, strides=0), "Received: strides=0"),
    (dict(filters=2, kernel_size=3, padding="full"), "Received: padding='full'"),
])
def test_separable_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.SeparableConv2D(**kwargs)


def test_separable_aliases():
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


@pytest.mark.parametrize("cls, shape", [(layers.SeparableConv1D, (2, 9, 4)), (layers.SeparableConv2D, (2, 8, 9, 4))])
def test_separable_runs_without_copies(cls, shape):
    layer = cls(6, 3, padding="same", depth_multiplier=2)
    x = torch.randn(shape)
    layer(x)
    assert _copy_ops(lambda: layer(x)) == []


def test_separable_torch_compile_fullgraph():
    layer = layers.SeparableConv2D(4, 3, strides=2, padding="same")
    x = torch.randn(2, 7, 6, 3)
    expected = layer(x)
    torch.testing.assert_close(torch.compile(layer, fullgraph=True, backend="aot_eager")(x), expected)
