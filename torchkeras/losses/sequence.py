"""Sequence losses: CTC (Keras 3.15)."""

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper


@keras_export("keras.losses.ctc")
def ctc(y_true, y_pred):
    """Connectionist Temporal Classification loss, one value per sequence.

    Class 0 is the blank (Keras's `mask_index=0`): label sequences are padded
    with 0, and their lengths are the number of non-zero entries. Every
    prediction sequence is used in full.

    Args:
        y_true: Integer labels, shape `(batch_size, max_label_length)`.
        y_pred: Logits, shape `(batch_size, max_length, num_classes)` (a
            log-softmax is applied). float16 / bfloat16 are computed in float32.

    Returns:
        Losses of shape `(batch_size,)`.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true, device=y_pred.device)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in integer "
            f"format. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, num_classes)`. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    mask_index = 0
    batch_size, max_length = y_pred.shape[0], y_pred.shape[1]
    targets = y_true.long()
    input_lengths = torch.full((batch_size,), max_length, dtype=torch.int32, device=y_pred.device)
    target_lengths = torch.sum(targets != mask_index, dim=-1).to(torch.int32)
    if y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()
    log_probs = F.log_softmax(torch.transpose(y_pred, 1, 0), dim=-1)
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=mask_index, reduction="none")


@keras_export("keras.losses.CTC")
class CTC(LossFunctionWrapper):
    """CTC (Connectionist Temporal Classification) loss; class 0 is the blank.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"ctc"`.
        dtype: The dtype of the loss's computations (`"float32"` by default).

    Call arguments:
        y_true: Integer labels, shape `(batch_size, max_label_length)`, padded
            with 0.
        y_pred: Logits, shape `(batch_size, max_length, num_classes)`.
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)
