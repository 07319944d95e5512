"""`ReversibleEmbedding`: an `Embedding` that can also project hidden states back to vocabulary logits."""

import numbers

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.core.embedding import Embedding

# Keras's torch backend never hands back 64-bit results from `ops.matmul` (its JAX-style promotion).
_TO_32_BIT = {torch.float64: torch.float32, torch.int64: torch.int32, torch.complex128: torch.complex64}


def _keras_matmul(x1, x2):
    """`keras.ops.matmul` on the torch backend: both operands promoted to a common dtype (64-bit types
    demoted to 32-bit), float16 computed in float32 on CPU, the result cast back to the common dtype."""
    result_dtype = torch.promote_types(x1.dtype, x2.dtype)
    result_dtype = _TO_32_BIT.get(result_dtype, result_dtype)
    compute_dtype = result_dtype
    if compute_dtype is torch.bool:
        compute_dtype = backend.to_torch_dtype(backend.floatx())
    elif compute_dtype is torch.float16 and x1.device.type == "cpu":
        compute_dtype = torch.float32
    elif x1.device.type == "cuda" and not compute_dtype.is_floating_point:
        compute_dtype = backend.to_torch_dtype(backend.floatx())
    outputs = torch.matmul(x1.to(compute_dtype), x2.to(compute_dtype))
    return outputs if outputs.dtype is result_dtype else outputs.to(result_dtype)


@keras_export("keras.layers.ReversibleEmbedding")
class ReversibleEmbedding(Embedding):
    """An embedding layer which can project backwards to the input dim.

    Called with `reverse=True`, the layer projects linearly from `output_dim` back to `input_dim`: with the
    transpose of `embeddings` when `tie_weights=True` (the default), otherwise with a separate trainable
    `(output_dim, input_dim)` weight `reverse_embeddings`. It has no bias.

    Args:
        input_dim: Integer. Size of the vocabulary, i.e. maximum integer index + 1.
        output_dim: Integer. Dimension of the dense embedding.
        tie_weights: Boolean, whether the embedding matrix and the matrix of the `reverse` projection are
            the same weight.
        embeddings_initializer: Initializer for the `embeddings` matrix (and for `reverse_embeddings`).
        embeddings_regularizer: Regularizer applied to the `embeddings` matrix.
        embeddings_constraint: Constraint applied to the `embeddings` matrix.
        mask_zero: Boolean, whether the input value 0 is a special "padding" value to be masked out.
        reverse_dtype: The dtype of the reverse projection's computation. Defaults to `None`: the dtypes
            of the inputs and the weight, promoted as Keras's `ops.matmul` promotes them.
        logit_soft_cap: If set, the logits of `reverse=True` calls become
            `tanh(logits / logit_soft_cap) * logit_soft_cap`.
        weights: Optional initial weights: `[embeddings]`, plus `reverse_embeddings` when
            `tie_weights=False`. The layer is then built at once.
        **kwargs: Other `Embedding` / base layer arguments (`name`, `trainable`, `dtype`, ...).

    Call arguments:
        inputs: Integer indices, or hidden states `(..., output_dim)` when `reverse=True`.
        reverse: Boolean. If `True`, projects from `output_dim` to `input_dim` instead of embedding.

    Input shape:
        `(batch_size, ...)` indices; `(batch_size, ..., output_dim)` with `reverse=True`.

    Output shape:
        `(batch_size, ..., output_dim)`; `(batch_size, ..., input_dim)` with `reverse=True`.
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, weights=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero, **kwargs)
        if not isinstance(tie_weights, (bool, np.bool_)):
            raise TypeError(f"Argument `tie_weights` of ReversibleEmbedding must be a bool. "
                            f"Received: tie_weights={tie_weights!r}")
        if reverse_dtype is not None:
            backend.standardize_dtype(reverse_dtype)  # a clear ValueError for an unknown dtype
        if logit_soft_cap is not None and (
                isinstance(logit_soft_cap, bool) or not isinstance(logit_soft_cap, numbers.Real)
                or logit_soft_cap <= 0):
            raise ValueError("Argument `logit_soft_cap` of ReversibleEmbedding must be a positive number "
                             f"or None. Received: logit_soft_cap={logit_soft_cap!r}")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        if not tie_weights:
            self._declare_weight("reverse_embeddings")
        if weights is not None:
            self.build()
            if not isinstance(weights, (list, tuple)):
                weights = [weights]
            self.set_weights(list(weights))

    # A mask only ever comes from `call` (forward calls with `mask_zero=True`): without `mask_zero` a
    # masked input loses its mask with Keras's warning.
    @property
    def supports_masking(self):
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)
        self.__dict__["_produces_mask"] = bool(value)

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings", shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, trainable=True,
            )

    def call(self, inputs, reverse=False):
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                outputs._keras_mask = inputs != 0
            return outputs
        if inputs.dim() == 0 or inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"ReversibleEmbedding layer '{self.name}' called with `reverse=True` expects hidden states "
                f"whose last axis is output_dim={self.output_dim}. Received: inputs.shape="
                f"{tuple(inputs.shape)}"
            )
        # The weight in its variable dtype, as Keras reads it inside a mixed model (this layer does not
        # autocast); Keras's mixed layer called on its own would read it in the compute dtype instead.
        kernel = self.embeddings.T if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = backend.to_torch_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        logits = _keras_matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, previous_mask=None):
        return None  # forward calls attach their mask in `call`; reverse calls have none

    def compute_output_shape(self, input_shape, reverse=False):
        output_shape = list(input_shape)
        if reverse:
            if not output_shape:
                raise ValueError(f"ReversibleEmbedding layer '{self.name}' called with `reverse=True` "
                                 "expects inputs of rank >= 1. Received: input_shape=()")
            output_shape[-1] = self.input_dim
        else:
            output_shape.append(self.output_dim)
        return tuple(output_shape)

    def compute_output_spec(self, inputs, reverse=False):
        from torchkeras.graph.keras_tensor import KerasTensor

        shape = tuple(inputs.shape)
        if reverse and shape and shape[-1] is not None and shape[-1] != self.output_dim:
            raise ValueError(
                f"ReversibleEmbedding layer '{self.name}' called with `reverse=True` expects hidden states "
                f"whose last axis is output_dim={self.output_dim}. Received: inputs.shape={shape}"
            )
        return KerasTensor(self.compute_output_shape(shape, reverse=reverse), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        })
        return config
