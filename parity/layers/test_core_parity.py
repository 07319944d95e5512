"""Parity of the core layers (EinsumDense, Embedding, Identity, Lambda, Masking) with real Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import check_layer_parity  # noqa: E402
from torchkeras.saving import serialization  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


EINSUM_CASES = [
    ("ab,bc->ac", 6, None, (3, 5), {}),
    ("ab,bc->ac", (6,), "c", (3, 5), {"activation": "relu"}),
    ("btd,de->bte", (None, 7), "e", (2, 4, 5), {"activation": "tanh"}),
    ("btd,ndh->btnh", (None, 3, 4), "nh", (2, 4, 5), {}),
    ("btd,ndh->btnh", (None, 3, 4), "h", (2, 4, 5), {"kernel_initializer": "he_normal"}),
    ("btnh,nhd->btd", (None, 6), "d", (2, 4, 3, 2), {"bias_initializer": "ones"}),
    ("...b,bc->...c", 4, "c", (2, 3, 5), {}),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3), {"activation": "sigmoid"}),
    ("abc,cd->abd", (3, 2), "bd", (2, 3, 4), {"kernel_regularizer": "l2", "bias_constraint": "non_neg"}),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape, extra", EINSUM_CASES)
def test_einsum_dense(device, equation, output_shape, bias_axes, input_shape, extra):
    kwargs = {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes,
              "name": "einsum", **extra}
    keras_layer, tk_layer = check_layer_parity("EinsumDense", kwargs, _x(*input_shape), device=device)
    for kw, tw in zip(keras_layer.weights, tk_layer.weights):
        assert kw.path == tw.path


def test_einsum_dense_initializer_distribution_matches_keras():
    # glorot_uniform fans come from the kernel's input/output axes in both: compare the bounds.
    kwargs = {"equation": "btd,ndh->btnh", "output_shape": (None, 4, 64), "name": "einsum"}
    keras_layer = keras.layers.EinsumDense(**kwargs)
    keras_layer.build((None, 5, 256))
    tk_layer = torchkeras.layers.EinsumDense(**kwargs)
    tk_layer.build((None, 5, 256))
    k_max = np.abs(keras_layer.get_weights()[0]).max()
    t_max = np.abs(tk_layer.get_weights()[0]).max()
    limit = np.sqrt(6.0 / 512)
    assert 0.95 * limit < k_max <= limit and 0.95 * limit < t_max <= limit


def test_einsum_dense_config_round_trip_from_keras():
    config = keras.layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", activation="gelu",
                                      name="e").get_config()
    assert torchkeras.layers.EinsumDense.from_config(config).get_config() == config


@pytest.mark.parametrize(
    "extra, input_shape",
    [({}, (3, 5)), ({"mask_zero": True}, (3, 5)), ({"embeddings_initializer": "glorot_uniform"}, (4,)),
     ({"embeddings_regularizer": "l2", "activity_regularizer": "l1"}, (2, 3, 4)),
     ({"embeddings_constraint": "max_norm"}, (3, 5))],
)
def test_embedding(device, extra, input_shape):
    ids = np.random.default_rng(1).integers(0, 10, size=input_shape).astype("int32")
    ids.flat[0] = 0
    kwargs = {"input_dim": 10, "output_dim": 4, "name": "emb", **extra}
    keras_layer, tk_layer = check_layer_parity("Embedding", kwargs, ids, device=device)
    k_out = keras_layer(ids)
    t_out = tk_layer(torch.as_tensor(ids).to(device))
    k_mask = getattr(k_out, "_keras_mask", None)
    t_mask = getattr(t_out, "_keras_mask", None)
    if extra.get("mask_zero"):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(k_mask), t_mask.cpu().numpy())
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras_layer.compute_mask(ids)),
                                      tk_layer.compute_mask(torch.as_tensor(ids), None).numpy())
    else:
        assert k_mask is None and t_mask is None
    if "activity_regularizer" in extra or "embeddings_regularizer" in extra:
        k_losses = [float(keras.ops.convert_to_numpy(v)) for v in keras_layer.losses]
        t_losses = [float(v) for v in tk_layer.losses]
        np.testing.assert_allclose(sorted(t_losses), sorted(k_losses), rtol=1e-5)


def test_embedding_negative_and_int64_indices(device):
    ids = np.array([[-1, 2, -10], [0, 9, 3]], dtype="int64")
    check_layer_parity("Embedding", {"input_dim": 10, "output_dim": 3, "name": "emb"}, ids, device=device)


def test_embedding_default_initializer_config():
    assert (keras.layers.Embedding(5, 2, name="e").get_config()
            == torchkeras.layers.Embedding(5, 2, name="e").get_config())


def test_identity(device):
    check_layer_parity("Identity", {"name": "identity"}, _x(2, 3, 4), device=device)


@pytest.mark.parametrize("mask_value", [0.0, -1.0, 2.5])
def test_masking(device, mask_value):
    x = _x(3, 5, 4)
    x[0, 1] = mask_value
    x[1, :3] = mask_value
    x[2, 4, :2] = mask_value  # partly equal: not masked
    keras_layer, tk_layer = check_layer_parity("Masking", {"mask_value": mask_value, "name": "masking"},
                                               x, device=device)
    k_out = keras_layer(x)
    t_out = tk_layer(torch.as_tensor(x).to(device))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(k_out._keras_mask),
                                  t_out._keras_mask.cpu().numpy())
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras_layer.compute_mask(x)),
                                  tk_layer.compute_mask(torch.as_tensor(x), None).numpy())


def _cube(x):
    return x * x * x


def test_lambda_named_function(device):
    check_layer_parity("Lambda", {"function": _cube, "name": "lam"}, _x(2, 3), device=device)


def test_lambda_torchkeras_activation(device):
    # Built-in activations serialize the same way in both.
    keras_layer = keras.layers.Lambda(keras.activations.relu, name="lam")
    tk_layer = torchkeras.layers.Lambda(torchkeras.activations.relu, name="lam")
    assert keras_layer.get_config() == tk_layer.get_config()
    x = _x(2, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_layer(x)),
                               tk_layer(torch.as_tensor(x).to(device)).cpu().numpy())


def test_lambda_python_lambda_config_format():
    def make(module):
        factor = 2.0
        return module.layers.Lambda(lambda x, k=3.0: x * k + factor, output_shape=(3,),
                                    mask=lambda inputs, mask: None, name="lam")

    keras_config, tk_config = make(keras).get_config(), make(torchkeras).get_config()
    assert keras_config == tk_config


def test_lambda_loads_keras_bytecode_when_unsafe():
    x = _x(2, 3)
    config = keras.layers.Lambda(lambda t, k=3.0: t * k + 1.0, output_shape=(3,), name="lam").get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        torchkeras.layers.Lambda.from_config(config)
    tk_layer = torchkeras.layers.Lambda.from_config(config, safe_mode=False)
    assert tk_layer.get_config() == config
    np.testing.assert_allclose(tk_layer(torch.as_tensor(x)).numpy(), x * 3.0 + 1.0, rtol=1e-6)
    # And back: Keras loads torchkeras's config.
    keras_layer = keras.layers.Lambda.from_config(tk_layer.get_config(), safe_mode=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_layer(x)), x * 3.0 + 1.0, rtol=1e-6)


def test_lambda_safe_mode_refusal_message_matches_keras():
    config = keras.layers.Lambda(lambda t: t, name="lam").get_config()
    with pytest.raises(ValueError) as keras_error:
        keras.layers.Lambda.from_config(dict(config))
    with pytest.raises(ValueError) as tk_error:
        torchkeras.layers.Lambda.from_config(dict(config))
    # Same explanation; only the name of the escape hatch's module differs.
    assert str(tk_error.value).split("calling")[0] == str(keras_error.value).split("calling")[0]
    with serialization.SafeModeScope(False):
        torchkeras.layers.Lambda.from_config(dict(config))


def test_lambda_mask_callable(device):
    x = _x(2, 3, 4)
    x[0, 1] = 0.0

    def fn(t):
        return t * 2.0

    keras_out = keras.layers.Lambda(fn, mask=lambda i, m: keras.ops.any(i > 0, axis=-1))(x)
    tk_out = torchkeras.layers.Lambda(fn, mask=lambda i, m: torch.any(i > 0, dim=-1))(
        torch.as_tensor(x).to(device))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras_out._keras_mask),
                                  tk_out._keras_mask.cpu().numpy())
