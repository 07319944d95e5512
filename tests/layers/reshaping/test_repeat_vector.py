import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("n", [1, 3])
def test_contract(n):
    run_layer_test(
        layers.RepeatVector, {"n": n}, input_shape=(2, 4), expected_output_shape=(2, n, 4),
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )


def test_golden_values():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = layers.RepeatVector(3)(x)
    expected = torch.tensor([[[1.0, 2.0]] * 3, [[3.0, 4.0]] * 3])
    torch.testing.assert_close(out, expected)


def test_gradient_sums_over_repeats():
    x = torch.ones(1, 2, requires_grad=True)
    layers.RepeatVector(4)(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((1, 2), 4.0))


@pytest.mark.parametrize("n, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)])
def test_invalid_arguments(n, error):
    with pytest.raises(error, match="Received"):
        layers.RepeatVector(n)


def test_wrong_rank_names_layer():
    with pytest.raises(ValueError, match="rv"):
        layers.RepeatVector(2, name="rv")(torch.zeros(2, 3, 4))
