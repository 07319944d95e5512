import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("input_shape, output_shape", [
    ([(2, 3), (2, 3)], (2, 3)),
    ([(2, 3, 4), (2, 1, 4)], (2, 3, 4)),
    ([(2, 4), (2, 3, 4)], (2, 3, 4)),
])
def test_layer_contract(input_shape, output_shape):
    run_layer_test(layers.Subtract, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    a, b = torch.tensor([[5.0, 3.0]]), torch.tensor([[1.0, 4.0]])
    run_layer_test(layers.Subtract, {}, input_data=[a, b], expected_output=torch.tensor([[4.0, -1.0]]))
    assert layers.subtract([b, a]).tolist() == [[-4.0, 1.0]]


@pytest.mark.parametrize("count", [1, 3])
def test_exactly_two_inputs(count):
    with pytest.raises(ValueError, match="exactly 2 inputs.*'subtract"):
        layers.Subtract()([torch.ones(2, 3)] * count)


def test_exactly_two_inputs_after_build():
    layer = layers.Subtract()
    layer([torch.ones(2, 3)] * 2)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layer([torch.ones(2, 3)] * 3)


def test_incompatible_shapes():
    with pytest.raises(ValueError, match="incompatible shapes.*'subtract"):
        layers.Subtract()([torch.ones(2, 3), torch.ones(2, 2)])
