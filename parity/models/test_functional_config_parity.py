"""Functional model configs against real Keras: the same code gives the same `get_config()`, each side
rebuilds the other's config, and weights moved across give the same outputs."""

import copy
import json

import keras
import numpy as np
import pytest

import torchkeras
from parity.harness import MODEL_ATOL, assert_close


def mlp(K):
    inputs = K.Input(shape=(784,), name="pixels")
    x = K.layers.Dense(256, activation="relu", name="d1")(inputs)
    x = K.layers.Dense(64, activation="relu", name="d2")(x)
    outputs = K.layers.Dense(10, activation="softmax", name="d3")(x)
    return K.Model(inputs, outputs, name="mlp")


def two_heads(K):
    pixels = K.Input(shape=(784,), name="pixels")
    metadata = K.Input(shape=(8,), name="metadata")
    features = K.layers.Dense(64, activation="relu", name="features")(pixels)
    merged = K.layers.concatenate([features, metadata], name="merged")
    digit = K.layers.Dense(10, activation="softmax", name="digit")(merged)
    is_hard = K.layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return K.Model(inputs=[pixels, metadata], outputs=[digit, is_hard], name="two_heads")


def dicts(K):
    a = K.Input(shape=(3,), name="a")
    b = K.Input(shape=(5,), name="b")
    merged = K.layers.Concatenate(name="cat")([a, b])
    return K.Model({"a": a, "b": b}, {"score": K.layers.Dense(1, name="score")(merged),
                                      "code": K.layers.Dense(4, name="code")(merged)}, name="dicts")


def tuples(K):
    a = K.Input(shape=(3,), name="a")
    b = K.Input(shape=(3,), name="b")
    return K.Model((a, b), (K.layers.Add(name="add")([a, b]), K.layers.Multiply(name="mul")([a, b])),
                   name="tuples")


def single_in_list(K):
    x = K.Input(shape=(4,), name="x")
    return K.Model([x], [K.layers.Dense(2, name="d")(x)], name="lists_of_one")


def siamese(K):
    left = K.Input(shape=(6,), name="left")
    right = K.Input(shape=(6,), name="right")
    shared = K.layers.Dense(4, activation="tanh", name="shared")
    distance = K.layers.Subtract(name="diff")([shared(left), shared(right)])
    return K.Model([left, right], K.layers.Dense(1, activation="sigmoid", name="head")(distance), name="siamese")


def nested(K):
    inner_input = K.Input(shape=(6,), name="inner_in")
    inner = K.Model(inner_input, K.layers.Dense(5, activation="relu", name="inner_dense")(inner_input),
                    name="inner")
    head = K.Sequential([K.Input(shape=(5,), name="head_in"), K.layers.Dense(2, name="head_dense")], name="head")
    lazy_head = K.Sequential([K.layers.Dense(3, name="lazy_dense")], name="lazy_head")
    x = K.Input(shape=(6,), name="x")
    y = K.Input(shape=(6,), name="y")
    a, b = inner(x), inner(y)
    summed = K.layers.Add(name="add")([a, b])
    return K.Model([x, y], [head(summed), lazy_head(summed), a], name="outer")


def nested_dict_model(K):
    a = K.Input(shape=(3,), name="a")
    b = K.Input(shape=(3,), name="b")
    inner = K.Model({"a": a, "b": b}, {"sum": K.layers.Add(name="add")([a, b]),
                                       "prod": K.layers.Multiply(name="mul")([a, b])}, name="inner")
    x = K.Input(shape=(3,), name="x")
    y = K.Input(shape=(3,), name="y")
    out = inner({"a": x, "b": y})
    z = K.layers.Dense(2, name="z")(out["sum"])
    return K.Model({"x": x, "y": y}, {"z": z, "prod": out["prod"]}, name="outer_dicts")


def sub_model(K):
    model = mlp(K)
    return K.Model(model.inputs, model.layers[2].output, name="features")


def reindexed_shared(K):
    shared = K.layers.Dense(3, name="shared_dense")
    other = K.Input(shape=(2,), name="other")
    K.Model(other, shared(other), name="first_use")
    x = K.Input(shape=(2,), name="x")
    return K.Model(x, K.layers.Dense(1, name="out")(shared(x)), name="second_use")


def aba(K):
    x = K.Input(shape=(4,), name="x")
    a = K.layers.Dense(4, name="a")
    b = K.layers.Dense(4, name="b")
    return K.Model(x, a(b(a(x))), name="aba")


def call_arguments(K):
    x = K.Input(shape=(8,), name="x")
    y = K.Input(shape=(8,), name="y")
    dropped = K.layers.Dropout(0.5, name="drop")(x)
    probabilities = K.layers.Softmax(axis=-1, name="softmax")(dropped)
    cosine = K.layers.Dot(axes=1, normalize=True, name="cosine")([probabilities, y])
    return K.Model([x, y], [probabilities, cosine], name="call_arguments")


def explicit_none_masks(K):
    # Masks passed by hand, all None: Keras records them as given, and the config must keep them.
    q = K.Input(shape=(4, 6), name="q")
    v = K.Input(shape=(5, 6), name="v")
    attended = K.layers.Attention(name="att")([q, v], mask=[None, None])
    pooled = K.layers.GlobalAveragePooling1D(name="gap")(attended, mask=None)
    return K.Model([q, v], [attended, pooled], name="explicit_none_masks")


BUILDERS = [mlp, two_heads, dicts, tuples, single_in_list, siamese, nested, nested_dict_model, sub_model,
            reindexed_shared, aba, call_arguments, explicit_none_masks]


def _inputs(model, seed=0):
    rng = np.random.default_rng(seed)

    def sample(tensor):
        return rng.random((4,) + tuple(tensor.shape[1:]), dtype=np.float32)

    structure = model._inputs_structure if hasattr(model, "_inputs_structure") else model._inputs_struct
    if isinstance(structure, dict):
        return {key: sample(tensor) for key, tensor in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [sample(tensor) for tensor in structure]
    return sample(structure)


def _flat(outputs):
    if isinstance(outputs, dict):
        return [outputs[key] for key in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def _keras_inputs(model, x):
    # Keras's predict takes a tuple-structured model's inputs as a tuple.
    return tuple(x) if isinstance(model._inputs_struct, tuple) else x


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_functional_config_matches_keras_both_ways(builder, device):
    # Same auto-names on both sides (the InputLayer a lazy Sequential makes when it builds).
    keras.backend.clear_session()
    torchkeras.backend.clear_session()
    keras_model, tk_model = builder(keras), builder(torchkeras)
    keras_config, tk_config = keras_model.get_config(), tk_model.get_config()
    assert tk_config == keras_config
    assert torchkeras.saving.serialize_keras_object(tk_model) == keras.saving.serialize_keras_object(keras_model)

    x = _inputs(tk_model)

    # Keras config -> torchkeras, Keras weights.
    tk_rebuilt = torchkeras.Model.from_config(copy.deepcopy(keras_config)).to(device)
    assert tk_rebuilt.get_config() == keras_config
    tk_rebuilt.set_weights(keras_model.get_weights())
    expected = keras_model.predict(_keras_inputs(keras_model, x), verbose=0)
    assert_close(_flat(expected), _flat(tk_rebuilt.predict(x, verbose=0)), MODEL_ATOL, 0,
                 f"{builder.__name__}: Keras -> torchkeras")

    # torchkeras config -> Keras, torchkeras weights.
    tk_model.to(device)
    keras_rebuilt = keras.Model.from_config(copy.deepcopy(tk_config))
    assert keras_rebuilt.get_config() == tk_config
    keras_rebuilt.set_weights(tk_model.get_weights())
    assert_close(_flat(keras_rebuilt.predict(_keras_inputs(keras_rebuilt, x), verbose=0)),
                 _flat(tk_model.predict(x, verbose=0)), MODEL_ATOL, 0, f"{builder.__name__}: torchkeras -> Keras")


@pytest.mark.parametrize("builder", [two_heads, nested, nested_dict_model], ids=lambda b: b.__name__)
def test_keras_json_loads_in_torchkeras(builder):
    keras_model = builder(keras)
    as_json = json.loads(keras_model.to_json())
    tk_model = torchkeras.saving.deserialize_keras_object(as_json)
    assert isinstance(tk_model, torchkeras.models.functional.Functional)
    assert json.loads(json.dumps(tk_model.get_config())) == as_json["config"]
    tk_model.set_weights(keras_model.get_weights())
    x = _inputs(tk_model)
    assert_close(_flat(keras_model.predict(x, verbose=0)), _flat(tk_model.predict(x, verbose=0)), MODEL_ATOL, 0,
                 f"{builder.__name__}: Keras JSON -> torchkeras")


def test_explicit_training_kwarg_matches_keras_config():
    def build(K):
        x = K.Input(shape=(8,), name="x")
        always = K.layers.Dropout(0.5, name="always")(x, training=True)
        return K.Model(x, K.layers.Dense(2, name="d")(always), name="mc_dropout")

    keras_model, tk_model = build(keras), build(torchkeras)
    assert tk_model.get_config() == keras_model.get_config()
    assert keras.Model.from_config(tk_model.get_config()).get_config() == keras_model.get_config()
    assert torchkeras.Model.from_config(keras_model.get_config()).get_config() == keras_model.get_config()
