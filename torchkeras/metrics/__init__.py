"""Keras metrics as torch modules (`from torchkeras import metrics`), mirroring `keras.metrics`.

`get(identifier)` resolves names the way `keras.metrics.get` does: class names (`"AUC"`), their
snake-cased forms (`"auc"`, `"categorical_accuracy"`) and Keras's short aliases (`"mse"`, `"mae"`,
`"mape"`, `"msle"`, `"bce"`) give a fresh metric instance; `"acc"` is not a name Keras knows here
(`compile()` resolves `"accuracy"`/`"acc"` itself, from the loss and output shapes).
"""

import inspect

from torchkeras.api_export import keras_export
from torchkeras.metrics.accuracy_metrics import Accuracy
from torchkeras.metrics.accuracy_metrics import BinaryAccuracy
from torchkeras.metrics.accuracy_metrics import CategoricalAccuracy
from torchkeras.metrics.accuracy_metrics import SparseCategoricalAccuracy
from torchkeras.metrics.accuracy_metrics import SparseTopKCategoricalAccuracy
from torchkeras.metrics.accuracy_metrics import TopKCategoricalAccuracy
from torchkeras.metrics.accuracy_metrics import binary_accuracy
from torchkeras.metrics.accuracy_metrics import categorical_accuracy
from torchkeras.metrics.accuracy_metrics import sparse_categorical_accuracy
from torchkeras.metrics.accuracy_metrics import sparse_top_k_categorical_accuracy
from torchkeras.metrics.accuracy_metrics import top_k_categorical_accuracy
from torchkeras.metrics.confusion_metrics import AUC
from torchkeras.metrics.confusion_metrics import FalseNegatives
from torchkeras.metrics.confusion_metrics import FalsePositives
from torchkeras.metrics.confusion_metrics import Precision
from torchkeras.metrics.confusion_metrics import PrecisionAtRecall
from torchkeras.metrics.confusion_metrics import Recall
from torchkeras.metrics.confusion_metrics import RecallAtPrecision
from torchkeras.metrics.confusion_metrics import SensitivityAtSpecificity
from torchkeras.metrics.confusion_metrics import SpecificityAtSensitivity
from torchkeras.metrics.confusion_metrics import TrueNegatives
from torchkeras.metrics.confusion_metrics import TruePositives
from torchkeras.metrics.f_score_metrics import F1Score
from torchkeras.metrics.f_score_metrics import FBetaScore
from torchkeras.metrics.hinge_metrics import CategoricalHinge
from torchkeras.metrics.hinge_metrics import Hinge
from torchkeras.metrics.hinge_metrics import SquaredHinge
from torchkeras.metrics.iou_metrics import BinaryIoU
from torchkeras.metrics.iou_metrics import IoU
from torchkeras.metrics.iou_metrics import MeanIoU
from torchkeras.metrics.iou_metrics import OneHotIoU
from torchkeras.metrics.iou_metrics import OneHotMeanIoU
from torchkeras.metrics.loss_functions import binary_crossentropy
from torchkeras.metrics.loss_functions import binary_focal_crossentropy
from torchkeras.metrics.loss_functions import categorical_crossentropy
from torchkeras.metrics.loss_functions import categorical_focal_crossentropy
from torchkeras.metrics.loss_functions import categorical_hinge
from torchkeras.metrics.loss_functions import hinge
from torchkeras.metrics.loss_functions import huber
from torchkeras.metrics.loss_functions import kl_divergence
from torchkeras.metrics.loss_functions import log_cosh
from torchkeras.metrics.loss_functions import mean_absolute_error
from torchkeras.metrics.loss_functions import mean_absolute_percentage_error
from torchkeras.metrics.loss_functions import mean_squared_error
from torchkeras.metrics.loss_functions import mean_squared_logarithmic_error
from torchkeras.metrics.loss_functions import poisson
from torchkeras.metrics.loss_functions import sparse_categorical_crossentropy
from torchkeras.metrics.loss_functions import squared_hinge
from torchkeras.metrics.metric import Metric
from torchkeras.metrics.metric import MetricVariable
from torchkeras.metrics.probabilistic_metrics import BinaryCrossentropy
from torchkeras.metrics.probabilistic_metrics import CategoricalCrossentropy
from torchkeras.metrics.probabilistic_metrics import KLDivergence
from torchkeras.metrics.probabilistic_metrics import Poisson
from torchkeras.metrics.probabilistic_metrics import SparseCategoricalCrossentropy
from torchkeras.metrics.reduction_metrics import Mean
from torchkeras.metrics.reduction_metrics import MeanMetricWrapper
from torchkeras.metrics.reduction_metrics import Sum
from torchkeras.metrics.regression_metrics import CosineSimilarity
from torchkeras.metrics.regression_metrics import LogCoshError
from torchkeras.metrics.regression_metrics import MeanAbsoluteError
from torchkeras.metrics.regression_metrics import MeanAbsolutePercentageError
from torchkeras.metrics.regression_metrics import MeanSquaredError
from torchkeras.metrics.regression_metrics import MeanSquaredLogarithmicError
from torchkeras.metrics.regression_metrics import R2Score
from torchkeras.metrics.regression_metrics import RootMeanSquaredError
from torchkeras.utils.naming import to_snake_case

ALL_OBJECTS = (
    # Base
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    # Regression
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    # Classification
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    # Hinge
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    # Probabilistic
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    # Accuracy
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    # F-Score
    F1Score,
    FBetaScore,
    # IoU
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)


@keras_export("keras.metrics.serialize")
def serialize(metric):
    """Serializes a metric function or `Metric` instance.

    Args:
        metric: A `Metric` instance or a metric function.

    Returns:
        Metric configuration dictionary.
    """
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(metric)


@keras_export("keras.metrics.deserialize")
def deserialize(config, custom_objects=None):
    """Deserializes a serialized metric class/function instance.

    Args:
        config: Metric configuration.
        custom_objects: Optional dictionary mapping names (strings) to custom objects (classes and
            functions) to be considered during deserialization.

    Returns:
        A `Metric` instance or a metric function.
    """
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


@keras_export("keras.metrics.get")
def get(identifier):
    """Retrieves a metric as a function or `Metric` instance.

    The `identifier` may be the string name of a metric class (`"AUC"`, `"auc"`,
    `"categorical_crossentropy"`, `"mse"`), a config dict (`{"class_name": "AUC", "config": {...}}`),
    a `Metric` class (instantiated with its defaults), a `Metric` instance or a metric function (both
    returned as they are).

    >>> metric = metrics.get("CategoricalCrossentropy")
    >>> type(metric)
    <class '...metrics.CategoricalCrossentropy'>

    Args:
        identifier: A metric identifier. One of None or string name of a metric class or metric
            configuration dictionary or a metric function or a metric class instance.

    Returns:
        A metric as a function or `Metric` instance; `None` for `None`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        if inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Expected a metric class name "
        "(such as 'AUC' or 'auc'), one of the aliases 'mse', 'mae', 'mape', 'msle', 'bce', a config "
        "dict, a Metric class or instance, or a function `fn(y_true, y_pred)`."
    )


__all__ = [cls.__name__ for cls in ALL_OBJECTS] + [
    "MetricVariable",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
