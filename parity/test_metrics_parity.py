"""Every torchkeras metric against `keras.metrics` (Keras 3 on its torch backend).

Both sides are fed the same batches (with sample weights, and Keras masks on `y_pred` where Keras reads
them); `result()` is compared after every batch, after `reset_state()` and after more data; the state
variables are compared by name, shape and value; configs are compared and loaded across.
"""

import os

import numpy as np
import pytest
import torch

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from parity.harness import LAYER_ATOL, LAYER_RTOL, assert_close  # noqa: E402
from torchkeras import metrics  # noqa: E402
from torchkeras import saving  # noqa: E402

N = 8  # samples per batch
C = 4  # classes / outputs


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _data(kind, rng):
    """One batch `(y_true, y_pred)` of the given kind, as numpy arrays."""
    f32 = np.float32
    if kind == "values":
        return None, rng.normal(size=(N, 3)).astype(f32)
    if kind == "regression":
        return rng.normal(size=(N, 3)).astype(f32), rng.normal(size=(N, 3)).astype(f32)
    if kind == "regression_1d":
        return rng.normal(size=(N,)).astype(f32), rng.normal(size=(N, 1)).astype(f32)
    if kind == "positive":
        return rng.uniform(0.1, 2.0, size=(N, 3)).astype(f32), rng.uniform(0.1, 2.0, size=(N, 3)).astype(f32)
    if kind == "int_regression":
        return (rng.integers(0, 3, size=(N, 2)).astype(np.int32),
                rng.integers(0, 3, size=(N, 2)).astype(np.int32))
    if kind == "binary":
        return rng.integers(0, 2, size=(N, 3)).astype(f32), rng.uniform(0, 1, size=(N, 3)).astype(f32)
    if kind == "binary_col":
        return rng.integers(0, 2, size=(N, 1)).astype(f32), rng.uniform(0, 1, size=(N, 1)).astype(f32)
    if kind == "binary_flat":
        return rng.integers(0, 2, size=(N,)).astype(f32), rng.uniform(0, 1, size=(N,)).astype(f32)
    if kind == "binary_logits":
        return rng.integers(0, 2, size=(N, 3)).astype(f32), rng.normal(scale=2, size=(N, 3)).astype(f32)
    if kind == "binary_edges":  # predictions exactly 0 and 1, and on thresholds
        y_pred = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, 0.3, 0.9], size=(N, 3)).astype(f32)
        return rng.integers(0, 2, size=(N, 3)).astype(f32), y_pred
    if kind == "pm1":
        return rng.choice([-1.0, 1.0], size=(N, 3)).astype(f32), rng.normal(size=(N, 3)).astype(f32)
    if kind == "categorical":
        labels = rng.integers(0, C, size=(N,))
        return np.eye(C, dtype=f32)[labels], _softmax(rng.normal(size=(N, C))).astype(f32)
    if kind == "categorical_logits":
        labels = rng.integers(0, C, size=(N,))
        return np.eye(C, dtype=f32)[labels], rng.normal(scale=2, size=(N, C)).astype(f32)
    if kind == "categorical_seq":
        labels = rng.integers(0, C, size=(N, 3))
        return np.eye(C, dtype=f32)[labels], _softmax(rng.normal(size=(N, 3, C))).astype(f32)
    if kind == "sparse":
        return rng.integers(0, C, size=(N,)).astype(np.int64), _softmax(rng.normal(size=(N, C))).astype(f32)
    if kind == "sparse_col":
        return rng.integers(0, C, size=(N, 1)).astype(f32), _softmax(rng.normal(size=(N, C))).astype(f32)
    if kind == "sparse_logits":
        return rng.integers(0, C, size=(N,)).astype(np.int64), rng.normal(size=(N, C)).astype(f32)
    if kind == "sparse_seq":
        return (rng.integers(0, C, size=(N, 3)).astype(np.int64),
                _softmax(rng.normal(size=(N, 3, C))).astype(f32))
    if kind == "sorted_ids":
        ids = np.stack([rng.permutation(C) for _ in range(N)]).astype(f32)
        return rng.integers(0, C, size=(N,)).astype(f32), ids
    if kind == "labels":
        return rng.integers(0, 3, size=(N, 1)).astype(f32), rng.integers(0, 3, size=(N, 1)).astype(f32)
    if kind == "iou_sparse":
        return rng.integers(0, 3, size=(N,)).astype(np.int32), rng.integers(0, 3, size=(N,)).astype(np.int32)
    if kind == "iou_dense":
        labels = rng.integers(0, 3, size=(N,))
        return np.eye(3, dtype=f32)[labels], _softmax(rng.normal(size=(N, 3))).astype(f32)
    if kind == "multilabel":
        return rng.integers(0, 2, size=(N, C)).astype(f32), rng.uniform(0, 1, size=(N, C)).astype(f32)
    raise ValueError(kind)


def _weights(kind, rng, y_pred):
    if kind is None:
        return None
    if kind == "sample":
        return rng.uniform(0, 2, size=(N,)).astype(np.float32)
    if kind == "elementwise":
        return rng.uniform(0, 2, size=y_pred.shape[:2]).astype(np.float32)
    if kind == "int_sample":
        return rng.integers(0, 3, size=(N,)).astype(np.int32)
    raise ValueError(kind)


def _mask(kind, rng, y_pred):
    if kind is None:
        return None
    if kind == "sample":
        mask = rng.uniform(size=(N,)) > 0.3
    else:  # "elementwise": per timestep of a sequence
        mask = rng.uniform(size=y_pred.shape[:2]) > 0.3
    mask[0] = True
    return mask


# (class name, kwargs, data kind, sample weights, mask on y_pred)
CASES = [
    # Reduction
    ("Mean", {}, "values", None, None),
    ("Mean", {}, "values", "sample", None),
    ("Mean", {}, "values", "elementwise", None),
    ("Sum", {}, "values", None, None),
    ("Sum", {}, "values", "sample", None),
    ("MeanMetricWrapper", {"fn": "mean_squared_error"}, "regression", "sample", "sample"),
    ("MeanMetricWrapper", {"fn": "hinge"}, "pm1", None, None),
    # Regression
    ("MeanSquaredError", {}, "regression", None, None),
    ("MeanSquaredError", {}, "regression", "sample", "sample"),
    ("MeanSquaredError", {}, "regression_1d", "sample", None),
    ("MeanSquaredError", {}, "int_regression", None, None),
    ("MeanAbsoluteError", {}, "regression", "sample", "sample"),
    ("MeanAbsolutePercentageError", {}, "regression", "sample", None),
    ("MeanSquaredLogarithmicError", {}, "positive", "sample", "sample"),
    ("RootMeanSquaredError", {}, "regression", None, None),
    ("RootMeanSquaredError", {}, "regression", "sample", None),
    ("CosineSimilarity", {}, "regression", "sample", None),
    ("CosineSimilarity", {"axis": 1}, "regression", None, None),
    ("LogCoshError", {}, "regression", "sample", None),
    ("R2Score", {}, "regression", None, None),
    ("R2Score", {}, "regression", "sample", None),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression", "elementwise", None),
    ("R2Score", {"class_aggregation": None}, "regression", None, None),
    ("R2Score", {"num_regressors": 2}, "regression", None, None),
    # Accuracy
    ("Accuracy", {}, "labels", None, None),
    ("Accuracy", {}, "labels", "sample", "sample"),
    ("BinaryAccuracy", {}, "binary", None, None),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary", "sample", "sample"),
    ("BinaryAccuracy", {}, "binary_flat", None, None),
    ("CategoricalAccuracy", {}, "categorical", "sample", "sample"),
    ("CategoricalAccuracy", {}, "categorical_seq", "elementwise", "elementwise"),
    ("SparseCategoricalAccuracy", {}, "sparse", None, None),
    ("SparseCategoricalAccuracy", {}, "sparse_col", "sample", "sample"),
    ("SparseCategoricalAccuracy", {}, "sparse_seq", "elementwise", "elementwise"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical", "sample", None),
    ("TopKCategoricalAccuracy", {"k": 1}, "categorical_seq", None, None),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", "sample", "sample"),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids", None, None),
    # Probabilistic
    ("BinaryCrossentropy", {}, "binary", None, None),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits", "sample",
     "sample"),
    ("CategoricalCrossentropy", {}, "categorical", "sample", None),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits", None,
     "sample"),
    ("CategoricalCrossentropy", {}, "categorical_seq", "elementwise", "elementwise"),
    ("SparseCategoricalCrossentropy", {}, "sparse", "sample", None),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits", None, "sample"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse", None, None),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse_seq", "elementwise", None),
    ("KLDivergence", {}, "categorical", "sample", "sample"),
    ("Poisson", {}, "positive", "sample", None),
    # Hinge
    ("Hinge", {}, "binary", "sample", None),
    ("Hinge", {}, "pm1", None, "sample"),
    ("SquaredHinge", {}, "pm1", "sample", None),
    ("CategoricalHinge", {}, "categorical", "sample", "sample"),
    # Confusion matrix
    ("TruePositives", {}, "binary", None, None),
    ("TruePositives", {"thresholds": [0.3, 0.5, 0.7]}, "binary", "sample", None),
    ("FalsePositives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_edges", "sample", None),
    ("TrueNegatives", {"thresholds": 0.4}, "binary_flat", None, None),
    ("FalseNegatives", {"thresholds": [0.15, 0.85]}, "binary", "elementwise", None),
    ("Precision", {}, "binary", None, None),
    ("Precision", {"thresholds": [0.3, 0.6]}, "binary", "sample", None),
    ("Precision", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_edges", None, None),
    ("Precision", {"thresholds": [0.25, 0.5]}, "binary_edges", "sample", None),
    ("FalsePositives", {"thresholds": [0.3, 0.9]}, "binary_edges", None, None),
    ("Precision", {"top_k": 2}, "multilabel", None, None),
    ("Precision", {"class_id": 1}, "multilabel", "sample", None),
    ("Precision", {"top_k": 2, "class_id": 3, "thresholds": 0.2}, "multilabel", None, None),
    ("Recall", {}, "binary_col", "sample", None),
    ("Recall", {"thresholds": [0.2, 0.5, 0.8]}, "binary", "elementwise", None),
    ("Recall", {"top_k": 1}, "multilabel", "sample", None),
    ("Recall", {"class_id": 2}, "multilabel", None, None),
    ("PrecisionAtRecall", {"recall": 0.5}, "binary", None, None),
    ("PrecisionAtRecall", {"recall": 0.8, "num_thresholds": 1}, "binary", "sample", None),
    ("RecallAtPrecision", {"precision": 0.6}, "binary", "sample", None),
    ("RecallAtPrecision", {"precision": 0.7, "class_id": 0}, "multilabel", None, None),
    ("SensitivityAtSpecificity", {"specificity": 0.6}, "binary", "sample", None),
    ("SensitivityAtSpecificity", {"specificity": 0.4, "num_thresholds": 20}, "binary_edges", None, None),
    ("SpecificityAtSensitivity", {"sensitivity": 0.4}, "binary", None, None),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "class_id": 1}, "multilabel", "sample", None),
    ("AUC", {}, "binary", None, None),
    ("AUC", {}, "binary_edges", "sample", None),
    ("AUC", {"num_thresholds": 50, "curve": "PR"}, "binary", "sample", None),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "binary", None, None),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary", "elementwise", None),
    ("AUC", {"summation_method": "minoring"}, "binary_flat", None, None),
    ("AUC", {"curve": "PRGAIN"}, "binary", None, None),
    ("AUC", {"thresholds": [0.1, 0.4, 0.5, 0.9]}, "binary", "sample", None),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "binary_edges", None, None),
    ("AUC", {"from_logits": True}, "binary_logits", None, None),
    ("AUC", {"multi_label": True}, "multilabel", None, None),
    ("AUC", {"multi_label": True, "num_labels": C, "curve": "PR"}, "multilabel", "sample", None),
    ("AUC", {"multi_label": True, "label_weights": [1.0, 0.5, 0.0, 2.0]}, "multilabel", None, None),
    ("AUC", {"multi_label": True, "thresholds": [0.2, 0.5, 0.7], "curve": "PR"}, "multilabel", None, None),
    ("AUC", {"label_weights": [1.0, 0.5, 0.0, 2.0]}, "multilabel", "sample", None),
    ("AUC", {"label_weights": [1.0, 0.5, 0.0, 2.0], "thresholds": [0.3, 0.6]}, "multilabel", None, None),
    # F-score
    ("F1Score", {}, "categorical", None, None),
    ("F1Score", {"average": "micro", "threshold": 0.3}, "multilabel", "sample", None),
    ("F1Score", {"average": "macro"}, "categorical", "sample", None),
    ("F1Score", {"average": "weighted", "threshold": 0.5}, "multilabel", None, None),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.4}, "multilabel", None, None),
    # IoU
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "iou_sparse", None, None),
    ("IoU", {"num_classes": 3, "target_class_ids": [1], "ignore_class": 0}, "iou_sparse", "int_sample", None),
    ("MeanIoU", {"num_classes": 3}, "iou_sparse", None, None),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32"}, "iou_sparse", "sample", None),
    ("BinaryIoU", {}, "binary_flat", None, None),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary_flat", "int_sample", None),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 1]}, "iou_dense", None, None),
    ("OneHotMeanIoU", {"num_classes": 3}, "iou_dense", None, None),
    ("OneHotMeanIoU", {"num_classes": 3, "sparse_y_pred": True, "ignore_class": 2}, "iou_sparse_pred", None,
     None),
]

# Keras 3.15 leaves these keys out of `get_config()` (a round trip forgets them); torchkeras keeps them.
EXTRA_CONFIG_KEYS = {"CosineSimilarity": {"axis"}}


def _case_id(case):
    name, kwargs, kind, weights, mask = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({args})-{kind}-w={weights}-m={mask}"


def _batches(case, seed, count):
    name, kwargs, kind, weights, mask = case
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        if kind == "iou_sparse_pred":
            y_true, _ = _data("iou_dense", rng)
            y_pred = rng.integers(0, 3, size=(N,)).astype(np.int32)
        else:
            y_true, y_pred = _data(kind, rng)
        batches.append((y_true, y_pred, _weights(weights, rng, y_pred), _mask(mask, rng, y_pred)))
    return batches


def _make(module, name, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("fn"), str):
        kwargs["fn"] = getattr(module, kwargs["fn"])
    return getattr(module, name)(**kwargs)


def _tensor(array, device, mask=None):
    """A fresh tensor (never sharing memory with `array`: Keras multiplies a `sample_weight` tensor by
    the mask in place, which must not leak into the other library's input)."""
    if array is None:
        return None
    tensor = torch.tensor(np.array(array, copy=True)).to(device)
    if mask is not None:
        tensor._keras_mask = torch.tensor(np.array(mask, copy=True)).to(device)
    return tensor


def _update(metric, batch, device, reduction):
    y_true, y_pred, weights, mask = batch
    pred = _tensor(y_pred, device, mask)
    weight = _tensor(weights, device)
    if reduction:
        metric.update_state(pred, sample_weight=weight)
    else:
        metric.update_state(_tensor(y_true, device), pred, sample_weight=weight)


def _plain(config):
    """Config values as plain Python (Keras keeps some as tensors), for comparison."""
    out = {}
    for key, value in config.items():
        if isinstance(value, torch.Tensor):
            value = value.tolist()
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, list):
            value = [float(v) if isinstance(v, (float, np.floating)) else v for v in value]
        out[key] = value
    return out


def _compare_results(keras_metric, tk_metric, what):
    expected = keras.ops.convert_to_numpy(keras_metric.result())
    received = tk_metric.result()
    assert isinstance(received, torch.Tensor), f"{what}: result() returned {type(received)}"
    assert not received.requires_grad
    received = received.detach().cpu().numpy()
    # Keras demotes float64 results to float32 in places; dtypes are compared where both are float32.
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, what)


def _compare_state(keras_metric, tk_metric, what):
    keras_vars, tk_vars = keras_metric.variables, tk_metric.variables
    assert [v.name for v in keras_vars] == [v.name for v in tk_vars], what
    for kv, tv in zip(keras_vars, tk_vars):
        assert tuple(kv.shape) == tv.shape, f"{what}: {kv.name}"
        assert kv.dtype == tv.dtype, f"{what}: {kv.name} dtype {kv.dtype} vs {tv.dtype}"
        assert tv.aggregation == kv.aggregation
        np.testing.assert_allclose(tv.numpy(), keras.ops.convert_to_numpy(kv.value),
                                   atol=LAYER_ATOL * 10, rtol=LAYER_RTOL, err_msg=f"{what}: {kv.name}")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_metric_matches_keras(case, device):
    name, kwargs, kind, _, _ = case
    keras_metric = _make(keras.metrics, name, kwargs)
    tk_metric = _make(metrics, name, kwargs)
    reduction = name in ("Mean", "Sum")
    what = _case_id(case)

    for step, batch in enumerate(_batches(case, seed=len(what), count=3)):
        _update(keras_metric, batch, device, reduction)
        _update(tk_metric, batch, device, reduction)
        _compare_results(keras_metric, tk_metric, f"{what} after batch {step}")
    _compare_state(keras_metric, tk_metric, what)
    for tensor in tk_metric.state_tensors():
        assert tensor.device.type == torch.device(device).type
        assert not tensor.requires_grad

    keras_metric.reset_state()
    tk_metric.reset_state()
    _compare_results(keras_metric, tk_metric, f"{what} after reset_state")
    for step, batch in enumerate(_batches(case, seed=len(what) + 1, count=2)):
        _update(keras_metric, batch, device, reduction)
        _update(tk_metric, batch, device, reduction)
        _compare_results(keras_metric, tk_metric, f"{what} after reset, batch {step}")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_metric_config_matches_keras(case):
    name, kwargs, _, _, _ = case
    kwargs = {**kwargs, "name": "m"}
    keras_metric = _make(keras.metrics, name, kwargs)
    tk_metric = _make(metrics, name, kwargs)
    keras_config = _plain(keras_metric.get_config())
    tk_config = _plain(tk_metric.get_config())
    extra = EXTRA_CONFIG_KEYS.get(name, set())
    assert {k: v for k, v in tk_config.items() if k not in extra} == keras_config
    assert extra <= set(tk_config)

    # Whole serialized dicts, loaded across in both directions.
    tk_serialized = metrics.serialize(tk_metric)
    keras_serialized = keras.metrics.serialize(keras_metric)
    assert tk_serialized["class_name"] == keras_serialized["class_name"]
    assert tk_serialized["module"] == keras_serialized["module"]
    from_keras = metrics.deserialize(keras_serialized)
    assert type(from_keras) is type(tk_metric)
    assert {k: v for k, v in _plain(from_keras.get_config()).items() if k not in extra} == keras_config
    from_tk = keras.metrics.deserialize(saving.serialize_keras_object(tk_metric))
    assert type(from_tk).__name__ == name
    assert _plain(from_tk.get_config()) == keras_config


@pytest.mark.parametrize("identifier", [
    "mse", "MSE", "mae", "mape", "msle", "bce", "BCE", "auc", "AUC", "accuracy", "binary_accuracy",
    "categorical_crossentropy", "sparse_top_k_categorical_accuracy", "r2_score", "log_cosh_error",
    "kl_divergence", "precision", "f1_score", "MeanSquaredError",
])
def test_get_resolves_like_keras(identifier):
    keras_metric = keras.metrics.get(identifier)
    tk_metric = metrics.get(identifier)
    assert type(tk_metric).__name__ == type(keras_metric).__name__


@pytest.mark.parametrize("identifier", ["acc", "logcosh", "k_l_divergence", "crossentropy", "foo"])
def test_get_refuses_what_keras_refuses(identifier):
    with pytest.raises(ValueError):
        keras.metrics.get(identifier)
    with pytest.raises(ValueError, match=f"'{identifier}'"):
        metrics.get(identifier)


def test_get_with_config_dict_matches_keras():
    identifier = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True, "name": "cce"}}
    assert metrics.get(identifier).get_config() == keras.metrics.get(identifier).get_config()


FUNCTIONS = [
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression_1d"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("log_cosh", {}, "regression"),
    ("huber", {"delta": 0.5}, "regression"),
    ("kl_divergence", {}, "categorical"),
    ("poisson", {}, "positive"),
    ("binary_crossentropy", {"label_smoothing": 0.1}, "binary"),
    ("binary_crossentropy", {"from_logits": True}, "binary_logits"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "gamma": 1.5}, "binary"),
    ("binary_focal_crossentropy", {"from_logits": True, "label_smoothing": 0.2}, "binary_logits"),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("categorical_crossentropy", {"from_logits": True}, "categorical_logits"),
    ("categorical_focal_crossentropy", {}, "categorical"),
    ("categorical_focal_crossentropy", {"from_logits": True, "alpha": 0.5}, "categorical_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse_col"),
    ("hinge", {}, "binary"),
    ("squared_hinge", {}, "pm1"),
    ("categorical_hinge", {}, "categorical"),
    ("binary_accuracy", {"threshold": 0.3}, "binary"),
    ("categorical_accuracy", {}, "categorical"),
    ("sparse_categorical_accuracy", {}, "sparse_col"),
    ("top_k_categorical_accuracy", {"k": 2}, "categorical"),
    ("sparse_top_k_categorical_accuracy", {"k": 3}, "sparse"),
]


@pytest.mark.parametrize("fn_name, kwargs, kind", FUNCTIONS,
                         ids=[f"{f}-{k}-{kind}" for f, k, kind in FUNCTIONS])
def test_metric_functions_match_keras(fn_name, kwargs, kind, device):
    rng = np.random.default_rng(3)
    y_true, y_pred = _data(kind, rng)
    expected = keras.ops.convert_to_numpy(getattr(keras.metrics, fn_name)(y_true, y_pred, **kwargs))
    received = getattr(metrics, fn_name)(_tensor(y_true, device), _tensor(y_pred, device), **kwargs)
    assert received.device.type == torch.device(device).type
    assert_close(expected, received.cpu().numpy(), LAYER_ATOL, LAYER_RTOL, fn_name)


def test_state_variable_names_match_keras_for_lazy_metrics():
    """Metrics that create their state on the first update create the same variables, in order."""
    rng = np.random.default_rng(0)
    for name, kwargs, kind in [("R2Score", {}, "regression"), ("F1Score", {}, "categorical"),
                               ("AUC", {"multi_label": True}, "multilabel")]:
        keras_metric = _make(keras.metrics, name, kwargs)
        tk_metric = _make(metrics, name, kwargs)
        assert [v.name for v in tk_metric.variables] == [v.name for v in keras_metric.variables]
        y_true, y_pred = _data(kind, rng)
        keras_metric.update_state(y_true, y_pred)
        tk_metric.update_state(y_true, y_pred)
        _compare_state(keras_metric, tk_metric, name)
