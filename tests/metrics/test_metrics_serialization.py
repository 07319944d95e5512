"""`get`, `serialize`, `deserialize` and config round trips for every metric."""

import json

import numpy as np
import pytest

from torchkeras import metrics
from torchkeras import saving

REQUIRED_ARGS = {
    "MeanMetricWrapper": {"fn": metrics.mean_absolute_error},
    "PrecisionAtRecall": {"recall": 0.4},
    "RecallAtPrecision": {"precision": 0.6},
    "SensitivityAtSpecificity": {"specificity": 0.3},
    "SpecificityAtSensitivity": {"sensitivity": 0.7},
    "IoU": {"num_classes": 3, "target_class_ids": [0, 2]},
    "MeanIoU": {"num_classes": 3},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]},
    "OneHotMeanIoU": {"num_classes": 3},
}
# Non-default arguments, so that a round trip that forgot one would show.
OTHER_ARGS = {
    "BinaryAccuracy": {"threshold": 0.7},
    "TopKCategoricalAccuracy": {"k": 3},
    "SparseTopKCategoricalAccuracy": {"k": 2, "from_sorted_ids": True},
    "BinaryCrossentropy": {"from_logits": True, "label_smoothing": 0.1},
    "CategoricalCrossentropy": {"label_smoothing": 0.2, "axis": 1},
    "SparseCategoricalCrossentropy": {"ignore_class": 3, "from_logits": True},
    "CosineSimilarity": {"axis": 1},
    "R2Score": {"class_aggregation": None, "num_regressors": 2},
    "TruePositives": {"thresholds": [0.2, 0.6]},
    "Precision": {"thresholds": 0.3, "top_k": 2, "class_id": 1},
    "Recall": {"class_id": 0},
    "AUC": {"num_thresholds": 7, "curve": "PR", "summation_method": "majoring", "multi_label": True,
            "num_labels": 3, "label_weights": [1.0, 2.0, 0.5], "from_logits": True},
    "F1Score": {"average": "macro", "threshold": 0.4},
    "FBetaScore": {"beta": 2.0, "average": "weighted"},
    "BinaryIoU": {"target_class_ids": [1], "threshold": 0.2},
    "MeanIoU": {"num_classes": 3, "ignore_class": 0, "sparse_y_pred": False},
}
CLASSES = [cls for cls in metrics.ALL_OBJECTS if cls is not metrics.Metric]


@pytest.mark.parametrize("cls", CLASSES, ids=[cls.__name__ for cls in CLASSES])
def test_config_round_trip(cls):
    kwargs = {**REQUIRED_ARGS.get(cls.__name__, {}), **OTHER_ARGS.get(cls.__name__, {}), "name": "my_metric"}
    metric = cls(**kwargs)
    config = metric.get_config()
    assert config["name"] == "my_metric"
    again = cls.from_config(config)
    assert type(again) is cls and again.get_config() == config
    # Through the Keras serialization format, JSON included.
    serialized = json.loads(json.dumps(metrics.serialize(metric)))
    assert serialized["module"] == "keras.metrics"
    assert serialized["class_name"] == cls.__name__
    restored = metrics.deserialize(serialized)
    assert type(restored) is cls and restored.get_config() == config
    assert [v.name for v in restored.variables] == [v.name for v in metric.variables]


def test_thresholds_of_auc_survive_a_round_trip():
    auc = metrics.AUC(thresholds=[0.7, 0.2, 0.5])
    config = auc.get_config()
    assert config["thresholds"] == [0.2, 0.5, 0.7] and config["num_thresholds"] == 5
    again = metrics.AUC.from_config(config)
    assert again.thresholds == auc.thresholds


def test_auc_reads_the_label_weights_keras_writes():
    # Keras serializes its label-weight tensor as a `__tensor__` config (which Keras itself cannot read).
    config = metrics.AUC(label_weights=[1.0, 2.0]).get_config()
    config["label_weights"] = {"class_name": "__tensor__",
                               "config": {"value": [1.0, 2.0], "dtype": "float32"}}
    assert metrics.AUC.from_config(config).label_weights.tolist() == [1.0, 2.0]


def test_wrapper_of_a_registered_function():
    @saving.register_keras_serializable(package="test_metrics")
    def squared_diff(y_true, y_pred):
        return (y_true - y_pred) ** 2

    try:
        wrapper = metrics.MeanMetricWrapper(fn=squared_diff, name="sq")
        restored = metrics.deserialize(json.loads(json.dumps(metrics.serialize(wrapper))))
        assert restored._fn is squared_diff and restored.name == "sq"
        assert float(restored([1.0, 2.0], [1.0, 4.0])) == 2.0
    finally:
        saving.get_custom_objects().pop("test_metrics>squared_diff", None)


def test_wrapper_keeps_function_arguments():
    wrapper = metrics.MeanMetricWrapper(fn=metrics.binary_accuracy, name="acc_at_0.9", threshold=0.9)
    config = wrapper.get_config()
    assert config["threshold"] == 0.9
    restored = metrics.MeanMetricWrapper.from_config(config)
    assert float(restored([1, 1], [0.95, 0.85])) == 0.5


@pytest.mark.parametrize("identifier, cls", [
    ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError), ("mae", metrics.MeanAbsoluteError),
    ("MAE", metrics.MeanAbsoluteError), ("mape", metrics.MeanAbsolutePercentageError),
    ("MAPE", metrics.MeanAbsolutePercentageError), ("msle", metrics.MeanSquaredLogarithmicError),
    ("MSLE", metrics.MeanSquaredLogarithmicError), ("bce", metrics.BinaryCrossentropy),
    ("BCE", metrics.BinaryCrossentropy), ("accuracy", metrics.Accuracy), ("Accuracy", metrics.Accuracy),
    ("auc", metrics.AUC), ("AUC", metrics.AUC), ("kl_divergence", metrics.KLDivergence),
    ("categorical_crossentropy", metrics.CategoricalCrossentropy), ("r2_score", metrics.R2Score),
    ("log_cosh_error", metrics.LogCoshError), ("f1_score", metrics.F1Score),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
])
def test_get_by_name(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric) is cls
    assert metrics.get(identifier) is not metric  # a fresh instance each time


def test_get_other_identifiers():
    assert metrics.get(None) is None
    precision = metrics.Precision()
    assert metrics.get(precision) is precision
    assert metrics.get(metrics.mean_squared_error) is metrics.mean_squared_error
    assert type(metrics.get(metrics.Recall)) is metrics.Recall
    auc = metrics.get({"class_name": "AUC", "config": {"num_thresholds": 9, "name": "auc_9"}})
    assert auc.num_thresholds == 9 and auc.name == "auc_9"


def test_serialized_form_matches_keras_layout():
    assert metrics.serialize(metrics.Mean(name="mean")) == {
        "module": "keras.metrics", "class_name": "Mean", "config": {"name": "mean", "dtype": "float32"},
        "registered_name": None,
    }
    wrapper = metrics.serialize(metrics.MeanMetricWrapper(fn=metrics.mean_squared_error, name="w"))
    assert wrapper["config"]["fn"] == {"module": "builtins", "class_name": "function",
                                       "config": "mean_squared_error", "registered_name": "function"}


def test_state_survives_state_dict_but_not_config():
    metric = metrics.Precision(thresholds=[0.3, 0.6], name="p")
    metric.update_state([1, 0, 1], [0.5, 0.7, 0.9])
    fresh = metrics.deserialize(metrics.serialize(metric))
    assert np.all(fresh.result().numpy() == 0)
    fresh.load_state_dict(metric.state_dict())
    np.testing.assert_array_equal(fresh.result().numpy(), metric.result().numpy())
