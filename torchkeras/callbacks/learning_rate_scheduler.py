"""`LearningRateScheduler`: sets the learning rate at the start of every epoch from a function."""

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.callbacks.callback import Callback
from torchkeras.callbacks.monitor_callback import _learning_rate
from torchkeras.callbacks.monitor_callback import _set_learning_rate
from torchkeras.models.progress import _print_msg


@keras_export("keras.callbacks.LearningRateScheduler")
class LearningRateScheduler(Callback):
    """Learning rate scheduler.

    At the beginning of every epoch, this callback gets the updated learning rate value from the
    `schedule` function, with the current epoch and current learning rate, and applies it to the
    optimizer.

    Args:
        schedule: A function that takes an epoch index (integer, indexed from 0) and current learning
            rate (float) as inputs and returns a new learning rate as output (float). A function of the
            epoch alone is accepted too.
        verbose: Integer. 0: quiet, 1: log update messages.

    Example:

    ```python
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    model.fit(x, y, epochs=15, callbacks=[keras.callbacks.LearningRateScheduler(scheduler)])
    ```
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"`schedule` must be a callable. Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch):
        learning_rate = _learning_rate(optimizer)
        try:  # new API
            learning_rate = self.schedule(epoch, learning_rate)
        except TypeError:  # old API: schedule(epoch)
            learning_rate = self.schedule(epoch)
        # A 0-d float tensor (what `keras.ops` math returns on torch) is accepted as a float.
        if isinstance(learning_rate, torch.Tensor) and learning_rate.ndim == 0 and learning_rate.is_floating_point():
            learning_rate = float(learning_rate)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        _set_learning_rate(optimizer, learning_rate)
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        optimizers = getattr(self.model.optimizer, "optimizers", None)
        if optimizers is not None:
            for opt in optimizers:
                learning_rate = self._update_optimizer_lr(opt, epoch)
                if self.verbose > 0:
                    _print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {opt.name} learning rate "
                               f"to {learning_rate}.")
        else:
            learning_rate = self._update_optimizer_lr(self.model.optimizer, epoch)
            if self.verbose > 0:
                _print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        optimizers = getattr(self.model.optimizer, "optimizers", None)
        if optimizers is not None:
            for opt in optimizers:
                logs[f"learning_rate_{opt.name}"] = _learning_rate(opt)
        else:
            logs["learning_rate"] = _learning_rate(self.model.optimizer)
