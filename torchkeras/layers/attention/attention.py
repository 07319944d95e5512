"""`Attention`: dot-product (Luong-style) attention of a query over a value (and optional key)."""

import numbers

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.layers.attention._common import check_dropout
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Attention")
class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    Inputs are a list with 2 or 3 elements: a `query` tensor of shape `(batch_size, Tq, dim)`, a `value`
    tensor of shape `(batch_size, Tv, dim)` and an optional `key` tensor of shape `(batch_size, Tv, dim)`
    (`value` is used as the key when it is not given). The layer computes scores of shape
    `(batch_size, Tq, Tv)` from `query` and `key`, softmaxes them over `Tv` and returns the linear
    combination of `value` they give, of shape `(batch_size, Tq, dim)`.

    Args:
        use_scale: If `True`, creates a scalar variable to scale the attention scores.
        score_mode: Function to use to compute attention scores, one of `{"dot", "concat"}`. `"dot"` is
            the dot product of the query and key vectors; `"concat"` the hyperbolic tangent of their sum.
        dropout: Float between 0 and 1. Fraction of the attention weights to drop in training.
        seed: Optional integer seeding the dropout: reproducible masks from the layer's own generator
            (torch's global generator without it, or under `torch.compile`). Streams differ from Keras's.

    Call arguments:
        inputs: List `[query, value]` or `[query, value, key]`.
        mask: List `[query_mask, value_mask]` (an optional third entry is ignored), boolean masks of shapes
            `(batch_size, Tq)` and `(batch_size, Tv)`: the output is zero where `query_mask` is False,
            and values where `value_mask` is False do not contribute. By default the inputs' own masks.
        return_attention_scores: If `True`, also returns the attention weights (after masking and
            softmax).
        training: Whether the dropout is applied.
        use_causal_mask: If `True`, position `i` cannot attend to positions `j > i`.

    Output:
        Attention outputs of shape `(batch_size, Tq, dim)` (carrying the query's mask), and optionally the
        attention weights of shape `(batch_size, Tq, Tv)`.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_dropout(self.name, dropout)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"Invalid value for argument `seed`. Expected None or an integer. Received: seed={seed!r}")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self.supports_masking = True
        self._generators = {}  # device -> torch.Generator, when seeded
        self._declare_weights()

    def _declare_weights(self):
        if self.use_scale:
            self._declare_weight("scale")
        else:
            self.scale = None
        if self.score_mode == "concat":
            self._declare_weight("concat_score_weight")
        else:
            self.concat_score_weight = None

    @property
    def _creates_masks(self):
        return False  # it only hands the query's mask on

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones")

    def _calculate_scores(self, query, key):
        """Query-key scores `(batch_size, Tq, Tv)`."""
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        q_reshaped = query.unsqueeze(-2)  # (batch_size, Tq, 1, dim)
        k_reshaped = key.unsqueeze(-3)  # (batch_size, 1, Tv, dim)
        if self.scale is not None:
            return self.concat_score_weight * torch.tanh(self.scale * (q_reshaped + k_reshaped)).sum(-1)
        return self.concat_score_weight * torch.tanh(q_reshaped + k_reshaped).sum(-1)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        """Masks, softmaxes (and drops out) the scores; returns `(weights @ value, weights)`."""
        if scores_mask is not None:
            # Keras subtracts a large number (it does not replace the score), so a row with every
            # position masked keeps the relative scores.
            max_value = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            padding_mask = ~scores_mask
            if padding_mask.dim() == scores.dim() - 1:
                padding_mask = padding_mask.unsqueeze(-2)
            scores = torch.where(padding_mask, scores - max_value, scores)
        weights = torch.softmax(scores, dim=-1)
        if training and self.dropout > 0:
            weights = self._drop(weights)
        return torch.matmul(weights, value), weights

    def _drop(self, weights):
        if self.dropout >= 1:
            return torch.zeros_like(weights)
        if self.seed is None or torch.compiler.is_compiling():
            return F.dropout(weights, p=self.dropout, training=True)
        generator = self._generators.get(weights.device)
        if generator is None:
            generator = torch.Generator(device=weights.device).manual_seed(int(self.seed))
            self._generators[weights.device] = generator
        keep = torch.empty_like(weights).bernoulli_(1.0 - self.dropout, generator=generator)
        return torch.where(keep.bool(), weights / (1.0 - self.dropout), 0)

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        if not use_causal_mask:
            return v_mask
        # (1, Tq, Tv): position i attends to positions j <= i.
        causal_mask = torch.ones(scores.shape[-2], scores.shape[-1], dtype=torch.bool,
                                 device=scores.device).tril().unsqueeze(0)
        if v_mask is not None:
            return v_mask.unsqueeze(-2) & causal_mask
        return causal_mask

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q = inputs[0]
        v = inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        self._check_shapes(tuple(q.shape), tuple(v.shape), tuple(k.shape))
        q_mask = self._bool_mask(mask[0], "query_mask", q) if mask else None
        v_mask = self._bool_mask(mask[1], "value_mask", v) if mask else None
        scores = self._calculate_scores(query=q, key=k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        attention_output, attention_scores = self._apply_scores(
            scores=scores, value=v, scores_mask=scores_mask, training=training)
        if q_mask is not None:
            attention_output = torch.where(q_mask.unsqueeze(-1), attention_output, 0)
        if return_attention_scores:
            if q_mask is not None:
                attention_output._keras_mask = mask[0]
            return attention_output, attention_scores
        return attention_output

    def _bool_mask(self, mask, name, tensor):
        if mask is None:
            return None
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(mask)
        if tuple(mask.shape) != tuple(tensor.shape[:-1]):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects `{name}` of shape "
                f"{tuple(tensor.shape[:-1])} (the input's shape without its last axis). "
                f"Received: {name}.shape={tuple(mask.shape)}"
            )
        mask = mask.to(tensor.device)
        return mask if mask.dtype == torch.bool else mask != 0

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs=inputs, mask=mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0] if isinstance(mask[0], torch.Tensor) else torch.as_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        query_shape = input_shape[0]
        value_shape = input_shape[1]
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        output_spec = KerasTensor(self.compute_output_shape([query.shape, value.shape, key.shape]),
                                  dtype=self.compute_dtype)
        if return_attention_scores:
            scores_shape = (*query.shape[:-1], key.shape[-2])  # (*batch_dims, Tq, Tv)
            return output_spec, KerasTensor(scores_shape, dtype=self.compute_dtype)
        return output_spec

    def _check_shapes(self, query_shape, value_shape, key_shape):
        """The shapes the computation needs (Keras leaves these to the backend's errors)."""
        name = f"{type(self).__name__} layer '{self.name}'"
        if len(query_shape) < 3 or not len(query_shape) == len(value_shape) == len(key_shape):
            raise ValueError(
                f"{name} expects `query`, `value` and `key` of the same rank >= 3, (batch_size, T, dim). "
                f"Received: query.shape={query_shape}, value.shape={value_shape}, key.shape={key_shape}"
            )
        if query_shape[-1] != key_shape[-1]:
            raise ValueError(
                f"{name} expects `query` and `key` with the same last dimension. "
                f"Received: query.shape={query_shape}, key.shape={key_shape}"
            )
        if value_shape[:-1] != key_shape[:-1] or query_shape[:-2] != key_shape[:-2]:
            raise ValueError(
                f"{name} expects `value` and `key` of the same shape but for the last axis, and `query` "
                f"with the same batch axes. Received: query.shape={query_shape}, "
                f"value.shape={value_shape}, key.shape={key_shape}"
            )

    def _validate_inputs(self, inputs, mask=None):
        class_name = self.__class__.__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{class_name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs}."
            )
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(
                f"{class_name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{class_name} layer mask must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask}."
                )
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(
                    f"{class_name} layer accepts mask list of length 2 or 3. Received: inputs={inputs}, "
                    f"mask={mask}."
                )

    def get_config(self):
        config = super().get_config()
        config.update({
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        })
        return config
