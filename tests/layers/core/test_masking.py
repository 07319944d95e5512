import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_contract(mask_value):
    run_layer_test(
        layers.Masking, {"mask_value": mask_value}, input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4), expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0, supports_masking=True, expected_mask_shape=(2, 3),
    )


def test_golden_output_and_mask():
    x = torch.tensor([
        [[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]],
        [[0.0, 0.0], [0.0, 0.0], [5.0, 0.0]],
    ])
    out = layers.Masking()(x)
    torch.testing.assert_close(out, x)  # masked timesteps are already 0
    assert out._keras_mask.tolist() == [[True, False, True], [False, False, True]]


def test_nonzero_mask_value_zeroes_masked_timesteps():
    x = torch.tensor([[[-1.0, -1.0], [-1.0, 2.0], [3.0, 4.0]]])
    layer = layers.Masking(mask_value=-1.0)
    out = layer(x)
    torch.testing.assert_close(out, torch.tensor([[[0.0, 0.0], [-1.0, 2.0], [3.0, 4.0]]]))
    assert out._keras_mask.tolist() == [[False, True, True]]
    assert layer.compute_mask(x, None).tolist() == [[False, True, True]]


def test_mask_value_serialized_tensor():
    config = layers.Masking(mask_value=np.array(2.0)).get_config()
    assert config["mask_value"] == 2.0
    value = {"class_name": "__numpy__", "config": {"value": [2.0], "dtype": "float32"}}
    layer = layers.Masking(mask_value=value)
    out = layer(torch.tensor([[[2.0], [1.0]]]))
    assert out._keras_mask.tolist() == [[False, True]]
