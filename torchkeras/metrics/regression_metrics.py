"""Regression metrics (mirrors `keras/src/metrics/regression_metrics.py`)."""

import warnings

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics import metrics_utils
from torchkeras.metrics import reduction_metrics
from torchkeras.metrics.loss_functions import cosine_similarity
from torchkeras.metrics.loss_functions import log_cosh
from torchkeras.metrics.loss_functions import mean_absolute_error
from torchkeras.metrics.loss_functions import mean_absolute_percentage_error
from torchkeras.metrics.loss_functions import mean_squared_error
from torchkeras.metrics.loss_functions import mean_squared_logarithmic_error
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.metrics_utils import squeeze_or_expand_to_same_rank


@keras_export("keras.metrics.MeanSquaredError")
class MeanSquaredError(reduction_metrics.MeanMetricWrapper):
    """Computes the mean squared error between `y_true` and `y_pred`.

    Formula: `loss = mean(square(y_true - y_pred))`

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.MeanAbsoluteError")
class MeanAbsoluteError(reduction_metrics.MeanMetricWrapper):
    """Computes the mean absolute error between the labels and predictions.

    Formula: `loss = mean(abs(y_true - y_pred))`

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.MeanAbsolutePercentageError")
class MeanAbsolutePercentageError(reduction_metrics.MeanMetricWrapper):
    """Computes mean absolute percentage error between `y_true` and `y_pred`.

    Formula: `loss = 100 * mean(abs((y_true - y_pred) / y_true))` (the denominator is at least 1e-7).

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanAbsolutePercentageError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    250000000.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.MeanSquaredLogarithmicError")
class MeanSquaredLogarithmicError(reduction_metrics.MeanMetricWrapper):
    """Computes mean squared logarithmic error between `y_true` and `y_pred`.

    Formula: `loss = mean(square(log(y_true + 1) - log(y_pred + 1)))`

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanSquaredLogarithmicError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.12011322
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.RootMeanSquaredError")
class RootMeanSquaredError(reduction_metrics.Mean):
    """Computes root mean squared error metric between `y_true` and `y_pred`.

    Formula: `loss = sqrt(mean((y_pred - y_true) ** 2))`

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates root mean squared error statistics.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values.
            sample_weight: Optional weighting of each example, broadcastable to `y_true`. Defaults to 1.
        """
        device = self._sync_device(y_pred, y_true, sample_weight)
        dtype = backend.to_torch_dtype(self.dtype)
        y_true = metrics_utils.convert_to_tensor(y_true, device=device).to(device=device, dtype=dtype)
        y_pred = metrics_utils.convert_to_tensor(y_pred, device=device).to(device=device, dtype=dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        error_sq = torch.square(y_pred - y_true)
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())


@keras_export("keras.metrics.CosineSimilarity")
class CosineSimilarity(reduction_metrics.MeanMetricWrapper):
    """Computes the cosine similarity between the labels and predictions.

    Formula: `loss = sum(l2_norm(y_true) * l2_norm(y_pred))`

    This metric keeps the average cosine similarity between `predictions` and `labels` over a stream of
    data.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        axis: (Optional) Defaults to `-1`. The dimension along which the cosine similarity is computed.

    Example:

    >>> m = keras.metrics.CosineSimilarity(axis=1)
    >>> m.update_state([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])
    >>> m.result()
    0.49999997
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        # Keras 3.15 leaves `axis` out (a round trip forgets it); it is kept here, and Keras reads it.
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


@keras_export("keras.metrics.LogCoshError")
class LogCoshError(reduction_metrics.MeanMetricWrapper):
    """Computes the logarithm of the hyperbolic cosine of the prediction error.

    Formula: `logcosh = mean(log((exp(error) + exp(-error)) / 2), axis=-1)` with
    `error = y_pred - y_true`.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.LogCoshError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.10844523
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.R2Score")
class R2Score(Metric):
    """Computes R2 score (the coefficient of determination).

    Formula:

    ```python
    sum_squares_residuals = sum((y_true - y_pred) ** 2)
    sum_squares = sum((y_true - mean(y_true)) ** 2)
    R2 = 1 - sum_squares_residuals / sum_squares
    ```

    The best possible score is 1.0; 0.0 means the predictions explain none of the variation of the
    target; it can be negative. The metric can also compute the "adjusted R2" score.

    The state is created on the first update, from the number of outputs: inputs must be 2D,
    `(batch_size, output_dim)`.

    Args:
        class_aggregation: How to aggregate the scores of the different outputs (the last axis), like
            scikit-learn's `multioutput`: `None` (no aggregation), `"uniform_average"` or
            `"variance_weighted_average"`.
        num_regressors: Number of independent regressors used ("adjusted R2" score). 0 is the standard
            R2 score. Defaults to `0`.
        name: Optional. string name of the metric instance.
        dtype: Optional. data type of the metric result.

    Example:

    >>> y_true = np.array([[1], [4], [3]], dtype=np.float32)
    >>> y_pred = np.array([[2], [4], [4]], dtype=np.float32)
    >>> metric = keras.metrics.R2Score()
    >>> metric.update_state(y_true, y_pred)
    >>> metric.result()
    0.57142854
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid_class_aggregation_values = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid_class_aggregation_values:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{valid_class_aggregation_values}. Received: class_aggregation={class_aggregation}"
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected an integer >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
            )
        num_classes = y_pred_shape[-1]
        self.squared_sum = self.add_variable(name="squared_sum", shape=[num_classes], initializer="zeros")
        self.sum = self.add_variable(name="sum", shape=[num_classes], initializer="zeros")
        self.total_mse = self.add_variable(name="residual", shape=[num_classes], initializer="zeros")
        self.count = self.add_variable(name="count", shape=[num_classes], initializer="zeros")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates R2 statistics.

        Args:
            y_true: The ground truth values, `(batch_size, output_dim)`.
            y_pred: The predicted values, `(batch_size, output_dim)`.
            sample_weight: Optional weighting of each example: a scalar, `(batch_size,)`, or
                broadcastable to `y_true`. Defaults to 1.
        """
        device = self._sync_device(y_pred, y_true, sample_weight)
        dtype = backend.to_torch_dtype(self.dtype)
        y_true = metrics_utils.convert_to_tensor(y_true, device=device).to(device=device, dtype=dtype)
        y_pred = metrics_utils.convert_to_tensor(y_pred, device=device).to(device=device, dtype=dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        elif y_pred.dim() != 2 or y_pred.shape[-1] != self.sum.shape[0] or y_true.shape != y_pred.shape:
            raise ValueError(
                f"R2Score was built for inputs of shape (batch_size, {self.sum.shape[0]}). Received: "
                f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
            )
        if sample_weight is None:
            sample_weight = 1
        sample_weight = metrics_utils.convert_to_tensor(sample_weight, device=device).to(
            device=device, dtype=dtype
        )
        if sample_weight.dim() == 1:
            sample_weight = sample_weight.unsqueeze(1)  # a features axis
        sample_weight = torch.broadcast_to(sample_weight, y_true.shape)

        weighted_y_true = y_true * sample_weight
        self.sum.value.add_(weighted_y_true.sum(dim=0))
        self.squared_sum.value.add_((y_true * weighted_y_true).sum(dim=0))
        self.total_mse.value.add_(((y_true - y_pred) ** 2 * sample_weight).sum(dim=0))
        self.count.value.add_(sample_weight.sum(dim=0))
        self.num_samples.value.add_(y_true.numel())

    def result(self):
        if not self._built:
            # Keras fails here (no state yet); nothing was seen, so nothing is explained.
            return torch.zeros((), dtype=backend.to_torch_dtype(self.dtype),
                               device=self._state_device())
        sum_, squared_sum = self.sum.value, self.squared_sum.value
        mean = sum_ / self.count.value
        total = squared_sum - sum_ * mean
        raw_scores = 1 - (self.total_mse.value / total)
        raw_scores = torch.where(torch.isinf(raw_scores), torch.zeros_like(raw_scores), raw_scores)
        if self.class_aggregation == "uniform_average":
            r2_score = torch.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = torch.sum(total * raw_scores) / torch.sum(total)
        else:
            r2_score = raw_scores
        if self.num_regressors != 0:
            num_samples = float(self.num_samples.value)
            if self.num_regressors > num_samples - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 score. Falling back to "
                    "standard R2 score.",
                    stacklevel=2,
                )
            elif self.num_regressors == num_samples - 1:
                warnings.warn(
                    "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                n = self.num_samples.value.to(torch.float32)
                p = float(self.num_regressors)
                r2_score = 1.0 - ((1.0 - r2_score) * (n - 1.0)) / (n - p - 1.0)
        return r2_score

    def reset_state(self):
        for variable in self.variables:
            variable.value.zero_()

    def get_config(self):
        config = {
            "name": self.name,
            "dtype": self.dtype,
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
        base_config = super().get_config()
        return {**base_config, **config}
