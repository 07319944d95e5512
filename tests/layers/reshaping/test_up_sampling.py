import pytest
import torch
import torch.nn.functional as F

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, output_shape", [({}, (2, 6, 4)), ({"size": 3}, (2, 9, 4)), ({"size": 1}, (2, 3, 4))])
def test_contract_1d(kwargs, output_shape):
    run_layer_test(layers.UpSampling1D, kwargs, input_shape=(2, 3, 4), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs, output_shape", [
    ({}, (2, 6, 8, 3)),
    ({"size": (1, 3)}, (2, 3, 12, 3)),
    ({"size": 2, "data_format": "channels_first"}, (2, 3, 8, 6)),
    ({"interpolation": "bilinear"}, (2, 6, 8, 3)),
    ({"size": (3, 2), "interpolation": "bicubic", "data_format": "channels_first"}, (2, 3, 12, 6)),
])
def test_contract_2d(kwargs, output_shape):
    run_layer_test(layers.UpSampling2D, kwargs, input_shape=(2, 3, 4, 3), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs, output_shape", [
    ({}, (1, 4, 6, 8, 2)),
    ({"size": (1, 2, 3), "data_format": "channels_first"}, (1, 2, 3, 8, 6)),
])
def test_contract_3d(kwargs, output_shape):
    run_layer_test(layers.UpSampling3D, kwargs, input_shape=(1, 2, 3, 4, 2), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_golden_nearest_2x2():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    expected = [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert layers.UpSampling2D()(x)[0, :, :, 0].tolist() == expected
    assert layers.UpSampling2D(data_format="channels_first")(x.reshape(1, 1, 2, 2))[0, 0].tolist() == expected
    out = layers.UpSampling2D((1, 3))(x)[0, :, :, 0].tolist()
    assert out == [[1, 1, 1, 2, 2, 2], [3, 3, 3, 4, 4, 4]]


def test_golden_1d_and_3d():
    assert layers.UpSampling1D(3)(torch.tensor([[[1.0], [2.0]]]))[0, :, 0].tolist() == [1, 1, 1, 2, 2, 2]
    x = torch.arange(8.0).reshape(1, 2, 2, 2, 1)
    expected = x.repeat_interleave(2, 1).repeat_interleave(3, 2).repeat_interleave(1, 3)
    assert torch.equal(layers.UpSampling3D((2, 3, 1))(x), expected)


def test_golden_bilinear_half_pixel():
    # Half-pixel centers, no antialiasing, edges clamped: [1, 3] -> [1, 1.5, 2.5, 3].
    x = torch.tensor([[1.0, 3.0]]).reshape(1, 1, 2, 1)
    out = layers.UpSampling2D((1, 2), interpolation="bilinear")(x)
    assert out[0, 0, :, 0].tolist() == [1.0, 1.5, 2.5, 3.0]
    x = torch.randn(2, 5, 4, 3)
    expected = F.interpolate(x.permute(0, 3, 1, 2), size=(10, 12), mode="bilinear",
                             align_corners=False).permute(0, 2, 3, 1)
    torch.testing.assert_close(layers.UpSampling2D((2, 3), interpolation="BILINEAR")(x), expected)


def test_integer_inputs_bilinear_round_back():
    x = torch.tensor([[1, 2]], dtype=torch.int32).reshape(1, 1, 2, 1)
    out = layers.UpSampling2D((1, 2), interpolation="bilinear")(x)
    assert out.dtype == torch.int32
    assert out[0, 0, :, 0].tolist() == [1, 1, 2, 2]  # 1, 1.25, 1.75, 2 rounded


@pytest.mark.parametrize("kwargs, error", [
    ({"size": 0}, ValueError), ({"size": (2, -1)}, ValueError), ({"size": (2, 2, 2)}, ValueError),
    ({"interpolation": "lanczos3"}, ValueError), ({"interpolation": "area"}, ValueError),
])
def test_bad_arguments_2d(kwargs, error):
    with pytest.raises(error, match="Received"):
        layers.UpSampling2D(**kwargs)


def test_bad_arguments_1d_3d():
    with pytest.raises(TypeError, match="integer"):
        layers.UpSampling1D(2.0)
    with pytest.raises(ValueError, match="Received: size=0"):
        layers.UpSampling1D(0)
    with pytest.raises(ValueError, match="Received"):
        layers.UpSampling3D((2, 2))
