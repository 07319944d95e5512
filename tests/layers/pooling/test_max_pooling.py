import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test

CASES = [
    (layers.MaxPooling1D, {"pool_size": 2}, (2, 5, 3), (2, 2, 3)),
    (layers.MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 3), (2, 3, 3)),
    (layers.MaxPooling1D, {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 6), (2, 3, 3)),
    (layers.MaxPooling2D, {}, (2, 4, 5, 3), (2, 2, 2, 3)),
    (layers.MaxPooling2D, {"pool_size": (3, 2), "strides": 1, "padding": "same"}, (2, 5, 4, 3), (2, 5, 4, 3)),
    (layers.MaxPooling2D, {"pool_size": 2, "strides": (1, 2), "data_format": "channels_first"}, (2, 3, 5, 6),
     (2, 3, 4, 3)),
    (layers.MaxPooling3D, {}, (2, 4, 4, 5, 2), (2, 2, 2, 2, 2)),
    (layers.MaxPooling3D, {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
     (1, 2, 5, 4, 3), (1, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, expected", CASES)
def test_contract(cls, kwargs, input_shape, expected):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=expected,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_aliases():
    assert layers.MaxPool1D is layers.MaxPooling1D
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.MaxPool3D is layers.MaxPooling3D


def test_defaults_and_config():
    layer = layers.MaxPooling2D()
    config = layer.get_config()
    assert config["pool_size"] == (2, 2) and config["strides"] == (2, 2)
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert layers.MaxPooling1D(3, strides=1).get_config()["strides"] == (1,)
    assert layers.MaxPooling3D().pool_size == (2, 2, 2)


def test_2x2_on_4x4_ramp():
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = layers.MaxPooling2D()(x)
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[5.0, 7.0], [13.0, 15.0]]))
    out_cf = layers.MaxPooling2D(data_format="channels_first")(x.reshape(1, 1, 4, 4))
    torch.testing.assert_close(out_cf[0, 0], torch.tensor([[5.0, 7.0], [13.0, 15.0]]))


def test_same_padding_never_wins():
    # All values negative: zero padding would win; Keras pads so the padding never does.
    x = -torch.arange(1.0, 6.0).reshape(1, 5, 1)
    out = layers.MaxPooling1D(2, strides=1, padding="same")(x)
    torch.testing.assert_close(out.reshape(-1), torch.tensor([-1.0, -2.0, -3.0, -4.0, -5.0]))
    # pool 3, stride 2 on 4 steps: total padding 1, all on the right: windows [0..2], [2..4).
    x = -torch.tensor([4.0, 3.0, 2.0, 1.0]).reshape(1, 4, 1)
    out = layers.MaxPooling1D(3, strides=2, padding="same")(x)
    torch.testing.assert_close(out.reshape(-1), torch.tensor([-2.0, -1.0]))


def test_same_padding_asymmetric_2d_matches_explicit_padding():
    x = torch.randn(2, 7, 6, 3)
    for pool, strides in [(2, 1), (3, 2), (4, 3), ((2, 3), (3, 1))]:
        layer = layers.MaxPooling2D(pool, strides=strides, padding="same")
        out = layer(x)
        p = layer.pool_size
        s = layer.strides
        pads = []
        for n, k, st in zip(x.shape[1:3], p, s):
            total = k - 1 if st == 1 else max(0, (-(-n // st) - 1) * st + k - n)
            pads.append((total // 2, total - total // 2))
        xp = torch.nn.functional.pad(x.permute(0, 3, 1, 2), (*pads[1], *pads[0]), value=float("-inf"))
        expected = torch.nn.functional.max_pool2d(xp, p, s).permute(0, 2, 3, 1)
        torch.testing.assert_close(out, expected)


def test_channels_last_output_is_a_view_layout():
    x = torch.randn(2, 8, 8, 4)
    out = layers.MaxPooling2D()(x)
    assert out.shape == (2, 4, 4, 4)
    assert out.is_contiguous()  # pooled in torch's channels_last memory format, no copy back


def test_compute_output_shape():
    assert layers.MaxPooling2D(3, strides=2).compute_output_shape((None, 7, 8, 3)) == (None, 3, 3, 3)
    assert layers.MaxPooling2D(3, strides=2, padding="same").compute_output_shape((None, 7, 8, 3)) == (
        None, 4, 4, 3)
    assert layers.MaxPooling1D(2, data_format="channels_first").compute_output_shape((None, 3, None)) == (
        None, 3, None)


def test_wrong_rank():
    with pytest.raises(ValueError, match="ndim"):
        layers.MaxPooling2D()(torch.randn(2, 4, 4))


def test_pool_larger_than_valid_input():
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(pool_size=5)(torch.randn(1, 4, 4, 1))
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(pool_size=5).compute_output_shape((None, 4, 4, 1))
    # Same padding accepts it.
    assert layers.MaxPooling2D(pool_size=5, padding="same")(torch.randn(1, 4, 4, 1)).shape == (1, 1, 1, 1)


@pytest.mark.parametrize("kwargs", [
    {"pool_size": 0}, {"pool_size": (2, 2, 2)}, {"pool_size": "2"}, {"pool_size": 2, "strides": (1, 0)},
    {"pool_size": 2, "strides": -1}, {"padding": "full"}, {"data_format": "channels_middle"},
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.MaxPooling2D(**kwargs)
