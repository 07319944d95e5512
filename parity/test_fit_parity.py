"""`compile`/`fit`/`evaluate`/`predict` against real Keras (torch backend): the same models with the same
initial weights and the same batches give the same per-epoch logs, final weights and outputs.

Seed 001's two-headed model (dict losses, loss weights, metrics), its Sequential MLP and its subclassed
MLP; SGD and Adam; 3 epochs; `validation_split` (so `val_*` logs are compared too); a partial last batch
(so batch-size weighting of the epoch means is compared). Bound: 1e-4 relative (DESIGN.md's whole-model
bound), with a 1e-6 absolute floor for values near zero.
"""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.models.test_functional_parity import two_headed

RTOL, ATOL = 1e-4, 1e-6


def sequential_mlp(module, regularizer=None):
    layers = module.layers
    return module.Sequential([
        module.Input(shape=(784,)),
        layers.Dense(256, activation="relu", kernel_regularizer=regularizer),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="mlp_sequential")


def subclassed_mlp(module):
    layers = module.layers

    class MLP(module.Model):
        def __init__(self, hidden_units=(256, 64), num_classes=10, **kwargs):
            super().__init__(**kwargs)
            self.hidden = [layers.Dense(u, activation="relu") for u in hidden_units]
            self.head = layers.Dense(num_classes, activation="softmax")

        def call(self, inputs, training=False):
            x = inputs
            for layer in self.hidden:
                x = layer(x)
            return self.head(x)

    model = MLP(name="mlp_subclassed")
    model(np.zeros((1, 784), dtype="float32"))
    return model


def optimizer(module, name):
    return module.optimizers.SGD(learning_rate=0.05) if name == "sgd" else module.optimizers.Adam()


def two_headed_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = {"pixels": rng.random((n, 784), dtype=np.float32), "metadata": rng.random((n, 8), dtype=np.float32)}
    y = {"digit": rng.integers(0, 10, size=(n,)), "is_hard": rng.integers(0, 2, size=(n, 1)).astype("float32")}
    return x, y


def mlp_data(n=100, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, size=(n,))


TWO_HEADED_COMPILE = dict(
    loss={"digit": "sparse_categorical_crossentropy", "is_hard": "binary_crossentropy"},
    loss_weights={"digit": 1.0, "is_hard": 0.3},
    metrics={"digit": ["accuracy"]},
)


def assert_history_equal(keras_history, tk_history):
    assert sorted(tk_history.history) == sorted(keras_history.history)
    assert tk_history.epoch == keras_history.epoch
    for key, expected in keras_history.history.items():
        np.testing.assert_allclose(tk_history.history[key], expected, rtol=RTOL, atol=ATOL, err_msg=key)


def assert_weights_equal(keras_model, tk_model):
    expected, received = keras_model.get_weights(), tk_model.get_weights()
    assert len(expected) == len(received)
    for index, (a, b) in enumerate(zip(expected, received)):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, err_msg=f"weight {index}")


def assert_outputs_equal(expected, received):
    if isinstance(expected, dict):
        assert sorted(expected) == sorted(received)
        for key in expected:
            assert_outputs_equal(expected[key], received[key])
    elif isinstance(expected, (list, tuple)):
        assert isinstance(received, (list, tuple)) and len(received) == len(expected)
        for a, b in zip(expected, received):
            assert_outputs_equal(a, b)
    else:
        np.testing.assert_allclose(np.asarray(received), np.asarray(expected), rtol=RTOL, atol=ATOL)


def pair(build, device):
    with keras.device(device):
        keras_model = build(keras)
    tk_model = build(torchkeras).to(device)
    tk_model.set_weights(keras_model.get_weights())
    return keras_model, tk_model


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_two_headed_fit_evaluate_predict(opt, device):
    keras_model, tk_model = pair(two_headed, device)
    with keras.device(device):
        keras_model.compile(optimizer=optimizer(keras, opt), **TWO_HEADED_COMPILE)
    tk_model.compile(optimizer=optimizer(torchkeras, opt), **TWO_HEADED_COMPILE)
    x, y = two_headed_data()
    fit = dict(epochs=3, batch_size=32, shuffle=False, verbose=0, validation_split=0.2)
    with keras.device(device):
        keras_history = keras_model.fit(x, y, **fit)
    tk_history = tk_model.fit(x, y, **fit)

    assert sorted(tk_history.history) == [
        "digit_accuracy", "digit_loss", "is_hard_loss", "loss",
        "val_digit_accuracy", "val_digit_loss", "val_is_hard_loss", "val_loss",
    ]
    assert_history_equal(keras_history, tk_history)
    assert_weights_equal(keras_model, tk_model)
    assert tk_model.metrics_names == keras_model.metrics_names
    with keras.device(device):
        expected_eval = keras_model.evaluate(x, y, batch_size=16, verbose=0)
        expected_dict = keras_model.evaluate(x, y, verbose=0, return_dict=True)
        expected_pred = keras_model.predict(x, batch_size=30, verbose=0)
    assert_outputs_equal(expected_eval, tk_model.evaluate(x, y, batch_size=16, verbose=0))
    received_dict = tk_model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(received_dict) == list(expected_dict)
    assert_outputs_equal(expected_dict, received_dict)
    assert_outputs_equal(expected_pred, tk_model.predict(x, batch_size=30, verbose=0))


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_sequential_mlp_fit_evaluate_predict(opt, device):
    keras_model, tk_model = pair(sequential_mlp, device)
    compile_args = dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with keras.device(device):
        keras_model.compile(optimizer=optimizer(keras, opt), **compile_args)
    tk_model.compile(optimizer=optimizer(torchkeras, opt), **compile_args)
    x, y = mlp_data()
    fit = dict(epochs=3, batch_size=32, shuffle=False, verbose=0, validation_data=mlp_data(40, seed=2))
    with keras.device(device):
        keras_history = keras_model.fit(x, y, **fit)
    tk_history = tk_model.fit(x, y, **fit)
    assert sorted(tk_history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert_history_equal(keras_history, tk_history)
    assert_weights_equal(keras_model, tk_model)
    with keras.device(device):
        expected_eval = keras_model.evaluate(x, y, verbose=0)
        expected_pred = keras_model.predict(x, verbose=0)
    assert_outputs_equal(expected_eval, tk_model.evaluate(x, y, verbose=0))
    assert_outputs_equal(expected_pred, tk_model.predict(x, verbose=0))


def test_subclassed_mlp_fit(device):
    keras_model, tk_model = pair(subclassed_mlp, device)
    with keras.device(device):
        keras_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    tk_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    x, y = mlp_data(70)
    with keras.device(device):
        keras_history = keras_model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    tk_history = tk_model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    assert sorted(tk_history.history) == ["acc", "loss"]
    assert_history_equal(keras_history, tk_history)
    assert_weights_equal(keras_model, tk_model)


def test_shuffled_batches_follow_the_same_torch_seed(device):
    # Keras's torch backend shuffles with torch's global generator; torchkeras draws the same numbers.
    keras_model, tk_model = pair(two_headed, device)
    with keras.device(device):
        keras_model.compile(optimizer=optimizer(keras, "sgd"), **TWO_HEADED_COMPILE)
    tk_model.compile(optimizer=optimizer(torchkeras, "sgd"), **TWO_HEADED_COMPILE)
    x, y = two_headed_data()
    fit = dict(epochs=2, batch_size=16, shuffle=True, verbose=0, validation_split=0.2)
    torch.manual_seed(7)
    with keras.device(device):
        keras_history = keras_model.fit(x, y, **fit)
    torch.manual_seed(7)
    tk_history = tk_model.fit(x, y, **fit)
    assert_history_equal(keras_history, tk_history)
    assert_weights_equal(keras_model, tk_model)


def test_sample_weight_class_weight_weighted_metrics_and_regularization(device):
    build = lambda module: sequential_mlp(module, regularizer=module.regularizers.L2(1e-3))  # noqa: E731
    compile_args = dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                        weighted_metrics=["accuracy", "sparse_categorical_crossentropy"])
    x, y = mlp_data(90)
    sample_weight = np.linspace(0.0, 2.0, 90).astype("float32")
    for fit_args in (dict(sample_weight=sample_weight), dict(class_weight={0: 0.5, 3: 2.0, 7: 3.0})):
        keras_model, tk_model = pair(build, device)
        with keras.device(device):
            keras_model.compile(optimizer=optimizer(keras, "sgd"), **compile_args)
        tk_model.compile(optimizer=optimizer(torchkeras, "sgd"), **compile_args)
        fit = dict(epochs=2, batch_size=32, shuffle=False, verbose=0, **fit_args)
        with keras.device(device):
            keras_history = keras_model.fit(x, y, **fit)
        tk_history = tk_model.fit(x, y, **fit)
        assert sorted(tk_history.history) == ["accuracy", "loss", "sparse_categorical_crossentropy", "weighted_accuracy"]
        assert_history_equal(keras_history, tk_history)
        assert_weights_equal(keras_model, tk_model)


def test_on_batch_methods(device):
    keras_model, tk_model = pair(two_headed, device)
    with keras.device(device):
        keras_model.compile(optimizer=optimizer(keras, "adam"), **TWO_HEADED_COMPILE)
    tk_model.compile(optimizer=optimizer(torchkeras, "adam"), **TWO_HEADED_COMPILE)
    x, y = two_headed_data(20)
    with keras.device(device):
        expected = [keras_model.train_on_batch(x, y), keras_model.train_on_batch(x, y, return_dict=True),
                    keras_model.test_on_batch(x, y), keras_model.predict_on_batch(x)]
    received = [tk_model.train_on_batch(x, y), tk_model.train_on_batch(x, y, return_dict=True),
                tk_model.test_on_batch(x, y), tk_model.predict_on_batch(x)]
    assert list(received[1]) == list(expected[1])
    assert_outputs_equal(expected, received)
    assert_weights_equal(keras_model, tk_model)
