"""torchkeras.losses against real keras.losses (torch backend): values, gradients, configs, lookup."""

import os
import warnings

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from parity.harness import LAYER_ATOL  # noqa: E402
from parity.harness import LAYER_RTOL  # noqa: E402
from parity.harness import assert_close  # noqa: E402
from torchkeras import losses  # noqa: E402

HALF_ATOL = 1e-2
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot(labels, num_classes, axis=-1):
    out = np.eye(num_classes, dtype="float32")[labels]
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def _unit(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype("float32")


def _make_data():
    rng = np.random.default_rng(0)
    f32 = "float32"
    data = {}
    data["reg2"] = rng.normal(size=(6, 5)).astype(f32), rng.normal(size=(6, 5)).astype(f32)
    data["reg3"] = rng.normal(size=(4, 3, 5)).astype(f32), rng.normal(size=(4, 3, 5)).astype(f32)
    # Regression with an exact tie |error| == 1 (Huber's boundary) and zero targets (MAPE's floor).
    tie_true = rng.normal(size=(6, 5)).astype(f32)
    tie_true[0, :2] = 0.0
    tie_pred = tie_true + rng.normal(size=(6, 5)).astype(f32)
    tie_pred[1, 0] = tie_true[1, 0] + 1.0
    data["reg_ties"] = tie_true, tie_pred
    data["reg_col"] = rng.normal(size=(6,)).astype(f32), rng.normal(size=(6, 1)).astype(f32)
    pos_true = rng.uniform(0.0, 2.0, size=(6, 5)).astype(f32)
    pos_true[0, 0] = 0.0
    data["positive"] = pos_true, rng.uniform(0.0, 2.0, size=(6, 5)).astype(f32)
    data["distribution"] = (
        _softmax(rng.normal(size=(6, 5))).astype(f32),
        _softmax(rng.normal(size=(6, 5)) * 2).astype(f32),
    )
    bin_true = rng.integers(0, 2, size=(6, 5)).astype(f32)
    bin_prob = rng.uniform(0.0, 1.0, size=(6, 5)).astype(f32)
    bin_prob[0, :3] = [0.0, 1.0, 1e-9]  # exercises the [1e-7, 1 - 1e-7] clip and its zero gradient
    data["binary"] = bin_true, bin_prob
    data["binary_logits"] = bin_true, (rng.normal(size=(6, 5)) * 3).astype(f32)
    data["binary3"] = (
        rng.integers(0, 2, size=(4, 3, 5)).astype(f32),
        rng.uniform(0.01, 0.99, size=(4, 3, 5)).astype(f32),
    )
    data["binary_col"] = rng.integers(0, 2, size=(6,)).astype(f32), rng.uniform(0.01, 0.99, size=(6, 1)).astype(f32)
    labels = rng.integers(0, 4, size=(6,))
    probs = _softmax(rng.normal(size=(6, 4)) * 2).astype(f32)
    probs[0] = [0.0, 1.0, 0.0, 0.0]  # a confident prediction hits the clip
    probs[1] = probs[1] * 3.0  # unnormalised: Keras divides by the sum
    data["onehot"] = _one_hot(labels, 4), probs
    data["onehot_logits"] = _one_hot(labels, 4), (rng.normal(size=(6, 4)) * 2).astype(f32)
    labels3 = rng.integers(0, 4, size=(3, 5))
    data["onehot_axis1"] = _one_hot(labels3, 4, axis=1), _softmax(rng.normal(size=(3, 4, 5)), axis=1).astype(f32)
    data["onehot_axis1_logits"] = _one_hot(labels3, 4, axis=1), rng.normal(size=(3, 4, 5)).astype(f32)
    data["sparse"] = labels.astype("int64"), probs
    data["sparse_col"] = labels.reshape(6, 1).astype("int64"), probs
    data["sparse_float"] = labels.astype(f32), probs
    data["sparse_logits"] = labels.astype("int64"), data["onehot_logits"][1]
    data["sparse_int32"] = labels.astype("int32"), data["onehot_logits"][1]
    data["sparse3"] = rng.integers(0, 4, size=(3, 5)).astype("int64"), rng.normal(size=(3, 5, 4)).astype(f32)
    data["sparse3_axis1"] = labels3.astype("int64"), rng.normal(size=(3, 4, 5)).astype(f32)
    ignored = labels.copy()
    ignored[[1, 4]] = -1
    data["sparse_ignore"] = ignored.astype("int64"), probs
    data["sparse_ignore_logits"] = ignored.astype("int64"), data["onehot_logits"][1]
    ignored3 = data["sparse3"][0].copy()
    ignored3[0, :2] = 3
    data["sparse3_ignore3"] = ignored3, data["sparse3"][1]
    data["hinge_pm"] = rng.choice([-1.0, 1.0], size=(6, 5)).astype(f32), rng.normal(size=(6, 5)).astype(f32)
    hinge_ties = rng.normal(size=(6, 5)).astype(f32)
    hinge_ties[0, 0] = 1.0  # 1 - y * p == 0 exactly: Keras's maximum splits the gradient
    data["hinge_01"] = rng.integers(0, 2, size=(6, 5)).astype(f32), hinge_ties
    data["seg"] = (
        rng.integers(0, 2, size=(2, 4, 4, 1)).astype(f32),
        rng.uniform(0.0, 1.0, size=(2, 4, 4, 1)).astype(f32),
    )
    ctc_true = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0]], dtype="int64")
    data["ctc"] = ctc_true, rng.normal(size=(3, 7, 4)).astype(f32)
    data["circle"] = np.array([0, 1, 0, 2, 1, 0], dtype="int64"), _unit(rng.normal(size=(6, 8)))
    data["gce"] = labels.astype("int64"), probs
    return data


DATA = _make_data()

# (class name, constructor kwargs, data key)
CASES = [
    ("MeanSquaredError", {}, "reg2"),
    ("MeanSquaredError", {}, "reg3"),
    ("MeanSquaredError", {}, "reg_col"),
    ("MeanAbsoluteError", {}, "reg2"),
    ("MeanAbsoluteError", {}, "reg3"),
    ("MeanAbsolutePercentageError", {}, "reg_ties"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "reg2"),
    ("CosineSimilarity", {}, "reg2"),
    ("CosineSimilarity", {"axis": 1}, "reg3"),
    ("Huber", {}, "reg_ties"),
    ("Huber", {"delta": 0.5}, "reg3"),
    ("LogCosh", {}, "reg2"),
    ("LogCosh", {}, "reg_col"),
    ("Hinge", {}, "hinge_pm"),
    ("Hinge", {}, "hinge_01"),
    ("SquaredHinge", {}, "hinge_pm"),
    ("SquaredHinge", {}, "hinge_01"),
    ("CategoricalHinge", {}, "onehot"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryCrossentropy", {"axis": 1}, "binary3"),
    ("BinaryCrossentropy", {}, "binary_col"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                 "label_smoothing": 0.1}, "binary"),
    ("BinaryFocalCrossentropy", {"axis": 1, "from_logits": True, "apply_class_balancing": True}, "binary3"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.3}, "onehot_logits"),
    ("CategoricalCrossentropy", {"axis": 1}, "onehot_axis1"),
    ("CategoricalCrossentropy", {"axis": 1, "from_logits": True, "label_smoothing": 0.2}, "onehot_axis1_logits"),
    ("CategoricalFocalCrossentropy", {}, "onehot"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5, "gamma": 1.0}, "onehot_logits"),
    ("CategoricalFocalCrossentropy", {"label_smoothing": 0.1, "axis": 1}, "onehot_axis1"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {}, "sparse_col"),
    ("SparseCategoricalCrossentropy", {}, "sparse_float"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_int32"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse3"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "axis": 1}, "sparse3_axis1"),
    ("SparseCategoricalCrossentropy", {"ignore_class": -1}, "sparse_ignore"),
    ("SparseCategoricalCrossentropy", {"ignore_class": -1, "from_logits": True}, "sparse_ignore_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 3, "from_logits": True}, "sparse3_ignore3"),
    ("CategoricalGeneralizedCrossEntropy", {}, "gce"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "gce"),
    ("Dice", {}, "seg"),
    ("Dice", {"axis": (1, 2, 3)}, "seg"),
    ("Tversky", {}, "seg"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, "seg"),
    ("CTC", {}, "ctc"),
    ("Circle", {}, "circle"),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, "circle"),
]
CASE_IDS = [f"{name}-{key}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}" for name, kwargs, key in CASES]


def _tensors(key, device, dtype=None, grad=True):
    y_true, y_pred = DATA[key]
    y_true = torch.as_tensor(y_true.copy(), device=device)
    y_pred = torch.as_tensor(y_pred.copy(), device=device)
    if dtype is not None:
        y_pred = y_pred.to(dtype)
    if grad:
        y_pred.requires_grad_(True)
    return y_true, y_pred


def _run(loss, key, device, sample_weight=None, mask=None, dtype=None):
    """Calls `loss`, returns (value, gradient w.r.t. y_pred) as numpy."""
    y_true, y_pred = _tensors(key, device, dtype)
    leaf = y_pred
    if mask is not None:
        y_pred = y_pred * 1  # a non-leaf that can carry the mask attribute
        y_pred._keras_mask = torch.as_tensor(mask, device=device)
    if sample_weight is not None:
        # A copy: Keras multiplies the weights by the mask in place, which would change the caller's array.
        sample_weight = torch.tensor(np.asarray(sample_weight), device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        value = loss(y_true, y_pred, sample_weight=sample_weight)
    grad = None
    if value.numel() and value.requires_grad:
        (grad,) = torch.autograd.grad(value.sum(), leaf)
    return _numpy(value), None if grad is None else _numpy(grad)


def _numpy(x):
    x = x.detach().cpu()
    # numpy has no bfloat16; float32 holds every bfloat16 value exactly.
    return x.float().numpy() if x.dtype == torch.bfloat16 else x.numpy()


def _pair(name, kwargs, **common):
    return getattr(keras.losses, name)(**kwargs, **common), getattr(losses, name)(**kwargs, **common)


def _compare(name, kwargs, key, device, atol=LAYER_ATOL, rtol=LAYER_RTOL, dtype=None, **call):
    theirs, ours = _pair(name, kwargs, **({"reduction": call.pop("reduction")} if "reduction" in call else {}))
    expected = _run(theirs, key, device, dtype=dtype, **call)
    received = _run(ours, key, device, dtype=dtype, **call)
    assert_close(expected[0], received[0], atol, rtol, f"{name}{kwargs} on {key}: loss")
    assert (expected[1] is None) == (received[1] is None), f"{name}: gradient presence differs"
    if expected[1] is not None:
        assert_close(expected[1], received[1], atol, rtol, f"{name}{kwargs} on {key}: d loss / d y_pred")
    return received


@pytest.mark.parametrize("reduction", REDUCTIONS, ids=str)
@pytest.mark.parametrize("name, kwargs, key", CASES, ids=CASE_IDS)
def test_loss_class_value_and_gradient(name, kwargs, key, reduction, device):
    _compare(name, kwargs, key, device, reduction=reduction)


def _loss_shape(name, kwargs, key):
    theirs = getattr(keras.losses, name)(**kwargs, reduction=None)
    y_true, y_pred = _tensors(key, "cpu", grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return tuple(theirs(y_true, y_pred).shape)


# One case per shape of per-sample losses: (N,), (N, T), scalar, and losses carrying their own mask.
WEIGHTED_CASES = [CASES[i] for i, (name, kwargs, key) in enumerate(CASES) if (name, key) in {
    ("MeanSquaredError", "reg3"), ("MeanSquaredError", "reg_col"), ("BinaryCrossentropy", "binary_col"),
    ("BinaryCrossentropy", "binary3"), ("CategoricalCrossentropy", "onehot_axis1"),
    ("SparseCategoricalCrossentropy", "sparse_col"), ("SparseCategoricalCrossentropy", "sparse3"),
    ("SparseCategoricalCrossentropy", "sparse_ignore"), ("SparseCategoricalCrossentropy", "sparse3_ignore3"),
    ("KLDivergence", "distribution"), ("CTC", "ctc"), ("Dice", "seg"),
} or (name, kwargs) == ("Circle", {})]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean_with_sample_weight", None], ids=str)
@pytest.mark.parametrize("weight_rank", ["batch", "batch_1", "full", "scalar"])
@pytest.mark.parametrize("name, kwargs, key", WEIGHTED_CASES,
                         ids=[CASE_IDS[CASES.index(case)] for case in WEIGHTED_CASES])
def test_sample_weight(name, kwargs, key, weight_rank, reduction, device):
    loss_shape = _loss_shape(name, kwargs, key)
    batch = DATA[key][1].shape[0]
    rng = np.random.default_rng(3)
    shapes = {"batch": (batch,), "batch_1": (batch, 1), "full": loss_shape or (batch,), "scalar": ()}
    sample_weight = rng.uniform(0.0, 2.0, size=shapes[weight_rank]).astype("float32")
    theirs, ours = _pair(name, kwargs, reduction=reduction)
    try:
        expected = _run(theirs, key, device, sample_weight=sample_weight)
    except RuntimeError:
        try:
            broadcast_shape = np.broadcast_shapes(sample_weight.shape, loss_shape)
        except ValueError:
            # Keras cannot broadcast these weights either; torchkeras must say so in words.
            with pytest.raises(ValueError, match="sample_weight"):
                _run(ours, key, device, sample_weight=sample_weight)
            return
        # Keras multiplies the weights by the loss mask in place (`sample_weight *= mask`), which fails
        # when the mask is bigger than the weights; torchkeras broadcasts. Compare with Keras given the
        # broadcast weights.
        assert getattr(theirs, "ignore_class", None) is not None or name == "Circle"
        expected = _run(theirs, key, device, sample_weight=np.broadcast_to(sample_weight, broadcast_shape).copy())
    received = _run(ours, key, device, sample_weight=sample_weight)
    assert_close(expected[0], received[0], LAYER_ATOL, LAYER_RTOL, f"{name} weighted loss")
    if expected[1] is not None:
        assert_close(expected[1], received[1], LAYER_ATOL, LAYER_RTOL, f"{name} weighted gradient")


MASK_CASES = [
    ("MeanSquaredError", {}, "reg3", (4, 3)),
    ("BinaryCrossentropy", {}, "binary", (6,)),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits", (6,)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse3", (3, 5)),
    # The y_pred mask is combined with the ignore_class mask.
    ("SparseCategoricalCrossentropy", {"ignore_class": 3, "from_logits": True}, "sparse3_ignore3", (3, 5)),
    ("Huber", {}, "reg3", (4, 3)),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS, ids=str)
@pytest.mark.parametrize("name, kwargs, key, mask_shape", MASK_CASES, ids=[f"{c[0]}-{c[2]}" for c in MASK_CASES])
def test_mask_on_y_pred(name, kwargs, key, mask_shape, reduction, weighted, device):
    rng = np.random.default_rng(5)
    mask = rng.uniform(size=mask_shape) > 0.4
    mask.flat[0] = False
    sample_weight = rng.uniform(0.5, 2.0, size=mask_shape).astype("float32") if weighted else None
    _compare(name, kwargs, key, device, reduction=reduction, mask=mask, sample_weight=sample_weight)


def test_fully_masked_batch_gives_zero(device):
    mask = np.zeros((4, 3), dtype=bool)
    value, grad = _compare("MeanSquaredError", {}, "reg3", device, mask=mask)
    assert value == 0.0 and not np.any(grad)


def test_mask_with_batch_weight_broadcasts_where_keras_cannot(device):
    # Keras multiplies the weights in place (`sample_weight *= mask`), so a (batch, 1) weight facing a
    # (batch, steps) mask raises there. torchkeras broadcasts it: the natural per-sample weighting.
    rng = np.random.default_rng(6)
    mask = rng.uniform(size=(4, 3)) > 0.3
    weight = rng.uniform(0.5, 2.0, size=(4, 1)).astype("float32")
    theirs, ours = _pair("MeanSquaredError", {})
    with pytest.raises(RuntimeError):
        _run(theirs, "reg3", device, sample_weight=weight, mask=mask)
    received = _run(ours, "reg3", device, sample_weight=weight, mask=mask)
    # Same as Keras given the broadcast weight explicitly.
    expected = _run(theirs, "reg3", device, sample_weight=np.broadcast_to(weight, (4, 3)).copy(), mask=mask)
    assert_close(expected[0], received[0], LAYER_ATOL, LAYER_RTOL, "broadcast weight with mask")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("name, kwargs, key", [
    ("MeanSquaredError", {}, "reg2"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {}, "binary"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("CTC", {}, "ctc"),
])
def test_low_and_high_precision_inputs_are_scored_in_float32(name, kwargs, key, dtype, device):
    # The Loss casts y_pred to its dtype (float32) before any math, as Keras does: float32 results.
    value, _ = _compare(name, kwargs, key, device, dtype=dtype)
    assert value.dtype == np.float32


@pytest.mark.parametrize("name, kwargs, key", [
    ("MeanSquaredError", {}, "reg2"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
])
@pytest.mark.parametrize("dtype", ["float64", "mixed_bfloat16", "bfloat16"])
def test_loss_dtype_argument(name, kwargs, key, dtype, device):
    theirs, ours = _pair(name, kwargs, dtype=dtype)
    assert ours.dtype == theirs.dtype
    expected, received = _run(theirs, key, device), _run(ours, key, device)
    if dtype == "float64":
        # Keras divides the float64 sum in float32 (its promotion of float64 with a Python float gives
        # float32); torchkeras keeps the loss in the dtype it was asked for.
        assert expected[0].dtype == np.float32 and received[0].dtype == np.float64
        expected = (expected[0].astype(np.float64), expected[1])
    atol = HALF_ATOL if "16" in dtype else LAYER_ATOL
    assert_close(expected[0], received[0], atol, LAYER_RTOL, f"{name} dtype={dtype}")
    assert_close(expected[1], received[1], atol, LAYER_RTOL, f"{name} dtype={dtype} gradient")


# (function name, kwargs, data key)
FUNCTION_CASES = [
    ("mean_squared_error", {}, "reg3"),
    ("mean_squared_error", {}, "reg_col"),
    ("mean_absolute_error", {}, "reg2"),
    ("mean_absolute_percentage_error", {}, "reg_ties"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("cosine_similarity", {"axis": 1}, "reg3"),
    ("huber", {"delta": 0.7}, "reg3"),
    ("huber", {}, "reg_ties"),
    ("log_cosh", {}, "reg2"),
    ("hinge", {}, "hinge_01"),
    ("squared_hinge", {}, "hinge_pm"),
    ("categorical_hinge", {}, "onehot"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("binary_crossentropy", {}, "binary"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.2, "axis": 1}, "binary3"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "from_logits": True}, "binary_logits"),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, "onehot"),
    ("categorical_crossentropy", {"from_logits": True, "axis": 1}, "onehot_axis1_logits"),
    ("categorical_focal_crossentropy", {"from_logits": True}, "onehot_logits"),
    ("sparse_categorical_crossentropy", {}, "sparse_col"),
    ("sparse_categorical_crossentropy", {"from_logits": True, "axis": 1}, "sparse3_axis1"),
    ("sparse_categorical_crossentropy", {"ignore_class": -1}, "sparse_ignore"),
    ("categorical_generalized_cross_entropy", {"q": 0.5}, "gce"),
    ("dice", {"axis": (1, 2)}, "seg"),
    ("tversky", {"alpha": 0.2, "beta": 0.8}, "seg"),
    ("ctc", {}, "ctc"),
    ("circle", {"gamma": 20}, "circle"),
]


@pytest.mark.parametrize("name, kwargs, key", FUNCTION_CASES,
                         ids=[f"{n}-{k}-{kw}" for n, kw, k in FUNCTION_CASES])
def test_loss_function_matches_keras(name, kwargs, key, device):
    results = []
    for module in (keras.losses, losses):
        y_true, y_pred = _tensors(key, device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            value = getattr(module, name)(y_true, y_pred, **kwargs)
        (grad,) = torch.autograd.grad(value.sum(), y_pred)
        mask = getattr(value, "_keras_mask", None)
        results.append((value.detach().cpu().numpy(), grad.cpu().numpy(),
                        None if mask is None else mask.cpu().numpy()))
    (expected, expected_grad, expected_mask), (received, received_grad, received_mask) = results
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{name} values")
    assert_close(expected_grad, received_grad, LAYER_ATOL, LAYER_RTOL, f"{name} gradient")
    assert (expected_mask is None) == (received_mask is None)
    if expected_mask is not None:
        np.testing.assert_array_equal(received_mask, expected_mask)


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_percentage_error", "huber",
                                  "categorical_crossentropy", "binary_crossentropy"])
def test_float64_numpy_inputs_stay_float64_in_functions(name):
    # Keras averages float64 in float32 and casts back (~1e-8 relative); torchkeras stays in float64.
    key = {"categorical_crossentropy": "onehot", "binary_crossentropy": "binary"}.get(name, "reg2")
    y_true, y_pred = (np.asarray(a, dtype="float64") for a in DATA[key])
    expected = keras.ops.convert_to_numpy(getattr(keras.losses, name)(y_true, y_pred))
    received = getattr(losses, name)(y_true, y_pred)
    assert received.dtype == torch.float64
    assert_close(expected, received.numpy(), LAYER_ATOL, LAYER_RTOL, f"float64 {name}")


def _config_extras(name, kwargs):
    """Arguments torchkeras saves that Keras 3.15's get_config drops (a round trip loses them there)."""
    extras = {
        "Huber": {"delta": kwargs.get("delta", 1.0)},
        "CosineSimilarity": {"axis": kwargs.get("axis", -1)},
        "SparseCategoricalCrossentropy": {"axis": kwargs.get("axis", -1)},
    }
    return extras.get(name, {})


CONFIG_CASES = sorted({(name, tuple(sorted(kwargs.items()))) for name, kwargs, _ in CASES}) + [
    ("BinaryCrossentropy", (("name", "bce_x"), ("reduction", "sum"))),
    ("MeanSquaredError", (("reduction", None),)),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES, ids=[f"{n}-{dict(k)}" for n, k in CONFIG_CASES])
def test_config_round_trips_both_ways(name, kwargs):
    kwargs = dict(kwargs)
    theirs, ours = _pair(name, kwargs)
    extras = _config_extras(name, kwargs)
    keras_config = theirs.get_config()
    assert ours.get_config() == {**keras_config, **extras}
    keras_serialized = keras.losses.serialize(theirs)
    ours_serialized = losses.serialize(ours)
    assert ours_serialized == {**keras_serialized, "config": {**keras_serialized["config"], **extras}}
    # Keras config -> torchkeras
    loaded = losses.deserialize(keras_serialized)
    assert type(loaded) is type(ours)
    assert loaded.get_config() == {**keras_config, **_config_extras(name, {})}
    # torchkeras config -> Keras (Keras accepts the extra arguments, and keeps their values)
    if name == "CategoricalGeneralizedCrossEntropy":
        # Keras 3.15 leaves this class out of keras.losses's lookup table: only the generic loader finds it.
        back = keras.saving.deserialize_keras_object(ours_serialized)
    else:
        back = keras.losses.deserialize(ours_serialized)
    assert type(back).__name__ == name
    assert back.get_config() == keras_config
    if name == "Huber":
        assert back.fn is keras.losses.huber and back._fn_kwargs["delta"] == kwargs.get("delta", 1.0)


def test_loss_function_wrapper_config_from_keras():
    from keras.src.losses.losses import LossFunctionWrapper

    theirs = LossFunctionWrapper(keras.losses.huber, name="wrapped", reduction="sum", delta=2.5)
    config = keras.losses.serialize(theirs)
    ours = losses.deserialize(config)
    assert isinstance(ours, losses.LossFunctionWrapper)
    assert ours.fn is losses.huber and ours._fn_kwargs == {"delta": 2.5}
    assert losses.serialize(ours) == config
    y_true, y_pred = (torch.as_tensor(a) for a in DATA["reg3"])
    assert_close(keras.ops.convert_to_numpy(theirs(y_true, y_pred)), ours(y_true, y_pred).numpy(),
                 LAYER_ATOL, LAYER_RTOL, "wrapped huber")
    back = keras.losses.deserialize(losses.serialize(ours))
    assert back.get_config() == theirs.get_config()


@pytest.mark.parametrize("fn_name", ["mean_squared_error", "binary_crossentropy", "sparse_categorical_crossentropy",
                                     "huber", "ctc", "circle"])
def test_function_serialization_matches_keras(fn_name):
    config = keras.losses.serialize(getattr(keras.losses, fn_name))
    assert losses.serialize(getattr(losses, fn_name)) == config
    assert losses.deserialize(config) is getattr(losses, fn_name)


def test_get_resolves_every_keras_name():
    from keras.src.losses import ALL_OBJECTS_DICT

    for name in ALL_OBJECTS_DICT:
        if name in ("Loss", "LossFunctionWrapper"):
            continue
        theirs, ours = keras.losses.get(name), losses.get(name)
        if isinstance(theirs, keras.losses.Loss):
            assert type(ours).__name__ == type(theirs).__name__, name
            assert ours.get_config() == {**theirs.get_config(), **_config_extras(type(theirs).__name__, {})}
        else:
            assert ours.__name__ == theirs.__name__, name


def test_get_with_config_dict_and_callable():
    identifier = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    theirs, ours = keras.losses.get(identifier), losses.get(identifier)
    assert ours.get_config() == theirs.get_config()
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        keras.losses.get("no_such_loss")
    with pytest.raises(ValueError, match="no_such_loss"):
        losses.get("no_such_loss")


def test_keras_doc_examples():
    # The numbers in Keras's docstrings, computed by Keras here, not copied.
    y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype="float32")
    y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], dtype="float32")
    for name in ["CategoricalCrossentropy", "CategoricalFocalCrossentropy", "CategoricalHinge", "KLDivergence"]:
        theirs, ours = _pair(name, {})
        for weight in (None, np.array([0.3, 0.7], dtype="float32")):
            expected = keras.ops.convert_to_numpy(theirs(y_true, y_pred, sample_weight=weight))
            received = ours(y_true, y_pred, sample_weight=weight).numpy()
            assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, name)
    sparse = np.array([1, 2])
    expected = keras.ops.convert_to_numpy(keras.losses.SparseCategoricalCrossentropy()(sparse, y_pred))
    assert_close(expected, losses.SparseCategoricalCrossentropy()(sparse, y_pred).numpy(), LAYER_ATOL, LAYER_RTOL,
                 "scce on numpy / list inputs")
    expected = keras.ops.convert_to_numpy(keras.losses.MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8]))
    assert_close(expected, losses.MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8]).numpy(), LAYER_ATOL,
                 LAYER_RTOL, "mse on Python lists")


def test_custom_loss_subclass_matches_keras():
    class KerasAbs(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.abs(y_true - y_pred)

    class OursAbs(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.abs(y_true - y_pred)

    y_true, y_pred = (torch.as_tensor(a) for a in DATA["reg3"])
    for reduction in REDUCTIONS:
        theirs, ours = KerasAbs(reduction=reduction), OursAbs(reduction=reduction)
        assert_close(keras.ops.convert_to_numpy(theirs(y_true, y_pred)), ours(y_true, y_pred).numpy(),
                     LAYER_ATOL, LAYER_RTOL, f"custom loss, reduction={reduction}")
    assert OursAbs().get_config().keys() == KerasAbs().get_config().keys()


def test_empty_batch_matches_keras():
    y = np.zeros((0, 3), dtype="float32")
    expected = keras.ops.convert_to_numpy(keras.losses.MeanSquaredError()(y, y))
    received = losses.MeanSquaredError()(y, y).numpy()
    assert expected.shape == received.shape == (0,)


@pytest.mark.parametrize("kind", ["categorical", "binary"])
def test_softmax_and_sigmoid_outputs_are_scored_as_clipped_probabilities(kind):
    # Keras's activations attach `_keras_logits` to their output, but on the torch backend no loss reads
    # them: a saturated softmax / sigmoid costs -log(1e-7), not the exact logit-based value.
    logits = torch.tensor([[30.0, 0.0, 0.0]])
    if kind == "categorical":
        y_true = torch.tensor([[0.0, 1.0, 0.0]])
        probs = keras.activations.softmax(logits)
        theirs, ours = keras.losses.CategoricalCrossentropy(), losses.CategoricalCrossentropy()
        exact = losses.CategoricalCrossentropy(from_logits=True)(y_true, logits).item()
    else:
        y_true = torch.tensor([[0.0, 1.0, 1.0]])
        probs = keras.activations.sigmoid(logits)
        theirs, ours = keras.losses.BinaryCrossentropy(), losses.BinaryCrossentropy()
        exact = losses.BinaryCrossentropy(from_logits=True)(y_true, logits).item()
    assert hasattr(probs, "_keras_logits")
    expected = keras.ops.convert_to_numpy(theirs(y_true, probs))
    received = ours(y_true, probs.detach().clone()).numpy()
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{kind} crossentropy of a saturated activation")
    assert abs(float(received) - exact) > 1.0
