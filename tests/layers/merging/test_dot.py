import math

import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"axes": 1}, [(2, 3), (2, 3)], (2, 1)),
    ({"axes": -1}, [(2, 3), (2, 3)], (2, 1)),
    ({"axes": -1, "normalize": True}, [(2, 3), (2, 3)], (2, 1)),
    ({"axes": (2, 2)}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    ({"axes": (1, 2)}, [(2, 3, 4), (2, 5, 3)], (2, 4, 5)),
    ({"axes": [2, 1]}, [(2, 3, 4), (2, 4, 5)], (2, 3, 5)),
    ({"axes": 1}, [(2, 3, 4), (2, 3)], (2, 4)),
    ({"axes": (2, 1)}, [(2, 3, 4), (2, 4)], (2, 3)),
    ({"axes": (3, 1), "normalize": True}, [(2, 3, 4, 5), (2, 5, 6, 7)], (2, 3, 4, 6, 7)),
    ({"axes": 2}, [(2, 3, 4, 5), (2, 3, 4)], (2, 3, 5, 3)),
])
def test_layer_contract(kwargs, input_shape, output_shape):
    run_layer_test(layers.Dot, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, supports_masking=True)


def test_golden_dot_and_cosine():
    a, b = torch.tensor([[3.0, 4.0]]), torch.tensor([[4.0, 3.0]])
    run_layer_test(layers.Dot, {"axes": 1}, input_data=[a, b], expected_output=torch.tensor([[24.0]]))
    run_layer_test(layers.Dot, {"axes": 1, "normalize": True}, input_data=[a, b],
                   expected_output=torch.tensor([[24.0 / 25.0]]))
    u, v = torch.tensor([[1.0, 0.0, 1.0]]), torch.tensor([[0.0, 2.0, 2.0]])
    cos = 2.0 / (math.sqrt(2.0) * math.sqrt(8.0))
    assert layers.dot([u, v], axes=-1, normalize=True).item() == pytest.approx(cos)


def test_batch_matmul_semantics():
    x, y = torch.randn(2, 3, 4), torch.randn(2, 4, 5)
    assert torch.allclose(layers.Dot(axes=(2, 1))([x, y]), torch.bmm(x, y))
    y2 = torch.randn(2, 5, 3)
    assert torch.allclose(layers.Dot(axes=(1, 2))([x, y2]), torch.einsum("bij,bki->bjk", x, y2), atol=1e-6)
    z = torch.randn(2, 3, 4, 5)
    w = torch.randn(2, 5, 6)
    assert torch.allclose(layers.Dot(axes=(3, 1))([z, w]), torch.einsum("bijk,bkl->bijl", z, w), atol=1e-6)


def test_zero_vector_normalize_is_finite():
    out = layers.Dot(axes=1, normalize=True)([torch.zeros(1, 3), torch.ones(1, 3)])
    assert out.tolist() == [[0.0]]


def test_masks_are_dropped():
    a, b = torch.ones(1, 2, 3), torch.ones(1, 2, 3)
    a._keras_mask = torch.tensor([[True, False]])
    b._keras_mask = torch.tensor([[True, True]])
    assert getattr(layers.Dot(axes=2)([a, b]), "_keras_mask", None) is None


@pytest.mark.parametrize("axes", [(1,), (1, 2, 3), (1, "a")])
def test_invalid_axes_value(axes):
    with pytest.raises(ValueError, match="Received: axes="):
        layers.Dot(axes=axes)


def test_invalid_axes_type():
    with pytest.raises(TypeError, match="Received: axes="):
        layers.Dot(axes="1")


def test_wrong_number_of_inputs():
    with pytest.raises(ValueError, match="2 inputs.*'dot"):
        layers.Dot(axes=1)([torch.ones(2, 3)] * 3)
    with pytest.raises(ValueError, match="2 inputs"):
        layers.Dot(axes=1)(torch.ones(2, 3))


def test_incompatible_axis_sizes():
    with pytest.raises(ValueError, match="Incompatible input shapes.*'dot"):
        layers.Dot(axes=1)([torch.ones(2, 3), torch.ones(2, 4)])


def test_batch_axis_and_rank():
    with pytest.raises(ValueError, match="axis 0"):
        layers.Dot(axes=0)([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="rank < 2"):
        layers.Dot(axes=0).build([(2,), (2,)])


def test_config():
    config = layers.Dot(axes=(1, 2), normalize=True, name="d").get_config()
    assert config["axes"] == (1, 2) and config["normalize"] is True
