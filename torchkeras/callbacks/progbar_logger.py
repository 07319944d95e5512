"""`ProgbarLogger`: prints Keras's progress bar (`4/4 ━━━━━━━━━━━━━━━━━━━━ 1s 12ms/step - loss: ...`)."""

import time

from torchkeras.api_export import keras_export
from torchkeras.callbacks.callback import Callback
from torchkeras.models.progress import Progbar
from torchkeras.models.progress import _print_msg


@keras_export("keras.callbacks.ProgbarLogger")
class ProgbarLogger(Callback):
    """Callback that prints metrics to stdout, as Keras's.

    `fit`, `evaluate` and `predict` add one when `verbose != 0`. `verbose=1` draws a bar rewritten in
    place after each batch (`Epoch 1/3` above it when there are several epochs); `verbose=2` prints one
    line per epoch. The output is Keras's, character for character, timings aside.
    """

    # The batch logs arrive as tensors; they are turned into floats only when the bar is redrawn.
    _reads_tensor_logs = True

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        verbose = params["verbose"]
        if verbose == "auto":
            verbose = 1
        self.verbose = verbose
        self.epochs = params["epochs"]
        self.target = params["steps"]

    def on_train_begin(self, logs=None):
        # Validation runs inside `fit` print nothing of their own.
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            _print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=set())

    def _update_progbar(self, batch, logs=None):
        from torchkeras.callbacks.callback_list import pythonify_logs

        self._maybe_init_progbar()
        self.seen = batch + 1  # One-indexed.
        if self.verbose == 1:
            bar = self.progbar
            # Every value is shown as-is (no averaging), so a batch the bar would not redraw (within
            # `interval` of the last redraw) only moves the counter: the logs need not be read.
            if self.seen > 1 and time.time() - bar._last_update < bar.interval:
                bar._seen_so_far = self.seen
                return
            bar.update(self.seen, list(pythonify_logs(logs).items()), finalize=False)

    def _finalize_progbar(self, logs):
        from torchkeras.callbacks.callback_list import pythonify_logs

        logs = pythonify_logs(logs)
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list(logs.items()), finalize=True)
