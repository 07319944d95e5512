"""Accuracy metrics (mirrors `keras/src/metrics/accuracy_metrics.py`): how often predictions match."""

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics import reduction_metrics
from torchkeras.metrics.metrics_utils import check_broadcastable
from torchkeras.metrics.metrics_utils import convert_to_tensor
from torchkeras.metrics.metrics_utils import squeeze_or_expand_to_same_rank


def _floatx():
    return backend.to_torch_dtype(backend.floatx())


def accuracy(y_true, y_pred):
    """1.0 where `y_pred == y_true`, else 0.0 (elementwise)."""
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "accuracy")
    return torch.eq(y_true, y_pred).to(_floatx())


@keras_export("keras.metrics.Accuracy")
class Accuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions equal labels.

    This metric creates two local variables, `total` and `count`, that are used to compute the frequency
    with which `y_pred` matches `y_true`.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.binary_accuracy")
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold) == y_true`, else 0.0 (elementwise)."""
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true).to(y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "binary_accuracy")
    y_pred = torch.gt(y_pred, threshold).to(y_true.dtype)
    return torch.eq(y_true, y_pred).to(_floatx())


@keras_export("keras.metrics.BinaryAccuracy")
class BinaryAccuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions match binary labels.

    A prediction counts as 1 when it is above `threshold`, else 0. If `sample_weight` is `None`, weights
    default to 1. Use `sample_weight` of 0 to mask values.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        threshold: (Optional) Float representing the threshold for deciding whether prediction values
            are 1 or 0.

    Example:

    >>> m = keras.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


@keras_export("keras.metrics.categorical_accuracy")
def categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_pred) == argmax(y_true)` over the last axis, else 0.0."""
    y_true = torch.argmax(convert_to_tensor(y_true), dim=-1)
    reshape_matches = False
    y_pred = convert_to_tensor(y_pred)
    y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
    y_true_org_shape = y_true.shape
    if y_true.dim() == y_pred.dim():
        y_true = y_true.squeeze(-1)  # a no-op unless the last axis has size 1, as in Keras on torch
        reshape_matches = True
    y_pred = torch.argmax(y_pred, dim=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.to(y_true.dtype)
    check_broadcastable(y_true, y_pred, "categorical_accuracy")
    matches = torch.eq(y_true, y_pred).to(_floatx())
    if reshape_matches:
        matches = matches.reshape(y_true_org_shape)
    return matches


@keras_export("keras.metrics.CategoricalAccuracy")
class CategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions match one-hot labels.

    You can provide logits of classes as `y_pred`, since argmax of logits and probabilities are the same.
    `y_pred` and `y_true` should be passed in as vectors of probabilities, rather than as labels.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.sparse_categorical_accuracy")
def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_pred) == y_true` (integer labels), else 0.0."""
    reshape_matches = False
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    y_true_org_shape = y_true.shape
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
        reshape_matches = True
    y_pred = torch.argmax(y_pred, dim=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.to(y_true.dtype)
    check_broadcastable(y_true, y_pred, "sparse_categorical_accuracy")
    matches = torch.eq(y_true, y_pred).to(_floatx())
    if reshape_matches:
        matches = matches.reshape(y_true_org_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


@keras_export("keras.metrics.SparseCategoricalAccuracy")
class SparseCategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions match integer labels.

    ```python
    acc = np.dot(sample_weight, np.equal(y_true, np.argmax(y_pred, axis=1))
    ```

    You can provide logits of classes as `y_pred`, since argmax of logits and probabilities are the same.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the `k` largest of its row (ties count as in)."""
    targets = targets.to(torch.int64)[:, None]
    num_classes = predictions.shape[-1]
    if targets.numel() and targets.device.type == "cpu" and (
        int(targets.min()) < 0 or int(targets.max()) >= num_classes
    ):
        raise ValueError(
            f"Labels must be in [0, {num_classes}) for predictions with {num_classes} classes. "
            f"Received labels in [{int(targets.min())}, {int(targets.max())}]."
        )
    topk_values = torch.topk(predictions, min(k, num_classes)).values
    targets_values = torch.take_along_dim(predictions, targets, dim=-1)
    return torch.any(targets_values >= topk_values, dim=-1)


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"Argument `k` must be a positive integer. Received: k={k!r}")


@keras_export("keras.metrics.top_k_categorical_accuracy")
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target is among the `k` highest predictions, else 0.0."""
    reshape_matches = False
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    y_true = torch.argmax(y_true, dim=-1)
    y_true_org_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.dim() > 1:
        reshape_matches = True
        y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true.to(torch.int32), y_pred, k).to(_floatx())
    if reshape_matches:
        matches = matches.reshape(y_true_org_shape)
    return matches


@keras_export("keras.metrics.TopKCategoricalAccuracy")
class TopKCategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Computes how often targets are in the top `K` predictions.

    Args:
        k: (Optional) Number of top elements to look at for computing accuracy. Defaults to `5`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        _check_k(k)
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


@keras_export("keras.metrics.sparse_top_k_categorical_accuracy")
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer target is among the `k` highest predictions, else 0.0.

    Args:
        y_true: Integer labels (or IDs), shape `(batch_size,)`.
        y_pred: Scores `(batch_size, num_categories)` or, with `from_sorted_ids=True`, the IDs of the top
            `N >= k` categories sorted from highest to lowest score.
        k: Number of top elements to look at.
        from_sorted_ids: Whether `y_pred` holds sorted category IDs rather than scores.
    """
    reshape_matches = False
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true).to(y_pred.device)
    y_true = y_true.to(y_pred.dtype if from_sorted_ids else torch.int32)
    y_true_org_shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.dim() > 1:
        reshape_matches = True
        y_true = y_true.reshape(-1)
    if from_sorted_ids:
        # The first k IDs are the top k; `any` counts a repeated ID once.
        matches = torch.any(torch.eq(y_true.unsqueeze(1), y_pred[:, :k]), dim=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.to(_floatx())
    if reshape_matches:
        matches = matches.reshape(y_true_org_shape)
    return matches


@keras_export("keras.metrics.SparseTopKCategoricalAccuracy")
class SparseTopKCategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Computes how often integer targets are in the top `K` predictions.

    By default, `update_state()` expects `y_true` of shape `(batch_size,)` holding the indices of the
    true categories and `y_pred` of shape `(batch_size, num_categories)` holding scores. With
    `from_sorted_ids=True`, `y_pred` holds instead the IDs of the top `N >= k` categories, sorted from
    highest to lowest score.

    Args:
        k: (Optional) Number of top elements to look at for computing accuracy. Defaults to `5`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_sorted_ids: (Optional) Whether `y_pred` holds sorted category IDs rather than scores.

    Example:

    >>> m = keras.metrics.SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        _check_k(k)
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
]
