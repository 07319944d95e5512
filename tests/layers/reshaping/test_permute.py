import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize(
    "dims, input_shape, expected",
    [((2, 1), (2, 3, 4), (2, 4, 3)), ((1, 2), (2, 3, 4), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5), (2, 5, 3, 4))],
)
def test_contract(dims, input_shape, expected):
    run_layer_test(
        layers.Permute, {"dims": dims}, input_shape=input_shape, expected_output_shape=expected,
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )


def test_golden_values():
    x = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])
    out = layers.Permute((2, 1))(x)
    torch.testing.assert_close(out, torch.tensor([[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]]))
    assert out.data_ptr() == x.data_ptr()  # a view


def test_compute_output_shape():
    assert layers.Permute((3, 1, 2)).compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)


@pytest.mark.parametrize("dims, error", [((1, 3), ValueError), ((0, 1), ValueError), ((1, 1), ValueError),
                                         ((1.0, 2.0), ValueError), (2, TypeError)])
def test_invalid_arguments(dims, error):
    with pytest.raises(error, match="Received"):
        layers.Permute(dims)


def test_wrong_rank_names_layer():
    with pytest.raises(ValueError, match="permute_rank"):
        layers.Permute((2, 1), name="permute_rank")(torch.zeros(2, 3, 4, 5))
