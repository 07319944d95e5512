"""Parity of ReversibleEmbedding, CategoryEncoding and Discretization with real Keras (torch backend).

Configs equal, weights moved both ways, outputs (values and dtypes) equal, in every call mode; the
boundaries Discretization learns with `adapt()` equal Keras's on the same data, exactly.
"""

import os
import types
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import keras.src.layers.preprocessing.discretization as keras_discretization  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import LAYER_ATOL, LAYER_RTOL, _to_numpy, assert_close, check_layer_parity  # noqa: E402
from torchkeras.layers import CategoryEncoding, Discretization, ReversibleEmbedding  # noqa: E402


class _NoDataset:
    pass


@pytest.fixture(autouse=True)
def _keras_adapt_without_tensorflow(monkeypatch):
    """Keras's `Discretization.adapt` asks `isinstance(data, tf.data.Dataset)` and so needs TensorFlow,
    which is not installed: a stand-in module with a Dataset class nothing is an instance of lets
    Keras's own adapt code run unchanged on arrays and iterables."""
    stub = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=_NoDataset), is_tensor=lambda x: False)
    monkeypatch.setattr(keras_discretization, "tf", stub)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _ids(*shape, high=10, seed=1):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype("int32")


def _as_torch(x, device):
    return torch.as_tensor(np.asarray(x)).to(device)


# ------------------------------------------------------------------------------- ReversibleEmbedding

REVERSIBLE_CASES = [
    {},
    {"tie_weights": False},
    {"logit_soft_cap": 0.5},
    {"tie_weights": False, "logit_soft_cap": 2, "embeddings_initializer": "glorot_uniform"},
    {"reverse_dtype": "float16"},
    {"reverse_dtype": "bfloat16", "tie_weights": False},
    {"reverse_dtype": "float64"},
    {"mask_zero": True, "embeddings_regularizer": "l2", "embeddings_constraint": "max_norm"},
]


@pytest.mark.parametrize("extra", REVERSIBLE_CASES)
def test_reversible_embedding_forward(device, extra):
    ids = _ids(3, 5)
    ids[0, 0] = 0
    kwargs = {"input_dim": 10, "output_dim": 4, "name": "rev", **extra}
    keras_layer, tk_layer = check_layer_parity("ReversibleEmbedding", kwargs, ids, device=device)
    assert [w.path for w in keras_layer.weights] == [w.path for w in tk_layer.weights]
    assert [str(w.dtype) for w in keras_layer.weights] == [w.dtype for w in tk_layer.weights]
    k_mask = getattr(keras_layer(ids), "_keras_mask", None)
    t_mask = getattr(tk_layer(_as_torch(ids, device)), "_keras_mask", None)
    assert (k_mask is None) == (t_mask is None) == (not extra.get("mask_zero"))
    if k_mask is not None:
        np.testing.assert_array_equal(_to_numpy(k_mask), _to_numpy(t_mask))


@pytest.mark.parametrize("extra", REVERSIBLE_CASES)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_reversible_embedding_reverse(device, extra, shape):
    kwargs = {"input_dim": 10, "output_dim": 4, "name": "rev", **extra}
    # Hidden states large enough that a soft cap of 0.5 or 2 bends the logits.
    hidden = _x(*shape, seed=2) * 20
    if extra.get("reverse_dtype") == "bfloat16":
        keras_layer, tk_layer = _bfloat16_reverse_parity(kwargs, hidden, device)
    else:
        atol = 2e-2 if extra.get("reverse_dtype") == "float16" else LAYER_ATOL
        keras_layer, tk_layer = check_layer_parity(
            "ReversibleEmbedding", kwargs, hidden, device=device, call_kwargs={"reverse": True}, atol=atol)
    assert [w.path for w in keras_layer.weights] == [w.path for w in tk_layer.weights]
    assert tk_layer.compute_output_shape(shape, reverse=True) == tuple(
        keras_layer.compute_output_shape(shape, reverse=True))
    assert tk_layer.compute_output_shape(shape[:-1]) == tuple(keras_layer.compute_output_shape(shape[:-1]))
    k_out, t_out = keras_layer(hidden, reverse=True), tk_layer(_as_torch(hidden, device), reverse=True)
    assert getattr(k_out, "_keras_mask", None) is None and getattr(t_out, "_keras_mask", None) is None
    if extra.get("logit_soft_cap"):
        assert np.abs(_to_numpy(t_out)).max() <= extra["logit_soft_cap"]


def _bfloat16_reverse_parity(kwargs, hidden, device):
    """`check_layer_parity` for bfloat16 outputs, which numpy cannot hold: compared as float32."""
    keras_layer, tk_layer = keras.layers.ReversibleEmbedding(**kwargs), ReversibleEmbedding(**kwargs)
    assert keras_layer.get_config() == tk_layer.get_config()
    keras_layer.build()
    tk_layer.build()
    tk_layer.to(device)
    for source, target in ((keras_layer, tk_layer), (tk_layer, keras_layer)):
        source.set_weights([w * 3.0 for w in source.get_weights()])
        target.set_weights(source.get_weights())
        expected = keras_layer(hidden, reverse=True)
        received = tk_layer(_as_torch(hidden, device), reverse=True)
        assert expected.dtype == received.dtype == torch.bfloat16
        # bfloat16 keeps 8 bits: Keras on another device than torchkeras may round differently.
        assert_close(_to_numpy(expected.float()), _to_numpy(received.float()), 1e-2, 1e-2, "bfloat16 logits")
    return keras_layer, tk_layer


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64", "int32"])
def test_reversible_embedding_reverse_input_dtypes(device, dtype):
    """Keras's matmul promotion: float64 results come back float32, float16 is computed in float32 on
    CPU, integer hidden states promote to the weight's dtype."""
    hidden = (_x(2, 3, 4, seed=4) * 3).astype(dtype) if dtype != "bfloat16" else _x(2, 3, 4, seed=4)
    torch_dtype = getattr(torch, dtype)
    keras_layer = keras.layers.ReversibleEmbedding(10, 4, name="rev")
    tk_layer = ReversibleEmbedding(10, 4, name="rev")
    tk_layer.build()
    tk_layer.to(device)
    keras_layer.build()
    keras_layer.set_weights(tk_layer.get_weights())
    k_in = torch.as_tensor(hidden).to(torch_dtype)
    expected = keras_layer(k_in, reverse=True)
    received = tk_layer(k_in.to(device), reverse=True)
    assert received.dtype == expected.dtype, (received.dtype, expected.dtype)
    assert_close(_to_numpy(expected.float()), _to_numpy(received.float()),
                 2e-2 if dtype in ("float16", "bfloat16") else LAYER_ATOL, LAYER_RTOL, "reverse output")


@pytest.mark.parametrize("policy", ["float64", "float16", pytest.param("mixed_float16", marks=pytest.mark.xfail(
    strict=True, reason="Keras reads a mixed layer's weights in float16 only when it is called outside a "
                        "mixed model; torchkeras reads them as Keras does inside one (float32 logits)"))])
def test_reversible_embedding_policies_standalone(device, policy):
    keras_layer = keras.layers.ReversibleEmbedding(10, 4, dtype=policy, tie_weights=False, name="rev")
    tk_layer = ReversibleEmbedding(10, 4, dtype=policy, tie_weights=False, name="rev")
    assert keras_layer.get_config() == tk_layer.get_config()
    tk_layer.build()
    tk_layer.to(device)
    keras_layer.build()
    keras_layer.set_weights(tk_layer.get_weights())
    ids = _ids(2, 3)
    k_hidden, t_hidden = keras_layer(ids), tk_layer(_as_torch(ids, device))
    assert t_hidden.dtype == k_hidden.dtype
    assert_close(_to_numpy(k_hidden.float()), _to_numpy(t_hidden.float()), LAYER_ATOL, LAYER_RTOL, "forward")
    for hidden in (k_hidden, _as_torch(_x(2, 3, 4, seed=5), device)):
        expected = keras_layer(hidden, reverse=True)
        received = tk_layer(hidden.to(device), reverse=True)
        assert received.dtype == expected.dtype, (policy, hidden.dtype, received.dtype, expected.dtype)
        assert_close(_to_numpy(expected.float()), _to_numpy(received.float()), 1e-2, 1e-2, "reverse")


def _shared_model(module, layer_cls, **kwargs):
    ids = module.Input((5,), dtype="int32", name="ids")
    embedding = layer_cls(12, 6, name="tokens", **kwargs)
    hidden = embedding(ids)
    hidden = module.layers.Dense(6, activation="tanh", name="mix")(hidden)
    logits = embedding(hidden, reverse=True)
    return module.Model(ids, logits, name="lm")


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
@pytest.mark.parametrize("extra", [{}, {"tie_weights": False, "logit_soft_cap": 1.5, "mask_zero": True}])
def test_reversible_embedding_shared_in_functional_model(device, policy, extra):
    """Called both ways in one model (under a global mixed policy too): config, weights and logits."""
    try:
        keras.mixed_precision.set_global_policy(policy)
        torchkeras.mixed_precision.set_global_policy(policy)
        keras_model = _shared_model(keras, keras.layers.ReversibleEmbedding, **extra)
        model = torchkeras.Model.from_config(keras_model.get_config())
        assert model.get_config() == keras_model.get_config()
        model.set_weights(keras_model.get_weights())
        model.to(device)
        ids = _ids(3, 5, high=12)
        ids[:, -1] = 0
        expected = keras_model(ids)
        received = model(_as_torch(ids, device))
        assert received.dtype == expected.dtype, (received.dtype, expected.dtype)
        atol = 1e-2 if policy != "float32" else LAYER_ATOL
        assert_close(_to_numpy(expected), _to_numpy(received), atol, LAYER_RTOL, "logits")
        # torchkeras -> Keras with other weights
        model.set_weights([w * 1.5 + 0.01 for w in model.get_weights()])
        keras_model.set_weights(model.get_weights())
        assert_close(_to_numpy(keras_model(ids)), _to_numpy(model(_as_torch(ids, device))), atol, LAYER_RTOL,
                     "logits (torchkeras -> Keras)")
    finally:
        keras.mixed_precision.set_global_policy("float32")
        torchkeras.mixed_precision.set_global_policy("float32")


def test_reversible_embedding_config_from_keras():
    config = keras.layers.ReversibleEmbedding(7, 3, tie_weights=False, reverse_dtype="bfloat16",
                                              logit_soft_cap=30.0, mask_zero=True, name="r").get_config()
    assert ReversibleEmbedding.from_config(config).get_config() == config


def test_reversible_embedding_masked_input_loses_mask_with_warning_like_keras():
    mask = torch.tensor([[True, False]])
    keras_hidden = keras.ops.convert_to_tensor(_x(1, 2, 4))
    keras.src.backend.set_keras_mask(keras_hidden, mask)
    tk_hidden = torch.tensor(_x(1, 2, 4))
    tk_hidden._keras_mask = mask
    for layer, hidden in ((keras.layers.ReversibleEmbedding(10, 4), keras_hidden),
                          (ReversibleEmbedding(10, 4), tk_hidden)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = layer(hidden, reverse=True)
        assert getattr(out, "_keras_mask", None) is None
        assert any("does not support masking" in str(w.message) for w in caught), type(layer)
    # With mask_zero=True the layer supports masking: a reverse call drops the mask without a warning.
    for layer, hidden in ((keras.layers.ReversibleEmbedding(10, 4, mask_zero=True), keras_hidden),
                          (ReversibleEmbedding(10, 4, mask_zero=True), tk_hidden)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            out = layer(hidden, reverse=True)
        assert getattr(out, "_keras_mask", None) is None


# --------------------------------------------------------------------------------- CategoryEncoding


def _check_weightless_parity(class_name, kwargs, x, device, call_kwargs=None):
    """Config, output dtype and values of a layer without weights (bfloat16 outputs compared as float32,
    which numpy cannot hold)."""
    call_kwargs = call_kwargs or {}
    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**kwargs).to(device)
    assert keras_layer.get_config() == tk_layer.get_config()
    expected = keras_layer(x, **call_kwargs)
    received = tk_layer(_as_torch(x, device), **call_kwargs)
    assert received.dtype == expected.dtype, (received.dtype, expected.dtype)
    assert_close(_to_numpy(expected.float()), _to_numpy(received.float()), 0, 0, f"{class_name} output")
    assert keras_layer.weights == [] and tk_layer.weights == []

CATEGORY_INPUTS = {
    "scalar": np.array(3, dtype="int32"),
    "1d": np.array([3, 1, 1, 0], dtype="int32"),
    "2d_last_1": np.array([[3], [1], [4]], dtype="int32"),
    "2d": np.array([[3, 1, 1], [0, 0, 2]], dtype="int64"),
    "3d": np.array([[[3, 1], [1, 1], [2, 2]], [[0, 0], [4, 2], [1, 0]]], dtype="int32"),
    "3d_last_1": np.array([[[3], [1]], [[0], [4]]], dtype="int32"),
    "negative": np.array([[3, -1], [-2, 0]], dtype="int32"),
    "floats": np.array([[3.7, 1.2], [0.4, 4.9]], dtype="float32"),
}


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("case", list(CATEGORY_INPUTS))
def test_category_encoding_outputs(device, mode, case):
    x = CATEGORY_INPUTS[case]
    keras_layer, tk_layer = check_layer_parity("CategoryEncoding", {"num_tokens": 5, "output_mode": mode,
                                                                    "name": "ce"}, x, device=device)
    assert keras_layer.weights == [] and tk_layer.weights == [] and list(tk_layer.state_dict()) == []
    keras_output_shape = tuple(_to_numpy(keras_layer(x)).shape)
    assert tk_layer.compute_output_shape(x.shape) == keras_output_shape
    # Keras's `compute_output_shape` disagrees with its own outputs for a scalar in one_hot mode and for
    # rank-3 inputs in multi_hot / count mode (its call reduces axis 1): torchkeras's formula follows the
    # outputs. Everywhere else the formulas agree.
    keras_formula = tuple(keras_layer.compute_output_shape(x.shape))
    if (case == "scalar" and mode == "one_hot") or (case.startswith("3d") and mode != "one_hot"):
        assert keras_formula != keras_output_shape
    else:
        assert tk_layer.compute_output_shape(x.shape) == keras_formula


@pytest.mark.parametrize("policy", ["float64", "mixed_float16", "bfloat16"])
@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_dtype_policies(device, policy, mode):
    # The outputs are in the variable dtype (float32 under a mixed policy).
    _check_weightless_parity("CategoryEncoding", {"num_tokens": 6, "output_mode": mode, "dtype": policy,
                                                  "name": "ce"}, CATEGORY_INPUTS["2d"], device)


@pytest.mark.parametrize("policy", ["float32", "mixed_float16", "float64"])
@pytest.mark.parametrize("case", ["1d", "2d", "scalar"])
def test_category_encoding_count_weights(device, policy, case):
    x = CATEGORY_INPUTS[case]
    weights = (np.random.default_rng(3).uniform(0.1, 2.0, size=x.shape)).astype("float64")
    check_layer_parity("CategoryEncoding", {"num_tokens": 5, "output_mode": "count", "dtype": policy,
                                            "name": "ce"}, x, device=device,
                       call_kwargs={"count_weights": weights},
                       atol=1e-3 if policy == "mixed_float16" else LAYER_ATOL)


def test_category_encoding_errors_where_keras_errors():
    too_large = np.array([[3, 5]], dtype="int32")
    with pytest.raises(Exception, match="smaller than num_classes"):
        keras.layers.CategoryEncoding(5, output_mode="one_hot")(too_large)
    for mode in ("one_hot", "multi_hot", "count"):
        with pytest.raises(ValueError, match="smaller than the number of tokens"):
            CategoryEncoding(5, output_mode=mode)(torch.as_tensor(too_large))
    for kwargs in ({"num_tokens": 0}, {}, {"num_tokens": 3, "output_mode": "int"}):
        with pytest.raises(ValueError):
            keras.layers.CategoryEncoding(**kwargs)
        with pytest.raises(ValueError):
            CategoryEncoding(**kwargs)
    with pytest.raises(ValueError, match="count_weights"):
        keras.layers.CategoryEncoding(3)(np.array([[1, 2]]), count_weights=np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3)(np.array([[1, 2]]), count_weights=np.array([[1.0, 2.0]]))


def test_category_encoding_config_from_keras():
    for kwargs in ({"num_tokens": 4}, {"num_tokens": 9, "output_mode": "binary"},
                   {"num_tokens": 2, "output_mode": "one_hot", "dtype": "float64", "trainable": False}):
        config = keras.layers.CategoryEncoding(name="ce", **kwargs).get_config()
        assert CategoryEncoding.from_config(config).get_config() == config
        assert CategoryEncoding(name="ce", **kwargs).get_config() == config


def test_category_encoding_symbolic_specs_match_keras():
    for mode, shape in (("one_hot", (3,)), ("one_hot", (1,)), ("multi_hot", (4,)), ("count", (2,))):
        k = keras.layers.CategoryEncoding(7, output_mode=mode)(keras.Input(shape, dtype="int32"))
        t = CategoryEncoding(7, output_mode=mode)(torchkeras.Input(shape, dtype="int32"))
        assert (tuple(k.shape), k.dtype) == (t.shape, t.dtype)


# ----------------------------------------------------------------------------------- Discretization

BOUNDARIES = [-1.0, 0.0, 0.5, 2.0]
DISCRETE_INPUTS = {
    "1d": np.array([-1.5, -1.0, 0.0, 0.25, 0.5, 3.0], dtype="float32"),
    "2d": _x(4, 5, seed=6),
    "2d_last_1": _x(4, 1, seed=7),
    "3d": _x(2, 3, 4, seed=8),
    "float64": np.array([[0.1, 0.5000000001, -0.9999999999, 2.0]], dtype="float64"),
    "ints": np.array([[-2, 0, 1, 2, 3]], dtype="int32"),
    "scalar": np.array(0.7, dtype="float32"),
}


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("case", list(DISCRETE_INPUTS))
def test_discretization_given_boundaries(device, mode, case):
    x = DISCRETE_INPUTS[case]
    keras_layer, tk_layer = check_layer_parity(
        "Discretization", {"bin_boundaries": BOUNDARIES, "output_mode": mode, "name": "disc"}, x,
        device=device)
    assert keras_layer.weights == [] and tk_layer.weights == [] and list(tk_layer.state_dict()) == []
    if case != "scalar" or mode != "one_hot":  # Keras's formula says (5,) for a scalar; its output is (1, 5)
        assert tk_layer.compute_output_shape(x.shape) == tuple(keras_layer.compute_output_shape(x.shape))


@pytest.mark.parametrize("boundaries", [[0, 1, 3], [], [0.5], [1, 2.5, 2.5, 4]])
def test_discretization_boundary_kinds(device, boundaries):
    # Integer boundaries are int32 in Keras's conversion; an empty list gives one bin.
    for x in (np.array([[0.5, 1.0, 2.0, 2.5, 3.0, 7.0]], dtype="float32"),
              np.array([[0, 1, 2, 3, 4]], dtype="int64")):
        check_layer_parity("Discretization", {"bin_boundaries": boundaries, "name": "disc"}, x, device=device)


@pytest.mark.parametrize("policy", ["float64", "mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("mode", ["int", "one_hot", "count"])
def test_discretization_dtype_policies(device, policy, mode):
    # The config's "dtype" is the variable dtype as a string (Keras writes `self.dtype`).
    _check_weightless_parity("Discretization", {"bin_boundaries": BOUNDARIES, "output_mode": mode,
                                                "dtype": policy, "name": "disc"}, DISCRETE_INPUTS["float64"], device)


def _batches(seed, sizes):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(size) * 3 + 1).astype("float32") for size in sizes]


ADAPT_CASES = {
    "small": (lambda: np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]]), 4, 0.01),
    "compressed": (lambda: _batches(0, [(500, 3)])[0], 7, 0.01),
    "coarse_epsilon": (lambda: _batches(1, [(64, 2)])[0], 5, 0.1),
    "ties": (lambda: np.random.default_rng(2).integers(0, 6, size=(300,)).astype("int32"), 4, 0.02),
    "more_bins_than_points": (lambda: np.array([3.0, 1.0, 2.0]), 10, 0.01),
    "one_bin": (lambda: _batches(3, [(50,)])[0], 1, 0.01),
    "list_of_batches": (lambda: _batches(4, [(40, 2), (70, 2), (13, 2)]), 6, 0.01),
    "generator": (lambda: (b for b in _batches(5, [(250,), (250,), (9,)])), 8, 0.005),
    "torch_tensor": (lambda: torch.as_tensor(_batches(6, [(120, 4)])[0]), 3, 0.01),
    "python_list": (lambda: [0.5, -2.0, 7.0, 1.0, 1.0, 3.5], 3, 0.01),
}


@pytest.mark.parametrize("case", list(ADAPT_CASES))
def test_discretization_adapt_equals_keras(device, case):
    make_data, num_bins, epsilon = ADAPT_CASES[case]
    keras_layer = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon, name="disc")
    tk_layer = Discretization(num_bins=num_bins, epsilon=epsilon, name="disc")
    keras_layer.adapt(make_data())
    tk_layer.adapt(make_data())
    assert tk_layer.bin_boundaries == keras_layer.bin_boundaries  # exact, float for float
    assert all(type(v) is float for v in tk_layer.bin_boundaries)
    assert tk_layer.get_config() == keras_layer.get_config()
    np.testing.assert_array_equal(tk_layer.summary, keras_layer.summary)
    assert tk_layer.summary.dtype == keras_layer.summary.dtype
    x = np.linspace(-6, 8, 57, dtype="float32").reshape(3, 19)
    assert_close(_to_numpy(keras_layer(x)), _to_numpy(tk_layer.to(device)(_as_torch(x, device))), 0, 0,
                 f"{case}: outputs after adapt")


def test_discretization_adapt_steps_and_readapt():
    batches = _batches(7, [(30,), (30,), (30,), (30,)])
    keras_layer = keras.layers.Discretization(num_bins=4)
    tk_layer = Discretization(num_bins=4)
    keras_layer.adapt(batches, steps=2)
    tk_layer.adapt(batches, steps=2)
    assert tk_layer.bin_boundaries == keras_layer.bin_boundaries
    # Adapting again starts over (Keras resets its summary).
    keras_layer.adapt(batches[3])
    tk_layer.adapt(batches[3])
    assert tk_layer.bin_boundaries == keras_layer.bin_boundaries


def test_discretization_adapted_config_round_trips_from_keras(device):
    keras_layer = keras.layers.Discretization(num_bins=5, output_mode="one_hot", name="disc")
    keras_layer.adapt(_batches(8, [(200, 3)])[0])
    config = keras_layer.get_config()
    assert config["bin_boundaries"] is not None and config["num_bins"] == 5
    tk_layer = Discretization.from_config(config)
    assert tk_layer.get_config() == config
    restored = keras.layers.Discretization.from_config(tk_layer.get_config())
    x = _x(6, 3, seed=9) * 3
    expected = _to_numpy(restored(x))
    assert_close(expected, _to_numpy(keras_layer(x)), 0, 0, "Keras from its own config")
    assert_close(expected, _to_numpy(tk_layer.to(device)(_as_torch(x, device))), 0, 0, "outputs")


def test_discretization_symbolic_specs_match_keras():
    for mode, shape, dtype in (("int", (4,), "float32"), ("one_hot", (1,), "float32"),
                               ("multi_hot", (3, 2), "float32"), ("count", (5,), "int32")):
        for kwargs in ({"bin_boundaries": [0.0, 1.0]}, {"num_bins": 6}):
            k = keras.layers.Discretization(output_mode=mode, **kwargs)(keras.Input(shape, dtype=dtype))
            t = Discretization(output_mode=mode, **kwargs)(torchkeras.Input(shape, dtype=dtype))
            assert (tuple(k.shape), k.dtype) == (t.shape, t.dtype)


def test_discretization_errors_where_keras_errors():
    for kwargs in ({}, {"num_bins": 2, "bin_boundaries": [0.0]}, {"num_bins": -1},
                   {"bin_boundaries": [0.0], "output_mode": "tf_idf"}, {"bin_boundaries": [0.0], "sparse": True}):
        with pytest.raises(ValueError):
            keras.layers.Discretization(**kwargs)
        with pytest.raises(ValueError):
            Discretization(**kwargs)
    with pytest.raises(TypeError):
        keras.layers.Discretization(bin_boundaries=[0.0], trainable=False)
    with pytest.raises(TypeError):
        Discretization(bin_boundaries=[0.0], trainable=False)
    for layer in (keras.layers.Discretization(bin_boundaries=[0.0]), Discretization(bin_boundaries=[0.0])):
        with pytest.raises(ValueError, match="use `num_bins` instead"):
            layer.adapt(np.zeros(3))
    for layer in (keras.layers.Discretization(num_bins=3), Discretization(num_bins=3)):
        with pytest.raises(ValueError, match="adapt"):
            layer(np.zeros((1, 2), dtype="float32"))
