import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize(
    "target_shape, input_shape, expected",
    [((8, 1), (3, 8), (3, 8, 1)), ((-1,), (3, 2, 4), (3, 8)), ((-1, 2), (3, 2, 4), (3, 4, 2)),
     ((2, -1, 2), (3, 8), (3, 2, 2, 2)), ((4, 2), (3, 2, 4), (3, 4, 2))],
)
def test_contract(target_shape, input_shape, expected):
    run_layer_test(
        layers.Reshape, {"target_shape": target_shape}, input_shape=input_shape,
        expected_output_shape=expected, expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


def test_golden_values():
    x = torch.arange(12.0).reshape(2, 6)
    torch.testing.assert_close(layers.Reshape((-1, 2))(x), torch.arange(12.0).reshape(2, 3, 2))
    torch.testing.assert_close(layers.Reshape((3, 2))(x), torch.arange(12.0).reshape(2, 3, 2))


def test_output_is_a_view_and_empty_batch():
    x = torch.arange(12.0).reshape(2, 6)
    assert layers.Reshape((3, 2))(x).data_ptr() == x.data_ptr()
    assert layers.Reshape((-1, 2))(torch.zeros(0, 6)).shape == (0, 3, 2)


def test_compute_output_shape():
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 6)) == (None, 3, 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None)) == (None, None, 2)
    assert layers.Reshape((3, 4)).compute_output_shape((None, None)) == (None, 3, 4)


def test_incompatible_sizes_name_the_layer():
    layer = layers.Reshape((5,), name="rs")
    with pytest.raises(ValueError, match="rs.*total size of the tensor must be unchanged"):
        layer(torch.zeros(2, 6))
    with pytest.raises(ValueError, match="rs.*cannot by divided"):
        layers.Reshape((-1, 4), name="rs")(torch.zeros(2, 6))
    with pytest.raises(ValueError, match="input_shape=\\(6,\\)"):
        layer.compute_output_shape((None, 6))


@pytest.mark.parametrize(
    "target_shape, error", [((-2, 3), ValueError), ((-1, -1), ValueError), ((2.5,), TypeError), (3, TypeError)]
)
def test_invalid_arguments(target_shape, error):
    with pytest.raises(error, match="Received"):
        layers.Reshape(target_shape)
