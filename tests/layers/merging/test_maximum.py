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
    run_layer_test(layers.Maximum, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    a, b, c = torch.tensor([[1.0, 5.0, 0.0]]), torch.tensor([[3.0, 2.0, 0.0]]), torch.tensor([[0.0, 0.0, 9.0]])
    run_layer_test(layers.Maximum, {}, input_data=[a, b, c], expected_output=torch.tensor([[3.0, 5.0, 9.0]]))
    assert layers.maximum([a, b]).tolist() == [[3.0, 5.0, 0.0]]


def test_masked_value_never_wins():
    a = torch.tensor([[[10.0], [1.0], [7.0]]])
    b = torch.tensor([[[2.0], [3.0], [8.0]]])
    a._keras_mask = torch.tensor([[False, True, False]])
    b._keras_mask = torch.tensor([[True, True, False]])
    out = layers.Maximum()([a, b])
    # masked in both: the first input's value, as in Keras
    assert out.tolist() == [[[2.0], [3.0], [7.0]]]
    assert out._keras_mask.tolist() == [[True, True, False]]


def test_incompatible_shapes():
    with pytest.raises(ValueError, match="incompatible shapes.*'maximum"):
        layers.Maximum()([torch.ones(2, 3), torch.ones(2, 2)])
