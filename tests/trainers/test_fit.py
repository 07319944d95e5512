"""`compile`/`fit`/`evaluate`/`predict`/`*_on_batch` on Sequential, functional and subclassed models:
golden values small enough to check by hand, seed 001's and 002's scripts, data formats, callbacks."""

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers


def one_weight_model(use_bias=False, **kwargs):
    """y = w * x with w = 1: the gradients of mse are easy to write down."""
    return keras.Sequential([keras.Input(shape=(1,)),
                             layers.Dense(1, use_bias=use_bias, kernel_initializer="ones", **kwargs)])


def two_headed():
    img_in = keras.Input(shape=(784,), name="pixels")
    meta_in = keras.Input(shape=(8,), name="metadata")
    x = layers.Dense(32, activation="relu")(img_in)
    m = layers.Dense(4, activation="relu")(meta_in)
    merged = layers.concatenate([x, m])
    digit_out = layers.Dense(10, activation="softmax", name="digit")(merged)
    hard_out = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return keras.Model(inputs=[img_in, meta_in], outputs=[digit_out, hard_out], name="two_headed_mlp")


def two_headed_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = {"pixels": rng.random((n, 784), dtype=np.float32), "metadata": rng.random((n, 8), dtype=np.float32)}
    y = {"digit": rng.integers(0, 10, size=(n,)), "is_hard": rng.integers(0, 2, size=(n, 1)).astype("float32")}
    return x, y


class MLP(keras.Model):
    def __init__(self, hidden_units=(16,), num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [layers.Dense(u, activation="relu") for u in hidden_units]
        self.head = layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = inputs
        for layer in self.hidden:
            x = layer(x)
        return self.head(x)


def classification_data(n=48, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5).astype("int64")
    return x, np.minimum(y, classes - 1)


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------------------- golden values


def test_one_sgd_step_by_hand():
    model = one_weight_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    # loss = mean(x^2) = 2.5; d/dw mean((w x)^2) = mean(2 x^2) = 5; w = 1 - 0.1 * 5.
    assert history.history["loss"] == [pytest.approx(2.5)]
    np.testing.assert_allclose(model.get_weights()[0], [[0.5]], rtol=1e-6)
    assert history.epoch == [0]


def test_sample_weight_by_hand():
    model = one_weight_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    history = model.fit(x, y, batch_size=2, sample_weight=np.array([1.0, 0.0]), verbose=0)
    # loss = (1 * 1 + 0 * 4) / 2 = 0.5; gradient = (2 * 1 + 0) / 2 = 1.
    assert history.history["loss"] == [pytest.approx(0.5)]
    np.testing.assert_allclose(model.get_weights()[0], [[0.9]], rtol=1e-6)


def test_epoch_loss_is_the_batch_size_weighted_mean():
    model = one_weight_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.array([[1.0], [1.0], [3.0]], "float32")
    history = model.fit(x, np.zeros((3, 1), "float32"), batch_size=2, verbose=0)
    # Batches [1, 1] (loss 1, 2 samples) and [3] (loss 9, 1 sample): (1*2 + 9*1) / 3.
    assert history.history["loss"] == [pytest.approx(11 / 3)]


def test_regularization_losses_are_added():
    model = one_weight_model(kernel_regularizer=keras.regularizers.L2(0.5))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = np.array([[1.0]], "float32"), np.zeros((1, 1), "float32")
    history = model.fit(x, y, verbose=0)
    # loss = 1 + 0.5 * w^2 = 1.5; gradient = 2 + 2 * 0.5 * w = 3; w = 1 - 0.3.
    assert history.history["loss"] == [pytest.approx(1.5)]
    np.testing.assert_allclose(model.get_weights()[0], [[0.7]], rtol=1e-6)


def test_loss_weights_by_hand():
    inputs = keras.Input(shape=(1,), name="x")
    a = layers.Dense(1, use_bias=False, kernel_initializer="ones", name="a")(inputs)
    b = layers.Dense(1, use_bias=False, kernel_initializer="ones", name="b")(inputs)
    model = keras.Model(inputs, [a, b])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=["mse", "mse"], loss_weights=[1.0, 0.25])
    x = np.array([[2.0]], "float32")
    history = model.fit(x, {"a": np.zeros((1, 1)), "b": np.ones((1, 1))}, verbose=0)
    assert history.history["a_loss"] == [pytest.approx(4.0)]
    assert history.history["b_loss"] == [pytest.approx(1.0)]
    assert history.history["loss"] == [pytest.approx(4.0 + 0.25 * 1.0)]


def test_constraints_apply_after_a_torch_optimizer_step():
    model = one_weight_model(kernel_constraint=keras.constraints.NonNeg())
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=1.0), loss="mse")
    model.fit(np.array([[1.0]], "float32"), np.array([[-5.0]], "float32"), verbose=0)
    # Unconstrained, w would be 1 - 1 * 2 * (1 + 5) < 0; NonNeg clips it to 0.
    assert model.get_weights()[0][0, 0] == 0.0


def test_torch_optimizer_and_keras_optimizer_train_alike():
    x, y = classification_data()
    torch.manual_seed(0)
    a = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    b = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    b.set_weights(a.get_weights())
    a.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    b.compile(optimizer=torch.optim.SGD(b.parameters(), lr=0.1), loss="sparse_categorical_crossentropy")
    ha = a.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    hb = b.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------- the seeds


def test_seed_001_two_headed_model_trains_with_dict_losses():
    model = two_headed()
    model.compile(
        optimizer="adam",
        loss={"digit": "sparse_categorical_crossentropy", "is_hard": "binary_crossentropy"},
        loss_weights={"digit": 1.0, "is_hard": 0.3},
        metrics={"digit": ["accuracy"]},
    )
    x, y = two_headed_data(128)
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert sorted(history.history) == ["digit_accuracy", "digit_loss", "is_hard_loss", "loss"]
    for epoch in range(2):
        # The same batches weigh every tracker alike: the total is the weighted sum of the per-output means.
        expected = history.history["digit_loss"][epoch] + 0.3 * history.history["is_hard_loss"][epoch]
        assert history.history["loss"][epoch] == pytest.approx(expected, rel=1e-5)
        assert 0.0 <= history.history["digit_accuracy"][epoch] <= 1.0
    assert model.metrics_names == ["loss", "compile_metrics", "digit_loss", "is_hard_loss"]
    loss, digit_loss, hard_loss, accuracy = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(digit_loss + 0.3 * hard_loss, rel=1e-5)
    # Targets as a list in output order give the same evaluation.
    assert model.evaluate(x, [y["digit"], y["is_hard"]], verbose=0) == pytest.approx(
        [loss, digit_loss, hard_loss, accuracy])


def test_seed_002_build_then_fit():
    model = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(3, activation="softmax")])
    model.build(input_shape=(None, 5))
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = classification_data(96)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(history.history["loss"]) == 5


def test_subclassed_model_builds_from_the_first_batch_and_learns():
    model = MLP()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  metrics=["acc"])
    x, y = classification_data(96)
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert model.built and sorted(history.history) == ["acc", "loss"]
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert history.history["acc"][-1] > 0.8
    assert model.predict(x, verbose=0).shape == (96, 3)


def test_custom_train_step_and_test_step_keras_style():
    class Custom(MLP):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tracker = keras.metrics.Mean(name="custom_loss")
            self.calls = 0

        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            self.zero_grad()
            loss.backward()
            weights = self.trainable_weights
            with torch.no_grad():
                self.optimizer.apply([v.value.grad for v in weights], weights)
            self.tracker.update_state(loss)
            self.calls += 1
            return {"custom_loss": self.tracker.result()}

        def test_step(self, data):
            x, y = data
            loss = self.compute_loss(y=y, y_pred=self(x, training=False))
            self.tracker.update_state(loss)
            return {"custom_loss": self.tracker.result()}

        @property
        def metrics(self):
            return [self.tracker]

    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    x, y = classification_data(32)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_data=(x, y))
    assert model.calls == 4
    assert sorted(history.history) == ["custom_loss", "val_custom_loss"]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(history.history["val_custom_loss"][-1], rel=1e-6)


def test_compute_loss_override_without_training_argument():
    class Custom(MLP):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return torch.mean((y_pred[:, 0] - 1.0) ** 2)

    model = Custom()
    model.compile(optimizer="sgd")
    x, y = classification_data(16)
    history = model.fit(x, y, verbose=0)
    assert history.history["loss"][0] > 0


# ---------------------------------------------------------------------------------------- data


def test_data_formats_give_the_same_training():
    x, y = classification_data(40)
    torch.manual_seed(0)
    reference = MLP()
    reference(x[:1])
    initial = reference.get_weights()

    class Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return x[i], y[i]

    def generator():
        for start in range(0, 40, 16):
            yield x[start:start + 16], y[start:start + 16]

    inputs = {
        "numpy": dict(x=x, y=y),
        "torch": dict(x=torch.from_numpy(x), y=torch.from_numpy(y)),
        "dataloader": dict(x=torch.utils.data.DataLoader(Pairs(), batch_size=16)),
        "dataset": dict(x=Pairs()),
        "generator": dict(x=generator()),
    }
    results = {}
    for name, data in inputs.items():
        model = MLP()
        model(x[:1])
        model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
        history = model.fit(**data, batch_size=None if name in ("dataloader", "generator") else 16,
                            shuffle=False, verbose=0)
        results[name] = (history.history["loss"], model.get_weights())
    for name, (loss, weights) in results.items():
        np.testing.assert_allclose(loss, results["numpy"][0], rtol=1e-6, err_msg=name)
        for a, b in zip(weights, results["numpy"][1]):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=name)


def test_generator_with_steps_per_epoch_and_initial_epoch():
    x, y = classification_data(64)

    def forever():
        while True:
            for start in range(0, 64, 8):
                yield x[start:start + 8], y[start:start + 8]

    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    history = model.fit(forever(), steps_per_epoch=3, epochs=4, initial_epoch=1, callbacks=[Count()], shuffle=False,
                        verbose=0)
    assert history.epoch == [1, 2, 3]
    assert seen == [0, 1, 2] * 3


def test_finite_generator_stops_training_when_used_up():
    x, y = classification_data(32)
    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    batches = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batches, epochs=3, shuffle=False, verbose=0)
    assert history.epoch == [0]


def test_validation_split_uses_the_last_samples_even_when_shuffling():
    x, y = classification_data(50)
    model = MLP()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, validation_split=0.2, shuffle=True, verbose=0)
    expected = model.evaluate(x[40:], y[40:], verbose=0, return_dict=True)
    assert history.history["val_loss"] == [pytest.approx(expected["loss"])]
    assert history.history["val_accuracy"] == [pytest.approx(expected["accuracy"])]
    train = model.evaluate(x[:40], y[:40], verbose=0, return_dict=True)
    assert history.history["loss"] == [pytest.approx(train["loss"], rel=1e-6)]


def test_validation_freq():
    x, y = classification_data(20)
    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    history = model.fit(x, y, epochs=3, validation_data=(x, y), validation_freq=[1, 3], verbose=0)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, validation_data=(x, y), validation_freq="often", verbose=0)


def test_class_weight_equals_the_matching_sample_weight():
    x, y = classification_data(48)
    class_weight = {0: 0.5, 1: 2.0, 2: 1.5}
    results = []
    for kwargs in (dict(class_weight=class_weight),
                   dict(sample_weight=np.array([class_weight[int(c)] for c in y], "float32"))):
        torch.manual_seed(3)
        model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, shuffle=False, verbose=0, **kwargs)
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------- evaluate, predict


def test_evaluate_return_forms():
    model = one_weight_model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(2.5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(2.5)}
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    assert model.evaluate(x, y, verbose=0) == pytest.approx([2.5, 1.5])
    with pytest.raises(ValueError, match="Arguments not recognized"):
        model.evaluate(x, y, verbose=0, bogus=1)


def test_evaluate_and_predict_do_not_train_and_restore_mode():
    model = two_headed()
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "binary_crossentropy"])
    x, y = two_headed_data(10)
    before = weights_of(model)
    model.evaluate(x, y, verbose=0)
    outputs = model.predict(x, batch_size=4, verbose=0)
    assert_same_weights(before, weights_of(model))
    assert isinstance(outputs, list) and [o.shape for o in outputs] == [(10, 10), (10, 1)]
    assert not model.training
    with torch.no_grad():
        direct = model([torch.from_numpy(x["pixels"]), torch.from_numpy(x["metadata"])])
    np.testing.assert_allclose(outputs[0], direct[0].numpy(), rtol=1e-6, atol=1e-7)


def test_predict_steps_and_dict_outputs():
    inputs = keras.Input(shape=(3,), name="features")
    model = keras.Model(inputs, {"score": layers.Dense(1, name="score")(inputs),
                                 "probs": layers.Dense(2, activation="softmax", name="probs")(inputs)})
    x = np.random.rand(10, 3).astype("float32")
    outputs = model.predict(x, batch_size=4, steps=2, verbose=0)
    assert sorted(outputs) == ["probs", "score"] and outputs["score"].shape == (8, 1)


def test_on_batch_methods():
    model = one_weight_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    assert model.test_on_batch(x, y) == pytest.approx([2.5, 1.5])
    assert model.train_on_batch(x, y, return_dict=True) == {"loss": pytest.approx(2.5), "mae": pytest.approx(1.5)}
    np.testing.assert_allclose(model.predict_on_batch(x), [[0.5], [1.0]], rtol=1e-6)
    # The loss is weighted, the `metrics` are not (that is what `weighted_metrics` are for).
    assert model.train_on_batch(x, y, sample_weight=np.array([1.0, 0.0])) == pytest.approx([0.125, 0.75])
    with pytest.raises(ValueError, match="cannot be specified at the same time"):
        model.train_on_batch(x, y, sample_weight=np.ones(2), class_weight={0: 1.0})


# ---------------------------------------------------------------------------------------- callbacks


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("batch_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.events.append(("test_begin",))

    def on_test_end(self, logs=None):
        self.events.append(("test_end", sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end", sorted(logs)))


def test_callback_hooks_in_keras_order_with_logs():
    x, y = classification_data(20)
    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    recorder = Recorder()
    model.fit(x, y, batch_size=10, epochs=2, validation_data=(x, y), callbacks=[recorder], verbose=0)
    assert recorder.model is model
    logs = ["accuracy", "loss"]
    val_logs = ["accuracy", "loss", "val_accuracy", "val_loss"]
    epoch = lambda e: [("epoch_begin", e), ("batch_begin", 0), ("batch_end", 0, logs), ("batch_begin", 1),  # noqa
                       ("batch_end", 1, logs), ("test_begin",), ("test_end", logs), ("epoch_end", e, val_logs)]
    assert recorder.events == [("train_begin",)] + epoch(0) + epoch(1) + [("train_end", val_logs)]


def test_stop_training_from_a_callback():
    x, y = classification_data(40)

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=10, epochs=5, callbacks=[Stop()], verbose=0)
    assert history.epoch == [0]


def test_history_is_returned_and_kept():
    x, y = classification_data(16)
    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.history is history and history.epoch == [0, 1]


# ---------------------------------------------------------------------------------------- errors


def test_fit_before_compile_is_a_clear_error():
    model = one_weight_model()
    before = weights_of(model)
    for call in (lambda: model.fit(np.zeros((2, 1)), np.zeros((2, 1))),
                 lambda: model.evaluate(np.zeros((2, 1)), np.zeros((2, 1))),
                 lambda: model.train_on_batch(np.zeros((2, 1)), np.zeros((2, 1)))):
        with pytest.raises(ValueError, match=r"You must call `compile\(\)` before calling `(fit|evaluate|train_on_batch)\(\)`"):
            call()
    assert_same_weights(before, weights_of(model))


def test_x_and_y_of_different_lengths():
    model = one_weight_model()
    model.compile(optimizer="sgd", loss="mse")
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"'x' sizes: 10, 'y' sizes: 9"):
        model.fit(np.zeros((10, 1)), np.zeros((9, 1)), verbose=0)
    assert_same_weights(before, weights_of(model))


def test_dict_keys_that_name_no_input_or_output():
    model = two_headed()
    model.compile(optimizer="sgd", loss={"digit": "sparse_categorical_crossentropy", "is_hard": "binary_crossentropy"})
    before = weights_of(model)
    x, y = two_headed_data(8)
    with pytest.raises(ValueError, match=r"input names \['pixels', 'metadata'\].*unknown: \['pixel'\]"):
        model.fit({"pixel": x["pixels"], "metadata": x["metadata"]}, y, verbose=0)
    with pytest.raises(ValueError, match=r"key\(s\) \['hard'\] that name no output.*\['digit', 'is_hard'\]"):
        model.fit(x, {"digit": y["digit"], "hard": y["is_hard"]}, verbose=0)
    assert_same_weights(before, weights_of(model))
    with pytest.raises(ValueError, match=r"`loss` is a dict whose keys must name the model's outputs.*unknown: \['digits'\]"):
        model.compile(optimizer="sgd", loss={"digits": "mse", "is_hard": "mse"})
    with pytest.raises(ValueError, match=r"`metrics` is a dict.*unknown: \['hard'\]"):
        model.compile(optimizer="sgd", loss="mse", metrics={"hard": ["accuracy"]})
    with pytest.raises(ValueError, match=r"missing: \['is_hard'\]"):
        model.compile(optimizer="sgd", loss={"digit": "mse"})


def test_unknown_names_at_compile_leave_the_model_uncompiled():
    model = one_weight_model()
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'. Expected the name of a Keras optimizer"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match=r"Unknown loss: 'msq'"):
        model.compile(optimizer="adam", loss="msq")
    with pytest.raises(ValueError, match=r"Unknown metric: 'accuracyy'"):
        model.compile(optimizer="adam", loss="mse", metrics=["accuracyy"])
    assert not model.compiled
    with pytest.raises(ValueError, match="must call `compile"):
        model.fit(np.zeros((2, 1)), np.zeros((2, 1)))


def test_bad_arguments():
    model = one_weight_model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 1), "float32"), np.zeros((4, 1), "float32")
    with pytest.raises(ValueError, match="Received: verbose=3"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="Received: epochs=-1"):
        model.fit(x, y, epochs=-1)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    with pytest.raises(ValueError, match="No loss to compute"):
        model.compile(optimizer="sgd")
        model.fit(x, y, verbose=0)


def test_trainable_change_after_compile_warns():
    model = one_weight_model()
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].trainable = False
    with pytest.warns(UserWarning, match="trainable"):
        model.fit(np.zeros((2, 1)), np.zeros((2, 1)), verbose=0)


# ---------------------------------------------------------------------------------------- other


def test_run_eagerly_is_accepted():
    model = one_weight_model()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    assert model.run_eagerly
    model.fit(np.zeros((2, 1)), np.zeros((2, 1)), verbose=0)


def test_metrics_held_by_a_subclassed_model_are_listed():
    class WithMetric(MLP):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.extra = keras.metrics.Mean(name="extra")

    model = WithMetric()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = classification_data(8)
    model.fit(x, y, verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics", "extra"]
    model.reset_metrics()
    assert model.metrics[0].result().item() == 0.0


def test_compiled_model_still_pickles(tmp_path):
    model = two_headed()
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "binary_crossentropy"])
    x, y = two_headed_data(8)
    model.fit(x, y, verbose=0)
    torch.save(model, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=False)
    for a, b in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    # The reloaded model trains on with its reloaded optimizer state, exactly like the original.
    model.fit(x, y, verbose=0, shuffle=False)
    loaded.fit(x, y, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_compile_config_round_trip():
    model = one_weight_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], loss_weights=None)
    config = model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    other = one_weight_model()
    other.compile_from_config(config)
    assert other.compiled and other.loss == "mse"
    assert type(other.optimizer).__name__ == "Adam"


def test_optimizer_none_evaluates_but_does_not_train():
    model = one_weight_model()
    model.compile(optimizer=None, loss="mse")
    x, y = np.array([[1.0], [2.0]], "float32"), np.zeros((2, 1), "float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(2.5)
    with pytest.raises(ValueError, match=r"`fit\(\)` needs an optimizer"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match=r"`train_on_batch\(\)` needs an optimizer"):
        model.train_on_batch(x, y)


def test_dict_inputs_keyed_like_the_inputs_dict():
    inputs = {"left": keras.Input(shape=(2,), name="l"), "right": keras.Input(shape=(3,), name="r")}
    merged = layers.concatenate([inputs["left"], inputs["right"]])
    model = keras.Model(inputs, layers.Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse")
    x = {"left": np.zeros((4, 2), "float32"), "right": np.zeros((4, 3), "float32")}
    model.fit(x, np.zeros((4, 1), "float32"), verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 1)


def _visible(text):
    """What a terminal shows: the last \\r-separated segment of each line, without ANSI styles."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\b", "")
    return [line.split("\r")[-1].rstrip() for line in text.split("\n")]


def test_seed_001_progress_output(capsys):
    import re

    model = two_headed()
    model.compile(optimizer="adam",
                  loss={"digit": "sparse_categorical_crossentropy", "is_hard": "binary_crossentropy"},
                  loss_weights={"digit": 1.0, "is_hard": 0.3}, metrics={"digit": ["accuracy"]})
    x, y = two_headed_data(128)
    model.fit(x, y, epochs=1, batch_size=32, verbose=1)
    lines = _visible(capsys.readouterr().out)
    number = r"\d\.\d{4}"
    assert re.fullmatch(
        rf"4/4 ━{{20}} \d+s \d+(ms|us|s)/step - digit_accuracy: {number} - digit_loss: {number} - "
        rf"is_hard_loss: {number} - loss: {number}", lines[-2]), lines
    model.fit(x, y, epochs=2, batch_size=32, verbose=2, validation_split=0.25)
    lines = _visible(capsys.readouterr().out)
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(rf"3/3 - \d+s - \d+(ms|us|s)/step - digit_accuracy: {number} - .* - val_loss: {number}", lines[1])


def test_lambda_callback_batch_hook_gets_the_loss_at_verbose_0():
    # LambdaCallback sets its hooks on the instance; fit must see them and fill the batch logs.
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    seen = []
    hook = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4, epochs=1, verbose=0,
              callbacks=[hook])
    assert len(seen) == 2 and all(isinstance(logs.get("loss"), float) for logs in seen), seen
