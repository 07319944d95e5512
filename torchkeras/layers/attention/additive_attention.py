"""`AdditiveAttention`: additive (Bahdanau-style) attention of a query over a value (and optional key)."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.attention.attention import Attention


@keras_export("keras.layers.AdditiveAttention")
class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    Inputs are a list with 2 or 3 elements: a `query` tensor of shape `(batch_size, Tq, dim)`, a `value`
    tensor of shape `(batch_size, Tv, dim)` and an optional `key` tensor of shape `(batch_size, Tv, dim)`
    (`value` by default). The scores, of shape `(batch_size, Tq, Tv)`, are the non-linear sum
    `reduce_sum(scale * tanh(query + key), axis=-1)`; they are softmaxed over `Tv` and combine `value`
    into an output of shape `(batch_size, Tq, dim)`.

    Args:
        use_scale: If `True`, creates a variable `scale` of shape `(dim,)` (glorot-uniform initialized)
            that scales the scores' terms.
        dropout: Float between 0 and 1. Fraction of the attention weights to drop in training.
        seed: Optional integer seeding the dropout.

    Call arguments:
        inputs: List `[query, value]` or `[query, value, key]`.
        mask: List `[query_mask, value_mask]`, boolean masks of shapes `(batch_size, Tq)` and
            `(batch_size, Tv)`; by default the inputs' own masks.
        return_attention_scores: If `True`, also returns the attention weights.
        training: Whether the dropout is applied.
        use_causal_mask: If `True`, position `i` cannot attend to positions `j > i`.

    Output:
        Attention outputs of shape `(batch_size, Tq, dim)`, and optionally the attention weights of shape
        `(batch_size, Tq, Tv)`.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def _declare_weights(self):
        if self.use_scale:
            self._declare_weight("scale")
        else:
            self.scale = None
        self.concat_score_weight = None

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform")

    def _calculate_scores(self, query, key):
        """`sum(scale * tanh(query + key), -1)`, of shape `(batch_size, Tq, Tv)`."""
        q_reshaped = query.unsqueeze(-2)
        k_reshaped = key.unsqueeze(-3)
        scale = self.scale if self.use_scale else 1.0
        return (scale * torch.tanh(q_reshaped + k_reshaped)).sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
