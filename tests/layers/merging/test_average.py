import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("input_shape, output_shape", [
    ([(2, 3), (2, 3)], (2, 3)),
    ([(2, 3, 4), (2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    ([(2, 4), (2, 3, 4)], (2, 3, 4)),
])
def test_layer_contract(input_shape, output_shape):
    run_layer_test(layers.Average, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    a, b, c = torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 6.0]]), torch.tensor([[5.0, 1.0]])
    run_layer_test(layers.Average, {}, input_data=[a, b, c], expected_output=torch.tensor([[3.0, 3.0]]))
    assert layers.average([a, b]).tolist() == [[2.0, 4.0]]


def test_incompatible_shapes():
    with pytest.raises(ValueError, match="incompatible shapes.*'average"):
        layers.Average()([torch.ones(2, 3), torch.ones(2, 2)])
