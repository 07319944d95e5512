"""Callbacks: Keras's hooks and contracts, driven by hand (as Keras's `fit` calls them) and through `fit`."""

import csv
import math
import os
import re

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import callbacks


class _Model:
    """The attributes a callback reads from a model, for driving hooks by hand."""

    def __init__(self, weights=None, lr=0.1):
        self.stop_training = False
        self.history = None
        self._weights = weights or [np.zeros(2)]
        self.optimizer = keras.optimizers.SGD(learning_rate=lr)

    def get_weights(self):
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        self._weights = [w.copy() for w in weights]


def _drive_epochs(callback, model, losses, monitor="val_loss"):
    """Runs `callback` through epochs whose logs carry `losses`, as `fit` does; returns the epochs run."""
    cbs = callbacks.CallbackList([callback], model=model, verbose=0, epochs=len(losses), steps=1)
    cbs.on_train_begin()
    run = []
    for epoch, value in enumerate(losses):
        cbs.on_epoch_begin(epoch)
        model._weights = [np.full(2, float(epoch))]
        cbs.on_epoch_end(epoch, {monitor: value})
        run.append(epoch)
        if model.stop_training:
            break
    cbs.on_train_end()
    return run


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.random((n, 4), dtype=np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype=np.float32))


def _model(lr=0.01):
    torch.manual_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate=lr), "mse", metrics=["mae"])
    return model


# ------------------------------------------------------------------------------------------ base


def test_callback_base_hooks_and_aliases():
    seen = []

    class Recorder(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"]))

    recorder = Recorder()
    cbs = callbacks.CallbackList([recorder], model=_Model(), verbose=0, epochs=1, steps=2)
    assert recorder.params == {"verbose": 0, "epochs": 1, "steps": 2}
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": torch.tensor(0.5)})
    # on_train_batch_* fall back to the on_batch_* aliases; tensors arrive as Python floats.
    assert seen == [("begin", 0), ("end", 0, 0.5)] and isinstance(seen[1][2], float)


def test_callback_list_adds_history_and_progbar_once_and_sets_model():
    model = _Model()
    history = callbacks.History()
    cbs = callbacks.CallbackList([[history]], add_history=True, add_progbar=True, model=model, verbose=1,
                                 epochs=1, steps=1)
    assert [type(c) for c in cbs.callbacks] == [callbacks.History, callbacks.ProgbarLogger]
    assert model.history is history and history.model is model
    with pytest.raises(TypeError, match="Callback"):
        callbacks.CallbackList(["not a callback"])
    with pytest.raises(ValueError, match="without corresponding"):
        callbacks.CallbackList([]).on_train_end()


def test_callback_list_logs_are_flattened_sorted_floats():
    got = {}
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: got.update(logs))
    cbs = callbacks.CallbackList([cb], model=_Model())
    cbs.on_epoch_end(0, {"b": torch.tensor(2.0), "a": {"x": np.float32(1.5)}, "s": "text"})
    assert list(got) == ["a", "b", "s"] or list(got) == ["x", "b", "s"]
    assert got == {"x": 1.5, "b": 2.0, "s": "text"} and all(type(got[k]) is float for k in ("x", "b"))


# ------------------------------------------------------------------------------------------ EarlyStopping


def test_early_stopping_patience_and_restore_best_weights():
    model = _Model()
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    run = _drive_epochs(stopper, model, [1.0, 0.5, 0.6, 0.7, 0.4])
    assert run == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best == 0.5
    np.testing.assert_array_equal(model._weights[0], [1.0, 1.0])  # epoch 1's weights restored


def test_early_stopping_min_delta_baseline_start_from_epoch_and_mode():
    model = _Model()
    stopper = callbacks.EarlyStopping(patience=1, min_delta=0.1)
    assert _drive_epochs(stopper, model, [1.0, 0.95, 0.92, 0.5]) == [0, 1]  # 0.95 is no improvement
    model = _Model()
    stopper = callbacks.EarlyStopping(patience=2, baseline=0.5)
    # Epoch 0 improves on nothing but not on the baseline, so its wait counts (without a baseline the
    # run would last until epoch 2).
    assert _drive_epochs(stopper, model, [0.9, 1.0, 1.0, 0.4]) == [0, 1]
    assert _drive_epochs(callbacks.EarlyStopping(patience=2), _Model(), [0.9, 1.0, 1.0, 0.4]) == [0, 1, 2]
    model = _Model()
    stopper = callbacks.EarlyStopping(patience=0, start_from_epoch=2)
    assert _drive_epochs(stopper, model, [1.0, 2.0, 3.0, 4.0]) == [0, 1, 2, 3]
    model = _Model()
    stopper = callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=0)
    assert _drive_epochs(stopper, model, [0.5, 0.6, 0.55], monitor="val_auc") == [0, 1, 2]
    with pytest.raises(ValueError, match="mode='max'"):
        _drive_epochs(callbacks.EarlyStopping(monitor="val_custom"), _Model(), [1.0], monitor="val_custom")
    with pytest.warns(UserWarning, match="not available"):
        _drive_epochs(callbacks.EarlyStopping(monitor="val_loss"), _Model(), [1.0], monitor="loss")


def test_early_stopping_auto_mode_follows_compiled_metric_direction():
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse", metrics=["accuracy"])
    stopper = callbacks.EarlyStopping(monitor="accuracy")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[stopper])
    assert stopper.monitor_op(2, 1)  # accuracy is maximized


def test_early_stopping_in_fit_restores_best_weights():
    x, y = _data()
    model = _model(lr=0.01)
    snapshots = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append([w.copy() for w in model.get_weights()]))
    # A monitored quantity that gets worse after epoch 1: the weights of epoch 1 come back.
    values = iter([0.3, 0.1, 0.2, 0.25, 0.3, 0.4])
    inject = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(custom=next(values)))
    stopper = callbacks.EarlyStopping(monitor="custom", mode="min", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[inject, record, stopper])
    assert history.epoch == [0, 1, 2, 3] and model.stop_training
    for got, want in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------------------------ LR callbacks


def test_reduce_lr_on_plateau_with_cooldown_and_min_lr():
    model = _Model(lr=1.0)
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=0.3)
    got = []
    cbs = callbacks.CallbackList([reducer, callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: got.append(logs["learning_rate"]))], model=model)
    cbs.on_train_begin()
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        cbs.on_epoch_end(epoch, {"val_loss": value})
    # Logs carry the rate before the epoch's reduction; the cooldown epoch resets the wait; the rate
    # never goes below min_lr (0.25 is clipped to 0.3).
    assert np.allclose(got, [1.0, 1.0, 0.5, 0.3, 0.3, 0.3, 0.3])
    assert model.optimizer.learning_rate == pytest.approx(0.3)
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_on_plateau_with_torch_optimizer():
    model = _Model()
    param = torch.nn.Parameter(torch.zeros(1))
    model.optimizer = torch.optim.SGD([param], lr=0.4)
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=0)
    _drive_epochs(reducer, model, [1.0, 1.0])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.2)


def test_learning_rate_scheduler_in_fit_and_errors():
    x, y = _data()
    model = _model(lr=0.1)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    assert np.allclose(history.history["learning_rate"], [0.1, 0.05, 0.025])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.025)
    # The old one-argument API.
    old = callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[old])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: "x")])
    with pytest.raises(TypeError, match="callable"):
        callbacks.LearningRateScheduler(0.1)


# ------------------------------------------------------------------------------------------ loggers


def test_csv_logger_file_and_append(tmp_path):
    path = tmp_path / "log.csv"
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = list(csv.reader(open(path, newline="")))
    # No validation: `val_` columns are added anyway, as Keras does.
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1"] and rows[1][3:] == ["NA", "NA"]
    assert open(path, newline="").read().count("\r\n") == 3
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0;")


def test_history_records_every_epoch():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    assert isinstance(history, callbacks.History) and model.history is history
    assert history.epoch == [0, 1, 2]
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 3 and isinstance(v[0], float) for v in history.history.values())


def _strip(text):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\d+(ms|us)?/step|\d+s", "T", text)


def test_progbar_logger_output_verbose_1_and_2(capsys):
    x, y = _data(64)
    model = _model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(r"4/4 - \d+s - \d+(ms|us|s)/step - loss: \d\.\d{4} - mae: \d\.\d{4}", lines[1])
    model.fit(x, y, epochs=1, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    final = out.split("\r")[-1]
    assert re.fullmatch(
        r"\x1b\[1m4/4\x1b\[0m \x1b\[32m━{20}\x1b\[0m\x1b\[37m\x1b\[0m \x1b\[1m\d+s\x1b\[0m \d+(ms|us|s)/step"
        r" - loss: \d\.\d{4} - mae: \d\.\d{4} *\n", final)  # padded when the previous draw was wider
    assert "Epoch" not in out  # one epoch: no epoch header
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_logger_reads_batch_logs_only_when_it_redraws():
    class CountingTensor(torch.Tensor):
        reads = 0

        def item(self):
            CountingTensor.reads += 1
            return super().item()

    logger = callbacks.ProgbarLogger()
    logger.set_params({"verbose": 1, "epochs": 1, "steps": 1000})
    logger.set_model(_Model())
    logger.on_epoch_begin(0)
    logger.progbar.interval = 3600.0  # no redraw after the first batch
    import io
    import contextlib

    with contextlib.redirect_stdout(io.StringIO()) as out:
        for step in range(50):
            logger.on_train_batch_end(step, {"loss": torch.tensor(1.0).as_subclass(CountingTensor)})
        logger.on_epoch_end(0, {"loss": 0.25})
    assert CountingTensor.reads == 1 and logger.progbar._seen_so_far == 1000
    assert "loss: 0.2500" in out.getvalue()


# ------------------------------------------------------------------------------------------ others


def test_terminate_on_nan_stops_after_the_batch(capsys):
    x, y = _data()
    y[20:] = np.nan
    model = _model()
    batches = []
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False, callbacks=[
        callbacks.TerminateOnNaN(), callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))])
    assert batches == [0, 1] and history.epoch == [0] and model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        _model().fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False,
                     callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_lambda_callback_hooks_in_fit_evaluate_predict():
    x, y = _data()
    model = _model()
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_end=lambda logs: events.append("test_end"),
        on_predict_end=lambda logs: events.append("predict_end"),
    )
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0, callbacks=[cb])
    assert events == ["train_begin", "epoch_begin 0", "test_end",
                      "epoch_end 0 ['loss', 'mae', 'val_loss', 'val_mae']", "epoch_begin 1", "test_end",
                      "epoch_end 1 ['loss', 'mae', 'val_loss', 'val_mae']", "train_end"]
    model.evaluate(x, y, verbose=0, callbacks=[cb])
    model.predict(x, verbose=0, callbacks=[cb])
    assert events[-2:] == ["test_end", "predict_end"]


def test_user_subclass_receives_batch_logs_in_fit():
    x, y = _data()
    model = _model()
    seen = []

    class Batches(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs), type(logs["loss"])))

    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[Batches()])
    assert seen == [(0, ["loss", "mae"], float), (1, ["loss", "mae"], float)]


# ------------------------------------------------------------------------------------------ ModelCheckpoint


def test_model_checkpoint_filepath_formatting_and_best_only(tmp_path):
    x, y = _data()
    model = _model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5")
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0,
              callbacks=[callbacks.ModelCheckpoint(pattern, save_weights_only=True)])
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 2 and re.fullmatch(r"ckpt-01-\d+\.\d\d\.weights\.h5", names[0])
    assert names[1].startswith("ckpt-02-")

    best = tmp_path / "best.weights.h5"
    checkpoint = callbacks.ModelCheckpoint(best, monitor="custom", mode="min", save_best_only=True,
                                           save_weights_only=True)
    values = iter([0.5, 0.2, 0.9])
    snapshots = []
    model.fit(x, y, epochs=3, verbose=0, callbacks=[
        callbacks.LambdaCallback(on_epoch_end=lambda e, logs: (logs.update(custom=next(values)),
                                                               snapshots.append([w.copy() for w in model.get_weights()]))),
        checkpoint])
    assert checkpoint.best == 0.2
    fresh = _model()
    fresh.load_weights(best)
    for got, want in zip(fresh.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(got, want)


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    x, y = _data(64)
    model = _model()
    pattern = str(tmp_path / "b{epoch}-{batch}.weights.h5")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == ["b1-3.weights.h5", "b2-2.weights.h5"]


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint(tmp_path / "x.h5", save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        callbacks.ModelCheckpoint(tmp_path / "x.pt")
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        callbacks.ModelCheckpoint(tmp_path / "x.keras", save_freq="batch")
    x, y = _data()
    with pytest.raises(KeyError, match="Failed to format"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[
            callbacks.ModelCheckpoint(str(tmp_path / "{nope}.weights.h5"), save_weights_only=True)])
