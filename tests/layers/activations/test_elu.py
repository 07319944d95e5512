import math

import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.5}, {"alpha": 2.0}])
def test_layer_contract(kwargs):
    run_layer_test(layers.ELU, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    x = torch.tensor([-1.0, 0.0, 2.0])
    expected = torch.tensor([0.5 * (math.exp(-1.0) - 1.0), 0.0, 2.0])
    run_layer_test(layers.ELU, {"alpha": 0.5}, input_data=x, expected_output=expected)


def test_config():
    config = layers.ELU(alpha=0.7, name="e").get_config()
    assert config["alpha"] == 0.7
    assert layers.ELU.from_config(config).alpha == 0.7
