"""Image segmentation losses: Dice and Tversky (Keras 3.15)."""


from torchkeras.api_export import keras_export
from torchkeras.losses._utils import EPSILON
from torchkeras.losses._utils import cast_like
from torchkeras.losses._utils import check_broadcastable
from torchkeras.losses._utils import convert_to_tensor
from torchkeras.losses._utils import sum_over
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper


def _axis(axis):
    # Configs loaded from JSON carry a tuple axis as a list.
    return tuple(axis) if isinstance(axis, list) else axis


@keras_export("keras.losses.dice")
def dice(y_true, y_pred, axis=None):
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`.

    Args:
        y_true: Ground truth (for example binary masks).
        y_pred: Predictions, same shape.
        axis: Axes to sum over. `None` (default) sums over everything and
            returns a scalar; `(1, 2, 3)` gives one loss per image.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "dice")
    axis = _axis(axis)
    intersection = sum_over(y_true * y_pred, axis)
    score = (2.0 * intersection) / (sum_over(y_true, axis) + sum_over(y_pred, axis) + EPSILON)
    return 1 - score


@keras_export("keras.losses.tversky")
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: `1 - TP / (TP + alpha * FP + beta * FN + epsilon)`.

    `TP = sum(y_true * y_pred)`, `FP = sum((1 - y_pred) * y_true)` and
    `FN = sum(y_pred * (1 - y_true))`, as Keras names them. With
    `alpha = beta = 0.5` it equals the Dice loss.

    Args:
        y_true: Ground truth.
        y_pred: Predictions, same shape.
        alpha: Weight of the `FP` term. Defaults to `0.5`.
        beta: Weight of the `FN` term. Defaults to `0.5`.
        axis: Axes to sum over; `None` (default) sums over everything.
    """
    y_pred = convert_to_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "tversky")
    axis = _axis(axis)
    intersection = sum_over(y_true * y_pred, axis)
    fp = sum_over((1 - y_pred) * y_true, axis)
    fn = sum_over(y_pred * (1 - y_true), axis)
    score = intersection / (intersection + fp * alpha + fn * beta + EPSILON)
    return 1 - score


@keras_export("keras.losses.Dice")
class Dice(LossFunctionWrapper):
    """Dice loss: `loss = 1 - (2 * sum(y_true * y_pred)) / (sum(y_true) + sum(y_pred))`.

    Args:
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"dice"`.
        axis: Tuple of axes the sums run over. `None` (default) sums over
            everything (one scalar for the batch).
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config["axis"] = self.axis
        return config


@keras_export("keras.losses.Tversky")
class Tversky(LossFunctionWrapper):
    """Tversky loss, a Dice loss with separate weights for false positives and false negatives.

    Args:
        alpha: Weight of the false positive term. Defaults to `0.5`.
        beta: Weight of the false negative term. Defaults to `0.5`.
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, or `None` / `"none"`. See `Loss`.
        name: Optional name. Defaults to `"tversky"`.
        axis: Tuple of axes the sums run over; `None` (default) sums over
            everything.
        dtype: The dtype of the loss's computations (`"float32"` by default).
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None,
                 dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"alpha": self.alpha, "beta": self.beta, "axis": self.axis})
        return config
