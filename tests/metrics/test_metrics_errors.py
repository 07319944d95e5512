"""User mistakes raise `ValueError`/`TypeError` naming the argument and the value received."""

import numpy as np
import pytest
import torch

from torchkeras import metrics


@pytest.mark.parametrize("make, match", [
    (lambda: metrics.Precision(thresholds=1.5), r"Threshold values must be in \[0, 1\]. Received: \[1.5\]"),
    (lambda: metrics.Recall(thresholds=[0.2, -0.1]), r"Received: \[-0.1\]"),
    (lambda: metrics.TruePositives(thresholds=[None]), r"Received: \[None\]"),
    (lambda: metrics.Precision(top_k=0), "top_k=0"),
    (lambda: metrics.Recall(class_id=-1), "class_id=-1"),
    (lambda: metrics.AUC(num_thresholds=1), "num_thresholds=1"),
    (lambda: metrics.AUC(curve="XY"), "curve='XY'"),
    (lambda: metrics.AUC(summation_method="sideways"), "summation_method='sideways'"),
    (lambda: metrics.AUC(thresholds=[0.5, 2.0]), r"Received: \[2.0\]"),
    (lambda: metrics.AUC(num_labels=3), "`num_labels` is needed only when `multi_label` is True"),
    (lambda: metrics.AUC(label_weights=[1.0, -1.0]), "label_weights=\\[1.0, -1.0\\]"),
    (lambda: metrics.SensitivityAtSpecificity(1.5), "specificity=1.5"),
    (lambda: metrics.SpecificityAtSensitivity(-0.5), "sensitivity=-0.5"),
    (lambda: metrics.PrecisionAtRecall(2), "recall=2"),
    (lambda: metrics.RecallAtPrecision(0.5, num_thresholds=0), "num_thresholds=0"),
    (lambda: metrics.R2Score(class_aggregation="median"), "class_aggregation=median"),
    (lambda: metrics.R2Score(num_regressors=-1), "num_regressors=-1"),
    (lambda: metrics.FBetaScore(average="mean"), "average=mean"),
    (lambda: metrics.FBetaScore(beta=2), "beta=2"),
    (lambda: metrics.FBetaScore(beta=-1.0), "beta=-1.0"),
    (lambda: metrics.F1Score(threshold=1.5), "threshold=1.5"),
    (lambda: metrics.IoU(num_classes=3, target_class_ids=[3]), r"Target class id 3 is out of range"),
    (lambda: metrics.IoU(num_classes=0, target_class_ids=[0]), "num_classes=0"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), "k=0"),
    (lambda: metrics.BinaryCrossentropy(label_smoothing=2), "label_smoothing=2"),
    (lambda: metrics.CategoricalCrossentropy(label_smoothing=-0.1), "label_smoothing=-0.1"),
])
def test_bad_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrapper_needs_a_callable():
    with pytest.raises(TypeError, match="fn='mse'"):
        metrics.MeanMetricWrapper(fn="mse")


@pytest.mark.parametrize("update, match", [
    (lambda: metrics.Precision().update_state([[0, 1, 1]], [[0.2, 0.7]]),
     r"y_true.shape=\(1, 3\), y_pred.shape=\(1, 2\)"),
    (lambda: metrics.AUC().update_state(np.zeros((4, 2)), np.zeros((4, 3))), r"y_pred.shape=\(4, 3\)"),
    (lambda: metrics.Precision(class_id=1).update_state([0, 1], [0.3, 0.6]), "class_id is provided"),
    (lambda: metrics.AUC(multi_label=True).update_state(np.zeros(4), np.zeros(4)),
     "`y_pred` must have rank 2 when `multi_label=True`"),
    (lambda: metrics.BinaryCrossentropy().update_state(np.zeros(4), np.zeros((4, 1))),
     r"target.shape=\(4,\), output.shape=\(4, 1\)"),
    (lambda: metrics.CategoricalCrossentropy().update_state(np.zeros((4, 3)), np.ones((4, 2))),
     r"target.shape=\(4, 3\)"),
    (lambda: metrics.SparseCategoricalCrossentropy().update_state([0, 3], np.ones((2, 3), np.float32)),
     r"Sparse labels must be in \[0, 3\)"),
    (lambda: metrics.SparseCategoricalAccuracy().update_state([0, 1], np.ones((3, 3), np.float32)),
     r"In sparse_categorical_accuracy, .* y_true.shape=\(2,\), y_pred.shape=\(3,\)"),
    (lambda: metrics.MeanSquaredError().update_state(np.zeros((4, 3)), np.zeros((5, 3))),
     r"In mean_squared_error, .* y_true.shape=\(4, 3\), y_pred.shape=\(5, 3\)"),
    (lambda: metrics.Hinge().update_state(np.zeros((4, 3)), np.zeros((4, 2))), "In hinge"),
    (lambda: metrics.BinaryAccuracy().update_state(np.zeros((4, 3)), np.zeros((2, 3))), "In binary_accuracy"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=1).update_state([0, 4], np.ones((2, 3), np.float32)),
     r"Labels must be in \[0, 3\)"),
    (lambda: metrics.R2Score().update_state(np.zeros(4), np.zeros(4)), "R2Score expects 2D inputs"),
    (lambda: metrics.F1Score().update_state(np.zeros((2, 3)), np.zeros((2, 3, 1))), "FBetaScore expects 2D"),
    (lambda: metrics.MeanAbsoluteError().update_state(np.zeros((4, 3)), np.zeros((4, 3)),
                                                      sample_weight=np.ones((4, 3))),
     r"`sample_weight` must be broadcastable"),
    (lambda: metrics.Mean().update_state(np.zeros((4,)), sample_weight=np.ones((3,))),
     r"sample_weight.shape=\(3,\), values.shape=\(4,\)"),
    (lambda: metrics.Mean().update_state("abc"), "Received: 'abc'"),
    (lambda: metrics.MeanIoU(3).update_state([0, 1, 2], [0, 1]), "3 labels and 2 predictions"),
])
def test_bad_update_inputs(update, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        update()
    # Never a bare assert or a torch RuntimeError deep inside.
    assert info.type in (ValueError, TypeError)


def test_lazy_metrics_refuse_a_different_shape_later():
    r2 = metrics.R2Score()
    r2.update_state(np.zeros((4, 2), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"R2Score was built for inputs of shape \(batch_size, 2\)"):
        r2.update_state(np.zeros((4, 3), np.float32), np.ones((4, 3), np.float32))
    auc = metrics.AUC(multi_label=True)
    auc.update_state(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"\(batch_size, 2\). Received: y_pred.shape=\(4, 3\)"):
        auc.update_state(np.zeros((4, 3)), np.zeros((4, 3)))


def test_unknown_identifiers():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'acc'"):
        metrics.get("acc")
    with pytest.raises(ValueError, match="'not_a_metric'"):
        metrics.get("not_a_metric")
    with pytest.raises(ValueError, match="42"):
        metrics.get(42)
    assert torch.is_tensor(metrics.get("mse")(np.zeros((1, 2)), np.ones((1, 2))))
