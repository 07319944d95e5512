"""Resizing: contract, golden values for each interpolation and aspect-ratio mode, dtypes, dict inputs,
output shapes, bad arguments."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    (dict(height=6, width=5), (2, 4, 3, 3), (2, 6, 5, 3)),
    (dict(height=2, width=3, interpolation="nearest"), (2, 4, 5, 3), (2, 2, 3, 3)),
    (dict(height=5, width=7, interpolation="bicubic", data_format="channels_first"), (2, 3, 4, 4), (2, 3, 5, 7)),
    (dict(height=3, width=3, antialias=True, crop_to_aspect_ratio=True), (2, 6, 4, 2), (2, 3, 3, 2)),
    (dict(height=4, width=2, pad_to_aspect_ratio=True, fill_value=1.0), (2, 4, 4, 1), (2, 4, 2, 1)),
])
def test_resizing_contract(kwargs, input_shape, output_shape):
    run_layer_test(layers.Resizing, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_output_dtype="float32", expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resizing_an_unbatched_image_is_the_batch_of_one(data_format):
    image = torch.randn(5, 6, 2, generator=torch.Generator().manual_seed(1))
    for interpolation in ("bilinear", "nearest", "bicubic"):
        layer = layers.Resizing(3, 4, interpolation=interpolation, data_format=data_format)
        torch.testing.assert_close(layer(image), layer(image[None])[0], rtol=0, atol=0)


def _columns(height, width):
    """An image whose pixel values are their column index."""
    return torch.arange(width, dtype=torch.float32).repeat(height, 1).reshape(1, height, width, 1)


def test_resizing_golden_bilinear_uses_half_pixel_centers():
    # Output column j samples input column (j + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1].
    out = layers.Resizing(2, 4)(_columns(2, 2))
    np.testing.assert_allclose(out[0, :, :, 0].numpy(), [[0.0, 0.25, 0.75, 1.0]] * 2)


def test_resizing_golden_nearest_repeats_on_exact_upsampling():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    out = layers.Resizing(4, 4, interpolation="nearest")(x)[0, :, :, 0]
    assert out.tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]


def test_resizing_golden_antialias_widens_the_filter_when_downsampling():
    x = _columns(1, 4)
    plain = layers.Resizing(1, 2)(x)[0, 0, :, 0]
    np.testing.assert_allclose(plain.numpy(), [0.5, 2.5])
    # A triangle filter twice as wide: weights 0.75, 0.75, 0.25 on columns 0, 1, 2 -> 1.25 / 1.75.
    smooth = layers.Resizing(1, 2, antialias=True)(x)[0, 0, :, 0]
    np.testing.assert_allclose(smooth.numpy(), [5 / 7, 3 - 5 / 7], rtol=1e-6)
    # Keras ignores `antialias` for nearest.
    np.testing.assert_array_equal(layers.Resizing(1, 2, interpolation="nearest", antialias=True)(x).numpy(),
                                  layers.Resizing(1, 2, interpolation="nearest")(x).numpy())


def test_resizing_golden_crop_to_aspect_ratio():
    # 4x8 -> 2x2: the centered 4x4 window (columns 2..5), then each output averages a 2x2 block.
    out = layers.Resizing(2, 2, crop_to_aspect_ratio=True)(_columns(4, 8))
    np.testing.assert_allclose(out[0, :, :, 0].numpy(), [[2.5, 4.5], [2.5, 4.5]])


def test_resizing_golden_pad_to_aspect_ratio():
    # 2x4 -> 4x4: one row of `fill_value` above and below, then an identity resize.
    image = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]).reshape(1, 2, 4, 1)
    out = layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=-1.0)(image)[0, :, :, 0]
    np.testing.assert_array_equal(out.numpy(), [[-1] * 4, [1, 2, 3, 4], [5, 6, 7, 8], [-1] * 4])


def test_resizing_channels_first_matches_channels_last():
    x = torch.randn(2, 5, 7, 3, generator=torch.Generator().manual_seed(0))
    for interpolation in ("bilinear", "nearest", "bicubic"):
        last = layers.Resizing(4, 9, interpolation=interpolation)(x)
        first = layers.Resizing(4, 9, interpolation=interpolation, data_format="channels_first")(
            x.permute(0, 3, 1, 2))
        torch.testing.assert_close(first.permute(0, 2, 3, 1), last, rtol=0, atol=0)


def test_resizing_integer_images_keep_their_dtype_and_are_rounded():
    out = layers.Resizing(1, 3)(torch.tensor([0, 255], dtype=torch.uint8).reshape(1, 1, 2, 1))
    assert out.dtype == torch.uint8
    # Samples at columns -1/6, 1/2, 7/6 -> 0, 127.5, 255; 127.5 rounds half to even.
    assert out.flatten().tolist() == [0, 128, 255]


def test_resizing_bicubic_uint8_is_clipped_before_the_cast():
    step = torch.tensor([0, 0, 255, 255], dtype=torch.uint8).reshape(1, 1, 4, 1)
    out = layers.Resizing(1, 7, interpolation="bicubic")(step)
    floats = layers.Resizing(1, 7, interpolation="bicubic")(step.float())
    assert floats.min() < 0 and floats.max() > 255  # bicubic overshoots at the edge
    assert out.dtype == torch.uint8
    assert out.flatten().tolist() == torch.round(floats.clamp(0, 255)).to(torch.uint8).flatten().tolist()


def test_resizing_dict_inputs_resize_masks_with_nearest():
    images = _columns(2, 2)
    masks = torch.tensor([[0.0, 1.0], [1.0, 0.0]]).reshape(1, 2, 2, 1)
    labels = torch.tensor([3])
    out = layers.Resizing(4, 4)({"images": images, "segmentation_masks": masks, "labels": labels})
    np.testing.assert_allclose(out["images"][0, 0, :, 0].numpy(), [0.0, 0.25, 0.75, 1.0])
    assert out["segmentation_masks"][0, :, :, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0],
                                                             [1, 1, 0, 0]]
    assert out["labels"] is labels
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        layers.Resizing(4, 4)({"images": images, "bounding_boxes": {"boxes": torch.zeros(1, 1, 4)}})


def test_resizing_output_shapes_and_functional_model():
    assert layers.Resizing(3, 4).compute_output_shape((None, 8, 8, 2)) == (None, 3, 4, 2)
    assert layers.Resizing(3, 4, data_format="channels_first").compute_output_shape((None, 2, 8, 8)) == (
        None, 2, 3, 4)
    assert layers.Resizing(3, 4).compute_output_shape((8, 8, 2)) == (3, 4, 2)
    assert layers.Resizing(3, 4, data_format="channels_first").compute_output_shape((2, 8, 8)) == (2, 3, 4)
    x = torchkeras.Input((None, None, 3))
    y = layers.Resizing(5, 6)(x)
    assert tuple(y.shape) == (None, 5, 6, 3)
    model = torchkeras.Model(x, y)
    assert tuple(model(torch.zeros(2, 9, 7, 3)).shape) == (2, 5, 6, 3)


def test_resizing_config():
    layer = layers.Resizing(3, 4, interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=0.5,
                            antialias=1, bounding_box_format="xyxy", name="r")
    config = layer.get_config()
    assert {k: config[k] for k in ("height", "width", "interpolation", "crop_to_aspect_ratio",
                                   "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias",
                                   "data_format", "bounding_box_format")} == {
        "height": 3, "width": 4, "interpolation": "bicubic", "crop_to_aspect_ratio": False,
        "pad_to_aspect_ratio": True, "fill_mode": "constant", "fill_value": 0.5, "antialias": True,
        "data_format": "channels_last", "bounding_box_format": "xyxy"}
    assert "bounding_box_format" not in layers.Resizing(3, 4).get_config()


def test_resizing_errors():
    with pytest.raises(ValueError, match="Lanczos interpolation is not supported"):
        layers.Resizing(2, 2, interpolation="lanczos3")
    with pytest.raises(ValueError, match="argument `interpolation`"):
        layers.Resizing(2, 2, interpolation="area")
    with pytest.raises(ValueError, match="fill_mode"):
        layers.Resizing(2, 2, fill_mode="reflect")
    with pytest.raises(ValueError, match="Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio`"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="argument `height`"):
        layers.Resizing(0, 2)
    with pytest.raises(ValueError, match="argument `width`"):
        layers.Resizing(2, 2.5)
    with pytest.raises(ValueError, match="data_format"):
        layers.Resizing(2, 2, data_format="NHWC")
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.Resizing(2, 2)(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="rank 3"):
        layers.Resizing(2, 2).compute_output_shape((None, 2, 4, 4, 3))
