"""`.weights.h5` files: Keras's layout, round trips, and the safety rules (checked before loading,
atomic saves, no links)."""

import os

import h5py
import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras.saving import weights_file

L = keras.layers


def _functional():
    inputs = keras.Input((5, 4))
    shared = L.Dense(4)
    x = shared(shared(inputs))
    x = keras.Sequential([L.Dense(4), L.Dense(4)])(x)
    x = L.LSTM(3, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(2, return_sequences=True))(x)
    x = L.MultiHeadAttention(2, 3)(x, x)
    x = L.Conv1D(2, 3)(x)
    x = L.BatchNormalization()(x)
    return keras.Model(inputs, x)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [L.Dense(3), L.Dense(3)]
        self.heads = {"a": L.Dense(2)}
        self.head = L.Dense(1)

    def call(self, x):
        return self.head(self.heads["a"](self.blocks[1](self.blocks[0](x))))


def _subclassed():
    model = _Subclassed()
    model(torch.zeros(2, 4))
    return model


def _file_layout(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj.shape)
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def test_layout_is_keras_layout(tmp_path):
    path = tmp_path / "m.weights.h5"
    _functional().save_weights(path)
    layout = _file_layout(path)
    assert layout["layers/dense/vars/0"] == (4, 4)  # the shared layer, once
    assert "layers/dense_1/vars/0" not in layout
    assert layout["layers/sequential/layers/dense_1/vars/0"] == (4, 4)
    assert layout["layers/lstm/cell/vars/2"] == (12,)
    assert layout["layers/bidirectional/backward_layer/cell/vars/1"] == (2, 6)
    assert layout["layers/multi_head_attention/query_dense/vars/0"] == (4, 2, 3)
    assert layout["layers/conv1d/vars/0"] == (3, 4, 2)
    assert [layout[f"layers/batch_normalization/vars/{i}"] for i in range(4)] == [(2,)] * 4
    with h5py.File(path, "r") as f:
        assert f["vars"].attrs["name"] == "functional" or f["vars"].attrs["name"].startswith("functional")
        assert f["layers/lstm/vars"].attrs["name"].startswith("lstm")
    path = tmp_path / "s.weights.h5"
    _subclassed().save_weights(path)
    assert sorted(_file_layout(path)) == [
        "blocks/dense/vars/0", "blocks/dense/vars/1", "blocks/dense_1/vars/0", "blocks/dense_1/vars/1",
        "head/vars/0", "head/vars/1", "heads/dense/vars/0", "heads/dense/vars/1"]


@pytest.mark.parametrize("make", [_functional, _subclassed])
def test_round_trip_gives_the_same_function(tmp_path, make):
    source, target = make(), make()
    x = torch.rand(3, 5, 4) if make is _functional else torch.rand(3, 4)
    with torch.no_grad():
        for variable in source.weights:  # non-trainable state too (moving statistics)
            variable.value.add_(torch.rand(variable.shape))
    path = tmp_path / "m.weights.h5"
    source.save_weights(path)
    target.load_weights(path)
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    source.eval(), target.eval()
    torch.testing.assert_close(source(x), target(x), rtol=0, atol=0)


def test_mismatches_are_all_listed_and_nothing_is_loaded(tmp_path):
    path = tmp_path / "m.weights.h5"
    keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(2)]).save_weights(path)
    with h5py.File(path, "a") as f:
        f["layers/extra/vars/0"] = np.zeros(3, "float32")
    target = keras.Sequential([keras.Input((4,)), L.Dense(5), L.Dense(2), L.Dense(1)])
    before = [w.copy() for w in target.get_weights()]
    with pytest.raises(ValueError) as error:
        target.load_weights(path)
    message = str(error.value)
    assert "5 mismatches" in message and "nothing was loaded" in message
    assert "'layers/dense' (Dense" in message and "shape (4, 5), the file has (4, 3)" in message
    assert "'layers/dense_1'" in message and "'layers/dense_2' (Dense" in message  # wrong / missing
    assert "'layers/extra'" in message  # extra
    for a, b in zip(before, target.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_skip_mismatch_loads_what_fits(tmp_path):
    path = tmp_path / "m.weights.h5"
    source = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(2)])
    source.save_weights(path)
    target = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(7)])
    before = target.get_weights()[2].copy()
    with pytest.warns(UserWarning, match="layers/dense_1"):
        target.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_weights()[0], source.get_weights()[0])
    np.testing.assert_array_equal(target.get_weights()[2], before)


def test_filename_built_and_overwrite_errors(tmp_path):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    for bad in ("m.h5", "m.weights", "m.keras"):
        with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
            model.save_weights(tmp_path / bad)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.load_weights(tmp_path / "m.weights")
    unbuilt = keras.Sequential([L.Dense(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with pytest.raises(ValueError, match="overwrite=False"):
        model.save_weights(path, overwrite=False)


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    before = path.read_bytes()

    def broken(variable):
        raise RuntimeError("disk full")

    monkeypatch.setattr(weights_file, "_to_numpy", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save_weights(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.weights.h5"]


def test_links_in_the_file_are_refused(tmp_path):
    path = tmp_path / "m.weights.h5"
    model = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        f["layers/other"] = h5py.SoftLink("/layers/dense")
    with pytest.raises(ValueError, match="SoftLink"):
        model.load_weights(path)
