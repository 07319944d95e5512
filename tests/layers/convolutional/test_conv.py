"""Conv1D/2D/3D: the layer contract, hand-checkable goldens, same/causal padding against a numpy reference,
bad arguments and inputs, and the no-copy layout (kernel and activations)."""

import copy
import io

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape, n_weights", [
    (layers.Conv1D, dict(filters=4, kernel_size=3), (2, 8, 3), (2, 6, 4), 2),
    (layers.Conv1D, dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 8, 3), (2, 8, 4), 2),
    (layers.Conv1D, dict(filters=4, kernel_size=3, strides=2, padding="same", data_format="channels_first"),
     (2, 3, 7), (2, 4, 4), 2),
    (layers.Conv2D, dict(filters=4, kernel_size=3, use_bias=False), (2, 6, 5, 3), (2, 4, 3, 4), 1),
    (layers.Conv2D, dict(filters=6, kernel_size=(3, 2), strides=2, padding="same", groups=3, activation="relu"),
     (2, 7, 6, 3), (2, 4, 3, 6), 2),
    (layers.Conv2D, dict(filters=2, kernel_size=2, data_format="channels_first", kernel_regularizer="l2"),
     (2, 3, 5, 5), (2, 2, 4, 4), 2),
    (layers.Conv3D, dict(filters=2, kernel_size=2), (2, 4, 5, 3, 3), (2, 3, 4, 2, 2), 2),
    (layers.Conv3D, dict(filters=2, kernel_size=3, strides=2, padding="same", data_format="channels_first"),
     (1, 3, 5, 4, 3), (1, 2, 3, 2, 2), 2),
])
def test_conv_contract(cls, kwargs, input_shape, output_shape, n_weights):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0)


def test_conv2d_golden_values():
    conv = layers.Conv2D(1, 3, bias_initializer="zeros")
    conv.build((None, 4, 4, 1))
    kernel = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], "float32").reshape(3, 3, 1, 1)  # Laplacian
    conv.set_weights([kernel, np.array([0.5], "float32")])
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1) ** 2  # x[i, j] = (4i + j)^2
    out = conv(x).detach().numpy()[0, :, :, 0]
    # Laplacian of (4i + j)^2: second differences 2*16 (rows) + 2*1 (cols) = 34, plus the bias 0.5.
    np.testing.assert_allclose(out, np.full((2, 2), 34.5))
    assert conv.weights[0].shape == (3, 3, 1, 1) and conv.weights[0].path == f"{conv.name}/kernel"


def test_conv1d_golden_causal():
    conv = layers.Conv1D(1, 2, padding="causal", use_bias=False)
    conv.build((None, 4, 1))
    conv.set_weights([np.array([1.0, 10.0], "float32").reshape(2, 1, 1)])
    out = conv(np.array([1, 2, 3, 4], "float32").reshape(1, 4, 1)).detach().numpy().ravel()
    # y[t] = 1 * x[t-1] + 10 * x[t], with x[-1] = 0
    np.testing.assert_allclose(out, [10, 21, 32, 43])


def _numpy_conv2d_nhwc(x, kernel, strides, pads):
    (top, bottom), (left, right) = pads
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, out_c = kernel.shape
    oh = (x.shape[1] - kh) // strides + 1
    ow = (x.shape[2] - kw) // strides + 1
    out = np.zeros((x.shape[0], oh, ow, out_c), "float64")
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * strides:i * strides + kh, j * strides:j * strides + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out


@pytest.mark.parametrize("size, kernel_size, expected_pads", [
    (6, 3, (0, 1)),  # even size: total 1, the extra row/column goes bottom/right
    (7, 3, (1, 1)),  # odd size: total 2, symmetric
    (8, 4, (1, 2)),
    (5, 2, (0, 1)),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_same_padding_stride_2_matches_numpy(size, kernel_size, expected_pads, data_format):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, size, size, 3)).astype("float32")
    conv = layers.Conv2D(2, kernel_size, strides=2, padding="same", use_bias=False, data_format=data_format)
    out = conv(x if data_format == "channels_last" else x.transpose(0, 3, 1, 2)).detach().numpy()
    if data_format == "channels_first":
        out = out.transpose(0, 2, 3, 1)
    expected = _numpy_conv2d_nhwc(x.astype("float64"), conv.get_weights()[0].astype("float64"), 2,
                                  (expected_pads, expected_pads))
    assert out.shape == expected.shape == (2, (size + 1) // 2, (size + 1) // 2, 2)
    np.testing.assert_allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("cls, kwargs, message", [
    (layers.Conv2D, dict(filters=2, kernel_size=3, strides=0), "Received: strides=0"),
    (layers.Conv2D, dict(filters=2, kernel_size=-1), "Received: kernel_size=-1"),
    (layers.Conv2D, dict(filters=2, kernel_size=(3, 3, 3)), r"Received: kernel_size=\(3, 3, 3\)"),
    (layers.Conv2D, dict(filters=2, kernel_size=3, padding="full"), "Received: padding='full'"),
    (layers.Conv2D, dict(filters=2, kernel_size=3, padding="causal"), "Received: padding='causal'"),
    (layers.Conv2D, dict(filters=0, kernel_size=3), "Received: filters=0"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, groups=3), "Received: groups=3, filters=4"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, groups=0), "Received: groups=0"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), "Received: strides=.2, 2."),
    (layers.Conv2D, dict(filters=4, kernel_size=3, data_format="nhwc"), "nhwc"),
    (layers.Conv1D, dict(filters=4, kernel_size=3, dilation_rate=0), "Received: dilation_rate=0"),
    (layers.Conv3D, dict(filters=4, kernel_size=3, activation="nope"), "nope"),
])
def test_conv_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_conv_bad_inputs():
    with pytest.raises(ValueError, match="rank 4|ndim=4"):
        layers.Conv2D(2, 3)(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="groups=2, but the input has 3 channels"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"kernel_size=\(5, 5\)"):
        layers.Conv2D(2, 5)(np.zeros((1, 4, 6, 3), "float32"))
    with pytest.raises(ValueError, match="dilation_rate=.3,"):
        layers.Conv1D(2, 3, dilation_rate=3)(np.zeros((1, 6, 3), "float32"))
    conv = layers.Conv2D(2, 3)
    conv(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError):
        conv(np.zeros((1, 5, 5, 4), "float32"))  # the channel count is fixed once built


def test_conv_compute_output_shape_formula():
    conv = layers.Conv2D(4, 3, strides=2, padding="same")
    assert conv.compute_output_shape((None, 7, None, 3)) == (None, 4, None, 4)
    assert layers.Conv1D(4, 3, padding="causal", strides=2).compute_output_shape((2, 9, 1)) == (2, 5, 4)
    assert layers.Conv3D(4, 2, data_format="channels_first").compute_output_shape((1, 2, 3, 4, 5)) == (1, 4, 2, 3, 4)


def test_conv_aliases():
    assert layers.Convolution1D is layers.Conv1D
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Convolution3D is layers.Conv3D


# ------------------------------------------------------------------ layout: no copies on the hot path

def _copy_ops(fn):
    from torch.profiler import profile
    fn()
    with profile() as prof:
        fn()
    return sorted({e.name for e in prof.events()} & {"aten::contiguous", "aten::copy_", "aten::clone"})


@pytest.mark.parametrize("cls, shape, data_format", [
    (layers.Conv1D, (2, 9, 4), "channels_last"),
    (layers.Conv1D, (2, 4, 9), "channels_first"),
    (layers.Conv2D, (2, 8, 9, 4), "channels_last"),
    (layers.Conv2D, (2, 4, 8, 9), "channels_first"),
    (layers.Conv3D, (2, 5, 6, 4, 4), "channels_last"),
    (layers.Conv3D, (2, 4, 5, 6, 4), "channels_first"),
])
def test_conv_runs_without_copies(cls, shape, data_format):
    conv = cls(8, 3, padding="same", data_format=data_format, groups=2)
    x = torch.randn(shape)
    conv(x)
    weight = conv._plan.torch_weight(conv.kernel)
    assert weight.data_ptr() == conv.kernel.data_ptr()
    fmt = {1: None, 2: torch.channels_last, 3: torch.channels_last_3d}[conv.rank]
    if data_format == "channels_first":
        assert weight.is_contiguous()
    elif fmt is not None:
        assert weight.is_contiguous(memory_format=fmt)
    assert _copy_ops(lambda: conv(x)) == []
    with torch.no_grad():
        y = conv(x)
    assert y.is_contiguous()  # in Keras's layout: channels_last outputs come back as dense NHWC


def test_conv_kernel_layout_survives_weight_movement():
    conv = layers.Conv2D(4, 3)
    conv(torch.randn(1, 5, 5, 3))
    strides = conv.kernel.stride()
    assert strides == (9, 3, 1, 27)  # memory O, H, W, I: torch's channels_last weight
    conv.set_weights([np.ones((3, 3, 3, 4), "float32"), np.zeros(4, "float32")])
    assert conv.kernel.stride() == strides
    state = conv.state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    fresh = layers.Conv2D(4, 3)
    fresh.load_state_dict(torch.load(buffer))  # into an unbuilt layer
    fresh(torch.randn(1, 5, 5, 3))
    assert fresh.kernel.stride() == strides and torch.equal(fresh.kernel, conv.kernel)
    built = layers.Conv2D(4, 3)
    built(torch.randn(1, 5, 5, 3))
    built.load_state_dict(state)
    assert built.kernel.stride() == strides and torch.equal(built.kernel, conv.kernel)
    assert copy.deepcopy(conv).kernel.stride() == strides
    assert conv.double().kernel.stride() == strides
    conv.float()
    out = conv(torch.randn(2, 5, 5, 3)).sum()
    out.backward()
    assert conv.kernel.grad.stride() == strides


def test_conv2d_torch_compile_fullgraph():
    conv = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")
    x = torch.randn(2, 7, 8, 3)
    expected = conv(x)
    compiled = torch.compile(conv, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(x), expected)
    conv1 = layers.Conv1D(4, 3, padding="causal")
    x1 = torch.randn(2, 7, 3)
    expected1 = conv1(x1)  # built models compile without graph breaks
    torch.testing.assert_close(torch.compile(conv1, fullgraph=True, backend="aot_eager")(x1), expected1)
