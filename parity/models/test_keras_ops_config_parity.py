"""Keras operation nodes in functional configs, against real Keras: models Keras builds with `keras.ops` and
Python operators (and the mask operations Keras inserts for `Embedding(mask_zero=True)` / `Masking`) load in
torchkeras from their config, with their `.weights.h5`, and give Keras's outputs; torchkeras graphs of Python
operators and torch functions save to configs real Keras loads and runs the same."""

import copy
import json

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from keras import ops
from keras.src.activations import activations as keras_activations
from keras.src.ops import nn as keras_nn_ops  # the operation classes Keras writes in configs
from keras.src.ops import numpy as keras_numpy_ops

import torchkeras
from torchkeras.graph.keras_op import KerasOp
from parity.harness import LAYER_ATOL, LAYER_RTOL, assert_close

L = keras.layers

# Keras's GlobalMaxPooling1D takes no mask and says so; the mask test feeds it one on purpose.
pytestmark = [pytest.mark.filterwarnings("ignore:.*does not support masking.*"),
              # Keras's `tensordot` shape inference compares `None` sizes with -1.
              pytest.mark.filterwarnings("ignore:NotImplemented should not be used in a boolean context")]


def _json(config):
    return json.loads(json.dumps(config))


def _numpy(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [o.detach().cpu().numpy() for o in outputs]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 3, 4)).astype("float32")
    y = rng.standard_normal((4, 3, 4)).astype("float32")
    ids = rng.integers(0, 5, (4, 3, 4)).astype("int32")
    return [x, y, ids]


def _keras_inputs():
    return [keras.Input((3, 4), name="x"), keras.Input((3, 4), name="y"),
            keras.Input((3, 4), dtype="int32", name="ids")]


# Each group: Keras code on (x, y, ids), with a Dense layer so that weights travel with the config.
def arithmetic(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [h + y, h - y, h * 2, 3 * h, h / (ops.abs(y) + 1.0), -h, h ** 2, 2.0 - h, 1.5 / (ops.abs(h) + 1.0),
            h // 0.5, h % 0.7, ops.matmul(h, ops.transpose(y, (0, 2, 1))), h @ ops.swapaxes(y, 1, 2),
            ops.maximum(h, 0.1), ops.minimum(h, y), ops.power(ops.abs(h), 0.5), ids + 1, ids * 2.5, ids / 2,
            ids // 2, ids % 3, ops.where(h > 0, h, y), ops.where(ids > 2, 1.0, h), ops.clip(h, -0.3, 0.4),
            ops.clip(ids, 1, 3), ops.divide(h, 4), ops.divide(ids, ids + 1)]


def unary(x, y, ids):
    h = L.Dense(4, name="d")(x)
    positive = ops.abs(h) + 0.1
    return [ops.abs(h), ops.absolute(ids), ops.exp(h), ops.exp(ids), ops.expm1(h), ops.log(positive),
            ops.log1p(positive), ops.sqrt(positive), ops.sqrt(ids), ops.square(h), ops.square(ids),
            ops.reciprocal(positive), ops.sign(h), ops.tanh(h), ops.sin(h), ops.cos(h), ops.floor(h),
            ops.ceil(h), ops.floor(ids), ops.negative(ids), ops.rsqrt(positive), ops.erf(h)]


def comparisons(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [h > y, h >= 0, h < y, h <= 0.2, ops.equal(ids, 2), ops.not_equal(ids, 0), ops.greater(2, ids),
            ops.logical_and(h > 0, y > 0), ops.logical_or(h > 0, y > 0), ops.logical_xor(h > 0, y > 0),
            ops.logical_not(h > 0), (h > 0) & (y > 0), (h > 0) | (y < 0), ~(h > 0), ops.any(h > 1, axis=-1),
            ops.all(ids > 0, axis=(1, 2)), ops.any(ids), ops.cast(h > 0, "float32"), ops.cast(h, "int32"),
            ops.cast(ids, "float32")]


def indexing(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [h[:, 0], h[0], h[:, None, ..., 1:3], h[..., ::2], h[:, -1, 1], h[:, 1:, :3], ids[:, 0, None]]


def shapes(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [ops.concatenate([h, y], axis=1), ops.concatenate([h, y], axis=-1), ops.stack([h, y]),
            ops.stack([h, y], axis=-1), ops.reshape(h, (-1, 12)), ops.reshape(h, (-1, 2, 6)),
            ops.transpose(h, (0, 2, 1)), ops.expand_dims(h, 1), ops.expand_dims(h, -1),
            ops.squeeze(ops.expand_dims(h, 2), 2), ops.moveaxis(h, 1, 2), ops.flip(h, axis=1),
            ops.tile(h, (1, 2, 1)), ops.zeros_like(h), ops.ones_like(ids), ops.ones_like(h, dtype="bool"),
            ops.zeros_like(ids, dtype="float32"), ops.full_like(h, 0.5), ops.full_like(ids, 3, dtype="int64")]


def reductions(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [ops.mean(h, axis=1), ops.mean(h, axis=(1, 2), keepdims=True), ops.mean(ids, axis=-1),
            ops.sum(h, axis=-1), ops.sum(ids, axis=1), ops.sum(h > 0, axis=-1), ops.max(h, axis=1),
            ops.min(h, axis=-1, keepdims=True), ops.max(h, axis=1, initial=0.2), ops.prod(h, axis=2),
            ops.std(h, axis=1), ops.var(h, axis=-1), ops.argmax(h, axis=-1), ops.argmin(h, axis=1),
            ops.logsumexp(h, axis=-1), ops.mean(h, axis=[1, 2])]


def activations(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [ops.relu(h), ops.relu6(h * 5), ops.sigmoid(h), ops.softplus(h), ops.softsign(h), ops.silu(h),
            ops.log_sigmoid(h), ops.leaky_relu(h), ops.leaky_relu(h, negative_slope=0.3), ops.hard_sigmoid(h),
            ops.hard_silu(h), ops.elu(h), ops.elu(h, alpha=0.5), ops.selu(h), ops.gelu(h),
            ops.gelu(h, approximate=False), ops.celu(h), ops.glu(h), ops.softmax(h), ops.softmax(h, axis=1),
            ops.log_softmax(h), keras.activations.relu(h), keras.activations.relu(h, negative_slope=0.1),
            keras.activations.relu(h, max_value=0.3, threshold=0.1), keras.activations.relu(h, max_value=6.0)]


def more_math(x, y, ids):
    h = L.Dense(4, name="d")(x)
    unit = ops.tanh(h) * 0.9  # in (-1, 1)
    return [ops.log2(ops.abs(h) + 0.1), ops.log10(ops.abs(h) + 0.1), ops.log2(ids + 1), ops.tan(unit),
            ops.arcsin(unit), ops.arccos(unit), ops.arctan(h), ops.sinh(h), ops.cosh(h), ops.arcsinh(h),
            ops.arccosh(ops.abs(h) + 1.0), ops.arctanh(unit), ops.isnan(ops.log(h)), ops.isinf(1.0 / ops.floor(h)),
            ops.isfinite(ops.log(h)), ops.trunc(h * 3), ops.exp2(h), ops.exp2(ids), ops.arctan2(h, y),
            ops.arctan2(ids, 2), ops.logaddexp(h, y), ops.logaddexp(ids, 1.5), ops.erfinv(unit),
            ops.round(h * 10), ops.round(h, 2), ops.round(ids), ops.roll(h, 1, axis=1), ops.roll(h, (1, -1), (1, 2)),
            ops.diff(h), ops.diff(h, n=2, axis=1)]


def products(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [ops.einsum("bij,bkj->bik", h, y), ops.einsum("bij->bj", h), ops.einsum("bij,bij->b", h, y),
            ops.einsum("bij,bij->bij", ids, ids), ops.tensordot(h, y, axes=((1, 2), (1, 2))),
            ops.tensordot(h, ops.ones((4, 2)), axes=1), ops.tensordot(h, y[0], axes=[[2], [1]]),
            ops.dot(h, ops.transpose(y, (0, 2, 1))), ops.dot(h, y[0, 0]), ops.dot(ids, ids[0, 0]),
            ops.cumsum(h, axis=1), ops.cumsum(h), ops.cumsum(ids, axis=-1), ops.cumsum(h > 0, axis=2),
            ops.cumsum(ids, axis=1, dtype="float32"), ops.cumprod(h, axis=-1), ops.cumprod(ids, axis=1),
            ops.cumprod(h * 0.5 + 1.0)]


def statistics(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [ops.norm(h, axis=-1), ops.norm(h, axis=(1, 2)), ops.norm(h, ord=1, axis=1, keepdims=True),
            ops.norm(h, ord="fro", axis=(1, 2)), ops.norm(h, ord="nuc", axis=(1, 2)), ops.norm(ids, axis=-1),
            ops.norm(h, ord=3, axis=2), ops.normalize(h), ops.normalize(h, axis=1), ops.normalize(h, order=1),
            ops.normalize(h, axis=-1, epsilon=1e-3), ops.average(h), ops.average(h, axis=1),
            ops.average(h, axis=-1, weights=ops.abs(y)), ops.average(ids, axis=2), ops.median(h, axis=-1),
            ops.median(h, axis=1, keepdims=True), ops.median(ids, axis=(1, 2)), ops.quantile(h, 0.3, axis=-1),
            ops.quantile(h, [0.25, 0.75], axis=1, keepdims=True),
            ops.quantile(h, 0.4, axis=1, method="nearest"),  # Keras's torch backend interpolates linearly anyway
            ops.amax(h, axis=1), ops.amin(h, axis=(1, 2)),
            ops.amax(ids, axis=-1, keepdims=True), ops.sort(h), ops.sort(h, axis=1), ops.sort(ids, axis=-1),
            ops.argsort(h), ops.argsort(h, axis=1), ops.argsort(h > 0, axis=-1)]


def gathers(x, y, ids):
    h = L.Dense(4, name="d")(x)
    return [ops.take(h, [0, 2], axis=1), ops.take(h, [[3, -1]], axis=-1), ops.take(h, ids % 3, axis=1),
            ops.take(h, ids), ops.take(h[0], ids[:, 0, 0] % 3, axis=0), ops.take_along_axis(h, ids % 3, axis=1),
            ops.take_along_axis(h, ids[:, :, :2] % 4, axis=-1), ops.take_along_axis(ids, ids % 4 - 2, axis=2),
            ops.one_hot(ids, 5), ops.one_hot(ids - 1, 4, axis=1), ops.one_hot(ids, 6, dtype="int32"),
            ops.slice(h, (0, 1, 0), (4, 2, 3)), ops.slice(ids, [1, 0, 2], [3, 3, 2])]


def splits_and_pads(x, y, ids):
    h = L.Dense(4, name="d")(x)
    values, indices = ops.top_k(h, 2)
    first, rest = ops.split(h, [1], axis=1)
    return [ops.concatenate([rest, first], axis=1), values * 2.0, *ops.split(h, 2, axis=-1), *ops.split(h, [1, 2], axis=1), *ops.split(ids, [1, 3], axis=2),
            *ops.unstack(h, axis=1), *ops.unstack(ids, axis=-1), values, indices, *ops.top_k(ids, 3, sorted=False),
            ops.pad(h, ((0, 0), (1, 2), (0, 1))), ops.pad(h, ((0, 0), (1, 1), (0, 0)), constant_values=0.5),
            ops.pad(h, 1),  # Keras's torch backend pads the last axis only (its shape inference says all)
            ops.pad(ids, ((0, 0), (0, 0), (2, 1)), constant_values=7),
            ops.pad(h, ((0, 0), (1, 1), (2, 1)), mode="reflect"),
            ops.pad(ids, ((0, 0), (0, 0), (1, 2)), mode="reflect"),
            ops.pad(h, ((0, 0), (2, 1), (1, 1)), mode="symmetric"),  # torch's "replicate" in Keras's torch backend
            ops.repeat(h, 2, axis=1), ops.repeat(ids, 3, axis=-1), ops.repeat(h[0], 2), ops.tril(h), ops.triu(h, k=1),
            ops.tril(ids, -1), ops.broadcast_to(h[0, :1], (2, 3, 4)), ops.broadcast_to(ids[0, 0], (2, 4))]


def more_activations(x, y, ids):
    h = L.Dense(4, name="d")(x) * 2.0
    return [ops.sparse_sigmoid(h), ops.sparse_plus(h), ops.squareplus(h), ops.squareplus(h, b=2.5),
            ops.tanh_shrink(h), ops.hard_tanh(h), ops.soft_shrink(h), ops.soft_shrink(h, threshold=0.8),
            ops.hard_shrink(h), ops.hard_shrink(h, 1.0), ops.threshold(h, 0.3, -2.0), ops.sparsemax(h),
            ops.sparsemax(h, axis=1), keras_activations.Mish()(h)]  # `keras.activations.mish` fails on symbols


GROUPS = [arithmetic, unary, comparisons, indexing, shapes, reductions, activations, more_math, products,
          statistics, gathers, splits_and_pads, more_activations]


def _keras_model(group):
    keras.backend.clear_session()
    inputs = _keras_inputs()
    return keras.Model(inputs, group(*inputs), name=group.__name__)


def _load_in_torchkeras(keras_model, tmp_path, device):
    tk_model = torchkeras.saving.deserialize_keras_object(
        _json(keras.saving.serialize_keras_object(keras_model)))
    path = str(tmp_path / "model.weights.h5")
    keras_model.save_weights(path)
    tk_model.load_weights(path)
    return tk_model.to(device)


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.__name__)
def test_keras_ops_model_loads_in_torchkeras(group, device, tmp_path):
    keras_model = _keras_model(group)
    tk_model = _load_in_torchkeras(keras_model, tmp_path, device)
    assert _json(tk_model.get_config()) == _json(keras_model.get_config())
    data = _inputs()
    expected = _numpy(keras_model([torch.as_tensor(v) for v in data]))
    received = _numpy(tk_model([torch.as_tensor(v).to(device) for v in data]))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{group.__name__}: Keras -> torchkeras")

    # ... and back: Keras rebuilds the torchkeras model's config and computes the same.
    keras_rebuilt = keras.Model.from_config(tk_model.get_config())
    path = str(tmp_path / "back.weights.h5")
    tk_model.save_weights(path)
    keras_rebuilt.load_weights(path)
    assert_close(_numpy(keras_rebuilt([torch.as_tensor(v) for v in data])), received, LAYER_ATOL, LAYER_RTOL,
                 f"{group.__name__}: torchkeras -> Keras")


def test_unsupported_keras_operation_is_named():
    inputs = keras.Input((3, 4), name="x")
    keras_model = keras.Model(inputs, ops.cross(L.Dense(3, name="d")(inputs), inputs[..., :3]))
    with pytest.raises(ValueError, match=r"`Cross`.*not supported.*Supported operations: \[.*'Add'"):
        torchkeras.Model.from_config(keras_model.get_config())


# ------------------------------------------------------------------ masks: operations Keras inserts


def _masked(lib, which):
    layers = lib.layers
    ids = lib.Input((7,), dtype="int32", name="ids")
    if which == "masking":
        features = lib.Input((7, 3), name="features")
        x = layers.Masking(0.0, name="masking")(features)
        return lib.Model(features, [layers.LSTM(3, name="lstm")(x),
                                    layers.GRU(2, return_sequences=True, name="gru")(x)])
    if which == "two_embeddings":
        other = lib.Input((7,), dtype="int32", name="other")
        a = layers.Embedding(9, 4, mask_zero=True, name="emb_a")(ids)
        b = layers.Embedding(9, 4, mask_zero=True, name="emb_b")(other)
        merged = layers.Add(name="add")([a, b])
        return lib.Model([ids, other], [layers.GlobalAveragePooling1D(name="gap")(merged),
                                        layers.LSTM(3, name="lstm")(merged)])
    x = layers.Embedding(9, 4, mask_zero=True, name="emb")(ids)
    return lib.Model(ids, [
        layers.LSTM(3, name="lstm")(x),
        layers.LSTM(3, return_sequences=True, go_backwards=True, name="lstm_b")(x),
        layers.GRU(3, name="gru")(x), layers.SimpleRNN(2, return_sequences=True, name="rnn")(x),
        layers.GlobalAveragePooling1D(name="gap")(x), layers.GlobalMaxPooling1D(name="gmp")(x),
        layers.Bidirectional(layers.LSTM(2, name="inner"), name="bi")(x),
        layers.GlobalAveragePooling1D(name="gap_dense")(layers.Dense(3, name="d")(x)),
        # Keras records no mask argument for these (a list of tensors, two tensors): they take the masks
        # their inputs carry, and so must Keras rebuilding torchkeras's config. (MultiHeadAttention gets a
        # tensor of its own: Keras's strips the masks off its inputs, which other layers then miss.)
        layers.Attention(name="att")([x, x]),
        layers.MultiHeadAttention(2, 2, name="mha")(*[layers.Dense(4, name="d_mha")(x)] * 2),
    ])


def _padded_ids(seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 9, (4, 7)).astype("int32")
    ids[0, 4:] = 0   # right-padded
    ids[1, :3] = 0   # left-padded
    ids[2, 1:6:2] = 0  # holes
    return ids


def _masked_data(which):
    if which == "masking":
        x = np.random.default_rng(1).standard_normal((4, 7, 3)).astype("float32")
        x[0, 5:] = 0.0
        x[1, :2] = 0.0
        x[2, 3] = 0.0
        return [x]
    if which == "two_embeddings":
        return [_padded_ids(2), _padded_ids(3)]
    return [_padded_ids(4)]


@pytest.mark.parametrize("which", ["embedding", "masking", "two_embeddings"])
def test_keras_mask_operations_feed_masked_layers(which, device, tmp_path):
    keras.backend.clear_session()
    keras_model = _masked(keras, which)
    config = keras_model.get_config()
    classes = {entry["class_name"] for entry in config["layers"]}
    assert "NotEqual" in classes  # the operations this test is about are in Keras's config
    tk_model = _load_in_torchkeras(keras_model, tmp_path, device)
    assert _json(tk_model.get_config()) == _json(config)
    data = _masked_data(which)
    expected = _numpy(keras_model([torch.as_tensor(v) for v in data]))
    received = _numpy(tk_model([torch.as_tensor(v).to(device) for v in data]))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{which}: Keras -> torchkeras")

    keras_rebuilt = keras.Model.from_config(tk_model.get_config())
    keras_rebuilt.set_weights(tk_model.get_weights())
    assert_close(_numpy(keras_rebuilt([torch.as_tensor(v) for v in data])), received, LAYER_ATOL, LAYER_RTOL,
                 f"{which}: torchkeras -> Keras")


# ------------------------------------------------------- torchkeras graphs of torch calls -> Keras


def _python_operators(lib):
    x = lib.Input((3, 4), name="x")
    y = lib.Input((3, 4), name="y")
    h = lib.layers.Dense(4, name="d")(x)
    return lib.Model([x, y], [h + y, h - 1.0, 2 * h, h / y, -h, h ** 2, 2.0 - h, h[:, 0],
                              h[:, None, ..., 1:3], h > y, h <= 0.5, (h > 0) & (y > 0), abs(h), h // 2.0,
                              h[0], 1.0 / (abs(h) + 1.0)], name="operators")


def test_python_operators_write_the_config_keras_writes(device):
    keras.backend.clear_session()
    torchkeras.backend.clear_session()
    keras_model, tk_model = _python_operators(keras), _python_operators(torchkeras)
    assert _json(tk_model.get_config()) == _json(keras_model.get_config())
    tk_model.to(device)
    keras_rebuilt = keras.Model.from_config(tk_model.get_config())
    keras_rebuilt.set_weights(tk_model.get_weights())
    data = _inputs()[:2]
    assert_close(_numpy(keras_rebuilt([torch.as_tensor(v) for v in data])),
                 _numpy(tk_model([torch.as_tensor(v).to(device) for v in data])), LAYER_ATOL, LAYER_RTOL,
                 "Python operators: torchkeras -> Keras")


def _torch_calls():
    x = torchkeras.Input((3, 4), name="x")
    y = torchkeras.Input((3, 4), name="y")
    h = torchkeras.layers.Dense(4, name="d")(x)
    outputs = [
        torch.cat([h, y], dim=1), torch.concat([h, y], -1), torch.stack([h, y], dim=1), h.reshape(-1, 12),
        h.view(-1, 2, 6), torch.reshape(h, (-1, 12)), h.permute(0, 2, 1), h.transpose(1, 2), h.unsqueeze(1),
        h.unsqueeze(2).squeeze(2), h.mean(dim=1), torch.mean(h, dim=(1, 2), keepdim=True), h.sum(-1),
        torch.amax(h, dim=1), h.amin(dim=-1, keepdim=True), torch.max(h), torch.max(h, y), h.abs(), torch.exp(h),
        torch.log(h.abs() + 1.0), h.abs().sqrt(), torch.square(h), torch.tanh(h), torch.sigmoid(h), h.relu(),
        F.relu6(h), F.silu(h), F.softplus(h), F.leaky_relu(h, 0.1), F.elu(h), F.selu(h), F.gelu(h),
        F.gelu(h, approximate="tanh"), F.hardsigmoid(h), F.hardswish(h), torch.softmax(h, dim=-1),
        F.log_softmax(h, dim=1), torch.clamp(h, -0.2, 0.3), torch.where(h > y, h, y), torch.maximum(h, y),
        torch.minimum(h, y), torch.matmul(h, y.transpose(1, 2)), torch.eq(h > 0, y > 0), torch.ne(h, y),
        torch.logical_and(h > 0, y > 0), torch.logical_not(h > 0), (h > 0).any(dim=-1), torch.all(h > -1, dim=1),
        (h > 0).float(), h.to(torch.float64), h.long(), torch.flip(h, dims=(1,)), h.tile((1, 2, 1)),
        torch.moveaxis(h, 1, 2), torch.logsumexp(h, dim=-1), torch.add(h, y), torch.sub(h, 1.0), torch.mul(h, y),
        torch.div(h, y.abs() + 1.0), torch.pow(h.abs(), 1.5), torch.neg(h), torch.sign(h), torch.floor(h),
        torch.ceil(h), torch.div(h, 0.3, rounding_mode="floor"), torch.remainder(h, 0.4),
        torch.zeros_like(h), torch.ones_like(h, dtype=torch.bool), torch.full_like(h, 0.25),
        torch.full_like(h, 2, dtype=torch.int32),
    ]
    positive, unit, flags = h.abs() + 1.0, torch.tanh(h) * 0.9, (h > 0).long()
    outputs += [
        torch.einsum("bij,bkj->bik", h, y), torch.einsum("bij -> bj", [h]), *torch.split(h, 2, dim=-1),
        *h.split([1, 2], dim=1), *torch.chunk(h, 2, -1), *h.tensor_split([1, 3], dim=2), *torch.unbind(h, dim=1),
        F.pad(h, (1, 2)), F.pad(h, (0, 1, 2, 0), value=0.5), F.pad(h, (1, 1, 1, 0), mode="reflect"),
        torch.take_along_dim(h, flags, dim=1), h.index_select(2, torch.tensor([0, 3])),
        torch.index_select(h, 1, torch.tensor([2, 0])), F.one_hot(flags, 2), F.one_hot(flags, num_classes=3),
        torch.linalg.norm(h, dim=-1), torch.linalg.norm(h, ord=1, dim=1, keepdim=True),
        torch.linalg.norm(h, dim=(1, 2)), torch.linalg.vector_norm(h, ord=3, dim=2), torch.norm(h, dim=-1),
        h.norm(p=1, dim=1), h.norm(dim=(1, 2)), torch.norm(h), F.normalize(h, p=1, dim=1),
        F.normalize(h, p=3, dim=-1, eps=1e-3), torch.cumsum(h, dim=1), h.cumprod(-1),
        torch.cumsum(h > 0, dim=1, dtype=torch.int32), (h > 0).int().cumsum(2, dtype=torch.float32),
        torch.round(h, decimals=1), h.round(), torch.repeat_interleave(h, 2, dim=1), h.repeat_interleave(3, dim=-1),
        torch.tril(h), h.triu(1), torch.broadcast_to(h[0, :1], (2, 3, 4)), h[0].expand(2, -1, -1),
        torch.tensordot(h, y, dims=([1, 2], [1, 2])), torch.tensordot(h, y[0], dims=([2], [1])), *torch.topk(h, 2),
        *h.topk(3, dim=-1, sorted=True), h.narrow(1, 1, 2), torch.narrow(h, -1, 0, 3), torch.diff(h, dim=1),
        h.roll(1, 1), torch.roll(h, (1, -1), (1, 2)), torch.quantile(h, 0.3, dim=-1),
        h.quantile(0.5, dim=1, keepdim=True), torch.log2(positive), positive.log10(), torch.tan(unit),
        torch.asin(unit), unit.arccos(), torch.atan(h), torch.sinh(h), h.cosh(), torch.asinh(h), positive.acosh(),
        torch.atanh(unit), torch.isnan(h.log()), torch.isinf(1.0 / h.floor()), torch.isfinite(h.log()),
        torch.trunc(h * 3), h.fix(), torch.exp2(h), torch.erfinv(unit), torch.atan2(h, y), h.arctan2(y),
        torch.logaddexp(h, y), F.hardtanh(h), F.tanhshrink(h), F.softshrink(h, 0.3), F.hardshrink(h),
        h.hardshrink(0.2), F.threshold(h, 0.1, -1.0),
    ]
    return torchkeras.Model([x, y], outputs, name="torch_calls")


def test_torch_functions_save_to_configs_keras_runs(device, tmp_path):
    tk_model = _torch_calls().to(device)
    config = tk_model.get_config()
    keras_model = keras.Model.from_config(copy.deepcopy(config))  # Keras's from_config empties its argument
    assert _json(keras_model.get_config()) == _json(config)
    path = str(tmp_path / "tk.weights.h5")
    tk_model.save_weights(path)
    keras_model.load_weights(path)
    data = _inputs()[:2]
    expected = _numpy(tk_model([torch.as_tensor(v).to(device) for v in data]))  # torch's own functions
    assert_close(_numpy(keras_model([torch.as_tensor(v) for v in data])), expected, LAYER_ATOL, LAYER_RTOL,
                 "torch functions: torchkeras -> Keras")
    reloaded = torchkeras.Model.from_config(config).to(device)  # the same config, as KerasOps
    reloaded.set_weights(tk_model.get_weights())
    assert_close(expected, _numpy(reloaded([torch.as_tensor(v).to(device) for v in data])), 0, 0,
                 "torch functions: reloaded as Keras operations")


@pytest.mark.parametrize("make", [
    lambda h: torch.cumsum(h > 0, dim=1),  # torch accumulates bools in int64, Keras in int32
    lambda h: h.double().cumsum(1),  # Keras's cumsum of float64 is float32
    lambda h: torch.maximum(h.double(), h.double()),
    lambda h: torch.split(h, 3, dim=-1),  # chunks of 3 and 1: Keras splits into equal parts or at indices
    lambda h: torch.chunk(h, 3, dim=-1),
    lambda h: torch.topk(h, 2, largest=False), lambda h: torch.topk(h, 2, dim=1),
    lambda h: F.pad(h, (1, 1), mode="replicate"), lambda h: F.normalize(h, dim=-1),
    lambda h: torch.quantile(h, 0.5, dim=-1, interpolation="nearest"),
    lambda h: torch.repeat_interleave(h, torch.tensor([1, 2, 1]), dim=1, output_size=4),
    lambda h: torch.norm(h, p=1, dim=(1, 2)),  # torch: the vector 1-norm of both axes; Keras: a matrix norm
    lambda h: F.hardtanh(h, -2.0, 2.0), lambda h: h.expand(-1, 3, 4), lambda h: torch.argsort(h),
], ids=["cumsum_bool", "cumsum_float64", "maximum_float64", "split_uneven", "chunk_uneven", "topk_smallest", "topk_axis", "pad_replicate", "normalize_l2", "quantile_nearest", "repeat_tensor",
        "norm_two_axes", "hardtanh_bounds", "expand_unknown_batch", "argsort"])
def test_torch_calls_keras_computes_differently_are_not_converted(make):
    x = torchkeras.Input((3, 4), name="x")
    model = torchkeras.Model(x, make(torchkeras.layers.Dense(4, name="d")(x)))
    with pytest.raises(ValueError, match="records the torch operation"):
        model.get_config()


@pytest.mark.parametrize("operation", [keras_numpy_ops.Add(), keras_numpy_ops.Mean(axis=1, keepdims=True),
                                       keras_nn_ops.Softmax(axis=0)], ids=lambda op: type(op).__name__)
def test_a_standalone_operation_config_is_the_operation_not_the_layer(operation):
    # `Add` names both a layer and an operation: the module tells them apart, as in Keras.
    config = keras.saving.serialize_keras_object(operation)
    restored = torchkeras.saving.deserialize_keras_object(copy.deepcopy(config))
    assert isinstance(restored, KerasOp) and restored.spec.class_name == type(operation).__name__
    assert torchkeras.saving.serialize_keras_object(restored) == config
    assert type(keras.saving.deserialize_keras_object(torchkeras.saving.serialize_keras_object(restored))) is type(operation)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    args = (x, x) if isinstance(operation, keras_numpy_ops.Add) else (x,)
    expected = keras.ops.convert_to_numpy(operation(*[torch.as_tensor(a) for a in args]))
    assert_close([expected], [restored(*[torch.as_tensor(a) for a in args]).numpy()], 0, 0, type(operation).__name__)


def _constants_model(K):
    # Constants in the graph: a numpy array, a tensor, and a layer's output on concrete data (the position
    # embedding of Keras's text-classification-with-transformer example), which Keras bakes into the config.
    x = K.Input((4, 3), name="x")
    ids = K.Input((4,), dtype="int32", name="ids")
    positions = K.layers.Embedding(4, 3, name="positions")(torch.arange(4))
    h = x * np.array([1.0, 2.0, 3.0], "float32") + torch.tensor([0.5, 0.25, 0.125])
    h = h + positions + K.layers.Embedding(10, 3, name="tokens")(ids)
    return K.Model([x, ids], K.layers.Dense(2, name="d")(h), name="constants")


def test_constant_arguments_load_save_and_move_with_the_model(device, tmp_path):
    keras_model = _constants_model(keras)
    path = tmp_path / "constants.keras"
    keras_model.save(path)
    model = torchkeras.saving.load_model(path).to(device)
    assert "__tensor__" in json.dumps(keras.saving.serialize_keras_object(keras_model))
    assert sorted(model.state_dict()) == ["d.bias", "d.kernel", "tokens.embeddings"]  # no constants in it
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((2, 4, 3)).astype("float32"), rng.integers(0, 10, (2, 4)).astype("int32")]
    expected = _numpy(keras_model([torch.as_tensor(v) for v in data]))
    received = _numpy(model([torch.as_tensor(v).to(device) for v in data]))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "constants: Keras -> torchkeras")
    back = tmp_path / "back.keras"
    model.save(back)
    assert_close(expected, _numpy(keras.saving.load_model(back)([torch.as_tensor(v) for v in data])),
                 LAYER_ATOL, LAYER_RTOL, "constants: torchkeras -> Keras")
    built = _constants_model(torchkeras)  # torchkeras code writing the same constants
    assert _json(built.get_config())["layers"][3]["inbound_nodes"] == \
        _json(keras_model.get_config())["layers"][3]["inbound_nodes"]
