"""`compile(jit_compile=...)`: training through `torch.compile` gives the training eager mode gives.

The tests use dynamo's `"eager"` backend (the graph capture is what is tested; inductor's code generation
would only cost minutes on CPU). The forward pass and loss are compiled with `fullgraph=True`, which
raises on any graph break: the absence of the fallback warning means the seed's models compile as one
graph.
"""

import warnings

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers
from torchkeras.trainers import trainer as trainer_module

JIT = {"backend": "eager"}


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def two_headed():
    img_in = keras.Input(shape=(784,), name="pixels")
    meta_in = keras.Input(shape=(8,), name="metadata")
    x = layers.Dense(32, activation="relu")(img_in)
    m = layers.Dense(4, activation="relu")(meta_in)
    merged = layers.concatenate([x, m])
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    hard = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return keras.Model([img_in, meta_in], [digit, hard])


def data(n=40):
    rng = np.random.default_rng(0)
    x = {"pixels": rng.random((n, 784), dtype=np.float32), "metadata": rng.random((n, 8), dtype=np.float32)}
    y = {"digit": rng.integers(0, 10, size=(n,)), "is_hard": rng.integers(0, 2, size=(n, 1)).astype("float32")}
    return x, y


def compile_two_headed(model, jit_compile):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss={"digit": "sparse_categorical_crossentropy", "is_hard": "binary_crossentropy"},
        loss_weights={"digit": 1.0, "is_hard": 0.3},
        metrics={"digit": ["accuracy"]},
        jit_compile=jit_compile,
    )


def test_two_headed_model_trains_the_same_through_torch_compile():
    eager, compiled = two_headed(), two_headed()
    compiled.set_weights(eager.get_weights())
    compile_two_headed(eager, False)
    compile_two_headed(compiled, JIT)
    x, y = data(32)  # full batches only: a partial one would cost a second (dynamic-shape) compile
    fit = dict(epochs=2, batch_size=16, shuffle=False, verbose=0)
    expected = eager.fit(x, y, **fit).history
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        received = compiled.fit(x, y, **fit).history
        predictions = compiled.predict(x, batch_size=16, verbose=0)
    assert not [w for w in caught if "one graph" in str(w.message)], [str(w.message) for w in caught]
    assert sorted(received) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(received[key], expected[key], rtol=1e-5, atol=1e-7, err_msg=key)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    for a, b in zip(eager.predict(x, batch_size=16, verbose=0), predictions):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def test_custom_train_step_is_compiled_whole():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, use_bias=False, kernel_initializer="ones")
            self.steps = 0

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            loss.backward()
            self.optimizer.step()
            self.steps += 1
            return {"step_loss": loss.detach()}

    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", jit_compile=JIT)
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    history = model.fit(x, y, batch_size=2, verbose=0)
    assert history.history["step_loss"] == [pytest.approx(2.5)]
    np.testing.assert_allclose(model.get_weights()[0], [[0.5]], rtol=1e-6)


def test_missing_cpu_compiler_falls_back_to_eager_with_a_warning(monkeypatch):
    monkeypatch.setattr(trainer_module, "_cpu_compiler_available", lambda: False)
    model = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", jit_compile=True)
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    with pytest.warns(UserWarning, match="needs a C\\+\\+ compiler"):
        model.fit(x, y, batch_size=2, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], [[0.5]], rtol=1e-6)


def test_jit_compile_arguments():
    model = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile="auto")
    assert model.jit_compile is False
    with pytest.warns(UserWarning, match="run_eagerly"):
        model.compile(optimizer="sgd", loss="mse", jit_compile=True, run_eagerly=True)
    assert model.jit_compile is False
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile(optimizer="sgd", loss="mse", jit_compile="xla")
