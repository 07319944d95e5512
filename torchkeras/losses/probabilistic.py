"""Probabilistic losses: crossentropies (binary, categorical, sparse, focal), KL divergence, Poisson,
generalized crossentropy (Keras 3.15).

Numerics, as Keras 3.15 computes them on the torch backend:

- Probabilities (`from_logits=False`) are clipped to `[epsilon, 1 - epsilon]` with `epsilon = 1e-7`
  before the log (categorical ones are first divided by their sum along `axis`), so a confident wrong
  prediction costs at most `-log(1e-7) ~= 16.1`, and the gradient is zero where the clip is active.
- `_keras_logits` is NOT used. Keras's `softmax` / `sigmoid` activations attach the logits to their
  output, but only the TensorFlow backend reads them; on torch a softmax output passed with
  `from_logits=False` is scored as clipped probabilities. torchkeras does the same, so losses and
  gradients match Keras-on-torch. Pass logits with `from_logits=True` for the exact, stable path.
- With logits, the fused torch kernels are used: `F.binary_cross_entropy_with_logits`,
  `F.cross_entropy` (integer labels), and `log_softmax` for one-hot / soft labels (this is also what
  `F.cross_entropy` runs for probability targets).
"""

import numbers
import warnings

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.losses._utils import EPSILON
from torchkeras.losses._utils import cast_like
from torchkeras.losses._utils import check_axis
from torchkeras.losses._utils import check_broadcastable
from torchkeras.losses._utils import clip
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.losses._utils import mean
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper


def _mean_over(x, axis):
    return mean(x, tuple(range(x.ndim)) if axis is None else axis)


def _binary_crossentropy_elementwise(target, output, from_logits):
    """`ops.binary_crossentropy`: element-wise, no reduction."""
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = clip(output, EPSILON, 1.0 - EPSILON)
    return F.binary_cross_entropy(output, target, reduction="none")


def _categorical_crossentropy(target, output, from_logits, axis):
    """`ops.categorical_crossentropy` on the torch backend."""
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if target.ndim < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    if from_logits:
        log_prob = F.log_softmax(output, dim=axis)
    else:
        output = output / torch.sum(output, dim=axis, keepdim=True)
        output = clip(output, EPSILON, 1.0 - EPSILON)
        log_prob = torch.log(output)
    return -torch.sum(target * log_prob, dim=axis)


def _sparse_categorical_crossentropy(target, output, from_logits, axis):
    """`ops.sparse_categorical_crossentropy` on the torch backend (no one-hot matrix is built)."""
    if output.ndim < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={tuple(output.shape)}"
        )
    if target.dtype != torch.long:
        target = target.long()
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = torch.squeeze(target, dim=axis)
    expected = list(output.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    squeeze = output.ndim == 1
    if squeeze:
        output = output.unsqueeze(0)
        target = target.unsqueeze(0)
    else:
        class_axis = axis % output.ndim
        if class_axis != 1:
            output = output.movedim(class_axis, 1)
    if from_logits:
        result = F.cross_entropy(output, target, reduction="none")
    else:
        output = output / torch.sum(output, dim=1, keepdim=True)
        output = clip(output, EPSILON, 1.0 - EPSILON)
        result = F.nll_loss(torch.log(output), target, reduction="none")
    return result.squeeze(0) if squeeze else result


def _warn_single_class(y_pred, fn_name):
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn_name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _smooth_categorical(y_true, label_smoothing):
    # Keras divides by the size of the LAST axis, whatever `axis` is.
    num_classes = y_true.shape[-1]
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


@keras_export("keras.losses.kl_divergence", "keras.losses.kld", "keras.losses.KLD",
              "keras.losses.kullback_leibler_divergence")
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence: `sum(y_true * log(y_true / y_pred), axis=-1)`.

    Both inputs are clipped to `[epsilon, 1]` first.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "kl_divergence")
    y_true = clip(y_true, EPSILON, 1.0)
    y_pred = clip(y_pred, EPSILON, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


@keras_export("keras.losses.poisson")
def poisson(y_true, y_pred):
    """Poisson loss: `mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`."""
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "poisson")
    return mean(y_pred - y_true * torch.log(y_pred + EPSILON), -1)


@keras_export("keras.losses.categorical_crossentropy")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy between one-hot (or soft) labels and predictions.

    Args:
        y_true: One-hot or soft labels, same shape as `y_pred`.
        y_pred: Probabilities (clipped to `[1e-7, 1 - 1e-7]` after
            normalisation along `axis`) or logits (`from_logits=True`).
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: Float in [0, 1]: labels become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Losses with the class axis reduced.
    """
    check_axis(axis, "categorical_crossentropy")
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    _warn_single_class(y_pred, "categorical_crossentropy")
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    return _categorical_crossentropy(y_true, y_pred, from_logits, axis)


@keras_export("keras.losses.categorical_focal_crossentropy")
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical focal crossentropy: `sum(alpha * (1 - p)**gamma * -y_true * log(p), axis)`.

    `p` is the prediction normalised along `axis` (after a softmax when
    `from_logits=True`) and clipped to `[1e-7, 1 - 1e-7]`.
    """
    check_axis(axis, "categorical_focal_crossentropy")
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    _warn_single_class(y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = F.softmax(y_pred, dim=axis)
    output = y_pred / torch.sum(y_pred, dim=axis, keepdim=True)
    output = clip(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * torch.log(output)
    modulating_factor = torch.pow(1.0 - output, gamma)
    weighting_factor = modulating_factor * cast_like(alpha, output)
    return torch.sum(weighting_factor * cce, dim=axis)


@keras_export("keras.losses.sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer labels and predictions.

    Args:
        y_true: Integer class indices, shape `y_pred.shape` without the class
            axis, or with a class axis of size 1 (`(N,)` or `(N, 1)` for
            `y_pred` of shape `(N, C)`). Float labels are truncated to ints.
        y_pred: Probabilities or logits (`from_logits=True`) with the class
            axis at `axis`.
        from_logits: Whether `y_pred` holds logits.
        ignore_class: Optional label value to ignore: its entries get a loss
            of 0 and a `_keras_mask` of False on the returned losses, so that
            a `Loss` averages over the other entries only.
        axis: The class axis. Defaults to `-1`.

    Returns:
        Losses of shape `y_true.shape` (class axis removed).

    Labels outside `[0, num_classes)` raise torch's out-of-bounds error (no
    range check is made here, to avoid a device sync every step).
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true, device=y_pred.device)
    if y_pred.ndim < 1:
        raise ValueError(
            f"Argument `y_pred` must be at least rank 1. Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = torch.squeeze(y_true, dim=axis)
    if ignore_class is not None:
        class_axis = axis % y_pred.ndim
        res_shape = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
        valid_mask = y_true != ignore_class
        y_true = torch.where(valid_mask, y_true, torch.zeros((), dtype=y_true.dtype, device=y_true.device))
        y_pred = torch.where(torch.unsqueeze(valid_mask, axis), y_pred,
                             torch.zeros((), dtype=y_pred.dtype, device=y_pred.device))
    res = _sparse_categorical_crossentropy(y_true, y_pred, from_logits, axis)
    if ignore_class is not None:
        valid_mask = torch.reshape(valid_mask, res_shape)
        res = torch.where(valid_mask, res, torch.zeros((), dtype=res.dtype, device=res.device))
        res._keras_mask = valid_mask
    return res


@keras_export("keras.losses.binary_crossentropy", "keras.losses.bce", "keras.losses.BCE")
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged along `axis`.

    Args:
        y_true: Labels in [0, 1], same shape as `y_pred`.
        y_pred: Probabilities (clipped to `[1e-7, 1 - 1e-7]`) or logits
            (`from_logits=True`, computed with
            `binary_cross_entropy_with_logits`).
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: Float in [0, 1]: labels are squeezed towards 0.5,
            `y_true * (1 - label_smoothing) + 0.5 * label_smoothing`.
        axis: The axis the element-wise losses are averaged over. Defaults
            to `-1`.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _mean_over(_binary_crossentropy_elementwise(y_true, y_pred, from_logits), axis)


@keras_export("keras.losses.binary_focal_crossentropy")
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary focal crossentropy: `mean((1 - p_t)**gamma * bce, axis)`.

    `p_t = y_true * p + (1 - y_true) * (1 - p)` with `p = sigmoid(y_pred)`
    when `from_logits=True`. As in Keras, the crossentropy term is computed
    from the (clipped) probabilities even when logits are given. With
    `apply_class_balancing`, it is further weighted by `alpha` for positives
    and `1 - alpha` for negatives.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _binary_crossentropy_elementwise(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        weight = y_true * alpha + (1 - y_true) * (1 - alpha)
        focal_bce = weight * focal_bce
    return _mean_over(focal_bce, axis)


@keras_export("keras.losses.categorical_generalized_cross_entropy")
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized crossentropy `(1 - p**q) / q`, `p` the predicted probability of the true class.

    Args:
        y_true: Integer labels, shape `(batch_size,)`.
        y_pred: Probabilities, shape `(batch_size, num_classes)`.
        q: Float in (0, 1): towards 0 it behaves like crossentropy, towards
            1 like mean absolute error.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true, device=y_pred.device).long()
    # Keras's one_hot gives negative labels an all-zero row.
    one_hot = F.one_hot(torch.clamp(y_true, min=0), y_pred.shape[-1])
    one_hot = torch.where(torch.unsqueeze(y_true, -1) >= 0, one_hot, torch.zeros_like(one_hot))
    p = torch.sum(y_pred * one_hot.to(y_pred.dtype), dim=-1)
    return (1 - torch.pow(p, q)) / q


@keras_export("keras.losses.KLDivergence")
class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence: `loss = y_true * log(y_true / y_pred)`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"kl_divergence"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


@keras_export("keras.losses.Poisson")
class Poisson(LossFunctionWrapper):
    """Poisson loss: `loss = y_pred - y_true * log(y_pred)`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"poisson"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


def _check_label_smoothing(label_smoothing):
    if (
        isinstance(label_smoothing, bool)
        or not isinstance(label_smoothing, numbers.Real)
        or not 0 <= label_smoothing <= 1
    ):
        raise ValueError(
            "Invalid value for argument `label_smoothing`. Expected a float in [0, 1]. "
            f"Received: label_smoothing={label_smoothing!r}"
        )
    return label_smoothing


@keras_export("keras.losses.BinaryCrossentropy")
class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy between binary labels (0 or 1) and predictions.

    Args:
        from_logits: Whether `y_pred` holds logits (any real number) rather
            than probabilities. Logits are scored with torch's fused, stable
            `binary_cross_entropy_with_logits`; probabilities are clipped to
            `[1e-7, 1 - 1e-7]` (a sigmoid output is NOT turned back into
            logits, exactly as Keras-on-torch does). Defaults to `False`.
        label_smoothing: Float in [0, 1]. Labels are moved towards 0.5:
            `y_true * (1 - label_smoothing) + 0.5 * label_smoothing`.
        axis: The axis the element-wise losses are averaged over. Defaults to
            `-1`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"binary_crossentropy"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).

    Call arguments:
        y_true: Labels, shape `(batch_size, d0, .. dN)`; `(batch_size,)` also
            works with `y_pred` of shape `(batch_size, 1)`.
        y_pred: Predictions, shape `(batch_size, d0, .. dN)`.
        sample_weight: Optional weights. See `Loss`.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        _check_label_smoothing(label_smoothing)
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


@keras_export("keras.losses.BinaryFocalCrossentropy")
class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Focal crossentropy between binary labels and predictions (Lin et al., 2018).

    `loss = (1 - p_t)**gamma * bce`, optionally weighted by `alpha` /
    `1 - alpha` for positives / negatives.

    Args:
        apply_class_balancing: Whether to weight positives by `alpha` and
            negatives by `1 - alpha`. Defaults to `False`.
        alpha: The class balancing weight. Defaults to `0.25`.
        gamma: The focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Float in [0, 1]; labels move towards 0.5.
        axis: The axis the element-wise losses are averaged over. Defaults to
            `-1`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"binary_focal_crossentropy"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        _check_label_smoothing(label_smoothing)
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis, "apply_class_balancing": self.apply_class_balancing,
                       "alpha": self.alpha, "gamma": self.gamma})
        return config


@keras_export("keras.losses.CategoricalCrossentropy")
class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between one-hot (or soft) labels and predictions.

    For integer labels use `SparseCategoricalCrossentropy`.

    Args:
        from_logits: Whether `y_pred` holds logits. With logits the loss is
            `-sum(y_true * log_softmax(y_pred))`; probabilities are divided
            by their sum along `axis` and clipped to `[1e-7, 1 - 1e-7]` (a
            softmax output is NOT turned back into logits, exactly as
            Keras-on-torch does). Defaults to `False`.
        label_smoothing: Float in [0, 1]: labels become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`,
            `num_classes` being the size of the last axis.
        axis: The class axis. Defaults to `-1`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"categorical_crossentropy"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        _check_label_smoothing(label_smoothing)
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


@keras_export("keras.losses.CategoricalFocalCrossentropy")
class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Focal crossentropy between one-hot labels and predictions.

    `loss = sum(alpha * (1 - p)**gamma * -y_true * log(p))` over the classes.

    Args:
        alpha: Weight balancing factor (a float). Defaults to `0.25`.
        gamma: The focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits (a softmax is applied).
            Defaults to `False`.
        label_smoothing: Float in [0, 1], as in `CategoricalCrossentropy`.
        axis: The class axis. Defaults to `-1`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"categorical_focal_crossentropy"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        _check_label_smoothing(label_smoothing)
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma})
        return config


@keras_export("keras.losses.SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between integer labels and predictions.

    Logits use torch's fused `F.cross_entropy` (no one-hot matrix);
    probabilities are divided by their sum along `axis` and clipped to
    `[1e-7, 1 - 1e-7]`.

    Args:
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: Optional integer label to ignore (for example a padding
            class in segmentation). Its entries are masked out: they add
            nothing and, for `"sum_over_batch_size"`, the sum is divided by the
            number of other entries. Defaults to `None`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        axis: The class axis of `y_pred`. Defaults to `-1`.
        name: Optional name. Defaults to `"sparse_categorical_crossentropy"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).

    Call arguments:
        y_true: Integer labels of shape `(batch_size, d0, .. dN)` or
            `(batch_size, d0, .. dN, 1)`.
        y_pred: Predictions of shape `(batch_size, d0, .. dN, num_classes)`.
        sample_weight: Optional weights. See `Loss`.

    Note: Keras 3.15's `get_config` leaves `axis` out (a round trip resets it
    to -1); torchkeras saves it. Keras loads such a config unchanged.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        if ignore_class is not None and (isinstance(ignore_class, bool) or not isinstance(ignore_class, int)):
            raise ValueError(
                "Invalid value for argument `ignore_class`. Expected `None` or an integer. "
                f"Received: ignore_class={ignore_class!r}"
            )
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "ignore_class": self.ignore_class, "axis": self.axis})
        return config


@keras_export("keras.losses.CategoricalGeneralizedCrossEntropy")
class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized crossentropy (Zhang & Sabuncu, 2018), robust to noisy labels: `(1 - p**q) / q`.

    Args:
        q: Float in (0, 1). Defaults to `0.5`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"categorical_generalized_cross_entropy"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).

    Call arguments:
        y_true: Integer labels, shape `(batch_size,)`.
        y_pred: Probabilities, shape `(batch_size, num_classes)`.
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"Invalid value for argument `q`. Expected a float in (0, 1). Received: q={q!r}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype,
                         q=q)
        self.q = q

    def get_config(self):
        config = Loss.get_config(self)
        config["q"] = self.q
        return config
