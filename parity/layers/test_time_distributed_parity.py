"""Parity of `TimeDistributed` with real Keras: wrapped Dense/Conv2D/BatchNormalization/Dropout, wrapped
models, masks, training mode, weights both ways, configs and errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import LAYER_ATOL, LAYER_RTOL, MODEL_ATOL, assert_close, random_weights_like  # noqa: E402
from torchkeras.layers.rnn.time_distributed import TimeDistributed  # noqa: E402
from torchkeras.saving import serialization  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _np(x):
    return keras.ops.convert_to_numpy(x) if not isinstance(x, torch.Tensor) else x.detach().cpu().numpy()


def _mask_np(x):
    mask = getattr(x, "_keras_mask", None)
    return None if mask is None else _np(mask)


def _assert_same_mask(keras_out, tk_out, what):
    k_mask, t_mask = _mask_np(keras_out), _mask_np(tk_out)
    assert (k_mask is None) == (t_mask is None), f"{what}: Keras mask {k_mask}, torchkeras mask {t_mask}"
    if k_mask is not None:
        np.testing.assert_array_equal(t_mask, k_mask, err_msg=what)


def _wrapped_pair(make_inner, name="td"):
    """`make_inner(lib)` builds the inner layer with `keras` or `torchkeras`."""
    return (keras.layers.TimeDistributed(make_inner(keras), name=name),
            TimeDistributed(make_inner(torchkeras), name=name))


def _compare_both_ways(keras_layer, tk_layer, x, device, call_kwargs=None, atol=LAYER_ATOL):
    call_kwargs = call_kwargs or {}
    keras_layer(x, **call_kwargs)
    tk_layer.to(device)
    tk_layer(torch.as_tensor(x).to(device), **call_kwargs)
    assert [w.path for w in keras_layer.weights] == [w.path for w in tk_layer.weights]
    assert [tuple(w.shape) for w in keras_layer.weights] == [w.shape for w in tk_layer.weights]
    tk_layer.set_weights(keras_layer.get_weights())
    assert_close(_np(keras_layer(x, **call_kwargs)), _np(tk_layer(torch.as_tensor(x).to(device), **call_kwargs)),
                 atol, LAYER_RTOL, "TimeDistributed (Keras -> torchkeras weights)")
    if keras_layer.weights:
        tk_layer.set_weights(random_weights_like(keras_layer.get_weights(), seed=3))
        keras_layer.set_weights(tk_layer.get_weights())
        assert_close(_np(keras_layer(x, **call_kwargs)),
                     _np(tk_layer(torch.as_tensor(x).to(device), **call_kwargs)),
                     atol, LAYER_RTOL, "TimeDistributed (torchkeras -> Keras weights)")


INNER_CASES = [
    ("dense", lambda lib: lib.layers.Dense(3, activation="tanh", name="inner"), (2, 4, 5)),
    ("dense_rank4", lambda lib: lib.layers.Dense(3, name="inner"), (2, 4, 3, 5)),
    ("conv2d", lambda lib: lib.layers.Conv2D(4, 3, padding="same", strides=2, name="inner"), (2, 3, 7, 7, 2)),
    ("batch_norm", lambda lib: lib.layers.BatchNormalization(name="inner"), (3, 4, 5)),
    ("layer_norm", lambda lib: lib.layers.LayerNormalization(name="inner"), (3, 4, 5)),
    ("max_pool", lambda lib: lib.layers.MaxPooling2D(2, name="inner"), (2, 3, 6, 6, 2)),
    ("flatten", lambda lib: lib.layers.Flatten(name="inner"), (2, 3, 4, 5)),
    ("embedding", lambda lib: lib.layers.Embedding(10, 3, name="inner"), None),
]


@pytest.mark.parametrize("case, make_inner, shape", INNER_CASES, ids=[c[0] for c in INNER_CASES])
def test_wrapped_layers_inference(device, case, make_inner, shape):
    keras_layer, tk_layer = _wrapped_pair(make_inner)
    assert keras_layer.get_config() == tk_layer.get_config()
    x = (np.random.default_rng(0).integers(0, 10, (2, 4, 3)).astype("int32") if shape is None
         else _x(*shape))
    _compare_both_ways(keras_layer, tk_layer, x, device)
    assert keras_layer.compute_output_shape((None,) + x.shape[1:]) == \
        tk_layer.compute_output_shape((None,) + x.shape[1:])


def test_serialized_config_after_build():
    keras_layer, tk_layer = _wrapped_pair(lambda lib: lib.layers.Dense(3, name="inner"))
    keras_layer.build((None, 4, 5))
    tk_layer.build((None, 4, 5))
    keras_serialized = keras.saving.serialize_keras_object(keras_layer)
    tk_serialized = serialization.serialize_keras_object(tk_layer)
    assert tk_serialized == keras_serialized
    revived = serialization.deserialize_keras_object(keras_serialized)
    assert type(revived) is TimeDistributed and revived.layer.built
    revived.set_weights(keras_layer.get_weights())
    x = _x(2, 4, 5)
    assert_close(_np(keras_layer(x)), _np(revived(torch.as_tensor(x))), LAYER_ATOL, LAYER_RTOL, "revived")


def test_batch_normalization_training_steps_through_time(device):
    # Keras normalises each timestep with its own batch statistics and updates the moving averages
    # once per timestep.
    keras_layer, tk_layer = _wrapped_pair(lambda lib: lib.layers.BatchNormalization(momentum=0.8, name="bn"))
    x = _x(6, 3, 4) * np.array([1.0, 2.0, 3.0, 4.0], "float32") + np.arange(3, dtype="float32")[:, None]
    keras_layer.build(x.shape)
    tk_layer.build(x.shape)
    tk_layer.to(device)
    tk_layer.set_weights(keras_layer.get_weights())
    for _ in range(2):
        k_out = keras_layer(x, training=True)
        t_out = tk_layer(torch.as_tensor(x).to(device), training=True)
        assert_close(_np(k_out), _np(t_out), LAYER_ATOL, LAYER_RTOL, "BatchNormalization training output")
    assert_close(keras_layer.get_weights(), tk_layer.get_weights(), LAYER_ATOL, LAYER_RTOL, "moving statistics")


def test_batch_normalization_training_with_mask(device):
    keras_layer, tk_layer = _wrapped_pair(lambda lib: lib.layers.BatchNormalization(name="bn"))
    x = _x(5, 3, 4, 2)
    mask = np.random.default_rng(2).random((5, 3, 4)) > 0.3
    mask[:, :, 0] = True
    keras_layer.build(x.shape)
    tk_layer.build(x.shape)
    tk_layer.to(device)
    k_out = keras_layer(x, training=True, mask=mask)
    t_out = tk_layer(torch.as_tensor(x).to(device), training=True, mask=torch.as_tensor(mask).to(device))
    assert_close(_np(k_out), _np(t_out), LAYER_ATOL, LAYER_RTOL, "masked BatchNormalization training")
    assert_close(keras_layer.get_weights(), tk_layer.get_weights(), LAYER_ATOL, LAYER_RTOL, "moving statistics")
    _assert_same_mask(k_out, t_out, "output mask")


def test_dropout(device):
    keras_layer, tk_layer = _wrapped_pair(lambda lib: lib.layers.Dropout(0.3, name="drop"))
    x = np.ones((8, 10, 50), "float32")
    assert_close(_np(keras_layer(x)), _np(tk_layer(torch.as_tensor(x).to(device))), 0, 0, "inference")
    k_out, t_out = _np(keras_layer(x, training=True)), _np(tk_layer(torch.as_tensor(x).to(device), training=True))
    assert set(np.unique(k_out)) == set(np.unique(t_out)) == {0.0, np.float32(1 / 0.7)}
    n = x.size
    sigma = np.sqrt(0.3 * 0.7 / n)
    for out in (k_out, t_out):
        assert abs((out == 0).mean() - 0.3) < 5 * sigma


def test_wrapped_sequential(device):
    def make(lib):
        return lib.Sequential([lib.layers.Dense(4, activation="relu", name="a"), lib.layers.Dense(2, name="b")],
                              name="seq")

    keras_layer, tk_layer = _wrapped_pair(make)
    _compare_both_ways(keras_layer, tk_layer, _x(3, 5, 6), device)


def test_wrapped_functional_model(device):
    def make(lib):
        inputs = lib.Input((6,))
        hidden = lib.layers.Dense(4, activation="relu", name="a")(inputs)
        outputs = lib.layers.Add(name="add")([lib.layers.Dense(4, name="b")(hidden), hidden])
        return lib.Model(inputs, outputs, name="inner")

    keras_layer, tk_layer = _wrapped_pair(make)
    _compare_both_ways(keras_layer, tk_layer, _x(3, 5, 6), device)


def _masked_sum(inputs, mask=None):
    # A Lambda that consumes the mask it is given: (batch, steps, features) with a (batch, steps) mask.
    return (inputs * mask[..., None].to(inputs.dtype)).sum(axis=1)


@pytest.mark.parametrize("inner", ["dense", "gap1d", "lambda"])
def test_masks_in_a_functional_model(device, inner):
    def build(lib):
        inputs = lib.Input((3, 4, 2))
        masked = lib.layers.Masking(0.0, name="masking")(inputs)
        if inner == "dense":
            layer = lib.layers.Dense(3, name="inner")
        elif inner == "gap1d":
            layer = lib.layers.GlobalAveragePooling1D(name="inner")
        else:
            layer = lib.layers.Lambda(_masked_sum, output_shape=(2,), name="inner")
        outputs = lib.layers.TimeDistributed(layer, name="td")(masked)
        return lib.Model(inputs, outputs)

    keras_model, tk_model = build(keras), build(torchkeras)
    tk_model.to(device)
    tk_model.set_weights(keras_model.get_weights())
    x = _x(2, 3, 4, 2)
    x[0, 1, 2:] = 0.0
    x[1, :, 0] = 0.0
    k_out = keras_model(x)
    t_out = tk_model(torch.as_tensor(x).to(device))
    assert_close(_np(k_out), _np(t_out), MODEL_ATOL, 0, f"TimeDistributed({inner}) on masked input")
    _assert_same_mask(k_out, t_out, f"TimeDistributed({inner}) output mask")


def test_embedding_inside_creates_no_mask(device):
    # The wrapped layer's own mask (Embedding(mask_zero=True)) is not propagated, as in Keras.
    def build(lib):
        inputs = lib.Input((5, 3), dtype="int32")
        embedded = lib.layers.TimeDistributed(lib.layers.Embedding(10, 4, mask_zero=True, name="emb"),
                                              name="td_emb")(inputs)
        return lib.Model(inputs, lib.layers.Reshape((5, 12), name="reshape")(embedded))

    keras_model, tk_model = build(keras), build(torchkeras)
    tk_model.to(device)
    tk_model.set_weights(keras_model.get_weights())
    ids = np.random.default_rng(4).integers(0, 10, (2, 5, 3)).astype("int32")
    ids[0, 0] = 0
    k_out, t_out = keras_model(ids), tk_model(torch.as_tensor(ids).to(device))
    assert_close(_np(k_out), _np(t_out), MODEL_ATOL, 0, "TimeDistributed(Embedding)")
    _assert_same_mask(k_out, t_out, "TimeDistributed(Embedding) output mask")


def test_mask_from_embedding_passes_through(device):
    # A sequence mask from Embedding(mask_zero=True) survives TimeDistributed(Dense) and reaches the output.
    def build_masked(lib):
        inputs = lib.Input((6,), dtype="int32")
        x = lib.layers.Embedding(10, 4, mask_zero=True, name="emb")(inputs)
        x = lib.layers.TimeDistributed(lib.layers.Dense(3, name="d"), name="td")(x)
        return lib.Model(inputs, [x, lib.layers.GlobalAveragePooling1D(name="gap")(x)])

    keras_model, tk_model = build_masked(keras), build_masked(torchkeras)
    tk_model.to(device)
    tk_model.set_weights(keras_model.get_weights())
    ids = np.random.default_rng(5).integers(0, 10, (3, 6)).astype("int32")
    ids[:, 4:] = 0
    k_out, t_out = keras_model(ids), tk_model(torch.as_tensor(ids).to(device))
    assert_close([_np(o) for o in k_out], [_np(o) for o in t_out], MODEL_ATOL, 0,
                 "Embedding -> TimeDistributed(Dense) -> GAP1D")
    _assert_same_mask(k_out[0], t_out[0], "TimeDistributed output mask")
    _assert_same_mask(k_out[1], t_out[1], "GlobalAveragePooling1D output mask")


def test_errors_match_keras():
    for lib, cls in ((keras, keras.layers.TimeDistributed), (torchkeras, TimeDistributed)):
        with pytest.raises(ValueError, match="Layer` instance"):
            cls("dense")
        with pytest.raises(ValueError, match="at least 3 dimensions"):
            cls(lib.layers.Dense(2))(np.ones((2, 3), "float32"))
        with pytest.raises(ValueError, match="at least 3 dimensions"):
            cls(lib.layers.Dense(2)).compute_output_shape((None, 3))
        with pytest.raises(ValueError, match="must be at least 2D"):
            cls(lib.layers.Dense(2))(torch.ones(2, 3, 4), mask=torch.ones(2, dtype=torch.bool))
        with pytest.raises(ValueError, match="incompatible with the input shape"):
            cls(lib.layers.Dense(2))(torch.ones(2, 3, 4), mask=torch.ones(3, 3, dtype=torch.bool))
