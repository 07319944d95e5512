"""`ReduceLROnPlateau`: lowers the learning rate when a monitored quantity has stopped improving."""

import warnings

import numpy as np

from torchkeras.api_export import keras_export
from torchkeras.callbacks.monitor_callback import MonitorCallback
from torchkeras.callbacks.monitor_callback import _learning_rate
from torchkeras.callbacks.monitor_callback import _set_learning_rate
from torchkeras.models.progress import _print_msg


@keras_export("keras.callbacks.ReduceLROnPlateau")
class ReduceLROnPlateau(MonitorCallback):
    """Reduce learning rate when a metric has stopped improving.

    Args:
        monitor: String. Quantity to be monitored.
        factor: Float. Factor by which the learning rate will be reduced: `new_lr = lr * factor`.
        patience: Integer. Number of epochs with no improvement after which the learning rate is reduced.
        verbose: Integer. 0: quiet, 1: update messages.
        mode: One of `{"auto", "min", "max"}`.
        min_delta: Float. Threshold for measuring the new optimum, to only focus on significant changes.
        cooldown: Integer. Number of epochs to wait before resuming normal operation after the learning
            rate has been reduced.
        min_lr: Float. Lower bound on the learning rate.

    The epoch's logs gain a `learning_rate` entry (seen by `History` and the callbacks after this one).
    Works with torchkeras optimizers and with `torch.optim` optimizers (every param group's `lr`).
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        """Resets wait counter, cooldown counter, and best value."""
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
        old_lr = _learning_rate(optimizer)
        if old_lr > np.float32(self.min_lr):
            new_lr = old_lr * self.factor
            new_lr = max(new_lr, self.min_lr)
            _set_learning_rate(optimizer, new_lr)
            if self.verbose > 0:
                name_str = f" {name}" if name else ""
                _print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name_str} learning rate to {new_lr}.")
            return True
        return False

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs or {}
        optimizers = getattr(self.model.optimizer, "optimizers", None)
        if optimizers is not None:
            for opt in optimizers:
                logs[f"learning_rate_{opt.name}"] = _learning_rate(opt)
        else:
            logs["learning_rate"] = _learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)

        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0

        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                if optimizers is not None:
                    for opt in optimizers:
                        reduced = self._reduce_optimizer_lr(opt, epoch, f"{opt.name}") or reduced
                else:
                    reduced = self._reduce_optimizer_lr(self.model.optimizer, epoch)
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
