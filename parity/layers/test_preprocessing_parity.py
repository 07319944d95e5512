"""Rescaling, Normalization, Resizing and CenterCrop against real Keras: configs, weights both ways,
outputs (dtypes included) for every interpolation mode, aspect-ratio mode and data format, and the
statistics `adapt()` learns from arrays, tensors and batched iterables."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import types  # noqa: E402

import keras  # noqa: E402
import keras.src.layers.preprocessing.normalization as keras_normalization_module  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import LAYER_ATOL, LAYER_RTOL, assert_close, check_layer_parity  # noqa: E402

FLOAT16_ATOL = 1e-2  # DESIGN.md's bound under a float16 policy

RNG = np.random.default_rng(0)
IMAGES = (RNG.uniform(0, 255, size=(2, 7, 9, 3))).astype("float32")
FEATURES = (RNG.normal(size=(12, 4, 5)) * 3.0 + 2.0).astype("float32")


def _to_numpy(x):
    """A numpy copy; bfloat16 (which numpy lacks) as float32, once callers have compared dtypes."""
    tensor = x.value if hasattr(x, "value") and not isinstance(x, torch.Tensor) else x
    if isinstance(tensor, torch.Tensor):
        tensor = tensor.detach().cpu()
        return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()
    return keras.ops.convert_to_numpy(x)


def _assert_same_dtype(expected, received, what):
    expected_dtype = keras.backend.standardize_dtype(expected.dtype)
    received_dtype = torchkeras.backend.standardize_dtype(received.dtype)
    assert expected_dtype == received_dtype, f"{what}: dtype {expected_dtype} in Keras, {received_dtype} in torchkeras"


@pytest.fixture
def keras_adapt_without_tensorflow(monkeypatch):
    """Keras's `Normalization.adapt` checks `isinstance(data, tf.data.Dataset)` before it takes an iterable,
    which imports TensorFlow; without TensorFlow installed a stand-in class answers that check (no)."""
    stub = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=type("NotADataset", (), {})))
    monkeypatch.setattr(keras_normalization_module, "tf", stub)


# ------------------------------------------------------------------------------------------- Rescaling


@pytest.mark.parametrize("kwargs", [
    dict(scale=1.0 / 255),
    dict(scale=1.0 / 127.5, offset=-1.0),
    dict(scale=[0.1, 0.2, 0.3], offset=[1.0, 2.0, 3.0]),
    dict(scale=np.array([0.5, 2.0, 3.0]), offset=0.5),
    dict(scale=2, offset=1),
])
@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32"])
def test_rescaling_parity(device, kwargs, dtype):
    check_layer_parity("Rescaling", dict(kwargs, name="rescaling"), IMAGES.astype(dtype), device=device)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float64"])
def test_rescaling_policies_parity(device, policy):
    kwargs = dict(scale=[1.0 / 255, 1.0 / 127.5, 0.01], offset=-0.5, dtype=policy, name="r")
    keras_layer, tk_layer = keras.layers.Rescaling(**kwargs), torchkeras.layers.Rescaling(**kwargs).to(device)
    assert keras_layer.get_config() == tk_layer.get_config()
    for x in (IMAGES.astype("uint8"), IMAGES):
        expected, received = keras_layer(x), tk_layer(torch.from_numpy(x).to(device))
        _assert_same_dtype(expected, received, f"Rescaling under {policy}")
        assert_close(_to_numpy(expected), _to_numpy(received), LAYER_ATOL if policy == "float64" else FLOAT16_ATOL,
                     LAYER_RTOL, f"Rescaling under {policy}")


def test_rescaling_per_channel_scale_under_a_channels_first_image_data_format(device):
    x = IMAGES.transpose(0, 3, 1, 2).copy()
    keras.config.set_image_data_format("channels_first")
    torchkeras.config.set_image_data_format("channels_first")
    try:
        check_layer_parity("Rescaling", dict(scale=[0.1, 0.2, 0.3], offset=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0,
                                                                           8.0, 9.0], name="r"), x, device=device)
    finally:
        keras.config.set_image_data_format("channels_last")
        torchkeras.config.set_image_data_format("channels_last")


def test_rescaling_config_from_keras(device):
    keras_layer = keras.layers.Rescaling(np.array([0.5, 2.0, 3.0]), offset=[0.1, 0.2, 0.3], name="r")
    tk_layer = torchkeras.layers.Rescaling.from_config(keras_layer.get_config())
    assert tk_layer.get_config() == keras_layer.get_config()
    assert_close(_to_numpy(keras_layer(IMAGES)), _to_numpy(tk_layer.to(device)(torch.from_numpy(IMAGES).to(device))),
                 LAYER_ATOL, LAYER_RTOL, "Rescaling from Keras's config")


# --------------------------------------------------------------------------------------- Normalization


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(axis=1),
    dict(axis=(1, 2)),
    dict(axis=[-1, -2]),
    dict(axis=None),
    dict(axis=(0, 1, 2)),
    dict(axis=-1, invert=True),
])
def test_normalization_adapt_mode_parity(device, kwargs):
    # Fresh layers: weights moved Keras -> torchkeras, then random ones torchkeras -> Keras.
    check_layer_parity("Normalization", dict(kwargs, name="norm"), FEATURES, device=device)


@pytest.mark.parametrize("kwargs", [
    dict(mean=3.0, variance=2.0),
    dict(mean=[1.0, 2.0, 3.0, 4.0, 5.0], variance=[1.0, 2.0, 3.0, 4.0, 0.0]),
    dict(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0, 5.0], variance=[1.0, 2.0, 3.0, 4.0, 5.0]),
    dict(axis=(1, 2), mean=np.ones((4, 1)), variance=np.full((4, 1), 2.0)),
    dict(axis=(1, 2), mean=np.arange(20.0).reshape(4, 5), variance=np.arange(1.0, 21.0).reshape(4, 5)),
    dict(axis=None, mean=2, variance=4, invert=True),
    dict(axis=1, mean=[0.5, 0.25, 0.0, -0.5], variance=[0.1, 1.0, 2.0, 3.0], invert=True),
])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_normalization_given_mean_and_variance_parity(device, kwargs, dtype):
    check_layer_parity("Normalization", dict(kwargs, name="norm"), FEATURES.astype(dtype), device=device)


def _adapted_pair(kwargs, keras_data, torchkeras_data, policy=None):
    # A name by default: weight paths are compared, and auto-names depend on what other tests created.
    kwargs = {"name": "normalization", **kwargs, **({} if policy is None else {"dtype": policy})}
    keras_layer = keras.layers.Normalization(**kwargs)
    tk_layer = torchkeras.layers.Normalization(**kwargs)
    keras_layer.adapt(keras_data)
    tk_layer.adapt(torchkeras_data)
    return keras_layer, tk_layer


def _assert_adapted_equal(keras_layer, tk_layer, device, what, atol=LAYER_ATOL):
    assert [w.path for w in tk_layer.weights] == [w.path for w in keras_layer.weights]
    assert_close(keras_layer.get_weights(), tk_layer.get_weights(), LAYER_ATOL, LAYER_RTOL, f"{what}: weights")
    expected = keras_layer(FEATURES)
    tk_layer.to(device)
    received = tk_layer(torch.from_numpy(FEATURES).to(device))
    _assert_same_dtype(expected, received, what)
    assert_close(_to_numpy(expected), _to_numpy(received), atol, LAYER_RTOL, f"{what}: outputs")


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), None, (0, 1, 2)])
def test_normalization_adapt_on_arrays_and_tensors_parity(device, axis):
    kwargs = dict(axis=axis)
    _assert_adapted_equal(*_adapted_pair(kwargs, FEATURES, FEATURES), device, "numpy array")
    data = torch.from_numpy(FEATURES)
    _assert_adapted_equal(*_adapted_pair(kwargs, data, data.to(device)), device, "torch tensor")
    ints = (FEATURES * 10).astype("int32")
    _assert_adapted_equal(*_adapted_pair(kwargs, ints, ints), device, "int32 array")
    _assert_adapted_equal(*_adapted_pair(kwargs, torch.from_numpy(ints), torch.from_numpy(ints).to(device)),
                          device, "int32 tensor")


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), None])
def test_normalization_adapt_on_batched_iterables_parity(device, axis, keras_adapt_without_tensorflow):
    batches = [FEATURES[:5], FEATURES[5:6], FEATURES[6:]]
    _assert_adapted_equal(*_adapted_pair(dict(axis=axis), batches, batches), device, "list of arrays")
    keras_batches = ((torch.from_numpy(b), np.zeros(len(b))) for b in batches)
    tk_batches = ((torch.from_numpy(b).to(device), np.zeros(len(b))) for b in batches)
    _assert_adapted_equal(*_adapted_pair(dict(axis=axis), keras_batches, tk_batches), device,
                          "generator of (x, y) tensors")


def test_normalization_adapt_after_build_and_twice_parity(device):
    keras_layer = keras.layers.Normalization(name="normalization")
    tk_layer = torchkeras.layers.Normalization(name="normalization")
    keras_layer.build((None, 4, 5))
    tk_layer.build((None, 4, 5))
    for data in (FEATURES[:6], FEATURES[6:] * 2.0):
        keras_layer.adapt(data)
        tk_layer.adapt(data)
        _assert_adapted_equal(keras_layer, tk_layer, device, "adapt after build")
    assert keras_layer.get_build_config() == tk_layer.get_build_config()


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float64"])
def test_normalization_policies_parity(device, policy, keras_adapt_without_tensorflow):
    batches = [FEATURES[:5], FEATURES[5:]]
    atol = LAYER_ATOL if policy == "float64" else FLOAT16_ATOL
    _assert_adapted_equal(*_adapted_pair(dict(axis=(1, 2)), batches, batches, policy), device, policy, atol=atol)
    _assert_adapted_equal(*_adapted_pair(dict(axis=-1, invert=True), FEATURES, FEATURES, policy), device, policy,
                          atol=atol)


def test_adapted_normalization_weights_move_both_ways(device):
    keras_layer, tk_layer = _adapted_pair(dict(axis=(1, 2), name="norm"), FEATURES, FEATURES)
    assert [(w.path, w.dtype, tuple(w.shape), w.trainable) for w in keras_layer.weights] == [
        (w.path, w.dtype, w.shape, w.trainable) for w in tk_layer.weights]
    fresh_tk = torchkeras.layers.Normalization(axis=(1, 2), name="norm")
    fresh_tk.build((None, 4, 5))
    fresh_tk.set_weights(keras_layer.get_weights())
    _assert_adapted_equal(keras_layer, fresh_tk, device, "Keras -> torchkeras")
    fresh_keras = keras.layers.Normalization(axis=(1, 2), name="norm")
    fresh_keras.build((None, 4, 5))
    fresh_keras.set_weights(tk_layer.get_weights())
    _assert_adapted_equal(fresh_keras, tk_layer, device, "torchkeras -> Keras")


def test_normalization_errors_match_keras(keras_adapt_without_tensorflow):
    for kwargs in (dict(mean=1.0), dict(mean=[1.0, 2.0], variance=[1.0]), dict(mean=[[1.0]], variance=[[1.0]])):
        with pytest.raises(ValueError):
            keras.layers.Normalization(**kwargs)
        with pytest.raises(ValueError):
            torchkeras.layers.Normalization(**kwargs)
    for layer in (keras.layers.Normalization(axis=3), torchkeras.layers.Normalization(axis=3)):
        with pytest.raises(ValueError, match=r"range \[-ndim, ndim\)"):
            layer.build((None, 3))
    for layer in (keras.layers.Normalization(), torchkeras.layers.Normalization()):
        layer.adapt(FEATURES)
        with pytest.raises(ValueError, match="incompatible shape"):
            layer.adapt(np.ones((3, 4, 6), "float32"))
        with pytest.raises(ValueError, match="empty iterable"):
            type(layer)().adapt([])
        with pytest.raises(TypeError, match="`.shape` attribute"):
            type(layer)().adapt([1.0, 2.0])


# ------------------------------------------------------------------------------------ Resizing


_RESIZE_MODES = [dict(), dict(crop_to_aspect_ratio=True), dict(pad_to_aspect_ratio=True, fill_value=3.5)]


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("mode", range(len(_RESIZE_MODES)), ids=["stretch", "crop", "pad"])
def test_resizing_parity(device, interpolation, data_format, mode):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    for antialias in (False, True):
        for height, width in ((4, 5), (11, 6), (3, 12)):
            kwargs = dict(height=height, width=width, interpolation=interpolation, antialias=antialias,
                          data_format=data_format, name="resizing", **_RESIZE_MODES[mode])
            for x in (images, images.astype("uint8"), images.astype("int32"), images[0]):
                check_layer_parity("Resizing", kwargs, x, device=device)


@pytest.mark.parametrize("policy", ["mixed_float16", "float64"])
def test_resizing_policies_parity(device, policy):
    for interpolation in ("bilinear", "bicubic"):
        check_layer_parity("Resizing", dict(height=5, width=4, interpolation=interpolation, dtype=policy,
                                            name="r"), IMAGES / 255.0, device=device,
                           atol=LAYER_ATOL if policy == "float64" else FLOAT16_ATOL)


def test_resizing_dict_inputs_parity(device):
    masks = (IMAGES[..., :1] > 128).astype("float32")
    labels = np.array([1.0, 2.0], "float32")
    kwargs = dict(height=5, width=11, interpolation="bicubic")
    expected = keras.layers.Resizing(**kwargs)({"images": IMAGES, "segmentation_masks": masks, "labels": labels})
    received = torchkeras.layers.Resizing(**kwargs).to(device)({
        "images": torch.from_numpy(IMAGES).to(device), "segmentation_masks": torch.from_numpy(masks).to(device),
        "labels": torch.from_numpy(labels).to(device)})
    for key in ("images", "segmentation_masks", "labels"):
        assert_close(_to_numpy(expected[key]), _to_numpy(received[key]), LAYER_ATOL, LAYER_RTOL, f"Resizing {key}")


# ------------------------------------------------------------------------------------ CenterCrop


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size", [(4, 5), (7, 9), (6, 8), (8, 3), (2, 12), (10, 10), (1, 1)])
def test_center_crop_parity(device, data_format, size):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    for x in (images, images.astype("uint8"), images[0]):
        check_layer_parity("CenterCrop", dict(height=size[0], width=size[1], data_format=data_format, name="crop"), x,
                           device=device)


def test_center_crop_policy_parity(device):
    for size in ((3, 3), (12, 4)):
        check_layer_parity("CenterCrop", dict(height=size[0], width=size[1], dtype="mixed_float16", name="c"),
                           IMAGES.astype("uint8"), device=device, atol=FLOAT16_ATOL)


# --------------------------------------------------------------------------------- shapes, symbolic


@pytest.mark.parametrize("class_name, kwargs", [
    ("Resizing", dict(height=3, width=4)),
    ("Resizing", dict(height=3, width=4, data_format="channels_first", crop_to_aspect_ratio=True)),
    ("CenterCrop", dict(height=2, width=5)),
    ("CenterCrop", dict(height=2, width=5, data_format="channels_first")),
    ("Rescaling", dict(scale=0.5)),
    ("Normalization", dict(axis=(1, 2))),
])
def test_output_shapes_and_symbolic_calls_match_keras(class_name, kwargs):
    for shape in ((None, 8, 6, 3), (2, 8, 6, 3), (8, 6, 3)):
        keras_layer = getattr(keras.layers, class_name)(**kwargs)
        tk_layer = getattr(torchkeras.layers, class_name)(**kwargs)
        if class_name == "Normalization":
            keras_layer.build(shape)
            tk_layer.build(shape)
        assert tuple(tk_layer.compute_output_shape(shape)) == tuple(keras_layer.compute_output_shape(shape))
    keras_out = getattr(keras.layers, class_name)(**kwargs)(keras.Input((8, 6, 3)))
    tk_out = getattr(torchkeras.layers, class_name)(**kwargs)(torchkeras.Input((8, 6, 3)))
    assert tuple(tk_out.shape) == tuple(keras_out.shape)
    assert str(tk_out.dtype).replace("torch.", "") == keras_out.dtype
