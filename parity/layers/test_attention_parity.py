"""Attention, AdditiveAttention, MultiHeadAttention and GroupQueryAttention against real Keras: configs,
weights moved both ways, outputs and attention scores for every option (Keras masks carried by the
inputs, causal masks, attention masks, attention axes, output shapes), dropout, gradients, and a
functional model."""

import numpy as np
import pytest
import torch

from parity.harness import (LAYER_ATOL, LAYER_RTOL, MODEL_ATOL, _to_numpy, assert_close, keras,
                            random_weights_like)

import torchkeras

# Keras's GroupQueryAttention leaves its inputs' masks on, and its projections warn that they drop them.
pytestmark = pytest.mark.filterwarnings("ignore:Layer '(query|key|value|gate)' .* mask:UserWarning")

RNG = np.random.default_rng(0)


def _data(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _mask(batch, length, lengths):
    """A padding mask: row b keeps its first `lengths[b]` positions (0 keeps none)."""
    return np.arange(length)[None, :] < np.asarray(lengths)[:, None]


def _keras_tensor(x, mask=None):
    """A fresh Keras (torch-backend) tensor carrying `mask` as Keras sets it (Keras's MultiHeadAttention
    strips its inputs' masks, so every call gets new ones)."""
    tensor = keras.ops.convert_to_tensor(x)
    if mask is not None:
        tensor._keras_mask = keras.ops.convert_to_tensor(mask)
    return tensor


def _tk_tensor(x, device, mask=None):
    tensor = torch.as_tensor(x).to(device)
    if mask is not None:
        tensor._keras_mask = torch.as_tensor(mask).to(device)
    return tensor


def _call_both(keras_layer, tk_layer, device, inputs, masks, call_kwargs):
    """Calls both layers on `inputs` (query, value[, key]) with per-input masks (or None)."""
    k_args = [_keras_tensor(x, m) for x, m in zip(inputs, masks)]
    t_args = [_tk_tensor(x, device, m) for x, m in zip(inputs, masks)]
    k_kwargs = {k: (_keras_tensor(v) if isinstance(v, np.ndarray) else v) for k, v in call_kwargs.items()}
    t_kwargs = {k: (_tk_tensor(v, device) if isinstance(v, np.ndarray) else v) for k, v in call_kwargs.items()}
    return keras_layer(*k_args, **k_kwargs), tk_layer(*t_args, **t_kwargs)


def _check_pair(class_name, init_kwargs, inputs, masks, call_kwargs, device, what=None):
    """Config equality, weight shapes/paths, outputs with Keras's weights, then with fresh weights moved
    from torchkeras to Keras; the output's Keras mask too."""
    what = what or f"{class_name}({init_kwargs}) {call_kwargs}"
    init_kwargs = dict(init_kwargs, name="attn")
    keras_layer = getattr(keras.layers, class_name)(**init_kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**init_kwargs)
    assert keras_layer.get_config() == tk_layer.get_config()
    tk_layer.to(device)
    _call_both(keras_layer, tk_layer, device, inputs, masks, call_kwargs)
    assert keras_layer.get_config() == tk_layer.get_config()  # attention_axes resolved by the build
    assert [(w.path, tuple(w.shape)) for w in keras_layer.weights] == [(w.path, w.shape) for w in tk_layer.weights]
    tk_layer.set_weights(keras_layer.get_weights())
    expected, received = _call_both(keras_layer, tk_layer, device, inputs, masks, call_kwargs)
    assert_close(_to_numpy(expected), _to_numpy(received), LAYER_ATOL, LAYER_RTOL, f"{what} (Keras -> torchkeras)")
    k_mask = getattr(expected[0] if isinstance(expected, tuple) else expected, "_keras_mask", None)
    t_mask = getattr(received[0] if isinstance(received, tuple) else received, "_keras_mask", None)
    assert (k_mask is None) == (t_mask is None), f"{what}: output mask {k_mask} in Keras, {t_mask} in torchkeras"
    if k_mask is not None:
        np.testing.assert_array_equal(_to_numpy(k_mask), _to_numpy(t_mask))
    if keras_layer.weights:
        tk_layer.set_weights(random_weights_like(keras_layer.get_weights(), seed=7))
        keras_layer.set_weights(tk_layer.get_weights())
        expected, received = _call_both(keras_layer, tk_layer, device, inputs, masks, call_kwargs)
        assert_close(_to_numpy(expected), _to_numpy(received), LAYER_ATOL, LAYER_RTOL,
                     f"{what} (torchkeras -> Keras)")
    return keras_layer, tk_layer


# --------------------------------------------------------------------------------------- MultiHeadAttention

Q, V, K = _data(3, 5, 8), _data(3, 6, 8), _data(3, 6, 4)
QM, VM, KM = _mask(3, 5, [5, 3, 0]), _mask(3, 6, [6, 2, 4]), _mask(3, 6, [1, 6, 6])
ATTN = RNG.random((3, 5, 6)) > 0.4
ATTN[1, 2] = False  # a fully masked row

MHA_CASES = {
    "self": ({}, [Q, Q], [None, None], {}),
    "cross": ({}, [Q, V], [None, None], {}),
    "key": ({"value_dim": 3}, [Q, V, K], [None, None, None], {}),
    "output_shape": ({"output_shape": (2, 3), "use_bias": False}, [Q, V], [None, None], {}),
    "output_shape_int": ({"output_shape": 7}, [Q, V], [None, None], {}),
    "causal": ({}, [Q, Q], [None, None], {"use_causal_mask": True}),
    "causal_cross": ({}, [Q, V], [None, None], {"use_causal_mask": True}),
    "attention_mask": ({}, [Q, V], [None, None], {"attention_mask": ATTN}),
    "attention_mask_2d": ({}, [Q, V], [None, None], {"attention_mask": ATTN[0]}),
    "attention_mask_4d": ({}, [Q, V], [None, None], {"attention_mask": np.repeat(ATTN[:, None], 2, 1)}),
    "query_value_masks": ({}, [Q, V], [QM, VM], {}),
    "query_value_key_masks": ({}, [Q, V, K], [QM, VM, KM], {}),
    "self_masked_causal": ({}, [Q, Q], [QM, QM], {"use_causal_mask": True}),
    "masks_and_attention_mask": ({}, [Q, V], [QM, VM], {"attention_mask": ATTN}),
    "masks_dropout_inference": ({"dropout": 0.4}, [Q, V], [QM, VM], {"attention_mask": ATTN}),
    "dropout_zero_training": ({"dropout": 0.0}, [Q, V], [QM, VM], {"training": True}),
    "scores": ({}, [Q, V], [None, None], {"return_attention_scores": True}),
    "scores_masked": ({}, [Q, V], [QM, VM], {"return_attention_scores": True, "use_causal_mask": True}),
    "scores_attention_mask": ({"dropout": 0.2}, [Q, V], [None, None],
                              {"return_attention_scores": True, "attention_mask": ATTN}),
    "gate": ({"use_gate": True}, [Q, V], [QM, None], {}),
    "sliding_window": ({"sliding_window": 2}, [Q, Q], [None, None], {}),
    "sliding_window_causal": ({"sliding_window": 3}, [Q, Q], [QM, QM],
                              {"use_causal_mask": True, "return_attention_scores": True}),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multi_head_attention(device, case):
    init_kwargs, inputs, masks, call_kwargs = MHA_CASES[case]
    _check_pair("MultiHeadAttention", dict({"num_heads": 2, "key_dim": 3}, **init_kwargs), inputs, masks,
                call_kwargs, device, what=f"MultiHeadAttention[{case}]")


Q4, V4 = _data(2, 3, 4, 6), _data(2, 3, 2, 6)


@pytest.mark.parametrize("attention_axes, call_kwargs", [
    ((2,), {"return_attention_scores": True}),
    (-2, {"attention_mask": RNG.random((2, 3, 4, 2)) > 0.3}),
    ((1, 2), {"return_attention_scores": True, "attention_mask": RNG.random((2, 3, 4, 3, 2)) > 0.3}),
    (None, {}),
])
def test_multi_head_attention_axes(device, attention_axes, call_kwargs):
    _check_pair("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "attention_axes": attention_axes,
                                       "output_shape": (3,)},
                [Q4, V4], [None, None], call_kwargs, device)


def test_multi_head_attention_masks_from_keras_embeddings(device):
    """Masks made by Keras's own Embedding(mask_zero=True), fed to both sides with their masks."""
    query_ids = np.array([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    value_ids = np.array([[5, 4, 0], [3, 0, 0], [2, 1, 1]])
    q = keras.layers.Embedding(4, 8, mask_zero=True)(query_ids)
    v = keras.layers.Embedding(6, 8, mask_zero=True)(value_ids)
    inputs = [_to_numpy(q), _to_numpy(v)]
    masks = [_to_numpy(q._keras_mask), _to_numpy(v._keras_mask)]
    for call_kwargs in [{}, {"use_causal_mask": True}, {"return_attention_scores": True}]:
        _check_pair("MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, inputs, masks, call_kwargs, device)
    _check_pair("MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, [inputs[0]] * 2, [masks[0]] * 2, {}, device)


def test_multi_head_attention_build_and_symbolic_shapes():
    keras_layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, name="mha")
    tk_layer = torchkeras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, name="mha")
    keras_layer.build((None, 5, 6), (None, 7, 8), (None, 7, 9))
    tk_layer.build((None, 5, 6), (None, 7, 8), (None, 7, 9))
    assert [(w.path, tuple(w.shape)) for w in keras_layer.weights] == [(w.path, w.shape) for w in tk_layer.weights]
    assert keras_layer.get_build_config() == tk_layer.get_build_config()
    for shapes in [((None, 5, 6), (None, 7, 8)), ((None, 5, 6), (None, 7, 8), (None, 7, 9))]:
        assert keras_layer.compute_output_shape(*shapes) == tk_layer.compute_output_shape(*shapes)
    k_out = keras.layers.MultiHeadAttention(2, 3)(keras.Input((5, 6)), keras.Input((5, 8)),
                                                  return_attention_scores=True)
    t_out = torchkeras.layers.MultiHeadAttention(2, 3)(torchkeras.Input((5, 6)), torchkeras.Input((5, 8)),
                                                       return_attention_scores=True)
    assert [tuple(t.shape) for t in k_out] == [t.shape for t in t_out]


def _statistics(layer_call, n):
    """Mean and standard error over `n` training calls batched as one."""
    out = _to_numpy(layer_call())
    return out.mean(0), out.std(0) / np.sqrt(n)


@pytest.mark.parametrize("class_name, init_kwargs", [
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "dropout": 0.5}),
    ("GroupQueryAttention", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.5}),
])
def test_dropout_in_training_is_unbiased_on_both_sides(device, class_name, init_kwargs):
    """Random streams differ: both sides' training outputs average to their (equal) inference output."""
    keras_layer = getattr(keras.layers, class_name)(**init_kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**init_kwargs).to(device)
    n = 4000
    q, v = np.repeat(_data(1, 3, 8), n, 0), np.repeat(_data(1, 4, 8), n, 0)
    keras_layer(q[:1], v[:1])
    tk_layer(_tk_tensor(q[:1], device), _tk_tensor(v[:1], device))
    tk_layer.set_weights(keras_layer.get_weights())
    inference = _to_numpy(keras_layer(q[:1], v[:1]))[0]
    assert_close(inference, _to_numpy(tk_layer(_tk_tensor(q[:1], device), _tk_tensor(v[:1], device)))[0],
                 LAYER_ATOL, LAYER_RTOL, f"{class_name} inference with dropout")
    tq, tv = _tk_tensor(q, device), _tk_tensor(v, device)
    for side, call in [("Keras", lambda: keras_layer(q, v, training=True)),
                       ("torchkeras", lambda: tk_layer(tq, tv, training=True))]:
        mean, stderr = _statistics(call, n)
        assert np.all(np.abs(mean - inference) <= 5 * stderr + 1e-6), f"{side}: {mean} vs {inference}"
        assert np.all(stderr > 0), f"{side}: no dropout noise"


@pytest.mark.parametrize("call_kwargs", [{"use_causal_mask": True}, {"return_attention_scores": True}])
def test_multi_head_attention_gradients(device, call_kwargs):
    init_kwargs = {"num_heads": 2, "key_dim": 3, "name": "mha"}
    keras_layer = keras.layers.MultiHeadAttention(**init_kwargs)
    tk_layer = torchkeras.layers.MultiHeadAttention(**init_kwargs).to(device)
    _call_both(keras_layer, tk_layer, device, [Q, V], [QM, VM], {})
    tk_layer.set_weights(keras_layer.get_weights())
    target = _data(3, 5, 8)
    k_q, t_q = torch.tensor(Q, requires_grad=True), torch.tensor(Q, device=device, requires_grad=True)
    k_q_in, t_q_in = k_q * 1, t_q * 1
    k_q_in._keras_mask = keras.ops.convert_to_tensor(QM)
    t_q_in._keras_mask = torch.as_tensor(QM, device=device)
    k_out = keras_layer(k_q_in, _keras_tensor(V, VM), **call_kwargs)
    t_out = tk_layer(t_q_in, _tk_tensor(V, device, VM), **call_kwargs)
    k_out = k_out[0] if isinstance(k_out, tuple) else k_out
    t_out = t_out[0] if isinstance(t_out, tuple) else t_out
    (k_out * keras.ops.convert_to_tensor(target)).sum().backward()
    (t_out * torch.as_tensor(target, device=device)).sum().backward()
    assert_close([_to_numpy(w.value.grad) for w in keras_layer.trainable_weights] + [_to_numpy(k_q.grad)],
                 [_to_numpy(w.value.grad) for w in tk_layer.trainable_weights] + [_to_numpy(t_q.grad)],
                 1e-4, 1e-4, f"MultiHeadAttention gradients {call_kwargs}")


def test_functional_model(device):
    """Embedding(mask_zero) -> causal self-attention -> residual LayerNorm -> Dense, in both libraries."""

    def build(lib):
        ids = lib.Input((6,), dtype="int32", name="ids")
        x = lib.layers.Embedding(10, 8, mask_zero=True, name="embed")(ids)
        attn = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x, use_causal_mask=True)
        x = lib.layers.LayerNormalization(name="norm")(lib.layers.Add(name="add")([x, attn]))
        return lib.Model(ids, lib.layers.Dense(3, name="head")(x))

    keras_model, tk_model = build(keras), build(torchkeras)
    tk_model.to(device)
    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in tk_model.layers]
    ids = np.array([[1, 4, 2, 0, 0, 0], [3, 3, 9, 8, 7, 1], [5, 0, 0, 0, 0, 0]], "int32")
    for weights_from in ("keras", "torchkeras"):
        if weights_from == "keras":
            tk_model.set_weights(keras_model.get_weights())
        else:
            tk_model.set_weights(random_weights_like(keras_model.get_weights(), seed=3))
            keras_model.set_weights(tk_model.get_weights())
        expected = _to_numpy(keras_model(ids))
        received = _to_numpy(tk_model(torch.as_tensor(ids, device=device)))
        assert_close(expected, received, MODEL_ATOL, MODEL_ATOL, f"functional model (weights from {weights_from})")


def test_functional_configs_move_between_keras_and_torchkeras(device):
    """A graph with all four layers (value passed positionally, call options recorded) rebuilt from its
    config on the other side computes the same function."""

    def build(lib):
        x, y = lib.Input((4, 6), name="x"), lib.Input((5, 6), name="y")
        h = lib.layers.MultiHeadAttention(2, 3, name="mha")(x, y, use_causal_mask=True)
        h = lib.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, name="gqa")(h, y)
        h = lib.layers.Attention(use_scale=True, name="att")([h, y])
        h = lib.layers.AdditiveAttention(name="add_att")([h, y, y])
        return lib.Model([x, y], h)

    data = [_data(2, 4, 6), _data(2, 5, 6)]
    tk_model = build(torchkeras)
    keras_model = keras.Model.from_config(tk_model.get_config())
    keras_model.set_weights(random_weights_like(tk_model.get_weights(), seed=4))
    revived = torchkeras.Model.from_config(keras_model.get_config()).to(device)
    revived.set_weights(keras_model.get_weights())
    assert_close(_to_numpy(keras_model(data)), _to_numpy(revived([torch.as_tensor(d, device=device) for d in data])),
                 MODEL_ATOL, MODEL_ATOL, "attention graph rebuilt from configs")


# --------------------------------------------------------------------------------------- GroupQueryAttention

GQA_CASES = {
    "plain": ({}, [Q, V], [None, None], {}),
    "mqa_key": ({"num_key_value_heads": 1}, [Q, V, _data(3, 6, 8)], [None, None, None], {}),
    "causal": ({}, [Q, Q], [None, None], {"use_causal_mask": True}),
    "masks": ({}, [Q, V], [QM, VM], {}),
    "masks_dropout_inference": ({"dropout": 0.3}, [Q, V], [QM, VM], {"attention_mask": ATTN}),
    "scores": ({}, [Q, V], [QM, VM], {"return_attention_scores": True, "use_causal_mask": True}),
    "gate_window": ({"use_gate": True, "sliding_window": 2, "use_bias": False}, [Q, Q], [None, None], {}),
}


@pytest.mark.parametrize("case", list(GQA_CASES))
def test_group_query_attention(device, case):
    init_kwargs, inputs, masks, call_kwargs = GQA_CASES[case]
    _check_pair("GroupQueryAttention", dict({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
                                            **init_kwargs),
                inputs, masks, call_kwargs, device, what=f"GroupQueryAttention[{case}]")


# --------------------------------------------------------------------------------------- Attention layers

A_CASES = {
    "plain": ({}, [Q, V], None, {}),
    "key": ({"use_scale": True}, [Q, V, _data(3, 6, 8)], None, {}),
    "concat": ({"score_mode": "concat"}, [Q, V], None, {"return_attention_scores": True}),
    "concat_scale": ({"score_mode": "concat", "use_scale": True}, [Q, V], [QM, VM], {}),
    "masks_causal": ({}, [Q, V], [QM, VM], {"use_causal_mask": True, "return_attention_scores": True}),
    "causal": ({"dropout": 0.3}, [Q, Q], None, {"use_causal_mask": True}),
}


def _attention_pair(class_name, init_kwargs, inputs, masks, call_kwargs, device, implicit):
    """Attention layers take `[query, value(, key)]` and `mask=[query_mask, value_mask]`; the masks are
    given explicitly or carried by the inputs."""
    init_kwargs = dict(init_kwargs, name="attn")
    keras_layer = getattr(keras.layers, class_name)(**init_kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**init_kwargs).to(device)
    assert keras_layer.get_config() == tk_layer.get_config()

    def run(layer, convert):
        if masks is None:
            return layer([convert(x) for x in inputs], **call_kwargs)
        if implicit:
            return layer([convert(x, m) for x, m in zip(inputs, masks + [None])], **call_kwargs)
        return layer([convert(x) for x in inputs], mask=[convert(m) for m in masks], **call_kwargs)

    to_keras, to_tk = _keras_tensor, lambda x, m=None: _tk_tensor(x, device, m)
    run(keras_layer, to_keras)
    run(tk_layer, to_tk)
    assert [(w.path, tuple(w.shape)) for w in keras_layer.weights] == [(w.path, w.shape) for w in tk_layer.weights]
    for direction in ("Keras -> torchkeras", "torchkeras -> Keras"):
        if direction.startswith("Keras"):
            tk_layer.set_weights(keras_layer.get_weights())
        elif keras_layer.weights:
            tk_layer.set_weights(random_weights_like(keras_layer.get_weights(), seed=5))
            keras_layer.set_weights(tk_layer.get_weights())
        expected, received = run(keras_layer, to_keras), run(tk_layer, to_tk)
        assert_close(_to_numpy(expected), _to_numpy(received), LAYER_ATOL, LAYER_RTOL,
                     f"{class_name}({init_kwargs}) {call_kwargs} ({direction})")
        k_mask = getattr(expected[0] if isinstance(expected, tuple) else expected, "_keras_mask", None)
        t_mask = getattr(received[0] if isinstance(received, tuple) else received, "_keras_mask", None)
        assert (k_mask is None) == (t_mask is None)
        if k_mask is not None:
            np.testing.assert_array_equal(_to_numpy(k_mask), _to_numpy(t_mask))


@pytest.mark.parametrize("class_name", ["Attention", "AdditiveAttention"])
@pytest.mark.parametrize("case", list(A_CASES))
def test_attention_layers(device, class_name, case):
    init_kwargs, inputs, masks, call_kwargs = A_CASES[case]
    if class_name == "AdditiveAttention":
        init_kwargs = {k: v for k, v in init_kwargs.items() if k != "score_mode"}
    _attention_pair(class_name, init_kwargs, inputs, masks, call_kwargs, device, implicit=False)
    if masks is not None:
        _attention_pair(class_name, init_kwargs, inputs, masks, call_kwargs, device, implicit=True)


@pytest.mark.parametrize("class_name", ["Attention", "AdditiveAttention"])
def test_attention_layers_gradients(device, class_name):
    keras_layer = getattr(keras.layers, class_name)(use_scale=True)
    tk_layer = getattr(torchkeras.layers, class_name)(use_scale=True).to(device)
    keras_layer([_keras_tensor(Q), _keras_tensor(V)])
    tk_layer([_tk_tensor(Q, device), _tk_tensor(V, device)])
    tk_layer.set_weights(random_weights_like(keras_layer.get_weights(), seed=2))
    keras_layer.set_weights(tk_layer.get_weights())
    k_v, t_v = torch.tensor(V, requires_grad=True), torch.tensor(V, device=device, requires_grad=True)
    keras_layer([_keras_tensor(Q), k_v], mask=[_keras_tensor(QM), _keras_tensor(VM)]).sum().backward()
    tk_layer([_tk_tensor(Q, device), t_v], mask=[_tk_tensor(QM, device), _tk_tensor(VM, device)]).sum().backward()
    assert_close([_to_numpy(w.value.grad) for w in keras_layer.trainable_weights] + [_to_numpy(k_v.grad)],
                 [_to_numpy(w.value.grad) for w in tk_layer.trainable_weights] + [_to_numpy(t_v.grad)],
                 1e-4, 1e-4, f"{class_name} gradients")
