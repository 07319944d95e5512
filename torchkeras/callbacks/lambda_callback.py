"""`LambdaCallback`: a callback made of functions given to the constructor."""

from torchkeras.api_export import keras_export
from torchkeras.callbacks.callback import Callback


@keras_export("keras.callbacks.LambdaCallback")
class LambdaCallback(Callback):
    """Callback for creating simple, custom callbacks on-the-fly.

    The functions are called with positional arguments: `on_epoch_begin`/`on_epoch_end` with
    `(epoch, logs)`, `on_train_begin`/`on_train_end` with `(logs)`, `on_train_batch_begin`/
    `on_train_batch_end` with `(batch, logs)` (logs by keyword).

    Args:
        on_epoch_begin: called at the beginning of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called at the beginning of model training.
        on_train_end: called at the end of model training.
        on_train_batch_begin: called at the beginning of every train batch.
        on_train_batch_end: called at the end of every train batch.
        kwargs: Any other hook of `Callback`, as `function_name=function`
            (e.g. `on_test_end=fn`).

    Example:

    ```python
    print_batch = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: print(logs["loss"]))
    ```
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        if on_epoch_begin is not None:
            self.on_epoch_begin = on_epoch_begin
        if on_epoch_end is not None:
            self.on_epoch_end = on_epoch_end
        if on_train_begin is not None:
            self.on_train_begin = on_train_begin
        if on_train_end is not None:
            self.on_train_end = on_train_end
        if on_train_batch_begin is not None:
            self.on_train_batch_begin = on_train_batch_begin
        if on_train_batch_end is not None:
            self.on_train_batch_end = on_train_batch_end
