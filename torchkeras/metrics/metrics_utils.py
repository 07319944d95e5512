"""Helpers shared by the metrics: tensor conversion, rank matching, masks, and the confusion-matrix
update behind `Precision`, `Recall`, `AUC` and friends.

Mirrors `keras/src/metrics/metrics_utils.py` and the pieces of `keras/src/losses/loss.py` the metrics use,
with Keras's torch-backend numerics.
"""

from enum import Enum

import numpy as np
import torch

from torchkeras import backend

EPSILON = 1e-7  # keras.backend.epsilon()
NEG_INF = -1e10


# --------------------------------------------------------------------------------------- conversion


def convert_to_tensor(x, dtype=None, device=None):
    """Converts `x` to a torch tensor the way Keras's torch backend does.

    Tensors keep their dtype unless `dtype` is given; numpy arrays keep theirs (float64 stays float64);
    Python floats become float32, Python ints int32 and Python bools bool. `device` is where non-tensors
    are created (tensors are not moved).
    """
    torch_dtype = None if dtype is None else backend.to_torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if torch_dtype is None or x.dtype == torch_dtype else x.to(torch_dtype)
    if hasattr(x, "value") and isinstance(getattr(x, "value"), torch.Tensor):  # a Variable
        return convert_to_tensor(x.value, dtype=dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Expected a tensor, a numpy array or Python numbers. Received an array of dtype "
                f"{array.dtype}."
            )
        if array.dtype == np.uint16 or array.dtype == np.uint32 or array.dtype == np.uint64:
            array = array.astype(np.int64)
        tensor = torch.as_tensor(array, device=device)
    else:
        try:
            array = np.asarray(x)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"Expected a tensor, a numpy array or Python numbers. Received: {type(x).__name__}"
            ) from e
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int32)
        elif array.dtype.kind != "b":
            raise TypeError(
                f"Expected a tensor, a numpy array or Python numbers. Received: {x!r}"
            )
        tensor = torch.as_tensor(array, device=device)
    return tensor if torch_dtype is None else tensor.to(torch_dtype)


def get_keras_mask(x):
    """The Keras mask attached to a tensor (`x._keras_mask`), or `None`."""
    return getattr(x, "_keras_mask", None)


def set_keras_mask(x, mask):
    x._keras_mask = mask


# ------------------------------------------------------------------------------------ rank / masks


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeezes or expands the last axis of one of the two when their ranks differ by exactly 1."""
    x1_rank, x2_rank = x1.dim(), x2.dim()
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1 and x1.shape[-1] == 1:
        if x2_rank == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if x2_rank == x1_rank + 1 and x2.shape[-1] == 1:
        if x1_rank == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def check_broadcastable(y_true, y_pred, fn_name):
    """Raises a `ValueError` naming both shapes when `y_true` and `y_pred` cannot be combined."""
    try:
        torch.broadcast_shapes(y_true.shape, y_pred.shape)
    except RuntimeError:
        raise ValueError(
            f"In {fn_name}, `y_true` and `y_pred` have incompatible shapes. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        ) from None


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merges a mask on the predictions into the sample weights (Keras's `losses.loss.apply_mask`)."""
    if mask is None:
        return sample_weight
    torch_dtype = backend.to_torch_dtype(dtype)
    mask = convert_to_tensor(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.to(torch_dtype).sum()
        mask_weight = divide_no_nan(torch.full_like(valid, float(mask.numel())), valid)
        float_mask = torch.where(mask.bool(), mask_weight, torch.zeros((), dtype=torch_dtype,
                                                                       device=mask.device))
    else:
        float_mask = mask.to(torch_dtype)
    if sample_weight is not None:
        sample_weight = convert_to_tensor(sample_weight, dtype=dtype, device=float_mask.device)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
        sample_weight = sample_weight * float_mask
    else:
        sample_weight = float_mask
    return sample_weight


def divide_no_nan(x1, x2):
    """`x1 / x2`, with 0 where `x2 == 0`."""
    safe_x2 = torch.where(x2 == 0, torch.ones_like(x2), x2)
    return torch.where(x2 == 0, torch.zeros_like(x1 / safe_x2), x1 / safe_x2)


# ----------------------------------------------------------------------------------- thresholds


def assert_thresholds_range(thresholds):
    if thresholds is not None:
        invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return [x]


def parse_init_thresholds(thresholds, default_threshold=0.5):
    if thresholds is not None:
        assert_thresholds_range(to_list(thresholds))
    return to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds):
    """Whether `thresholds` are `[0, 1/(n-1), ..., 1]` (within epsilon), allowing a faster update."""
    num_thresholds = len(thresholds)
    if num_thresholds < 3:
        return False
    even_thresholds = np.arange(num_thresholds, dtype=np.float32) / (num_thresholds - 1)
    return np.allclose(thresholds, even_thresholds, atol=EPSILON)


class ConfusionMatrix(Enum):
    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


class AUCCurve(Enum):
    """Type of AUC curve (ROC, PR or PR-gain)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        if key in ("pr", "PR"):
            return AUCCurve.PR
        if key in ("roc", "ROC"):
            return AUCCurve.ROC
        if key in ("prgain", "PRGAIN"):
            return AUCCurve.PRGAIN
        raise ValueError(
            f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", "PRGAIN"]. '
            f"Received: curve={key!r}"
        )


class AUCSummationMethod(Enum):
    """Type of AUC summation method (interpolation, majoring or minoring)."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        if key in ("interpolation", "Interpolation"):
            return AUCSummationMethod.INTERPOLATION
        if key in ("majoring", "Majoring"):
            return AUCSummationMethod.MAJORING
        if key in ("minoring", "Minoring"):
            return AUCSummationMethod.MINORING
        raise ValueError(
            f'Invalid AUC summation method value: "{key}". Expected values are ["interpolation", '
            f'"majoring", "minoring"]. Received: summation_method={key!r}'
        )


# ------------------------------------------------------------------------- confusion-matrix update


def _segment_sum(data, segment_ids, num_segments):
    """Sums `data` into `num_segments` buckets along axis 0; out-of-range ids are dropped (Keras)."""
    valid = (segment_ids >= 0) & (segment_ids < num_segments)
    ids = torch.where(valid, segment_ids, torch.full_like(segment_ids, num_segments))
    out = torch.zeros((num_segments + 1,), dtype=torch.float32, device=data.device)
    out = out.scatter_reduce(0, ids.long(), data.float(), "sum")
    return out[:-1].to(data.dtype)


def _update_confusion_matrix_variables_optimized(variables_to_update, y_true, y_pred, thresholds,
                                                 multi_label=False, sample_weights=None,
                                                 label_weights=None, thresholds_with_epsilon=False):
    """Bucketed update for evenly spaced thresholds: O(N + T) instead of O(N * T)."""
    num_thresholds = thresholds.shape[0]
    weights = None
    if sample_weights is not None:
        weights = torch.broadcast_to(sample_weights.to(y_pred.dtype), y_pred.shape)
    if label_weights is not None:
        label_weights = torch.broadcast_to(label_weights.unsqueeze(0), y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if weights is not None:
        weights = weights.to(y_true.dtype)
        if not multi_label:
            weights = weights.reshape(-1)

    y_pred = torch.clip(y_pred, 0.0, 1.0)
    y_true = y_true.bool().to(y_true.dtype)
    if not multi_label:
        y_true = y_true.reshape(-1)
        y_pred = y_pred.reshape(-1)

    true_labels = y_true if weights is None else y_true * weights
    false_labels = (1.0 - y_true) if weights is None else (1.0 - y_true) * weights

    # Bucket i holds predictions in (thresholds[i], thresholds[i + 1]]; a cumulative sum from the top
    # then counts, for every threshold, the predictions above it.
    bucket_indices = torch.ceil(y_pred * (num_thresholds - 1)) - 1
    if thresholds_with_epsilon:
        bucket_indices = torch.relu(bucket_indices)
    bucket_indices = bucket_indices.to(torch.int32)

    if multi_label:
        # (N, L) -> (L, N), then one flat segment sum over (label, bucket) pairs.
        true_labels = true_labels.T
        false_labels = false_labels.T
        bucket_indices = bucket_indices.T
        num_labels = true_labels.shape[0]
        valid = (bucket_indices >= 0) & (bucket_indices < num_thresholds)
        offsets = torch.arange(num_labels, device=y_pred.device).unsqueeze(1) * num_thresholds
        flat_ids = torch.where(valid, bucket_indices.long() + offsets,
                               torch.full_like(bucket_indices, -1, dtype=torch.long))
        total = num_labels * num_thresholds

        def gather(labels):
            return _segment_sum(labels.reshape(-1), flat_ids.reshape(-1), total).reshape(
                num_labels, num_thresholds
            )

        tp_bucket = gather(true_labels)
        fp_bucket = gather(false_labels)
        tp = torch.flip(torch.cumsum(torch.flip(tp_bucket, [1]), dim=1), [1]).T
        fp = torch.flip(torch.cumsum(torch.flip(fp_bucket, [1]), dim=1), [1]).T
    else:
        tp_bucket = _segment_sum(true_labels, bucket_indices, num_thresholds)
        fp_bucket = _segment_sum(false_labels, bucket_indices, num_thresholds)
        tp = torch.flip(torch.cumsum(torch.flip(tp_bucket, [0]), dim=0), [0])
        fp = torch.flip(torch.cumsum(torch.flip(fp_bucket, [0]), dim=0), [0])

    if (ConfusionMatrix.TRUE_NEGATIVES in variables_to_update
            or ConfusionMatrix.FALSE_NEGATIVES in variables_to_update):
        if multi_label:
            total_true_labels = true_labels.sum(dim=1)
            total_false_labels = false_labels.sum(dim=1)
        else:
            total_true_labels = true_labels.sum()
            total_false_labels = false_labels.sum()

    if ConfusionMatrix.TRUE_POSITIVES in variables_to_update:
        variables_to_update[ConfusionMatrix.TRUE_POSITIVES].add_(tp)
    if ConfusionMatrix.FALSE_POSITIVES in variables_to_update:
        variables_to_update[ConfusionMatrix.FALSE_POSITIVES].add_(fp)
    if ConfusionMatrix.TRUE_NEGATIVES in variables_to_update:
        variables_to_update[ConfusionMatrix.TRUE_NEGATIVES].add_(total_false_labels - fp)
    if ConfusionMatrix.FALSE_NEGATIVES in variables_to_update:
        variables_to_update[ConfusionMatrix.FALSE_NEGATIVES].add_(total_true_labels - tp)


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds, top_k=None,
                                      class_id=None, sample_weight=None, multi_label=False,
                                      label_weights=None, thresholds_distributed_evenly=False):
    """Adds this batch's true/false positives/negatives, for every threshold, to the given tensors.

    Args:
        variables_to_update: Dict from `ConfusionMatrix` keys to the state tensors (updated in place).
        y_true: Labels; any non-zero value counts as positive.
        y_pred: Predictions in `[0, 1]`; a prediction is positive above a threshold.
        thresholds: List or array of thresholds.
        top_k: Only the `top_k` highest predictions of each row are considered (others are negative).
        class_id: Restrict the update to one class (the last axis of `y_pred`).
        sample_weight: Optional weights broadcastable to `y_true`.
        multi_label: Whether the labels of the last axis are counted separately (state `(T, L)`).
        label_weights: Optional per-label weights (only without `multi_label`).
        thresholds_distributed_evenly: Whether the thresholds are evenly spaced in `[0, 1]`, which allows
            the bucketed update.
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multilabel data should be handled outside of "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    if variables_to_update is None:
        return
    invalid_keys = [key for key in variables_to_update if key not in list(ConfusionMatrix)]
    if invalid_keys:
        raise ValueError(
            f'Invalid keys: "{invalid_keys}". Valid variable key options are: "{list(ConfusionMatrix)}"'
        )
    first = next(iter(variables_to_update.values()))
    dtype, device = first.dtype, first.device
    y_true = convert_to_tensor(y_true, device=device).to(device=device, dtype=dtype)
    y_pred = convert_to_tensor(y_pred, device=device).to(device=device, dtype=dtype)

    if thresholds_distributed_evenly:
        thresholds_with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
    thresholds = _thresholds_tensor(thresholds, device, dtype)
    num_thresholds = thresholds.shape[0]

    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = convert_to_tensor(sample_weight, device=device).to(device=device, dtype=dtype)
        sample_weight = sample_weight.unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)

    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)

    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                f"num_classes), found shape: {tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    if label_weights is not None:
        label_weights = torch.as_tensor(label_weights, device=device).to(dtype)

    if y_pred.shape != y_true.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape (a trailing axis of size 1 may be missing "
            f"from either). Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )

    if thresholds_distributed_evenly:
        return _update_confusion_matrix_variables_optimized(
            variables_to_update, y_true, y_pred, thresholds, multi_label=multi_label,
            sample_weights=sample_weight, label_weights=label_weights,
            thresholds_with_epsilon=thresholds_with_epsilon,
        )

    if multi_label:
        # (T, N, L): each label is thresholded separately.
        preds = y_pred.unsqueeze(0)
        labels = y_true.bool().unsqueeze(0)
        thresh = thresholds.reshape(num_thresholds, *([1] * y_pred.dim()))
    else:
        preds = y_pred.reshape(1, -1)
        labels = y_true.bool().reshape(1, -1)
        thresh = thresholds.reshape(num_thresholds, 1)
    pred_is_pos = preds > thresh
    label_is_pos = labels

    weights = None
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight, y_pred.shape)
        weights = weights.unsqueeze(0) if multi_label else weights.reshape(1, -1)
    if label_weights is not None and not multi_label:
        lw = torch.broadcast_to(label_weights.unsqueeze(0), y_pred.shape).reshape(1, -1)
        weights = lw if weights is None else weights * lw

    def weighted_assign_add(label, pred, var):
        label_and_pred = label & pred
        if weights is not None:
            result = torch.where(label_and_pred, weights.to(var.dtype), torch.zeros((), dtype=var.dtype,
                                                                                  device=var.device))
        else:
            result = label_and_pred.to(var.dtype)
        var.add_(result.sum(dim=1))

    update_tn = ConfusionMatrix.TRUE_NEGATIVES in variables_to_update
    update_fp = ConfusionMatrix.FALSE_POSITIVES in variables_to_update
    update_fn = ConfusionMatrix.FALSE_NEGATIVES in variables_to_update
    if ConfusionMatrix.TRUE_POSITIVES in variables_to_update:
        weighted_assign_add(label_is_pos, pred_is_pos,
                            variables_to_update[ConfusionMatrix.TRUE_POSITIVES])
    if update_fn or update_tn:
        pred_is_neg = ~pred_is_pos
        if update_fn:
            weighted_assign_add(label_is_pos, pred_is_neg,
                                variables_to_update[ConfusionMatrix.FALSE_NEGATIVES])
    if update_fp or update_tn:
        label_is_neg = ~label_is_pos
        if update_fp:
            weighted_assign_add(label_is_neg, pred_is_pos,
                                variables_to_update[ConfusionMatrix.FALSE_POSITIVES])
        if update_tn:
            weighted_assign_add(label_is_neg, pred_is_neg,
                                variables_to_update[ConfusionMatrix.TRUE_NEGATIVES])


_THRESHOLD_TENSORS = {}


def _thresholds_tensor(thresholds, device, dtype):
    """The thresholds as a tensor on `device`, made once (not copied to the device at every update)."""
    key = (tuple(float(t) for t in thresholds), device, dtype)
    tensor = _THRESHOLD_TENSORS.get(key)
    if tensor is None:
        if len(_THRESHOLD_TENSORS) > 256:
            _THRESHOLD_TENSORS.clear()
        tensor = torch.as_tensor(np.asarray(key[0], dtype=np.float64), device=device).to(dtype)
        _THRESHOLD_TENSORS[key] = tensor
    return tensor


def _filter_top_k(x, k):
    """Keeps the `k` largest entries of the last axis and sets the others to `NEG_INF`."""
    _, top_k_idx = torch.topk(x, k)
    top_k_mask = torch.zeros_like(x).scatter_(-1, top_k_idx, 1.0)
    return x * top_k_mask + NEG_INF * (1 - top_k_mask)


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int32"):
    """The `(num_classes, num_classes)` confusion matrix of flat `labels` (rows) and `predictions`."""
    torch_dtype = backend.to_torch_dtype(dtype)
    labels = convert_to_tensor(labels).to(torch_dtype)
    predictions = convert_to_tensor(predictions).to(torch_dtype)
    labels, predictions = squeeze_or_expand_to_same_rank(labels, predictions)
    num_classes = int(num_classes)
    if weights is None:
        values = torch.ones_like(predictions, dtype=torch_dtype)
    else:
        values = convert_to_tensor(weights).to(torch_dtype)
    out = torch.zeros((num_classes, num_classes), dtype=torch_dtype, device=labels.device)
    out.index_put_((labels.long(), predictions.long()), values, accumulate=True)
    return out
