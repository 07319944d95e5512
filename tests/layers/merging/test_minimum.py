import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("input_shape, output_shape", [
    ([(2, 3), (2, 3)], (2, 3)),
    ([(2, 3, 4), (2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    ([(2, 1, 4), (2, 3, 4)], (2, 3, 4)),
])
def test_layer_contract(input_shape, output_shape):
    run_layer_test(layers.Minimum, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    a, b = torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])
    run_layer_test(layers.Minimum, {}, input_data=[a, b], expected_output=torch.tensor([[1.0, 2.0]]))
    assert layers.minimum([a, b]).tolist() == [[1.0, 2.0]]


def test_masked_value_never_wins():
    a = torch.tensor([[[-10.0], [1.0]]])
    b = torch.tensor([[[2.0], [3.0]]])
    a._keras_mask = torch.tensor([[False, True]])
    b._keras_mask = torch.tensor([[True, True]])
    out = layers.Minimum()([a, b])
    assert out.tolist() == [[[2.0], [1.0]]]


def test_incompatible_shapes():
    with pytest.raises(ValueError, match="incompatible shapes.*'minimum"):
        layers.Minimum()([torch.ones(2, 3), torch.ones(2, 2)])
