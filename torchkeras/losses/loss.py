"""The `Loss` base class and Keras's reduction logic (`keras/src/losses/loss.py`, Keras 3.15)."""

import torch

from torchkeras import backend
from torchkeras import dtype_policies
from torchkeras.api_export import keras_export
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.utils import naming

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


@keras_export("keras.Loss", "keras.losses.Loss")
class Loss:
    """Loss base class.

    Subclass it and implement `call(y_true, y_pred)`, which returns the
    per-sample (unreduced) losses; `__call__` then applies the mask of
    `y_pred` (`y_pred._keras_mask`), the mask of the returned losses (if
    `call` set one), `sample_weight` and the reduction.

    ```python
    class MeanSquaredError(Loss):
        def call(self, y_true, y_pred):
            return torch.mean(torch.square(y_pred - y_true), dim=-1)
    ```

    Args:
        reduction: Type of reduction to apply to the loss. `"sum"` sums the
            loss, `"sum_over_batch_size"` and `"mean"` sum the loss and divide
            by the number of loss values, `"mean_with_sample_weight"` sums the
            loss and divides by the sum of the sample weights. `"none"` and
            `None` perform no aggregation. Defaults to `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to the snake-case
            class name, made unique (`"my_loss"`, `"my_loss_1"`, ...).
        dtype: The dtype of the loss's computations: `y_true` and `y_pred` are
            cast to it before `call`. Defaults to `None`, meaning `"float32"`
            (`floatx()`), so float16 / bfloat16 predictions are scored in
            float32, as in Keras. A `DTypePolicy` uses its `compute_dtype`.

    Call arguments:
        y_true: Ground truth values (tensor, numpy array or nested list).
        y_pred: Predicted values. A `_keras_mask` attribute on it is honoured:
            masked entries get weight 0 and, for `"sum_over_batch_size"` and
            `"mean"`, the sum is divided by the number of unmasked entries.
        sample_weight: Optional weights, broadcast against the per-sample
            losses after Keras's squeeze / expand of a trailing axis of size 1.

    Returns:
        A scalar tensor (or the unreduced losses for `reduction=None`).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or naming.auto_name(naming.to_snake_case(self.__class__.__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype_policy = dtype_policies.get(dtype or backend.floatx())
        self._dtype = self._dtype_policy.compute_dtype

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _map_structure(lambda x: convert_to_tensor(x, dtype=self.dtype), y_pred)
        device = backend.first_device(y_pred)
        y_true = _map_structure(lambda x: _to_device(convert_to_tensor(x, dtype=self.dtype, device=device),
                                                     device), y_true)

        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)

        if in_mask is not None and out_mask is not None:
            mask = in_mask & out_mask
        elif in_mask is not None:
            mask = in_mask
        else:
            mask = out_mask
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=self.dtype
        )

    def call(self, y_true, y_pred):
        """Returns the unreduced losses. Subclasses implement it."""
        raise NotImplementedError(f"Loss subclass {self.__class__.__name__} must implement `call()`.")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name!r} reduction={self.reduction!r}>"


def _map_structure(fn, x):
    if isinstance(x, (list, tuple)) and x and not _is_number_list(x):
        return type(x)(_map_structure(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: _map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def _is_number_list(x):
    # A plain nested list of numbers is one tensor, not a structure of tensors.
    first = x[0]
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    return not isinstance(first, (torch.Tensor, dict)) and not hasattr(first, "__array__")


def _to_device(x, device):
    # Keras moves every input onto one device; a loss target left on the CPU follows its prediction.
    if device is not None and x.device != device:
        return x.to(device)
    return x


def standardize_reduction(reduction):
    """Checks `reduction` against Keras's allowed values and returns it."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{set(REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands the last axis when the two ranks differ by exactly 1 and that axis has size 1.

    A rank-1 tensor facing a rank-2 one with a trailing axis of size 1 is expanded (when `expand_rank_1`),
    otherwise the trailing size-1 axis is squeezed, as in Keras.
    """
    x1_rank = x1.ndim
    x2_rank = x2.ndim
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1:
        if x1.shape[-1] == 1:
            if x2_rank == 1 and expand_rank_1:
                x2 = torch.unsqueeze(x2, -1)
            else:
                x1 = torch.squeeze(x1, -1)
    if x2_rank == x1_rank + 1:
        if x2.shape[-1] == 1:
            if x1_rank == 1 and expand_rank_1:
                x1 = torch.unsqueeze(x1, -1)
            else:
                x2 = torch.squeeze(x2, -1)
    return x1, x2


def _divide_no_nan(x, y):
    safe_y = torch.where(y == 0, torch.ones_like(y), y)
    return torch.where(y == 0, torch.zeros_like(x), x / safe_y)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Sums `values` and divides as `reduction` says; scalars and empty 1-D values pass through."""
    if reduction is None or reduction == "none" or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    loss = torch.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            loss = _divide_no_nan(loss, torch.sum(sample_weight).to(loss.dtype))
        else:
            count = values.numel()
            loss = loss / count if count else torch.zeros_like(loss)
    return loss


def _broadcast_check(weights, values, what):
    try:
        torch.broadcast_shapes(weights.shape, values.shape)
    except RuntimeError:
        raise ValueError(
            f"`{what}` cannot be broadcast to the shape of the per-sample losses. "
            f"Received: {what}.shape={tuple(weights.shape)}, losses shape={tuple(values.shape)}"
        ) from None


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Merges `mask` into `sample_weight`, weights `values` and reduces them (Keras's loss pipeline)."""
    reduction = standardize_reduction(reduction)

    values = convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = convert_to_tensor(sample_weight, dtype=dtype, device=values.device)
        sample_weight = _to_device(sample_weight, values.device)
    if mask is not None:
        mask = _to_device(convert_to_tensor(mask, dtype=dtype, device=values.device), values.device)

    what = "sample_weight" if sample_weight is not None else "mask"
    sample_weight = apply_mask(sample_weight, mask, dtype=values.dtype, reduction=reduction)

    if sample_weight is not None:
        sample_weight = sample_weight.to(values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _broadcast_check(sample_weight, values, what)
        values = values * sample_weight

    return reduce_values(values, sample_weight, reduction)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a mask into the sample weights.

    For `"sum_over_batch_size"` and `"mean"`, valid entries weigh `total / valid` so that the later
    division by the total count becomes a division by the number of valid entries.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        mask_as_float = mask.to(dtype)
        total = torch.full((), mask.numel(), dtype=dtype, device=mask.device)
        valid = torch.sum(mask_as_float)  # May be 0.
        mask_weight = _divide_no_nan(total, valid)
        float_mask = torch.where(mask.bool(), mask_weight, torch.zeros((), dtype=dtype, device=mask.device))
    else:
        float_mask = mask.to(dtype)

    if sample_weight is None:
        return float_mask
    sample_weight = sample_weight.to(dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    _broadcast_check(sample_weight, float_mask, "sample_weight")
    # Keras multiplies in place (`sample_weight *= float_mask`), which fails when the mask has more
    # dimensions than the weights; out of place, a (batch, 1) weight broadcasts over the masked axis.
    return sample_weight * float_mask


def scale_loss_for_distribution(value):
    """Keras divides by the replica count under `tf.distribute`; with torch (DDP averages gradients) it is
    the identity, as in Keras's torch backend."""
    return value


def unscale_loss_for_distribution(value):
    """The inverse of `scale_loss_for_distribution`: the identity with torch."""
    return value
