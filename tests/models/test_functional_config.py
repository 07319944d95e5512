"""Functional model configs in Keras 3's format: get_config -> from_config rebuilds the same graph."""

import json

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers
from torchkeras.models.functional import Functional
from torchkeras.saving import deserialize_keras_object, serialize_keras_object


def _rng_inputs(model, batch=3, seed=0):
    rng = np.random.default_rng(seed)

    def sample(tensor):
        shape = (batch,) + tuple(tensor.shape[1:])
        return rng.random(shape, dtype=np.float32)

    structure = model._inputs_structure
    if isinstance(structure, dict):
        return {key: sample(tensor) for key, tensor in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [sample(tensor) for tensor in structure]
    return sample(structure)


def _flat_outputs(outputs):
    if isinstance(outputs, dict):
        return [outputs[key] for key in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def _round_trip(model, **custom):
    """Rebuilds `model` from its config, checks the config is the same, moves the weights and compares."""
    config = model.get_config()
    rebuilt = Functional.from_config(config, **custom)
    assert type(rebuilt) is Functional
    assert rebuilt.get_config() == config
    # The JSON form (lists for tuples) rebuilds the same model too.
    from_json = keras.Model.from_config(json.loads(json.dumps(config)), **custom)
    assert json.loads(json.dumps(from_json.get_config())) == json.loads(json.dumps(config))
    for other in (rebuilt, from_json):
        assert [layer.name for layer in other.layers] == [layer.name for layer in model.layers]
        other.set_weights(model.get_weights())
        x = _rng_inputs(model)
        expected = _flat_outputs(model.predict(x, verbose=0))
        received = _flat_outputs(other.predict(x, verbose=0))
        assert len(expected) == len(received)
        for a, b in zip(expected, received):
            np.testing.assert_allclose(b, a, atol=1e-6, rtol=0)
    return config, rebuilt


def _tensor_entry(shape, history):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": history}}


def test_mlp_config_is_keras_format_and_round_trips():
    inputs = keras.Input(shape=(784,), name="pixels")
    x = layers.Dense(256, activation="relu", name="d1")(inputs)
    x = layers.Dense(64, activation="relu", name="d2")(x)
    outputs = layers.Dense(10, activation="softmax", name="d3")(x)
    model = keras.Model(inputs, outputs, name="mlp")
    config, _ = _round_trip(model)
    assert set(config) == {"name", "trainable", "layers", "input_layers", "output_layers"}
    assert config["name"] == "mlp" and config["trainable"] is True
    assert config["input_layers"] == ["pixels", 0, 0]  # a single tensor is not wrapped in a list
    assert config["output_layers"] == ["d3", 0, 0]
    first, second = config["layers"][:2]
    assert first["class_name"] == "InputLayer" and first["inbound_nodes"] == [] and first["name"] == "pixels"
    assert second["module"] == "keras.layers" and second["class_name"] == "Dense"
    assert second["build_config"] == {"input_shape": (None, 784)}
    assert second["inbound_nodes"] == [{"args": (_tensor_entry((None, 784), ["pixels", 0, 0]),), "kwargs": {}}]


def test_serialize_keras_object_writes_keras_functional_entry():
    inputs = keras.Input(shape=(4,), name="x")
    model = keras.Model(inputs, layers.Dense(2, name="d")(inputs), name="m")
    serialized = serialize_keras_object(model)
    assert serialized["module"] == "keras.src.models.functional"
    assert serialized["class_name"] == "Functional"
    assert serialized["registered_name"] == "Functional"
    assert serialized["build_config"] == {"input_shape": None}
    assert serialized["compile_config"] == {}
    revived = deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert isinstance(revived, Functional) and revived.name == "m"
    # `keras.Model` dicts dispatch to a functional model too.
    as_model = dict(serialized, module="keras", class_name="Model", registered_name=None)
    assert isinstance(deserialize_keras_object(as_model), Functional)


def test_two_inputs_two_outputs_with_concatenate():
    pixels = keras.Input(shape=(784,), name="pixels")
    metadata = keras.Input(shape=(8,), name="metadata")
    features = layers.Dense(64, activation="relu", name="features")(pixels)
    merged = layers.Concatenate(name="merged")([features, metadata])
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    is_hard = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    model = keras.Model(inputs=[pixels, metadata], outputs=[digit, is_hard], name="two_heads")
    config, rebuilt = _round_trip(model)
    assert config["input_layers"] == [["pixels", 0, 0], ["metadata", 0, 0]]
    assert config["output_layers"] == [["digit", 0, 0], ["is_hard", 0, 0]]
    merged_config = next(c for c in config["layers"] if c["name"] == "merged")
    # Keras's Merge.call takes no mask, so none is recorded; the list of tensors is one argument.
    assert merged_config["inbound_nodes"] == [{
        "args": ([_tensor_entry((None, 64), ["features", 0, 0]), _tensor_entry((None, 8), ["metadata", 0, 0])],),
        "kwargs": {},
    }]
    assert isinstance(rebuilt._inputs_structure, list) and isinstance(rebuilt._outputs_structure, list)


def test_dict_inputs_and_dict_outputs():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(5,), name="b")
    merged = layers.Concatenate(name="cat")([a, b])
    model = keras.Model({"a": a, "b": b}, {"score": layers.Dense(1, name="score")(merged),
                                           "code": layers.Dense(4, name="code")(merged)}, name="dicts")
    config, rebuilt = _round_trip(model)
    assert config["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    assert config["output_layers"] == {"score": ["score", 0, 0], "code": ["code", 0, 0]}
    assert isinstance(rebuilt._inputs_structure, dict) and list(rebuilt._outputs_structure) == ["score", "code"]


def test_tuple_structures_stay_tuples():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    model = keras.Model((a, b), (layers.Add(name="add")([a, b]),), name="tuples")
    config, _ = _round_trip(model)
    assert config["input_layers"] == (["a", 0, 0], ["b", 0, 0])
    assert config["output_layers"] == (["add", 0, 0],)


def test_shared_layer_records_one_node_per_call():
    left = keras.Input(shape=(6,), name="left")
    right = keras.Input(shape=(6,), name="right")
    shared = layers.Dense(4, activation="tanh", name="shared")
    encoded_left, encoded_right = shared(left), shared(right)
    distance = layers.Subtract(name="diff")([encoded_left, encoded_right])
    model = keras.Model([left, right], layers.Dense(1, name="head")(distance), name="siamese")
    config, rebuilt = _round_trip(model)
    shared_config = next(c for c in config["layers"] if c["name"] == "shared")
    assert [n["args"][0]["config"]["keras_history"] for n in shared_config["inbound_nodes"]] == [
        ["left", 0, 0], ["right", 0, 0]]
    diff_config = next(c for c in config["layers"] if c["name"] == "diff")
    assert [t["config"]["keras_history"] for t in diff_config["inbound_nodes"][0]["args"][0]] == [
        ["shared", 0, 0], ["shared", 1, 0]]
    rebuilt_shared = rebuilt.get_layer("shared")
    assert len(rebuilt_shared._inbound_nodes) == 2 and len(rebuilt.weights) == len(model.weights)


def test_node_indices_count_only_the_models_own_calls():
    shared = layers.Dense(3, name="shared_dense")
    other_input = keras.Input(shape=(2,), name="other")
    keras.Model(other_input, shared(other_input))  # node 0 of `shared` belongs to another model
    x = keras.Input(shape=(2,), name="x")
    model = keras.Model(x, layers.Dense(1, name="out")(shared(x)), name="second_use")
    config, _ = _round_trip(model)
    assert len(shared._inbound_nodes) == 2
    out_config = next(c for c in config["layers"] if c["name"] == "out")
    assert out_config["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["shared_dense", 0, 0]
    assert len(next(c for c in config["layers"] if c["name"] == "shared_dense")["inbound_nodes"]) == 1


def test_nested_functional_and_sequential_models():
    inner_input = keras.Input(shape=(6,), name="inner_in")
    inner = keras.Model(inner_input, layers.Dense(5, activation="relu", name="inner_dense")(inner_input),
                        name="inner")
    head = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(2, name="head_dense")], name="head")
    x = keras.Input(shape=(6,), name="x")
    y = keras.Input(shape=(6,), name="y")
    a, b = inner(x), inner(y)  # the nested model is shared too
    model = keras.Model([x, y], [head(layers.Add(name="add")([a, b])), a], name="outer")
    config, rebuilt = _round_trip(model)
    inner_config = next(c for c in config["layers"] if c["name"] == "inner")
    assert inner_config["class_name"] == "Functional" and inner_config["module"] == "keras.src.models.functional"
    assert inner_config["config"]["input_layers"] == ["inner_in", 0, 0]
    assert inner_config["config"]["layers"][1]["name"] == "inner_dense"
    assert inner_config["build_config"] == {"input_shape": None} and inner_config["compile_config"] == {}
    assert [n["kwargs"] for n in inner_config["inbound_nodes"]] == [{"mask": None}, {"mask": None}]
    head_config = next(c for c in config["layers"] if c["name"] == "head")
    assert head_config["class_name"] == "Sequential" and head_config["compile_config"] == {}
    # Keras counts a nested Functional's nodes from 1 in `output_layers` (not in node arguments).
    assert config["output_layers"] == [["head", 0, 0], ["inner", 1, 0]]
    add_config = next(c for c in config["layers"] if c["name"] == "add")
    assert [t["config"]["keras_history"] for t in add_config["inbound_nodes"][0]["args"][0]] == [
        ["inner", 0, 0], ["inner", 1, 0]]
    assert isinstance(rebuilt.get_layer("inner"), Functional)
    assert isinstance(rebuilt.get_layer("head"), keras.Sequential)


def test_nested_model_with_dict_inputs_records_a_mask_per_input():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    inner = keras.Model({"a": a, "b": b}, layers.Add(name="add")([a, b]), name="inner")
    x = keras.Input(shape=(3,), name="x")
    model = keras.Model(x, inner({"a": x, "b": x}), name="outer")
    config, _ = _round_trip(model)
    inner_config = next(c for c in config["layers"] if c["name"] == "inner")
    assert inner_config["inbound_nodes"][0]["kwargs"] == {"mask": {"a": None, "b": None}}
    assert config["output_layers"] == ["inner", 1, 0]


def test_call_kwargs_are_kept():
    x = keras.Input(shape=(8,), name="x")
    always = layers.Dropout(0.5, name="always")(x, training=True)
    default = layers.Dropout(0.5, name="default")(always)
    probabilities = layers.Softmax(axis=-1, name="softmax")(x)
    model = keras.Model(x, [default, probabilities], name="dropouts")
    config = model.get_config()
    kwargs = {c["name"]: c["inbound_nodes"][0]["kwargs"] for c in config["layers"][1:]}
    # `training` as given; where not given, Keras records `call`'s default (False for Dropout).
    assert kwargs == {"always": {"training": True}, "default": {"training": False}, "softmax": {"mask": None}}
    rebuilt = Functional.from_config(config)
    assert rebuilt.get_config() == config
    nodes = {layer.name: layer._inbound_nodes[0].call_kwargs for layer in rebuilt.layers[1:]}
    # The recorded default is not replayed: `default` follows the model's training flag, as before.
    assert nodes["always"] == {"training": True} and nodes["default"] == {}
    torch.manual_seed(0)
    data = torch.ones(4, 8)
    dropped, _ = rebuilt(data)
    # Called without `training` (eval() mode, Keras's `None`), the recorded `training=True` holds ...
    assert ((dropped == 0) | (dropped == 2)).all() and (dropped == 0).any()
    # ... and an asked-for `training=False` overrides it, as in Keras (`predict` drops nothing).
    kept, _ = rebuilt(data, training=False)
    torch.testing.assert_close(kept, data)


def test_filled_kwargs_only_where_keras_records_them():
    # Keras fills `training` / masks into the caller's kwargs dict, which it replaces by a converted copy
    # first for a call with keyword arguments, on a list of tensors, or on several tensors: those records
    # hold the caller's arguments only (a `mask=[None, None]` would make Keras's Attention unmasked).
    x = keras.Input(shape=(5, 4), name="x")
    state = keras.Input(shape=(3,), name="state")
    outputs = [layers.Attention(name="att")([x, x]), layers.MultiHeadAttention(1, 2, name="mha")(x, x),
               layers.LSTM(3, name="with_state")(x, initial_state=[state, state]), layers.LSTM(3, name="plain")(x)]
    config = keras.Model([x, state], outputs).get_config()
    kwargs = {c["name"]: c["inbound_nodes"][0]["kwargs"] for c in config["layers"] if c["inbound_nodes"]}
    assert kwargs["att"] == {} and kwargs["mha"] == {}
    assert list(kwargs["with_state"]) == ["initial_state"]
    assert kwargs["plain"] == {"training": False, "mask": None}


def test_non_tensor_positional_arguments_round_trip():
    x = keras.Input(shape=(4,), name="x")
    y = keras.Input(shape=(4,), name="y")
    dot = layers.Dot(axes=1, normalize=True, name="cosine")([x, y])
    model = keras.Model([x, y], dot, name="cosine_model")
    _round_trip(model)


def test_intermediate_tensor_sub_model():
    inputs = keras.Input(shape=(784,), name="pixels")
    x = layers.Dense(256, activation="relu", name="d1")(inputs)
    x = layers.Dense(64, activation="relu", name="d2")(x)
    outputs = layers.Dense(10, activation="softmax", name="d3")(x)
    model = keras.Model(inputs, outputs, name="mlp")
    features = keras.Model(model.inputs, model.layers[2].output, name="features")
    config, rebuilt = _round_trip(features)
    assert [c["name"] for c in config["layers"]] == ["pixels", "d1", "d2"]
    assert config["input_layers"] == [["pixels", 0, 0]] and config["output_layers"] == ["d2", 0, 0]
    assert rebuilt.output_shape == (None, 64)


def test_keras_2_inbound_node_format_loads():
    config = {
        "name": "legacy",
        "trainable": True,
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "inp"},
             "name": "inp", "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "dense_a", "units": 3}, "name": "dense_a",
             "inbound_nodes": [[["inp", 0, 0, {}]]]},
            {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "dense_b", "units": 3}, "name": "dense_b",
             "inbound_nodes": [[["inp", 0, 0]]]},
            {"module": "keras.layers", "class_name": "Add", "registered_name": None,
             "config": {"name": "add"}, "name": "add",
             "inbound_nodes": [[["dense_a", 0, 0, {}], ["dense_b", 0, 0, {}]]]},
        ],
        "input_layers": [["inp", 0, 0]],
        "output_layers": [["add", 0, 0]],
    }
    model = keras.Model.from_config(config)
    assert isinstance(model, Functional) and model.output_shape == (None, 3)
    x = torch.rand(2, 4)
    a, b = model.get_layer("dense_a"), model.get_layer("dense_b")
    output = model(x)
    output = output[0] if isinstance(output, (list, tuple)) else output  # `output_layers` is a list of one
    torch.testing.assert_close(output, a(x) + b(x))


def test_nodes_whose_inputs_come_later_are_deferred():
    # A(B(A(x))): the second call of `a` needs `b`'s node, which comes after `a` in the layer list.
    x = keras.Input(shape=(4,), name="x")
    a = layers.Dense(4, name="a")
    b = layers.Dense(4, name="b")
    model = keras.Model(x, a(b(a(x))), name="aba")
    config, _ = _round_trip(model)
    assert [c["name"] for c in config["layers"]] == ["x", "a", "b"]
    assert [n["args"][0]["config"]["keras_history"] for n in config["layers"][1]["inbound_nodes"]] == [
        ["x", 0, 0], ["b", 0, 0]]


def test_unknown_layer_class_raises_type_error_naming_it():
    inputs = keras.Input(shape=(4,), name="x")
    config = keras.Model(inputs, layers.Dense(2, name="d")(inputs)).get_config()
    config["layers"][1]["class_name"] = "MysteryLayer"
    with pytest.raises(TypeError, match="MysteryLayer"):
        Functional.from_config(config)


def test_custom_layer_via_custom_objects():
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2

        def compute_output_shape(self, input_shape):
            return input_shape

    inputs = keras.Input(shape=(4,), name="x")
    model = keras.Model(inputs, Doubler(name="double")(inputs), name="custom")
    config = model.get_config()
    assert config["layers"][1]["class_name"] == "Doubler"
    rebuilt = Functional.from_config(config, custom_objects={"Doubler": Doubler})
    torch.testing.assert_close(rebuilt(torch.ones(1, 4)), torch.full((1, 4), 2.0))


def test_torch_op_in_graph_cannot_be_saved():
    # `+ 1.0` saves as Keras's `Add` operation (tests/graph/test_keras_ops_config.py); a torch function
    # that no Keras operation computes cannot be saved.
    inputs = keras.Input(shape=(4,), name="x")
    model = keras.Model(inputs, torch.cumsum(layers.Dense(2, name="d")(inputs) + 1.0 > 0, dim=1))
    with pytest.raises(ValueError, match="`torch.cumsum`.*Keras layer"):
        model.get_config()


def test_revived_model_has_the_state_dict_keys_of_the_saved_one():
    # Auto-names carry a process-wide counter (`dense_7`); a model rebuilt from its config keeps those
    # names, but counts its state_dict keys within itself, so the saved model's state loads into it.
    def build():
        inputs = keras.Input((4,))
        hidden = layers.Dense(3)(inputs)
        return keras.Model(inputs, layers.Dense(2, name="head")(hidden))

    for _ in range(3):
        original = build()
    revived = keras.Model.from_config(original.get_config())
    assert [layer.name for layer in revived.layers] == [layer.name for layer in original.layers]
    assert list(revived.state_dict()) == list(original.state_dict()) == [
        "dense.kernel", "dense.bias", "head.kernel", "head.bias"]
    revived.load_state_dict(original.state_dict())
    x = torch.randn(2, 4)
    torch.testing.assert_close(revived(x), original(x))
