"""ReversibleEmbedding: contract both ways, golden lookups and projections (tied, untied, soft cap), the
dtype rules of the reverse projection, masks, sharing in a functional model, and user errors."""

import warnings

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.layers.core.reversible_embedding import ReversibleEmbedding
from torchkeras.saving import serialization
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_contract_forward(tie_weights, mask_zero):
    run_layer_test(
        ReversibleEmbedding,
        {"input_dim": 10, "output_dim": 3, "tie_weights": tie_weights, "mask_zero": mask_zero},
        input_shape=(2, 4), input_dtype="int64", expected_output_shape=(2, 4, 3),
        expected_output_dtype="float32", expected_num_trainable_weights=1 if tie_weights else 2,
        expected_num_non_trainable_weights=0, supports_masking=mask_zero,
        expected_mask_shape=(2, 4) if mask_zero else None,
        # a forward call leaves `reverse_embeddings` without a gradient
        run_training_check=tie_weights,
    )


@pytest.mark.parametrize("kwargs", [{}, {"logit_soft_cap": 2.0}, {"reverse_dtype": "float32"}])
def test_contract_reverse_tied(kwargs):
    # (`run_layer_test` checks `compute_output_shape` without call arguments: the reverse shape is
    # checked here instead.)
    layer = run_layer_test(
        ReversibleEmbedding, {"input_dim": 10, "output_dim": 3, **kwargs}, input_shape=(2, 4, 3),
        call_kwargs={"reverse": True}, expected_output_dtype="float32", expected_num_trainable_weights=1,
        # Keras's matmul hands back float32 under a float64 policy (tested below)
        run_float64_check=False,
    )
    assert layer(torch.randn(2, 4, 3), reverse=True).shape == (2, 4, 10)
    assert layer.compute_output_shape((None, 4, 3), reverse=True) == (None, 4, 10)


def _table():
    return np.arange(12, dtype="float32").reshape(4, 3) / 10  # (input_dim=4, output_dim=3)


def test_golden_tied_projection():
    layer = ReversibleEmbedding(4, 3, weights=[_table()])
    np.testing.assert_array_equal(layer(torch.tensor([[2, 0]])).detach().numpy(), [[_table()[2], _table()[0]]])
    hidden = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]])
    # Row i of the logits: hidden . embeddings[j] for each token j.
    expected = [[0.0, 0.3, 0.6, 0.9], [-0.1, -0.1, -0.1, -0.1]]
    np.testing.assert_allclose(layer(hidden, reverse=True).detach().numpy(), expected, atol=1e-6)
    assert layer.get_weights()[0].shape == (4, 3) and len(layer.weights) == 1


def test_golden_untied_projection_and_soft_cap():
    reverse = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]], "float32")
    layer = ReversibleEmbedding(4, 3, tie_weights=False, logit_soft_cap=2.0, weights=[_table(), reverse])
    assert [w.path for w in layer.weights] == [f"{layer.name}/embeddings", f"{layer.name}/reverse_embeddings"]
    assert [w.name for w in layer.weights] == ["embeddings", "reverse_embeddings"]
    assert list(layer.state_dict()) == ["embeddings", "reverse_embeddings"]
    hidden = torch.tensor([[1.0, 2.0, 1.0]])
    logits = np.array([[1.0, 2.0, 2.0, 3.0]])  # hidden @ reverse, by hand
    np.testing.assert_allclose(layer(hidden, reverse=True).detach().numpy(), np.tanh(logits / 2) * 2, atol=1e-6)
    # The forward lookup still uses `embeddings`.
    np.testing.assert_array_equal(layer(torch.tensor([3])).detach().numpy(), [_table()[3]])


def test_untied_reverse_trains_only_the_reverse_weight():
    layer = ReversibleEmbedding(5, 2, tie_weights=False)
    layer(torch.randn(3, 2), reverse=True).sum().backward()
    assert layer.embeddings.grad is None and layer.reverse_embeddings.grad is not None
    tied = ReversibleEmbedding(5, 2)
    tied(torch.randn(3, 2), reverse=True).sum().backward()
    assert tied.embeddings.grad is not None


def test_reverse_dtypes_follow_keras_matmul():
    layer = ReversibleEmbedding(6, 4, weights=[np.ones((6, 4), "float32")])
    hidden = torch.ones(2, 4)
    assert layer(hidden, reverse=True).dtype == torch.float32
    # Keras's torch backend promotes like JAX: 64-bit results come back 32-bit.
    assert layer(hidden.double(), reverse=True).dtype == torch.float32
    assert layer(torch.ones(2, 4, dtype=torch.int32), reverse=True).dtype == torch.float32
    assert layer(hidden.half(), reverse=True).dtype == torch.float32  # float16 x float32 weight
    half = ReversibleEmbedding(6, 4, reverse_dtype="float16")
    out = half(hidden, reverse=True)
    assert out.dtype == torch.float16
    float64 = ReversibleEmbedding(6, 4, dtype="float64")
    float64.build()
    assert float64.embeddings.dtype == torch.float64
    assert float64(hidden.double(), reverse=True).dtype == torch.float32
    assert float64(torch.tensor([1]), reverse=False).dtype == torch.float64
    np.testing.assert_allclose(layer(hidden, reverse=True).detach().numpy(), np.full((2, 6), 4.0))


def test_masks():
    layer = ReversibleEmbedding(5, 2, mask_zero=True)
    hidden = layer(torch.tensor([[1, 0, 3]]))
    assert hidden._keras_mask.tolist() == [[True, False, True]]
    assert getattr(layer(hidden, reverse=True), "_keras_mask", None) is None
    assert layer.compute_mask(torch.tensor([[1, 0]])) is None
    plain = ReversibleEmbedding(5, 2)
    assert getattr(plain(torch.tensor([[1, 0]])), "_keras_mask", None) is None
    with pytest.warns(UserWarning, match="does not support masking"):
        plain(hidden, reverse=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        layer(hidden, reverse=True)


def test_compute_output_shape():
    layer = ReversibleEmbedding(7, 3)
    assert layer.compute_output_shape((None, 5)) == (None, 5, 3)
    assert layer.compute_output_shape((None, 5, 3), reverse=True) == (None, 5, 7)


def test_shared_in_functional_model():
    ids = torchkeras.Input((4,), dtype="int32")
    embedding = ReversibleEmbedding(9, 3, name="tokens", weights=[np.eye(9, 3, dtype="float32")])
    hidden = embedding(ids)
    assert hidden.shape == (None, 4, 3)
    logits = embedding(hidden, reverse=True)
    assert logits.shape == (None, 4, 9)
    model = torchkeras.Model(ids, logits)
    assert len(model.weights) == 1
    out = model(torch.tensor([[0, 1, 2, 5]]))
    # eye(9, 3) @ eye(9, 3).T: token i < 3 maps back to itself, other tokens to zeros.
    expected = np.eye(9, dtype="float32")[[0, 1, 2, 5]]
    expected[3] = 0.0
    np.testing.assert_array_equal(out.detach().numpy()[0], expected)
    config = model.get_config()
    assert config["layers"][1]["inbound_nodes"][1]["kwargs"] == {"reverse": True}
    revived = torchkeras.Model.from_config(config)
    revived.set_weights(model.get_weights())
    torch.testing.assert_close(revived(torch.tensor([[0, 1, 2, 5]])), out)


def test_config_and_deserialization():
    layer = ReversibleEmbedding(7, 3, tie_weights=False, reverse_dtype="bfloat16", logit_soft_cap=30.0)
    config = layer.get_config()
    assert {k: config[k] for k in ("tie_weights", "reverse_dtype", "logit_soft_cap", "quantization_config")} \
        == {"tie_weights": False, "reverse_dtype": "bfloat16", "logit_soft_cap": 30.0, "quantization_config": None}
    serialized = serialization.serialize_keras_object(layer)
    assert serialized["module"] == "keras.layers" and serialized["class_name"] == "ReversibleEmbedding"
    revived = serialization.deserialize_keras_object(serialized)
    assert type(revived) is ReversibleEmbedding and revived.get_config() == config


def test_state_dict_into_unbuilt_untied_layer():
    layer = ReversibleEmbedding(6, 2, tie_weights=False)
    layer.build()
    unbuilt = ReversibleEmbedding(6, 2, tie_weights=False)
    unbuilt.load_state_dict(layer.state_dict())
    hidden = torch.randn(3, 2)
    torch.testing.assert_close(unbuilt(hidden, reverse=True), layer(hidden, reverse=True))


def test_errors():
    layer = ReversibleEmbedding(6, 4)
    with pytest.raises(ValueError, match="output_dim=4"):
        layer(torch.ones(2, 5), reverse=True)
    with pytest.raises(ValueError, match="output_dim=4"):
        layer(torchkeras.Input((3, 5)), reverse=True)
    with pytest.raises(ValueError, match="logit_soft_cap"):
        ReversibleEmbedding(6, 4, logit_soft_cap=0)
    with pytest.raises(ValueError, match="dtype"):
        ReversibleEmbedding(6, 4, reverse_dtype="float17")
    with pytest.raises(TypeError, match="tie_weights"):
        ReversibleEmbedding(6, 4, tie_weights="no")
    with pytest.raises(ValueError, match="input_dim"):
        ReversibleEmbedding(0, 4)
    with pytest.raises(ValueError, match="expecting 2 weights"):
        ReversibleEmbedding(6, 4, tie_weights=False, weights=[np.zeros((6, 4))])
