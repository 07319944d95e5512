"""The `Metric` base: Keras's API on a torch module whose state is buffers."""

import numpy as np
import pytest
import torch

from torchkeras import metrics
from torchkeras.utils import naming


class BinaryTruePositives(metrics.Metric):
    """A custom metric written the Keras way (`add_variable`, `assign`)."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = torch.logical_and(torch.as_tensor(y_true).bool(), torch.as_tensor(y_pred).bool())
        values = values.float()
        if sample_weight is not None:
            values = values * torch.as_tensor(sample_weight, dtype=torch.float32)
        self.true_positives.assign(self.true_positives + values.sum())

    def result(self):
        return self.true_positives.value.clone()


def test_custom_metric_written_the_keras_way():
    m = BinaryTruePositives()
    assert float(m([1, 1, 0, 1], [1, 0, 1, 1])) == 2.0
    m.update_state([1, 1], [1, 1], sample_weight=[0.5, 2.0])
    assert float(m.result()) == 4.5
    m.reset_state()
    assert float(m.result()) == 0.0
    assert [v.path for v in m.variables] == ["binary_true_positives/true_positives"]
    assert m.get_config() == {"name": "binary_true_positives", "dtype": "float32"}


def test_variables_are_buffers_with_keras_views():
    m = metrics.Mean(name="loss")
    assert isinstance(m, torch.nn.Module)
    assert [(v.name, v.path, v.shape, v.dtype, v.aggregation) for v in m.variables] == [
        ("total", "loss/total", (), "float32", "sum"),
        ("count", "loss/count", (), "float32", "sum"),
    ]
    assert list(dict(m.named_buffers())) == ["total", "count"]
    assert list(m.parameters()) == []
    m.update_state([1.0, 3.0])
    assert m.state_dict()["total"].item() == 4.0
    assert m.state_tensors()[0] is m.total.value
    assert m.state_aggregations() == ["sum", "sum"]
    # `metric.total` is Keras's variable view; arithmetic and numpy work on it.
    assert float(m.total + 1) == 5.0
    np.testing.assert_array_equal(np.asarray(m.count), np.float32(2.0))


def test_state_dict_round_trip():
    a = metrics.AUC(num_thresholds=5)
    a.update_state([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.6])
    b = metrics.AUC(num_thresholds=5)
    b.load_state_dict(a.state_dict())
    assert float(b.result()) == float(a.result())
    assert sorted(a.state_dict()) == [
        "false_negatives", "false_positives", "true_negatives", "true_positives"]


def test_updates_never_track_gradients():
    y_pred = torch.tensor([[0.2, 0.8], [0.6, 0.4]], requires_grad=True)
    y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    for metric in (metrics.MeanSquaredError(), metrics.CategoricalCrossentropy(), metrics.AUC(),
                   metrics.Precision(), metrics.R2Score(), metrics.F1Score(), metrics.RootMeanSquaredError()):
        result = metric(y_true, y_pred)
        assert not result.requires_grad, type(metric).__name__
        for tensor in metric.state_tensors():
            assert not tensor.requires_grad and tensor.grad_fn is None
    assert y_pred.grad is None


def test_call_is_update_then_result():
    m = metrics.Mean()
    assert float(m([1.0, 3.0])) == 2.0
    assert float(m([5.0])) == 3.0
    assert float(m.forward([7.0])) == 4.0  # forward is the same as calling


def test_auto_names_are_unique_snake_case():
    naming.reset_uids()
    assert metrics.Precision().name == "precision"
    assert metrics.Precision().name == "precision_1"
    assert metrics.AUC().name == "auc"
    assert metrics.IoU(2, [0]).name == "io_u"
    assert metrics.MeanMetricWrapper(fn=metrics.hinge).name == "mean_metric_wrapper"
    assert metrics.Mean().name == "mean"  # an explicit default name is not uniquified, as in Keras
    assert metrics.Mean().name == "mean"
    assert repr(metrics.Mean()) == "<Mean name=mean>"


def test_dtypes():
    m = metrics.Mean(dtype="float64")
    assert m.dtype == "float64" and m.total.dtype == "float64"
    m.update_state(np.array([1.0, 2.0]))
    assert m.result().dtype == torch.float64
    assert metrics.Mean(dtype="mixed_float16").dtype == "float16"
    assert metrics.Mean(dtype=torch.bfloat16).dtype == "bfloat16"
    iou = metrics.IoU(3, [0])
    assert iou.dtype == "int32" and iou.total_cm.dtype == "int32"
    # Confusion-matrix state is floatx whatever the metric dtype, as in Keras.
    assert metrics.Precision(dtype="float64").true_positives.dtype == "float32"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_state_follows_the_data_device():
    for metric in (metrics.Mean(), metrics.AUC(), metrics.AUC(multi_label=True, label_weights=[1.0, 2.0]),
                   metrics.IoU(2, [0, 1]), metrics.F1Score()):
        y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]], device="cuda")
        y_pred = torch.tensor([[0.3, 0.7], [0.6, 0.4]], device="cuda")
        if isinstance(metric, metrics.Mean):
            metric.update_state(y_pred)
        elif isinstance(metric, metrics.IoU):
            metric.update_state(y_true.long(), (y_pred > 0.5).long())
        else:
            metric.update_state(y_true, y_pred)
        assert all(t.is_cuda for t in metric.state_tensors()), type(metric).__name__
        assert metric.result().is_cuda
        metric.to("cpu")
        assert not metric.result().is_cuda


def test_stateless_api_leaves_the_metric_alone():
    m = metrics.Mean()
    m.update_state([2.0])
    state = [torch.tensor(10.0), torch.tensor(2.0)]
    new_state = m.stateless_update_state(state, [4.0, 6.0])
    assert [float(t) for t in new_state] == [20.0, 4.0]
    assert float(m.stateless_result(new_state)) == 5.0
    assert [float(t) for t in m.stateless_reset_state()] == [0.0, 0.0]
    assert float(m.result()) == 2.0  # unchanged
    with pytest.raises(ValueError, match="corresponding 1:1"):
        m.stateless_result([torch.tensor(1.0)])


def test_sub_metrics_contribute_their_variables():
    class Both(metrics.Metric):
        def __init__(self):
            super().__init__(name="both")
            self.extra = self.add_variable(shape=(2,), initializer="ones", name="extra")
            self.inner = metrics.Mean(name="inner")

        def update_state(self, values):
            self.inner.update_state(values)

        def result(self):
            return self.inner.result()

    m = Both()
    assert [v.path for v in m.variables] == ["both/extra", "inner/total", "inner/count"]
    m.update_state([1.0, 2.0])
    m.reset_state()
    assert [float(t.sum()) for t in m.state_tensors()] == [0.0, 0.0, 0.0]


def test_base_errors():
    class Forgot(metrics.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="super\\(\\).__init__\\(\\)"):
        Forgot().add_variable((), "zeros")
    m = metrics.Metric(name="m")
    with pytest.raises(ValueError, match="aggregation='max'"):
        m.add_variable((), "zeros", aggregation="max", name="v")
    with pytest.raises(ValueError, match="shape=\\(-1,\\)"):
        m.add_variable((-1,), "zeros", name="v")
    with pytest.raises(NotImplementedError):
        m.update_state(1)
    with pytest.raises(TypeError, match="name=3"):
        metrics.Mean(name=3)
    with pytest.raises(ValueError, match="dtype='floaty'"):
        metrics.Mean(dtype="floaty")


def test_inputs_are_not_modified():
    y_pred = torch.tensor([[0.5, 0.5], [0.2, 0.8]])
    y_pred._keras_mask = torch.tensor([True, False])
    weights = torch.tensor([2.0, 3.0])
    m = metrics.MeanSquaredError()
    m.update_state(torch.zeros(2, 2), y_pred, sample_weight=weights)
    assert weights.tolist() == [2.0, 3.0]  # Keras multiplies it by the mask in place; torchkeras does not
    assert float(m.result()) == pytest.approx(0.25)
