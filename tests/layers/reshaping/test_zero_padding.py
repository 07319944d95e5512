import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 3, 4), (2, 5, 4)),
    ({"padding": (1, 2)}, (2, 3, 4), (2, 6, 4)),
    ({"padding": 2, "data_format": "channels_first"}, (2, 3, 4), (2, 3, 8)),
])
def test_contract_1d(kwargs, input_shape, output_shape):
    run_layer_test(layers.ZeroPadding1D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs, output_shape", [
    ({}, (2, 5, 6, 3)),
    ({"padding": ((1, 0), (0, 2))}, (2, 4, 6, 3)),
    ({"padding": (2, 0)}, (2, 7, 4, 3)),
    ({"padding": 1, "data_format": "channels_first"}, (2, 3, 6, 5)),
])
def test_contract_2d(kwargs, output_shape):
    run_layer_test(layers.ZeroPadding2D, kwargs, input_shape=(2, 3, 4, 3), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("kwargs, output_shape", [
    ({}, (1, 4, 5, 6, 2)),
    ({"padding": ((0, 1), (2, 0), (0, 0))}, (1, 3, 5, 4, 2)),
    ({"padding": (1, 0, 2), "data_format": "channels_first"}, (1, 2, 5, 4, 6)),
])
def test_contract_3d(kwargs, output_shape):
    run_layer_test(layers.ZeroPadding3D, kwargs, input_shape=(1, 2, 3, 4, 2), expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_golden_2d_asymmetric():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    out = layers.ZeroPadding2D(((1, 0), (0, 2)))(x)
    expected = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 0.0, 0.0], [3.0, 4.0, 0.0, 0.0]])
    assert torch.equal(out[0, :, :, 0], expected)
    # channels_first: the same picture on the last two axes
    out = layers.ZeroPadding2D(((1, 0), (0, 2)), data_format="channels_first")(x.reshape(1, 1, 2, 2))
    assert torch.equal(out[0, 0], expected)


def test_golden_1d_and_3d():
    out = layers.ZeroPadding1D((1, 2))(torch.tensor([[[1.0, 5.0], [2.0, 6.0]]]))
    assert out[0].tolist() == [[0, 0], [1, 5], [2, 6], [0, 0], [0, 0]]
    out = layers.ZeroPadding3D(((1, 0), (0, 0), (0, 1)))(torch.ones(1, 1, 1, 1, 1))
    assert out.shape == (1, 2, 1, 2, 1)
    assert out.flatten().tolist() == [0, 0, 1, 0]


def test_integer_dtype_kept():
    out = layers.ZeroPadding1D(1)(torch.ones(1, 2, 1, dtype=torch.int32))
    assert out.dtype == torch.int32 and out[0, :, 0].tolist() == [0, 1, 1, 0]


def test_config_normalised_like_keras():
    assert layers.ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 2)).get_config()["padding"] == ((1, 1), (2, 2))
    assert layers.ZeroPadding1D([1, 2]).get_config()["padding"] == (1, 2)
    assert layers.ZeroPadding3D(1).padding == ((1, 1),) * 3


@pytest.mark.parametrize("cls, padding", [
    (layers.ZeroPadding1D, -1), (layers.ZeroPadding1D, (1, -2)), (layers.ZeroPadding1D, (1, 2, 3)),
    (layers.ZeroPadding2D, -1), (layers.ZeroPadding2D, ((1, -1), (0, 0))), (layers.ZeroPadding2D, (1, 2, 3)),
    (layers.ZeroPadding2D, "same"), (layers.ZeroPadding2D, 1.5), (layers.ZeroPadding2D, ((1, 1.5), (0, 0))),
    (layers.ZeroPadding3D, -2), (layers.ZeroPadding3D, (1, 1)), (layers.ZeroPadding3D, ((1, 1), (1, 1), (1, -1))),
])
def test_bad_padding(cls, padding):
    with pytest.raises(ValueError, match="Received"):
        cls(padding)


def test_wrong_rank_names_layer():
    with pytest.raises(ValueError, match="zero_padding2d"):
        layers.ZeroPadding2D(1, name="zero_padding2d_x")(torch.ones(2, 3, 4))


def test_zero_padding_is_noop_copyless():
    x = torch.randn(1, 2, 2, 1)
    assert layers.ZeroPadding2D(0)(x) is x
