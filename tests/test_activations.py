import math

import pytest
import torch

from torchkeras import activations


def t(values):
    return torch.tensor(values, dtype=torch.float32)


def test_golden_values():
    x = t([-7.0, -3.0, -1.0, 0.0, 1.0, 3.0, 7.0])
    assert activations.relu6(x).tolist() == [0, 0, 0, 0, 1, 3, 6]
    assert activations.hard_sigmoid(x).tolist() == pytest.approx([0, 0, 1 / 3, 0.5, 2 / 3, 1, 1])
    assert activations.hard_silu(x).tolist() == pytest.approx([0, 0, -1 / 3, 0, 2 / 3, 3, 7])
    assert activations.hard_tanh(x).tolist() == [-1, -1, -1, 0, 1, 1, 1]
    assert activations.sparse_sigmoid(x).tolist() == [0, 0, 0, 0.5, 1, 1, 1]
    assert activations.sparse_plus(t([-2.0, 0.0, 2.0])).tolist() == [0, 0.25, 2]
    assert activations.soft_shrink(t([-1.0, 0.2, 1.0])).tolist() == [-0.5, 0, 0.5]
    assert activations.hard_shrink(t([-1.0, 0.2, 1.0])).tolist() == [-1, 0, 1]
    assert activations.threshold(t([-1.0, 2.0]), 0.5, 9.0).tolist() == [9, 2]
    assert activations.squareplus(t([0.0])).tolist() == [1.0]
    assert activations.linear(x) is x
    assert activations.gelu(t([1.0])).item() == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))))
    assert activations.softplus(t([0.0])).item() == pytest.approx(math.log(2))
    assert activations.exponential(t([1.0])).item() == pytest.approx(math.e)
    assert activations.sparsemax(t([[1.0, 0.0], [5.0, 0.0]])).tolist() == [[1, 0], [1, 0]]
    assert activations.glu(t([[2.0, 0.0]])).tolist() == [[1.0]]


def test_relu_options_match_keras_docstring():
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    assert activations.relu(x).tolist() == [0, 0, 0, 5, 10]
    assert activations.relu(x, negative_slope=0.5).tolist() == [-5, -2.5, 0, 5, 10]
    assert activations.relu(x, max_value=5.0).tolist() == [0, 0, 0, 5, 5]
    assert activations.relu(x, threshold=5.0).tolist() == [0, 0, 0, 0, 10]
    assert activations.relu(x, negative_slope=0.1, max_value=6, threshold=1.0).tolist() == pytest.approx(
        [-1.1, -0.6, -0.1, 5, 6]
    )


def test_softmax_axes():
    x = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(activations.softmax(x).sum(-1), torch.ones(2, 3))
    assert torch.allclose(activations.softmax(x, axis=(1, 2)).sum((1, 2)), torch.ones(2))
    assert torch.allclose(activations.softmax(x, axis=None).sum(), torch.tensor(1.0))
    assert torch.allclose(activations.log_softmax(x, axis=1).exp().sum(1), torch.ones(2, 4))


def test_get_serialize_deserialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(torch.tanh) is torch.tanh
    for name, fn in activations.ALL_OBJECTS_DICT.items():
        assert activations.deserialize(activations.serialize(fn)) is fn
        assert activations.deserialize(name) is fn
    assert activations.serialize(activations.relu) == "relu"
    keras_dict = {"module": "builtins", "class_name": "function", "config": "gelu", "registered_name": "function"}
    assert activations.get(keras_dict) is activations.gelu


def test_unknown_activation():
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 'foo'"):
        activations.get("foo")
