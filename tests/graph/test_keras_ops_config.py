"""Keras operation nodes in functional configs, torch only: graphs with Python operators and torch functions
save as Keras operations (`Add`, `GetItem`, `Concatenate`, ...), load back as `KerasOp`s computing the same,
and configs Keras writes (operations it inserts for masks included) load and run."""

import io
import json

import pytest
import torch

import torchkeras as keras
from torchkeras import layers
from torchkeras.graph.keras_op import KerasOp
from torchkeras.models.functional import Functional


def _json(config):
    return json.loads(json.dumps(config))


def _entries(config):
    return {entry["name"]: entry for entry in config["layers"]}


def _ops_model():
    keras.backend.clear_session()  # auto-names (`mean`, `get_item_1`) count from zero
    x = keras.Input((3, 4), name="x")
    y = keras.Input((3, 4), name="y")
    h = layers.Dense(4, name="d")(x)
    outputs = [
        torch.cat([h + y, x * 2], dim=1).mean(dim=1),
        (h > 0)[:, 0],
        x[:, None, ..., 1:3],
        torch.softmax(h - 1.0, dim=-1).reshape(-1, 12),
        torch.where(x > y, torch.relu(x), -y),
        torch.stack([x, y], dim=1).amax(dim=(2, 3)),
        (2.0 / (1.0 + torch.exp(-x))).permute(0, 2, 1),
        torch.clamp(x, -0.5, 0.5).unsqueeze(1).squeeze(1) @ y.transpose(1, 2),
        h.sum(dim=-1, keepdim=True) ** 2,
        torch.nn.functional.gelu(x, approximate="tanh"),
        (x > 0) & (y > 0),
        x.long(),
    ]
    return keras.Model([x, y], outputs, name="ops")


def test_torch_calls_save_as_keras_operations():
    config = _ops_model().get_config()
    entries = _entries(config)
    assert {(e["module"], e["class_name"]) for e in config["layers"]} >= {
        ("keras.src.ops.numpy", "Add"), ("keras.src.ops.numpy", "Multiply"),
        ("keras.src.ops.numpy", "Concatenate"), ("keras.src.ops.numpy", "Mean"),
        ("keras.src.ops.numpy", "GetItem"), ("keras.src.ops.nn", "Softmax"), ("keras.src.ops.numpy", "Reshape"),
        ("keras.src.ops.numpy", "Where"), ("keras.src.ops.nn", "Relu"), ("keras.src.ops.numpy", "Stack"),
        ("keras.src.ops.numpy", "Max"), ("keras.src.ops.numpy", "TrueDivide"), ("keras.src.ops.numpy", "Exp"),
        ("keras.src.ops.numpy", "Transpose"), ("keras.src.ops.numpy", "Clip"),
        ("keras.src.ops.numpy", "ExpandDims"), ("keras.src.ops.numpy", "Squeeze"),
        ("keras.src.ops.numpy", "Swapaxes"), ("keras.src.ops.numpy", "Matmul"), ("keras.src.ops.numpy", "Sum"),
        ("keras.src.ops.numpy", "Power"), ("keras.src.ops.nn", "Gelu"), ("keras.src.ops.numpy", "LogicalAnd"),
        ("keras.src.ops.core", "Cast"), ("keras.src.ops.numpy", "Negative"), ("keras.src.ops.numpy", "Greater"),
    }
    # Keras's layout: the constructor arguments in the config, the call's in the node.
    mean = entries["mean"]
    assert mean["config"] == {"name": "mean", "axis": 1, "keepdims": False}
    assert mean["registered_name"] == "Mean"
    assert entries["cat"]["config"] == {"name": "cat", "axis": 1}
    (cat_args,) = entries["cat"]["inbound_nodes"][0]["args"]
    assert [t["config"]["keras_history"][0] for t in cat_args] == ["add", "multiply"]
    key = entries["get_item_1"]["inbound_nodes"][0]["args"][1]
    assert key == ({"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}, None,
                   {"class_name": "__ellipsis__", "config": {}},
                   {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": None}})
    assert entries["amax"]["config"] == {"name": "amax", "axis": (2, 3), "keepdims": False, "initial": None}
    assert entries["gelu"]["config"]["approximate"] is True
    assert entries["long"]["config"] == {"name": "long", "dtype": "int64"}
    assert entries["true_divide"]["inbound_nodes"][0]["args"][0] == 2.0  # `2.0 / t`: the scalar first


def test_round_trip_gives_the_same_config_and_outputs():
    model = _ops_model()
    config = model.get_config()
    rebuilt = Functional.from_config(_json(config))
    assert _json(rebuilt.get_config()) == _json(config)
    assert all(isinstance(op, KerasOp) for op in rebuilt.layers if type(op).__name__.endswith("Op"))
    rebuilt.set_weights(model.get_weights())
    x, y = torch.randn(5, 3, 4), torch.randn(5, 3, 4)
    for expected, received in zip(model([x, y]), rebuilt([x, y])):
        assert received.dtype == expected.dtype and received.shape == expected.shape
        torch.testing.assert_close(received, expected, rtol=0, atol=1e-6)
    buffer = io.BytesIO()
    torch.save(rebuilt, buffer)  # `torch.save(model)`: a KerasOp pickles as its class name and config
    buffer.seek(0)
    unpickled = torch.load(buffer, weights_only=False)
    for expected, received in zip(rebuilt([x, y]), unpickled([x, y])):
        torch.testing.assert_close(received, expected, rtol=0, atol=0)


def test_loaded_operations_keep_the_fast_path_and_compile():
    model = _ops_model()
    rebuilt = Functional.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    x, y = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    assert [layer.name for layer in rebuilt._direct_layers] == ["d"]
    assert rebuilt._can_call_directly((x, y))
    assert "not_equal" not in rebuilt.graph_module.code and "mean(" in rebuilt.graph_module.code
    traced = torch.fx.symbolic_trace(rebuilt)
    for expected, received in zip(rebuilt([x, y]), traced([x, y])):
        torch.testing.assert_close(received, expected, rtol=0, atol=0)
    torch._dynamo.reset()
    compiled = torch.compile(rebuilt, fullgraph=True)  # fullgraph: a graph break would raise
    for expected, received in zip(rebuilt([x, y]), compiled([x, y])):
        torch.testing.assert_close(received, expected)


def _tensor(name, shape, dtype="float32"):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": dtype,
                                                        "keras_history": [name, 0, 0]}}


def _masked_pooling_config():
    """What Keras 3.15 writes for `GlobalAveragePooling1D()(Embedding(10, 4, mask_zero=True)(ids))`: a
    `NotEqual` operation node, whose output is the pooling's `mask` argument."""
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
              "registered_name": None}
    return {
        "name": "functional", "trainable": True,
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "ids",
             "config": {"batch_shape": [None, 6], "dtype": "int32", "sparse": False, "ragged": False,
                        "name": "ids", "optional": False}, "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "Embedding", "registered_name": None, "name": "emb",
             "config": {"name": "emb", "trainable": True, "dtype": policy, "input_dim": 10, "output_dim": 4,
                        "embeddings_initializer": {"module": "keras.initializers", "class_name": "RandomUniform",
                                                   "config": {"seed": None, "minval": -0.05, "maxval": 0.05},
                                                   "registered_name": None},
                        "embeddings_regularizer": None, "activity_regularizer": None,
                        "embeddings_constraint": None, "mask_zero": True},
             "build_config": {"input_shape": [None, 6]},
             "inbound_nodes": [{"args": [_tensor("ids", [None, 6], "int32")], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "NotEqual", "config": {"name": "not_equal"},
             "registered_name": "NotEqual", "name": "not_equal",
             "inbound_nodes": [{"args": [_tensor("ids", [None, 6], "int32"), 0], "kwargs": {}}]},
            {"module": "keras.layers", "class_name": "GlobalAveragePooling1D", "registered_name": None,
             "name": "gap", "config": {"name": "gap", "trainable": True, "dtype": policy,
                                       "data_format": "channels_last", "keepdims": False},
             "inbound_nodes": [{"args": [_tensor("emb", [None, 6, 4])],
                                "kwargs": {"mask": _tensor("not_equal", [None, 6], "bool")}}]},
        ],
        "input_layers": [["ids", 0, 0]], "output_layers": [["gap", 0, 0]],
    }


def test_keras_mask_operations_load_and_feed_the_mask_argument():
    config = _masked_pooling_config()
    model = Functional.from_config(json.loads(json.dumps(config)))
    assert "mask = not_equal" in model.graph_module.code.replace("mask=", "mask = ")
    table = torch.arange(40, dtype=torch.float32).reshape(10, 4)
    model.get_layer("emb").set_weights([table.numpy()])
    ids = torch.tensor([[1, 2, 3, 0, 0, 0], [0, 0, 0, 4, 5, 6], [7, 0, 8, 0, 9, 0]], dtype=torch.int32)
    expected = torch.stack([table[[1, 2, 3]].mean(0), table[[4, 5, 6]].mean(0), table[[7, 8, 9]].mean(0)])
    torch.testing.assert_close(model(ids), expected)
    saved = _json(model.get_config())
    assert _entries(saved)["gap"]["inbound_nodes"] == _json(_entries(config)["gap"]["inbound_nodes"])
    assert _entries(saved)["not_equal"] == _json(_entries(config)["not_equal"])
    torch._dynamo.reset()
    torch.testing.assert_close(torch.compile(model, fullgraph=True)(ids), expected)


def test_unknown_keras_operation_names_it_and_lists_the_supported_ones():
    config = _masked_pooling_config()
    config["layers"][2].update(class_name="Cross", registered_name="Cross",
                               config={"name": "not_equal", "axisa": -1, "axisb": -1, "axisc": -1, "axis": None})
    with pytest.raises(ValueError, match=r"`Cross` \(module 'keras.src.ops.numpy'\).*not supported.*"
                                         r"Supported operations: \[.*'NotEqual'"):
        Functional.from_config(config)


def test_operation_config_that_does_not_fit_raises():
    config = _masked_pooling_config()
    config["layers"][2]["config"] = {"name": "not_equal", "axis": 1}
    with pytest.raises(ValueError, match="`NotEqual`.*unexpected argument.*'axis'"):
        Functional.from_config(config)
    with pytest.raises(ValueError, match="`Mean`.*Expected arguments: \\['axis', 'keepdims'\\]"):
        KerasOp("Mean", {"axes": 1})
    with pytest.raises(ValueError, match="`Reshape`.*missing the required argument `newshape`"):
        KerasOp("Reshape", {})


@pytest.mark.parametrize("make", [
    lambda x: torch.cumsum(x > 0, dim=1),  # int64 in torch, int32 in Keras
    lambda x: torch.add(x, x, alpha=2),
    lambda x: x[:, torch.tensor([0, 1])],
    lambda x: torch.clamp(x, min=0.0),
], ids=["cumsum", "add_alpha", "tensor_index", "one_sided_clamp"])
def test_torch_call_without_keras_operation_cannot_be_saved(make):
    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, make(layers.Dense(3, name="d")(inputs)))
    with pytest.raises(ValueError, match="records the torch operation `.*` \\(node '.*'\\)"):
        model.get_config()


def test_keras_dtype_rules_differ_from_torch_where_keras_says_so():
    # Keras's torch backend: a mean of integers is float32, a sum of bools is int32, an int meeting a
    # bool tensor is int32, `Any` returns bool.
    ints = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    assert KerasOp("Mean", {"axis": 1})(ints).dtype == torch.float32
    flags = torch.tensor([[True, False], [True, True]])
    total = KerasOp("Sum", {"axis": 1})(flags)
    assert total.dtype == torch.int32 and total.tolist() == [1, 2]
    assert KerasOp("Add")(flags, 1).dtype == torch.int32
    assert KerasOp("Any", {"axis": -1})(torch.tensor([[0.0, 2.0], [0.0, 0.0]])).tolist() == [True, False]
    assert KerasOp("Cast", {"dtype": "int32"})(torch.tensor([1.7])).tolist() == [1]
