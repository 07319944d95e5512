import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("input_shape, output_shape", [
    ([(2, 3), (2, 3)], (2, 3)),
    ([(2, 3, 4), (2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    ([(2, 3, 1), (2, 1, 4)], (2, 3, 4)),
    ([(2, 4), (2, 3, 4)], (2, 3, 4)),
])
def test_layer_contract(input_shape, output_shape):
    run_layer_test(layers.Multiply, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    a, b, c = torch.tensor([[2.0, 3.0]]), torch.tensor([[4.0, 5.0]]), torch.tensor([[0.5, -1.0]])
    run_layer_test(layers.Multiply, {}, input_data=[a, b, c], expected_output=torch.tensor([[4.0, -15.0]]))
    assert layers.multiply([a, b]).tolist() == [[8.0, 15.0]]


def test_masked_values():
    a = torch.tensor([[[2.0], [3.0], [4.0]]])
    b = torch.tensor([[[5.0], [6.0], [7.0]]])
    a._keras_mask = torch.tensor([[True, False, False]])
    b._keras_mask = torch.tensor([[True, True, False]])
    out = layers.Multiply()([a, b])
    # masked values count as 1; positions masked everywhere are 0
    assert out.tolist() == [[[10.0], [6.0], [0.0]]]
    assert out._keras_mask.tolist() == [[True, True, False]]


def test_one_masked_input():
    a = torch.tensor([[[2.0], [3.0]]])
    b = torch.tensor([[[5.0], [6.0]]])
    a._keras_mask = torch.tensor([[True, False]])
    out = layers.Multiply()([a, b])
    assert out.tolist() == [[[10.0], [6.0]]]
    assert getattr(out, "_keras_mask", None) is None


def test_incompatible_shapes():
    with pytest.raises(ValueError, match="incompatible shapes.*'multiply"):
        layers.Multiply()([torch.ones(2, 3), torch.ones(2, 2)])
