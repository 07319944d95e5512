"""What `MultiHeadAttention` and `GroupQueryAttention` share: binding `(query, value, key)` for the build,
Keras's attention-mask rules, and the fused attention call with Keras's answer for fully masked rows.

Masks reach torch's `scaled_dot_product_attention` as Keras's torch backend passes them: an additive bias,
0 where a query position may attend and a huge finite negative number where it may not. A boolean
`attn_mask` costs the same (torch turns it into such a bias itself, with -inf; on CPU the float bias
measured faster), but it gives NaN or zeros on query rows whose mask is all False, where Keras's bias
gives *uniform* weights (the row's output is the mean of the values), with Keras's gradients. Keras's
explicit path (a masked `Softmax`, taken when `dropout > 0`, when scores are returned, or for inputs of
other ranks) gives such rows all-zero weights instead: `fused_attention` zeroes them when the layer
would have taken that path in Keras.
"""

import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.graph.node import flatten, is_symbolic
from torchkeras.layers import call_context
from torchkeras.layers.layer import Layer, _first_device
from torchkeras.utils.shape_inference import infer_output_spec

# Looked up at call time, so tests can count the calls.
scaled_dot_product_attention = F.scaled_dot_product_attention

_SHAPE_NAMES = ("query_shape", "value_shape", "key_shape")


def _shape(x):
    return None if x is None else tuple(x.shape)


def check_dropout(layer_name, dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
        raise ValueError(
            f"Invalid value for argument `dropout` of layer '{layer_name}'. Expected a float in [0, 1]. "
            f"Received: dropout={dropout!r}"
        )


def check_positive_int(name, value, allow_none=False, description="a positive integer"):
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected {description}. "
            f"Received: {name}={value!r}"
        )


def check_sliding_window(sliding_window):
    if sliding_window is not None and (
            isinstance(sliding_window, bool) or not isinstance(sliding_window, int) or sliding_window <= 0):
        raise ValueError(
            "`sliding_window` must be `None` or a positive integer. "
            f"Received: sliding_window={sliding_window!r}"
        )


def clone_initializer(initializer):
    """A fresh copy per sublayer, as Keras makes (a seeded initializer would repeat its values)."""
    return initializer.__class__.from_config(initializer.get_config())


def to_bool_mask(mask, device):
    """A mask as a boolean tensor on `device`: non-zero entries attend, as Keras's cast to bool."""
    if not isinstance(mask, torch.Tensor):
        mask = torch.as_tensor(backend.convert_to_tensor(mask))
    if mask.device != device:
        mask = mask.to(device)
    return mask if mask.dtype == torch.bool else mask != 0


def causal_mask(query_length, value_length, device):
    """`(1, T, S)`, True where the key position is not after the query position (Keras's cumsum rule)."""
    return torch.ones(query_length, value_length, dtype=torch.bool, device=device).tril().unsqueeze(0)


def sliding_window_mask(query_length, value_length, window, device):
    """`(1, T, S)`, True where `|i - j| < window`."""
    rows = torch.arange(query_length, device=device).view(1, query_length, 1)
    cols = torch.arange(value_length, device=device).view(1, 1, value_length)
    return (rows - cols).abs() < window


def broadcastable(mask_shape, target_shape):
    if len(mask_shape) > len(target_shape):
        return False
    return all(m == 1 or m == t for m, t in zip(reversed(mask_shape), reversed(target_shape)))


def check_input_mask(layer, name, mask, tensor):
    """An implicit or explicit `query_mask`/`value_mask`/`key_mask` must have the input's shape minus
    its feature axis."""
    expected = tuple(tensor.shape[:-1])
    if tuple(mask.shape) != expected:
        raise ValueError(
            f"Layer '{layer.name}' expects `{name}` (from the argument or the input's Keras mask) of "
            f"shape {expected}, the shape of `{name[:-5]}` without its last axis. "
            f"Received: {name}.shape={tuple(mask.shape)}"
        )


def compute_attention_mask(layer, query, value, key, query_mask=None, value_mask=None, key_mask=None,
                           attention_mask=None, use_causal_mask=False, sliding_window=None,
                           scores_shape=None, heads_axis=None):
    """Keras's `_compute_attention_mask`: the query mask as `[B, T, 1]`, the value and key masks as
    `[B, 1, S]`, the causal and sliding-window masks as `[1, T, S]`, all and-ed with `attention_mask`.

    Each mask is checked first, so that a wrong shape raises a `ValueError` naming it. `attention_mask`
    and the result must broadcast to `scores_shape` without its `heads_axis` (or, with as many axes, to
    `scores_shape` itself).
    """
    device = query.device
    target = None if scores_shape is None else tuple(scores_shape[:heads_axis] + scores_shape[heads_axis + 1:])

    def fits(mask):
        return target is None or broadcastable(mask.shape, target) or (
            mask.dim() == len(scores_shape) and broadcastable(mask.shape, scores_shape))

    auto_mask = None
    for name, mask, tensor, axis in (("query_mask", query_mask, query, -1), ("value_mask", value_mask, value, -2),
                                     ("key_mask", key_mask, key, -2)):
        if mask is None:
            continue
        mask = to_bool_mask(mask, device)
        check_input_mask(layer, name, mask, tensor)
        mask = mask.unsqueeze(axis)
        auto_mask = mask if auto_mask is None else _and(layer, auto_mask, mask, name)
    if use_causal_mask:
        mask = causal_mask(query.shape[1], value.shape[1], device)
        auto_mask = mask if auto_mask is None else _and(layer, auto_mask, mask, "causal mask")
    if sliding_window is not None:
        mask = sliding_window_mask(query.shape[1], value.shape[1], sliding_window, device)
        auto_mask = mask if auto_mask is None else _and(layer, auto_mask, mask, "sliding-window mask")
    if attention_mask is not None:
        attention_mask = to_bool_mask(attention_mask, device)
        if not fits(attention_mask):
            raise ValueError(
                f"Layer '{layer.name}' expects an `attention_mask` broadcastable to {target} "
                "(batch, <query attention axes>, <key attention axes>), or with a heads axis to "
                f"{tuple(scores_shape)}. "
                f"Received: attention_mask.shape={tuple(attention_mask.shape)}"
            )
    if auto_mask is not None:
        attention_mask = auto_mask if attention_mask is None else _and(layer, attention_mask, auto_mask, "")
    if attention_mask is not None and not fits(attention_mask):
        raise ValueError(
            f"Layer '{layer.name}': the masks of its inputs combine into an attention mask of shape "
            f"{tuple(attention_mask.shape)}, which does not broadcast to the attention shape {target}. "
            "Input masks are supported for 3D inputs; for other ranks pass `attention_mask`."
        )
    return attention_mask


def _and(layer, a, b, what):
    try:
        torch.broadcast_shapes(a.shape, b.shape)
    except RuntimeError:
        raise ValueError(
            f"Layer '{layer.name}' cannot combine its attention masks: shapes {tuple(a.shape)} and "
            f"{tuple(b.shape)} ({what or 'attention_mask'}) do not broadcast."
        ) from None
    return a & b


def expand_mask(mask, rank, axis):
    """Keras's expansion of an attention mask to the scores' rank: new axes inserted at `axis` (where
    the heads axis is)."""
    for _ in range(rank - mask.dim()):
        mask = mask.unsqueeze(axis)
    return mask


def large_negative(dtype, device_type):
    """Keras's masking bias (`_get_large_negative`) for `dtype`, or for the autocast dtype in an autocast
    region (where torch may cast the bias to float16)."""
    if device_type != "meta" and torch.is_autocast_enabled(device_type):
        dtype = torch.get_autocast_dtype(device_type)
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def fused_attention(query, key, value, mask, *, scale, is_causal, dropout_p, fully_masked_rows,
                    enable_gqa=False, flash_attention=None):
    """`scaled_dot_product_attention` on Keras's `(batch, length, heads, dim)` layout.

    Args:
        query, key, value: `(B, T, Hq, D)`, `(B, S, Hkv, D)`, `(B, S, Hkv, Dv)`.
        mask: `None` or a boolean mask of rank 4 broadcastable to `(B, Hq, T, S)`.
        fully_masked_rows: `"uniform"` (Keras's fused path: the mean of the values) or `"zero"` (Keras's
            softmax path) for query rows whose mask is all False.
        enable_gqa: Whether `Hkv` divides `Hq`, each key/value head serving consecutive query heads.
        flash_attention: `True` restricts torch to its flash kernel.

    Returns:
        `(B, T, Hq, Dv)`.
    """
    q, k, v = query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2)
    bias = None
    if mask is not None:
        bias = torch.where(mask, torch.zeros((), dtype=q.dtype, device=q.device),
                           torch.full((), large_negative(q.dtype, q.device.type), dtype=q.dtype, device=q.device))
    kwargs = dict(attn_mask=bias, dropout_p=dropout_p, is_causal=is_causal, scale=scale)
    if enable_gqa:
        kwargs["enable_gqa"] = True
    if flash_attention:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        try:
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                out = scaled_dot_product_attention(q, k, v, **kwargs)
        except RuntimeError as error:
            raise ValueError(
                "Flash attention (`flash_attention=True`) cannot run on these inputs "
                f"(query {tuple(q.shape)}, {q.dtype}, {q.device.type}, mask given: {mask is not None}): "
                f"{error}"
            ) from error
    else:
        out = scaled_dot_product_attention(q, k, v, **kwargs)
    if mask is not None and fully_masked_rows == "zero":
        out = out.masked_fill(~mask.any(-1, keepdim=True), 0)
    return out.transpose(1, 2)


class QueryValueKeyLayer(Layer):
    """Base of the layers called as `layer(query, value, key=None, ...)` and built by
    `build(query_shape, value_shape, key_shape=None)`."""

    def _bind_inputs(self, args, kwargs):
        bound = dict(zip(self._call_arg_names, args))
        for name in ("query", "value", "key"):
            if name in kwargs:
                bound[name] = kwargs[name]
        return bound.get("query"), bound.get("value"), bound.get("key")

    def _build_from_call(self, args, kwargs):
        # The base class maps only keyword arguments to `build`; `value` is usually positional.
        query, value, key = self._bind_inputs(args, kwargs)
        if value is None:
            raise TypeError(
                f"Layer '{self.name}' ({type(self).__name__}) must be called with a `query` and a `value`: "
                f"`layer(query, value)` or `layer(query, value, key)`. Received no `value`."
            )
        with call_context.building_on(_first_device([query, value, key])):
            self.build(_shape(query), _shape(value), _shape(key))

    def _post_build(self, args, kwargs):
        super()._post_build(args, kwargs)
        shapes = dict(zip(_SHAPE_NAMES, args))
        shapes.update(kwargs)
        # Keras's build config: `{"shapes_dict": {"query_shape": ..., "value_shape": ...}}`, each shape as
        # `build` received it (a list stays a list, as when Keras rebuilds from a JSON build config).
        self._build_shapes = {name: shapes[name] if isinstance(shapes[name], list) else tuple(shapes[name])
                              for name in _SHAPE_NAMES if shapes.get(name) is not None}
        if "value_shape" not in self._build_shapes and "query_shape" in self._build_shapes:
            self._build_shapes["value_shape"] = self._build_shapes["query_shape"]

    def compute_output_spec(self, *args, **kwargs):
        # Several tensor arguments and optional tuple outputs: a shape-only run of `call` gives them all
        # (with the attention scores' true shape).
        symbolic = [v for v in flatten((args, kwargs)) if is_symbolic(v)]
        try:
            return infer_output_spec(self, args, kwargs)
        except (ValueError, TypeError):
            raise
        except Exception as error:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be applied to inputs of shapes "
                f"{[v.shape for v in symbolic]}: {error}"
            ) from error

    def _convert_other_input(self, x):
        """`value`, `key`: converted and cast to the compute dtype as `Layer.__call__` does the query."""
        if x is None:
            return None
        if not isinstance(x, torch.Tensor):
            x = backend.convert_to_tensor(x)
        if self.autocast and x.is_floating_point() and x.dtype is not self._compute_torch_dtype:
            x = x.to(self._compute_torch_dtype)
        return x


def unmasked(tensor):
    """`tensor` without a Keras mask: a view of it when it carries one (the tensor itself is untouched)."""
    if getattr(tensor, "_keras_mask", None) is None:
        return tensor
    return tensor.view_as(tensor)
