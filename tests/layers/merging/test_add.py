import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("input_shape, output_shape", [
    ([(2, 3), (2, 3)], (2, 3)),
    ([(2, 3, 4), (2, 3, 4), (2, 3, 4)], (2, 3, 4)),
    ([(2, 1, 4), (2, 3, 1)], (2, 3, 4)),  # size-1 axes broadcast
    ([(2, 4), (2, 3, 4)], (2, 3, 4)),  # lower rank: axes inserted after the batch axis
    ([(2, 1), (2, 3, 4)], (2, 3, 4)),
    ([(2, 3)], (2, 3)),  # Keras 3 accepts a single input
])
def test_layer_contract(input_shape, output_shape):
    run_layer_test(layers.Add, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    a, b, c = torch.tensor([[1.0, 2.0]]), torch.tensor([[10.0, 20.0]]), torch.tensor([[100.0, 200.0]])
    run_layer_test(layers.Add, {}, input_data=[a, b, c], expected_output=torch.tensor([[111.0, 222.0]]))
    assert layers.add([a, b]).tolist() == [[11.0, 22.0]]


def test_rank_broadcast_golden():
    x = torch.tensor([[1.0, 2.0]])  # (1, 2)
    y = torch.zeros(1, 3, 2)
    out = layers.Add()([x, y])
    assert out.tolist() == [[[1.0, 2.0]] * 3]


def test_functional_form_kwargs():
    out = layers.add([torch.ones(1, 2), torch.ones(1, 2)], name="my_add", dtype="float64")
    assert out.dtype == torch.float64


def test_masks_or():
    a, b = torch.ones(2, 3, 4), torch.ones(2, 3, 4)
    a._keras_mask = torch.tensor([[True, False, False], [False, False, True]])
    b._keras_mask = torch.tensor([[False, True, False], [False, False, False]])
    out = layers.Add()([a, b])
    assert out._keras_mask.tolist() == [[True, True, False], [False, False, True]]
    assert out.tolist() == (a + b).tolist()  # masks don't change Add's values
    b._keras_mask = None
    assert getattr(layers.Add()([a, b]), "_keras_mask", None) is None


def test_not_a_list():
    with pytest.raises(ValueError, match="list of inputs.*'add"):
        layers.Add()(torch.ones(2, 3))
    layer = layers.Add()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="list of inputs"):
        layer(torch.ones(2, 3))


def test_empty_list():
    with pytest.raises(ValueError, match="at least 1 input"):
        layers.Add().build([])


def test_incompatible_shapes():
    with pytest.raises(ValueError, match=r"incompatible shapes \(layer 'add.*Received shapes"):
        layers.Add()([torch.ones(2, 3), torch.ones(2, 4)])


def test_different_batch_sizes():
    with pytest.raises(ValueError, match="different batch sizes.*'add"):
        layers.Add()([torch.ones(2, 3), torch.ones(3, 3)])


def test_compute_output_shape():
    assert layers.Add().compute_output_shape([(None, 1, 4), (None, 3, 1)]) == (None, 3, 4)
    assert layers.Add().compute_output_shape([(5, 4), (None, 3, 4)]) == (5, 3, 4)
    assert layers.Add().compute_output_shape([(None, None), (None, 3)]) == (None, None)
