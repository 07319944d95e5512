"""`Callback`: the base class of everything `fit`, `evaluate` and `predict` call back into."""

from torchkeras.api_export import keras_export


def default(method):
    """Marks a hook of `Callback` as the do-nothing default, so that overrides can be detected."""
    method._is_default = True
    return method


def is_default(method):
    """Whether `method` (bound or not) is a do-nothing default hook of `Callback`."""
    return getattr(method, "_is_default", False)


@keras_export("keras.callbacks.Callback")
class Callback:
    """Base class used to build new callbacks.

    Callbacks can be passed to `fit()`, `evaluate()` and `predict()` to hook into the stages of training,
    evaluation and inference. Subclass it and override the hooks of interest; the hook names and
    arguments are Keras's.

    Example:

    ```python
    class MyCallback(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(epoch, logs["loss"])

    model.fit(x, y, callbacks=[MyCallback()])
    ```

    Attributes:
        params: Dict. Training parameters (`verbose`, `epochs`, `steps`).
        model: The `Model` being trained, evaluated or run (unwrapped from `DistributedDataParallel`).

    The `logs` dict the hooks receive holds Python floats keyed by metric name (`loss`, `accuracy`,
    `val_loss`, ...).
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        from torch.nn.parallel import DistributedDataParallel

        if isinstance(self._model, DistributedDataParallel):
            return self._model.module
        return self._model

    @default
    def on_batch_begin(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_begin`."""

    @default
    def on_batch_end(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_end`."""

    @default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (training only).

        Args:
            epoch: Integer, index of epoch.
            logs: Dict. Currently no data is passed to this argument.
        """

    @default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch (training only).

        Args:
            epoch: Integer, index of epoch.
            logs: Dict, metric results for this training epoch, and for the validation epoch if
                validation is performed (keys prefixed with `val_`).
        """

    @default
    def on_train_batch_begin(self, batch, logs=None):
        """Called at the beginning of a training batch in `fit`.

        Args:
            batch: Integer, index of batch within the current epoch.
            logs: Dict. Currently no data is passed to this argument.
        """
        self.on_batch_begin(batch, logs=logs)

    @default
    def on_train_batch_end(self, batch, logs=None):
        """Called at the end of a training batch in `fit`.

        Args:
            batch: Integer, index of batch within the current epoch.
            logs: Dict. Aggregated metric results up until this batch.
        """
        self.on_batch_end(batch, logs=logs)

    @default
    def on_test_batch_begin(self, batch, logs=None):
        """Called at the beginning of a batch in `evaluate` (and of a validation batch in `fit`)."""

    @default
    def on_test_batch_end(self, batch, logs=None):
        """Called at the end of a batch in `evaluate` (and of a validation batch in `fit`).

        Args:
            batch: Integer, index of batch.
            logs: Dict. Aggregated metric results up until this batch.
        """

    @default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called at the beginning of a batch in `predict`."""

    @default
    def on_predict_batch_end(self, batch, logs=None):
        """Called at the end of a batch in `predict`; `logs["outputs"]` holds the batch's outputs."""

    @default
    def on_train_begin(self, logs=None):
        """Called at the beginning of training."""

    @default
    def on_train_end(self, logs=None):
        """Called at the end of training; `logs` are those of the last `on_epoch_end()`."""

    @default
    def on_test_begin(self, logs=None):
        """Called at the beginning of evaluation or validation."""

    @default
    def on_test_end(self, logs=None):
        """Called at the end of evaluation or validation; `logs` are the evaluation's results."""

    @default
    def on_predict_begin(self, logs=None):
        """Called at the beginning of prediction."""

    @default
    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""
