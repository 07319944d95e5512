"""Intersection-over-Union metrics (mirrors `keras/src/metrics/iou_metrics.py`): `IoU`, `BinaryIoU`,
`MeanIoU`, `OneHotIoU`, `OneHotMeanIoU`.

They accumulate a `(num_classes, num_classes)` confusion matrix (rows: labels, columns: predictions), in
the metric's dtype (`int32` by default, as in Keras).
"""

import warnings

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics import metrics_utils
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.metrics_utils import EPSILON


class _IoUBase(Metric):
    """Computes the confusion matrix for Intersection-Over-Union metrics.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result; `int32` by default.
        ignore_class: Optional integer. The ID of a class to be ignored during metric computation.
        sparse_y_true: Whether labels are encoded using integers or dense floating point vectors. If
            `False`, the `argmax` function is used to determine each sample's most likely associated
            label.
        sparse_y_pred: Whether predictions are encoded using integers or dense floating point vectors.
            If `False`, the `argmax` function is used to determine each sample's most likely associated
            label.
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                f"Argument `num_classes` must be a positive integer. Received: num_classes={num_classes!r}"
            )
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(name="total_confusion_matrix", shape=(num_classes, num_classes),
                                          initializer="zeros", dtype=self.dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion matrix statistics.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values.
            sample_weight: Optional weighting of each example. Can be a `Tensor` whose rank is either 0,
                or the same as `y_true`, and must be broadcastable to `y_true`. Defaults to `1`.
        """
        device = self._sync_device(y_pred, y_true, sample_weight)
        dtype = backend.to_torch_dtype(self.dtype)
        y_true = metrics_utils.convert_to_tensor(y_true, device=device).to(device)
        y_pred = metrics_utils.convert_to_tensor(y_pred, device=device).to(device)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = y_true.to(dtype).reshape(-1)
        y_pred = y_pred.to(dtype).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                "`y_true` and `y_pred` must hold the same number of labels. Received: "
                f"{y_true.numel()} labels and {y_pred.numel()} predictions."
            )

        if sample_weight is None:
            sample_weight = 1
        elif (hasattr(sample_weight, "dtype") and "float" in str(sample_weight.dtype)
              and "int" in str(self.dtype)):
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This may result in an incorrect "
                "weight due to type casting Consider using integer weights."
            )
        sample_weight = metrics_utils.convert_to_tensor(sample_weight, device=device).to(
            device=device, dtype=dtype
        )
        if sample_weight.dim() > 1:
            sample_weight = sample_weight.reshape(-1)
        sample_weight = torch.broadcast_to(sample_weight, y_true.shape)

        # Labels or predictions outside [0, num_classes), and the ignored class, count for nothing.
        bounds_mask = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (
            y_pred < self.num_classes
        )
        if self.ignore_class is not None:
            bounds_mask = bounds_mask & (y_true != self.ignore_class)
        zero = torch.zeros((), dtype=dtype, device=device)
        y_true = torch.where(bounds_mask, y_true, zero)
        y_pred = torch.where(bounds_mask, y_pred, zero)
        sample_weight = torch.where(bounds_mask, sample_weight, zero)

        current_cm = metrics_utils.confusion_matrix(y_true, y_pred, self.num_classes,
                                                    weights=sample_weight, dtype=self.dtype)
        self.total_cm.value.add_(current_cm)

    def reset_state(self):
        self.total_cm.value.zero_()


@keras_export("keras.metrics.IoU")
class IoU(_IoUBase):
    """Computes the Intersection-Over-Union metric for specific target classes.

    Formula:

    ```python
    iou = true_positives / (true_positives + false_positives + false_negatives)
    ```

    Intersection-Over-Union is a common evaluation metric for semantic image segmentation. The
    predictions are accumulated in a confusion matrix, weighted by `sample_weight` and the metric is
    then calculated from it. If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of
    0 to mask values.

    Note, this class first computes IoUs for all individual classes, then returns the mean of IoUs for
    the classes that are specified by `target_class_ids`. If `target_class_ids` has only one id value,
    the IoU of that specific class is returned.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        target_class_ids: A tuple or list of target class ids for which the metric is returned. To
            compute IoU for a specific class, a list (or tuple) of a single id value should be provided.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        ignore_class: Optional integer. The ID of a class to be ignored during metric computation.
        sparse_y_true: Whether labels are encoded using integers or dense floating point vectors.
        sparse_y_pred: Whether predictions are encoded using integers or dense floating point vectors.
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.

    Example:

    >>> m = keras.metrics.IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    0.33333334
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, num_classes=num_classes, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis, dtype=dtype)
        target_class_ids = list(target_class_ids)
        if not target_class_ids:
            raise ValueError("Argument `target_class_ids` must name at least one class. Received: []")
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes})."
            )
        self.target_class_ids = target_class_ids

    def result(self):
        """Computes the intersection-over-union via the confusion matrix."""
        total_cm = self.total_cm.value
        dtype = backend.to_torch_dtype(self.dtype)
        sum_over_row = torch.sum(total_cm, dim=0).to(dtype)
        sum_over_col = torch.sum(total_cm, dim=1).to(dtype)
        true_positives = torch.diagonal(total_cm).to(dtype)
        # The union: predicted as the class + labelled as the class - both.
        denominator = sum_over_row + sum_over_col - true_positives
        target_class_ids = torch.tensor(self.target_class_ids, dtype=torch.long, device=total_cm.device)
        true_positives = true_positives[target_class_ids].to(torch.float32)
        denominator = denominator[target_class_ids].to(torch.float32)
        valid_entries = (denominator > 1e-9).to(torch.float32)
        num_valid_entries = torch.sum(valid_entries)
        iou = true_positives / (denominator + EPSILON)
        iou = torch.where(valid_entries.bool(), iou, torch.zeros_like(iou))
        return torch.sum(iou, dim=self.axis) / (num_valid_entries + EPSILON)

    def get_config(self):
        config = {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.BinaryIoU")
class BinaryIoU(IoU):
    """Computes the Intersection-Over-Union metric for class 0 and/or 1.

    Predictions are thresholded: `y_pred >= threshold` is class 1, the rest class 0. The IoU of the
    classes in `target_class_ids` is averaged.

    Args:
        target_class_ids: A tuple or list of target class ids for which the metric is returned. Options
            are `[0]`, `[1]`, or `[0, 1]`. Defaults to `(0, 1)`.
        threshold: A threshold that applies to the prediction logits to convert them to either
            predicted class 0 if the logit is below `threshold` or predicted class 1 if the logit is
            above `threshold`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> m.result()
    0.33333334
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        device = self._sync_device(y_pred, y_true, sample_weight)
        y_pred = metrics_utils.convert_to_tensor(y_pred, device=device).to(device=device, dtype=torch.float32)
        y_pred = (y_pred >= self.threshold).to(backend.to_torch_dtype(self.dtype))
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


@keras_export("keras.metrics.MeanIoU")
class MeanIoU(IoU):
    """Computes the mean Intersection-Over-Union metric over all classes.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        ignore_class: Optional integer. The ID of a class to be ignored during metric computation.
        sparse_y_true: Whether labels are encoded using integers or dense floating point vectors.
        sparse_y_pred: Whether predictions are encoded using integers or dense floating point vectors.
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.

    Example:

    >>> m = keras.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    0.33333334
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         axis=axis, dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@keras_export("keras.metrics.OneHotIoU")
class OneHotIoU(IoU):
    """Computes the Intersection-Over-Union metric for one-hot encoded labels.

    Same as `IoU` with `sparse_y_true=False`: labels are one-hot vectors and the argmax of `y_pred`
    (unless `sparse_y_pred=True`) is the predicted class.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        target_class_ids: A tuple or list of target class ids for which the metric is returned.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        ignore_class: Optional integer. The ID of a class to be ignored during metric computation.
        sparse_y_pred: Whether predictions are encoded using integers or dense floating point vectors.
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@keras_export("keras.metrics.OneHotMeanIoU")
class OneHotMeanIoU(MeanIoU):
    """Computes the mean Intersection-Over-Union metric for one-hot encoded labels.

    Same as `MeanIoU` with `sparse_y_true=False`.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        ignore_class: Optional integer. The ID of a class to be ignored during metric computation.
        sparse_y_pred: Whether predictions are encoded using integers or dense floating point vectors.
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes=num_classes, axis=axis, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
