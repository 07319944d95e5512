"""Small cases whose results can be checked by hand (most are Keras's own docstring examples)."""

import numpy as np
import pytest
import torch

from torchkeras import metrics


def _result(metric, *args, **kwargs):
    metric.update_state(*args, **kwargs)
    return metric.result().tolist()


@pytest.mark.parametrize("metric, args, kwargs, expected", [
    (metrics.Sum(), ([1, 3, 5, 7],), {}, 16.0),
    (metrics.Sum(), ([1, 3, 5, 7],), {"sample_weight": [1, 1, 0, 0]}, 4.0),
    (metrics.Mean(), ([1, 3, 5, 7],), {}, 4.0),
    (metrics.Mean(), ([1, 3, 5, 7],), {"sample_weight": [1, 1, 0, 0]}, 2.0),
    # (N, 2) values with per-sample weights: each row is averaged first, rows weighted 1 and 3.
    (metrics.Mean(), ([[0.0, 2.0], [4.0, 4.0]],), {"sample_weight": [1.0, 3.0]}, (1.0 + 12.0) / 4),
    (metrics.Accuracy(), ([[1], [2], [3], [4]], [[0], [2], [3], [4]]), {}, 0.75),
    (metrics.Accuracy(), ([[1], [2], [3], [4]], [[0], [2], [3], [4]]), {"sample_weight": [1, 1, 0, 0]}, 0.5),
    (metrics.BinaryAccuracy(), ([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]), {}, 0.75),
    (metrics.BinaryAccuracy(), ([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]),
     {"sample_weight": [1, 0, 0, 1]}, 0.5),
    (metrics.CategoricalAccuracy(), ([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]),
     {"sample_weight": [0.7, 0.3]}, 0.3),
    (metrics.SparseCategoricalAccuracy(), ([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]), {}, 0.5),
    (metrics.TopKCategoricalAccuracy(k=1), ([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]),
     {"sample_weight": [0.7, 0.3]}, 0.3),
    (metrics.SparseTopKCategoricalAccuracy(k=1), ([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]), {}, 0.5),
    (metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True), ([2, 1], [[1, 0, 3], [1, 2, 3]]),
     {}, 0.5),
    (metrics.MeanSquaredError(), ([[0, 1], [0, 0]], [[1, 1], [0, 0]]), {}, 0.25),
    (metrics.MeanAbsoluteError(), ([[0, 1], [0, 0]], [[1, 1], [0, 0]]), {"sample_weight": [1, 0]}, 0.5),
    # Integer inputs are computed in float (Keras on torch gives nan here; its docstring gives this).
    (metrics.MeanAbsolutePercentageError(), ([[0, 1], [0, 0]], [[1, 1], [0, 0]]), {}, 250000000.0),
    (metrics.RootMeanSquaredError(), ([[0, 1], [0, 0]], [[1, 1], [0, 0]]), {}, 0.5),
    (metrics.CosineSimilarity(axis=1), ([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]), {}, 0.5),
    (metrics.LogCoshError(), ([[0, 1], [0, 0]], [[1, 1], [0, 0]]), {}, float(np.log(np.cosh(1.0)) / 4)),
    (metrics.MeanSquaredLogarithmicError(), ([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]), {},
     float(np.log(2.0) ** 2 / 4)),
    (metrics.Hinge(), ([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), {}, 1.3),
    (metrics.SquaredHinge(), ([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), {}, 1.86),
    (metrics.CategoricalHinge(), ([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), {}, 1.4),
    (metrics.Poisson(), ([[0, 1], [0, 0]], [[1, 1], [0, 0]]), {}, 0.5),
    (metrics.KLDivergence(), ([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), {}, float(np.log(1 / 0.4) / 2)),
    (metrics.BinaryCrossentropy(), ([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), {},
     float((np.log(1 / 0.4) * 3 + np.log(1 / 0.6)) / 4)),
    (metrics.CategoricalCrossentropy(), ([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), {},
     float((np.log(1 / 0.95) + np.log(1 / 0.1)) / 2)),
    (metrics.SparseCategoricalCrossentropy(), ([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), {},
     float((np.log(1 / 0.95) + np.log(1 / 0.1)) / 2)),
    (metrics.TruePositives(), ([0, 1, 1, 1], [1, 0, 1, 1]), {}, 2.0),
    (metrics.FalsePositives(), ([0, 1, 0, 0], [0, 0, 1, 1]), {}, 2.0),
    (metrics.TrueNegatives(), ([0, 1, 0, 0], [1, 1, 0, 0]), {}, 2.0),
    (metrics.FalseNegatives(), ([0, 1, 1, 1], [0, 1, 0, 0]), {}, 2.0),
    (metrics.TruePositives(thresholds=[0.2, 0.7]), ([1, 1, 0], [0.5, 0.9, 0.8]), {}, [2.0, 1.0]),
    (metrics.Precision(), ([0, 1, 1, 1], [1, 0, 1, 1]), {}, 2 / 3),
    (metrics.Precision(), ([0, 1, 1, 1], [1, 0, 1, 1]), {"sample_weight": [0, 0, 1, 0]}, 1.0),
    (metrics.Precision(top_k=2), ([0, 0, 1, 1], [0.4, 0.1, 0.9, 0.3]), {}, 0.5),
    (metrics.Precision(class_id=2, top_k=2), ([[0, 0, 1, 1]], [[0.1, 0.5, 0.9, 0.2]]), {}, 1.0),
    (metrics.Recall(), ([0, 1, 1, 1], [1, 0, 1, 1]), {}, 2 / 3),
    (metrics.Recall(), ([0, 1, 1, 1], [1, 0, 1, 1]), {"sample_weight": [0, 0, 1, 0]}, 1.0),
    (metrics.SensitivityAtSpecificity(0.5), ([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]), {}, 0.5),
    (metrics.SensitivityAtSpecificity(0.5), ([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]),
     {"sample_weight": [1, 1, 2, 2, 1]}, 1 / 3),
    (metrics.SpecificityAtSensitivity(0.5), ([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]), {}, 2 / 3),
    (metrics.PrecisionAtRecall(0.5), ([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]), {}, 0.5),
    (metrics.RecallAtPrecision(0.8), ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), {}, 0.5),
    (metrics.AUC(num_thresholds=3), ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), {}, 0.75),
    (metrics.AUC(num_thresholds=3), ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), {"sample_weight": [1, 0, 0, 1]}, 1.0),
    (metrics.AUC(num_thresholds=3, from_logits=True), ([0, 0, 1, 1], [-10.0, 0.0, -0.85, 2.2]), {}, 0.75),
    (metrics.R2Score(), (np.array([[1], [4], [3]], np.float32), np.array([[2], [4], [4]], np.float32)), {},
     1 - 2 / (14 / 3)),
    (metrics.IoU(num_classes=2, target_class_ids=[0]), ([0, 0, 1, 1], [0, 1, 0, 1]), {}, 1 / 3),
    (metrics.MeanIoU(num_classes=2), ([0, 0, 1, 1], [0, 1, 0, 1]), {"sample_weight": [0.3, 0.3, 0.3, 0.1]},
     0.0),  # int32 state: weights below 1 truncate to 0 (Keras warns about float weights)
    (metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3), ([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]), {},
     1 / 3),
    (metrics.F1Score(threshold=0.5),
     (np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32),
      np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)),
     {}, [0.5, 0.8, 2 / 3]),
])
def test_golden_values(metric, args, kwargs, expected):
    np.testing.assert_allclose(_result(metric, *args, **kwargs), expected, rtol=1e-5, atol=1e-6)


def test_precision_recall_share_thresholds():
    p = metrics.Precision(thresholds=[0.0, 0.5, 1.0])
    r = metrics.Recall(thresholds=[0.0, 0.5, 1.0])
    y_true, y_pred = [0, 1, 1, 0], [0.2, 0.9, 0.4, 0.6]
    # Above 0: all four predicted positive; above 0.5: 0.9 and 0.6; above 1: none.
    np.testing.assert_allclose(_result(p, y_true, y_pred), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(_result(r, y_true, y_pred), [1.0, 0.5, 0.0])


def test_masks_weight_mean_metrics():
    y_true = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    y_pred = torch.zeros(2, 2)
    y_pred._keras_mask = torch.tensor([True, False])
    m = metrics.MeanSquaredError()
    assert float(m(y_true, y_pred)) == 2.5  # only the first sample: (1 + 4) / 2
    seq_pred = torch.zeros(1, 3, 2)
    seq_pred._keras_mask = torch.tensor([[True, True, False]])
    m = metrics.MeanAbsoluteError()
    assert float(m(torch.ones(1, 3, 2), seq_pred)) == 1.0  # two timesteps of error 1


def test_ignore_class_zeroes_the_ignored_entries():
    m = metrics.SparseCategoricalCrossentropy(ignore_class=0)
    probs = [[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]
    # The ignored sample contributes 0 but is still counted (Keras applies the mask only with weights).
    assert float(m([0, 1], probs)) == pytest.approx(np.log(1 / 0.8) / 2, rel=1e-6)
    m = metrics.SparseCategoricalCrossentropy(ignore_class=0)
    assert float(m([0, 1], probs, sample_weight=[1.0, 1.0])) == pytest.approx(np.log(1 / 0.8), rel=1e-6)


def test_top_k_larger_than_the_number_of_classes():
    # Keras on torch fails here (torch.topk with k > classes); every target is in the top 5 of 3.
    m = metrics.TopKCategoricalAccuracy()
    assert float(m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])) == 1.0


def test_auc_multi_label_builds_on_first_update():
    m = metrics.AUC(multi_label=True, num_thresholds=3)
    assert m.variables == []
    y_true = [[0, 1], [0, 0], [1, 1], [1, 0]]
    y_pred = [[0.0, 0.9], [0.5, 0.1], [0.3, 0.8], [0.9, 0.4]]
    # Label 0 is the docstring case (0.75); label 1 is perfectly separated (1.0).
    assert float(m(y_true, y_pred)) == pytest.approx((0.75 + 1.0) / 2)
    assert [v.shape for v in m.variables] == [(3, 2)] * 4
    weighted = metrics.AUC(multi_label=True, num_thresholds=3, label_weights=[3.0, 1.0])
    assert float(weighted(y_true, y_pred)) == pytest.approx((3 * 0.75 + 1.0) / 4)


def test_result_before_any_update():
    for metric in (metrics.Mean(), metrics.Precision(), metrics.AUC(), metrics.AUC(multi_label=True),
                   metrics.R2Score(), metrics.F1Score(), metrics.MeanIoU(2)):
        assert float(metric.result()) == 0.0, type(metric).__name__
