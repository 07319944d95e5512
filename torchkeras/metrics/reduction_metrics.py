"""`Sum`, `Mean` and `MeanMetricWrapper` (mirrors `keras/src/metrics/reduction_metrics.py`)."""

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics import metrics_utils
from torchkeras.metrics.metric import Metric


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Reduces `values` to one value per sample (axis 0), weighted by `sample_weight`.

    A Keras mask on `values` is merged into `sample_weight` (only when a `sample_weight` is given, as in
    Keras). Returns `(values, sample_weight)`, the weights reduced to one per sample too.
    """
    dtype = dtype or backend.floatx()
    torch_dtype = backend.to_torch_dtype(dtype)
    mask = metrics_utils.get_keras_mask(values)
    values = metrics_utils.convert_to_tensor(values).to(torch_dtype)
    if sample_weight is not None:
        sample_weight = metrics_utils.convert_to_tensor(sample_weight, device=values.device)
        sample_weight = sample_weight.to(device=values.device, dtype=torch_dtype)
        if mask is not None:
            sample_weight = metrics_utils.apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = metrics_utils.squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.dim()
        values_ndim = values.dim()
        if values_ndim > weight_ndim:
            values = reduce_fn(values, dim=list(range(weight_ndim, values_ndim)))
        try:
            # Changes only the reduction of the weights below, not the product.
            sample_weight = torch.broadcast_to(sample_weight, values.shape)
        except RuntimeError:
            raise ValueError(
                "`sample_weight` must be broadcastable to the per-sample values. Received: "
                f"sample_weight.shape={tuple(sample_weight.shape)}, values.shape={tuple(values.shape)}"
            ) from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=list(range(1, weight_ndim)))
    values_ndim = values.dim()
    if values_ndim > 1:
        values = reduce_fn(values, dim=list(range(1, values_ndim)))
    return values, sample_weight


@keras_export("keras.metrics.Sum")
class Sum(Metric):
    """Computes the (weighted) sum of the given values.

    For example, if `values` is `[1, 3, 5, 7]` then their sum is 16. If `sample_weight` was specified
    as `[1, 1, 0, 0]` then the sum would be 4.

    This metric creates one variable, `total`, which is returned as the sum.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = metrics.Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        device = self._sync_device(values, sample_weight)
        values = metrics_utils.convert_to_tensor(values, device=device)
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum, self.dtype)
        self.total.value.add_(values.sum().to(self.total.value.device))

    def reset_state(self):
        self.total.value.zero_()

    def result(self):
        return self.total.value.clone()


@keras_export("keras.metrics.Mean")
class Mean(Metric):
    """Computes the (weighted) mean of the given values.

    For example, if values is `[1, 3, 5, 7]` then the mean is 4. If `sample_weight` was specified as
    `[1, 1, 0, 0]` then the mean would be 2.

    This metric creates two variables, `total` and `count`; the result is `total / count` (0 when
    `count` is 0).

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    4.0
    >>> m.reset_state()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        device = self._sync_device(values, sample_weight)
        values = metrics_utils.convert_to_tensor(values, device=device)
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, torch.mean, self.dtype)
        total = self.total.value
        total.add_(values.sum().to(total.device))
        count = self.count.value
        if sample_weight is not None:
            count.add_(sample_weight.sum().to(device=count.device, dtype=count.dtype))
        elif values.dim() >= 1:
            count.add_(values.shape[0])
        else:
            count.add_(1)

    def reset_state(self):
        self.total.value.zero_()
        self.count.value.zero_()

    def result(self):
        return metrics_utils.divide_no_nan(self.total.value, self.count.value)


def _is_keras_loss(fn):
    """Whether `fn` is one of the loss functions (or a `torchkeras.losses` object): a metric wrapping
    one should be minimized."""
    from torchkeras.metrics import loss_functions

    if fn in loss_functions.LOSS_FUNCTIONS:
        return True
    try:
        from torchkeras import losses
    except ImportError:
        return False
    all_objects = getattr(losses, "ALL_OBJECTS", ())
    return fn in all_objects or type(fn) in all_objects


@keras_export("keras.metrics.MeanMetricWrapper")
class MeanMetricWrapper(Mean):
    """Wraps a stateless metric function with the `Mean` metric.

    The function needs to have the signature `fn(y_true, y_pred)` and return a per-sample loss array.
    `MeanMetricWrapper.result()` returns the average metric value across all samples seen so far.

    A Keras mask on `y_pred` (`y_pred._keras_mask`) weights the samples: masked-out entries count for
    nothing.

    For example:

    ```python
    def mse(y_true, y_pred):
        return (y_true - y_pred) ** 2

    mse_metric = MeanMetricWrapper(fn=mse)
    ```

    Args:
        fn: The metric function to wrap, with signature `fn(y_true, y_pred, **kwargs)`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        **kwargs: Keyword arguments to pass on to `fn`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(
                "Argument `fn` of MeanMetricWrapper must be a callable `fn(y_true, y_pred)`. "
                f"Received: fn={fn!r}"
            )
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_keras_loss(fn):
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = metrics_utils.get_keras_mask(y_pred)
        device = self._sync_device(y_pred, y_true, sample_weight)
        y_pred = _to_device(y_pred, device)
        y_true = _to_device(y_true, device)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = metrics_utils.apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from torchkeras.saving import serialization

        base_config = super().get_config()
        config = {"fn": serialization.serialize_keras_object(self._fn)}
        config.update(serialization.serialize_keras_object(self._fn_kwargs))
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        from torchkeras.saving import serialization

        if "fn" in config:
            config = serialization.deserialize_keras_object(config)
        return cls(**config)


def _to_device(x, device):
    """Tensors go to `device` (keeping a Keras mask); other values become tensors there."""
    if isinstance(x, torch.Tensor):
        if x.device == device:
            return x
        mask = metrics_utils.get_keras_mask(x)
        x = x.to(device)
        if mask is not None:
            metrics_utils.set_keras_mask(x, mask.to(device))
        return x
    return metrics_utils.convert_to_tensor(x, device=device)
