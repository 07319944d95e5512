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
    """Records the arguments of every fused-attention call."""
    calls = []
    original = _common.scaled_dot_product_attention

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(_common, "scaled_dot_product_attention", counting)
    return calls


# --------------------------------------------------------------------------------------- contract


@pytest.mark.parametrize("init_kwargs, value_shape, key_shape, output_shape", [
    ({"num_heads": 2, "key_dim": 3}, (2, 4, 6), None, (2, 4, 6)),  # self-attention shapes
    ({"num_heads": 2, "key_dim": 3}, (2, 7, 6), (2, 7, 6), (2, 4, 6)),  # cross-attention, key given
    ({"num_heads": 3, "key_dim": 2, "value_dim": 5, "output_shape": 7}, (2, 7, 6), None, (2, 4, 7)),
    ({"num_heads": 2, "key_dim": 3, "output_shape": (2, 3), "use_bias": False}, (2, 5, 6), None, (2, 4, 2, 3)),
    ({"num_heads": 2, "key_dim": 3, "use_gate": True}, (2, 5, 6), None, (2, 4, 6)),
    ({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, (2, 4, 6), None, (2, 4, 6)),
])
def test_contract(init_kwargs, value_shape, key_shape, output_shape):
    call_kwargs = {"value": _randn(*value_shape, seed=1)}
    if key_shape is not None:
        call_kwargs["key"] = _randn(*key_shape, seed=2)
    weights = 8 + (2 if init_kwargs.get("use_gate") else 0)
    if init_kwargs.get("use_bias") is False:
        weights //= 2
    run_layer_test(layers.MultiHeadAttention, init_kwargs, input_data=_randn(2, 4, 6), call_kwargs=call_kwargs,
                   expected_output_shape=output_shape, expected_num_trainable_weights=weights,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_contract_high_dim_attention_axes_and_scores():
    # (run_layer_test compares `compute_output_shape`, which cannot see `return_attention_scores`, with
    # the expected shapes: the scores' shape is checked on the returned layer instead.)
    layer = run_layer_test(layers.MultiHeadAttention, {"num_heads": 2, "key_dim": 2, "attention_axes": (2,)},
                           input_data=_randn(2, 3, 4, 6),
                           call_kwargs={"value": _randn(2, 3, 5, 6, seed=1), "return_attention_scores": True},
                           expected_num_trainable_weights=8)
    out, scores = layer(_randn(2, 3, 4, 6), _randn(2, 3, 5, 6, seed=1), return_attention_scores=True)
    assert out.shape == (2, 3, 4, 6) and scores.shape == (2, 3, 2, 4, 5)
    run_layer_test(layers.MultiHeadAttention, {"num_heads": 2, "key_dim": 2},  # attention over axes 1, 2
                   input_data=_randn(2, 3, 4, 6), call_kwargs={"value": _randn(2, 2, 5, 6, seed=1)},
                   expected_output_shape=(2, 3, 4, 6))


def test_contract_dropout_regularizers_and_causal_mask():
    run_layer_test(layers.MultiHeadAttention,
                   {"num_heads": 2, "key_dim": 3, "dropout": 0.5, "kernel_regularizer": "l2",
                    "activity_regularizer": "l1"},
                   input_data=_randn(2, 4, 6), call_kwargs={"value": _randn(2, 4, 6, seed=1), "use_causal_mask": True},
                   expected_output_shape=(2, 4, 6), expected_num_losses=8, deterministic=True)


# --------------------------------------------------------------------------------------- numerics


def test_golden_single_head():
    """One head of size 1 with unit projections: the attention can be written out by hand."""
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=1)
    x = torch.tensor([[[0.0], [1.0]]])
    layer(x, x)
    layer.set_weights([np.ones(w.shape, "float32") if "kernel" in w.path else np.zeros(w.shape, "float32")
                       for w in layer.weights])
    # Query/key/value are x; scores q*k (scale 1/sqrt(1)); row 0: [0, 0], row 1: [0, 1].
    e = math.e
    expected = torch.tensor([[[0.5], [e / (1 + e)]]])
    torch.testing.assert_close(layer(x, x), expected)
    out, scores = layer(x, x, return_attention_scores=True)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(scores, torch.tensor([[[[0.5, 0.5], [1 / (1 + e), e / (1 + e)]]]]))
    # Causal: row 0 sees only itself.
    torch.testing.assert_close(layer(x, x, use_causal_mask=True), torch.tensor([[[0.0], [e / (1 + e)]]]))


def _reference_attention(layer, query, value, key=None, mask=None):
    """Multi-head attention written with plain torch ops from the layer's weights (3D inputs)."""
    key = value if key is None else key
    wq, bq, wk, bk, wv, bv, wo, bo = [w.value for w in layer.weights]
    q = torch.einsum("btd,dnh->btnh", query, wq) + bq
    k = torch.einsum("bsd,dnh->bsnh", key, wk) + bk
    v = torch.einsum("bsd,dnh->bsnh", value, wv) + bv
    scores = torch.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(layer.key_dim)
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None], float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return torch.einsum("bnts,bsnh,nhe->bte", weights, v, wo) + bo


@pytest.mark.parametrize("return_scores", [False, True])
def test_matches_a_plain_torch_reference(return_scores):
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=2)
    q, v, k = _randn(2, 5, 6), _randn(2, 7, 6, seed=1), _randn(2, 7, 3, seed=2)
    mask = torch.rand(2, 5, 7, generator=torch.Generator().manual_seed(3)) > 0.4
    mask[..., 0] = True  # every row attends somewhere
    out = layer(q, v, k, attention_mask=mask, return_attention_scores=return_scores)
    out = out[0] if return_scores else out
    torch.testing.assert_close(out, _reference_attention(layer, q, v, k, mask), atol=1e-5, rtol=1e-5)


def test_fused_and_explicit_paths_agree():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    q, v = _randn(3, 5, 8), _randn(3, 6, 8, seed=1)
    mask = torch.rand(3, 5, 6, generator=torch.Generator().manual_seed(2)) > 0.5
    for kwargs in [{}, {"use_causal_mask": True}, {"attention_mask": mask}]:
        fused = layer(q, v, **kwargs)
        explicit, _ = layer(q, v, return_attention_scores=True, **kwargs)
        if "attention_mask" in kwargs:  # fully masked rows differ by design (Keras's two answers)
            rows = mask.any(-1)
            fused, explicit = fused[rows], explicit[rows]
        torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)


def test_fully_masked_rows_follow_keras():
    """A query row with nothing to attend to: the mean of the values when Keras takes its fused path
    (dropout == 0), zero attention when it takes its softmax path; never NaN."""
    q, v = _randn(2, 3, 4), _randn(2, 5, 4, seed=1)
    mask = torch.ones(2, 3, 5, dtype=torch.bool)
    mask[0, 1] = False
    for dropout in (0.0, 0.5):
        layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=dropout)
        out = layer(q, v, attention_mask=mask)
        assert not torch.isnan(out).any()
        with torch.no_grad():
            values = layer.value_dense(v)
            mean_context = layer.output_dense(values.mean(dim=1, keepdim=True))[0, 0]
            zero_context = layer.output_dense(torch.zeros_like(values[:, :1]))[0, 0]
        expected = mean_context if dropout == 0 else zero_context
        torch.testing.assert_close(out[0, 1], expected, atol=1e-5, rtol=1e-5)
        # The explicit path (scores requested) is Keras's softmax path: zero weights on the row.
        out, scores = layer(q, v, attention_mask=mask, return_attention_scores=True)
        assert torch.all(scores[0, :, 1] == 0)
        torch.testing.assert_close(out[0, 1], zero_context, atol=1e-5, rtol=1e-5)
        # Gradients stay finite.
        qg = q.clone().requires_grad_()
        layer(qg, v, attention_mask=mask).sum().backward()
        assert torch.isfinite(qg.grad).all()


def test_implicit_masks_equal_the_explicit_attention_mask():
    """The Keras masks of query and value (Embedding(mask_zero=True)) act as Keras's combined mask."""
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    query_ids = torch.tensor([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    value_ids = torch.tensor([[5, 4, 0], [3, 0, 0], [2, 1, 1]])
    query = layers.Embedding(4, 8, mask_zero=True)(query_ids)
    value = layers.Embedding(6, 8, mask_zero=True)(value_ids)
    for causal in (False, True):
        out = layer(query=query, value=value, use_causal_mask=causal)
        torch.testing.assert_close(out._keras_mask, query._keras_mask)
        mask = (query_ids != 0)[:, :, None] & (value_ids != 0)[:, None, :]
        if causal:
            mask = mask & torch.ones(5, 3, dtype=torch.bool).tril()
        plain_q, plain_v = query.detach().clone(), value.detach().clone()
        torch.testing.assert_close(out, layer(plain_q, plain_v, attention_mask=mask))
        assert getattr(layer(plain_q, plain_v, attention_mask=mask), "_keras_mask", None) is None
    # The inputs keep their masks (Keras strips them; torchkeras does not mutate its inputs).
    assert query._keras_mask is not None
    # Explicit mask arguments act like the inputs' masks.
    torch.testing.assert_close(
        layer(query.detach().clone(), value.detach().clone(), query_mask=query_ids != 0, value_mask=value_ids != 0),
        layer(query, value))


def test_key_mask_and_mask_broadcasting():
    x, kv = _randn(2, 5, 8), _randn(2, 5, 3, seed=1)
    key_mask = torch.tensor([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], dtype=torch.bool)
    with_key = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    out = with_key(x, x, _masked(kv, key_mask))
    torch.testing.assert_close(out, with_key(x, x, kv, attention_mask=key_mask[:, None, :].expand(2, 5, 5)))
    assert not torch.allclose(out, with_key(x, x, kv))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    # (T, S), (B, T, S) and (B, N, T, S) masks broadcast alike; a float mask counts non-zeros.
    tril = torch.ones(5, 5).tril()
    reference = layer(x, x, attention_mask=tril)
    torch.testing.assert_close(layer(x, x, attention_mask=tril.bool()[None].expand(2, 5, 5)), reference)
    torch.testing.assert_close(layer(x, x, attention_mask=tril.bool()[None, None].expand(2, 2, 5, 5)), reference)
    torch.testing.assert_close(layer(x, x, use_causal_mask=True), reference)


def test_sliding_window_is_a_band():
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=2, sliding_window=2)
    x = _randn(1, 5, 4)
    _, scores = layer(x, x, return_attention_scores=True)
    band = (torch.arange(5)[:, None] - torch.arange(5)[None, :]).abs() < 2
    assert torch.equal(scores[0, 0] > 0, band)
    _, scores = layer(x, x, return_attention_scores=True, use_causal_mask=True)
    assert torch.equal(scores[0, 0] > 0, band & torch.ones(5, 5, dtype=torch.bool).tril())
    # The fused path applies the same band.
    torch.testing.assert_close(layer(x, x), layer(x, x, attention_mask=band[None]))


def test_attention_axes_negative_and_positive_agree():
    x = _randn(2, 3, 8, 4)
    pos = layers.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=2)
    neg = layers.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=-2)
    pos(x, x), neg(x, x)
    neg.set_weights(pos.get_weights())
    assert pos.attention_axes == neg.attention_axes == (2,)
    for a, b in zip(pos(x, x, return_attention_scores=True), neg(x, x, return_attention_scores=True)):
        torch.testing.assert_close(a, b)


def test_high_dim_attention_with_attention_mask():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(2, 3))
    q, v = _randn(2, 5, 3, 4, 8), _randn(2, 5, 3, 2, 8, seed=1)
    mask = torch.rand(2, 5, 3, 4, 3, 2, generator=torch.Generator().manual_seed(2)) > 0.3
    out, scores = layer(q, v, attention_mask=mask, return_attention_scores=True)
    assert out.shape == (2, 5, 3, 4, 8) and scores.shape == (2, 5, 2, 3, 4, 3, 2)
    assert torch.all(scores.masked_select(~mask[:, :, None].expand_as(scores)) == 0)


# --------------------------------------------------------------------------------------- fused kernel


def test_sdpa_is_used_when_the_options_allow(sdpa_calls):
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(q, v)
    assert len(sdpa_calls) == 1
    assert sdpa_calls[0]["attn_mask"] is None and sdpa_calls[0]["dropout_p"] == 0.0
    assert sdpa_calls[0]["scale"] == pytest.approx(1 / math.sqrt(3)) and not sdpa_calls[0]["is_causal"]
    layer(q, q, use_causal_mask=True)  # causal alone: the kernel's own causal mode
    assert sdpa_calls[-1]["is_causal"] and sdpa_calls[-1]["attn_mask"] is None
    layer(_masked(q, torch.ones(2, 4, dtype=torch.bool)), v, use_causal_mask=True)
    # The mask goes in as Keras's torch backend passes it: 0 or a huge finite negative bias.
    bias = sdpa_calls[-1]["attn_mask"]
    assert bias.dtype == torch.float32 and bias.shape == (2, 1, 4, 5) and not sdpa_calls[-1]["is_causal"]
    causal = torch.ones(4, 5, dtype=torch.bool).tril()
    assert torch.all(bias[:, 0][:, causal] == 0) and torch.all(bias[:, 0][:, ~causal] < -1e38)
    assert len(sdpa_calls) == 3
    layer(q, v, return_attention_scores=True)  # scores requested: explicit path
    assert len(sdpa_calls) == 3


def test_sdpa_dropout_in_training(sdpa_calls):
    q = _randn(2, 4, 6)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.25)
    layer(q, q)
    layer(q, q, training=True)
    assert [c["dropout_p"] for c in sdpa_calls] == [0.0, 0.25]
    seeded = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.25, seed=3)
    seeded(q, q)  # inference: fused
    seeded(q, q, training=True)  # a seeded dropout needs its own generator: explicit path
    assert len(sdpa_calls) == 3
    high_dim = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    high_dim(_randn(2, 3, 4, 6), _randn(2, 3, 4, 6))
    assert len(sdpa_calls) == 3


def test_dropout_in_training():
    x = _randn(4, 6, 8)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5)
    inference = layer(x, x)
    torch.testing.assert_close(layer(x, x, training=False), inference)
    torch.manual_seed(0)
    a = layer(x, x, training=True)
    torch.manual_seed(0)
    b = layer(x, x, training=True)
    torch.testing.assert_close(a, b)  # drawn from torch's global generator
    assert not torch.allclose(a, inference)
    # Dropped attention weights: about half of the weights are zero, the rest scaled by 2.
    seeded = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    seeded(x, x)
    twin = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    twin(x, x)
    twin.set_weights(seeded.get_weights())
    # Two layers with the same seed draw the same masks (explicit path, the layer's own generator).
    torch.testing.assert_close(seeded(x, x, training=True), twin(x, x, training=True))
    probs = seeded._softmax(torch.rand(64, 2, 6, 6))
    dropped = seeded._dropout_layer(probs, training=True)
    zero_fraction = (dropped == 0).float().mean().item()
    assert 0.45 < zero_fraction < 0.55
    kept = dropped != 0
    torch.testing.assert_close(dropped[kept], probs[kept] * 2)


def test_flash_attention_option(sdpa_calls):
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    mask = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(0)) > 0.3
    default = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    flash = layers.MultiHeadAttention(num_heads=2, key_dim=3, flash_attention=True)
    default(q, v), flash(q, v)
    flash.set_weights(default.get_weights())
    torch.testing.assert_close(flash(q, v), default(q, v), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(flash(q, v, attention_mask=mask), default(q, v, attention_mask=mask),
                               atol=1e-5, rtol=1e-5)
    assert "flash_attention" not in flash.get_config()  # as Keras: not serialized


@pytest.mark.parametrize("kwargs", [{}, {"return_attention_scores": True}, {"use_causal_mask": True},
                                    {"attention_mask": True}])
def test_torch_compile_fullgraph(kwargs):
    torch._dynamo.reset()
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    q, v = _randn(2, 4, 6), _randn(2, 5, 6, seed=1)
    if "attention_mask" in kwargs:
        kwargs = {"attention_mask": torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(0)) > 0.5}
    expected = layer(q, v, **kwargs)

    def fn(q, v):
        return layer(q, v, **kwargs)

    compiled = torch.compile(fn, backend="eager", fullgraph=True)  # fullgraph: a graph break raises
    for a, b in zip(torch.utils._pytree.tree_leaves(compiled(q, v)), torch.utils._pytree.tree_leaves(expected)):
        torch.testing.assert_close(a, b)
    torch._dynamo.reset()


def test_torch_compile_functional_model_in_training():
    torch._dynamo.reset()
    inputs = torchkeras.Input((4, 6))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1)(inputs, inputs, use_causal_mask=True)
    model = torchkeras.Model(inputs, layers.Dense(2)(x))
    model.train()
    out = torch.compile(model, backend="eager", fullgraph=True)(_randn(2, 4, 6))
    out.sum().backward()
    assert all(w.value.grad is not None for w in model.trainable_weights)
    torch._dynamo.reset()


def test_fx_trace_export_and_copies_of_a_model():
    import copy

    x, y = torchkeras.Input((4, 6)), torchkeras.Input((5, 6))
    out = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(x, y, use_causal_mask=True)
    model = torchkeras.Model([x, y], out).eval()
    data = [_randn(2, 4, 6), _randn(2, 5, 6, seed=1)]
    expected = model(data)
    torch.testing.assert_close(torch.fx.symbolic_trace(model)(data), expected)
    torch.testing.assert_close(torch.export.export(model, (data,)).module()(data), expected)
    torch.testing.assert_close(copy.deepcopy(model)(data), expected)
    fresh = torchkeras.Model.from_config(model.get_config())
    fresh.load_state_dict(model.state_dict())
    torch.testing.assert_close(fresh(data), expected)


# --------------------------------------------------------------------------------------- build, graph


def test_weights_names_order_and_build_config():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, use_gate=True, name="mha")
    layer.build((None, 5, 6), (None, 7, 8), (None, 7, 9))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("mha/query/kernel", (6, 2, 3)), ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (9, 2, 3)), ("mha/key/bias", (2, 3)),
        ("mha/gate/kernel", (6, 2, 4)), ("mha/gate/bias", (2, 4)),
        ("mha/value/kernel", (8, 2, 4)), ("mha/value/bias", (2, 4)),
        ("mha/attention_output/kernel", (2, 4, 6)), ("mha/attention_output/bias", (6,)),
    ]
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": (None, 5, 6), "value_shape": (None, 7, 8),
                                                        "key_shape": (None, 7, 9)}}
    assert layer.get_config()["attention_axes"] == (1,)
    assert layer.query_dense is layer._query_dense and layer.output_dense.name == "attention_output"
    clone = layers.MultiHeadAttention.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]
    called = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    called(_randn(2, 5, 6), _randn(2, 7, 8))  # `value` positional
    assert called.get_build_config() == {"shapes_dict": {"query_shape": (None, 5, 6), "value_shape": (None, 7, 8)}}
    assert list(called.state_dict()) == ["query_dense.kernel", "query_dense.bias", "key_dense.kernel", "key_dense.bias",
                                         "value_dense.kernel", "value_dense.bias", "output_dense.kernel",
                                         "output_dense.bias"]


def test_functional_model_with_masks_and_scores():
    query_ids = torchkeras.Input((5,), dtype="int32")
    value_ids = torchkeras.Input((3,), dtype="int32")
    embed_q, embed_v = layers.Embedding(4, 8, mask_zero=True), layers.Embedding(6, 8, mask_zero=True)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    out, scores = mha(embed_q(query_ids), embed_v(value_ids), return_attention_scores=True)
    assert out.shape == (None, 5, 8) and scores.shape == (None, 2, 5, 3)
    model = torchkeras.Model([query_ids, value_ids], [out, scores])
    qi = torch.tensor([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2]])
    vi = torch.tensor([[5, 4, 0], [3, 0, 0]])
    got_out, got_scores = model([qi, vi])
    eager_out, eager_scores = mha(embed_q(qi), embed_v(vi), return_attention_scores=True)
    torch.testing.assert_close(got_out, eager_out)
    torch.testing.assert_close(got_scores, eager_scores)
    assert torch.all(got_scores[1, :, :, 1:] == 0)  # value padding is never attended
    assert torch.all(got_scores[0, :, 3:] == 0)  # padded query rows attend nothing (softmax path)


def test_functional_model_with_attention_mask_input():
    x = torchkeras.Input((4, 6))
    mask = torchkeras.Input((4, 4), dtype="bool")
    out = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x, attention_mask=mask)
    model = torchkeras.Model([x, mask], out)
    data, m = _randn(2, 4, 6), torch.ones(2, 4, 4, dtype=torch.bool).tril()
    torch.testing.assert_close(model([data, m]), model.layers[-1](data, data, use_causal_mask=True))


def test_float64_and_numpy_inputs():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dtype="float64")
    out = layer(np.ones((1, 2, 4)), np.ones((1, 3, 4), "float32"))
    assert out.dtype == torch.float64


# --------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, match", [
    ({"num_heads": 0, "key_dim": 2}, "num_heads"),
    ({"num_heads": 1.5, "key_dim": 2}, "num_heads"),
    ({"num_heads": 2, "key_dim": -1}, "key_dim"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "value_dim"),
    ({"num_heads": 2, "key_dim": 2, "dropout": 1.5}, r"dropout.*\[0, 1\].*1.5"),
    ({"num_heads": 2, "key_dim": 2, "dropout": -0.1}, "dropout"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": "1"}, "attention_axes"),
    ({"num_heads": 2, "key_dim": 2, "output_shape": 1.5}, "output_shape"),
    ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True, "dropout": 0.1}, "flash attention"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.MultiHeadAttention(**kwargs)


def test_invalid_shapes():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="rank >= 3.*query_shape=\\(2, 4\\)"):
        layer(torch.ones(2, 4), torch.ones(2, 4))
    with pytest.raises(ValueError, match="same rank"):
        layer(torch.ones(2, 3, 4), torch.ones(2, 3, 2, 4))
    with pytest.raises(ValueError, match="must be equal"):
        layer(torch.ones(2, 4, 8), torch.ones(2, 2, 8), torch.ones(2, 1, 7))
    with pytest.raises(ValueError, match="must be equal"):
        layer.compute_output_shape((2, 4, 8), (2, 2, 8), (2, 1, 7))
    with pytest.raises(ValueError, match=r"attention_axes.*\[1, 2\]"):
        x = torch.ones(1, 2, 3, 4)
        layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=3)(x, x)
    with pytest.raises(TypeError, match="`value`"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2)(torch.ones(2, 3, 4))
    built = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    built(torch.ones(2, 3, 4), torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="batch axis"):
        built(torch.ones(2, 3, 4), torch.ones(3, 3, 4))
    with pytest.raises(ValueError, match="query"):
        built(torch.ones(2, 3, 5), torch.ones(2, 3, 4))  # the query projection was built for 4 features


def test_invalid_masks():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    q, v = torch.ones(2, 3, 4), torch.ones(2, 5, 4)
    with pytest.raises(ValueError, match=r"attention_mask.*\(2, 3, 5\).*Received: attention_mask.shape=\(2, 5, 3\)"):
        layer(q, v, attention_mask=torch.ones(2, 5, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"query_mask.*\(2, 3\).*Received: query_mask.shape=\(2, 4\)"):
        layer(_masked(q, torch.ones(2, 4, dtype=torch.bool)), v)
    with pytest.raises(ValueError, match=r"value_mask.*\(2, 5\)"):
        layer(q, v, value_mask=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="flash attention"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, flash_attention=True)(q, v, return_attention_scores=True)


def test_symbolic_shape_errors_surface_when_the_line_is_written():
    with pytest.raises(ValueError, match="must be equal"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2)(torchkeras.Input((3, 4)), torchkeras.Input((2, 4)),
                                                          torchkeras.Input((5, 4)))
