"""`BasePooling`: the shared body of MaxPooling1D/2D/3D and AveragePooling1D/2D/3D.

Numerics follow Keras's torch backend (`keras/src/backend/torch/nn.py`) exactly:

- `padding="same"` splits the total padding `max(0, (out - 1) * s + k - n)` (with `out = ceil(n / s)`;
  `k - 1` when `s == 1`) as `left = total // 2`, `right = total - left`: the extra element goes to the
  right/bottom, and whether there is one depends on the input size.
- When every spatial axis pads symmetrically, the padding is torch's own implicit padding: `-inf` for max
  pooling, and excluded from the divisor for average pooling (`count_include_pad=False`).
- When any axis pads asymmetrically, Keras pads *every* axis explicitly by replicating the edge values,
  then pools without padding. For max pooling that equals `-inf` padding (a window that reaches into the
  padding always holds the replicated edge element), so torchkeras pools without a copy whenever torch's
  `ceil_mode` gives the same windows. For average pooling the replicated values are counted in the mean
  (e.g. `AveragePooling1D(3, strides=2, padding="same")` on `[1, 2, 3, 4]` gives `[2, (3 + 4 + 4) / 3]`),
  so torchkeras pads the same way.

`channels_last` inputs are pooled through a permuted view (NHWC data is torch's `channels_last` memory
format), and the output is permuted back: no layout copies.
"""

import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
# channels_last -> channels_first view, and back.
TO_CHANNELS_FIRST = {1: (0, 2, 1), 2: (0, 3, 1, 2), 3: (0, 4, 1, 2, 3)}
TO_CHANNELS_LAST = {1: (0, 2, 1), 2: (0, 2, 3, 1), 3: (0, 2, 3, 4, 1)}


def standardize_int_tuple(value, n, name, allow_zero=False):
    """`value` (an int or `n` ints) as a tuple of `n` positive (or non-negative) ints, as Keras's
    `standardize_tuple`, with a message that says what was received."""
    expected = f"an integer or a tuple of {n} integers {'>= 0' if allow_zero else '> 0'}"
    if isinstance(value, bool):
        raise ValueError(f"The `{name}` argument must be {expected}. Received: {name}={value}")
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be {expected}. Received: {name}={value}") from None
        if len(values) != n:
            raise ValueError(f"The `{name}` argument must be {expected}. Received: {name}={value}")
        try:
            if any(isinstance(v, bool) or int(v) != v for v in values):
                raise TypeError
            values = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise ValueError(f"The `{name}` argument must be {expected}. Received: {name}={value}") from None
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        raise ValueError(f"The `{name}` argument must be {expected}. Received: {name}={value}")
    return values


def same_padding(size, kernel, stride):
    """Keras's `(left, right)` padding of one axis for `padding="same"`."""
    if stride == 1:
        total = kernel - 1
    else:
        total = max(0, ((size + stride - 1) // stride - 1) * stride + kernel - size)
    left = total // 2
    return left, total - left


def _ceil_mode_size(size, kernel, stride, pad):
    """torch's pooling output size with `ceil_mode=True` (`pooling_output_shape` in ATen)."""
    out = (size + 2 * pad - kernel + stride - 1) // stride + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


class BasePooling(Layer):
    """Base pooling layer: `pool_mode` is `"max"` or `"average"`."""

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = standardize_int_tuple(pool_size, pool_dimensions, "pool_size")
        strides = pool_size if strides is None else strides
        self.strides = standardize_int_tuple(strides, pool_dimensions, "strides")
        if pool_mode not in ("max", "average"):
            raise ValueError(f"`pool_mode` must be either 'max' or 'average'. Received: pool_mode={pool_mode}")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"Argument `padding` must be either 'valid' or 'same'. Received: padding={padding}")
        self.pool_mode = pool_mode
        self.padding = padding
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self._rank = pool_dimensions
        self._same = padding.lower() == "same"
        self._channels_last = self.data_format == "channels_last"
        self._pool = (_MAX_POOL if pool_mode == "max" else _AVG_POOL)[pool_dimensions]
        self.built = True  # no weights: built at construction, as in Keras (no `build_config` in configs)

    def call(self, inputs):
        rank = self._rank
        x = inputs.permute(TO_CHANNELS_FIRST[rank]) if self._channels_last else inputs
        spatial = x.shape[2:]
        kernel, strides = self.pool_size, self.strides
        if self._same:
            x, padding, ceil_mode = self._same_padding(x, spatial)
        else:
            for size, k in zip(spatial, kernel):
                if size < k:
                    raise ValueError(
                        f"Layer '{self.name}': computed output size would be zero or negative. Received: "
                        f"`inputs.shape={tuple(inputs.shape)}`, `pool_size={kernel}`, "
                        f"`strides={strides}`, `padding={self.padding}`."
                    )
            padding, ceil_mode = 0, False
        if self.pool_mode == "max":
            outputs = self._pool(x, kernel, strides, padding, 1, ceil_mode)
        else:
            outputs = self._pool(x, kernel, strides, padding, ceil_mode, False)
        return outputs.permute(TO_CHANNELS_LAST[rank]) if self._channels_last else outputs

    def _same_padding(self, x, spatial):
        """(inputs, torch padding, ceil_mode) that pool like Keras's torch backend with same padding."""
        pads = [same_padding(n, k, s) for n, k, s in zip(spatial, self.pool_size, self.strides)]
        lefts = [left for left, _ in pads]
        if all(left == right for left, right in pads):
            return x, lefts, False
        if self.pool_mode == "max" and all(
                _ceil_mode_size(n, k, s, left) == (n + s - 1) // s
                for n, k, s, left in zip(spatial, self.pool_size, self.strides, lefts)):
            # Same windows as explicit padding; torch skips positions past the input: no copy.
            return x, lefts, True
        flat = []
        for left, right in reversed(pads):
            flat.extend((left, right))
        return F.pad(x, flat, mode="replicate"), 0, False

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        out = []
        for size, k, s in zip(spatial, self.pool_size, self.strides):
            if size is None:
                out.append(None)
            elif self._same:
                out.append((size - 1) // s + 1)
            else:
                if size < k:
                    raise ValueError(
                        "Computed output size would be zero or negative. Received: "
                        f"`inputs.shape={input_shape}`, `pool_size={self.pool_size}`, "
                        f"`strides={self.strides}`, `padding={self.padding}`."
                    )
                out.append((size - k) // s + 1)
        if self._channels_last:
            return (input_shape[0],) + tuple(out) + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        })
        return config
