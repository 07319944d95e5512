import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, output_shape", [({}, (2, 4, 3)), ({"cropping": (2, 0)}, (2, 4, 3)),
                                                  ({"cropping": 0}, (2, 6, 3))])
def test_contract_1d(kwargs, output_shape):
    run_layer_test(layers.Cropping1D, kwargs, input_shape=(2, 6, 3), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs, output_shape", [
    ({}, (2, 5, 6, 3)),
    ({"cropping": ((1, 0), (0, 2))}, (2, 4, 4, 3)),
    ({"cropping": (2, 1)}, (2, 1, 4, 3)),
    ({"cropping": 1, "data_format": "channels_first"}, (2, 5, 4, 1)),
])
def test_contract_2d(kwargs, output_shape):
    run_layer_test(layers.Cropping2D, kwargs, input_shape=(2, 5, 6, 3), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs, output_shape", [
    ({}, (1, 2, 3, 4, 2)),
    ({"cropping": ((0, 1), (2, 0), (0, 0))}, (1, 3, 3, 6, 2)),
    ({"cropping": (1, 0, 0), "data_format": "channels_first"}, (1, 4, 3, 6, 2)),
])
def test_contract_3d(kwargs, output_shape):
    run_layer_test(layers.Cropping3D, kwargs, input_shape=(1, 4, 5, 6, 2), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_golden_1d():
    x = torch.arange(10.0).reshape(1, 5, 2)
    out = layers.Cropping1D((1, 2))(x)
    assert out[0].tolist() == [[2, 3], [4, 5]]
    assert layers.Cropping1D((2, 0))(x)[0].tolist() == [[4, 5], [6, 7], [8, 9]]
    assert layers.Cropping1D(1)(x)[0, :, 0].tolist() == [2, 4, 6]


def test_golden_2d_both_formats():
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = layers.Cropping2D(((1, 0), (0, 1)))(x)
    assert out[0, :, :, 0].tolist() == [[4, 5, 6], [8, 9, 10], [12, 13, 14]]
    out = layers.Cropping2D(((1, 0), (0, 1)), data_format="channels_first")(x.reshape(1, 1, 4, 4))
    assert out[0, 0].tolist() == [[4, 5, 6], [8, 9, 10], [12, 13, 14]]


def test_cropping_is_a_view():
    x = torch.randn(2, 6, 7, 3)
    out = layers.Cropping2D(((1, 2), (3, 1)))(x)
    assert out.data_ptr() != 0 and out._base is x
    torch.testing.assert_close(out, x[:, 1:4, 3:6, :])
    y = torch.randn(1, 2, 4, 5, 6)
    out = layers.Cropping3D(((1, 1), (0, 2), (2, 0)), data_format="channels_first")(y)
    assert out._base is y
    torch.testing.assert_close(out, y[:, :, 1:3, 0:3, 2:])


@pytest.mark.parametrize("cls, cropping", [
    (layers.Cropping1D, -1), (layers.Cropping1D, (1, 2, 3)), (layers.Cropping1D, (1, -1)),
    (layers.Cropping2D, -1), (layers.Cropping2D, ((1, -1), (0, 0))), (layers.Cropping2D, (1, 2, 3)),
    (layers.Cropping3D, -1), (layers.Cropping3D, (1, 1)), (layers.Cropping3D, "x"),
])
def test_bad_cropping(cls, cropping):
    with pytest.raises(ValueError, match="Received"):
        cls(cropping)


@pytest.mark.parametrize("layer, shape", [
    (layers.Cropping1D((2, 3), name="crop_a"), (1, 5, 2)),
    (layers.Cropping2D(((1, 1), (3, 0)), name="crop_a"), (1, 5, 3, 2)),
    (layers.Cropping2D(((2, 1), (0, 0)), data_format="channels_first", name="crop_a"), (1, 5, 3, 2)),
    (layers.Cropping3D(((0, 0), (0, 0), (1, 1)), name="crop_a"), (1, 5, 5, 2, 2)),
])
def test_cropping_larger_than_input(layer, shape):
    with pytest.raises(ValueError, match=r"crop_a.*Received: inputs.shape"):
        layer(torch.ones(shape))
    with pytest.raises(ValueError, match=r"crop_a.*Received: input_shape"):
        layer.compute_output_shape(shape)
