"""The compiled loss and metrics: name resolution from shapes, per-output structures, weights, names."""

import numpy as np
import pytest
import torch

from torchkeras import losses, metrics
from torchkeras.trainers.compile_utils import CompileLoss, CompileMetrics, get_loss, get_metric


def t(array, dtype=torch.float32):
    return torch.as_tensor(np.asarray(array), dtype=dtype)


@pytest.mark.parametrize("y_true_shape, y_pred_shape, expected", [
    ((4,), (4, 10), metrics.SparseCategoricalAccuracy),
    ((4, 1), (4, 10), metrics.SparseCategoricalAccuracy),
    ((4, 10), (4, 10), metrics.CategoricalAccuracy),
    ((4, 1), (4, 1), metrics.BinaryAccuracy),
    ((4,), (4, 1), metrics.BinaryAccuracy),
])
def test_accuracy_resolves_from_shapes_like_keras(y_true_shape, y_pred_shape, expected):
    for name in ("accuracy", "acc", "ACC"):
        metric = get_metric(name, torch.zeros(y_true_shape), torch.zeros(y_pred_shape))
        assert type(metric) is expected and metric.name == name


@pytest.mark.parametrize("y_true_shape, y_pred_shape, expected", [
    ((4,), (4, 10), losses.sparse_categorical_crossentropy),
    ((4, 10), (4, 10), losses.categorical_crossentropy),
    ((4, 1), (4, 1), losses.binary_crossentropy),
])
def test_crossentropy_resolves_from_shapes_like_keras(y_true_shape, y_pred_shape, expected):
    loss = get_loss("crossentropy", torch.zeros(y_true_shape), torch.zeros(y_pred_shape))
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.fn is expected and loss.name == "crossentropy"


def test_metric_names_from_identifiers():
    assert get_metric("mse", torch.zeros(2), torch.zeros(2)).name == "mse"
    assert isinstance(get_metric("mae", torch.zeros(2), torch.zeros(2)), metrics.MeanMetricWrapper)
    auc = metrics.AUC(name="my_auc")
    assert get_metric(auc, torch.zeros(2), torch.zeros(2)) is auc and auc.name == "my_auc"

    def my_metric(y_true, y_pred):
        return y_pred - y_true

    assert get_metric(my_metric, torch.zeros(2), torch.zeros(2)).name == "my_metric"


def test_unknown_names_are_clear_value_errors():
    with pytest.raises(ValueError, match=r"Unknown loss: 'msee'. Expected the name of a Keras loss"):
        CompileLoss("msee")
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'. Expected the name of a Keras metric"):
        CompileMetrics(["acuracy"], None)
    with pytest.raises(ValueError, match=r"Expected `metrics` argument to be a list, tuple, or dict"):
        CompileMetrics("accuracy", None)
    with pytest.raises(ValueError, match=r"Expected `loss_weights` argument"):
        CompileLoss("mse", loss_weights="heavy")


def test_single_output_loss_and_weight():
    loss = CompileLoss("mse", loss_weights=0.5)
    y_true, y_pred = t([[1.0], [3.0]]), t([[0.0], [1.0]])
    value = loss(y_true, y_pred)
    assert value.item() == pytest.approx(0.5 * (1 + 4) / 2)
    assert loss.metrics == []  # one loss: no per-output tracker


def test_sample_weight_reaches_the_loss():
    loss = CompileLoss("mae")
    value = loss(t([[1.0], [1.0]]), t([[0.0], [3.0]]), sample_weight=t([1.0, 0.0]))
    assert value.item() == pytest.approx((1.0 * 1 + 2.0 * 0) / 2)


def test_two_outputs_by_dict_with_weights_and_trackers():
    loss = CompileLoss({"a": "mse", "b": "mae"}, loss_weights={"a": 1.0, "b": 0.3}, output_names=["a", "b"])
    y_pred = [t([[1.0], [2.0]]), t([[0.0], [4.0]])]
    y_true = {"b": t([[1.0], [1.0]]), "a": t([[0.0], [0.0]])}
    value = loss(y_true, y_pred)
    mse, mae = (1 + 4) / 2, (1 + 3) / 2
    assert value.item() == pytest.approx(mse + 0.3 * mae)
    assert [m.name for m in loss.metrics] == ["a_loss", "b_loss"]
    assert [m.result().item() for m in loss.metrics] == pytest.approx([mse, mae])  # unweighted


def test_list_losses_and_targets_by_position():
    loss = CompileLoss(["mse", None], output_names=["a", "b"])
    y_pred = [t([[1.0]]), t([[5.0]])]
    assert loss([t([[0.0]]), t([[0.0]])], y_pred).item() == pytest.approx(1.0)
    # Targets only for the outputs that have a loss are accepted too.
    assert loss(t([[3.0]]), y_pred).item() == pytest.approx(4.0)


def test_one_loss_for_every_output():
    loss = CompileLoss("mse", output_names=["a", "b"])
    value = loss([t([[0.0]]), t([[0.0]])], [t([[1.0]]), t([[2.0]])])
    assert value.item() == pytest.approx(5.0)
    assert [m.name for m in loss.metrics] == ["a_loss", "b_loss"]


def test_several_losses_for_one_output_are_summed():
    loss = CompileLoss(["mse", "mae"])
    assert loss(t([[0.0]]), t([[2.0]])).item() == pytest.approx(4.0 + 2.0)


def test_dict_outputs_keyed_by_their_keys():
    loss = CompileLoss({"y": "mse"}, output_names=["dense", "dense_1"])
    y_pred = {"x": t([[1.0]]), "y": t([[3.0]])}
    assert loss({"y": t([[1.0]])}, y_pred).item() == pytest.approx(4.0)


def test_structure_errors_name_the_outputs():
    loss = CompileLoss({"a": "mse", "c": "mse"}, output_names=["a", "b"])
    with pytest.raises(ValueError, match=r"Expected keys \['a', 'b'\] in loss dict"):
        loss([t([[0.0]]), t([[0.0]])], [t([[1.0]]), t([[1.0]])])
    loss = CompileLoss({"a": "mse", "b": "mse"}, output_names=["a", "b"])
    with pytest.raises(ValueError, match=r"key\(s\) \['z'\] that name no output.*\['a', 'b'\]"):
        loss({"a": t([[0.0]]), "z": t([[0.0]])}, [t([[1.0]]), t([[1.0]])])
    loss = CompileLoss(["mse", "mse", "mse"], output_names=["a", "b"])
    with pytest.raises(ValueError, match=r"2 outputs \['a', 'b'\], but `loss` is a list of 3"):
        loss([t([[0.0]]), t([[0.0]])], [t([[1.0]]), t([[1.0]])])
    loss = CompileLoss("mse", loss_weights=[1.0, 2.0, 3.0], output_names=["a", "b"])
    with pytest.raises(ValueError, match="`loss_weights` must match the number of losses"):
        loss([t([[0.0]]), t([[0.0]])], [t([[1.0]]), t([[1.0]])])


def test_compile_metrics_names_per_output_like_keras():
    compiled = CompileMetrics({"digit": ["accuracy"], "is_hard": ["accuracy", "mse"]}, None,
                              output_names=["digit", "is_hard"])
    y_pred = [t(np.eye(3)[[0, 1]]), t([[0.9], [0.2]])]
    y_true = {"digit": t([0, 2], torch.int64), "is_hard": t([[1.0], [1.0]])}
    compiled.update_state(y_true, y_pred)
    result = compiled.result()
    assert list(result) == ["digit_accuracy", "is_hard_accuracy", "is_hard_mse"]
    assert result["digit_accuracy"].item() == pytest.approx(0.5)
    assert result["is_hard_accuracy"].item() == pytest.approx(0.5)
    assert type(compiled.metrics[0]) is metrics.SparseCategoricalAccuracy
    assert type(compiled.metrics[1]) is metrics.BinaryAccuracy
    compiled.reset_state()
    assert compiled.result()["digit_accuracy"].item() == 0.0


def test_single_output_metric_names_have_no_prefix():
    compiled = CompileMetrics(["accuracy", "mse"], ["accuracy"], output_names=["head"])
    compiled.update_state(t([1, 0], torch.int64), t([[0.1, 0.9], [0.2, 0.8]]), sample_weight=t([1.0, 3.0]))
    result = compiled.result()
    assert list(result) == ["accuracy", "mse", "weighted_accuracy"]
    assert result["accuracy"].item() == pytest.approx(0.5)
    assert result["weighted_accuracy"].item() == pytest.approx(1.0 / 4.0)


def test_duplicate_metric_names_get_suffixes():
    compiled = CompileMetrics(["mse", "mse"], None)
    compiled.update_state(t([[0.0]]), t([[1.0]]))
    assert list(compiled.result()) == ["mse", "mse_1"]


def test_metrics_dict_keys_must_name_outputs():
    compiled = CompileMetrics({"digits": ["accuracy"]}, None, output_names=["digit", "is_hard"])
    with pytest.raises(ValueError, match=r"keys \['digits'\] must name outputs.*\['digit', 'is_hard'\]"):
        compiled.update_state([t([0]), t([[0.0]])], [t([[1.0, 0.0]]), t([[0.5]])])


def test_metrics_list_for_several_outputs_needs_one_entry_per_output():
    compiled = CompileMetrics(["accuracy"], None, output_names=["a", "b"])
    with pytest.raises(ValueError, match="one entry"):
        compiled.update_state([t([0]), t([[0.0]])], [t([[1.0, 0.0]]), t([[0.5]])])


@pytest.mark.parametrize("name, y_true", [
    ("sparse_categorical_crossentropy", torch.tensor([0, 3, 1, 2, 4])),
    ("sparse_categorical_crossentropy", torch.tensor([[0], [3], [1], [2], [4]])),
    ("categorical_crossentropy", torch.eye(5)[[1, 0, 4, 2, 2]]),
    ("binary_crossentropy", torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0]])),
    ("mse", torch.arange(25.0).reshape(5, 5) / 25),
    ("mae", torch.arange(25).reshape(5, 5)),
    ("huber", torch.arange(25.0).reshape(5, 5) / 10),
    ("kl_divergence", torch.softmax(torch.arange(25.0).reshape(5, 5), -1)),
    ("cosine_similarity", torch.arange(25.0).reshape(5, 5)),
])
def test_fast_loss_path_is_the_full_loss_call_exactly(name, y_true):
    # CompileLoss skips conversions `Loss.__call__` does not need in the common case: same values and
    # gradients, bit for bit.
    torch.manual_seed(0)
    logits = torch.randn(5, 5 if name != "binary_crossentropy" else 1, requires_grad=True)
    activation = torch.sigmoid if name == "binary_crossentropy" else (lambda v: torch.softmax(v, -1))
    loss = get_loss(name, y_true, activation(logits))
    fast = CompileLoss(name)
    fast_value = fast(y_true, activation(logits))
    assert fast._flat_losses[0][5] is not None  # the fast path was taken
    (fast_grad,) = torch.autograd.grad(fast_value, logits)
    full_value = loss(y_true, activation(logits))
    (full_grad,) = torch.autograd.grad(full_value, logits)
    assert torch.equal(fast_value, full_value)
    assert torch.equal(fast_grad, full_grad)


@pytest.mark.parametrize("labels", [torch.tensor([0, 3, 1, 2, 4, 4]), torch.tensor([[0], [3], [1], [2], [4], [4]])])
def test_fast_sparse_accuracy_update_is_the_metric_update_exactly(labels):
    torch.manual_seed(0)
    scores = torch.softmax(torch.randn(6, 5, requires_grad=True), -1)
    compiled = CompileMetrics(["accuracy"], None)
    reference = metrics.SparseCategoricalAccuracy()
    for _ in range(3):
        compiled.update_state(labels, scores)
        reference.update_state(labels, scores)
    fast_metric = compiled.metrics[0]
    assert type(fast_metric) is metrics.SparseCategoricalAccuracy
    assert torch.equal(fast_metric.total.value, reference.total.value)
    assert torch.equal(fast_metric.count.value, reference.count.value)
    assert torch.equal(compiled.result()["accuracy"], reference.result())
