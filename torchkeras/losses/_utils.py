"""Small tensor helpers shared by the loss functions, mirroring the Keras ops (torch backend) they replace.

Each helper reproduces what the Keras op does on the torch backend, gradient included (for example
`maximum` with a Python number splits the gradient of ties as `torch.maximum` does, where `clamp_min`
would not).
"""

import numpy as np
import torch

from torchkeras import backend

# keras.config.epsilon(): the fuzz factor Keras uses in every loss.
EPSILON = 1e-7

_HALF_DTYPES = (torch.float16, torch.bfloat16)


def convert_to_tensor(x, dtype=None, device=None):
    """Converts `x` the way Keras's torch backend does, without moving torch tensors between devices.

    Torch tensors keep their device and dtype (cast when `dtype` is given). Python floats and float lists
    become `float32`, Python ints `int32`; numpy arrays keep their dtype (float64 included, as in Keras).
    Non-tensors go to `device` when given (the device of the other operand).

    Args:
        x: A torch tensor, numpy array, Python number or nested list.
        dtype: Optional target dtype (Keras name, torch or numpy dtype).
        device: Optional device for values that are not torch tensors yet.
    """
    torch_dtype = None if dtype is None else backend.to_torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if torch_dtype is None or x.dtype == torch_dtype else x.to(torch_dtype)
    if torch_dtype is None:
        if isinstance(x, bool):
            torch_dtype = torch.bool
        elif isinstance(x, int):
            torch_dtype = torch.int64 if x < -(2**31) or x >= 2**31 else torch.int32
        elif isinstance(x, float):
            torch_dtype = backend.to_torch_dtype(backend.floatx())
        else:
            is_array = isinstance(x, np.ndarray) or hasattr(x, "__array__")
            try:
                array = np.asarray(x)
            except (TypeError, ValueError) as e:
                raise TypeError(
                    "Expected a tensor, a numpy array, a Python number or a nested list of numbers. "
                    f"Received: {type(x).__name__}"
                ) from e
            kind = array.dtype.kind
            if kind == "b":
                torch_dtype = torch.bool
            elif not is_array and kind == "f":
                torch_dtype = backend.to_torch_dtype(backend.floatx())
            elif not is_array and kind in "iu":
                torch_dtype = torch.int32
            elif array.dtype == np.uint32:
                torch_dtype = torch.int64
            elif kind in "fiu":
                torch_dtype = backend.to_torch_dtype(array.dtype)
            else:
                raise TypeError(
                    "Expected a tensor, a numpy array, a Python number or a nested list of numbers. "
                    f"Received: {type(x).__name__} with dtype {array.dtype}"
                )
            return torch.as_tensor(array, dtype=torch_dtype, device=device)
    value = x if isinstance(x, (bool, int, float)) else np.asarray(x)
    return torch.as_tensor(value, dtype=torch_dtype, device=device)


def cast_like(x, reference):
    """`x` as a tensor with `reference`'s dtype, on `reference`'s device."""
    return convert_to_tensor(x, dtype=reference.dtype, device=reference.device)


def mean(x, dim):
    """`ops.mean`: float16 / bfloat16 are averaged in float32 and cast back, as Keras does."""
    if x.dtype in _HALF_DTYPES:
        return torch.mean(x.float(), dim=dim).to(x.dtype)
    return torch.mean(x, dim=dim)


def maximum(x, value):
    """`ops.maximum(x, python_number)`: ties share the gradient, as in Keras (unlike `clamp_min`)."""
    return torch.maximum(x, torch.full((), value, dtype=x.dtype, device=x.device))


def clip(x, low, high):
    """`ops.clip`: on CPU, float16 is clipped in float32 and cast back, as Keras does."""
    if x.dtype == torch.float16 and x.device.type == "cpu":
        return torch.clip(x.float(), low, high).half()
    return torch.clip(x, low, high)


def sum_over(x, axis):
    """`ops.sum(x, axis)` where `axis=None` means every axis."""
    if axis is None:
        return torch.sum(x)
    return torch.sum(x, dim=axis)


def l2_normalize(x, axis=-1):
    """`keras.utils.normalize(x, axis)` for order 2: `x * min(rsqrt(sum(x**2)), 1/epsilon)`."""
    if x.ndim == 0:
        x = x.unsqueeze(0)
    square_sum = torch.sum(torch.square(x), dim=axis, keepdim=True)
    inv_norm = torch.minimum(
        torch.rsqrt(square_sum), torch.full((), 1.0 / EPSILON, dtype=x.dtype, device=x.device)
    )
    return x * inv_norm


def check_broadcastable(y_true, y_pred, fn_name):
    """Raises a readable `ValueError` when the two shapes cannot broadcast (instead of a torch error)."""
    if y_true.shape == y_pred.shape:
        return
    try:
        torch.broadcast_shapes(y_true.shape, y_pred.shape)
    except RuntimeError:
        raise ValueError(
            f"In `{fn_name}`, `y_true` and `y_pred` must have the same shape (or broadcastable shapes). "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        ) from None


def check_axis(axis, fn_name):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(
            f"`axis` must be of type `int` in `{fn_name}`. Received: axis={axis!r} of type {type(axis)}"
        )
