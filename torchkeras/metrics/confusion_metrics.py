"""Confusion-matrix metrics (mirrors `keras/src/metrics/confusion_metrics.py`): true/false
positive/negative counts, `Precision`, `Recall`, the `*AtRecall` / `*AtSpecificity` family and `AUC`.

All of them threshold `y_pred` (a prediction is positive when it is strictly above a threshold) and keep
one count per threshold. Evenly spaced thresholds (AUC's default) use a bucketed update that costs
O(batch + thresholds) instead of O(batch * thresholds), as Keras does.
"""

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics import metrics_utils
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.metrics_utils import divide_no_nan

_CM = metrics_utils.ConfusionMatrix


def _check_top_k(top_k):
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"Argument `top_k` must be a positive integer or None. Received: top_k={top_k!r}")


def _check_class_id(class_id):
    if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, int)
                                 or class_id < 0):
        raise ValueError(
            f"Argument `class_id` must be a non-negative integer or None. Received: class_id={class_id!r}"
        )


class _ConfusionMatrixConditionCount(Metric):
    """Calculates the number of the given confusion matrix condition.

    Args:
        confusion_matrix_cond: One of `metrics_utils.ConfusionMatrix` conditions.
        thresholds: (Optional) Defaults to `0.5`. A float value or a python list / tuple of float
            threshold values in `[0, 1]`. One count is kept per threshold.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
    """

    def __init__(self, confusion_matrix_cond, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._confusion_matrix_cond = confusion_matrix_cond
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
            self.thresholds
        )
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the metric statistics.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values.
            sample_weight: Optional weighting of each example, broadcastable to `y_true`. Defaults to 1.
        """
        self._sync_device(y_pred, y_true, sample_weight)
        metrics_utils.update_confusion_matrix_variables(
            {self._confusion_matrix_cond: self.accumulator.value},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self):
        accumulator = self.accumulator.value
        return accumulator[0].clone() if len(self.thresholds) == 1 else accumulator.clone()

    def get_config(self):
        config = {"thresholds": self.init_thresholds}
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.FalsePositives")
class FalsePositives(_ConfusionMatrixConditionCount):
    """Calculates the number of false positives.

    If `sample_weight` is given, calculates the sum of the weights of false positives. Use
    `sample_weight` of 0 to mask values.

    Args:
        thresholds: (Optional) Defaults to `0.5`. A float value, or a Python list/tuple of float
            threshold values in `[0, 1]`. A threshold is compared with prediction values to determine the
            truth value of predictions (i.e., above the threshold is `True`, below is `False`). If used
            with a loss function that sets `from_logits=True` (i.e. no sigmoid applied to predictions),
            `thresholds` should be set to 0. One metric value is generated for each threshold value.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> m.result()
    2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(confusion_matrix_cond=_CM.FALSE_POSITIVES, thresholds=thresholds, name=name,
                         dtype=dtype)


@keras_export("keras.metrics.FalseNegatives")
class FalseNegatives(_ConfusionMatrixConditionCount):
    """Calculates the number of false negatives.

    If `sample_weight` is given, calculates the sum of the weights of false negatives. Use
    `sample_weight` of 0 to mask values.

    Args:
        thresholds: (Optional) Defaults to `0.5`. A float value, or a Python list/tuple of float
            threshold values in `[0, 1]`; one metric value is generated for each threshold value.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(confusion_matrix_cond=_CM.FALSE_NEGATIVES, thresholds=thresholds, name=name,
                         dtype=dtype)


@keras_export("keras.metrics.TrueNegatives")
class TrueNegatives(_ConfusionMatrixConditionCount):
    """Calculates the number of true negatives.

    If `sample_weight` is given, calculates the sum of the weights of true negatives. Use
    `sample_weight` of 0 to mask values.

    Args:
        thresholds: (Optional) Defaults to `0.5`. A float value, or a Python list/tuple of float
            threshold values in `[0, 1]`; one metric value is generated for each threshold value.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(confusion_matrix_cond=_CM.TRUE_NEGATIVES, thresholds=thresholds, name=name,
                         dtype=dtype)


@keras_export("keras.metrics.TruePositives")
class TruePositives(_ConfusionMatrixConditionCount):
    """Calculates the number of true positives.

    If `sample_weight` is given, calculates the sum of the weights of true positives. Use
    `sample_weight` of 0 to mask values.

    Args:
        thresholds: (Optional) Defaults to `0.5`. A float value, or a Python list/tuple of float
            threshold values in `[0, 1]`; one metric value is generated for each threshold value.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(confusion_matrix_cond=_CM.TRUE_POSITIVES, thresholds=thresholds, name=name,
                         dtype=dtype)


class _PrecisionRecallBase(Metric):
    """Shared state and update of `Precision` and `Recall`: true positives plus one other count."""

    _other = None  # (condition, variable name)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        _check_top_k(top_k)
        _check_class_id(class_id)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default_threshold = 0.5 if top_k is None else metrics_utils.NEG_INF
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds,
                                                              default_threshold=default_threshold)
        self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
            self.thresholds
        )
        self.true_positives = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                                name="true_positives")
        condition, variable_name = self._other
        setattr(self, variable_name, self.add_variable(shape=(len(self.thresholds),),
                                                       initializer="zeros", name=variable_name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates true positive and false positive (precision) / false negative (recall) counts.

        Args:
            y_true: The ground truth values, with the same dimensions as `y_pred`. Will be cast to
                `bool`.
            y_pred: The predicted values. Each element must be in the range `[0, 1]`.
            sample_weight: Optional weighting of each example, broadcastable to `y_true`. Defaults to 1.
        """
        self._sync_device(y_pred, y_true, sample_weight)
        condition, variable_name = self._other
        metrics_utils.update_confusion_matrix_variables(
            {
                _CM.TRUE_POSITIVES: self.true_positives.value,
                condition: getattr(self, variable_name).value,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        true_positives = self.true_positives.value
        other = getattr(self, self._other[1]).value
        result = divide_no_nan(true_positives, true_positives + other)
        return result[0] if len(self.thresholds) == 1 else result

    def reset_state(self):
        self.true_positives.value.zero_()
        getattr(self, self._other[1]).value.zero_()

    def get_config(self):
        config = {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.Precision")
class Precision(_PrecisionRecallBase):
    """Computes the precision of the predictions with respect to the labels.

    The metric creates two local variables, `true_positives` and `false_positives`, that are used to
    compute the precision: `true_positives / (true_positives + false_positives)`.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    If `top_k` is set, precision is computed as how often on average a class among the top-k classes
    with the highest predicted values of a batch entry is correct and can be found in the label for
    that entry.

    If `class_id` is specified, precision is computed by considering only the entries in the batch for
    which `class_id` is above the threshold and/or in the top-k highest predictions, and computing the
    fraction of them for which `class_id` is indeed a correct label.

    Args:
        thresholds: (Optional) A float value, or a Python list/tuple of float threshold values in
            `[0, 1]`. A threshold is compared with prediction values to determine the truth value of
            predictions (i.e., above the threshold is `True`, below is `False`). If used with a loss
            function that sets `from_logits=True` (i.e. no sigmoid applied to predictions), `thresholds`
            should be set to 0. One metric value is generated for each threshold value. If neither
            `thresholds` nor `top_k` are set, the default is to calculate precision with
            `thresholds=0.5`.
        top_k: (Optional) Unset by default. An int value specifying the top-k predictions to consider
            when calculating precision.
        class_id: (Optional) Integer class ID for which we want binary metrics. This must be in the
            half-open interval `[0, num_classes)`, where `num_classes` is the last dimension of
            predictions.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    0.6666667
    """

    _other = (_CM.FALSE_POSITIVES, "false_positives")


@keras_export("keras.metrics.Recall")
class Recall(_PrecisionRecallBase):
    """Computes the recall of the predictions with respect to the labels.

    This metric creates two local variables, `true_positives` and `false_negatives`, that are used to
    compute the recall: `true_positives / (true_positives + false_negatives)`.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    If `top_k` is set, recall is computed as how often on average a class among the labels of a batch
    entry is in the top-k predictions.

    If `class_id` is specified, recall is computed by considering only the entries in the batch for
    which `class_id` is in the label, and computing the fraction of them for which `class_id` is above
    the threshold and/or in the top-k predictions.

    Args:
        thresholds: (Optional) A float value, or a Python list/tuple of float threshold values in
            `[0, 1]`. One metric value is generated for each threshold value. If neither `thresholds`
            nor `top_k` are set, the default is to calculate recall with `thresholds=0.5`.
        top_k: (Optional) Unset by default. An int value specifying the top-k predictions to consider
            when calculating recall.
        class_id: (Optional) Integer class ID for which we want binary metrics. This must be in the
            half-open interval `[0, num_classes)`, where `num_classes` is the last dimension of
            predictions.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    0.6666667
    """

    _other = (_CM.FALSE_NEGATIVES, "false_negatives")


def _even_thresholds(num_thresholds):
    """`[0, 1/(n-1), ..., 1]` as Keras builds it (Python floats)."""
    thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0] + thresholds + [1.0]


class SensitivitySpecificityBase(Metric):
    """Abstract base class for computing one rate at a constraint on another (sensitivity at
    specificity, precision at recall, ...).

    Args:
        value: The constraint value, in `[0, 1]`.
        num_thresholds: Number of thresholds used to match the constraint. Defaults to 200.
        class_id: (Optional) Integer class ID for which we want binary metrics.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
    """

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(
                f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}"
            )
        _check_class_id(class_id)
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            self.thresholds = _even_thresholds(num_thresholds)
            self._thresholds_distributed_evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, initializer="zeros", name="true_positives")
        self.false_positives = self.add_variable(shape=shape, initializer="zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, initializer="zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, initializer="zeros", name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates confusion matrix statistics.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values.
            sample_weight: Optional weighting of each example, broadcastable to `y_true`. Defaults to 1.
        """
        self._sync_device(y_pred, y_true, sample_weight)
        metrics_utils.update_confusion_matrix_variables(
            {
                _CM.TRUE_POSITIVES: self.true_positives.value,
                _CM.TRUE_NEGATIVES: self.true_negatives.value,
                _CM.FALSE_POSITIVES: self.false_positives.value,
                _CM.FALSE_NEGATIVES: self.false_negatives.value,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def reset_state(self):
        for variable in (self.true_positives, self.false_positives, self.true_negatives,
                         self.false_negatives):
            variable.value.zero_()

    def get_config(self):
        config = {"class_id": self.class_id}
        base_config = super().get_config()
        return {**base_config, **config}

    def _rates(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),  # = recall
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _find_max_under_constraint(self, constrained, dependent, predicate):
        """The largest `dependent` value among the thresholds where `predicate(constrained, value)`."""
        feasible = predicate(constrained, self.value)
        candidates = torch.where(feasible, dependent, torch.zeros_like(dependent))
        return torch.clamp(torch.amax(candidates), min=0)


def _check_rate(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 <= value <= 1:
        raise ValueError(f"Argument `{name}` must be in the range [0, 1]. Received: {name}={value}")


@keras_export("keras.metrics.SensitivityAtSpecificity")
class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """Computes best sensitivity where specificity is >= specified value.

    `Sensitivity` measures the proportion of actual positives that are correctly identified as such
    `(tp / (tp + fn))`. `Specificity` measures the proportion of actual negatives that are correctly
    identified as such `(tn / (tn + fp))`.

    This metric creates four local variables, `true_positives`, `true_negatives`, `false_positives` and
    `false_negatives` that are used to compute the sensitivity at the given specificity. The threshold
    for the given specificity value is computed and used to evaluate the corresponding sensitivity.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    If `class_id` is specified, we calculate precision by considering only the entries in the batch for
    which `class_id` is above the threshold predictions, and computing the fraction of them for which
    `class_id` is indeed a correct label.

    Args:
        specificity: A scalar value in range `[0, 1]`.
        num_thresholds: (Optional) Defaults to 200. The number of thresholds to use for matching the
            given specificity.
        class_id: (Optional) Integer class ID for which we want binary metrics. This must be in the
            half-open interval `[0, num_classes)`, where `num_classes` is the last dimension of
            predictions.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate(specificity, "specificity")
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["specificity"], rates["sensitivity"],
                                               torch.greater_equal)

    def get_config(self):
        config = {"num_thresholds": self.num_thresholds, "specificity": self.specificity}
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.SpecificityAtSensitivity")
class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """Computes best specificity where sensitivity is >= specified value.

    `Sensitivity` measures the proportion of actual positives that are correctly identified as such
    `(tp / (tp + fn))`. `Specificity` measures the proportion of actual negatives that are correctly
    identified as such `(tn / (tn + fp))`.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    Args:
        sensitivity: A scalar value in range `[0, 1]`.
        num_thresholds: (Optional) Defaults to 200. The number of thresholds to use for matching the
            given sensitivity.
        class_id: (Optional) Integer class ID for which we want binary metrics. This must be in the
            half-open interval `[0, num_classes)`, where `num_classes` is the last dimension of
            predictions.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.66666667
    """

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate(sensitivity, "sensitivity")
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["specificity"],
                                               torch.greater_equal)

    def get_config(self):
        config = {"num_thresholds": self.num_thresholds, "sensitivity": self.sensitivity}
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.PrecisionAtRecall")
class PrecisionAtRecall(SensitivitySpecificityBase):
    """Computes best precision where recall is >= specified value.

    This metric creates four local variables, `true_positives`, `true_negatives`, `false_positives` and
    `false_negatives` that are used to compute the precision at the given recall. The threshold for the
    given recall value is computed and used to evaluate the corresponding precision.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    Args:
        recall: A scalar value in range `[0, 1]`.
        num_thresholds: (Optional) Defaults to 200. The number of thresholds to use for matching the
            given recall.
        class_id: (Optional) Integer class ID for which we want binary metrics. This must be in the
            half-open interval `[0, num_classes)`, where `num_classes` is the last dimension of
            predictions.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate(recall, "recall")
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(value=recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["precision"],
                                               torch.greater_equal)

    def get_config(self):
        config = {"num_thresholds": self.num_thresholds, "recall": self.recall}
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.RecallAtPrecision")
class RecallAtPrecision(SensitivitySpecificityBase):
    """Computes best recall where precision is >= specified value.

    For a given score-label-distribution the required precision might not be achievable, in this case
    0.0 is returned as recall.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    Args:
        precision: A scalar value in range `[0, 1]`.
        num_thresholds: (Optional) Defaults to 200. The number of thresholds to use for matching the
            given precision.
        class_id: (Optional) Integer class ID for which we want binary metrics. This must be in the
            half-open interval `[0, num_classes)`, where `num_classes` is the last dimension of
            predictions.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.5
    """

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_rate(precision, "precision")
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(value=precision, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["precision"], rates["sensitivity"],
                                               torch.greater_equal)

    def get_config(self):
        config = {"num_thresholds": self.num_thresholds, "precision": self.precision}
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.metrics.AUC")
class AUC(Metric):
    """Approximates the AUC (Area under the curve) of the ROC or PR curves.

    The AUC of ROC (receiver operating characteristic; default) or PR (precision recall) curves are
    quality measures of binary classifiers. Unlike the accuracy, and like cross-entropy losses, ROC-AUC
    and PR-AUC evaluate all the operational points of a model.

    This class approximates AUCs using a Riemann sum. During the metric accumulation phrase, predictions
    are accumulated within predefined buckets by value. The AUC is then computed by interpolating
    per-bucket averages. These buckets define the evaluated operational points.

    This metric creates four local variables, `true_positives`, `true_negatives`, `false_positives` and
    `false_negatives` that are used to compute the AUC. To discretize the AUC curve, a linearly spaced
    set of thresholds is used to compute pairs of recall and precision values. The area under the ROC
    curve is therefore computed using the height of the recall values by the false positive rate, while
    the area under the PR-curve is the computed using the height of the precision values by the recall.

    If `sample_weight` is `None`, weights default to 1. Use `sample_weight` of 0 to mask values.

    Args:
        num_thresholds: (Optional) The number of thresholds to use when discretizing the roc curve.
            Values must be > 1. Defaults to `200`.
        curve: (Optional) Specifies the name of the curve to be computed, `'ROC'` (default) or `'PR'`
            for the Precision-Recall-curve (or `'PRGAIN'`).
        summation_method: (Optional) Specifies the Riemann summation method used.
            `'interpolation'` (default) applies mid-point summation for ROC and, for PR-AUC, interpolates
            (true/false) positives but not the ratio that is precision (see Davis & Goadrich 2006);
            `'minoring'` applies left summation for increasing intervals and right summation for
            decreasing intervals; `'majoring'` does the opposite.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        thresholds: (Optional) A list of floating point values to use as the thresholds for
            discretizing the curve. If set, the `num_thresholds` parameter is ignored. Values should be
            in `[0, 1]`. Endpoint thresholds equal to {`-epsilon`, `1+epsilon`} for a small positive
            epsilon value will be automatically included with these to correctly handle predictions
            equal to exactly 0 or 1.
        multi_label: boolean indicating whether multilabel data should be treated as such, wherein AUC
            is computed separately for each label and then averaged across labels, or (when `False`)
            if the data should be flattened into a single label before AUC computation.
        num_labels: (Optional) The number of labels, used when `multi_label` is True. If `num_labels`
            is not specified, then state variables get created on the first call to `update_state`.
        label_weights: (Optional) list, array, or tensor of non-negative weights used to compute AUCs
            for multilabel data. When `multi_label` is True, the weights are applied to the individual
            label AUCs when they are averaged to produce the multi-label AUC. When it's False, they are
            used to weight the individual label predictions in computing the confusion matrix on the
            flattened data.
        from_logits: boolean indicating whether the predictions (`y_pred` in `update_state`) are
            probabilities or sigmoid logits.

    Example:

    >>> m = keras.metrics.AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(metrics_utils.to_list(thresholds))
            metrics_utils.assert_thresholds_range(thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0])
            )
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = _even_thresholds(num_thresholds)[1:-1]
            self._thresholds_distributed_evenly = True
        # Endpoints just outside [0, 1] so that predictions of exactly 0 or 1 are counted.
        self._thresholds = np.array([0.0 - metrics_utils.EPSILON] + thresholds
                                    + [1.0 + metrics_utils.EPSILON])
        if isinstance(curve, metrics_utils.AUCCurve):
            self.curve = curve
        else:
            self.curve = metrics_utils.AUCCurve.from_str(curve)
        if isinstance(summation_method, metrics_utils.AUCSummationMethod):
            self.summation_method = summation_method
        else:
            self.summation_method = metrics_utils.AUCSummationMethod.from_str(summation_method)
        self.multi_label = multi_label
        self.num_labels = num_labels
        if label_weights is not None:
            label_weights = metrics_utils.convert_to_tensor(label_weights).to(
                backend.to_torch_dtype(self.dtype if backend.is_float_dtype(self.dtype) else "float32")
            )
            if label_weights.dim() != 1:
                raise ValueError(
                    "Argument `label_weights` must be a 1D list of weights, one per label. Received: "
                    f"label_weights with shape {tuple(label_weights.shape)}"
                )
            if torch.any(label_weights < 0):
                raise ValueError(
                    "All values of argument `label_weights` must be non-negative. Received: "
                    f"label_weights={label_weights.tolist()}"
                )
            # A buffer outside `variables`: it moves with the metric but is configuration, not state.
            self.register_buffer("_label_weights", label_weights, persistent=False)
        else:
            self._label_weights = None
        self._from_logits = from_logits
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @classmethod
    def from_config(cls, config):
        label_weights = config.get("label_weights")
        if isinstance(label_weights, dict):
            # Keras writes its tensor as a `__tensor__` config (and cannot read it back itself).
            from torchkeras.saving import serialization

            config = {**config, "label_weights": serialization.deserialize_keras_object(label_weights)}
        return cls(**config)

    @property
    def label_weights(self):
        return self._label_weights

    @property
    def thresholds(self):
        """The thresholds used for evaluating AUC."""
        return list(self._thresholds)

    def _build(self, shape):
        """Initialize TP, FP, TN, and FN tensors, given the shape of the data."""
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            variable_shape = [self.num_thresholds, self._num_labels]
        else:
            variable_shape = [self.num_thresholds]
        self._build_input_shape = shape
        self.true_positives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                name="true_positives")
        self.false_positives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                 name="false_positives")
        self.true_negatives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                name="true_negatives")
        self.false_negatives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                 name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates confusion matrix statistics.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values (probabilities, or logits with `from_logits=True`).
            sample_weight: Optional weighting of each example, broadcastable to `y_true`. Defaults to 1.
        """
        device = self._sync_device(y_pred, y_true, sample_weight)
        y_pred = metrics_utils.convert_to_tensor(y_pred, device=device).to(device)
        if not self._built:
            self._build(tuple(y_pred.shape))
        elif self.multi_label and (y_pred.dim() != 2 or y_pred.shape[1] != self._num_labels):
            raise ValueError(
                f"AUC '{self.name}' was built for multi-label predictions of shape (batch_size, "
                f"{self._num_labels}). Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        label_weights = None if self.multi_label else self._label_weights
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        metrics_utils.update_confusion_matrix_variables(
            {
                _CM.TRUE_POSITIVES: self.true_positives.value,
                _CM.TRUE_NEGATIVES: self.true_negatives.value,
                _CM.FALSE_POSITIVES: self.false_positives.value,
                _CM.FALSE_NEGATIVES: self.false_negatives.value,
            },
            y_true,
            y_pred,
            self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=label_weights,
        )

    def _average_over_labels(self, by_label_auc):
        if self._label_weights is None:
            return torch.mean(by_label_auc)
        return divide_no_nan(torch.sum(by_label_auc * self._label_weights), torch.sum(self._label_weights))

    def interpolate_pr_auc(self):
        """Interpolation formula inspired by section 4 of Davis & Goadrich 2006.

        https://www.biostat.wisc.edu/~page/rocpr.pdf

        Between two adjacent thresholds the number of true positives and of all positives are
        interpolated linearly, and the precision integrated exactly over the interval.
        """
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            (p[: n - 1] > 0) & (p[1:] > 0),
            divide_no_nan(p[: n - 1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        pr_auc_increment = divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            torch.clamp(tp[1:] + fn[1:], min=0),
        )
        if self.multi_label:
            return self._average_over_labels(torch.sum(pr_auc_increment, dim=0))
        return torch.sum(pr_auc_increment)

    def result(self):
        if not self._built:
            # Keras fails here (no state yet); with nothing seen, every count is 0 and so is the area.
            return torch.zeros((), dtype=torch.float32, device=self._state_device())
        if (self.curve == metrics_utils.AUCCurve.PR
                and self.summation_method == metrics_utils.AUCSummationMethod.INTERPOLATION):
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == metrics_utils.AUCCurve.ROC:
            x = divide_no_nan(fp, fp + tn)  # false positive rate
            y = recall
        elif self.curve == metrics_utils.AUCCurve.PR:
            x = recall
            y = divide_no_nan(tp, tp + fp)  # precision
        else:  # PRGAIN
            scaling_factor = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling_factor * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling_factor * divide_no_nan(fp, tp)
            recall_gain = torch.where(tp == 0.0, torch.zeros_like(recall_gain), recall_gain)
            precision_gain = torch.where(tp == 0.0, torch.ones_like(precision_gain), precision_gain)
            x = torch.clamp(recall_gain, min=0.0)
            y = precision_gain

        if self.summation_method == metrics_utils.AUCSummationMethod.INTERPOLATION:
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == metrics_utils.AUCSummationMethod.MINORING:
            heights = torch.minimum(y[: n - 1], y[1:])
        else:  # MAJORING
            heights = torch.maximum(y[: n - 1], y[1:])
        riemann_terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._average_over_labels(torch.sum(riemann_terms, dim=0))
        return torch.sum(riemann_terms)

    def reset_state(self):
        if self._built:
            for variable in (self.true_positives, self.false_positives, self.true_negatives,
                             self.false_negatives):
                variable.value.zero_()

    def get_config(self):
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self._label_weights is None else self._label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        # Only the thresholds given by the user; the endpoints are added again on construction.
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        base_config = super().get_config()
        return {**base_config, **config}
