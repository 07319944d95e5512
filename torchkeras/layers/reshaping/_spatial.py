"""Shared machinery of the ZeroPadding, Cropping and UpSampling 1D/2D/3D layers.

Argument validation follows Keras's (`keras.src.utils.argument_validation.standardize_tuple` and the
per-layer checks) message for message; the one difference is that a negative integer `padding` is refused
by every ZeroPadding layer (Keras silently accepts it in 2D/3D and then crops).
"""

import numbers

import torch.nn.functional as F

from torchkeras import backend
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer

_ORDINALS = ("1st", "2nd", "3rd")


def standardize_tuple(value, n, name, allow_zero=False):
    """An int or an iterable of `n` ints -> a tuple of `n` ints, checked as Keras checks it."""
    error_msg = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value_tuple = (int(value),) * n
    else:
        if isinstance(value, (str, bytes)):
            raise ValueError(error_msg)
        try:
            value_tuple = tuple(value)
        except TypeError:
            raise ValueError(error_msg) from None
        if len(value_tuple) != n:
            raise ValueError(error_msg)
        for single_value in value_tuple:
            if isinstance(single_value, bool) or not isinstance(single_value, numbers.Integral):
                raise ValueError(
                    f"{error_msg} including element {single_value} of type {type(single_value)}"
                )
        value_tuple = tuple(int(v) for v in value_tuple)
    if allow_zero:
        bad, requirement = {v for v in value_tuple if v < 0}, ">= 0"
    else:
        bad, requirement = {v for v in value_tuple if v <= 0}, "> 0"
    if bad:
        raise ValueError(f"{error_msg}, including values {bad} that do not satisfy `value {requirement}`")
    return value_tuple


def standardize_pairs(value, rank, name):
    """`padding` / `cropping` of the 2D and 3D layers: an int, `rank` ints (symmetric), or `rank` pairs."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((int(value), int(value)),) * rank
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes)):
        if len(value) != rank:
            count = "two" if rank == 2 else str(rank)
            raise ValueError(f"`{name}` should have {count} elements. Received: {name}={value}.")
        return tuple(
            standardize_tuple(entry, 2, f"{_ORDINALS[i]} entry of {name}", allow_zero=True)
            for i, entry in enumerate(value)
        )
    symmetric = ", ".join(f"symmetric_dim{i + 1}" for i in range(rank))
    pairs = ", ".join(f"(left_dim{i + 1}, right_dim{i + 1})" for i in range(rank))
    raise ValueError(
        f"`{name}` should be either an int, a tuple of {rank} ints ({symmetric}), or a tuple of {rank} "
        f"tuples of 2 ints ({pairs}). Received: {name}={value}."
    )


def _spatial_axes(rank, data_format):
    """Indices of the spatial axes of a `rank`-D layer's input (batch and channels excluded)."""
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + rank))


class BaseZeroPadding(Layer):
    """Pads the spatial axes with zeros; `self.padding` holds one `(before, after)` pair per axis."""

    _rank = None

    def _setup(self, padding, data_format):
        self.data_format = backend.standardize_data_format(data_format)
        self.padding = padding
        self.input_spec = InputSpec(ndim=self._rank + 2)
        axes = _spatial_axes(self._rank, self.data_format)
        # `F.pad` takes pairs from the last axis backwards; channels-last inputs get a (0, 0) pair first.
        pad = []
        for axis in range(self._rank + 1, 0, -1):
            pad.extend(padding[axes.index(axis)] if axis in axes else (0, 0))
        while pad[-2:] == [0, 0] and len(pad) > 2:  # leading (unpadded) axes need no entry
            del pad[-2:]
        self._pad = tuple(pad)
        self._noop = not any(pad)

    def call(self, inputs):
        if self._noop:
            return inputs
        return F.pad(inputs, self._pad)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for (before, after), axis in zip(self.padding, _spatial_axes(self._rank, self.data_format)):
            if output_shape[axis] is not None:
                output_shape[axis] += before + after
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class BaseCropping(Layer):
    """Crops the spatial axes; the output is a view of the input (slicing), never a copy."""

    _rank = None

    def _setup(self, cropping, data_format):
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)
        pairs = cropping if self._rank > 1 else (cropping,)
        self._pairs = pairs
        self._axes = _spatial_axes(self._rank, self.data_format)
        index = [slice(None)] * (self._rank + 2)
        for (start, end), axis in zip(pairs, self._axes):
            index[axis] = slice(start, -end if end else None)
        self._index = tuple(index)
        self._totals = tuple(start + end for start, end in pairs)

    def _check(self, shape, what):
        for total, axis in zip(self._totals, self._axes):
            if shape[axis] is not None and total >= shape[axis]:
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}': values in `cropping` must be smaller "
                    f"than the corresponding spatial dimension of the input. Received: "
                    f"{what}={tuple(shape)}, cropping={self.cropping}"
                )

    def call(self, inputs):
        self._check(inputs.shape, "inputs.shape")
        return inputs[self._index]

    def compute_output_shape(self, input_shape):
        self._check(input_shape, "input_shape")
        output_shape = list(input_shape)
        for total, axis in zip(self._totals, self._axes):
            if output_shape[axis] is not None:
                output_shape[axis] -= total
        return tuple(output_shape)


def repeat_spatial(inputs, factors, axes):
    """Nearest-neighbour upsampling by integer factors (`ops.repeat` along each axis), in one copy."""
    shape = list(inputs.shape)
    expanded, view = [], []
    for axis, size in enumerate(shape):
        expanded.append(size)
        view.append(size)
        if axis in axes:
            factor = factors[axes.index(axis)]
            expanded.append(factor)
            view.append(1)
    out_shape = [size * factors[axes.index(axis)] if axis in axes else size for axis, size in enumerate(shape)]
    return inputs.reshape(view).expand(expanded).reshape(out_shape)


class BaseUpSampling(Layer):
    """Repeats the spatial axes by integer factors `self.size`."""

    _rank = None

    def _setup(self, size, data_format):
        self.data_format = backend.standardize_data_format(data_format)
        self.size = size
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self._axes = _spatial_axes(self._rank, self.data_format)

    def call(self, inputs):
        if all(f == 1 for f in self.size):
            return inputs
        return repeat_spatial(inputs, self.size, self._axes)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for factor, axis in zip(self.size, self._axes):
            if output_shape[axis] is not None:
                output_shape[axis] *= factor
        return tuple(output_shape)
