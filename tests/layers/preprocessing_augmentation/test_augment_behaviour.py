"""Behaviour of the random image augmentation layers without Keras: inference is the identity (RandomCrop
center-crops), training transforms, seeding, the split into `get_random_transformation` and
`transform_images`, golden values small enough to check by hand, models, and errors."""

import copy
import io
import json

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.preprocessing.image_augmentation import affine

ALL_LAYERS = [
    (layers.RandomFlip, {}),
    (layers.RandomRotation, {"factor": 0.3}),
    (layers.RandomZoom, {"height_factor": 0.4}),
    (layers.RandomTranslation, {"height_factor": 0.3, "width_factor": 0.3}),
    (layers.RandomContrast, {"factor": 0.5}),
    (layers.RandomBrightness, {"factor": 0.3}),
]
IDS = [cls.__name__ for cls, _ in ALL_LAYERS]


def _images(*shape, seed=0, high=255.0):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) * high


# ------------------------------------------------------------------------------------------ inference


@pytest.mark.parametrize("layer_cls, kwargs", ALL_LAYERS, ids=IDS)
@pytest.mark.parametrize("shape, data_format", [((4, 6, 5, 3), "channels_last"), ((6, 5, 3), "channels_last"),
                                                ((4, 3, 6, 5), "channels_first")])
def test_identity_at_inference(layer_cls, kwargs, shape, data_format):
    layer = layer_cls(**kwargs, data_format=data_format)
    x = _images(*shape)
    assert torch.equal(layer(x), x)
    assert torch.equal(layer(x, training=False), x)


@pytest.mark.parametrize("layer_cls, kwargs", ALL_LAYERS, ids=IDS)
def test_inference_dtypes_follow_keras(layer_cls, kwargs):
    """Integers become float32 (the compute dtype), except in RandomContrast and RandomBrightness, which
    return them unchanged at inference; floating inputs take the compute dtype."""
    layer = layer_cls(**kwargs)
    x = torch.randint(0, 255, (2, 4, 4, 3), dtype=torch.uint8)
    keeps_integers = layer_cls in (layers.RandomContrast, layers.RandomBrightness)
    assert layer(x).dtype == (torch.uint8 if keeps_integers else torch.float32)
    assert layer(x.double()).dtype == torch.float32
    assert layer_cls(**kwargs, dtype="float64")(x.double()).dtype == torch.float64
    assert layer_cls(**kwargs, dtype="mixed_float16")(x.float()).dtype == torch.float16


def test_random_crop_takes_the_largest_centered_window_at_inference():
    x = torch.arange(24.0).reshape(1, 6, 4, 1)
    # Target 2x4 on 6x4: the window of that aspect ratio is 2x4 itself, rows 2:4.
    torch.testing.assert_close(layers.RandomCrop(2, 4)(x)[0, ..., 0], x[0, 2:4, :, 0])
    cf = layers.RandomCrop(2, 4, data_format="channels_first")(x.permute(0, 3, 1, 2), training=False)
    torch.testing.assert_close(cf[0, 0], x[0, 2:4, :, 0])
    # Target 2x4 on 4x8: the whole image, halved; bilinear at scale 2 averages 2x2 blocks.
    x = torch.arange(32.0).reshape(1, 4, 8, 1)
    blocks = x.reshape(2, 2, 4, 2).mean(dim=(1, 3))
    torch.testing.assert_close(layers.RandomCrop(2, 4)(x)[0, ..., 0], blocks)


def test_random_crop_resizes_inputs_smaller_than_the_target():
    # Bilinear with half-pixel centers (align_corners=False): [0, 1] -> [0, .25, .75, 1].
    x = torch.tensor([[0.0, 1.0]]).reshape(1, 1, 2, 1)
    out = layers.RandomCrop(1, 4)(x, training=True)  # not larger than the target: crop and resize, no draw
    torch.testing.assert_close(out.reshape(-1), torch.tensor([0.0, 0.25, 0.75, 1.0]))


# ------------------------------------------------------------------------------------------ training


@pytest.mark.parametrize("layer_cls, kwargs", ALL_LAYERS + [(layers.RandomCrop, {"height": 4, "width": 3})],
                         ids=IDS + ["RandomCrop"])
def test_training_changes_images_and_module_mode_switches(layer_cls, kwargs):
    torch.manual_seed(0)
    layer = layer_cls(**kwargs)
    x = _images(16, 6, 5, 3)
    out = layer(x, training=True)
    assert out.shape == layer.compute_output_shape(tuple(x.shape))
    inference = layer(x)
    assert not torch.equal(out, inference)
    layer.train()
    assert not torch.equal(layer(x), inference)
    layer.eval()
    assert torch.equal(layer(x), inference)


@pytest.mark.parametrize("layer_cls, kwargs", ALL_LAYERS + [(layers.RandomCrop, {"height": 4, "width": 3})],
                         ids=IDS + ["RandomCrop"])
def test_seeds_and_global_rng_make_draws_reproducible(layer_cls, kwargs):
    x = _images(8, 6, 5, 3)
    a, b = layer_cls(**kwargs, seed=7), layer_cls(**kwargs, seed=7)
    first = a(x, training=True)
    torch.testing.assert_close(b(x, training=True), first)
    assert not torch.equal(a(x, training=True), first)  # the generator moves on
    # A seeded layer ignores torch's global RNG; an unseeded one follows it.
    torch.manual_seed(1)
    unseeded = layer_cls(**kwargs)(x, training=True)
    torch.manual_seed(1)
    torch.testing.assert_close(layer_cls(**kwargs)(x, training=True), unseeded)
    torch.manual_seed(2)
    torch.testing.assert_close(layer_cls(**kwargs, seed=7)(x, training=True), first)


@pytest.mark.parametrize("layer_cls, kwargs", ALL_LAYERS + [(layers.RandomCrop, {"height": 4, "width": 3})],
                         ids=IDS + ["RandomCrop"])
@pytest.mark.parametrize("single", [False, True], ids=["batch", "single"])
def test_training_call_is_transform_of_its_draw(layer_cls, kwargs, single):
    """A training call = `transform_images(get_random_transformation(...))`, the same draws (same seed)."""
    x = _images(6, 5, 3) if single else _images(4, 6, 5, 3)
    called = layer_cls(**kwargs, seed=3)(x, training=True)
    layer = layer_cls(**kwargs, seed=3)
    transformation = layer.get_random_transformation(x, training=True)
    apply = layer.transform_single_image if single else layer.transform_images
    torch.testing.assert_close(apply(x, transformation, training=True), called)
    # `seed=` of get_random_transformation: a one-off reproducible draw.
    once = layer.get_random_transformation(x, training=True, seed=11)
    again = layer.get_random_transformation(x, training=True, seed=11)
    torch.testing.assert_close(apply(x, once), apply(x, again))


def test_flip_horizontal_and_vertical_flips_both_axes_together():
    # As in Keras: one draw per image, so the output is the image or its 180 degree turn.
    torch.manual_seed(0)
    x = _images(64, 3, 4, 1)
    out = layers.RandomFlip()(x, training=True)
    turned = torch.flip(x, (1, 2))
    per_image = [torch.equal(o, i) or torch.equal(o, t) for o, i, t in zip(out, x, turned)]
    assert all(per_image)
    flipped = sum(torch.equal(o, t) for o, t in zip(out, turned))
    assert 16 < flipped < 48


def test_random_contrast_single_factor_never_lowers_contrast():
    # Keras's factor parsing: a single f gives (0, f), contrast factors in [1, 1 + f].
    layer = layers.RandomContrast(0.4, seed=0)
    factors = layer.get_random_transformation(torch.zeros(2000, 1, 1, 1))["contrast_factor"]
    assert layer.factor == (0, 0.4)
    assert factors.min() >= 1.0 and factors.max() <= 1.4 and factors.max() > 1.35


# ------------------------------------------------------------------------ golden values, by hand


def _row(values):
    return torch.tensor(values, dtype=torch.float32).reshape(1, 1, -1, 1)


@pytest.mark.parametrize("fill_mode, expected", [
    ("reflect", [1.0, 0.0, 0.0, 1.0]),  # (d c b a | a b c d | d c b a)
    ("wrap", [2.0, 3.0, 0.0, 1.0]),  # (a b c d | a b c d | a b c d)
    ("nearest", [0.0, 0.0, 0.0, 1.0]),  # (a a a a | a b c d | d d d d)
    ("constant", [9.0, 9.0, 0.0, 1.0]),  # (k k k k | a b c d | k k k k)
])
def test_translation_fill_modes(fill_mode, expected):
    layer = layers.RandomTranslation(0.0, 0.5, fill_mode=fill_mode, fill_value=9.0, interpolation="nearest")
    shift_right_by_two = {"translations": torch.tensor([[2.0, 0.0]])}
    out = layer.transform_images(_row([0.0, 1.0, 2.0, 3.0]), shift_right_by_two)
    assert out.reshape(-1).tolist() == expected


def test_translation_bilinear_half_pixel_with_constant_fill():
    layer = layers.RandomTranslation(0.0, 0.5, fill_mode="constant", fill_value=4.0)
    out = layer.transform_images(_row([0.0, 2.0, 6.0]), {"translations": torch.tensor([[0.5, 0.0]])})
    # Sample points -0.5, 0.5, 1.5: the fill value blends in at the left edge.
    torch.testing.assert_close(out.reshape(-1), torch.tensor([2.0, 1.0, 4.0]))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_rotation_by_a_quarter_turn_is_rot90(interpolation, data_format):
    image = torch.arange(9.0).reshape(3, 3)
    layer = layers.RandomRotation(0.25, interpolation=interpolation, data_format=data_format)
    matrix = affine.compute_affine_matrix(0.5, 0.5, torch.tensor([90.0]), torch.zeros(1), torch.zeros(1),
                                          torch.ones(1), torch.zeros(1), torch.zeros(1), 3, 3)
    x = image.reshape(1, 3, 3, 1) if data_format == "channels_last" else image.reshape(1, 1, 3, 3)
    out = layer.transform_images(x, {"rotation_matrix": matrix})
    expected = np.rot90(image.numpy()).copy()  # counter-clockwise, as Keras's positive angles
    torch.testing.assert_close(out.reshape(3, 3), torch.from_numpy(expected), atol=1e-5, rtol=0)


def test_zoom_in_by_half_samples_the_center():
    layer = layers.RandomZoom(0.5, fill_mode="constant")
    zoom = {"height_zoom": torch.tensor([[1.0]]), "width_zoom": torch.tensor([[0.5]])}
    out = layer.transform_images(_row([0.0, 10.0, 20.0, 30.0, 40.0]), zoom)
    # x_in = 0.5 * x + (5 - 1) / 2 * (1 - 0.5) = 0.5 * x + 1
    torch.testing.assert_close(out.reshape(-1), torch.tensor([10.0, 15.0, 20.0, 25.0, 30.0]))


def test_identity_transform_returns_the_image_in_every_mode():
    x = _images(2, 5, 4, 3)
    identity = torch.tensor([1.0, 0, 0, 0, 1.0, 0, 0, 0])
    for fill_mode in affine.FILL_MODES:
        for interpolation in affine.INTERPOLATIONS:
            torch.testing.assert_close(affine.affine_transform(x, identity, interpolation, fill_mode), x)


def test_affine_kernel_leaves_its_arguments_alone():
    transform = torch.tensor([[0.5, 0.1, 1.0, -0.2, 0.9, 0.5, 0.0, 0.0]])
    before = transform.clone()
    affine.affine_transform(_images(1, 4, 4, 1), transform)
    assert torch.equal(transform, before)


def test_contrast_and_brightness_values():
    x = torch.tensor([[1.0, 3.0], [5.0, 7.0]]).reshape(1, 2, 2, 1)  # mean 4
    contrast = layers.RandomContrast(0.5, value_range=(0, 8))
    out = contrast.transform_images(x, {"contrast_factor": torch.full((1, 1, 1, 1), 2.0)})
    assert out.reshape(-1).tolist() == [0.0, 2.0, 6.0, 8.0]  # (x - 4) * 2 + 4, clipped to [0, 8]
    brightness = layers.RandomBrightness(0.5, value_range=(0, 8))
    out = brightness.transform_images(x, {"rgb_delta": torch.full((1, 1, 1, 1), 2.5)})
    assert out.reshape(-1).tolist() == [3.5, 5.5, 7.5, 8.0]
    assert x.reshape(-1).tolist() == [1.0, 3.0, 5.0, 7.0]  # the input is not modified


def test_brightness_on_integers_truncates_the_delta_and_saturates():
    layer = layers.RandomBrightness(0.5)
    x = torch.tensor([5, 100, 250], dtype=torch.uint8).reshape(1, 1, 3, 1)
    down = layer.transform_images(x, {"rgb_delta": torch.full((1, 1, 1, 1), -20.7)})
    up = layer.transform_images(x, {"rgb_delta": torch.full((1, 1, 1, 1), 20.7)})
    assert down.dtype == torch.uint8 and down.reshape(-1).tolist() == [0, 80, 230]
    assert up.reshape(-1).tolist() == [25, 120, 255]


def test_flip_golden():
    x = torch.arange(6.0).reshape(1, 2, 3, 1)
    flips = {"flips": torch.tensor([True]).reshape(1, 1, 1, 1)}
    horizontal = layers.RandomFlip("horizontal").transform_images(x, flips)
    assert horizontal.reshape(2, 3).tolist() == [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    vertical = layers.RandomFlip("vertical").transform_images(x, flips)
    assert vertical.reshape(2, 3).tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    kept = layers.RandomFlip().transform_images(x, {"flips": torch.tensor([False]).reshape(1, 1, 1, 1)})
    assert torch.equal(kept, x)


def test_random_crop_training_offsets_cover_every_position():
    layer = layers.RandomCrop(2, 2, seed=0)
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    corners = {int(layer(x, training=True)[0, 0, 0, 0]) for _ in range(200)}
    assert corners == {r * 4 + c for r in range(3) for c in range(3)}


# ------------------------------------------------------------------------------------------ models


def test_tutorial_augmentation_in_a_model():
    data_augmentation = torchkeras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
    inputs = torchkeras.Input((8, 8, 3))
    x = data_augmentation(inputs)
    x = layers.RandomCrop(6, 6)(x)
    assert tuple(x.shape) == (None, 6, 6, 3)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3)(x)))
    model = torchkeras.Model(inputs, outputs)
    images = _images(4, 8, 8, 3)
    model.eval()
    torch.testing.assert_close(model(images), model(images))
    torch.manual_seed(0)
    trained = model(images, training=True)
    assert not torch.allclose(trained, model(images))
    assert data_augmentation.weights == [] and len(model.weights) == 4  # the conv's and the dense's


def test_state_dict_pickle_and_copy():
    layer = layers.RandomRotation(0.2, seed=5)
    assert layer.state_dict() == {} and layer.weights == []
    x = _images(2, 5, 5, 1)
    layer(x, training=True)  # the generator has moved on
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    copied = copy.deepcopy(layer)
    expected = layer(x, training=True)
    torch.testing.assert_close(restored(x, training=True), expected)
    torch.testing.assert_close(copied(x, training=True), expected)


def test_random_crop_config_seed():
    layer = layers.RandomCrop(2, 3)
    seed = layer.get_config()["seed"]
    assert isinstance(seed, int) and 1 <= seed <= 10**9
    revived = layers.RandomCrop.from_config(layer.get_config())
    assert revived.get_config() == layer.get_config()
    x = _images(2, 5, 5, 1)
    torch.testing.assert_close(revived(x, training=True), layers.RandomCrop(2, 3, seed=seed)(x, training=True))


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("make, match", [
    (lambda: layers.RandomRotation(1.5), "factor"),
    (lambda: layers.RandomRotation((0.1, 0.2, 0.3)), "factor"),
    (lambda: layers.RandomRotation("0.1"), "factor"),
    (lambda: layers.RandomRotation(0.1, fill_value="x"), "fill_value"),
    (lambda: layers.RandomRotation(0.1, seed=1.5), "seed"),
    (lambda: layers.RandomZoom(-1.0), "height_factor"),
    (lambda: layers.RandomZoom(0.1, width_factor=[0.1]), "width_factor"),
    (lambda: layers.RandomTranslation(0.1, 1.1), "factor"),
    (lambda: layers.RandomContrast(-0.1), "factor"),
    (lambda: layers.RandomContrast(0.1, value_range=3), "value_range"),
    (lambda: layers.RandomBrightness(0.1, value_range=("a", "b")), "value_range"),
    (lambda: layers.RandomFlip(mode="diagonal"), "mode"),
    (lambda: layers.RandomFlip(factor=0.5), "factor"),
    (lambda: layers.RandomCrop(0, 2), "height"),
    (lambda: layers.RandomCrop(2, 2.5), "width"),
    (lambda: layers.RandomCrop(2, 2, data_format="nhwc"), "data_format"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("layer_cls", [layers.RandomRotation, layers.RandomZoom])
@pytest.mark.parametrize("argument", ["fill_mode", "interpolation"])
def test_unknown_options_are_value_and_not_implemented_errors(layer_cls, argument):
    with pytest.raises(ValueError, match=f"`{argument}`.*Received: {argument}='bicubic'") as info:
        layer_cls(0.1, **{argument: "bicubic"})
    assert isinstance(info.value, NotImplementedError)  # what Keras raises


@pytest.mark.parametrize("layer_cls, kwargs", ALL_LAYERS + [(layers.RandomCrop, {"height": 2, "width": 2})],
                         ids=IDS + ["RandomCrop"])
def test_wrong_rank_and_dict_inputs(layer_cls, kwargs):
    layer = layer_cls(**kwargs, name="augment")
    with pytest.raises(ValueError, match=r"'augment'.*rank 3 .* or 4 .*shape=\(4, 4\)"):
        layer(torch.zeros(4, 4), training=True)
    with pytest.raises(ValueError, match="rank"):
        layer(torch.zeros(1, 2, 4, 4, 3))
    with pytest.raises(ValueError, match="dict inputs"):
        layer({"images": torch.zeros(1, 4, 4, 3), "labels": torch.zeros(1, 2)}, training=True)


def test_keras_archive_round_trip(tmp_path):
    inputs = torchkeras.Input((8, 8, 3))
    x = torchkeras.Sequential([layers.RandomFlip("horizontal", seed=1), layers.RandomRotation(0.1)])(inputs)
    x = layers.RandomZoom(0.2, fill_mode="constant", fill_value=0.5)(x)
    x = layers.RandomTranslation(0.1, 0.2, interpolation="nearest")(x)
    x = layers.RandomContrast(0.2, value_range=(0, 1))(layers.RandomBrightness(0.1, value_range=(0, 1))(x))
    x = layers.RandomCrop(6, 5, data_format="channels_last")(x)
    model = torchkeras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    model.save(str(tmp_path / "m.keras"))
    loaded = torchkeras.saving.load_model(str(tmp_path / "m.keras"))
    # Compared as JSON: the archive turns tuples into lists.
    assert json.loads(json.dumps(loaded.get_config())) == json.loads(json.dumps(model.get_config()))
    images = _images(2, 8, 8, 3, high=1.0)
    model.eval()
    loaded.eval()
    torch.testing.assert_close(loaded(images), model(images))
