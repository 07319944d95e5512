import math

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.testing import run_layer_test


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("layer_cls, init_kwargs, weights", [
    (layers.Attention, {}, 0),
    (layers.Attention, {"use_scale": True}, 1),
    (layers.Attention, {"use_scale": True, "score_mode": "concat", "dropout": 0.5, "seed": 1}, 2),
    (layers.Attention, {"score_mode": "concat"}, 1),
    (layers.AdditiveAttention, {}, 1),
    (layers.AdditiveAttention, {"use_scale": False, "dropout": 0.2}, 0),
])
@pytest.mark.parametrize("input_shape", [[(2, 3, 4), (2, 5, 4)], [(2, 3, 4), (2, 5, 6), (2, 5, 4)]])
def test_contract(layer_cls, init_kwargs, weights, input_shape):
    run_layer_test(layer_cls, init_kwargs, input_shape=input_shape,
                   expected_output_shape=(2, 3, input_shape[1][-1]), expected_num_trainable_weights=weights,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_contract_with_scores_and_causal_mask():
    layer = run_layer_test(layers.Attention, {"use_scale": True}, input_shape=[(2, 3, 4), (2, 5, 4)],
                           call_kwargs={"return_attention_scores": True, "use_causal_mask": True})
    out, scores = layer([_randn(2, 3, 4), _randn(2, 5, 4)], return_attention_scores=True)
    assert out.shape == (2, 3, 4) and scores.shape == (2, 3, 5)


def test_golden_dot_product():
    query = torch.tensor([[[1.0, 0.0]]])
    value = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    # Scores [1, 0]; weights softmax([1, 0]) = [e/(1+e), 1/(1+e)].
    e = math.e
    w = torch.tensor([e / (1 + e), 1 / (1 + e)])
    out, scores = layers.Attention()([query, value], return_attention_scores=True)
    torch.testing.assert_close(scores, w.view(1, 1, 2))
    torch.testing.assert_close(out, w.view(1, 1, 2))
    # A separate key changes the scores, not the values combined.
    key = torch.tensor([[[0.0, 0.0], [1.0, 0.0]]])
    torch.testing.assert_close(layers.Attention()([query, value, key]), torch.tensor([[[1 / (1 + e), e / (1 + e)]]]))
    # use_scale: a scalar (initially 1) multiplies the scores.
    scaled = layers.Attention(use_scale=True)
    scaled([query, value])
    scaled.set_weights([np.array(2.0, "float32")])
    w2 = torch.softmax(torch.tensor([2.0, 0.0]), -1)
    torch.testing.assert_close(scaled([query, value]), w2.view(1, 1, 2))


def test_golden_concat_and_additive():
    query = torch.tensor([[[1.0, 0.0]]])
    value = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    t1, t0 = math.tanh(1.0), math.tanh(0.0)
    # concat: weight * sum(tanh(q + k)): key 0 -> tanh(2) + tanh(0), key 1 -> tanh(1) + tanh(1).
    concat = layers.Attention(score_mode="concat")
    concat([query, value])
    concat.set_weights([np.array(3.0, "float32")])
    scores = torch.tensor([3 * (math.tanh(2.0) + t0), 3 * (t1 + t1)])
    _, got = concat([query, value], return_attention_scores=True)
    torch.testing.assert_close(got, torch.softmax(scores, -1).view(1, 1, 2))
    # additive: sum(scale * tanh(q + k)) with a per-feature scale.
    additive = layers.AdditiveAttention()
    additive([query, value])
    additive.set_weights([np.array([1.0, -1.0], "float32")])
    scores = torch.tensor([math.tanh(2.0) - t0, t1 - t1])
    _, got = additive([query, value], return_attention_scores=True)
    torch.testing.assert_close(got, torch.softmax(scores, -1).view(1, 1, 2))
    assert additive.scale.shape == (2,) and "score_mode" not in additive.get_config()


def test_masks():
    query, value = _randn(2, 3, 4), _randn(2, 5, 4, seed=1)
    query_mask = torch.tensor([[True, True, False], [True, False, False]])
    value_mask = torch.tensor([[True, True, True, False, False], [True, False, False, False, False]])
    layer = layers.Attention()
    out, scores = layer([query, value], mask=[query_mask, value_mask], return_attention_scores=True)
    assert torch.all(scores[0, :, 3:] == 0) and torch.all(scores[1, :, 1:] == 0)
    assert torch.all(out[~query_mask] == 0)
    assert torch.equal(out._keras_mask, query_mask)
    # The inputs' own masks are picked up, and the output carries the query's.
    q, v = query.clone(), value.clone()
    q._keras_mask, v._keras_mask = query_mask, value_mask
    implicit = layer([q, v])
    torch.testing.assert_close(implicit, out)
    assert torch.equal(implicit._keras_mask, query_mask)
    # A float mask counts its non-zero entries.
    torch.testing.assert_close(layer([query, value], mask=[query_mask.float(), value_mask.float()]), out)
    # Causal: position i attends to j <= i (and the value mask still applies).
    _, scores = layer([query, value], mask=[None, value_mask], use_causal_mask=True, return_attention_scores=True)
    allowed = torch.ones(3, 5, dtype=torch.bool).tril() & value_mask[:, None, :]
    assert torch.all(scores[~allowed] == 0) and torch.all(scores[allowed] > 0)


def test_fully_masked_row_keeps_relative_scores():
    """Keras subtracts 1e9 from masked scores instead of replacing them: a fully masked row is still the
    softmax of its (shifted) scores, computed here as Keras computes it."""
    query, value = _randn(1, 2, 3), _randn(1, 4, 3, seed=1)
    value_mask = torch.zeros(1, 4, dtype=torch.bool)
    _, scores = layers.Attention()([query, value], mask=[None, value_mask], return_attention_scores=True)
    raw = torch.matmul(query, value.transpose(-1, -2)) - 1e9
    torch.testing.assert_close(scores, torch.softmax(raw, -1))
    assert torch.isfinite(scores).all()


def test_dropout():
    query, value = _randn(8, 6, 4), _randn(8, 6, 4, seed=1)
    layer = layers.Attention(dropout=0.5, seed=3)
    inference = layer([query, value])
    torch.testing.assert_close(layer([query, value], training=False), inference)
    out, scores = layer([query, value], training=True, return_attention_scores=True)
    assert not torch.allclose(out, inference)
    twin = layers.Attention(dropout=0.5, seed=3)
    torch.testing.assert_close(twin([query, value], training=True), out)  # same seed, same masks


def test_functional_and_compile():
    q_in, v_in = torchkeras.Input((3, 4)), torchkeras.Input((5, 4))
    layer = layers.Attention(use_scale=True)
    out, scores = layer([q_in, v_in], return_attention_scores=True)
    assert out.shape == (None, 3, 4) and scores.shape == (None, 3, 5)
    model = torchkeras.Model([q_in, v_in], [out, scores])
    q, v = _randn(2, 3, 4), _randn(2, 5, 4, seed=1)
    for a, b in zip(model([q, v]), layer([q, v], return_attention_scores=True)):
        torch.testing.assert_close(a, b)
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    for a, b in zip(compiled([q, v]), model([q, v])):
        torch.testing.assert_close(a, b)
    torch._dynamo.reset()


def test_invalid_arguments_and_inputs():
    with pytest.raises(ValueError, match="score_mode.*Received: score_mode=add"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"dropout.*\[0, 1\].*dropout=1.5"):
        layers.Attention(dropout=1.5)
    with pytest.raises(ValueError, match="dropout"):
        layers.AdditiveAttention(dropout=-0.5)
    layer = layers.Attention()
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        layer(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="length 2 or 3.*Received length: 1"):
        layer([torch.ones(2, 3, 4)])
    with pytest.raises(ValueError, match="mask must be a list"):
        layer([torch.ones(2, 3, 4), torch.ones(2, 3, 4)], mask=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="same last dimension"):
        layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4), torch.ones(2, 5, 3)])
    with pytest.raises(ValueError, match="`value` and `key` of the same shape"):
        layer([torch.ones(2, 3, 4), torch.ones(2, 6, 4), torch.ones(2, 5, 4)])
    with pytest.raises(ValueError, match="rank >= 3"):
        layer([torch.ones(2, 4), torch.ones(2, 4)])
    with pytest.raises(ValueError, match=r"value_mask.*\(2, 5\).*Received: value_mask.shape=\(2, 4\)"):
        layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4)], mask=[None, torch.ones(2, 4, dtype=torch.bool)])
    with pytest.raises(ValueError, match="same last dimension"):
        layer([torchkeras.Input((3, 4)), torchkeras.Input((5, 2))])
