"""`.keras` archives (torch only): torchkeras saves and loads its own archives in Keras 3's layout, with
compile config and optimizer state; the safety rules (Lambda bytecode, links, bad files, mismatches
checked before loading, atomic saves). Real Keras reads and writes these files in
parity/saving/test_keras_archive_parity.py."""

import io
import json
import os
import re
import zipfile

import h5py
import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras.saving import keras_archive
from torchkeras.utils import file_utils

L = keras.layers


def _sequential(dropout=True):
    return keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.BatchNormalization()]
                            + ([L.Dropout(0.1)] if dropout else []) + [L.Dense(3)])


def _functional():
    inputs = keras.Input((6,), name="features")
    shared = L.Dense(6, activation="tanh", name="shared")
    x = shared(shared(inputs))
    inner = keras.Sequential([keras.Input((6,)), L.Dense(4), L.Dense(4)], name="inner")
    x = inner(x)
    merged = L.concatenate([x, shared(inputs)])
    return keras.Model(inputs, L.Dense(2, name="head")(merged))


@keras.saving.register_keras_serializable(package="archive_tests")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, x):
        return x * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    pass


def _custom():
    inputs = keras.Input((6,))
    return keras.Model(inputs, L.Dense(2)(Scale(3.0)(inputs)))


def _perturb(model):
    rng = np.random.default_rng(3)
    model.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(w.dtype) for w in model.get_weights()])


def _as_json(config):
    return json.loads(keras_archive.dumps(config))


def _x():
    return torch.from_numpy(np.random.default_rng(0).random((4, 6), dtype=np.float32))


def _outputs(model, x):
    with torch.no_grad():
        return model(x).numpy()


@pytest.mark.parametrize("make", [_sequential, _functional, _custom], ids=["sequential", "functional", "custom"])
def test_round_trip_gives_the_same_model(tmp_path, make):
    model = make()
    _perturb(model)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert _as_json(loaded.get_config()) == _as_json(model.get_config())
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = _x()
    np.testing.assert_array_equal(_outputs(model, x), _outputs(loaded, x))
    assert keras.models.load_model is keras.saving.load_model


def test_shared_layer_stays_shared(tmp_path):
    model = _functional()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    shared = loaded.get_layer("shared")
    assert len(shared._inbound_nodes) == 3
    assert sum(1 for layer in loaded.layers if layer.name == "shared") == 1


def test_archive_layout_is_keras_layout(tmp_path):
    model = _sequential()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(np.ones((8, 6), "float32"), np.zeros((8, 3), "float32"), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        weights = io.BytesIO(archive.read("model.weights.h5"))
    assert metadata["keras_version"].startswith("3.")
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["optimizer"]["config"]["learning_rate"] == pytest.approx(0.01)
    assert config["compile_config"]["loss"] == "mse"
    with h5py.File(weights, "r") as f:
        found = {}
        f.visititems(lambda name, obj: found.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset) else None)
        assert f["vars"].attrs["name"] == model.name
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name  # "adam", or "adam_<k>" after others
    assert found["layers/dense/vars/0"] == (6, 5)
    assert found["layers/batch_normalization/vars/3"] == (5,)
    assert found["layers/dense_1/vars/1"] == (3,)
    # iteration, learning rate, then momentum and velocity of each of the 6 trainable variables in turn
    assert [found[f"optimizer/vars/{i}"] for i in range(14)] == [(), (), (6, 5), (6, 5), (5,), (5,), (5,), (5,),
                                                                 (5,), (5,), (5, 3), (5, 3), (3,), (3,)]


def test_optimizer_state_is_restored_and_training_continues_identically(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.random((16, 6), dtype=np.float32), rng.random((16, 3), dtype=np.float32)
    model = _sequential(dropout=False)  # dropout's random stream is not part of the file
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.compiled and int(loaded.optimizer.iterations) == 4
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    uncompiled = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    assert not uncompiled.compiled


def test_compiled_but_untrained_model_round_trips(tmp_path):
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).__name__ == "SGD" and int(loaded.optimizer.iterations) == 0


def test_optimizer_state_that_does_not_fit_raises(tmp_path):
    model = _sequential()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 6), "float32"), np.zeros((8, 3), "float32"), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    _rewrite_weights(path, lambda f: f.__delitem__("optimizer/vars/13"))
    with pytest.raises(ValueError, match=r"optimizer state .* does not fit.*compile=False") as error:
        keras.saving.load_model(path)
    assert "has 14 variables" in str(error.value) and "the file has 13" in str(error.value)
    keras.saving.load_model(path, compile=False)  # the model itself still loads


def _rewrite_weights(path, edit):
    """Rewrites the archive at `path` with `edit(h5file)` applied to its weights."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_weights_that_do_not_fit_are_all_listed(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)

    def edit(f):
        del f["layers/dense/vars/1"]
        data = f["layers/dense_1/vars/0"][()]
        del f["layers/dense_1/vars/0"]
        f["layers/dense_1/vars/0"] = np.zeros((data.shape[0] + 1, data.shape[1]), data.dtype)
        f["layers/stray/vars/0"] = np.zeros(2, "float32")

    _rewrite_weights(path, edit)
    with pytest.raises(ValueError) as error:
        keras.saving.load_model(path)
    message = str(error.value)
    assert "3 mismatches" in message and "nothing was loaded" in message
    assert re.search(r"'layers/dense' \(Dense '\w+'\): expected 2 variables", message)
    assert re.search(r"variable 0 \(`\w+/kernel`\) has shape \(5, 3\), the file has \(6, 3\)", message)
    assert "'layers/stray'" in message


def test_load_weights_from_an_archive_leaves_the_model_untouched_on_mismatch(tmp_path):
    path = tmp_path / "m.keras"
    source = _sequential()
    _perturb(source)
    source.save(path)
    target = _sequential()
    target.load_weights(path)
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = keras.Sequential([keras.Input((6,)), L.Dense(4), L.BatchNormalization(), L.Dense(3)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match="do not fit"):
        other.load_weights(path)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lambda_bytecode_needs_safe_mode_off(tmp_path):
    inputs = keras.Input((6,))
    model = keras.Model(inputs, L.Lambda(lambda t: t * 2.0 + 1.0)(L.Dense(3)(inputs)))
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "__lambda__" in archive.read("config.json").decode()
    with pytest.raises(ValueError, match="arbitrary code execution.*safe_mode=False"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    x = _x()
    np.testing.assert_allclose(_outputs(model, x), _outputs(loaded, x), rtol=1e-6)


def test_custom_objects(tmp_path):
    inputs = keras.Input((6,))
    model = keras.Model(inputs, Unregistered(2.0, name="unregistered")(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(TypeError, match="Could not locate class 'Unregistered'.*custom_objects"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.get_layer("unregistered"), Unregistered)


def test_an_unknown_class_deep_in_a_large_model_is_named_first_and_briefly(tmp_path):
    inputs = keras.Input((6,))
    x = inputs
    for i in range(200):
        x = keras.layers.Dense(6, name=f"dense_{i}")(x)
    model = keras.Model(inputs, Unregistered(2.0, name="unregistered")(x), name="deep")
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(TypeError) as info:
        keras.saving.load_model(path)
    message = str(info.value)
    assert message.startswith("Functional 'deep' could not be deserialized: Could not locate class 'Unregistered'")
    assert len(message) < 3000, len(message)  # the config is about 200 times longer


def test_bad_files_raise_clear_errors(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match="File not found"):
        keras.saving.load_model(tmp_path / "missing.keras")
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="expected a zip archive"):
        keras.saving.load_model(tmp_path / "text.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("something.txt", "x")
    with pytest.raises(ValueError, match=r"no `config.json`.*something.txt"):
        keras.saving.load_model(tmp_path / "empty.keras")
    with zipfile.ZipFile(tmp_path / "badjson.keras", "w") as archive:
        archive.writestr("config.json", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        keras.saving.load_model(tmp_path / "badjson.keras")
    model.save(tmp_path / "ok.keras")
    with zipfile.ZipFile(tmp_path / "ok.keras") as archive:
        config = archive.read("config.json")
    with zipfile.ZipFile(tmp_path / "noweights.keras", "w") as archive:
        archive.writestr("config.json", config)
    with pytest.raises(ValueError, match=r"no `model.weights.h5`"):
        keras.saving.load_model(tmp_path / "noweights.keras")
    with zipfile.ZipFile(tmp_path / "badweights.keras", "w") as archive:
        archive.writestr("config.json", config)
        archive.writestr("model.weights.h5", b"\x00" * 64)
    with pytest.raises(ValueError, match=r"`model.weights.h5` is not an HDF5 file"):
        keras.saving.load_model(tmp_path / "badweights.keras")
    truncated = (tmp_path / "ok.keras").read_bytes()[:-40]
    (tmp_path / "truncated.keras").write_bytes(truncated)
    with pytest.raises(ValueError, match="expected a zip archive"):
        keras.saving.load_model(tmp_path / "truncated.keras")
    with pytest.raises(ValueError, match="File format not supported"):
        keras.saving.load_model(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=r"Invalid filepath extension for saving.*\.keras"):
        model.save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="overwrite=False"):
        model.save(tmp_path / "ok.keras", overwrite=False)


def test_links_in_the_weights_are_refused(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    _rewrite_weights(path, lambda f: f.__setitem__("layers/other", h5py.SoftLink("/layers/dense")))
    with pytest.raises(ValueError, match="SoftLink"):
        keras.saving.load_model(path)


def test_compressed_archive_loads(tmp_path):
    model = _functional()
    _perturb(model)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    x = _x()
    np.testing.assert_array_equal(_outputs(model, x), _outputs(keras.saving.load_model(path), x))


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = _sequential()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    from torchkeras.saving import weights_file

    def broken(variable):
        raise RuntimeError("disk full")

    monkeypatch.setattr(weights_file, "_to_numpy", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.keras"]


def test_saved_file_has_the_default_permissions(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    assert os.stat(path).st_mode & 0o777 == file_utils.default_file_mode()


def test_model_checkpoint_saves_keras_archives(tmp_path):
    model = _sequential()
    model.compile(optimizer="adam", loss="mse")
    path = str(tmp_path / "ckpt-{epoch:02d}.keras")
    model.fit(np.ones((8, 6), "float32"), np.zeros((8, 3), "float32"), epochs=2, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(path, save_weights_only=False, monitor="loss")])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01.keras", "ckpt-02.keras"]
    loaded = keras.saving.load_model(tmp_path / "ckpt-02.keras")
    assert int(loaded.optimizer.iterations) == 2
    x = _x()
    np.testing.assert_array_equal(_outputs(model, x), _outputs(loaded, x))


def test_compile_config_that_cannot_be_saved_is_left_out_with_a_warning(tmp_path):
    model = _sequential(dropout=False)
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss="mse")
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning, match="compile config .* cannot be saved"):
        model.save(path)
    loaded = keras.saving.load_model(path)
    assert not loaded.compiled
    x = _x()
    np.testing.assert_array_equal(_outputs(model, x), _outputs(loaded, x))


def test_unzipped_archive_folder_loads(tmp_path):
    model = _functional()
    _perturb(model)
    model.save(tmp_path / "m.keras")
    folder = tmp_path / "unzipped"
    folder.mkdir()
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        for name in archive.namelist():  # by name, as Keras's `zipped=False` folder holds them
            (folder / name).write_bytes(archive.read(name))
    x = _x()
    np.testing.assert_array_equal(_outputs(model, x), _outputs(keras.saving.load_model(folder), x))


@keras.saving.register_keras_serializable(package="archive_tests")
class CountingOnes(keras.initializers.Initializer):
    calls = 0

    def __call__(self, shape, dtype=None):
        CountingOnes.calls += 1
        return torch.ones(shape)

    def get_config(self):
        return {}


def test_loading_skips_initial_values_only_in_the_loading_thread(tmp_path):
    import threading

    from torchkeras.layers import call_context

    model = keras.Sequential([keras.Input((3,)), L.Dense(2, kernel_initializer=CountingOnes())])
    _perturb(model)
    model.save(tmp_path / "m.keras")
    before = CountingOnes.calls
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert CountingOnes.calls == before  # every weight comes from the file: no initial values computed
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    built_elsewhere = []
    with call_context.initializers_skipped():
        thread = threading.Thread(target=lambda: built_elsewhere.append(
            keras.Sequential([keras.Input((3,)), L.Dense(2, kernel_initializer=CountingOnes())])))
        thread.start()
        thread.join()
    np.testing.assert_array_equal(built_elsewhere[0].get_weights()[0], np.ones((3, 2), "float32"))
