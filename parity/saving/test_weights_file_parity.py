"""`.weights.h5` both ways with real Keras: the same architecture built in both, weights saved by one
and loaded by the other, outputs compared (Sequential, Functional with a nested model and a shared
layer, subclassed; BatchNormalization state, convolutions, LSTM/GRU/Bidirectional, MultiHeadAttention)."""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import assert_close


def _sequential(k):
    L = k.layers
    return k.Sequential([k.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(),
                         L.MaxPooling2D(), L.Flatten(), L.Dense(5), L.Dense(2)])


def _functional(k):
    L = k.layers
    inputs = k.Input((6, 4))
    shared = L.Dense(4)
    x = shared(shared(inputs))
    x = k.Sequential([L.Dense(4), L.Dense(4)])(x)
    x = L.LSTM(3, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(2, return_sequences=True))(x)
    x = L.MultiHeadAttention(2, 3)(x, x)
    x = L.Conv1D(2, 3)(x)
    x = L.BatchNormalization()(x)
    return k.Model(inputs, x)


def _subclassed(k):
    L = k.layers

    class Net(k.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [L.Dense(6, activation="relu"), L.Dense(6)]
            self.norm = L.BatchNormalization()
            self.head = L.Dense(2)

        def call(self, x, training=False):
            for block in self.blocks:
                x = block(x)
            return self.head(self.norm(x, training=training))

    model = Net()
    model(np.zeros((2, 4), "float32"))
    return model


CASES = {"sequential": (_sequential, (3, 8, 8, 3)), "functional": (_functional, (3, 6, 4)),
         "subclassed": (_subclassed, (3, 4))}


def _perturb_state(keras_model):
    """Moves every Keras variable (moving statistics included) off its initial value."""
    rng = np.random.default_rng(1)
    keras_model.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(w.dtype)
                             for w in keras_model.get_weights()])


@pytest.mark.parametrize("case", sorted(CASES))
def test_keras_file_loads_into_torchkeras(tmp_path, case, device):
    make, shape = CASES[case]
    keras_model = make(keras)
    _perturb_state(keras_model)
    path = str(tmp_path / "k.weights.h5")
    keras_model.save_weights(path)
    model = make(torchkeras)
    model.load_weights(path)
    model.to(device).eval()
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    expected = keras.ops.convert_to_numpy(keras_model(x, training=False))
    with torch.no_grad():
        got = model(torch.from_numpy(x).to(device)).cpu().numpy()
    assert_close(expected, got, atol=1e-4, rtol=1e-4, what=case)


@pytest.mark.parametrize("case", sorted(CASES))
def test_torchkeras_file_loads_into_keras(tmp_path, case, device):
    make, shape = CASES[case]
    model = make(torchkeras)
    with torch.no_grad():
        for variable in model.weights:
            variable.value.add_(torch.rand(variable.shape) * 0.4 + 0.1)
    model.to(device)
    path = str(tmp_path / "t.weights.h5")
    model.save_weights(path)
    keras_model = make(keras)
    keras_model.load_weights(path)
    model.eval()
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    expected = keras.ops.convert_to_numpy(keras_model(x, training=False))
    with torch.no_grad():
        got = model(torch.from_numpy(x).to(device)).cpu().numpy()
    assert_close(expected, got, atol=1e-4, rtol=1e-4, what=case)


def test_file_of_a_trained_keras_model_with_optimizer_state(tmp_path):
    keras_model = _sequential(keras)
    keras_model.compile("adam", "mse")
    x = np.random.default_rng(0).random((8, 8, 8, 3), dtype=np.float32)
    keras_model.fit(x, np.ones((8, 2), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "trained.weights.h5")
    keras_model.save_weights(path)  # holds `optimizer/vars/...` too
    model = _sequential(torchkeras)
    model.load_weights(path)
    model.eval()
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    assert_close(keras.ops.convert_to_numpy(keras_model(x, training=False)), got, atol=1e-4, rtol=1e-4,
                 what="trained")
