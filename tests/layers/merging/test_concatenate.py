import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, [(2, 3), (2, 4)], (2, 7)),
    ({"axis": 1}, [(2, 3, 5), (2, 4, 5), (2, 1, 5)], (2, 8, 5)),
    ({"axis": -2}, [(2, 3, 5), (2, 4, 5)], (2, 7, 5)),
    ({"axis": 2}, [(2, 3, 5), (2, 3, 1)], (2, 3, 6)),
    ({"axis": 0}, [(2, 3), (4, 3)], (6, 3)),
])
def test_layer_contract(kwargs, input_shape, output_shape):
    layer = layers.Concatenate(**kwargs)
    run_layer_test(layers.Concatenate, kwargs, input_shape=input_shape,
                   expected_output_shape=output_shape if kwargs.get("axis") != 0 else None,
                   expected_num_trainable_weights=0, supports_masking=True)
    assert layer.compute_output_shape(input_shape) == output_shape


def test_golden_axis_1():
    x = torch.arange(4.0).reshape(2, 2)
    y = 10 * x
    expected = torch.tensor([[0.0, 1.0, 0.0, 10.0], [2.0, 3.0, 20.0, 30.0]])
    run_layer_test(layers.Concatenate, {"axis": 1}, input_data=[x, y], expected_output=expected)
    assert layers.concatenate([x, y], axis=0).tolist() == [[0, 1], [2, 3], [0, 10], [20, 30]]


def test_mask_of_masked_and_unmasked_input_along_time():
    a, b = torch.ones(2, 3, 4), torch.ones(2, 2, 4)
    a._keras_mask = torch.tensor([[True, False, True], [False, False, True]])
    out = layers.Concatenate(axis=1)([a, b])
    assert out.shape == (2, 5, 4)
    # the unmasked input counts as all valid
    assert out._keras_mask.tolist() == [[True, False, True, True, True], [False, False, True, True, True]]


def test_mask_along_features_is_or_with_true():
    a, b = torch.ones(2, 3, 4), torch.ones(2, 3, 5)
    a._keras_mask = torch.tensor([[True, False, True], [False, False, True]])
    out = layers.Concatenate()([a, b])
    assert out._keras_mask.tolist() == [[True] * 3, [True] * 3]  # Keras: any() over the features


def test_mask_both_masked():
    a, b = torch.ones(1, 2, 3), torch.ones(1, 2, 3)
    a._keras_mask = torch.tensor([[True, False]])
    b._keras_mask = torch.tensor([[False, False]])
    run_layer_test(layers.Concatenate, {"axis": 1}, input_data=[a, b], expected_mask_shape=(1, 4),
                   run_float64_check=False)
    out = layers.Concatenate(axis=1)([a, b])
    assert out._keras_mask.tolist() == [[True, False, False, False]]


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="matching shapes.*'concatenate"):
        layers.Concatenate(axis=1)([torch.ones(2, 3, 4), torch.ones(2, 3, 5)])


def test_different_ranks():
    with pytest.raises(ValueError, match="matching shapes"):
        layers.Concatenate()([torch.ones(2, 3, 4), torch.ones(2, 3)])


def test_invalid_axis():
    with pytest.raises(ValueError, match="Received: axis="):
        layers.Concatenate(axis="x")
    with pytest.raises(ValueError, match="Invalid axis 3"):
        layers.Concatenate(axis=3)([torch.ones(2, 3), torch.ones(2, 3)])


def test_not_a_list():
    with pytest.raises(ValueError, match="list of at least 1 input.*'concatenate"):
        layers.Concatenate()(torch.ones(2, 3))


def test_config():
    config = layers.Concatenate(axis=2, name="cat").get_config()
    assert config["axis"] == 2 and config["name"] == "cat"
