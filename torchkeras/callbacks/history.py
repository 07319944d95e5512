"""`History`: records the logs of every epoch; `fit` returns it."""

from torchkeras.api_export import keras_export
from torchkeras.callbacks.callback import Callback


@keras_export("keras.callbacks.History")
class History(Callback):
    """Callback that records events into a `History` object.

    Added to every `fit` call, which returns it: `history.history` maps each log name (`loss`,
    `val_loss`, ...) to its list of per-epoch values, and `history.epoch` lists the epochs run.
    """

    def __init__(self):
        super().__init__()
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        # Set here too, so that a model whose `fit` did not pass through `CallbackList` still has it.
        self.model.history = self
