"""`EarlyStopping`: stops training when a monitored quantity has stopped improving."""

import warnings

import numpy as np

from torchkeras.api_export import keras_export
from torchkeras.callbacks.monitor_callback import MonitorCallback
from torchkeras.models.progress import _print_msg


def _copy_of_weights(model):
    # Copies: on CPU the arrays of `get_weights()` may share memory with the live parameters, which
    # training would then overwrite.
    return [np.array(w, copy=True) for w in model.get_weights()]


@keras_export("keras.callbacks.EarlyStopping")
class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving.

    Args:
        monitor: Quantity to be monitored. Defaults to `"val_loss"`.
        min_delta: Minimum change in the monitored quantity to qualify as an improvement: an absolute
            change of less than `min_delta` counts as no improvement.
        patience: Number of epochs with no improvement after which training will be stopped.
        verbose: 0 is silent, 1 prints a message when the callback takes an action.
        mode: One of `{"auto", "min", "max"}`; `"auto"` infers the direction from the metric's name.
        baseline: Baseline value for the monitored quantity: training stops if the model doesn't improve
            on it within `patience` epochs.
        restore_best_weights: Whether to restore the weights of the epoch with the best value of the
            monitored quantity at the end of training (only if some epoch beat the baseline).
        start_from_epoch: Number of warm-up epochs during which improvement is not monitored.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first monitored epoch's weights, so that there is always something to restore.
            self.best_weights = _copy_of_weights(self.model)
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_of_weights(self.model)
            # Only restart the wait if beating both the baseline and our previous best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        monitor_value = logs.get(self.monitor)
        if monitor_value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return monitor_value
