"""`Softmax`: softmax over one or several axes, with an optional mask."""

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


def _large_negative_number(dtype):
    """The value Keras puts at masked positions before the softmax."""
    return -3e4 if dtype == torch.float16 else -1e9


@keras_export("keras.layers.Softmax")
class Softmax(Layer):
    """Softmax activation layer.

    Formula:

    ```
    exp_x = exp(x - max(x))
    f(x) = exp_x / sum(exp_x)
    ```

    Args:
        axis: Integer, or list of integers, the axis (axes) along which the softmax normalization is
            applied. Defaults to `-1`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: The inputs (logits) to the softmax layer.
        mask: A boolean mask broadcastable to `inputs` (1 to keep, 0 to mask; a non-boolean mask keeps
            the positions `> 0.5`). Each dimension of the mask must be 1 or match the corresponding
            (right-aligned) dimension of `inputs`. Masked positions get a large negative logit (`-1e9`,
            `-3e4` in float16) and an output of exactly 0. Defaults to the input's own mask.

    Input shape:
        Arbitrary.

    Output shape:
        Same shape as the input.

    Example:

    >>> layer = torchkeras.layers.Softmax()
    >>> layer(torch.tensor([1.0, 2.0, 1.0]))
    tensor([0.2119, 0.5761, 0.2119])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True
        if isinstance(axis, (list, tuple)):
            axes = [int(a) for a in axis]
            if not axes:
                raise ValueError(f"Argument `axis` of Softmax layer '{self.name}' must not be empty. "
                                 f"Received: axis={axis}")
            self._dim = axes[0] if len(axes) == 1 else None
            self._dims = tuple(axes)
        elif axis is None:
            self._dim = None
            self._dims = None
        else:
            self._dim = int(axis)
            self._dims = None

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._prepare_mask(inputs, mask)
            inputs = inputs.masked_fill(~mask, _large_negative_number(inputs.dtype))
        if self._dim is not None:
            if inputs.dtype == torch.float16 and inputs.device.type == "cpu":
                outputs = F.softmax(inputs, dim=self._dim, dtype=torch.float32).to(torch.float16)
            else:
                outputs = F.softmax(inputs, dim=self._dim)
        elif self._dims is not None:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=self._dims, keepdim=True))
        else:  # axis=None: over every axis, as Keras's softmax
            outputs = F.softmax(inputs.reshape(-1), dim=-1).reshape(inputs.shape)
        if mask is not None:
            # Masked positions are exactly 0, also when a whole axis is masked.
            outputs = outputs.masked_fill(~mask, 0.0)
        return outputs

    def _prepare_mask(self, inputs, mask):
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(mask)
        if mask.device != inputs.device:
            mask = mask.to(inputs.device)
        if mask.ndim > inputs.ndim:
            raise ValueError(
                f"The `mask` of Softmax layer '{self.name}' must be broadcastable to `inputs` and must "
                f"not have more dimensions. Received: inputs.shape={tuple(inputs.shape)}, "
                f"mask.shape={tuple(mask.shape)}"
            )
        for m_dim, i_dim in zip(mask.shape[::-1], inputs.shape[::-1]):
            if m_dim != 1 and m_dim != i_dim:
                raise ValueError(
                    f"The `mask` of Softmax layer '{self.name}' must be broadcastable to `inputs`. "
                    "Each mask dimension must be 1 or match the corresponding input dimension. "
                    f"Received: inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
                )
        if mask.dtype != torch.bool:
            mask = mask > 0.5
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
