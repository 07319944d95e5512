"""`.keras` archives (and Keras 3's legacy `.h5`) both ways with real Keras: Keras builds, trains briefly
and saves Sequential, Functional (nested model, shared layer) and custom-object models; torchkeras loads
them, outputs and optimizer state agree, and training continues as in Keras. torchkeras saves, Keras
loads, the same checks. Plus the error cases on Keras-written files."""

import io
import re
import zipfile

import h5py
import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import assert_close


def _sequential(k):
    L = k.layers
    return k.Sequential([k.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same", activation="relu"),
                         L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(), L.Dropout(0.2),
                         L.Dense(6, activation="relu"), L.Dense(3)])


def _functional(k):
    L = k.layers
    inputs = k.Input((5, 4), name="seq")  # nested Functional, nested Sequential, a layer shared 3 times
    shared = L.Dense(4, activation="tanh", name="shared")
    x = shared(shared(inputs))
    inner_inputs = k.Input((5, 4))
    inner = k.Model(inner_inputs, L.LayerNormalization()(L.Dense(4)(inner_inputs)), name="inner")
    x = inner(x)
    x = k.Sequential([L.Dense(4, activation="relu"), L.Dense(4)], name="stack")(x)
    x = L.LSTM(3, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(2))(x)
    side = L.GlobalAveragePooling1D()(shared(inputs))
    return k.Model(inputs, L.Dense(2, name="head")(L.concatenate([x, side])))


_CUSTOM_CLASSES = {}


def _scale_class(k):
    """The same custom layer, written once for each framework, registered under one name."""
    if k.__name__ not in _CUSTOM_CLASSES:
        @k.saving.register_keras_serializable(package="archive_parity")
        class Scale(k.layers.Layer):
            def __init__(self, factor=2.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def build(self, input_shape):
                self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

            def call(self, x):
                return x * self.gain * self.factor

            def get_config(self):
                return {**super().get_config(), "factor": self.factor}

        _CUSTOM_CLASSES[k.__name__] = Scale
    return _CUSTOM_CLASSES[k.__name__]


# Both registered up front: loading a file needs the loader's class registered, as in Keras.
_scale_class(keras)
_scale_class(torchkeras)


def _custom(k):
    L = k.layers
    inputs = k.Input((6,))
    x = _scale_class(k)(1.5)(inputs)
    return k.Model(inputs, L.Dense(2)(L.Dense(5, activation="relu")(x)))


def _mlp(k):
    L = k.layers
    return k.Sequential([k.Input((6,)), L.Dense(8, activation="relu"), L.Dense(3)])


CASES = {"sequential": (_sequential, (3, 8, 8, 3), (3, 3)), "functional": (_functional, (3, 5, 4), (3, 2)),
         "custom": (_custom, (3, 6), (3, 2))}


def _data(shape, out_shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random(shape, dtype=np.float32), rng.random(out_shape, dtype=np.float32)


def _keras_out(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


def _torchkeras_out(model, x, device):
    model.to(device).eval()
    with torch.no_grad():
        return model(torch.from_numpy(x).to(device)).cpu().numpy()


def _train_keras(model, shape, out_shape):
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = _data((16,) + shape[1:], (16,) + out_shape[1:], seed=1)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_keras_archive_loads_into_torchkeras(tmp_path, case, device):
    make, shape, out_shape = CASES[case]
    keras_model = make(keras)
    _train_keras(keras_model, shape, out_shape)
    path = str(tmp_path / "k.keras")
    keras_model.save(path)
    model = torchkeras.saving.load_model(path)
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    assert model.count_params() == keras_model.count_params()
    x, _ = _data(shape, out_shape)
    assert_close(_keras_out(keras_model, x), _torchkeras_out(model, x, device), atol=1e-4, rtol=1e-4, what=case)
    # The optimizer comes back compiled, with Keras's state, variable for variable.
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations) == int(keras_model.optimizer.iterations) == 4
    _assert_same_optimizer_state(keras_model.optimizer, model.optimizer, case)


def _assert_same_optimizer_state(keras_optimizer, optimizer, case):
    """Variable for variable, bit for bit."""
    keras_state = [keras.ops.convert_to_numpy(v) for v in keras_optimizer.variables]
    ours = [v.detach().cpu().numpy() for v in optimizer.variables]
    assert len(keras_state) == len(ours)
    for i, (a, b) in enumerate(zip(keras_state, ours)):
        assert_close(a, b, atol=0, rtol=0, what=f"{case} optimizer variable {i}")


def _assert_one_more_epoch_alike(keras_model, model):
    """Both sides train one more epoch on the same data: their weights stay together."""
    x, y = _data((16, 6), (16, 3), seed=2)
    keras_model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for i, (a, b) in enumerate(zip(keras_model.get_weights(), model.get_weights())):
        assert_close(a, b, atol=1e-6, rtol=1e-5, what=f"weight {i} after one more epoch")


def test_training_continues_as_in_keras_after_loading(tmp_path):
    keras_model = _mlp(keras)
    _train_keras(keras_model, (3, 6), (3, 3))
    path = str(tmp_path / "k.keras")
    keras_model.save(path)
    model = torchkeras.saving.load_model(path)
    _assert_one_more_epoch_alike(keras_model, model)


@pytest.mark.parametrize("case", sorted(CASES))
def test_torchkeras_archive_loads_into_keras(tmp_path, case, device):
    make, shape, out_shape = CASES[case]
    model = make(torchkeras)
    model.compile(optimizer=torchkeras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x_train, y_train = _data((16,) + shape[1:], (16,) + out_shape[1:], seed=1)
    model.fit(x_train, y_train, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "t.keras")
    model.save(path)
    keras_model = keras.saving.load_model(path)
    x, _ = _data(shape, out_shape)
    assert_close(_keras_out(keras_model, x), _torchkeras_out(model, x, device), atol=1e-4, rtol=1e-4, what=case)
    assert int(keras_model.optimizer.iterations) == 4
    _assert_same_optimizer_state(keras_model.optimizer, model.optimizer, case)


def test_keras_continues_training_a_torchkeras_archive(tmp_path):
    model = _mlp(torchkeras)
    model.compile(optimizer=torchkeras.optimizers.Adam(0.01), loss="mse")
    x, y = _data((16, 6), (16, 3), seed=1)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "t.keras")
    model.save(path)
    keras_model = keras.saving.load_model(path)
    _assert_one_more_epoch_alike(keras_model, model)


def test_uncompiled_keras_archive(tmp_path, device):
    keras_model = _functional(keras)
    path = str(tmp_path / "k.keras")
    keras_model.save(path)
    model = torchkeras.saving.load_model(path)
    assert not model.compiled
    x, _ = _data((3, 5, 4), (3, 2))
    assert_close(_keras_out(keras_model, x), _torchkeras_out(model, x, device), atol=1e-4, rtol=1e-4, what="outputs")
    # and back: torchkeras's archive of the same model gives Keras the same function
    model.to("cpu").save(tmp_path / "t.keras")
    again = keras.saving.load_model(str(tmp_path / "t.keras"))
    assert_close(_keras_out(keras_model, x), _keras_out(again, x), atol=1e-6, rtol=1e-6, what="outputs")


def test_keras_lambda_needs_safe_mode_off(tmp_path, device):
    inputs = keras.Input((4,))
    keras_model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 3.0 - 1.0)(keras.layers.Dense(2)(inputs)))
    path = str(tmp_path / "k.keras")
    keras_model.save(path)
    with pytest.raises(ValueError, match="arbitrary code execution.*safe_mode=False"):
        torchkeras.saving.load_model(path)
    model = torchkeras.saving.load_model(path, safe_mode=False)
    x, _ = _data((3, 4), (3, 2))
    assert_close(_keras_out(keras_model, x), _torchkeras_out(model, x, device), atol=1e-5, rtol=1e-5, what="outputs")


def test_keras_archive_whose_weights_do_not_fit(tmp_path):
    keras_model = _mlp(keras)
    path = tmp_path / "k.keras"
    keras_model.save(str(path))
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        del f["layers/dense_1/vars/1"]
        f["layers/dense/vars/0"][...] = 0
        f["layers/dense/vars/2"] = np.zeros(3, "float32")
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError) as error:
        torchkeras.saving.load_model(path)
    message = str(error.value)
    assert "2 mismatches" in message
    assert re.search(r"'layers/dense' \(Dense '\w+'\): expected 2 variables .*the file has 3", message)
    assert re.search(r"'layers/dense_1' \(Dense '\w+'\): expected 2 variables .*the file has 1", message)


def test_keras_legacy_h5_model_loads_into_torchkeras(tmp_path, device):
    keras_model = _functional(keras)
    # A loss object: Keras 3.15 cannot reload its own legacy files compiled with the string "mse".
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.MeanSquaredError())
    x, y = _data((16, 5, 4), (16, 2), seed=1)
    keras_model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "k.h5")
    keras_model.save(path)
    model = torchkeras.saving.load_model(path)
    x, _ = _data((3, 5, 4), (3, 2))
    assert_close(_keras_out(keras_model, x), _torchkeras_out(model, x, device), atol=1e-4, rtol=1e-4, what="outputs")
    assert model.compiled and int(model.optimizer.iterations) == 2
    keras_state = [keras.ops.convert_to_numpy(v) for v in keras_model.optimizer.variables]
    for i, (a, b) in enumerate(zip(keras_state, model.optimizer.variables)):
        assert_close(a, b.detach().cpu().numpy(), atol=0, rtol=0, what=f"optimizer variable {i}")
    # load_weights of the same file into a model built by code, matched by layer order
    rebuilt = _functional(torchkeras)
    rebuilt.load_weights(path)
    assert_close(_keras_out(keras_model, x), _torchkeras_out(rebuilt, x, device), atol=1e-4, rtol=1e-4, what="outputs")


def test_torchkeras_legacy_h5_model_loads_into_keras(tmp_path, device):
    model = _sequential(torchkeras)
    model.compile(optimizer=torchkeras.optimizers.Adam(0.01), loss=torchkeras.losses.MeanSquaredError())
    x, y = _data((16, 8, 8, 3), (16, 3), seed=1)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "t.h5")
    with pytest.warns(UserWarning, match="legacy"):
        model.save(path)
    keras_model = keras.saving.load_model(path)
    x, _ = _data((3, 8, 8, 3), (3, 3))
    assert_close(_keras_out(keras_model, x), _torchkeras_out(model, x, device), atol=1e-4, rtol=1e-4, what="outputs")
    assert int(keras_model.optimizer.iterations) == 2


OPTIMIZERS = {
    "sgd_momentum": lambda k: k.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda k: k.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adamw": lambda k: k.optimizers.AdamW(0.01, weight_decay=0.1, amsgrad=True),
    "adam_schedule": lambda k: k.optimizers.Adam(k.optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)),
    "adam_ema": lambda k: k.optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=3),
    "nadam": lambda k: k.optimizers.Nadam(0.01),
    "adagrad": lambda k: k.optimizers.Adagrad(0.05),
    "adadelta": lambda k: k.optimizers.Adadelta(0.5),
    "adamax": lambda k: k.optimizers.Adamax(0.01),
    "lion": lambda k: k.optimizers.Lion(0.001),
    "ftrl": lambda k: k.optimizers.Ftrl(0.05),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_state_of_every_optimizer_maps_exactly(tmp_path, name):
    keras_model = _mlp(keras)
    keras_model.compile(optimizer=OPTIMIZERS[name](keras), loss="mse")
    x, y = _data((16, 6), (16, 3), seed=1)
    keras_model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "k.keras")
    keras_model.save(path)
    model = torchkeras.saving.load_model(path)
    assert type(model.optimizer).__name__ == type(keras_model.optimizer).__name__
    keras_state = [keras.ops.convert_to_numpy(v) for v in keras_model.optimizer.variables]
    ours = [v.detach().cpu().numpy() for v in model.optimizer.variables]
    assert len(keras_state) == len(ours)
    for i, (a, b) in enumerate(zip(keras_state, ours)):
        assert_close(a, b, atol=0, rtol=0, what=f"{name} optimizer variable {i}")
    x, y = _data((16, 6), (16, 3), seed=2)
    keras_model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for i, (a, b) in enumerate(zip(keras_model.get_weights(), model.get_weights())):
        assert_close(a, b, atol=1e-6, rtol=1e-5, what=f"{name}: weight {i} after one more epoch")
    # and torchkeras's archive of the trained model gives Keras the same optimizer state
    model.save(tmp_path / "t.keras")
    again = keras.saving.load_model(str(tmp_path / "t.keras"))
    for i, (a, b) in enumerate(zip(again.optimizer.variables, model.optimizer.variables)):
        assert_close(keras.ops.convert_to_numpy(a), b.detach().cpu().numpy(), atol=0, rtol=0,
                     what=f"{name} optimizer variable {i}, torchkeras -> Keras")


def _two_headed(k):
    """Seed 001's two-input, two-headed model, compiled with dict losses, loss weights and metrics, loss and
    metric objects among them (the compile config holds them serialized inside dicts and lists)."""
    L = k.layers
    pixels, metadata = k.Input(shape=(20,), name="pixels"), k.Input(shape=(8,), name="metadata")
    merged = L.concatenate([L.Dense(12, activation="relu")(pixels), L.Dense(4, activation="relu")(metadata)])
    model = k.Model([pixels, metadata], [L.Dense(10, activation="softmax", name="digit")(merged),
                                         L.Dense(1, activation="sigmoid", name="is_hard")(merged)])
    model.compile(optimizer="adam", loss={"digit": "sparse_categorical_crossentropy",
                                          "is_hard": k.losses.BinaryCrossentropy(label_smoothing=0.1)},
                  loss_weights={"digit": 1.0, "is_hard": 0.3},
                  metrics={"digit": ["accuracy", k.metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")],
                           "is_hard": [k.metrics.BinaryAccuracy(name="acc")]})
    return model


@pytest.mark.parametrize("direction", ["keras_to_torchkeras", "torchkeras_to_keras"])
def test_two_headed_compiled_model_trains_on_identically(tmp_path, direction):
    rng = np.random.default_rng(0)
    x = {"pixels": rng.random((32, 20), dtype=np.float32), "metadata": rng.random((32, 8), dtype=np.float32)}
    y = {"digit": rng.integers(0, 10, 32), "is_hard": rng.integers(0, 2, (32, 1)).astype("float32")}
    source_lib, target_lib = (keras, torchkeras) if direction == "keras_to_torchkeras" else (torchkeras, keras)
    source = _two_headed(source_lib)
    source.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    path = str(tmp_path / "two.keras")
    source.save(path)
    target = target_lib.saving.load_model(path)
    assert target.compiled and int(target.optimizer.iterations) == 2
    got = target.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False).history
    expected = source.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False).history
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert_close(np.float32(expected[key][0]), np.float32(got[key][0]), atol=1e-6, rtol=1e-5, what=key)
    for i, (a, b) in enumerate(zip(source.get_weights(), target.get_weights())):
        assert_close(a, b, atol=1e-6, rtol=1e-5, what=f"weight {i}")
