"""Parity of the random image augmentation layers (RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast, RandomBrightness, RandomCrop) with real Keras.

Torch's random streams are not Keras's, so a training call cannot be compared draw for draw. Each layer
splits in two halves, as Keras's do: `get_random_transformation` (the draw) and `transform_images` (its
deterministic application). The tests here:
- configs equal, and each side's config revives the other's layer;
- inference outputs (Keras called with `training=False`; its direct calls default to training) equal,
  dtypes included; RandomCrop's inference equals Keras's `smart_resize`, the behaviour Keras documents
  for it (Keras 3.15's layer skips the crop at inference, keras-team/keras#21868);
- `transform_images` given the transformation Keras's own layer drew equals Keras's `transform_images`
  on it, for every fill_mode / interpolation / data_format, batched and single images;
- the transformations torchkeras draws have Keras's keys, shapes and dtypes, and their distributions
  agree with Keras's (ranges and means);
- the rotation matrix is Keras's for the same angles; invalid arguments raise what Keras raises.
"""

import itertools
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import LAYER_ATOL, LAYER_RTOL, assert_close  # noqa: E402
from torchkeras.layers.preprocessing.image_augmentation import affine  # noqa: E402

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")
DATA_FORMATS = ("channels_last", "channels_first")


def _images(shape, dtype="float32", seed=0, low=0.0, high=255.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def _pair(name, kwargs):
    return getattr(keras.layers, name)(**kwargs), getattr(torchkeras.layers, name)(**kwargs)


def _numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(x)


def _for_keras(value):
    """A copy of a transformation for Keras's `transform_images`, which writes into the tensors it gets
    (its affine kernel swaps matrix entries in place)."""
    if isinstance(value, dict):
        return {key: _for_keras(v) for key, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_for_keras(v) for v in value)
    return value.clone() if isinstance(value, torch.Tensor) else value


def _for_torchkeras(value, device):
    """Keras's transformation with its tensors moved to `device` (other entries unchanged)."""
    if isinstance(value, dict):
        return {key: _for_torchkeras(v, device) for key, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_for_torchkeras(v, device) for v in value)
    if isinstance(value, torch.Tensor):  # Keras's tensors are torch tensors on its torch backend
        return value.detach().cpu().clone().to(device)
    return value


def _handoff(name, kwargs, x, device, single=False):
    """Keras draws a transformation for `x`; both sides apply it; outputs compared."""
    keras_layer, tk_layer = _pair(name, kwargs)
    keras_x = keras.ops.convert_to_tensor(x)
    transformation = keras_layer.get_random_transformation(keras_x, training=True)
    apply = "transform_single_image" if single else "transform_images"
    expected = getattr(keras_layer, apply)(keras_x, _for_keras(transformation), training=True)
    received = getattr(tk_layer, apply)(torch.from_numpy(x).to(device), _for_torchkeras(transformation, device),
                                        training=True)
    assert_close(_numpy(expected), _numpy(received), LAYER_ATOL, LAYER_RTOL, f"{name}({kwargs}) transform_images")
    return _numpy(received)


# ------------------------------------------------------------------------------------------- configs

CONFIG_CASES = [
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "horizontal", "seed": 3}),
    ("RandomFlip", {"mode": "vertical", "data_format": "channels_first"}),
    ("RandomRotation", {"factor": 0.1}),
    ("RandomRotation", {"factor": (-0.2, 0.3), "fill_mode": "constant", "fill_value": 2.0,
                        "interpolation": "nearest", "seed": 1, "data_format": "channels_first"}),
    ("RandomRotation", {"factor": [0.4, -0.1], "fill_mode": "wrap", "bounding_box_format": "xyxy"}),
    ("RandomZoom", {"height_factor": 0.2}),
    ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": [0.1, 0.4], "fill_mode": "nearest",
                    "interpolation": "nearest", "seed": 4, "fill_value": 1.5}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": (-0.1, 0.3)}),
    ("RandomTranslation", {"height_factor": (-1, 1), "width_factor": 0.5, "fill_mode": "constant", "seed": 2,
                           "data_format": "channels_first"}),
    ("RandomContrast", {"factor": 0.2}),
    ("RandomContrast", {"factor": (0.1, 0.4), "value_range": [0, 1], "seed": 7}),
    ("RandomBrightness", {"factor": 0.2}),
    ("RandomBrightness", {"factor": (-0.1, 0.4), "value_range": (1, 0), "seed": 9}),
    ("RandomCrop", {"height": 4, "width": 3, "seed": 5}),
    ("RandomCrop", {"height": 6, "width": 6, "seed": 1, "data_format": "channels_first"}),
]
CASE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIG_CASES)]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES, ids=CASE_IDS)
def test_configs_equal_and_revive_across(name, kwargs):
    keras_layer, tk_layer = _pair(name, {**kwargs, "name": "augment"})
    assert tk_layer.get_config() == keras_layer.get_config()
    assert tk_layer.weights == [] and keras_layer.weights == []
    # Each side revives the other's config, also as it reads back from an archive's JSON.
    for config in (keras_layer.get_config(), json.loads(json.dumps(keras_layer.get_config()))):
        revived_tk = getattr(torchkeras.layers, name).from_config(config)
        revived_keras = getattr(keras.layers, name).from_config(config)
        assert revived_tk.get_config() == revived_keras.get_config()
    assert getattr(keras.layers, name).from_config(tk_layer.get_config()).get_config() == tk_layer.get_config()


def test_random_crop_without_seed_writes_a_seed_like_keras():
    keras_layer, tk_layer = _pair("RandomCrop", {"height": 2, "width": 2})
    for layer in (keras_layer, tk_layer):
        seed = layer.get_config()["seed"]
        assert isinstance(seed, int) and 1 <= seed <= int(1e9)


# ----------------------------------------------------------------------------------------- inference

INFERENCE_INPUTS = [
    ((2, 7, 6, 3), "float32"),
    ((2, 7, 6, 3), "uint8"),  # Keras: float32 out, except RandomContrast / RandomBrightness (uint8)
    ((7, 6, 3), "float64"),  # a single image; float64 becomes the compute dtype
]


@pytest.mark.parametrize("name, kwargs", [c for c in CONFIG_CASES if c[0] != "RandomCrop"],
                         ids=[i for i, c in zip(CASE_IDS, CONFIG_CASES) if c[0] != "RandomCrop"])
@pytest.mark.parametrize("shape, dtype", INFERENCE_INPUTS, ids=["float32", "uint8", "single-float64"])
def test_inference_outputs_equal(device, name, kwargs, shape, dtype):
    keras_layer, tk_layer = _pair(name, kwargs)
    x = _images(shape, dtype)
    expected = _numpy(keras_layer(x, training=False))
    received = _numpy(tk_layer.to(device)(torch.from_numpy(x).to(device)))
    assert_close(expected, received, 0, 0, f"{name} inference")
    np.testing.assert_array_equal(received, x.astype(received.dtype))  # the identity, as in Keras


@pytest.mark.parametrize("input_shape, size, data_format", [
    ((2, 9, 7, 3), (4, 3), "channels_last"),  # larger on both axes
    ((2, 8, 8, 3), (6, 6), "channels_last"),  # the same aspect ratio: the whole image, resized
    ((2, 5, 7, 3), (5, 3), "channels_last"),  # equal height
    ((2, 4, 6, 2), (6, 5), "channels_last"),  # smaller: upsampled
    ((3, 9, 7), (4, 6), "channels_last"),  # a single image
    ((2, 3, 9, 7), (4, 3), "channels_first"),
    ((2, 2, 4, 6), (6, 5), "channels_first"),
])
def test_random_crop_inference_is_keras_smart_resize(device, input_shape, size, data_format):
    """At inference torchkeras returns what Keras documents for RandomCrop: the largest centered window
    of the target aspect ratio, resized, i.e. Keras's `smart_resize` (Keras 3.15's layer itself skips the
    crop, see below)."""
    kwargs = {"height": size[0], "width": size[1], "seed": 3, "data_format": data_format}
    tk_layer = torchkeras.layers.RandomCrop(**kwargs).to(device)
    for dtype in ("float32", "uint8"):
        x = _images(input_shape, dtype)
        expected = _numpy(keras.preprocessing.image.smart_resize(x.astype("float32"), size, data_format=data_format))
        received = _numpy(tk_layer(torch.from_numpy(x).to(device)))
        assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "RandomCrop inference")
        assert received.shape == tk_layer.compute_output_shape(input_shape)


def test_keras_random_crop_still_skips_the_crop_at_inference():
    """Keras 3.15's RandomCrop returns its input unchanged at inference (keras-team/keras#21868), which
    torchkeras deliberately does not copy. When this fails, Keras has fixed it: compare
    `keras_layer(x, training=False)` with torchkeras's directly in the test above."""
    x = _images((2, 9, 7, 3))
    out = _numpy(keras.layers.RandomCrop(4, 3)(x, training=False))
    assert out.shape == x.shape


# ----------------------------------------------------------------- transform_images on Keras's draws


@pytest.mark.parametrize("fill_mode, interpolation, data_format",
                         list(itertools.product(FILL_MODES, INTERPOLATIONS, DATA_FORMATS)))
@pytest.mark.parametrize("name, kwargs", [
    ("RandomRotation", {"factor": 0.4}),
    ("RandomZoom", {"height_factor": (-0.5, 0.6), "width_factor": (-0.4, 0.8)}),
    ("RandomTranslation", {"height_factor": 0.6, "width_factor": (-0.7, 0.5)}),
], ids=["rotation", "zoom", "translation"])
def test_affine_layers_transform_keras_draws_like_keras(device, name, kwargs, fill_mode, interpolation,
                                                         data_format):
    kwargs = dict(kwargs, fill_mode=fill_mode, interpolation=interpolation, data_format=data_format,
                  fill_value=3.5)
    shape = (4, 9, 8, 3) if data_format == "channels_last" else (4, 3, 9, 8)
    out = _handoff(name, kwargs, _images(shape, seed=1), device)
    assert not np.array_equal(out, _images(shape, seed=1))  # the draw changed the images


@pytest.mark.parametrize("name, kwargs", [
    ("RandomRotation", {"factor": 0.3, "fill_mode": "constant"}),
    ("RandomZoom", {"height_factor": 0.5, "interpolation": "nearest"}),
    ("RandomTranslation", {"height_factor": 0.5, "width_factor": 0.5, "fill_mode": "wrap"}),
], ids=["rotation", "zoom", "translation"])
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_affine_layers_single_images_and_integers(device, name, kwargs, dtype):
    _handoff(name, kwargs, _images((9, 8, 3), dtype, seed=2), device, single=True)
    _handoff(name, kwargs, _images((3, 9, 8, 3), dtype, seed=3), device)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("data_format", DATA_FORMATS)
def test_random_flip_transforms_keras_draws_like_keras(device, mode, data_format):
    kwargs = {"mode": mode, "data_format": data_format}
    shape = (8, 5, 4, 2) if data_format == "channels_last" else (8, 2, 5, 4)
    _handoff("RandomFlip", kwargs, _images(shape), device)
    _handoff("RandomFlip", kwargs, _images(shape[1:], "uint8"), device, single=True)


@pytest.mark.parametrize("kwargs", [
    {"factor": 0.5},
    {"factor": (0.3, 0.6), "value_range": (0, 1), "data_format": "channels_first"},
])
def test_random_contrast_transforms_keras_draws_like_keras(device, kwargs):
    high = kwargs.get("value_range", (0, 255))[1]
    shape = (4, 6, 5, 3) if kwargs.get("data_format") != "channels_first" else (4, 3, 6, 5)
    out = _handoff("RandomContrast", kwargs, _images(shape, high=high), device)
    assert out.min() >= 0 and out.max() <= high
    _handoff("RandomContrast", kwargs, _images(shape[1:], high=high), device, single=True)
    if high == 255:
        _handoff("RandomContrast", kwargs, _images(shape, "uint8"), device)  # float32 out, as Keras


@pytest.mark.parametrize("kwargs", [{"factor": 0.2}, {"factor": (-0.5, 0.5), "value_range": (-1, 1)}])
def test_random_brightness_transforms_keras_draws_like_keras(device, kwargs):
    low, high = kwargs.get("value_range", (0, 255))
    out = _handoff("RandomBrightness", kwargs, _images((6, 5, 4, 3), low=low, high=high), device)
    assert out.min() >= low and out.max() <= high
    _handoff("RandomBrightness", kwargs, _images((5, 4, 3), low=low, high=high), device, single=True)
    if high == 255:
        # uint8 stays uint8; values kept where Keras's uint8 sum does not wrap around (see the layer).
        _handoff("RandomBrightness", kwargs, _images((6, 5, 4, 3), "uint8", low=60, high=190), device)


@pytest.mark.parametrize("input_shape, size, data_format", [
    ((3, 9, 7, 2), (4, 3), "channels_last"),
    ((3, 2, 9, 7), (4, 3), "channels_first"),
    ((9, 7, 2), (5, 6), "channels_last"),
    ((3, 4, 6, 2), (6, 5), "channels_last"),  # smaller: Keras's crop at the center offsets, resized
    ((3, 5, 7, 2), (5, 3), "channels_last"),  # equal height: no random crop either
    ((3, 8, 8, 1), (6, 6), "channels_last"),
])
def test_random_crop_transforms_keras_draws_like_keras(device, input_shape, size, data_format):
    kwargs = {"height": size[0], "width": size[1], "data_format": data_format}
    for seed in range(3):
        _handoff("RandomCrop", kwargs, _images(input_shape, seed=seed), device)


# ------------------------------------------------------------------------------- the draws themselves


def _draws(layer, x, device=None):
    x = torch.from_numpy(x).to(device) if device is not None else keras.ops.convert_to_tensor(x)
    return layer.get_random_transformation(x, training=True)


def _describe(transformation):
    if isinstance(transformation, dict):
        return {key: _describe(value) for key, value in transformation.items()}
    if isinstance(transformation, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in transformation):
        return [_describe(v) for v in transformation]
    if isinstance(transformation, torch.Tensor):
        return (tuple(transformation.shape), str(transformation.dtype))
    return transformation


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES, ids=CASE_IDS)
@pytest.mark.parametrize("single", [False, True], ids=["batch", "single"])
def test_transformations_have_keras_structure(device, name, kwargs, single):
    keras_layer, tk_layer = _pair(name, kwargs)
    shape = (3, 9, 8, 2)[1:] if single else (3, 9, 8, 2)
    x = _images(shape)
    assert _describe(_draws(tk_layer, x, device)) == _describe(_draws(keras_layer, x))
    keras_x = keras.ops.convert_to_tensor(x)
    assert _describe(tk_layer.get_random_transformation(torch.from_numpy(x), training=False)) == \
        _describe(keras_layer.get_random_transformation(keras_x, training=False))


def _column(transformation, key, index=None):
    value = _numpy(transformation[key]).reshape(len(_numpy(transformation[key])), -1)
    return value[:, index] if index is not None else value[:, 0]


@pytest.mark.parametrize("name, kwargs, key, index, low, high", [
    ("RandomFlip", {}, "flips", None, 0, 1),
    ("RandomRotation", {"factor": (-0.1, 0.3)}, "angle", None, -36.0, 108.0),
    ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": (0.1, 0.4)}, "height_zoom", None, 0.7, 1.2),
    ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": (0.1, 0.4)}, "width_zoom", None, 1.1, 1.4),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": (-0.1, 0.3)}, "translations", 0, -0.4, 1.2),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": (-0.1, 0.3)}, "translations", 1, -0.8, 0.8),
    ("RandomContrast", {"factor": 0.2}, "contrast_factor", None, 1.0, 1.2),  # Keras: (0, f), never below 1
    ("RandomContrast", {"factor": (0.3, 0.1)}, "contrast_factor", None, 0.9, 1.3),
    ("RandomBrightness", {"factor": 0.2, "value_range": (0, 10)}, "rgb_delta", None, -2.0, 2.0),
])
def test_draw_distributions_match_keras(device, name, kwargs, key, index, low, high):
    keras_layer, tk_layer = _pair(name, kwargs)
    x = _images((4000, 4, 4, 1))
    samples = [_column(_draws(keras_layer, x), key, index).astype(np.float64),
               _column(_draws(tk_layer, x, device), key, index).astype(np.float64)]
    spread = (high - low) / np.sqrt(12 * len(x))  # std of the mean of uniform draws
    for values in samples:
        assert values.min() >= low - 1e-5 and values.max() <= high + 1e-5
        assert values.max() - values.min() > 0.9 * (high - low)  # the whole range is drawn
    assert abs(samples[0].mean() - samples[1].mean()) < 8 * spread


def test_zoom_without_width_factor_keeps_the_aspect_ratio_like_keras(device):
    keras_layer, tk_layer = _pair("RandomZoom", {"height_factor": 0.3})
    x = _images((16, 4, 4, 1))
    for transformation in (_draws(keras_layer, x), _draws(tk_layer, x, device)):
        np.testing.assert_array_equal(_numpy(transformation["width_zoom"]), _numpy(transformation["height_zoom"]))


def test_random_crop_draws_every_offset_like_keras(device):
    keras_layer, tk_layer = _pair("RandomCrop", {"height": 3, "width": 4})
    x = _images((1, 6, 6, 1))
    for layer, dev in ((keras_layer, None), (tk_layer, device)):
        offsets = {tuple(int(v) for v in _draws(layer, x, dev)) for _ in range(300)}
        assert offsets == set(itertools.product(range(4), range(3)))


# --------------------------------------------------------------------------------- affine arithmetic


def test_rotation_matrix_is_keras_for_the_same_angles(device):
    rng = np.random.default_rng(0)
    layer = keras.layers.RandomRotation(0.5)
    for height, width in ((9, 8), (32, 32), (5, 17)):
        values = [rng.uniform(-180, 180, 6), rng.uniform(-3, 3, 6), rng.uniform(-3, 3, 6),
                  rng.uniform(0.5, 1.5, 6), rng.uniform(-20, 20, 6), rng.uniform(-20, 20, 6)]
        angle, tx, ty, scale, shear_x, shear_y = [v.astype("float32") for v in values]
        expected = layer._compute_affine_matrix(
            0.5, 0.5, *(keras.ops.convert_to_tensor(v) for v in (angle, tx, ty, scale, shear_x, shear_y)),
            height, width)
        received = affine.compute_affine_matrix(
            0.5, 0.5, *(torch.from_numpy(v).to(device) for v in (angle, tx, ty, scale, shear_x, shear_y)),
            height, width)
        assert_close(_numpy(expected), _numpy(received), LAYER_ATOL, LAYER_RTOL, "affine matrix")


# ------------------------------------------------------------------------------------------- errors

ERROR_CASES = [
    ("RandomFlip", {"factor": 0.2}),
    ("RandomRotation", {"factor": 1.5}),
    ("RandomRotation", {"factor": (1.5, 2.0)}),
    ("RandomRotation", {"factor": (0.1, 0.2, 0.3)}),
    ("RandomRotation", {"factor": "0.1"}),
    ("RandomRotation", {"factor": 0.1, "fill_mode": "mirror"}),
    ("RandomRotation", {"factor": 0.1, "interpolation": "bicubic"}),
    ("RandomZoom", {"height_factor": -1.0}),
    ("RandomZoom", {"height_factor": (0.1, 0.2, 0.3)}),
    ("RandomZoom", {"height_factor": 0.1, "width_factor": 1.5}),
    ("RandomZoom", {"height_factor": 0.1, "fill_mode": "mirror"}),
    ("RandomTranslation", {"height_factor": 1.5, "width_factor": 0.1}),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": "x"}),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1, "interpolation": "area"}),
    ("RandomContrast", {"factor": 1.5}),
    ("RandomContrast", {"factor": -0.1}),
    ("RandomContrast", {"factor": (1.5, 2.0)}),
    ("RandomBrightness", {"factor": 1.5}),
    ("RandomBrightness", {"factor": 0.1, "value_range": 5}),
    ("RandomBrightness", {"factor": 0.1, "value_range": (0, 1, 2)}),
]


@pytest.mark.parametrize("name, kwargs", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_invalid_arguments_raise_what_keras_raises(name, kwargs):
    with pytest.raises(Exception) as keras_error:
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(type(keras_error.value)) as tk_error:
        getattr(torchkeras.layers, name)(**kwargs)
    assert isinstance(tk_error.value, ValueError)  # also a ValueError where Keras says NotImplementedError
    assert "Received" in str(tk_error.value)


@pytest.mark.parametrize("name, kwargs", [
    ("RandomFlip", {}), ("RandomRotation", {"factor": 0.1}), ("RandomContrast", {"factor": 0.1}),
    ("RandomBrightness", {"factor": 0.1}), ("RandomCrop", {"height": 2, "width": 2}),
])
def test_wrong_input_rank_raises_like_keras(name, kwargs):
    keras_layer, tk_layer = _pair(name, kwargs)
    x = _images((2, 4, 4))[..., 0]  # rank 2
    with pytest.raises((ValueError, IndexError)):  # Keras's RandomCrop fails on an index
        keras_layer(x, training=True)
    with pytest.raises(ValueError, match="rank"):
        tk_layer(torch.from_numpy(x), training=True)


# ------------------------------------------------------------------------------------- dtype policies


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float64"])
@pytest.mark.parametrize("name, kwargs", [
    ("RandomFlip", {}),
    ("RandomRotation", {"factor": 0.3}),
    ("RandomZoom", {"height_factor": 0.4, "interpolation": "nearest", "fill_mode": "constant"}),
    ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.3, "fill_mode": "wrap"}),
    ("RandomContrast", {"factor": 0.5}),
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomCrop", {"height": 5, "width": 4}),
], ids=["flip", "rotation", "zoom", "translation", "contrast", "brightness", "crop"])
def test_dtype_policies(device, name, kwargs, policy):
    """Outputs in the compute dtype, as Keras's, at inference and on Keras's draws (coordinates and
    weights stay float32, as in Keras). The images come in the compute dtype, as `__call__` casts them."""
    keras_layer, tk_layer = _pair(name, dict(kwargs, dtype=policy))
    compute_dtype = getattr(torch, keras_layer.compute_dtype)
    x = torch.from_numpy(_images((3, 7, 6, 2))).to(compute_dtype)
    keras_x = keras.ops.convert_to_tensor(x.clone())  # a copy: Keras's RandomBrightness adds in place
    transformation = keras_layer.get_random_transformation(keras_x, training=True)
    results = []
    for training in (True, False):
        expected = keras_layer.transform_images(keras_x.clone(), _for_keras(transformation), training=training)
        if name == "RandomCrop" and not training:  # see test_random_crop_inference_is_keras_smart_resize
            continue
        received = tk_layer.to(device).transform_images(x.to(device), _for_torchkeras(transformation, device),
                                                        training=training)
        assert expected.dtype == received.dtype == compute_dtype
        results.append((expected, received))
    expected = keras_layer(keras_x, training=False)
    if name != "RandomCrop":
        results.append((expected, tk_layer(x.to(device))))
    for expected, received in results:
        if expected.dtype in (torch.float16, torch.bfloat16):  # numpy has no bfloat16; float32 holds both
            expected, received = expected.float(), received.float()
        assert_close(_numpy(expected), _numpy(received), 0, 0, f"{name} under {policy}")
