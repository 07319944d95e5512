"""Argument checks and small helpers shared by the normalization layers."""

import torch


def check_epsilon(layer_name, epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
        raise ValueError(
            f"Invalid value for argument `epsilon` of {layer_name}. Expected a positive float. "
            f"Received: epsilon={epsilon!r}"
        )


def check_axis(layer_name, axis, allow_list=True):
    """Keras's axis argument: an int, or (where allowed) a list/tuple of ints."""
    if isinstance(axis, (list, tuple)) and allow_list:
        if not axis or any(isinstance(a, bool) or not isinstance(a, int) for a in axis):
            raise TypeError(
                f"Expected an int or a non-empty list/tuple of ints for the argument `axis` of "
                f"{layer_name}. Received: axis={axis!r}"
            )
        if len(set(axis)) != len(axis):
            raise ValueError(f"Argument `axis` of {layer_name} has duplicates. Received: axis={axis!r}")
        return list(axis)
    if isinstance(axis, bool) or not isinstance(axis, int):
        if hasattr(axis, "__index__") and not isinstance(axis, bool):  # numpy integers
            return int(axis)
        expected = "an int or a list/tuple of ints" if allow_list else "an int"
        raise TypeError(
            f"Expected {expected} for the argument `axis` of {layer_name}. Received: axis={axis!r}"
        )
    return axis


def canonical_axes(layer_name, axis, rank, argument_value=None):
    """The axes as sorted non-negative ints; a `ValueError` naming the axis if one is out of range."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    result = []
    for a in axes:
        if a >= rank or a < -rank:
            raise ValueError(
                f"Axis {a} is out of bounds for an input of rank {rank} in layer '{layer_name}'. "
                f"Received: axis={argument_value if argument_value is not None else axis}"
            )
        result.append(a % rank)
    return sorted(result)


def check_output_shape_axes(axis, input_shape):
    """Keras's `compute_output_shape` check of the axes against the input rank."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if a >= len(input_shape) or a < -len(input_shape):
            raise ValueError(
                f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. Received: axis={axis}"
            )
    return tuple(input_shape)


def stats_dtype(dtype):
    """`result_type(dtype, float32)`: statistics are computed in at least float32, as in Keras."""
    if dtype in (torch.float16, torch.bfloat16) or not dtype.is_floating_point:
        return torch.float32
    return dtype
