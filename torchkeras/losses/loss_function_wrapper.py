"""`LossFunctionWrapper`: a `Loss` around a plain function `fn(y_true, y_pred, **kwargs)`."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank


def _pairwise(y_true, y_pred):
    if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
        return squeeze_or_expand_to_same_rank(y_true, y_pred)
    if isinstance(y_true, dict) and isinstance(y_pred, dict):
        pairs = {k: _pairwise(y_true[k], y_pred[k]) for k in y_true}
        return {k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()}
    if isinstance(y_true, (list, tuple)) and isinstance(y_pred, (list, tuple)):
        if len(y_true) != len(y_pred):
            raise ValueError(
                "`y_true` and `y_pred` must have the same structure. Received: "
                f"{len(y_true)} targets and {len(y_pred)} predictions"
            )
        pairs = [_pairwise(t, p) for t, p in zip(y_true, y_pred)]
        return type(y_true)(p[0] for p in pairs), type(y_pred)(p[1] for p in pairs)
    return y_true, y_pred


# Keras keeps this class outside its public API: it serializes as module "keras.src.losses.losses".
@keras_export("keras.src.losses.losses.LossFunctionWrapper")
class LossFunctionWrapper(Loss):
    """Wraps a loss function `fn(y_true, y_pred, **kwargs)` into a `Loss`.

    Before calling `fn`, a trailing axis of size 1 is squeezed or expanded so
    that `y_true` and `y_pred` have the same rank (Keras's
    `squeeze_or_expand_to_same_rank`): labels of shape `(N,)` meet
    predictions of shape `(N, 1)` as `(N, 1)`.

    Args:
        fn: The loss function.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Optional name. Defaults to `"loss_function_wrapper"` (made unique).
        dtype: See `Loss`.
        **kwargs: Keyword arguments passed to `fn` on every call (and saved in
            the config).
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"`fn` must be a callable loss function. Received: fn={fn!r}")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = _pairwise(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from torchkeras.saving import serialization

        config = super().get_config()
        config.update({"fn": serialization.serialize_keras_object(self.fn)})
        config.update(serialization.serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        from torchkeras.saving import serialization

        if "fn" in config:
            config = serialization.deserialize_keras_object(config)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"
