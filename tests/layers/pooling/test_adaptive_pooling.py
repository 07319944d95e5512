import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test

CASES = [
    (layers.AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 4), (2, 3, 4)),
    (layers.AdaptiveMaxPooling1D, {"output_size": (4,), "data_format": "channels_first"}, (2, 3, 10),
     (2, 3, 4)),
    (layers.AdaptiveAveragePooling2D, {"output_size": (2, 3)}, (2, 5, 7, 3), (2, 2, 3, 3)),
    (layers.AdaptiveMaxPooling2D, {"output_size": 3, "data_format": "channels_first"}, (2, 3, 7, 5),
     (2, 3, 3, 3)),
    (layers.AdaptiveAveragePooling3D, {"output_size": 2, "data_format": "channels_first"}, (1, 2, 5, 4, 3),
     (1, 2, 2, 2, 2)),
    (layers.AdaptiveMaxPooling3D, {"output_size": (1, 2, 3)}, (1, 5, 4, 7, 2), (1, 1, 2, 3, 2)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, expected", CASES)
def test_contract(cls, kwargs, input_shape, expected):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=expected,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_goldens_non_dividing():
    # 5 steps into 3 windows: [0, 2), [1, 4), [3, 5).
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    torch.testing.assert_close(layers.AdaptiveAveragePooling1D(3)(x).reshape(-1), torch.tensor([1.5, 3.0, 4.5]))
    torch.testing.assert_close(layers.AdaptiveMaxPooling1D(3)(x).reshape(-1), torch.tensor([2.0, 4.0, 5.0]))
    ramp = torch.arange(16.0).reshape(1, 4, 4, 1)
    torch.testing.assert_close(layers.AdaptiveAveragePooling2D(2)(ramp)[0, :, :, 0],
                               torch.tensor([[2.5, 4.5], [10.5, 12.5]]))


def test_config():
    assert layers.AdaptiveAveragePooling2D(3).get_config()["output_size"] == (3, 3)
    assert layers.AdaptiveMaxPooling1D([4]).get_config()["output_size"] == (4,)
    assert layers.AdaptiveMaxPooling3D(2).get_config()["data_format"] == "channels_last"


def test_wrong_rank():
    with pytest.raises(ValueError, match="ndim"):
        layers.AdaptiveAveragePooling2D(2)(torch.randn(2, 3, 4))


def test_invalid_output_size():
    with pytest.raises(ValueError, match="Received"):
        layers.AdaptiveAveragePooling1D((2, 3))
    with pytest.raises(TypeError, match="Received"):
        layers.AdaptiveMaxPooling2D((2, 3, 4))
    with pytest.raises(TypeError, match="Received"):
        layers.AdaptiveMaxPooling3D("2")
    with pytest.raises(ValueError, match="Received"):
        layers.AdaptiveAveragePooling2D(0)
    with pytest.raises(ValueError, match="Received"):
        layers.AdaptiveAveragePooling2D(2, data_format="nchw")
