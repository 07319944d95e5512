"""`GlobalAveragePooling1D`: the mean over steps."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.pooling.base_global_pooling import BaseGlobalPooling


@keras_export("keras.layers.GlobalAveragePooling1D", "keras.layers.GlobalAvgPool1D")
class GlobalAveragePooling1D(BaseGlobalPooling):
    """Global average pooling operation for temporal data.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: Whether to keep the reduced spatial axes, with size 1 (default `False`).

    Call arguments:
        inputs: A 3D tensor.
        mask: Optional `(batch_size, steps)` tensor; steps where it is False/0 are left out of the
            average (a row with no step kept gives NaN, as in Keras). The output carries no mask.

    Input shape:
        `"channels_last"`: `(batch_size, steps, features)`; `"channels_first"`: `(batch_size, features, steps)`.

    Output shape:
        `(batch_size, channels)`, or with `keepdims=True` the input shape with every spatial size 1.
    """

    _reduce = "mean"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._axes[0]
        if not isinstance(mask, torch.Tensor):  # e.g. a numpy mask passed by hand
            mask = torch.as_tensor(mask, device=inputs.device)
        mask = mask.to(torch.bool).unsqueeze(2 if self.data_format == "channels_last" else 1)
        if not inputs.is_floating_point():
            inputs = inputs.to(torch.float32)
        inputs = torch.where(mask, inputs, 0)
        return (inputs.sum(dim=steps_axis, keepdim=self._keepdims)
                / mask.to(inputs.dtype).sum(dim=steps_axis, keepdim=self._keepdims))

    def compute_mask(self, inputs, previous_mask=None):
        return None
