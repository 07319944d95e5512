import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test

CASES = [
    (layers.AveragePooling1D, {"pool_size": 2}, (2, 5, 3), (2, 2, 3)),
    (layers.AveragePooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 3), (2, 3, 3)),
    (layers.AveragePooling1D, {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 6), (2, 3, 3)),
    (layers.AveragePooling2D, {"pool_size": 2}, (2, 4, 5, 3), (2, 2, 2, 3)),
    (layers.AveragePooling2D, {"pool_size": (3, 2), "strides": 1, "padding": "same"}, (2, 5, 4, 3),
     (2, 5, 4, 3)),
    (layers.AveragePooling2D, {"pool_size": 2, "strides": (1, 2), "data_format": "channels_first"},
     (2, 3, 5, 6), (2, 3, 4, 3)),
    (layers.AveragePooling3D, {"pool_size": 2}, (2, 4, 4, 5, 2), (2, 2, 2, 2, 2)),
    (layers.AveragePooling3D, {"pool_size": 3, "strides": 2, "padding": "same",
                               "data_format": "channels_first"}, (1, 2, 5, 4, 3), (1, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, expected", CASES)
def test_contract(cls, kwargs, input_shape, expected):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=expected,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_aliases_and_required_pool_size():
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.AvgPool2D is layers.AveragePooling2D
    assert layers.AvgPool3D is layers.AveragePooling3D
    with pytest.raises(TypeError):
        layers.AveragePooling2D()  # pool_size has no default in Keras's average pooling


def test_2x2_on_4x4_ramp():
    # Window means of [[0,1],[4,5]] etc.: 2.5, 4.5, 10.5, 12.5.
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = layers.AveragePooling2D(2)(x)
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[2.5, 4.5], [10.5, 12.5]]))
    out_cf = layers.AveragePooling2D(2, data_format="channels_first")(x.reshape(1, 1, 4, 4))
    torch.testing.assert_close(out_cf[0, 0], torch.tensor([[2.5, 4.5], [10.5, 12.5]]))


def test_same_padding_symmetric_excludes_the_padding():
    # 3x3 ramp, pool 3, stride 1: padding 1 on every side, left out of the divisor.
    x = torch.arange(9.0).reshape(1, 3, 3, 1)
    out = layers.AveragePooling2D(3, strides=1, padding="same")(x)[0, :, :, 0]
    expected = torch.tensor([
        [(0 + 1 + 3 + 4) / 4, (0 + 1 + 2 + 3 + 4 + 5) / 6, (1 + 2 + 4 + 5) / 4],
        [(0 + 1 + 3 + 4 + 6 + 7) / 6, 36 / 9, (1 + 2 + 4 + 5 + 7 + 8) / 6],
        [(3 + 4 + 6 + 7) / 4, (3 + 4 + 5 + 6 + 7 + 8) / 6, (4 + 5 + 7 + 8) / 4],
    ])
    torch.testing.assert_close(out, expected)


def test_same_padding_asymmetric_replicates_the_edge_like_keras_torch():
    # pool 3, stride 2 on [1, 2, 3, 4]: total padding 1, on the right; Keras's torch backend pads by
    # replicating the edge and counts it: [(1+2+3)/3, (3+4+4)/3].
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1)
    out = layers.AveragePooling1D(3, strides=2, padding="same")(x)
    torch.testing.assert_close(out.reshape(-1), torch.tensor([2.0, 11.0 / 3.0]))
    # pool 3, stride 1 (symmetric, odd size 5): the padding is excluded at both ends.
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    out = layers.AveragePooling1D(3, strides=1, padding="same")(x)
    torch.testing.assert_close(out.reshape(-1), torch.tensor([1.5, 2.0, 3.0, 4.0, 4.5]))


def test_compute_output_shape():
    layer = layers.AveragePooling3D(2, strides=(1, 2, 3), padding="same", data_format="channels_first")
    assert layer.compute_output_shape((None, 4, 5, 6, 7)) == (None, 4, 5, 3, 3)


def test_wrong_rank():
    with pytest.raises(ValueError, match="ndim"):
        layers.AveragePooling1D(2)(torch.randn(2, 4, 4, 1))


def test_pool_larger_than_valid_input():
    with pytest.raises(ValueError, match="zero or negative"):
        layers.AveragePooling1D(4)(torch.randn(1, 3, 2))


@pytest.mark.parametrize("kwargs", [
    {"pool_size": 0}, {"pool_size": (2, 2)}, {"pool_size": 2.5}, {"pool_size": 2, "strides": 0},
    {"pool_size": 2, "padding": "causal"}, {"pool_size": 2, "data_format": "nhwc"},
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.AveragePooling1D(**kwargs)
