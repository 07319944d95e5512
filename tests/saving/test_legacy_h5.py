"""Legacy Keras 2 / tf.keras `.h5` files (torch only). The fixtures are written here with h5py in exactly
tf.keras's layout (no TensorFlow needed): `model_config` / `training_config` attributes, `model_weights/`
with `layer_names` and per-layer `weight_names` (`dense/kernel:0`), and the top-level variant that
`save_weights("x.h5")` writes. Expected outputs are computed in numpy from the stored arrays."""

import json

import h5py
import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras.saving import legacy_h5, serialization

L = keras.layers
RNG = np.random.default_rng(7)


def _dense_config(name, units, activation="linear", **extra):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None, **extra}}


def _bn_config(name):
    return {"class_name": "BatchNormalization", "config": {
        "name": name, "trainable": True, "dtype": "float32", "axis": [1], "momentum": 0.99, "epsilon": 0.001,
        "center": True, "scale": True, "beta_initializer": {"class_name": "Zeros", "config": {}},
        "gamma_initializer": {"class_name": "Ones", "config": {}},
        "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
        "moving_variance_initializer": {"class_name": "Ones", "config": {}}, "beta_regularizer": None,
        "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}}


def _sequential_config():
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}},
        _dense_config("dense", 3, "relu"), _bn_config("batch_normalization"), _dense_config("dense_1", 2)]}}


def _sequential_weights():
    return [
        ("dense", [("dense/kernel:0", RNG.normal(size=(4, 3))), ("dense/bias:0", RNG.normal(size=3))]),
        ("batch_normalization", [("batch_normalization/gamma:0", RNG.uniform(0.5, 1.5, 3)),
                                 ("batch_normalization/beta:0", RNG.normal(size=3)),
                                 ("batch_normalization/moving_mean:0", RNG.normal(size=3)),
                                 ("batch_normalization/moving_variance:0", RNG.uniform(0.5, 2.0, 3))]),
        ("dense_1", [("dense_1/kernel:0", RNG.normal(size=(3, 2))), ("dense_1/bias:0", RNG.normal(size=2))]),
    ]


def _sequential_expected(weights, x):
    w = {name: value for _, pairs in weights for name, value in pairs}
    h = np.maximum(x @ w["dense/kernel:0"] + w["dense/bias:0"], 0)
    h = ((h - w["batch_normalization/moving_mean:0"]) / np.sqrt(w["batch_normalization/moving_variance:0"] + 1e-3)
         * w["batch_normalization/gamma:0"] + w["batch_normalization/beta:0"])
    return h @ w["dense_1/kernel:0"] + w["dense_1/bias:0"]


def _write_layers(group, layer_names, weights):
    """tf.keras's `save_weights_to_hdf5_group`: `layer_names` (every layer, weights or not), then a group
    per layer with `weight_names` and the datasets at those (slash-separated) names."""
    group.attrs["layer_names"] = [name.encode("utf8") for name in layer_names]
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.12.0"
    stored = dict(weights)
    for name in layer_names:
        layer_group = group.create_group(name)
        pairs = stored.get(name, [])
        layer_group.attrs["weight_names"] = [n.encode("utf8") for n, _ in pairs]
        for weight_name, value in pairs:
            layer_group.create_dataset(weight_name, data=np.asarray(value, "float32"))


def _write_model_file(path, config, layer_names, weights, training_config=None, optimizer_weights=None):
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        _write_layers(f.create_group("model_weights"), layer_names, weights)
        if optimizer_weights is not None:
            group = f.create_group("optimizer_weights")
            group.attrs["weight_names"] = [n.encode("utf8") for n, _ in optimizer_weights]
            for name, value in optimizer_weights:
                group.create_dataset(name, data=value)


def _run(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x.astype("float32"))).numpy()


def test_keras2_sequential_model_file(tmp_path):
    weights = _sequential_weights()
    path = tmp_path / "model.h5"
    training_config = {
        "loss": {"class_name": "MeanSquaredError", "config": {"reduction": "auto", "name": "mean_squared_error"}},
        "metrics": [[{"class_name": "MeanMetricWrapper",
                      "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"}}]],
        "weighted_metrics": None, "loss_weights": None,
        "optimizer_config": {"class_name": "Adam", "config": {
            "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
            "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
            "is_legacy_optimizer": False, "learning_rate": 0.004, "beta_1": 0.9, "beta_2": 0.999,
            "epsilon": 1e-07, "amsgrad": False}}}
    optimizer_weights = [("iteration:0", np.array(10, "int64")),
                         ("Adam/m/dense/kernel:0", np.ones((4, 3), "float32"))]
    _write_model_file(path, _sequential_config(), ["dense", "batch_normalization", "dense_1"], weights,
                      training_config, optimizer_weights)
    with pytest.warns(UserWarning, match="was not restored"):
        model = keras.saving.load_model(path)
    assert isinstance(model, keras.Sequential)
    assert [layer.name for layer in model.layers] == ["dense", "batch_normalization", "dense_1"]
    x = RNG.normal(size=(5, 4))
    np.testing.assert_allclose(_run(model, x), _sequential_expected(weights, x), rtol=1e-5, atol=1e-5)
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.004)
    assert int(model.optimizer.iterations) == 0  # a Keras 2 optimizer's state is not mapped
    logs = model.evaluate(x.astype("float32"), np.zeros((5, 2), "float32"), verbose=0, return_dict=True)
    prediction = _sequential_expected(weights, x)
    assert logs["loss"] == pytest.approx(np.mean(prediction ** 2), rel=1e-5)
    assert logs["mean_absolute_error"] == pytest.approx(np.mean(np.abs(prediction)), rel=1e-5)
    assert not keras.saving.load_model(path, compile=False).compiled


def test_keras2_functional_model_with_a_shared_layer(tmp_path):
    config = {"class_name": "Functional", "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_1"},
         "name": "input_1", "inbound_nodes": []},
        dict(_dense_config("shared", 3, "tanh"), name="shared",
             inbound_nodes=[[["input_1", 0, 0, {}]], [["shared", 0, 0, {}]]]),
        {"class_name": "Add", "config": {"name": "add", "trainable": True, "dtype": "float32"}, "name": "add",
         "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]},
    ], "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]]}}
    kernel, bias = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    path = tmp_path / "functional.h5"
    _write_model_file(path, config, ["input_1", "shared", "add"],
                      [("shared", [("shared/kernel:0", kernel), ("shared/bias:0", bias)])])
    with pytest.warns(UserWarning, match="No training configuration"):
        model = keras.saving.load_model(path)
    x = RNG.normal(size=(4, 3))
    first = np.tanh(x @ kernel + bias)
    np.testing.assert_allclose(_run(model, x), first + np.tanh(first @ kernel + bias), rtol=1e-5, atol=1e-5)


def test_load_weights_of_a_keras2_weights_file_by_order_and_by_name(tmp_path):
    weights = _sequential_weights()
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as f:  # tf.keras `model.save_weights("weights.h5")`: layers at the root
        _write_layers(f, ["dense", "batch_normalization", "dense_1"], weights)
    x = RNG.normal(size=(5, 4))
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="relu", name="a"),
                              L.BatchNormalization(name="b"), L.Dense(2, name="c")])
    model.load_weights(path)  # by order: the names differ
    np.testing.assert_allclose(_run(model, x), _sequential_expected(weights, x), rtol=1e-5, atol=1e-5)

    named = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="relu", name="dense"),
                              L.BatchNormalization(name="batch_normalization"), L.Dense(2, name="dense_1"),
                              L.Dense(2, name="extra")])
    extra_before = named.get_layer("extra").get_weights()
    named.load_weights(path, by_name=True)  # `extra` has no namesake in the file: left as it is
    trunk = keras.Sequential(named.layers[:3])
    np.testing.assert_allclose(_run(trunk, x), _sequential_expected(weights, x), rtol=1e-5, atol=1e-5)
    for a, b in zip(extra_before, named.get_layer("extra").get_weights()):
        np.testing.assert_array_equal(a, b)
    # the weights part of a whole-model file loads the same way
    model_path = tmp_path / "model.h5"
    _write_model_file(model_path, _sequential_config(), ["dense", "batch_normalization", "dense_1"], weights)
    model.load_weights(model_path)
    np.testing.assert_allclose(_run(model, x), _sequential_expected(weights, x), rtol=1e-5, atol=1e-5)


def test_mismatches_are_all_listed_and_nothing_is_loaded(tmp_path):
    weights = _sequential_weights()
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as f:
        _write_layers(f, ["dense", "batch_normalization", "dense_1"], weights)
    model = keras.Sequential([keras.Input((4,)), L.Dense(5, activation="relu"), L.BatchNormalization(),
                              L.Dense(2)])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError) as error:
        model.load_weights(path)
    message = str(error.value)
    assert "3 mismatches" in message and "nothing was loaded" in message
    assert "layer #0" in message and "has shape (4, 5), the file's '/dense/dense/kernel:0' has (4, 3)" in message
    assert "layer #1" in message and "layer #2" in message
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    fewer = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError, match=r"layer count mismatch: the model has 1 layers with weights"):
        fewer.load_weights(path)


def test_lambda_bytecode_is_refused_in_safe_mode(tmp_path):
    code, defaults, closure = serialization._func_dump(lambda t: t * 2.0)
    config = _sequential_config()
    config["config"]["layers"].append({"class_name": "Lambda", "config": {
        "name": "lambda", "trainable": True, "dtype": "float32", "function": [code, defaults, closure],
        "function_type": "lambda", "module": "__main__", "output_shape": None, "output_shape_type": "raw",
        "output_shape_module": None, "arguments": {}}})
    weights = _sequential_weights()
    path = tmp_path / "lambda.h5"
    _write_model_file(path, config, ["dense", "batch_normalization", "dense_1", "lambda"], weights)
    with pytest.raises(ValueError, match="arbitrary code execution.*safe_mode=False"):
        keras.saving.load_model(path, compile=False)
    model = keras.saving.load_model(path, compile=False, safe_mode=False)
    x = RNG.normal(size=(2, 4))
    np.testing.assert_allclose(_run(model, x), 2 * _sequential_expected(weights, x), rtol=1e-5, atol=1e-5)


def test_bad_legacy_files(tmp_path):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        keras.saving.load_model(tmp_path / "text.h5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        model.load_weights(tmp_path / "text.h5")
    with pytest.raises(ValueError, match="File not found"):
        keras.saving.load_model(tmp_path / "missing.h5")
    weights_only = tmp_path / "weights.h5"
    with h5py.File(weights_only, "w") as f:
        _write_layers(f, ["dense"], [("dense", [("dense/kernel:0", np.zeros((4, 3))),
                                                ("dense/bias:0", np.zeros(3))])])
    with pytest.raises(ValueError, match="No model config found.*load_weights"):
        keras.saving.load_model(weights_only)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["data"] = np.zeros(3)
    with pytest.raises(ValueError, match="no `layer_names` attribute"):
        model.load_weights(tmp_path / "other.h5")
    with h5py.File(weights_only, "a") as f:
        f["dense/link"] = h5py.SoftLink("/dense/dense")
        f["dense"].attrs["weight_names"] = [b"dense/kernel:0", b"link/bias:0"]
    with pytest.raises(ValueError, match="SoftLink"):
        model.load_weights(weights_only)
    with pytest.raises(ValueError, match="by_name"):
        model.load_weights(tmp_path / "m.weights.h5", by_name=True)


def test_torchkeras_legacy_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="relu"), L.BatchNormalization(),
                              L.Dense(2)])
    model.set_weights([w + 0.3 for w in model.get_weights()])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss=keras.losses.MeanSquaredError())
    model.fit(np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "m.h5"
    with pytest.warns(UserWarning, match="legacy"):
        model.save(path)
    with h5py.File(path) as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        assert legacy_h5.load_attributes(f["model_weights"], "layer_names") == [layer.name for layer in model.layers]
    loaded = keras.saving.load_model(path)
    x = RNG.normal(size=(3, 4))
    np.testing.assert_array_equal(_run(model, x), _run(loaded, x))
    assert int(loaded.optimizer.iterations) == 1
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_long_attribute_lists_are_chunked(tmp_path):
    with h5py.File(tmp_path / "a.h5", "w") as f:
        names = [f"layer_with_a_long_name_{i:05d}" * 20 for i in range(200)]
        legacy_h5.save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs
        assert legacy_h5.load_attributes(f, "layer_names") == names


def test_keras2_nested_models_count_their_construction_node(tmp_path):
    """tf.keras gave a nested (built) model a node of its own, so the first call of one is node 1."""
    nested_sequential = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}},
        _dense_config("dense", 4, "relu")]}, "name": "sequential", "inbound_nodes": [[["input_1", 0, 0, {}]]]}
    nested_functional = {"class_name": "Functional", "config": {"name": "inner", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "inner_in"},
         "name": "inner_in", "inbound_nodes": []},
        dict(_dense_config("inner_dense", 2, "tanh"), name="inner_dense", inbound_nodes=[[["inner_in", 0, 0, {}]]]),
    ], "input_layers": [["inner_in", 0, 0]], "output_layers": [["inner_dense", 0, 0]]},
        "name": "inner", "inbound_nodes": [[["dense_1", 0, 0, {}]]]}
    config = {"class_name": "Functional", "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_1"},
         "name": "input_1", "inbound_nodes": []},
        nested_sequential,
        dict(_dense_config("dense_1", 2), name="dense_1", inbound_nodes=[[["sequential", 1, 0, {}]]]),
        nested_functional,
    ], "input_layers": [["input_1", 0, 0]], "output_layers": [["inner", 1, 0]]}}
    k1, b1, k2, b2, k3, b3 = (RNG.normal(size=s) for s in ((3, 4), 4, (4, 2), 2, (2, 2), 2))
    path = tmp_path / "nested.h5"
    _write_model_file(path, config, ["input_1", "sequential", "dense_1", "inner"], [
        ("sequential", [("dense/kernel:0", k1), ("dense/bias:0", b1)]),
        ("dense_1", [("dense_1/kernel:0", k2), ("dense_1/bias:0", b2)]),
        ("inner", [("inner_dense/kernel:0", k3), ("inner_dense/bias:0", b3)])])
    model = keras.saving.load_model(path, compile=False)
    x = RNG.normal(size=(2, 3))
    expected = np.tanh((np.maximum(x @ k1 + b1, 0) @ k2 + b2) @ k3 + b3)
    np.testing.assert_allclose(_run(model, x), expected, rtol=1e-5, atol=1e-5)
