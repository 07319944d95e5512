"""The Keras operation a recorded torch call stands for, so that a functional config can hold it.

`x + y`, `x[:, 0]`, `torch.cat([a, b], dim=1)` or `x.mean(dim=1)` on symbolic tensors are recorded as
`TorchOp`s. A functional model's config writes each as the Keras operation that computes the same thing
(`Add`, `GetItem`, `Concatenate(axis=1)`, `Mean(axis=1, keepdims=False)`) with the arguments of its call, as
Keras writes `x + y`, `x[:, 0]`, `keras.ops.concatenate(...)`, `keras.ops.mean(...)`, so real Keras loads
the config. A call without a Keras counterpart (or with arguments none takes, such as `torch.add(x, y,
alpha=2)`) has no conversion, and saving the model raises a `ValueError` naming it.

Each converter takes the recorded call's arguments with torch's signature and returns `(class_name,
config, args)` (Keras's class, its constructor arguments, the arguments of its call), or `(class_name,
config, args, kwargs)` where Keras records keyword arguments of the call, or `None`.
"""

import operator

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.graph import keras_ops
from torchkeras.graph.node import is_symbolic


def keras_call(op, node):
    """`(spec, config, args, kwargs)`: the Keras operation computing `node` (a call of `op`), its
    constructor arguments (defaults filled in) and its call arguments; `None` where none does.

    Args:
        op: A `TorchOp` (or `KerasOp`).
        node: One of its nodes.
    """
    from torchkeras.graph.keras_op import KerasOp

    if isinstance(op, KerasOp):
        return op.spec, op.keras_config, node.call_args, node.call_kwargs
    if op.function is not None:
        converter = FUNCTIONS.get(op.function)
    else:
        converter = METHODS.get(op.method)
    if converter is None:
        return None
    try:
        converted = converter(*node.call_args, **node.call_kwargs)
    except TypeError:  # the call used arguments the converter does not know: no conversion
        return None
    if converted is None:
        return None
    class_name, config, args, *kwargs = converted
    spec = keras_ops.KERAS_OPS[class_name]
    return spec, spec.full_config(config), tuple(args), dict(kwargs[0]) if kwargs else {}


# ------------------------------------------------------------------------------------------- helpers


def _dtype(value):
    """The Keras dtype of a symbolic tensor or a constant tensor or array (written as Keras's `__tensor__`
    / `__numpy__`), or the kind of a Python scalar (`"bool"`, `"int"`, `"float"`)."""
    if is_symbolic(value):
        return value.dtype
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return backend.standardize_dtype(value.dtype)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return None


def _is_bool(value):
    return _dtype(value) == "bool"


def _operand(value):
    return is_symbolic(value) or isinstance(value, (torch.Tensor, np.ndarray)) or _dtype(value) in (
        "bool", "int", "float")


def _axis(dim):
    """A torch `dim` as Keras's `axis`: an int, a tuple, or `None` for all axes (torch's `()`)."""
    if dim is None or isinstance(dim, int):
        return dim
    if isinstance(dim, (list, tuple)):
        return tuple(dim) if len(dim) else None
    raise TypeError(dim)


def _ints(values, **unknown):
    """`reshape(2, 3)` or `reshape((2, 3))` as the tuple `(2, 3)`."""
    if unknown:
        raise TypeError(unknown)
    if len(values) == 1 and isinstance(values[0], (list, tuple, torch.Size)):
        values = values[0]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(values)
    return tuple(values)


def _binary(class_name, check=None):
    def convert(x1, x2):
        if not (_operand(x1) and _operand(x2)) or (check is not None and not check(x1, x2)):
            return None
        return class_name, {}, (x1, x2)

    return convert


def _unary(class_name, check=None, **config):
    def convert(x):
        if check is not None and not check(x):
            return None
        return class_name, dict(config), (x,)

    return convert


def _both_bool(x1, x2):
    return _is_bool(x1) and _is_bool(x2)


def _numeric(*values):
    return all(_dtype(v) != "bool" for v in values)


def _no_64_bits(*values):
    # Keras's `result_type` makes 64-bit results 32-bit (JAX's rule): where Keras's operation uses it and
    # torch keeps float64 / int64, the two differ.
    return all(_dtype(v) not in ("float64", "int64") for v in values)


def _numeric_32_bits(*values):
    return _numeric(*values) and _no_64_bits(*values)


def _float_32_bits(x):
    return backend.is_float_dtype(_dtype(x)) and _no_64_bits(x)


# --------------------------------------------------------------------------------- operators, torch


def _getitem(x, key):
    items = key if isinstance(key, tuple) else (key,)
    for item in items:
        if isinstance(item, bool) or not (item is None or item is Ellipsis or isinstance(item, (int, slice))):
            return None  # tensors, lists and bools index differently (advanced indexing)
        if isinstance(item, slice) and not all(v is None or (isinstance(v, int) and not isinstance(v, bool))
                                               for v in (item.start, item.stop, item.step)):
            return None
    if isinstance(key, int):
        return "GetItem", {}, (x, key)
    # Keras takes a tuple key, or an int (its shape inference refuses a lone slice, None or Ellipsis).
    return "GetItem", {}, (x, items)


def _add(input, other, *, alpha=1):
    return _binary("Add")(input, other) if alpha == 1 else None


def _sub(input, other, *, alpha=1):
    return _binary("Subtract")(input, other) if alpha == 1 else None


def _div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _binary("TrueDivide")(input, other)
    if rounding_mode == "floor":
        return _binary("FloorDivide", _numeric_32_bits)(input, other)
    return None


def _max(input, dim=None, keepdim=False, *, other=None):
    if is_symbolic(dim) and not keepdim:
        return _binary("Maximum", _no_64_bits)(input, dim)  # torch.max(x, y)
    if dim is None and other is None:
        return "Max", {"axis": None, "keepdims": False, "initial": None}, (input,)
    return None  # torch.max(x, dim) returns values and indices


def _min(input, dim=None, keepdim=False, *, other=None):
    if is_symbolic(dim) and not keepdim:
        return _binary("Minimum", _no_64_bits)(input, dim)
    if dim is None and other is None:
        return "Min", {"axis": None, "keepdims": False, "initial": None}, (input,)
    return None


def _reduction(class_name, check=None):
    def convert(input, dim=None, keepdim=False, *, dtype=None, out=None):
        if dtype is not None or out is not None or (check is not None and not check(input)):
            return None
        return class_name, {"axis": _axis(dim), "keepdims": bool(keepdim)}, (input,)

    return convert


def _sum_agrees(x):
    # torch sums bools and small integers to int64, Keras to int32; floats and int64 agree.
    return backend.is_float_dtype(x.dtype) or x.dtype == "int64"


def _amax(class_name):
    def convert(input, dim=(), keepdim=False):
        return class_name, {"axis": _axis(dim), "keepdims": bool(keepdim), "initial": None}, (input,)

    return convert


def _boolean_reduction(class_name):
    def convert(input, dim=None, keepdim=False):
        if input.dtype == "uint8":
            return None  # torch keeps uint8 there, Keras gives bool
        return class_name, {"axis": _axis(dim), "keepdims": bool(keepdim)}, (input,)

    return convert


def _cat(tensors, dim=0):
    if not isinstance(tensors, (list, tuple)) or not all(is_symbolic(t) for t in tensors):
        return None
    return "Concatenate", {"axis": dim}, (list(tensors),)


def _stack(tensors, dim=0):
    if not isinstance(tensors, (list, tuple)) or not all(is_symbolic(t) for t in tensors):
        return None
    return "Stack", {"axis": dim}, (list(tensors),)


def _reshape(input, *shape):
    return "Reshape", {"newshape": _ints(shape)}, (input,)


def _permute(input, *dims):
    return "Transpose", {"axes": _ints(dims)}, (input,)


def _swapaxes(input, dim0, dim1):
    return "Swapaxes", {"axis1": dim0, "axis2": dim1}, (input,)


def _unsqueeze(input, dim):
    return "ExpandDims", {"axis": dim}, (input,)


def _squeeze(input, dim=None):
    return "Squeeze", {"axis": _axis(dim) if dim is not None else None}, (input,)


def _flip(input, *dims, **kwargs):
    return "Flip", {"axis": _ints(dims or (kwargs.pop("dims"),), **kwargs)}, (input,)


def _tile(input, *dims, **kwargs):
    return "Tile", {"repeats": _ints(dims or (kwargs.pop("dims"),), **kwargs)}, (input,)


def _moveaxis(input, source, destination):
    return "Moveaxis", {"source": _axis(source), "destination": _axis(destination)}, (input,)


def _where(condition, input=None, other=None):
    if input is None or other is None or not (_operand(input) and _operand(other)):
        return None
    return "Where", {}, (condition, input, other)


def _clamp(input, min=None, max=None):
    # Keras's `clip` takes both bounds; one-sided clamps have no counterpart.
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (min, max)):
        return None
    return "Clip", {"x_min": min, "x_max": max}, (input,)


def _softmax(class_name):
    def convert(input, dim=None, _stacklevel=3, dtype=None):
        if dim is None or dtype is not None:
            return None  # torch's implicit dim is deprecated and not Keras's axis=-1 in every case
        return class_name, {"axis": dim}, (input,)

    return convert


def _relu(input, inplace=False):
    return "Relu", {}, (input,)


def _relu6(input, inplace=False):
    return "Relu6", {}, (input,)


def _silu(input, inplace=False):
    return "Silu", {}, (input,)


def _selu(input, inplace=False):
    return "Selu", {}, (input,)


def _hardsigmoid(input, inplace=False):
    return "HardSigmoid", {}, (input,)


def _hardswish(input, inplace=False):
    return "HardSilu", {}, (input,)


def _elu(input, alpha=1.0, inplace=False):
    return "Elu", {"alpha": float(alpha)}, (input,)


def _celu(input, alpha=1.0, inplace=False):
    return "Celu", {"alpha": float(alpha)}, (input,)


def _leaky_relu(input, negative_slope=0.01, inplace=False):
    return "LeakyRelu", {"negative_slope": float(negative_slope)}, (input,)


def _softplus(input, beta=1.0, threshold=20.0):
    return ("Softplus", {}, (input,)) if beta == 1 and threshold == 20 else None


def _gelu(input, approximate="none"):
    return "Gelu", {"approximate": approximate == "tanh"}, (input,)


def _glu(input, dim=-1):
    return "Glu", {"axis": dim}, (input,)


def _logsumexp(input, dim, keepdim=False):
    return "Logsumexp", {"axis": _axis(dim), "keepdims": bool(keepdim)}, (input,)


def _cast(dtype):
    def convert(input, memory_format=None):
        return "Cast", {"dtype": dtype}, (input,)

    return convert


def _to(input, *args, **kwargs):
    dtype = kwargs.pop("dtype", None)
    if args:
        if len(args) != 1 or not isinstance(args[0], torch.dtype) or dtype is not None:
            return None  # a device move: not a Keras operation
        dtype = args[0]
    if not isinstance(dtype, torch.dtype) or set(kwargs) - {"copy", "non_blocking"}:
        return None
    return "Cast", {"dtype": backend.standardize_dtype(dtype)}, (input,)


def _like(class_name):
    def convert(input, dtype=None):
        config = {"dtype": None if dtype is None else backend.standardize_dtype(dtype)}
        return class_name, config, (input,)

    return convert


def _full_like(input, fill_value, dtype=None):
    return "FullLike", {"dtype": None if dtype is None else backend.standardize_dtype(dtype)}, (input, fill_value)


def _rank(x):
    return len(x.shape) if is_symbolic(x) or isinstance(x, torch.Tensor) else None


def _size(x, dim):
    """The static size of `x` along `dim`, or `None`."""
    if not is_symbolic(x) or not isinstance(dim, int) or not -len(x.shape) <= dim < len(x.shape):
        return None
    return x.shape[dim]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _float32_or_bfloat16(*values):
    # Keras's torch backend computes some float16 operations in float32 on CPU, where torch stays in float16;
    # Keras's float64 results are float32.
    return all(_dtype(v) in ("float32", "bfloat16") for v in values)


def _no_half_no_64_bits(*values):
    return all(_dtype(v) != "float16" for v in values) and _no_64_bits(*values)


def _einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str) or "->" not in equation or not operands:
        return None  # explicit outputs only: Keras infers an implicit one's shape by its own rules
    if not all(is_symbolic(o) or isinstance(o, (torch.Tensor, np.ndarray)) for o in operands):
        return None
    if all(_dtype(o) == "int8" for o in operands):
        return None  # Keras computes int8 products in int32
    return "Einsum", {"subscripts": "".join(equation.split())}, operands


def _split_sections(x, sections, dim):
    """Keras's `Split(sections)`: `sections` chunks of equal size along `dim`, when that size is static."""
    size = _size(x, dim)
    if not _is_int(sections) or size is None or sections <= 0 or size == 0 or size % sections:
        return None
    return "Split", {"indices_or_sections": sections, "axis": dim}, (x,)


def _split_indices(x, indices, dim):
    size = _size(x, dim)
    indices = list(indices)
    if size is None or not indices or not all(_is_int(i) for i in indices) or \
            not all(0 <= a <= b <= size for a, b in zip(indices, indices[1:] + [size])):
        return None
    return "Split", {"indices_or_sections": indices, "axis": dim}, (x,)


def _split(tensor, split_size_or_sections=None, dim=0, *, split_size=None):
    sizes = split_size if split_size_or_sections is None else split_size_or_sections
    if _is_int(sizes):  # torch gives the size of each chunk, Keras the number of chunks
        size = _size(tensor, dim)
        if size is None or sizes <= 0 or size % sizes:
            return None
        return _split_sections(tensor, size // sizes, dim)
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2 or not all(_is_int(s) for s in sizes):
        return None
    indices = np.cumsum(sizes[:-1]).tolist()
    return _split_indices(tensor, indices, dim) if _size(tensor, dim) == sum(sizes) else None


def _chunk(input, chunks, dim=0):
    return _split_sections(input, chunks, dim)


def _tensor_split(input, indices_or_sections, dim=0):
    if _is_int(indices_or_sections):
        return _split_sections(input, indices_or_sections, dim)
    if isinstance(indices_or_sections, (list, tuple)):
        return _split_indices(input, indices_or_sections, dim)
    return None


def _unbind(input, dim=0):
    return ("Unstack", {"num": None, "axis": dim}, (input,)) if _size(input, dim) is not None else None


def _pad(input, pad, mode="constant", value=None):
    rank = _rank(input)
    if rank is None or not isinstance(pad, (list, tuple)) or len(pad) % 2 or len(pad) > 2 * rank or \
            not all(_is_int(p) and p >= 0 for p in pad):
        return None
    pairs = [[pad[i], pad[i + 1]] for i in range(0, len(pad), 2)][::-1]  # torch starts at the last axis
    if mode == "constant":
        if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return None
    elif mode == "reflect":
        # Keras pads up to the first axis with padding: torch's axes must be just those.
        if value is not None or not pairs or pairs[0] == [0, 0]:
            return None
    else:
        return None  # torch's "replicate" is what Keras's torch backend computes for "symmetric", not numpy's
    pad_width = [[0, 0]] * (rank - len(pairs)) + pairs
    return "Pad", {"pad_width": pad_width, "mode": mode}, (input,), {"constant_values": value}


def _take_along_dim(input, indices, dim=None):
    if not (dim is None or _is_int(dim)):
        return None
    return "TakeAlongAxis", {"axis": dim}, (input, indices)


def _index_select(input, dim, index):
    if not _is_int(dim) or _rank(index) != 1:
        return None  # torch keeps the axis for a 0-d index, Keras drops it
    return "Take", {"axis": dim}, (input, index)


def _one_hot(tensor, num_classes=-1):
    if not _is_int(num_classes) or num_classes < 0:
        return None  # torch infers the number of classes from the data
    return "OneHot", {"num_classes": num_classes, "axis": -1, "dtype": "int64", "sparse": False}, (tensor,)


def _norm_axis(dim):
    if dim is None or _is_int(dim):
        return dim
    if isinstance(dim, (list, tuple)) and all(_is_int(d) for d in dim) and 1 <= len(dim) <= 2:
        return list(dim)
    raise TypeError(dim)


def _linalg_norm(input, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    if out is not None or dtype is not None or not _float_32_bits(input):
        return None
    return "Norm", {"ord": ord, "axis": _norm_axis(dim), "keepdims": bool(keepdim)}, (input,)


def _vector_norm(input, ord=2, dim=None, keepdim=False, *, out=None, dtype=None):
    # Keras's `Norm` is a vector norm on one axis; over none or two axes it is a 2-norm only.
    axis = _norm_axis(dim)
    single = _is_int(axis) or (isinstance(axis, list) and len(axis) == 1)
    if single:
        return _linalg_norm(input, ord, axis, keepdim, out=out, dtype=dtype)
    return _linalg_norm(input, None, axis, keepdim, out=out, dtype=dtype) if ord == 2 else None


def _norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    if p == "fro":
        p = 2  # torch's Frobenius norm here is the 2-norm of the axes, flattened
    if p == "nuc":
        axis = _norm_axis(dim)
        if not isinstance(axis, list) or len(axis) != 2:
            return None
        return _linalg_norm(input, "nuc", axis, keepdim, out=out, dtype=dtype)
    if isinstance(p, str):
        return None
    return _vector_norm(input, p, dim, keepdim, out=out, dtype=dtype)


def _normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    # Keras's L2 case multiplies by a capped `rsqrt`, torch divides by the norm (1 ulp apart): no conversion.
    if out is not None or not isinstance(p, (int, float)) or isinstance(p, bool) or p != int(p) or p < 1 or \
            p == 2 or not _float_32_bits(input):
        return None
    return "Normalize", {"axis": dim, "order": int(p), "epsilon": float(eps)}, (input,)


def _cumulative(class_name):
    def convert(input, dim, *, dtype=None, out=None):
        if out is not None or not _is_int(dim):
            return None
        # torch accumulates integers and bools in int64, which Keras makes int32 (as float64 float32);
        # Keras accumulates float16 in float32 on CPU.
        if dtype is None:
            return (class_name, {"axis": dim, "dtype": None}, (input,)) if _float32_or_bfloat16(input) else None
        dtype = backend.standardize_dtype(dtype)
        if dtype in ("bool", "float16", "float64", "int64", "complex128"):
            return None
        return class_name, {"axis": dim, "dtype": dtype}, (input,)

    return convert


def _round(input, *, decimals=0):
    if not backend.is_float_dtype(_dtype(input)) or not _is_int(decimals):
        return None  # Keras rounds integers through float32
    return "Round", {"decimals": decimals}, (input,)


def _repeat_interleave(input, repeats, dim=None, *, output_size=None):
    if not _is_int(repeats):
        return None  # Keras's torch backend cannot repeat by a list along an axis
    return "Repeat", {"repeats": repeats, "axis": dim}, (input,)


def _triangle(class_name):
    def convert(input, diagonal=0):
        return (class_name, {"k": diagonal}, (input,)) if _is_int(diagonal) else None

    return convert


def _broadcast_to(input, size):
    if not isinstance(size, (list, tuple, torch.Size)) or not all(_is_int(s) for s in size) or not is_symbolic(input):
        return None
    shape = list(size)
    offset = len(shape) - len(input.shape)
    for index, s in enumerate(shape):
        if s == -1:  # torch keeps the input's size there: Keras needs it written out
            known = input.shape[index - offset] if index >= offset else None
            if known is None:
                return None
            shape[index] = known
        elif s < 0:
            return None
    return "BroadcastTo", {"shape": shape}, (input,)


def _expand(input, *sizes, **kwargs):
    return _broadcast_to(input, _ints(sizes or (kwargs.pop("size"),), **kwargs))


def _tensordot(a, b, dims=2, out=None):
    if out is not None or not _float32_or_bfloat16(a, b) or _dtype(a) != _dtype(b):
        return None
    if _is_int(dims):
        return "Tensordot", {"axes": dims}, (a, b)
    if isinstance(dims, (list, tuple)) and len(dims) == 2:
        axes = [[d] if _is_int(d) else list(d) for d in dims]
        if all(_is_int(d) for pair in axes for d in pair):
            return "Tensordot", {"axes": axes}, (a, b)
    return None


def _topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    rank = _rank(input)
    if out is not None or not largest or not _is_int(k) or rank is None or dim not in (None, -1, rank - 1):
        return None  # Keras's top_k is over the last axis, largest first
    return "TopK", {"k": k, "sorted": bool(sorted)}, (input,)


def _narrow(input, dim, start, length):
    rank = _rank(input)
    if rank is None or not all(_is_int(v) for v in (dim, start, length)) or start < 0 or length < 0 or \
            not -rank <= dim < rank:
        return None
    key = (slice(None),) * (dim % rank) + (slice(start, start + length),)
    return "GetItem", {}, (input, key)


def _diff(input, n=1, dim=-1, prepend=None, append=None):
    if prepend is not None or append is not None:
        return None
    return "Diff", {"n": n, "axis": dim}, (input,)


def _roll(input, shifts, dims=None):
    return "Roll", {"shift": shifts if _is_int(shifts) else list(shifts),
                    "axis": dims if dims is None or _is_int(dims) else list(dims)}, (input,)


def _quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    # Keras's `Quantile` interpolates linearly whatever its `method`.
    if out is not None or interpolation != "linear" or not (dim is None or _is_int(dim)) or _dtype(input) != "float32":
        return None  # Keras computes in float32
    if not (isinstance(q, float) or isinstance(q, (torch.Tensor, np.ndarray))):
        return None
    return "Quantile", {"axis": dim, "method": "linear", "keepdims": bool(keepdim)}, (input, q)


def _hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return ("HardTanh", {}, (input,)) if (min_val, max_val) == (-1.0, 1.0) else None


def _shrink(class_name):
    def convert(input, lambd=0.5):
        return class_name, {"threshold": float(lambd)}, (input,)

    return convert


def _threshold(input, threshold, value, inplace=False):
    return "Threshold", {"threshold": threshold, "default_value": value}, (input,)


FUNCTIONS = {
    operator.add: _binary("Add"), operator.sub: _binary("Subtract"), operator.mul: _binary("Multiply"),
    operator.truediv: _binary("TrueDivide"), operator.floordiv: _binary("FloorDivide", _numeric_32_bits),
    operator.mod: _binary("Mod", _numeric), operator.pow: _binary("Power"),
    operator.matmul: _binary("Matmul"), operator.neg: _unary("Negative"), operator.abs: _unary("Absolute"),
    operator.lt: _binary("Less"), operator.le: _binary("LessEqual"), operator.gt: _binary("Greater"),
    operator.ge: _binary("GreaterEqual"), operator.getitem: _getitem,
    # Keras's `&`, `|`, `^`, `~` are logical; torch's are bitwise, which agree on bools only.
    operator.and_: _binary("LogicalAnd", _both_bool), operator.or_: _binary("LogicalOr", _both_bool),
    operator.xor: _binary("LogicalXor", _both_bool),
    operator.invert: lambda x: ("LogicalNot", {}, (x,)) if _is_bool(x) else None,
    torch.add: _add, torch.sub: _sub, torch.subtract: _sub, torch.mul: _binary("Multiply"),
    torch.multiply: _binary("Multiply"), torch.div: _div, torch.divide: _div,
    torch.true_divide: _binary("TrueDivide"), torch.floor_divide: _binary("FloorDivide", _numeric_32_bits),
    torch.remainder: _binary("Mod"), torch.pow: _binary("Power"), torch.matmul: _binary("Matmul"),
    torch.maximum: _binary("Maximum", _no_64_bits), torch.minimum: _binary("Minimum", _no_64_bits),
    torch.max: _max, torch.min: _min,
    torch.eq: _binary("Equal"), torch.ne: _binary("NotEqual"), torch.not_equal: _binary("NotEqual"),
    torch.gt: _binary("Greater"), torch.greater: _binary("Greater"), torch.ge: _binary("GreaterEqual"),
    torch.greater_equal: _binary("GreaterEqual"), torch.lt: _binary("Less"), torch.less: _binary("Less"),
    torch.le: _binary("LessEqual"), torch.less_equal: _binary("LessEqual"),
    torch.logical_and: _binary("LogicalAnd"), torch.logical_or: _binary("LogicalOr"),
    torch.logical_xor: _binary("LogicalXor"), torch.logical_not: _unary("LogicalNot"),
    torch.where: _where, torch.clamp: _clamp, torch.clip: _clamp,
    torch.neg: _unary("Negative"), torch.negative: _unary("Negative"), torch.abs: _unary("Absolute"),
    torch.absolute: _unary("Absolute"), torch.exp: _unary("Exp"), torch.expm1: _unary("Expm1"),
    torch.log: _unary("Log"), torch.log1p: _unary("Log1p"), torch.sqrt: _unary("Sqrt"),
    torch.rsqrt: _unary("Rsqrt"), torch.square: _unary("Square"), torch.reciprocal: _unary("Reciprocal"),
    torch.sign: _unary("Sign"), torch.tanh: _unary("Tanh"), torch.sin: _unary("Sin"), torch.cos: _unary("Cos"),
    torch.floor: _unary("Floor", _float_32_bits), torch.ceil: _unary("Ceil", _float_32_bits), torch.erf: _unary("Erf"),
    torch.sigmoid: _unary("Sigmoid"), F.sigmoid: _unary("Sigmoid"), F.tanh: _unary("Tanh"),
    torch.relu: _relu, F.relu: _relu, F.relu6: _relu6, F.silu: _silu, F.selu: _selu, torch.selu: _selu,
    F.softplus: _softplus, F.softsign: _unary("Softsign"), F.logsigmoid: _unary("LogSigmoid"),
    F.leaky_relu: _leaky_relu, F.hardsigmoid: _hardsigmoid, F.hardswish: _hardswish, F.elu: _elu,
    F.celu: _celu, torch.celu: _celu, F.gelu: _gelu, F.glu: _glu,
    torch.softmax: _softmax("Softmax"), F.softmax: _softmax("Softmax"),
    torch.log_softmax: _softmax("LogSoftmax"), F.log_softmax: _softmax("LogSoftmax"),
    torch.cat: _cat, torch.concat: _cat, torch.concatenate: _cat, torch.stack: _stack,
    torch.reshape: _reshape, torch.permute: _permute, torch.transpose: _swapaxes, torch.swapaxes: _swapaxes,
    torch.unsqueeze: _unsqueeze, torch.squeeze: _squeeze, torch.flip: _flip, torch.tile: _tile,
    torch.moveaxis: _moveaxis, torch.movedim: _moveaxis,
    torch.zeros_like: _like("ZerosLike"), torch.ones_like: _like("OnesLike"), torch.full_like: _full_like,
    torch.mean: _reduction("Mean", _no_64_bits), torch.sum: _reduction("Sum", _sum_agrees),
    torch.amax: _amax("Max"), torch.amin: _amax("Min"),
    torch.any: _boolean_reduction("Any"), torch.all: _boolean_reduction("All"), torch.logsumexp: _logsumexp,
    torch.einsum: _einsum, torch.split: _split, torch.chunk: _chunk, torch.tensor_split: _tensor_split,
    torch.unbind: _unbind, F.pad: _pad, torch.take_along_dim: _take_along_dim, torch.index_select: _index_select,
    F.one_hot: _one_hot, torch.linalg.norm: _linalg_norm, torch.linalg.vector_norm: _vector_norm, torch.norm: _norm,
    F.normalize: _normalize, torch.cumsum: _cumulative("Cumsum"), torch.cumprod: _cumulative("Cumprod"),
    torch.round: _round, torch.repeat_interleave: _repeat_interleave, torch.tril: _triangle("Tril"),
    torch.triu: _triangle("Triu"), torch.broadcast_to: _broadcast_to, torch.tensordot: _tensordot,
    torch.topk: _topk, torch.narrow: _narrow, torch.diff: _diff, torch.roll: _roll, torch.quantile: _quantile,
    torch.log2: _unary("Log2"), torch.log10: _unary("Log10"), torch.tan: _unary("Tan"),
    torch.asin: _unary("Arcsin"), torch.arcsin: _unary("Arcsin"), torch.acos: _unary("Arccos"),
    torch.arccos: _unary("Arccos"), torch.atan: _unary("Arctan"), torch.arctan: _unary("Arctan"),
    torch.sinh: _unary("Sinh"), torch.cosh: _unary("Cosh"), torch.asinh: _unary("Arcsinh"),
    torch.arcsinh: _unary("Arcsinh"), torch.acosh: _unary("Arccosh"), torch.arccosh: _unary("Arccosh"),
    torch.atanh: _unary("Arctanh"), torch.arctanh: _unary("Arctanh"), torch.isnan: _unary("Isnan"),
    torch.isinf: _unary("Isinf"), torch.isfinite: _unary("Isfinite"), torch.trunc: _unary("Trunc"),
    torch.fix: _unary("Trunc"), torch.exp2: _unary("Exp2"), torch.erfinv: _unary("Erfinv"),
    torch.atan2: _binary("Arctan2", _no_half_no_64_bits),
    torch.arctan2: _binary("Arctan2", _no_half_no_64_bits),
    torch.logaddexp: _binary("Logaddexp", _no_half_no_64_bits),
    F.hardtanh: _hardtanh, F.tanhshrink: _unary("TanhShrink"), F.softshrink: _shrink("SoftShrink"),
    F.hardshrink: _shrink("HardShrink"), F.threshold: _threshold,
}

_METHOD_FUNCTIONS = {
    "add": torch.add, "sub": torch.sub, "subtract": torch.sub, "mul": torch.mul, "multiply": torch.mul,
    "div": torch.div, "divide": torch.div, "true_divide": torch.true_divide, "pow": torch.pow,
    "matmul": torch.matmul, "maximum": torch.maximum, "minimum": torch.minimum, "max": torch.max,
    "min": torch.min, "eq": torch.eq, "ne": torch.ne, "gt": torch.gt, "ge": torch.ge, "lt": torch.lt,
    "le": torch.le, "logical_and": torch.logical_and, "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor, "logical_not": torch.logical_not, "clamp": torch.clamp,
    "clip": torch.clip, "neg": torch.neg, "negative": torch.neg, "abs": torch.abs, "exp": torch.exp,
    "expm1": torch.expm1, "log": torch.log, "log1p": torch.log1p, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt,
    "square": torch.square, "reciprocal": torch.reciprocal, "sign": torch.sign, "tanh": torch.tanh,
    "sin": torch.sin, "cos": torch.cos, "floor": torch.floor, "ceil": torch.ceil, "erf": torch.erf,
    "sigmoid": torch.sigmoid, "relu": torch.relu, "softmax": torch.softmax, "log_softmax": torch.log_softmax,
    "reshape": torch.reshape, "permute": torch.permute, "transpose": torch.transpose,
    "swapaxes": torch.swapaxes, "unsqueeze": torch.unsqueeze, "squeeze": torch.squeeze, "flip": torch.flip,
    "tile": torch.tile, "moveaxis": torch.moveaxis, "movedim": torch.movedim, "mean": torch.mean,
    "sum": torch.sum, "amax": torch.amax, "amin": torch.amin, "any": torch.any, "all": torch.all,
    "logsumexp": torch.logsumexp, "split": torch.split, "chunk": torch.chunk, "tensor_split": torch.tensor_split,
    "unbind": torch.unbind, "take_along_dim": torch.take_along_dim, "index_select": torch.index_select,
    "norm": torch.norm, "cumsum": torch.cumsum, "cumprod": torch.cumprod, "round": torch.round,
    "repeat_interleave": torch.repeat_interleave, "tril": torch.tril, "triu": torch.triu,
    "broadcast_to": torch.broadcast_to, "topk": torch.topk, "narrow": torch.narrow, "diff": torch.diff,
    "roll": torch.roll, "quantile": torch.quantile, "log2": torch.log2, "log10": torch.log10, "tan": torch.tan,
    "asin": torch.asin, "arcsin": torch.arcsin, "acos": torch.acos, "arccos": torch.arccos, "atan": torch.atan,
    "arctan": torch.arctan, "sinh": torch.sinh, "cosh": torch.cosh, "asinh": torch.asinh,
    "arcsinh": torch.arcsinh, "acosh": torch.acosh, "arccosh": torch.arccosh, "atanh": torch.atanh,
    "arctanh": torch.arctanh, "isnan": torch.isnan, "isinf": torch.isinf, "isfinite": torch.isfinite,
    "trunc": torch.trunc, "fix": torch.fix, "exp2": torch.exp2, "erfinv": torch.erfinv, "atan2": torch.atan2,
    "arctan2": torch.arctan2, "logaddexp": torch.logaddexp, "hardshrink": F.hardshrink,
}

METHODS = {name: FUNCTIONS[function] for name, function in _METHOD_FUNCTIONS.items()}
METHODS["view"] = _reshape
METHODS["expand"] = _expand
METHODS.update({
    "float": _cast("float32"), "double": _cast("float64"), "half": _cast("float16"),
    "bfloat16": _cast("bfloat16"), "int": _cast("int32"), "long": _cast("int64"), "short": _cast("int16"),
    "bool": _cast("bool"), "to": _to,
})
