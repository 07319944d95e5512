"""Hinge losses: hinge, squared hinge, categorical hinge (Keras 3.15)."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.losses._utils import cast_like
from torchkeras.losses._utils import check_broadcastable
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.losses._utils import maximum
from torchkeras.losses._utils import mean
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper


def convert_binary_labels_to_hinge(y_true):
    """Maps labels in {0, 1} to {-1, 1}; labels that are not all 0 / 1 are returned unchanged."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    # `where` instead of Keras's `cond`: the same values, without a host sync on the accelerator.
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _prepare(y_true, y_pred, fn_name):
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, fn_name)
    return y_true, y_pred


@keras_export("keras.losses.hinge")
def hinge(y_true, y_pred):
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)`.

    Args:
        y_true: Labels in {-1, 1}; labels in {0, 1} are converted to {-1, 1}.
        y_pred: Predicted values, same shape.

    Returns:
        Losses of shape `y_true.shape[:-1]`.
    """
    y_true, y_pred = _prepare(y_true, y_pred, "hinge")
    y_true = convert_binary_labels_to_hinge(y_true)
    return mean(maximum(1.0 - y_true * y_pred, 0.0), -1)


@keras_export("keras.losses.squared_hinge")
def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`; {0, 1} labels become {-1, 1}."""
    y_true, y_pred = _prepare(y_true, y_pred, "squared_hinge")
    y_true = convert_binary_labels_to_hinge(y_true)
    return mean(torch.square(maximum(1.0 - y_true * y_pred, 0.0)), -1)


@keras_export("keras.losses.categorical_hinge")
def categorical_hinge(y_true, y_pred):
    """`maximum(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) * y_pred)`.

    Args:
        y_true: One-hot labels (in {0, 1} or {-1, 1}), shape `(batch_size, ..., num_classes)`.
        y_pred: Predicted values, same shape.
    """
    y_true, y_pred = _prepare(y_true, y_pred, "categorical_hinge")
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return maximum(neg - pos + 1.0, 0.0)


@keras_export("keras.losses.Hinge")
class Hinge(LossFunctionWrapper):
    """Hinge loss: `loss = maximum(1 - y_true * y_pred, 0)`.

    `y_true` values are expected to be -1 or 1; binary (0 or 1) labels are
    converted to -1 or 1.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"hinge"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.SquaredHinge")
class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss: `loss = square(maximum(1 - y_true * y_pred, 0))`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"squared_hinge"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.CategoricalHinge")
class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss: `loss = maximum(neg - pos + 1, 0)`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"categorical_hinge"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)
