import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "input_shape, expected", [((2, 3), (2, 3)), ((2, 3, 4), (2, 12)), ((2, 2, 3, 4), (2, 24)), ((3,), (3, 1))]
)
def test_contract(data_format, input_shape, expected):
    run_layer_test(
        layers.Flatten, {"data_format": data_format}, input_shape=input_shape,
        expected_output_shape=expected, expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


def test_channels_last_order():
    x = torch.arange(8.0).reshape(1, 2, 2, 2)
    torch.testing.assert_close(layers.Flatten()(x), torch.arange(8.0).reshape(1, 8))


def test_channels_first_flattens_in_channels_last_order():
    # x[0, c, h, w] = 4c + 2h + w; channels-last order walks (h, w, c): c varies fastest.
    x = torch.arange(8.0).reshape(1, 2, 2, 2)
    out = layers.Flatten(data_format="channels_first")(x)
    torch.testing.assert_close(out, torch.tensor([[0.0, 4, 1, 5, 2, 6, 3, 7]]))
    # Same as flattening the channels-last view of the same data.
    torch.testing.assert_close(out, layers.Flatten()(x.permute(0, 2, 3, 1)))


def test_rank_one_input_and_empty_batch():
    torch.testing.assert_close(layers.Flatten()(torch.tensor([1.0, 2.0])), torch.tensor([[1.0], [2.0]]))
    assert layers.Flatten()(torch.zeros(0, 3, 4)).shape == (0, 12)


def test_compute_output_shape():
    layer = layers.Flatten()
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)
    assert layer.compute_output_shape((None, None, 4)) == (None, None)
    assert layer.compute_output_shape((None,)) == (None, 1)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Received"):
        layers.Flatten(data_format="channels_middle")


def test_scalar_input_rejected():
    with pytest.raises(ValueError, match="flatten"):
        layers.Flatten()(torch.tensor(1.0))
