import math

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.attention import _common
from torchkeras.testing import run_layer_test


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _masked(x, mask):
    x = x.clone()
    x._keras_mask = torch.as_tensor(mask)
    return x


@pytest.fixture
def sdpa_calls(monkeypatch):
    calls = []
    original = _common.scaled_dot_product_attention

    def counting(*args, **kwargs):
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(_common, "scaled_dot_product_attention", counting)
    return calls


GQA = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}


@pytest.mark.parametrize("init_kwargs, call_kwargs, weights", [
    (GQA, {}, 8),
    (dict(GQA, num_key_value_heads=1, use_bias=False), {"use_causal_mask": True}, 4),
    (dict(GQA, use_gate=True, dropout=0.3, sliding_window=2), {}, 10),
    (dict(GQA, kernel_regularizer="l2", activity_regularizer="l1"), {"key": True}, 8),
])
def test_contract(init_kwargs, call_kwargs, weights):
    call_kwargs = dict(call_kwargs, value=_randn(2, 5, 6, seed=1))
    if call_kwargs.get("key"):
        call_kwargs["key"] = _randn(2, 5, 6, seed=2)
    # With regularizers: 4 kernels, plus the outputs of the 4 projections and of the layer itself.
    losses = 9 if "activity_regularizer" in init_kwargs else None
    run_layer_test(layers.GroupQueryAttention, init_kwargs, input_data=_randn(2, 4, 6), call_kwargs=call_kwargs,
                   expected_output_shape=(2, 4, 6), expected_num_trainable_weights=weights,
                   expected_num_non_trainable_weights=0, expected_num_losses=losses,
                   supports_masking=True)


def test_names_config_and_weights():
    layer = layers.GroupQueryAttention(**GQA)
    assert layer.name.startswith("grouped_query_attention") and type(layer).__name__ == "GroupedQueryAttention"
    layer.build((None, 4, 6), (None, 5, 7))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (6, 4, 3)), ("bias", (4, 3)), ("kernel", (7, 2, 3)), ("bias", (2, 3)),
        ("kernel", (7, 2, 3)), ("bias", (2, 3)), ("kernel", (4, 3, 6)), ("bias", (6,))]
    assert [w.path.split("/")[1] for w in layer.weights[::2]] == ["query", "key", "value", "attention_output"]
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": (None, 4, 6), "value_shape": (None, 5, 7)}}
    config = layer.get_config()
    assert {k: config[k] for k in ("head_dim", "num_query_heads", "num_key_value_heads", "dropout")} == \
        {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.0}
    assert torchkeras.saving.serialize_keras_object(layer)["class_name"] == "GroupQueryAttention"


def test_equals_multi_head_attention_with_repeated_key_value_heads():
    """GQA is MHA whose key/value projections repeat each head for its group of query heads."""
    gqa = layers.GroupQueryAttention(**GQA)
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    mask = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(3)) > 0.4
    mask[..., 0] = True
    gqa(q, v)
    mha = layers.MultiHeadAttention(num_heads=4, key_dim=3)
    mha(q, v)
    wq, bq, wk, bk, wv, bv, wo, bo = gqa.get_weights()
    mha.set_weights([wq, bq, wk.repeat(2, axis=1), bk.repeat(2, axis=0), wv.repeat(2, axis=1),
                     bv.repeat(2, axis=0), wo, bo])
    for kwargs in [{}, {"attention_mask": mask}, {"use_causal_mask": True}]:
        torch.testing.assert_close(gqa(q, v, **kwargs), mha(q, v, **kwargs), atol=1e-5, rtol=1e-5)
    out, scores = gqa(q, v, attention_mask=mask, return_attention_scores=True)
    mha_out, mha_scores = mha(q, v, attention_mask=mask, return_attention_scores=True)
    torch.testing.assert_close(out, mha_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(scores, mha_scores, atol=1e-5, rtol=1e-5)
    assert scores.shape == (2, 4, 4, 5)


def test_golden_multi_query_attention():
    """One key/value head shared by both query heads; unit weights make it computable by hand."""
    layer = layers.GroupQueryAttention(head_dim=1, num_query_heads=2, num_key_value_heads=1, use_bias=False)
    x = torch.tensor([[[0.0], [1.0]]])
    layer(x, x)
    layer.set_weights([np.ones((1, 2, 1), "float32"), np.ones((1, 1, 1), "float32"),
                       np.ones((1, 1, 1), "float32"), np.full((2, 1, 1), 0.5, "float32")])
    e = math.e
    # Both heads see scores [0, 0] (row 0) and [0, 1] (row 1); the output averages the two equal heads.
    torch.testing.assert_close(layer(x, x), torch.tensor([[[0.5], [e / (1 + e)]]]))


def test_sdpa_with_enable_gqa(sdpa_calls):
    layer = layers.GroupQueryAttention(**GQA)
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    layer(q, v)
    args, kwargs = sdpa_calls[-1]
    assert kwargs["enable_gqa"] and args[0].shape == (2, 4, 4, 3) and args[1].shape == (2, 2, 5, 3)
    layer(_masked(q, torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)), v)
    assert sdpa_calls[-1][1]["attn_mask"].dtype == torch.float32
    assert len(sdpa_calls) == 2
    layer(q, v, return_attention_scores=True)
    assert len(sdpa_calls) == 2
    mha_like = layers.GroupQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=2)
    mha_like(q, v)
    assert "enable_gqa" not in sdpa_calls[-1][1]


def test_fully_masked_rows_and_masks():
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    query_mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    value_mask = torch.tensor([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    for dropout in (0.0, 0.5):
        layer = layers.GroupQueryAttention(**GQA, dropout=dropout)
        out = layer(_masked(q, query_mask), _masked(v, value_mask))
        assert torch.equal(out._keras_mask, query_mask)
        explicit = (query_mask[:, :, None] & value_mask[:, None, :])
        torch.testing.assert_close(out, layer(q, v, attention_mask=explicit))
        with torch.no_grad():
            values = layer._value_dense(v).repeat_interleave(2, dim=2)
            mean_row = layer._output_dense(values.mean(dim=1, keepdim=True))[0, 0]
            zero_row = layer._output_dense(torch.zeros_like(values[:, :1]))[0, 0]
        torch.testing.assert_close(out[0, 2], mean_row if dropout == 0 else zero_row, atol=1e-5, rtol=1e-5)
        scored, scores = layer(_masked(q, query_mask), _masked(v, value_mask), return_attention_scores=True)
        assert torch.equal(scored._keras_mask, query_mask) and torch.all(scores[0, :, 2:] == 0)
        torch.testing.assert_close(scored[0, 2], zero_row, atol=1e-5, rtol=1e-5)


def test_dropout_in_training():
    layer = layers.GroupQueryAttention(**GQA, dropout=0.5)
    x = _randn(4, 6, 6)
    inference = layer(x, x)
    torch.manual_seed(1)
    a = layer(x, x, training=True)
    torch.manual_seed(1)
    torch.testing.assert_close(layer(x, x, training=True), a)
    assert not torch.allclose(a, inference)


@pytest.mark.parametrize("kwargs", [{"use_causal_mask": True}, {"return_attention_scores": True}])
def test_torch_compile_fullgraph(kwargs):
    torch._dynamo.reset()
    layer = layers.GroupQueryAttention(**GQA)
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    mask = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(0)) > 0.5

    def fn(q, v, mask):
        return layer(q, v, attention_mask=mask, **kwargs)

    expected = fn(q, v, mask)
    compiled = torch.compile(fn, backend="eager", fullgraph=True)
    for a, b in zip(torch.utils._pytree.tree_leaves(compiled(q, v, mask)), torch.utils._pytree.tree_leaves(expected)):
        torch.testing.assert_close(a, b)
    torch._dynamo.reset()


def test_functional_model():
    q_in, v_in = torchkeras.Input((4, 6)), torchkeras.Input((5, 6))
    layer = layers.GroupQueryAttention(**GQA)
    out, scores = layer(q_in, v_in, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 4, 4, 5)
    model = torchkeras.Model([q_in, v_in], out)
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    torch.testing.assert_close(model([q, v]), layer(q, v))


@pytest.mark.parametrize("kwargs, match", [
    (dict(GQA, num_query_heads=3), r"divisible.*num_query_heads=3, num_key_value_heads=2"),
    (dict(GQA, num_key_value_heads=0), "num_key_value_heads"),
    (dict(GQA, head_dim=0), "head_dim"),
    (dict(GQA, dropout=2), "dropout"),
    (dict(GQA, sliding_window=-1), "sliding_window"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.GroupQueryAttention(**kwargs)


def test_invalid_inputs():
    layer = layers.GroupQueryAttention(**GQA)
    with pytest.raises(ValueError, match=r"3D `query`.*\(2, 3, 4, 6\)"):
        layer(torch.ones(2, 3, 4, 6), torch.ones(2, 3, 4, 6))
    with pytest.raises(ValueError, match="must be equal"):
        layer.compute_output_shape((2, 4, 6), (2, 5, 6), (2, 3, 6))
    with pytest.raises(ValueError, match="last dimension of `query_shape` and `value_shape`"):
        layer.compute_output_shape((2, 4, 6), (2, 5, 7))
    layer(torch.ones(2, 4, 6), torch.ones(2, 5, 6))
    with pytest.raises(ValueError, match="same batch size"):
        layer(torch.ones(2, 4, 6), torch.ones(3, 5, 6))
    with pytest.raises(ValueError, match=r"attention_mask.*\(2, 4, 5\)"):
        layer(torch.ones(2, 4, 6), torch.ones(2, 5, 6), attention_mask=torch.ones(2, 4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"value_mask.*\(2, 5\)"):
        layer(torch.ones(2, 4, 6), _masked(torch.ones(2, 5, 6), torch.ones(2, 4, dtype=torch.bool)))
