"""`Embedding`: turns non-negative integer indices into dense vectors (a row lookup)."""

import warnings

import torch
import torch.nn.functional as F

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


def _check_positive_int(value, name):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value} "
            f"(of type {type(value).__name__})."
        )


@keras_export("keras.layers.Embedding")
class Embedding(Layer):
    """Turns non-negative integers (indexes) into dense vectors of fixed size.

    e.g. `[[4], [20]] -> [[[0.25, 0.1]], [[0.6, -0.2]]]`. The `(input_dim, output_dim)` weight
    `embeddings` is looked up row by row; negative indices count from the end, as in Keras.

    Args:
        input_dim: Positive integer, size of the vocabulary (maximum integer index + 1).
        output_dim: Positive integer, dimension of the dense embedding.
        embeddings_initializer: Initializer for the `embeddings` matrix; `"uniform"` (uniform in
            `[-0.05, 0.05]`) by default.
        embeddings_regularizer: Optional regularizer of the `embeddings` matrix.
        embeddings_constraint: Optional constraint on the `embeddings` matrix.
        mask_zero: Whether the input value 0 is a special "padding" value to be masked out. The output
            then carries the mask `inputs != 0` and index 0 cannot be used in the vocabulary
            (`input_dim` should be vocabulary size + 1).
        weights: Optional initial embedding matrix `(input_dim, output_dim)` (or a list holding it);
            the layer is then built at once.

    Input shape:
        N-D integer tensor `(batch_size, ...)`; other dtypes are cast to `int32` as Keras does.

    Output shape:
        `(batch_size, ..., output_dim)`, in the layer's compute dtype.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        _check_positive_int(input_dim, "input_dim")
        _check_positive_int(output_dim, "output_dim")
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        if lora_rank is not None or quantization_config is not None:
            raise ValueError(
                "torchkeras's Embedding does not support LoRA or quantization yet. "
                f"Received: lora_rank={lora_rank}, quantization_config={quantization_config}"
            )
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self.lora_rank = None
        self.lora_alpha = None
        self.lora_enabled = False
        self.quantization_config = None
        self._declare_weight("embeddings")
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint, trainable=True,
        )

    def call(self, inputs):
        if inputs.dtype is not torch.int64 and inputs.dtype is not torch.int32:
            inputs = inputs.to(torch.int32)
        # Keras's `take` wraps negative indices ("fill" mode of jax).
        inputs = torch.where(inputs < 0, inputs + self.input_dim, inputs)
        try:
            outputs = F.embedding(inputs, self.embeddings)
        except IndexError:  # on CPU; CUDA reports out-of-range indices with a device-side assert
            raise ValueError(
                f"Embedding layer '{self.name}' received indices outside [-input_dim, input_dim) with "
                f"input_dim={self.input_dim}. Received: indices in [{int(inputs.min())}, "
                f"{int(inputs.max())}]"
            ) from None
        compute_dtype = self._dtype_policy.compute_torch_dtype
        if outputs.dtype is not compute_dtype:
            outputs = outputs.to(compute_dtype)
        return outputs

    @property
    def _creates_masks(self):
        return self.mask_zero

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        })
        return config
