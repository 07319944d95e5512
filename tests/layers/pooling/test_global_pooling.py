import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test

GLOBAL = [layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D, layers.GlobalMaxPooling3D,
          layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D, layers.GlobalAveragePooling3D]


@pytest.mark.parametrize("cls", GLOBAL)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_contract(cls, data_format, keepdims):
    n = int(cls.__name__[-2])
    input_shape = (2,) + (3, 4, 5)[:n] + (6,) if data_format == "channels_last" else (2, 6) + (3, 4, 5)[:n]
    if keepdims:
        expected = (2,) + (1,) * n + (6,) if data_format == "channels_last" else (2, 6) + (1,) * n
    else:
        expected = (2, 6)
    run_layer_test(cls, {"data_format": data_format, "keepdims": keepdims}, input_shape=input_shape,
                   expected_output_shape=expected, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)


def test_aliases():
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D
    assert layers.GlobalMaxPool2D is layers.GlobalMaxPooling2D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    assert layers.GlobalAvgPool1D is layers.GlobalAveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D


def test_goldens_on_ramp():
    x = torch.arange(16.0).reshape(1, 4, 4, 1)  # channels_last, one channel
    torch.testing.assert_close(layers.GlobalMaxPooling2D()(x), torch.tensor([[15.0]]))
    torch.testing.assert_close(layers.GlobalAveragePooling2D()(x), torch.tensor([[7.5]]))
    x = torch.arange(6.0).reshape(1, 2, 3)  # channels_first: 2 channels of 3 steps
    torch.testing.assert_close(layers.GlobalAveragePooling1D(data_format="channels_first")(x),
                               torch.tensor([[1.0, 4.0]]))
    torch.testing.assert_close(layers.GlobalMaxPooling1D(data_format="channels_first", keepdims=True)(x),
                               torch.tensor([[[2.0], [5.0]]]))


def test_global_average_1d_mask():
    x = torch.tensor([[[1.0, 10.0], [3.0, 30.0], [100.0, 1000.0]]])  # (1, 3 steps, 2 features)
    mask = torch.tensor([[True, True, False]])
    out = layers.GlobalAveragePooling1D()(x, mask=mask)
    torch.testing.assert_close(out, torch.tensor([[2.0, 20.0]]))
    out_cf = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)(
        x.transpose(1, 2), mask=mask)
    torch.testing.assert_close(out_cf, torch.tensor([[[2.0], [20.0]]]))
    assert layers.GlobalAveragePooling1D().supports_masking


def test_global_average_1d_mask_propagates_from_masking_and_stops():
    x = torch.tensor([[[1.0], [3.0], [0.0]]])
    masked = layers.Masking(0.0)(x)
    out = layers.GlobalAveragePooling1D()(masked)
    torch.testing.assert_close(out, torch.tensor([[2.0]]))
    assert getattr(out, "_keras_mask", None) is None


def test_wrong_rank():
    with pytest.raises(ValueError, match="ndim"):
        layers.GlobalAveragePooling2D()(torch.randn(2, 3, 4))


def test_invalid_data_format():
    with pytest.raises(ValueError, match="Received"):
        layers.GlobalMaxPooling2D(data_format="channels_middle")
