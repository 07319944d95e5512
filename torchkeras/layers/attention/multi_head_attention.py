"""`MultiHeadAttention`: Keras's multi-head (scaled dot-product) attention, with torch's fused
`scaled_dot_product_attention` wherever the options allow it."""

import math
import string

import torch

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.activations.softmax import Softmax
from torchkeras.layers.attention import _common
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.regularization.dropout import Dropout


@keras_export("keras.layers.MultiHeadAttention")
class MultiHeadAttention(_common.QueryValueKeyLayer):
    """MultiHeadAttention layer.

    Multi-headed attention as described in "Attention is all you Need" (Vaswani et al., 2017). If
    `query`, `key` and `value` are the same, this is self-attention. The layer projects `query`, `key`
    and `value` into `num_heads` heads of size `key_dim` (`value_dim` for the values), takes the scaled
    dot product of queries and keys, softmaxes it into attention probabilities, combines the values with
    them and projects the concatenated heads back to the query's feature size (or to `output_shape`).

    With 3D inputs, no attention scores requested, and a dropout drawn from torch's global generator
    (no `seed`, or not training), the attention itself runs as one
    `torch.nn.functional.scaled_dot_product_attention` call (masks passed as Keras's additive bias,
    dropout as its `dropout_p`); otherwise it runs as an explicit einsum, masked softmax and einsum, as
    in Keras. Both give Keras's numbers and gradients, including for query rows whose mask is all False
    (Keras gives them the mean of the values when `dropout == 0` and zeros otherwise).

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each attention head for query and key.
        value_dim: Size of each attention head for value; defaults to `key_dim`.
        dropout: Dropout probability of the attention weights.
        use_bias: Whether the dense layers use bias vectors.
        output_shape: The expected shape of the output, besides the batch and sequence dims. If not
            specified, projects back to the query feature dim (the query input's last dimension).
        attention_axes: Axes over which the attention is applied. `None` means attention over all axes
            but batch, heads and features.
        sliding_window: Optional positive integer: each query position attends only to key positions
            within `sliding_window - 1` of itself (combine with `use_causal_mask=True` for a causal
            sliding window).
        flash_attention: `None` lets torch pick its fastest kernel; `True` requires the flash kernel
            (an error if it cannot be used, or with `dropout > 0`).
        kernel_initializer: Initializer for the dense layers' kernels.
        bias_initializer: Initializer for the dense layers' biases.
        kernel_regularizer: Regularizer for the dense layers' kernels.
        bias_regularizer: Regularizer for the dense layers' biases.
        activity_regularizer: Regularizer for the dense layers' outputs.
        kernel_constraint: Constraint for the dense layers' kernels.
        bias_constraint: Constraint for the dense layers' biases.
        use_gate: Whether to gate the attention output with a sigmoid projection of the query (gated
            attention).
        seed: Optional integer seeding the dropout. A seeded dropout draws reproducible masks from its
            own generator, which `scaled_dot_product_attention` cannot use: in training it takes the
            explicit path.

    Call arguments:
        query: Query tensor of shape `(B, T, dim)`.
        value: Value tensor of shape `(B, S, dim)`.
        key: Optional key tensor of shape `(B, S, dim)`; `value` is used when not given.
        query_mask, value_mask, key_mask: Optional boolean masks of shapes `(B, T)`, `(B, S)`, `(B, S)`.
            By default the inputs' own Keras masks (`_keras_mask`, e.g. from `Embedding(mask_zero=True)`).
        attention_mask: Optional boolean mask of shape `(B, T, S)` (broadcasting over the batch and
            heads), True where a query position may attend to a key position.
        return_attention_scores: Whether to return `(attention_output, attention_scores)`.
        training: Whether the dropout is applied.
        use_causal_mask: Whether position `i` may only attend to positions `j <= i`.

    Returns:
        attention_output: Shape `(B, T, E)`, `E` the query's last dimension unless `output_shape` is
            given. It carries the query's Keras mask.
        attention_scores: (Optional) the attention weights, `(B, num_heads, T, S)`.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, use_gate=False, seed=None, **kwargs):
        _common.check_positive_int("num_heads", num_heads)
        _common.check_positive_int("key_dim", key_dim)
        _common.check_positive_int("value_dim", value_dim, allow_none=True,
                                   description="a positive integer or `None`")
        super().__init__(**kwargs)
        _common.check_dropout(self.name, dropout)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` should "
                    "be of type tuple, list, or int."
                ) from None
        self._output_shape = output_shape
        self._flash_attention = flash_attention or None
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple."
                f"Received: attention_axes={attention_axes}"
            )
        self._attention_axes = attention_axes
        _common.check_sliding_window(sliding_window)
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. "
                "Please set dropout to 0.0 to use flash attention."
            )
        self._fused = False  # set by build(): whether the inputs' rank allows the fused kernel

    @property
    def num_heads(self):
        return self._num_heads

    @property
    def key_dim(self):
        return self._key_dim

    @property
    def value_dim(self):
        return self._value_dim

    @property
    def dropout(self):
        return self._dropout

    @property
    def use_bias(self):
        return self._use_bias

    # Keras does not expose `output_shape`: it would clash with the models' `output_shape` in summaries.

    @property
    def attention_axes(self):
        return self._attention_axes

    # Keras's attribute names, for code written against Keras's internals.
    @property
    def _query_dense(self):
        return self.query_dense

    @property
    def _key_dense(self):
        return self.key_dense

    @property
    def _value_dense(self):
        return self.value_dense

    @property
    def _output_dense(self):
        return self.output_dense

    @property
    def _gate_dense(self):
        return self.gate_dense

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        })
        return config

    # ------------------------------------------------------------------ build

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections for inputs of these shapes.

        Args:
            query_shape: Shape of the `query` tensor.
            value_shape: Shape of the `value` tensor (Keras requires it; here it defaults to
                `query_shape`, self-attention).
            key_shape: Optional shape of the `key` tensor; defaults to `value_shape`.
        """
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        query_rank, value_rank, key_rank = len(query_shape), len(value_shape), len(key_shape)

        equation, bias_axes, output_rank = _build_proj_equation(query_rank - 1, bound_dims=1, output_dims=2)
        self.query_dense = EinsumDense(
            equation, output_shape=_get_output_shape(output_rank - 1, [self._num_heads, self._key_dim]),
            bias_axes=bias_axes if self._use_bias else None, name="query", **self._sublayer_kwargs())
        self.query_dense.build(query_shape)
        equation, bias_axes, output_rank = _build_proj_equation(key_rank - 1, bound_dims=1, output_dims=2)
        self.key_dense = EinsumDense(
            equation, output_shape=_get_output_shape(output_rank - 1, [self._num_heads, self._key_dim]),
            bias_axes=bias_axes if self._use_bias else None, name="key", **self._sublayer_kwargs())
        self.key_dense.build(key_shape)
        if self._use_gate:
            equation, bias_axes, gate_rank = _build_proj_equation(query_rank - 1, bound_dims=1, output_dims=2)
            self.gate_dense = EinsumDense(
                equation, output_shape=_get_output_shape(gate_rank - 1, [self._num_heads, self._value_dim]),
                bias_axes=bias_axes if self._use_bias else None, activation="sigmoid", name="gate",
                **self._sublayer_kwargs())
            self.gate_dense.build(query_shape)
        else:
            self.gate_dense = None
        equation, bias_axes, output_rank = _build_proj_equation(value_rank - 1, bound_dims=1, output_dims=2)
        self.value_dense = EinsumDense(
            equation, output_shape=_get_output_shape(output_rank - 1, [self._num_heads, self._value_dim]),
            bias_axes=bias_axes if self._use_bias else None, name="value", **self._sublayer_kwargs())
        self.value_dense.build(value_shape)

        self._build_attention(output_rank)
        self.output_dense = self._make_output_dense(query_shape, self._sublayer_kwargs(), "attention_output")
        output_dense_input_shape = list(self.query_dense.compute_output_shape(query_shape))
        output_dense_input_shape[-1] = self._value_dim
        self.output_dense.build(tuple(output_dense_input_shape))

    def _check_shapes(self, query_shape, value_shape, key_shape):
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        if len(query_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' expects a `query` of rank >= 3, (batch, <attention axes>, features). "
                f"Received: query_shape={query_shape}"
            )
        if len(value_shape) != len(query_shape):
            raise ValueError(
                f"Layer '{self.name}' expects `query`, `value` and `key` of the same rank. "
                f"Received: query_shape={query_shape}, value_shape={value_shape}, key_shape={key_shape}"
            )

    def _sublayer_kwargs(self):
        return dict(
            kernel_initializer=_common.clone_initializer(self._kernel_initializer),
            bias_initializer=_common.clone_initializer(self._bias_initializer),
            kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint, dtype=self.dtype_policy,
        )

    def _make_output_dense(self, query_shape, common_kwargs, name=None):
        query_rank = len(query_shape)
        output_shape = self._output_shape if self._output_shape else [query_shape[-1]]
        equation, bias_axes, output_rank = _build_proj_equation(
            query_rank - 1, bound_dims=2, output_dims=len(output_shape))
        return EinsumDense(equation, output_shape=_get_output_shape(output_rank - 1, output_shape),
                           bias_axes=bias_axes if self._use_bias else None, name=name, **common_kwargs)

    def _build_attention(self, rank):
        """Einsum equations, softmax and dropout of the attention, for projected tensors of `rank`."""
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(axis if axis >= 0 else (rank - 1) + axis for axis in self._attention_axes)
            if not axes or any(not isinstance(a, int) or not 1 <= a <= rank - 3 for a in axes) or \
                    len(set(axes)) != len(axes):
                raise ValueError(
                    f"Invalid `attention_axes` for layer '{self.name}': expected distinct axes of the "
                    f"inputs other than the batch and feature axes, i.e. in [1, {rank - 3}] (or negative "
                    f"equivalents) for inputs of rank {rank - 1}. Received: attention_axes="
                    f"{self._attention_axes}"
                )
            self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, attn_scores_rank = _build_attention_equation(
            rank, attn_axes=self._attention_axes)
        norm_axes = tuple(range(attn_scores_rank - len(self._attention_axes), attn_scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed)
        self._fused = rank == 4

    # ------------------------------------------------------------------ call

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None:
            raise TypeError(f"Layer '{self.name}' must be called with a `value`. Received: value=None")
        # Masks: the arguments, else the inputs' own Keras masks. (Keras reads only the query's own
        # mask, ignoring a `query_mask` argument, and strips the inputs' masks.)
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

        # Causal masking alone goes to the fused kernel's own causal mode (as Keras does), unless a
        # subclass computes the attention itself.
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is MultiHeadAttention._compute_attention)
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(
                query, value, key=key, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                attention_mask=attention_mask, use_causal_mask=use_causal_mask)

        # The inputs' masks are folded into `attention_mask` above; Keras deletes them from the inputs here.
        # Views without them leave the caller's tensors alone and keep the projections mask-free.
        query, key, value = (_common.unmasked(t) for t in (query, key, value))
        gate = self.gate_dense(query) if self._use_gate else None
        query = self.query_dense(query)
        key = self.key_dense(key)
        value = self.value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        attention_output, attention_scores = self._compute_attention(
            query, key, value, attention_mask, training, return_attention_scores, **extra)
        if gate is not None:
            attention_output = attention_output * gate
        attention_output = self.output_dense(attention_output)
        if return_attention_scores:
            if own_query_mask is not None:
                attention_output._keras_mask = own_query_mask
            return attention_output, attention_scores
        return attention_output

    def _check_call_shapes(self, query, value, key):
        query_shape, value_shape, key_shape = tuple(query.shape), tuple(value.shape), tuple(key.shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        batch_axes = [a for a in range(len(query_shape) - 1) if a not in self._attention_axes]
        for axis in batch_axes:
            if not query_shape[axis] == value_shape[axis] == key_shape[axis]:
                raise ValueError(
                    f"Layer '{self.name}': `query`, `value` and `key` must agree on the batch axis and the "
                    f"axes attention does not run over ({batch_axes}; attention_axes="
                    f"{self._attention_axes}). Received: query.shape={query_shape}, "
                    f"value.shape={value_shape}, key.shape={key_shape}"
                )

    def _scores_shape(self, query, key):
        """The attention scores' shape: (batch, <other axes>, heads, <query attention axes>, <key
        attention axes>), and the index of the heads axis."""
        axes = self._attention_axes
        batch = [query.shape[a] for a in range(query.dim() - 1) if a not in axes]
        shape = batch + [self._num_heads] + [query.shape[a] for a in axes] + [key.shape[a] for a in axes]
        return tuple(shape), len(batch)

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False, key=None):
        """Keras's mask rules: the query mask `[B, T, 1]`, the value and key masks `[B, 1, S]`, the causal
        mask `[1, T, S]`, all and-ed with `attention_mask` (`[B, T, S]`). Returns `None` if none."""
        key = value if key is None else key
        scores_shape, heads_axis = self._scores_shape(query, key)
        return _common.compute_attention_mask(
            self, query, value, key, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
            attention_mask=attention_mask, use_causal_mask=use_causal_mask,
            sliding_window=self._sliding_window, scores_shape=scores_shape, heads_axis=heads_axis)

    def _compute_causal_mask(self, query, value=None):
        """A `(1, T, S)` lower-triangular boolean mask."""
        value_length = query.shape[1] if value is None else value.shape[1]
        return _common.causal_mask(query.shape[1], value_length, query.device)

    def _masked_softmax(self, attention_scores, attention_mask=None):
        if attention_mask is not None:
            attention_mask = _common.expand_mask(attention_mask, attention_scores.dim(),
                                                 -len(self._attention_axes) * 2 - 1)
            if not _common.broadcastable(attention_mask.shape, attention_scores.shape):
                raise ValueError(
                    f"Layer '{self.name}': the attention mask of shape {tuple(attention_mask.shape)} does "
                    f"not broadcast to the attention scores' shape {tuple(attention_scores.shape)}."
                )
        return self._softmax(attention_scores, mask=attention_mask)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Dot-product attention of projected `query` `(B, T, N, key_dim)`, `key` `(B, S, N, key_dim)`
        and `value` `(B, S, N, value_dim)`; returns `(attention_output, attention_scores)`, the scores
        `None` on the fused path. Subclasses may override it, as in Keras."""
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. Please "
                "disable flash attention to access attention scores."
            )
        dropout = self._dropout if training else 0.0
        seeded_dropout = dropout > 0 and self.seed is not None
        if self._fused and not return_attention_scores and not seeded_dropout and dropout < 1:
            if attention_mask is not None:
                attention_mask = _common.expand_mask(attention_mask, 4, -3)
            output = _common.fused_attention(
                query, key, value, attention_mask, scale=self._inverse_sqrt_key_dim,
                is_causal=bool(use_causal_mask) and attention_mask is None, dropout_p=dropout,
                fully_masked_rows="uniform" if self._dropout == 0 else "zero",
                flash_attention=self._flash_attention)
            return output, None

        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = causal if attention_mask is None else attention_mask & causal
        query = query * self._inverse_sqrt_key_dim
        attention_scores = torch.einsum(self._dot_product_equation, key, query)
        attention_scores = self._masked_softmax(attention_scores, attention_mask)
        if self._dropout > 0.0:
            final_attn_scores = self._dropout_layer(attention_scores, training=training)
        else:
            final_attn_scores = attention_scores
        attention_output = torch.einsum(self._combine_equation, final_attn_scores, value)
        return attention_output, attention_scores

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        if self._output_shape:
            query_shape = query_shape[:-1] + tuple(self._output_shape)
        return query_shape


def _index_to_einsum_variable(i):
    return string.ascii_lowercase[i]


def _build_attention_equation(rank, attn_axes):
    """Keras's einsum equations for the query-key product and the combination with the values, for
    projected tensors `(batch, <non-attention dims>, <attention dims>, heads, channels)` of `rank`."""
    target_notation = "".join(_index_to_einsum_variable(i) for i in range(rank))
    batch_dims = tuple(i for i in range(rank) if i not in attn_axes + (rank - 1,))
    letter_offset = rank
    source_notation = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source_notation += target_notation[i]
        else:
            source_notation += _index_to_einsum_variable(letter_offset)
            letter_offset += 1
    product_notation = "".join([target_notation[i] for i in batch_dims] + [target_notation[i] for i in attn_axes]
                               + [source_notation[i] for i in attn_axes])
    dot_product_equation = f"{source_notation},{target_notation}->{product_notation}"
    combine_equation = f"{product_notation},{source_notation}->{target_notation}"
    return dot_product_equation, combine_equation, len(product_notation)


def _build_proj_equation(free_dims, bound_dims, output_dims):
    """Keras's einsum equation (and bias axes, output rank) of a projection inside the attention."""
    input_str = kernel_str = output_str = bias_axes = ""
    for i in range(free_dims):
        char = _index_to_einsum_variable(i)
        input_str += char
        output_str += char
    for i in range(bound_dims):
        char = _index_to_einsum_variable(free_dims + i)
        input_str += char
        kernel_str += char
    for i in range(output_dims):
        char = _index_to_einsum_variable(free_dims + bound_dims + i)
        kernel_str += char
        output_str += char
        bias_axes += char
    return f"{input_str},{kernel_str}->{output_str}", bias_axes, len(output_str)


def _get_output_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)
