import math

import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"axis": -2}, {"axis": [1, 2]}, {"axis": [2]}])
def test_layer_contract(kwargs):
    run_layer_test(layers.Softmax, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_values():
    x = torch.tensor([1.0, 2.0, 1.0])
    e = math.e
    expected = torch.tensor([1 / (2 + e), e / (2 + e), 1 / (2 + e)])
    run_layer_test(layers.Softmax, {}, input_data=x, expected_output=expected)


def test_multiple_axes_sum_to_one():
    x = torch.randn(2, 3, 4)
    out = layers.Softmax(axis=[1, 2])(x)
    assert torch.allclose(out.sum(dim=(1, 2)), torch.ones(2))
    assert torch.allclose(out, torch.softmax(x.reshape(2, -1), -1).reshape(2, 3, 4))


def test_mask_argument():
    x = torch.tensor([[1.0, 2.0, 3.0]])
    mask = torch.tensor([[True, False, True]])
    out = layers.Softmax()(x, mask=mask)
    e2 = math.exp(2.0)
    expected = torch.tensor([[1 / (1 + e2), 0.0, e2 / (1 + e2)]])
    assert torch.allclose(out, expected)
    assert out[0, 1].item() == 0.0
    run_layer_test(layers.Softmax, {}, input_data=x, call_kwargs={"mask": mask},
                   expected_output=expected)


def test_float_mask_and_broadcasting():
    x = torch.zeros(2, 3, 4)
    mask = torch.tensor([1.0, 0.0, 1.0, 0.2])  # > 0.5 keeps
    out = layers.Softmax()(x, mask=mask)
    assert torch.allclose(out[0, 0], torch.tensor([0.5, 0.0, 0.5, 0.0]))


def test_fully_masked_axis_gives_zeros():
    out = layers.Softmax()(torch.randn(1, 3), mask=torch.zeros(1, 3, dtype=torch.bool))
    assert out.tolist() == [[0.0, 0.0, 0.0]]


def test_input_mask_is_used():
    x = torch.tensor([[1.0, 2.0, 3.0]])
    x._keras_mask = torch.tensor([[True, True, False]])
    out = layers.Softmax()(x)
    assert out[0, 2].item() == 0.0
    assert torch.equal(out._keras_mask, x._keras_mask)


@pytest.mark.parametrize("mask_shape", [(1, 2, 3, 4), (3, 4, 4), (5,)])
def test_mask_not_broadcastable(mask_shape):
    with pytest.raises(ValueError, match="softmax.*Received: inputs.shape"):
        layers.Softmax()(torch.zeros(2, 3, 4), mask=torch.ones(mask_shape, dtype=torch.bool))


def test_float16_uses_small_negative():
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float16)
    out = layers.Softmax(dtype="float16")(x, mask=torch.tensor([[True, False]]))
    assert out.dtype == torch.float16
    assert out.tolist() == [[1.0, 0.0]]
