"""`Masking`: masks the timesteps whose features all equal `mask_value`."""

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.saving import serialization


@keras_export("keras.layers.Masking")
class Masking(Layer):
    """Masks a sequence by using a mask value to skip timesteps.

    For each timestep of the input (axis 1 of `(batch, timesteps, features)`), if all the values at that
    timestep equal `mask_value`, the timestep is masked (skipped) in every downstream layer that supports
    masking. The output is the input with the masked timesteps set to 0, and carries the mask
    `any(inputs != mask_value, axis=-1)` (`True` marks a kept timestep).

    Args:
        mask_value: The value marking a timestep to skip. Defaults to `0.0`.

    Input shape:
        N-D tensor `(batch_size, ..., features)`; the mask reduces the last axis.

    Output shape:
        The input shape; the mask has the input shape without the last axis.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        # `mask_value` can be a serialized tensor.
        if isinstance(mask_value, dict) and mask_value.get("config", None):
            mask_value = serialization.deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras
        if isinstance(mask_value, (np.ndarray, np.generic, torch.Tensor)):
            # An array value follows the layer across devices (not saved: the config holds it).
            self.register_buffer("_mask_value_tensor", torch.as_tensor(np.asarray(mask_value)),
                                 persistent=False)
        else:
            self._mask_value_tensor = None

    def _compare_value(self):
        tensor = self._mask_value_tensor
        return self.mask_value if tensor is None else tensor

    def call(self, inputs):
        keep = torch.any(inputs != self._compare_value(), dim=-1, keepdim=True)
        return torch.where(keep, inputs, 0)

    def compute_mask(self, inputs, previous_mask=None):
        return torch.any(inputs != self._compare_value(), dim=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
