"""Probabilistic metrics: crossentropies, KL divergence, Poisson (mirrors
`keras/src/metrics/probabilistic_metrics.py`)."""

from torchkeras.api_export import keras_export
from torchkeras.metrics import reduction_metrics
from torchkeras.metrics.loss_functions import binary_crossentropy
from torchkeras.metrics.loss_functions import categorical_crossentropy
from torchkeras.metrics.loss_functions import kl_divergence
from torchkeras.metrics.loss_functions import poisson
from torchkeras.metrics.loss_functions import sparse_categorical_crossentropy


def _check_label_smoothing(label_smoothing):
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) or not (
        0 <= label_smoothing <= 1
    ):
        raise ValueError(
            "Invalid value for argument `label_smoothing`. Expected a float in [0, 1]. "
            f"Received: label_smoothing={label_smoothing!r}"
        )


@keras_export("keras.metrics.KLDivergence")
class KLDivergence(reduction_metrics.MeanMetricWrapper):
    """Computes Kullback-Leibler divergence metric between `y_true` and `y_pred`.

    Formula: `metric = y_true * log(y_true / y_pred)`

    `y_true` and `y_pred` are expected to be probability distributions, with values between 0 and 1.
    They are clipped to the `[epsilon, 1]` range.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.KLDivergence()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    0.45814306
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(fn=kl_divergence, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.Poisson")
class Poisson(reduction_metrics.MeanMetricWrapper):
    """Computes the Poisson metric between `y_true` and `y_pred`.

    Formula: `metric = y_pred - y_true * log(y_pred)`

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = keras.metrics.Poisson()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.49999997
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(fn=poisson, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras_export("keras.metrics.BinaryCrossentropy")
class BinaryCrossentropy(reduction_metrics.MeanMetricWrapper):
    """Computes the crossentropy metric between the labels and predictions.

    This is the crossentropy metric class to be used when there are only two label classes (0 and 1).
    `y_true` and `y_pred` must have the same shape.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_logits: (Optional) Whether output is expected to be a logits tensor. By default, we
            consider that output encodes a probability distribution.
        label_smoothing: (Optional) Float in `[0, 1]`. When > 0, label values are smoothed, meaning the
            confidence on label values are relaxed. e.g. `label_smoothing=0.2` means that we will use
            a value of 0.1 for label "0" and 0.9 for label "1".

    Example:

    >>> m = keras.metrics.BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    0.81492424
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        _check_label_smoothing(label_smoothing)
        super().__init__(binary_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self._direction = "down"

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


@keras_export("keras.metrics.CategoricalCrossentropy")
class CategoricalCrossentropy(reduction_metrics.MeanMetricWrapper):
    """Computes the crossentropy metric between the labels and predictions.

    This is the crossentropy metric class to be used when there are multiple label classes (2 or more).
    It assumes that labels are one-hot encoded, e.g., when labels values are `[2, 0, 1]`, then `y_true`
    is `[[0, 0, 1], [1, 0, 0], [0, 1, 0]]`.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_logits: (Optional) Whether output is expected to be a logits tensor. By default, we
            consider that output encodes a probability distribution.
        label_smoothing: (Optional) Float in `[0, 1]`. When > 0, label values are smoothed, meaning the
            confidence on label values are relaxed. e.g. `label_smoothing=0.2` means that we will use a
            value of 0.1 for label "0" and 0.9 for label "1".
        axis: (Optional) Defaults to `-1`. The dimension along which entropy is computed.

    Example:

    >>> m = keras.metrics.CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> m.result()
    1.1769392
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        _check_label_smoothing(label_smoothing)
        super().__init__(categorical_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self._direction = "down"

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


@keras_export("keras.metrics.SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(reduction_metrics.MeanMetricWrapper):
    """Computes the crossentropy metric between the labels and predictions.

    Use this crossentropy metric when there are two or more label classes. It expects labels to be
    provided as integers. If you want to provide labels that are one-hot encoded, please use the
    `CategoricalCrossentropy` metric instead.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_logits: (Optional) Whether output is expected to be a logits tensor. By default, we
            consider that output encodes a probability distribution.
        ignore_class: (Optional) Integer. Class to ignore. If `None`, no class is ignored.
        axis: (Optional) Defaults to `-1`. The dimension along which entropy is computed.

    Example:

    >>> m = keras.metrics.SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> m.result()
    1.1769392
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
        self._direction = "down"

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }
