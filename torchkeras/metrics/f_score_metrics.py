"""`FBetaScore` and `F1Score` (mirrors `keras/src/metrics/f_score_metrics.py`)."""

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics import metrics_utils
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.metrics_utils import EPSILON


@keras_export("keras.metrics.FBetaScore")
class FBetaScore(Metric):
    """Computes F-Beta score.

    Formula:

    ```python
    b2 = beta ** 2
    f_beta_score = (1 + b2) * (precision * recall) / (precision * b2 + recall)
    ```

    This is the weighted harmonic mean of precision and recall. Its output range is `[0, 1]`. It works
    for both multi-class and multi-label classification. Inputs are 2D, `(batch_size, output_dim)`; the
    state is created on the first update.

    Args:
        average: Type of averaging to be performed across per-class results in the multi-class case.
            Acceptable values are `None`, `"micro"`, `"macro"` and `"weighted"`. Defaults to `None`.
            If `None`, no averaging is performed and `result()` will return the score for each class.
            If `"micro"`, compute metrics globally by counting the total true positives, false
            negatives and false positives. If `"macro"`, compute metrics for each label, and return
            their unweighted mean. If `"weighted"`, compute metrics for each label, and return their
            average weighted by support (the number of true instances for each label).
        beta: Determines the weight of given to recall in the harmonic mean between precision and
            recall. Default value is 1.
        threshold: Elements of `y_pred` greater than `threshold` are converted to be 1, and the rest 0.
            If `threshold` is `None`, the argmax of `y_pred` is converted to 1, and the rest to 0.
        name: Optional. String name of the metric instance.
        dtype: Optional. Data type of the metric result.

    Returns:
        F-Beta Score: float.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if self.average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
            )
        num_classes = y_pred_shape[-1]
        init_shape = (num_classes,) if self.average != "micro" else ()

        def _add_zeros_variable(name):
            return self.add_variable(name=name, shape=init_shape, initializer="zeros", dtype=self.dtype)

        self.true_positives = _add_zeros_variable("true_positives")
        self.false_positives = _add_zeros_variable("false_positives")
        self.false_negatives = _add_zeros_variable("false_negatives")
        self.intermediate_weights = _add_zeros_variable("intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        device = self._sync_device(y_pred, y_true, sample_weight)
        dtype = backend.to_torch_dtype(self.dtype)
        y_true = metrics_utils.convert_to_tensor(y_true, device=device).to(device=device, dtype=dtype)
        y_pred = metrics_utils.convert_to_tensor(y_pred, device=device).to(device=device, dtype=dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if y_true.shape != y_pred.shape or y_pred.dim() != 2:
            raise ValueError(
                "FBetaScore expects `y_true` and `y_pred` of the same 2D shape (batch_size, output_dim). "
                f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
            )

        if self.threshold is None:
            threshold = torch.amax(y_pred, dim=-1, keepdim=True)
            # Any element of y_pred reaching the row maximum counts as the prediction (ties included).
            y_pred = (y_pred >= threshold) & (torch.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(dtype)

        if sample_weight is not None:
            sample_weight = metrics_utils.convert_to_tensor(sample_weight, device=device).to(
                device=device, dtype=dtype
            )

        def _weighted_sum(val):
            if sample_weight is not None:
                val = val * sample_weight.unsqueeze(1)
            return torch.sum(val, dim=self.axis) if self.axis is not None else torch.sum(val)

        self.true_positives.value.add_(_weighted_sum(y_pred * y_true))
        self.false_positives.value.add_(_weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.value.add_(_weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.value.add_(_weighted_sum(y_true))

    def result(self):
        if not self._built:
            # Keras fails here (no state yet); nothing seen scores 0.
            return torch.zeros((), dtype=backend.to_torch_dtype(self.dtype), device=self._state_device())
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        mul_value = precision * recall
        add_value = ((self.beta ** 2) * precision) + recall
        mean = mul_value / (add_value + EPSILON)
        f1_score = mean * (1 + (self.beta ** 2))
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            weights = weights / (torch.sum(weights) + EPSILON)
            f1_score = torch.sum(f1_score * weights)
        elif self.average is not None:  # micro, macro
            f1_score = torch.mean(f1_score)
        return f1_score

    def get_config(self):
        config = {
            "name": self.name,
            "dtype": self.dtype,
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }
        base_config = super().get_config()
        return {**base_config, **config}

    def reset_state(self):
        for variable in self.variables:
            variable.value.zero_()


@keras_export("keras.metrics.F1Score")
class F1Score(FBetaScore):
    r"""Computes F-1 Score.

    Formula:

    ```python
    f1_score = 2 * (precision * recall) / (precision + recall)
    ```

    This is the harmonic mean of precision and recall. Its output range is `[0, 1]`. It works for both
    multi-class and multi-label classification.

    Args:
        average: Type of averaging to be performed on data. Acceptable values are `None`, `"micro"`,
            `"macro"` and `"weighted"`. Defaults to `None` (one score per class). See `FBetaScore`.
        threshold: Elements of `y_pred` greater than `threshold` are converted to be 1, and the rest 0.
            If `threshold` is `None`, the argmax of `y_pred` is converted to 1, and the rest to 0.
        name: Optional. String name of the metric instance.
        dtype: Optional. Data type of the metric result.

    Returns:
        F-1 Score: float.

    Example:

    >>> metric = keras.metrics.F1Score(threshold=0.5)
    >>> y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    >>> y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    >>> metric.update_state(y_true, y_pred)
    >>> metric.result()
    array([0.5      , 0.8      , 0.6666667], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        base_config = super().get_config()
        del base_config["beta"]
        return base_config
