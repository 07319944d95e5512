"""Callbacks against Keras's own, fed the same logs: EarlyStopping and ReduceLROnPlateau decisions,
CSVLogger file contents, ProgbarLogger text (timings masked)."""

import contextlib
import io
import re

import keras
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import callbacks as tk_callbacks

LOSSES = [1.0, 0.8, 0.81, 0.79, 0.795, 0.9, 0.7, 0.7, 0.71, 0.72, 0.73, 0.6, 0.61, 0.62, 0.63, 0.64]


class _Holder:
    def __init__(self, optimizer):
        self.stop_training = False
        self.optimizer = optimizer
        self._weights = [np.zeros(1)]
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        self._weights = weights


def _run(module, callback, holder, losses, monitor="val_loss"):
    """Drives `callback` as `fit` does; returns per-epoch (logs seen by a later callback, stop flag)."""
    seen = []
    later = module.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    cbs = module.callbacks.CallbackList([callback, later], model=holder, verbose=0, epochs=len(losses), steps=1)
    cbs.on_train_begin()
    trace = []
    for epoch, value in enumerate(losses):
        cbs.on_epoch_begin(epoch)
        holder._weights = [np.full(1, float(epoch))]
        cbs.on_epoch_end(epoch, {monitor: value, "loss": value * 2})
        trace.append((seen[-1], holder.stop_training))
        if holder.stop_training:
            break
    cbs.on_train_end()
    return trace, holder.get_weights()


@pytest.mark.parametrize("kwargs", [
    dict(patience=2), dict(patience=1, min_delta=0.015), dict(patience=2, baseline=0.75),
    dict(patience=3, restore_best_weights=True), dict(patience=2, start_from_epoch=4, restore_best_weights=True),
    dict(monitor="val_acc", mode="max", patience=2), dict(patience=2, mode="min"),
])
def test_early_stopping_decisions_match_keras(kwargs):
    monitor = kwargs.get("monitor", "val_loss")
    losses = [1 - v for v in LOSSES] if monitor == "val_acc" else LOSSES
    expected = _run(keras, keras.callbacks.EarlyStopping(**kwargs), _Holder(None), losses, monitor)
    got = _run(torchkeras, tk_callbacks.EarlyStopping(**kwargs), _Holder(None), losses, monitor)
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1][0], expected[1][0])


@pytest.mark.parametrize("kwargs", [
    dict(patience=1, factor=0.5), dict(patience=2, factor=0.2, cooldown=2, min_lr=0.01),
    dict(patience=1, factor=0.5, min_delta=0.05, mode="min"),
])
def test_reduce_lr_on_plateau_decisions_match_keras(kwargs):
    k_holder = _Holder(keras.optimizers.SGD(learning_rate=0.1))
    t_holder = _Holder(torchkeras.optimizers.SGD(learning_rate=0.1))
    expected, _ = _run(keras, keras.callbacks.ReduceLROnPlateau(**kwargs), k_holder, LOSSES)
    got, _ = _run(torchkeras, tk_callbacks.ReduceLROnPlateau(**kwargs), t_holder, LOSSES)
    assert [sorted(logs) for logs, _ in got] == [sorted(logs) for logs, _ in expected]
    np.testing.assert_allclose([logs["learning_rate"] for logs, _ in got],
                               [logs["learning_rate"] for logs, _ in expected], rtol=1e-6)
    assert float(t_holder.optimizer.learning_rate) == pytest.approx(
        float(keras.ops.convert_to_numpy(k_holder.optimizer.learning_rate)), rel=1e-6)


@pytest.mark.parametrize("logs_per_epoch", [
    [{"loss": 0.5, "acc": 0.25}, {"loss": 0.25, "acc": 0.5}],
    [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.125, "val_loss": 0.5, "extra": "x"}],
])
@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_logger_file_matches_keras(tmp_path, logs_per_epoch, separator):
    contents = []
    for module in (keras, torchkeras):
        path = tmp_path / f"{module.__name__}.csv"
        logger = module.callbacks.CSVLogger(str(path), separator=separator)
        for append in (False, True):
            logger.append = append
            cbs = module.callbacks.CallbackList([logger], model=_Holder(None))
            cbs.on_train_begin()
            for epoch, logs in enumerate(logs_per_epoch):
                cbs.on_epoch_end(epoch, dict(logs))
            cbs.on_train_end()
        contents.append(path.read_bytes())
    assert contents[1] == contents[0]


def _mask_timings(text):
    """Timings masked; the in-place redraw's backspaces and padding depend on the timings' widths."""
    text = re.sub(r"\d+(\.\d+)?(ms|us|s)(/step)?", "<t>", text).replace("\b", "")
    return re.sub(r" +(?=\r|\n|$)", "", text)


@pytest.mark.parametrize("verbose", [1, 2])
def test_progbar_logger_text_matches_keras(verbose):
    outputs = []
    for module in (keras, torchkeras):
        logger = module.callbacks.ProgbarLogger()
        cbs = module.callbacks.CallbackList([logger], model=_Holder(None), verbose=verbose, epochs=2, steps=3)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            cbs.on_train_begin()
            for epoch in range(2):
                cbs.on_epoch_begin(epoch)
                for step in range(3):
                    cbs.on_train_batch_begin(step)
                    logger.progbar.interval = -1  # redraw at every batch, whatever the speed
                    cbs.on_train_batch_end(step, {"loss": torch.tensor(0.5 + step), "mae": np.float32(1e-4)})
                cbs.on_epoch_end(epoch, {"loss": 0.25, "mae": 1e-5, "val_loss": 0.125})
            cbs.on_train_end()
        outputs.append(_mask_timings(buffer.getvalue()))
    assert outputs[1] == outputs[0]
    assert "Epoch 2/2" in outputs[0]


def test_fit_with_callbacks_matches_keras_history(tmp_path):
    """The same model, data and callbacks in both: History (with `learning_rate`) and CSV agree."""
    rng = np.random.default_rng(0)
    x = rng.random((32, 4), dtype=np.float32)
    y = rng.random((32, 1), dtype=np.float32)
    histories = []
    for module in (keras, torchkeras):
        model = module.Sequential([module.Input((4,)), module.layers.Dense(1)])
        if module is keras:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        model.compile(module.optimizers.SGD(learning_rate=0.1), "mse")
        history = model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0, validation_data=(x, y),
                            callbacks=[module.callbacks.LearningRateScheduler(lambda e, lr: lr * 0.5),
                                       module.callbacks.EarlyStopping(patience=1)])
        histories.append(history.history)
    assert sorted(histories[1]) == sorted(histories[0])
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-4)
