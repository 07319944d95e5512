"""`CallbackList`: calls every callback's hook at once, with the logs turned into Python floats."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.callbacks.callback import Callback
from torchkeras.callbacks.callback import is_default
from torchkeras.callbacks.history import History
from torchkeras.callbacks.progbar_logger import ProgbarLogger


def pythonify_logs(logs):
    """Keras's `pythonify_logs`: nested dicts flattened, tensors and numpy scalars turned into Python
    floats where they can be (tensors with several elements become numpy arrays), keys sorted."""
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        try:
            if isinstance(value, torch.Tensor):
                value = value.detach()
                value = value.item() if value.numel() == 1 else value.cpu().numpy()
            value = float(value)
        except (TypeError, ValueError, RuntimeError):
            pass
        result[key] = value
    return result


def _flatten(callbacks):
    if isinstance(callbacks, (list, tuple)):
        return [leaf for item in callbacks for leaf in _flatten(item)]
    return [callbacks]


@keras_export("keras.callbacks.CallbackList")
class CallbackList(Callback):
    """Container abstracting a list of callbacks: `callback_list.on_epoch_end(...)` calls every one.

    Args:
        callbacks: List of `Callback` instances.
        add_history: Whether a `History` callback should be added, if one does not already exist in
            the `callbacks` list.
        add_progbar: Whether a `ProgbarLogger` callback should be added, if one does not already exist
            in the `callbacks` list.
        model: The `Model` these callbacks are used with.
        **params: If provided, parameters will be passed to each `Callback` via `Callback.set_params`
            (`fit` passes `verbose`, `epochs` and `steps`).

    Every hook hands its callbacks the same dict of Python floats (so a callback that adds a key, as
    `ReduceLROnPlateau` adds `learning_rate`, is seen by the callbacks after it, as in Keras). The logs
    of single batches are converted only when some callback reads them: the progress bar reads them
    only when it redraws.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = _flatten(callbacks) if callbacks else []
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "Every entry of `callbacks` must be a `keras.callbacks.Callback` instance. Received: "
                    f"{callback!r} of type {type(callback).__name__}"
                )
        self._in_begin_end_block_count = 0
        self._add_default_callbacks(add_history, add_progbar)
        self.params = None
        self._model = None
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        """Adds the `Callback`s that are always present."""
        self._progbar = None
        self._history = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _on_begin(self):
        self._in_begin_end_block_count += 1

    def _on_end(self):
        self._in_begin_end_block_count -= 1
        if self._in_begin_end_block_count < 0:
            raise ValueError("`on_xxx_end` called without corresponding `on_xxx_begin`")

    def _call(self, hook, *args, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def _call_batch_end(self, hook, batch, logs):
        """A batch-end hook: skips callbacks whose hook is the do-nothing default (calling them would do
        nothing) and converts the logs only for those that read them."""
        python_logs = None
        for callback in self.callbacks:
            method = getattr(callback, hook)
            if is_default(method) and (hook != "on_train_batch_end" or is_default(callback.on_batch_end)):
                continue
            if getattr(callback, "_reads_tensor_logs", False):
                method(batch, logs=logs)
                continue
            if python_logs is None:
                python_logs = pythonify_logs(logs)
            method(batch, logs=python_logs)

    def on_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch_end("on_train_batch_end", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch_end("on_test_batch_end", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch_end("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._on_begin()
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)
        self._on_end()

    def on_test_begin(self, logs=None):
        self._on_begin()
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)
        self._on_end()

    def on_predict_begin(self, logs=None):
        self._on_begin()
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)
        self._on_end()
