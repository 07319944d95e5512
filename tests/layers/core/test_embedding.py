import warnings

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("input_shape", [(2, 4), (3,), (2, 3, 4)])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_contract(input_shape, mask_zero):
    run_layer_test(
        layers.Embedding,
        {"input_dim": 10, "output_dim": 3, "mask_zero": mask_zero},
        input_shape=input_shape,
        input_dtype="int64",
        expected_output_shape=input_shape + (3,),
        expected_output_dtype="float32",
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=0,
        supports_masking=mask_zero,
        expected_mask_shape=input_shape if mask_zero else None,
    )


def test_contract_int32_and_regularizers():
    run_layer_test(
        layers.Embedding,
        {"input_dim": 10, "output_dim": 2, "embeddings_regularizer": "l2",
         "activity_regularizer": "l1", "embeddings_constraint": "unit_norm",
         "embeddings_initializer": "ones"},
        input_shape=(2, 5),
        input_dtype="int32",
        expected_output_shape=(2, 5, 2),
        expected_num_losses=2,
    )


def _table():
    return np.arange(12, dtype="float32").reshape(4, 3)


def test_golden_lookup():
    layer = layers.Embedding(4, 3)
    layer.build()
    layer.set_weights([_table()])
    out = layer(torch.tensor([[0, 3], [2, 2]]))
    expected = torch.tensor([[[0.0, 1, 2], [9, 10, 11]], [[6, 7, 8], [6, 7, 8]]])
    torch.testing.assert_close(out, expected)
    # Negative indices count from the end, as in Keras; float indices are cast to int32.
    torch.testing.assert_close(layer(torch.tensor([-1])), torch.tensor([[9.0, 10, 11]]))
    torch.testing.assert_close(layer(np.array([1.0, 2.0])), torch.tensor([[3.0, 4, 5], [6, 7, 8]]))


def test_mask_zero_golden():
    layer = layers.Embedding(4, 3, mask_zero=True)
    out = layer(torch.tensor([[1, 2, 0, 0], [3, 0, 0, 0]]))
    assert out._keras_mask.tolist() == [[True, True, False, False], [True, False, False, False]]
    assert layer.compute_mask(torch.tensor([0, 5]), None).tolist() == [False, True]
    assert layers.Embedding(4, 3).compute_mask(torch.tensor([0, 5]), None) is None
    assert not hasattr(layers.Embedding(4, 3)(torch.tensor([0, 1])), "_keras_mask")


def test_weights_argument_builds_at_once():
    layer = layers.Embedding(4, 3, weights=_table())
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], _table())
    layer = layers.Embedding(4, 3, weights=[_table()])
    np.testing.assert_array_equal(layer.get_weights()[0], _table())
    assert "weights" not in layer.get_config()


def test_default_initializer_is_uniform_005():
    torch.manual_seed(0)
    layer = layers.Embedding(1000, 50)
    layer.build()
    values = layer.embeddings.detach()
    assert values.min() >= -0.05 and values.max() <= 0.05
    assert values.min() < -0.049 and values.max() > 0.049
    assert layer.get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"


def test_input_length_is_deprecated():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = layers.Embedding(4, 3, input_length=5)
    assert any("input_length" in str(w.message) for w in caught)
    assert "input_length" not in layer.get_config()


def test_float64_and_mixed_policy_output_dtype():
    assert layers.Embedding(4, 3, dtype="float64")(torch.tensor([1])).dtype == torch.float64
    out = layers.Embedding(4, 3, dtype="mixed_float16")(torch.tensor([1]))
    assert out.dtype == torch.float16


def test_load_state_dict_into_unbuilt_layer():
    layer = layers.Embedding(4, 3, weights=_table())
    fresh = layers.Embedding(4, 3)
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(fresh(torch.tensor([3])), torch.tensor([[9.0, 10, 11]]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_dim": 0, "output_dim": 3},
        {"input_dim": -1, "output_dim": 3},
        {"input_dim": 2.0, "output_dim": 3},
        {"input_dim": True, "output_dim": 3},
        {"input_dim": 4, "output_dim": 0},
        {"input_dim": 4, "output_dim": "3"},
        {"input_dim": 4, "output_dim": 3, "lora_rank": 2},
    ],
)
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.Embedding(**kwargs)


def test_bad_weights_argument():
    with pytest.raises(ValueError, match="embedding"):
        layers.Embedding(4, 3, weights=np.zeros((3, 3), "float32"))


def test_out_of_range_indices_name_the_layer():
    layer = layers.Embedding(4, 3, name="emb_range")
    with pytest.raises(ValueError, match="emb_range.*Received"):
        layer(torch.tensor([[1, 4]]))
    with pytest.raises(ValueError, match="emb_range"):
        layer(torch.tensor([[-5]]))
