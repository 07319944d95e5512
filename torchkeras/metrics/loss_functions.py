"""The per-sample loss functions that `keras.metrics` re-exports from `keras.losses`
(`keras.metrics.mean_squared_error`, `keras.metrics.hinge`, ...), and that the mean metrics wrap.

Each mirrors `keras/src/losses/losses.py` with the numerics of Keras's torch backend
(`keras/src/backend/torch/nn.py`): epsilon 1e-7, probabilities clipped to `[eps, 1 - eps]`, categorical
predictions renormalised to sum to 1 before the log. Each takes `(y_true, y_pred)` and returns one value
per sample (the last axis reduced); integer predictions are computed in float32.
"""

import math
import warnings

import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.metrics.metrics_utils import EPSILON
from torchkeras.metrics.metrics_utils import check_broadcastable
from torchkeras.metrics.metrics_utils import convert_to_tensor
from torchkeras.metrics.metrics_utils import set_keras_mask
from torchkeras.metrics.metrics_utils import squeeze_or_expand_to_same_rank


def _mean(x, dim):
    """`torch.mean` that, like Keras's `ops.mean`, averages integer and bool tensors in float32."""
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(torch.float32)
    return torch.mean(x, dim=dim)


def _float_pred(y_pred):
    """`y_pred` as a floating tensor: integer predictions are computed in float32.

    Keras on torch keeps them integer, which turns its constants integer too (`log(2)` becomes 0 in
    `log_cosh`, epsilon becomes 0 in `poisson`) or fails (`binary_crossentropy`); its own docstring
    examples, written with integer lists, show the float results.
    """
    y_pred = convert_to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(backend.to_torch_dtype(backend.floatx()))
    return y_pred


def _pred_and_true(y_true, y_pred, squeeze=True, fn_name="the metric function"):
    y_pred = _float_pred(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(y_true, y_pred, fn_name)
    return y_true, y_pred


@keras_export("keras.metrics.mean_squared_error")
def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis: `mean(square(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="mean_squared_error")
    return _mean(torch.square(y_true - y_pred), dim=-1)


@keras_export("keras.metrics.mean_absolute_error")
def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: `mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="mean_absolute_error")
    return _mean(torch.abs(y_true - y_pred), dim=-1)


@keras_export("keras.metrics.mean_absolute_percentage_error")
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="mean_absolute_percentage_error")
    # Python scalars, not device tensors: no host-to-device copy per batch.
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=EPSILON))
    return 100.0 * _mean(diff, dim=-1)


@keras_export("keras.metrics.mean_squared_logarithmic_error")
def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="mean_squared_logarithmic_error")
    first_log = torch.log(torch.clamp(y_pred, min=EPSILON) + 1.0)
    second_log = torch.log(torch.clamp(y_true, min=EPSILON) + 1.0)
    return _mean(torch.square(first_log - second_log), dim=-1)


@keras_export("keras.metrics.log_cosh")
def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the error, averaged over the last axis."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="log_cosh")
    x = y_pred - y_true
    return _mean(x + F.softplus(x * -2.0) - math.log(2.0), dim=-1)


@keras_export("keras.metrics.huber")
def huber(y_true, y_pred, delta=1.0):
    """Huber loss over the last axis: quadratic for `|error| <= delta`, linear beyond."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="huber")
    delta = float(delta)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    return _mean(
        torch.where(abs_error <= delta, 0.5 * torch.square(error), delta * abs_error - 0.5 * delta ** 2),
        dim=-1,
    )


def l2_normalize(x, axis=-1):
    """`x * min(rsqrt(sum(x ** 2, axis)), 1 / epsilon)` (Keras's `ops.normalize(order=2)`)."""
    if x.dim() == 0:
        x = x.unsqueeze(0)
    square_sum = torch.sum(torch.square(x), dim=axis, keepdim=True)
    inv_norm = torch.clamp(torch.rsqrt(square_sum), max=1.0 / EPSILON)
    return x * inv_norm


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity between labels and predictions along `axis` (positive, as the metric wants;
    the loss of the same name is its negative)."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, fn_name="cosine_similarity")
    y_pred = l2_normalize(y_pred, axis=axis)
    y_true = l2_normalize(y_true, axis=axis)
    return torch.sum(y_true * y_pred, dim=axis)


@keras_export("keras.metrics.kl_divergence")
def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to `[epsilon, 1]`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, squeeze=False, fn_name="kl_divergence")
    y_true = torch.clip(y_true, EPSILON, 1)
    y_pred = torch.clip(y_pred, EPSILON, 1)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


@keras_export("keras.metrics.poisson")
def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, squeeze=False, fn_name="poisson")
    return _mean(y_pred - y_true * torch.log(y_pred + EPSILON), dim=-1)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _backend_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if target.dim() < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if from_logits:
        log_prob = F.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        output = torch.clip(output, EPSILON, 1.0 - EPSILON)
        log_prob = torch.log(output)
    return -torch.sum(target * log_prob, dim=axis)


def _backend_binary_crossentropy(target, output, from_logits=False):
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = torch.clip(output, EPSILON, 1.0 - EPSILON)
    return F.binary_cross_entropy(output, target, reduction="none")


@keras_export("keras.metrics.categorical_crossentropy")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) labels and predicted distributions along `axis`.

    Args:
        y_true: One-hot labels, same shape as `y_pred`.
        y_pred: Probabilities (renormalised to sum to 1) or, with `from_logits`, logits.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: Float in `[0, 1]`: labels become `y * (1 - s) + s / num_classes`.
        axis: The class axis.
    """
    _check_axis(axis)
    y_pred = _float_pred(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    return _backend_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


@keras_export("keras.metrics.categorical_focal_crossentropy")
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical crossentropy down-weighting easy examples by `alpha * (1 - p) ** gamma`."""
    _check_axis(axis)
    y_pred = _float_pred(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    if label_smoothing:
        num_classes = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    output = y_pred / torch.sum(y_pred, dim=axis, keepdim=True)
    output = torch.clip(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * torch.log(output)
    focal_cce = torch.pow(1.0 - output, gamma) * alpha * cce
    return torch.sum(focal_cce, dim=axis)


@keras_export("keras.metrics.sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer labels and predicted distributions along `axis`.

    Args:
        y_true: Integer labels, shaped like `y_pred` without the class axis (or with it of size 1).
        y_pred: Probabilities (renormalised to sum to 1) or, with `from_logits`, logits.
        from_logits: Whether `y_pred` holds logits.
        ignore_class: Optional label whose entries give 0 and are masked out (the result carries
            a Keras mask).
        axis: The class axis.
    """
    y_pred = _float_pred(y_pred)
    y_true = convert_to_tensor(y_true).to(y_pred.device)
    if y_true.dim() == y_pred.dim() and y_true.shape[axis] == 1:
        y_true = torch.squeeze(y_true, dim=axis)
    if ignore_class is not None:
        class_axis = axis % y_pred.dim()
        res_shape = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
        valid_mask = y_true != ignore_class
        y_true = torch.where(valid_mask, y_true, torch.zeros_like(y_true))
        y_pred = torch.where(valid_mask.unsqueeze(axis), y_pred, torch.zeros_like(y_pred))
    res = _backend_sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if ignore_class is not None:
        valid_mask = valid_mask.reshape(res_shape)
        res = torch.where(valid_mask, res, torch.zeros_like(res))
        set_keras_mask(res, valid_mask)
    return res


def _backend_sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = target.to(torch.long)
    if target.dim() == output.dim() and target.shape[axis] == 1:
        target = torch.squeeze(target, dim=axis)
    if output.dim() < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={output.shape}")
    expected = list(output.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if output.dim() == 1:
        output, target, squeeze = output.unsqueeze(0), target.unsqueeze(0), True
    else:
        squeeze = False
        class_axis = axis % output.dim()
        if class_axis != 1:
            output = output.movedim(class_axis, 1)
    num_classes = output.shape[1]
    # Checked where it costs no device synchronisation; on accelerators torch's own check applies.
    if target.device.type == "cpu" and target.numel() and (
        int(target.min()) < 0 or int(target.max()) >= num_classes
    ):
        raise ValueError(
            f"Sparse labels must be in [0, {num_classes}) for predictions with {num_classes} classes. "
            f"Received labels in [{int(target.min())}, {int(target.max())}]."
        )
    if from_logits:
        result = F.cross_entropy(output, target, reduction="none")
    else:
        output = output / torch.sum(output, dim=1, keepdim=True)
        output = torch.clip(output, EPSILON, 1.0 - EPSILON)
        result = F.nll_loss(torch.log(output), target, reduction="none")
    return result.squeeze(0) if squeeze else result


@keras_export("keras.metrics.binary_crossentropy")
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy averaged over `axis`.

    Args:
        y_true: Labels in `{0, 1}` (or soft labels), same shape as `y_pred`.
        y_pred: Probabilities (clipped to `[eps, 1 - eps]`) or, with `from_logits`, logits.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: Float in `[0, 1]`: labels become `y * (1 - s) + 0.5 * s`.
        axis: The axis averaged over.
    """
    y_pred = _float_pred(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _mean(_backend_binary_crossentropy(y_true, y_pred, from_logits=from_logits), dim=axis)


@keras_export("keras.metrics.binary_focal_crossentropy")
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy down-weighting easy examples by `(1 - p_t) ** gamma`."""
    y_pred = _float_pred(y_pred)
    y_true = convert_to_tensor(y_true).to(device=y_pred.device, dtype=y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _backend_binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return _mean(focal_bce, dim=axis)


def _convert_binary_labels_to_hinge(y_true):
    """Labels in `{0, 1}` become `{-1, 1}`; any other labels are left as they are."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


@keras_export("keras.metrics.hinge")
def hinge(y_true, y_pred):
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)`, binary labels mapped to `{-1, 1}`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, squeeze=False, fn_name="hinge")
    y_true = _convert_binary_labels_to_hinge(y_true)
    return _mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


@keras_export("keras.metrics.squared_hinge")
def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`, binary labels mapped to `{-1, 1}`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, squeeze=False, fn_name="squared_hinge")
    y_true = _convert_binary_labels_to_hinge(y_true)
    return _mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


@keras_export("keras.metrics.categorical_hinge")
def categorical_hinge(y_true, y_pred):
    """`maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` over the last axis."""
    y_true, y_pred = _pred_and_true(y_true, y_pred, squeeze=False, fn_name="categorical_hinge")
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


LOSS_FUNCTIONS = (
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    log_cosh,
    huber,
    kl_divergence,
    poisson,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    hinge,
    squared_hinge,
    categorical_hinge,
)
