"""CenterCrop: contract, golden crops (odd differences included), the resize fallback, dtypes, dict inputs,
output shapes, bad arguments."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    (dict(height=2, width=3), (2, 4, 5, 3), (2, 2, 3, 3)),
    (dict(height=3, width=2, data_format="channels_first"), (2, 3, 5, 4), (2, 3, 3, 2)),
    (dict(height=6, width=6), (2, 4, 5, 1), (2, 6, 6, 1)),  # larger than the input: resized
])
def test_center_crop_contract(kwargs, input_shape, output_shape):
    run_layer_test(layers.CenterCrop, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_output_dtype="float32", expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)


def _grid(height, width):
    """An image whose pixel at (row, column) is 10 * row + column."""
    rows = torch.arange(height, dtype=torch.float32)[:, None] * 10
    return (rows + torch.arange(width, dtype=torch.float32)).reshape(1, height, width, 1)


def test_center_crop_golden_window():
    out = layers.CenterCrop(3, 3)(_grid(5, 5))[0, :, :, 0]
    assert out.tolist() == [[11, 12, 13], [21, 22, 23], [31, 32, 33]]


def test_center_crop_odd_difference_drops_the_last_row_and_column():
    # Start (4 - 3) // 2 = 0: the extra row and column go at the bottom and right.
    out = layers.CenterCrop(3, 3)(_grid(4, 4))[0, :, :, 0]
    assert out.tolist() == [[0, 1, 2], [10, 11, 12], [20, 21, 22]]


def test_center_crop_channels_first_and_unbatched():
    grid = _grid(5, 6)
    expected = layers.CenterCrop(3, 2)(grid)
    channels_first = layers.CenterCrop(3, 2, data_format="channels_first")(grid.permute(0, 3, 1, 2))
    torch.testing.assert_close(channels_first.permute(0, 2, 3, 1), expected, rtol=0, atol=0)
    torch.testing.assert_close(layers.CenterCrop(3, 2)(grid[0]), expected[0], rtol=0, atol=0)


def test_center_crop_golden_resize_fallback():
    # 2x4 -> 4x4 (taller than the input): the centered 2x2 window (columns 1..2) resized bilinearly, as
    # keras.utils.smart_resize does.
    columns = torch.arange(4, dtype=torch.float32).repeat(2, 1).reshape(1, 2, 4, 1)
    out = layers.CenterCrop(4, 4)(columns)[0, :, :, 0]
    np.testing.assert_allclose(out.numpy(), [[1.0, 1.25, 1.75, 2.0]] * 4)
    # One side smaller is enough to resize: 6x2 -> 3x3 takes the centered 2x2 window (rows 2..3).
    out = layers.CenterCrop(3, 3)(_grid(6, 2))[0, :, :, 0]
    np.testing.assert_allclose(out.numpy()[:, 0], [20.0, 25.0, 30.0])


def test_center_crop_casts_integer_images_to_the_compute_dtype():
    out = layers.CenterCrop(1, 1)(torch.arange(9, dtype=torch.uint8).reshape(1, 3, 3, 1))
    assert out.dtype == torch.float32 and out.flatten().tolist() == [4.0]
    assert layers.CenterCrop(1, 1, dtype="float64")(torch.zeros(1, 3, 3, 1)).dtype == torch.float64


def test_center_crop_dict_inputs():
    masks = _grid(5, 5)
    out = layers.CenterCrop(1, 1)({"images": _grid(5, 5), "segmentation_masks": masks, "labels": [1]})
    assert out["images"].flatten().tolist() == [22.0] and out["segmentation_masks"].flatten().tolist() == [22.0]
    assert out["labels"] == [1]
    with pytest.raises(ValueError, match="without an 'images' key"):
        layers.CenterCrop(1, 1)({"labels": torch.zeros(1)})


def test_center_crop_output_shapes_config_and_functional_model():
    assert layers.CenterCrop(2, 3).compute_output_shape((None, 8, 8, 4)) == (None, 2, 3, 4)
    assert layers.CenterCrop(2, 3, data_format="channels_first").compute_output_shape((4, 8, 8)) == (4, 2, 3)
    config = layers.CenterCrop(2, 3, name="c").get_config()
    assert (config["height"], config["width"], config["data_format"]) == (2, 3, "channels_last")
    x = torchkeras.Input((6, 6, 2))
    model = torchkeras.Model(x, layers.CenterCrop(2, 3)(x))
    assert tuple(model.output_shape) == (None, 2, 3, 2)
    assert tuple(model(torch.zeros(1, 6, 6, 2)).shape) == (1, 2, 3, 2)


def test_center_crop_errors():
    with pytest.raises(ValueError, match="argument `height`"):
        layers.CenterCrop(-1, 2)
    with pytest.raises(ValueError, match="argument `width`"):
        layers.CenterCrop(2, "3")
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.CenterCrop(2, 2)(torch.zeros(1, 2, 4, 4, 3))
    with pytest.raises(ValueError, match="rank 3"):
        layers.CenterCrop(2, 2).compute_output_shape((4, 4))
