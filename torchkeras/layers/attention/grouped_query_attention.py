"""`GroupQueryAttention`: grouped-query attention (several query heads share each key/value head), with
torch's fused `scaled_dot_product_attention(enable_gqa=True)` wherever the options allow it."""

import math

import torch

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.activations.softmax import Softmax
from torchkeras.layers.attention import _common
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.regularization.dropout import Dropout


@keras_export("keras.layers.GroupQueryAttention")
class GroupedQueryAttention(_common.QueryValueKeyLayer):
    """Grouped Query Attention layer.

    Grouped-query attention (Ainslie et al., 2023): `num_key_value_heads` key/value heads, each shared by
    `num_query_heads // num_key_value_heads` consecutive query heads. `num_key_value_heads=1` is
    multi-query attention; `num_key_value_heads == num_query_heads` is multi-head attention.

    The layer projects `query`, `key` and `value`, repeats each key/value head for its group of query
    heads, takes the scaled dot product of queries and keys, softmaxes it, combines the values and
    projects the heads back to the query's feature size. Without attention scores requested and with a
    dropout drawn from torch's global generator (no `seed`, or not training), the attention runs as one
    `torch.nn.functional.scaled_dot_product_attention(..., enable_gqa=True)` call (no repeated key/value
    tensors are made); otherwise as an explicit einsum, masked softmax and einsum, as in Keras. Both give
    Keras's numbers, including for query rows whose mask is all False.

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query attention heads.
        num_key_value_heads: Number of key and value attention heads; must divide `num_query_heads`.
        dropout: Dropout probability of the attention weights.
        use_bias: Whether the dense layers use bias vectors.
        sliding_window: Optional positive integer: each query position attends only to key positions
            within `sliding_window - 1` of itself.
        flash_attention: `None` lets torch pick its fastest kernel; `True` requires the flash kernel.
        kernel_initializer: Initializer for the dense layers' kernels.
        bias_initializer: Initializer for the dense layers' biases.
        kernel_regularizer: Regularizer for the dense layers' kernels.
        bias_regularizer: Regularizer for the dense layers' biases.
        activity_regularizer: Regularizer for the dense layers' outputs.
        kernel_constraint: Constraint for the dense layers' kernels.
        bias_constraint: Constraint for the dense layers' biases.
        use_gate: Whether to gate the attention output with a sigmoid projection of the query.
        seed: Optional integer seeding the dropout (a seeded dropout in training takes the explicit path).

    Call arguments:
        query: Query tensor of shape `(batch_dim, target_seq_len, feature_dim)`.
        value: Value tensor of shape `(batch_dim, source_seq_len, feature_dim)`.
        key: Optional key tensor of shape `(batch_dim, source_seq_len, feature_dim)`; `value` by default.
        query_mask, value_mask, key_mask: Optional boolean masks `(batch_dim, seq_len)`; by default the
            inputs' own Keras masks.
        attention_mask: Optional boolean mask `(batch_dim, target_seq_len, source_seq_len)`, True where a
            query position may attend to a key position.
        return_attention_scores: Whether to return `(output, scores)`.
        training: Whether the dropout is applied.
        use_causal_mask: Whether position `i` may only attend to positions `j <= i`.

    Returns:
        attention_output: `(batch_dim, target_seq_len, feature_dim)`, carrying the query's Keras mask.
        attention_scores: (Optional) `(batch_dim, num_query_heads, target_seq_len, source_seq_len)`.
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False,
                 seed=None, **kwargs):
        _common.check_positive_int("head_dim", head_dim)
        _common.check_positive_int("num_query_heads", num_query_heads)
        _common.check_positive_int("num_key_value_heads", num_key_value_heads)
        super().__init__(**kwargs)
        _common.check_dropout(self.name, dropout)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        _common.check_sliding_window(sliding_window)
        self.sliding_window = sliding_window
        self._flash_attention = flash_attention or None
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        # As in Keras, the four projections and this layer's own output are all regularized.
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))
        self._return_attention_scores = False
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. "
                "Please set dropout to 0.0 to use flash attention."
            )

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections.

        Args:
            query_shape: Shape of the `query` tensor, `(batch, target_seq_len, feature_dim)`.
            value_shape: Shape of the `value` tensor (Keras requires it; here it defaults to
                `query_shape`).
            key_shape: Optional shape of the `key` tensor; defaults to `value_shape`.
        """
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        self.feature_dim = query_shape[-1]
        self._query_dense = EinsumDense(
            "bqm,muh->bquh", output_shape=(None, self.num_query_heads, self.head_dim),
            bias_axes="uh" if self.use_bias else None, name="query", **self._sublayer_kwargs())
        self._query_dense.build(query_shape)
        self._key_dense = EinsumDense(
            "bkm,mvh->bkvh", output_shape=(None, self.num_key_value_heads, self.head_dim),
            bias_axes="vh" if self.use_bias else None, name="key", **self._sublayer_kwargs())
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = EinsumDense(
                "bqm,muh->bquh", output_shape=(None, self.num_query_heads, self.head_dim),
                bias_axes="uh" if self.use_bias else None, activation="sigmoid", name="gate",
                **self._sublayer_kwargs())
            self._gate_dense.build(query_shape)
        else:
            self._gate_dense = None
        self._value_dense = EinsumDense(
            "bkm,mvh->bkvh", output_shape=(None, self.num_key_value_heads, self.head_dim),
            bias_axes="vh" if self.use_bias else None, name="value", **self._sublayer_kwargs())
        self._value_dense.build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self.dropout, dtype=self.dtype_policy, seed=self.seed)
        self._dot_product_equation = "bquh,bkuh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._output_dense = EinsumDense(
            "bquh,uhm->bqm", output_shape=(None, self.feature_dim),
            bias_axes="m" if self.use_bias else None, name="attention_output", **self._sublayer_kwargs())
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))

    def _check_shapes(self, query_shape, value_shape, key_shape):
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(
                    f"Layer '{self.name}' expects a 3D `{name}` (batch, sequence, features). "
                    f"Received: {name}_shape={shape}"
                )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )

    def _sublayer_kwargs(self):
        return dict(
            kernel_initializer=_common.clone_initializer(self.kernel_initializer),
            bias_initializer=_common.clone_initializer(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer, kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint, dtype=self.dtype_policy,
        )

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None:
            raise TypeError(f"Layer '{self.name}' must be called with a `value`. Received: value=None")
        self._return_attention_scores = return_attention_scores
        own_query_mask = getattr(query, "_keras_mask", None)
        if query_mask is None:
            query_mask = own_query_mask
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is not None and key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        value = self._convert_other_input(value)
        key = value if key is None else self._convert_other_input(key)
        self._check_call_shapes(query, value, key)

        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self.sliding_window is None
                       and type(self)._compute_attention is GroupedQueryAttention._compute_attention)
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(
                query, value, key=key, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                attention_mask=attention_mask, use_causal_mask=use_causal_mask)
        # The inputs' masks are folded into `attention_mask` above; Keras deletes them from the inputs here.
        # Views without them leave the caller's tensors alone and keep the projections mask-free.
        query, key, value = (_common.unmasked(t) for t in (query, key, value))
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(query, key, value, attention_mask=attention_mask,
                                                 training=training, **extra)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if return_attention_scores:
            if own_query_mask is not None:
                output._keras_mask = own_query_mask
            return output, scores
        return output

    def _check_call_shapes(self, query, value, key):
        query_shape, value_shape, key_shape = tuple(query.shape), tuple(value.shape), tuple(key.shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        if not query_shape[0] == value_shape[0] == key_shape[0]:
            raise ValueError(
                f"Layer '{self.name}': `query`, `value` and `key` must have the same batch size. "
                f"Received: query.shape={query_shape}, value.shape={value_shape}, key.shape={key_shape}"
            )

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False, key=None):
        """Keras's mask rules: the query mask `[B, T, 1]`, the value and key masks `[B, 1, S]`, the causal
        and sliding-window masks `[1, T, S]`, all and-ed with `attention_mask`. `None` if none."""
        key = value if key is None else key
        scores_shape = (query.shape[0], self.num_query_heads, query.shape[1], key.shape[1])
        return _common.compute_attention_mask(
            self, query, value, key, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
            attention_mask=attention_mask, use_causal_mask=use_causal_mask,
            sliding_window=self.sliding_window, scores_shape=scores_shape, heads_axis=1)

    def _compute_causal_mask(self, query, value=None):
        value_length = query.shape[1] if value is None else value.shape[1]
        return _common.causal_mask(query.shape[1], value_length, query.device)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None, use_causal_mask=False):
        """Attention of projected `query` `(B, T, Hq, head_dim)` with `key` and `value`
        `(B, S, Hkv, head_dim)`; returns `(output, scores)`, the scores `None` on the fused path."""
        if self._flash_attention and self._return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. Please "
                "disable flash attention to access attention scores."
            )
        dropout = self.dropout if training else 0.0
        seeded_dropout = dropout > 0 and self.seed is not None
        if not self._return_attention_scores and not seeded_dropout and dropout < 1:
            if attention_mask is not None:
                attention_mask = _common.expand_mask(attention_mask, 4, -3)
            output = _common.fused_attention(
                query, key, value, attention_mask, scale=self._inverse_sqrt_head_dim,
                is_causal=bool(use_causal_mask) and attention_mask is None, dropout_p=dropout,
                fully_masked_rows="uniform" if self.dropout == 0 else "zero",
                enable_gqa=self.num_repeats > 1, flash_attention=self._flash_attention)
            return output, None

        key = key.repeat_interleave(self.num_repeats, dim=2)
        value = value.repeat_interleave(self.num_repeats, dim=2)
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        query = query * self._inverse_sqrt_head_dim
        scores = torch.einsum(self._dot_product_equation, query, key)
        scores = self._masked_softmax(scores, attention_mask=attention_mask)
        if self.dropout > 0.0:
            scores_dropout = self._dropout_layer(scores, training=training)
        else:
            scores_dropout = scores
        output = torch.einsum(self._combine_equation, scores_dropout, value)
        return output, scores

    def _masked_softmax(self, scores, attention_mask=None):
        if attention_mask is not None:
            attention_mask = _common.expand_mask(attention_mask, scores.dim(), -3)
        return self._softmax(scores, mask=attention_mask)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return config


GroupQueryAttention = GroupedQueryAttention
