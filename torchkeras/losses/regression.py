"""Regression losses: MSE, MAE, MAPE, MSLE, cosine similarity, Huber, log-cosh (Keras 3.15)."""

import math

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.losses._utils import EPSILON
from torchkeras.losses._utils import cast_like
from torchkeras.losses._utils import check_broadcastable
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.losses._utils import l2_normalize
from torchkeras.losses._utils import maximum
from torchkeras.losses._utils import mean
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper

def _prepare(y_true, y_pred, fn_name):
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(y_true, y_pred, fn_name)
    return y_true, y_pred


@keras_export("keras.losses.mean_squared_error", "keras.losses.mse", "keras.losses.MSE")
def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis: `mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: Ground truth values, shape `(batch_size, d0, .. dN)`.
        y_pred: Predicted values, shape `(batch_size, d0, .. dN)`.

    Returns:
        Losses of shape `(batch_size, d0, .. dN-1)`.
    """
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_error")
    return mean(torch.square(y_true - y_pred), -1)


@keras_export("keras.losses.mean_absolute_error", "keras.losses.mae", "keras.losses.MAE")
def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: `mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_error")
    return mean(torch.abs(y_true - y_pred), -1)


@keras_export(
    "keras.losses.mean_absolute_percentage_error", "keras.losses.mape", "keras.losses.MAPE"
)
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_percentage_error")
    diff = torch.abs((y_true - y_pred) / maximum(torch.abs(y_true), EPSILON))
    return 100.0 * mean(diff, -1)


@keras_export(
    "keras.losses.mean_squared_logarithmic_error", "keras.losses.msle", "keras.losses.MSLE"
)
def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    first_log = torch.log(maximum(y_pred, EPSILON) + 1.0)
    second_log = torch.log(maximum(y_true, EPSILON) + 1.0)
    return mean(torch.square(first_log - second_log), -1)


@keras_export("keras.losses.cosine_similarity")
def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along `axis`: `-sum(l2_normalize(y_true) * l2_normalize(y_pred))`.

    A zero vector gives 0 whatever the other vector is.
    """
    y_true, y_pred = _prepare(y_true, y_pred, "cosine_similarity")
    y_pred = l2_normalize(y_pred, axis=axis)
    y_true = l2_normalize(y_true, axis=axis)
    return -torch.sum(y_true * y_pred, dim=axis)


@keras_export("keras.losses.huber")
def huber(y_true, y_pred, delta=1.0):
    """Huber loss, averaged over the last axis.

    `0.5 * x**2` where `|x| <= delta`, else `delta * |x| - 0.5 * delta**2`,
    with `x = y_pred - y_true`.
    """
    y_true, y_pred = _prepare(y_true, y_pred, "huber")
    if isinstance(delta, (int, float)) and not isinstance(delta, bool) and delta > 0 and (
        y_true.shape == y_pred.shape
    ):
        # torch's fused kernel: equal values (the branches agree at |x| == delta) and equal gradients.
        return mean(F.huber_loss(y_pred, y_true, reduction="none", delta=float(delta)), -1)
    delta = cast_like(delta, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    half = 0.5
    return mean(
        torch.where(abs_error <= delta, half * torch.square(error), delta * abs_error - half * torch.square(delta)),
        -1,
    )


@keras_export("keras.losses.log_cosh", "keras.losses.logcosh")
def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably as `x + softplus(-2x) - log(2)`."""
    y_true, y_pred = _prepare(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return mean(x + F.softplus(x * -2.0) - math.log(2.0), -1)


@keras_export("keras.losses.MeanSquaredError")
class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors: `loss = mean(square(y_true - y_pred))`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"mean_squared_error"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.MeanAbsoluteError")
class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors: `loss = mean(abs(y_true - y_pred))`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"mean_absolute_error"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.MeanAbsolutePercentageError")
class MeanAbsolutePercentageError(LossFunctionWrapper):
    """`loss = 100 * mean(abs((y_true - y_pred) / y_true))` (denominator floored at epsilon).

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"mean_absolute_percentage_error"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.MeanSquaredLogarithmicError")
class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """`loss = mean(square(log(y_true + 1) - log(y_pred + 1)))` (inputs floored at epsilon).

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"mean_squared_logarithmic_error"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.CosineSimilarity")
class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity: `loss = -sum(l2_norm(y_true) * l2_norm(y_pred))`.

    Values lie in [-1, 1]; -1 means the vectors point the same way.

    Args:
        axis: The axis along which the similarity is computed. Defaults to `-1`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"cosine_similarity"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).

    Note: Keras 3.15's `get_config` leaves `axis` out (a round trip resets it
    to -1); torchkeras saves it. Keras loads such a config unchanged.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config["axis"] = self.axis
        return config


@keras_export("keras.losses.Huber")
class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for `|error| <= delta`, linear beyond.

    Args:
        delta: The point where the loss changes from quadratic to linear.
            Defaults to `1.0`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"huber_loss"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).

    Note: Keras 3.15's `get_config` leaves `delta` out (a round trip resets
    it to 1.0); torchkeras saves it. Keras loads such a config unchanged.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        config = Loss.get_config(self)
        config["delta"] = self.delta
        return config


@keras_export("keras.losses.LogCosh")
class LogCosh(LossFunctionWrapper):
    """`loss = mean(log(cosh(y_pred - y_true)))`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"log_cosh"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)

