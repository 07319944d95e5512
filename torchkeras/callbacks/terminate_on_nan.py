"""`TerminateOnNaN`: stops training when the loss becomes NaN or infinite."""

import numpy as np

from torchkeras.api_export import keras_export
from torchkeras.callbacks.callback import Callback
from torchkeras.models.progress import _print_msg


@keras_export("keras.callbacks.TerminateOnNaN")
class TerminateOnNaN(Callback):
    """Callback that terminates training when a NaN or Inf loss is encountered.

    By default training stops gracefully (`model.stop_training = True` after the batch: the epoch's
    `on_epoch_end` and `on_train_end` still run). With `raise_error=True` a `RuntimeError` is raised at
    once instead, which skips the other callbacks' cleanup.

    Args:
        raise_error: Boolean, default False. If True, raise `RuntimeError` on NaN/Inf loss.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is not None:
            if np.isnan(loss) or np.isinf(loss):
                if self.raise_error:
                    raise RuntimeError(
                        f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                        "Terminating training immediately."
                    )
                _print_msg(f"Batch {batch}: Invalid loss, terminating training")
                self.model.stop_training = True
