"""Similarity (metric learning) losses: Circle loss (Keras 3.15)."""

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.losses._utils import maximum
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper


def build_pos_neg_masks(query_labels, key_labels, remove_diagonal=True):
    """Boolean masks of same-label (positive) and different-label (negative) pairs."""
    if query_labels.ndim == 1:
        query_labels = query_labels.reshape(-1, 1)
    if key_labels.ndim == 1:
        key_labels = key_labels.reshape(-1, 1)
    positive_mask = query_labels == key_labels.T
    negative_mask = ~positive_mask
    if remove_diagonal:
        eye = torch.eye(query_labels.numel(), key_labels.numel(), dtype=torch.bool, device=positive_mask.device)
        positive_mask = positive_mask & ~eye
    return positive_mask, negative_mask


@keras_export("keras.losses.circle")
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) between integer labels and L2-normalized embeddings.

    Args:
        y_true: Integer labels, shape `(batch_size,)`.
        y_pred: L2-normalized embeddings, shape `(batch_size, dim)`.
        ref_labels: Optional labels of the reference embeddings; defaults to
            `y_true`.
        ref_embeddings: Optional L2-normalized reference embeddings; defaults
            to `y_pred`.
        remove_diagonal: Whether self-pairs are left out of the positives.
        gamma: Scale factor. Defaults to `80`.
        margin: Relaxation factor. Defaults to `0.4`.

    Returns:
        Losses of shape `(batch_size,)`, with a `_keras_mask` that is False
        where the loss is 0 (so a `Loss` averages over the non-zero entries).
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true, device=y_pred.device).to(torch.int32)
    ref_embeddings = y_pred if ref_embeddings is None else convert_to_tensor(ref_embeddings, device=y_pred.device)
    ref_labels = y_true if ref_labels is None else convert_to_tensor(ref_labels, device=y_pred.device).to(
        torch.int32)
    if y_pred.ndim != 2 or ref_embeddings.ndim != 2:
        raise ValueError(
            "In `circle`, `y_pred` and `ref_embeddings` must be rank-2 embeddings `(batch_size, dim)`. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}, ref_embeddings.shape={tuple(ref_embeddings.shape)}"
        )

    optim_pos = margin
    optim_neg = 1 + margin
    delta_pos = margin
    delta_neg = 1 - margin

    distances = maximum(1 - torch.matmul(y_pred, ref_embeddings.T), 0.0)
    positive_mask, negative_mask = build_pos_neg_masks(y_true, ref_labels, remove_diagonal=remove_diagonal)
    positive_mask = positive_mask.to(distances.dtype)
    negative_mask = negative_mask.to(distances.dtype)

    pos_weights = maximum((optim_pos + distances) * positive_mask, 0.0)
    neg_weights = maximum((optim_neg - distances) * negative_mask, 0.0)
    pos_wdists = -1 * gamma * pos_weights * (delta_pos - distances)
    neg_wdists = gamma * neg_weights * (delta_neg - distances)

    minus_inf = torch.full((), float("-inf"), dtype=distances.dtype, device=distances.device)
    p_loss = torch.logsumexp(torch.where(positive_mask.bool(), pos_wdists, minus_inf), dim=1)
    n_loss = torch.logsumexp(torch.where(negative_mask.bool(), neg_wdists, minus_inf), dim=1)
    circle_loss = F.softplus(p_loss + n_loss)
    circle_loss._keras_mask = circle_loss > 0
    return circle_loss


@keras_export("keras.losses.Circle")
class Circle(LossFunctionWrapper):
    """Circle loss between integer labels and L2-normalized embeddings.

    Feed it embeddings from a layer without activation followed by
    `UnitNormalization`. Entries whose loss is 0 are masked out of the mean.

    Args:
        gamma: Scale factor of the similarity scores. Defaults to `80.0`.
        margin: Relaxation factor. Defaults to `0.4`.
        remove_diagonal: Whether self-pairs are left out of the positives.
            Defaults to `True`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"circle"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"gamma": self.gamma, "margin": self.margin, "remove_diagonal": self.remove_diagonal})
        return config
