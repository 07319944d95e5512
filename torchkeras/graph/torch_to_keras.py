"""The Keras operation a recorded torch call stands for, so that a functional config can hold it.

`x + y`, `x[:, 0]`, `torch.cat([a, b], dim=1)` or `x.mean(dim=1)` on symbolic tensors are recorded as
`TorchOp`s. A functional model's config writes each as the Keras operation that computes the same thing
(`Add`, `GetItem`, `Concatenate(axis=1)`, `Mean(axis=1, keepdims=False)`) with the arguments of its call, as
Keras writes `x + y`, `x[:, 0]`, `keras.ops.concatenate(...)`, `keras.ops.mean(...)`, so real Keras loads
the config. A call without a Keras counterpart (or with arguments none takes, such as `torch.add(x, y,
alpha=2)`) has no conversion, and saving the model raises a `ValueError` naming it.

Each converter takes the recorded call's arguments with torch's signature and returns `(class_name,
config, args)` (Keras's class, its constructor arguments, the arguments of its call) or `None`.
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
    class_name, config, args = converted
    spec = keras_ops.KERAS_OPS[class_name]
    return spec, spec.full_config(config), tuple(args), {}


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


def _unary(class_name, **config):
    def convert(x):
        return class_name, dict(config), (x,)

    return convert


def _both_bool(x1, x2):
    return _is_bool(x1) and _is_bool(x2)


def _numeric(*values):
    return all(_dtype(v) != "bool" for v in values)


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
        return _binary("FloorDivide")(input, other)
    return None


def _max(input, dim=None, keepdim=False, *, other=None):
    if is_symbolic(dim) and not keepdim:
        return _binary("Maximum")(input, dim)  # torch.max(x, y)
    if dim is None and other is None:
        return "Max", {"axis": None, "keepdims": False, "initial": None}, (input,)
    return None  # torch.max(x, dim) returns values and indices


def _min(input, dim=None, keepdim=False, *, other=None):
    if is_symbolic(dim) and not keepdim:
        return _binary("Minimum")(input, dim)
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


FUNCTIONS = {
    operator.add: _binary("Add"), operator.sub: _binary("Subtract"), operator.mul: _binary("Multiply"),
    operator.truediv: _binary("TrueDivide"), operator.floordiv: _binary("FloorDivide", _numeric),
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
    torch.true_divide: _binary("TrueDivide"), torch.floor_divide: _binary("FloorDivide"),
    torch.remainder: _binary("Mod"), torch.pow: _binary("Power"), torch.matmul: _binary("Matmul"),
    torch.maximum: _binary("Maximum"), torch.minimum: _binary("Minimum"), torch.max: _max, torch.min: _min,
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
    torch.floor: _unary("Floor"), torch.ceil: _unary("Ceil"), torch.erf: _unary("Erf"),
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
    torch.mean: _reduction("Mean"), torch.sum: _reduction("Sum", _sum_agrees),
    torch.amax: _amax("Max"), torch.amin: _amax("Min"),
    torch.any: _boolean_reduction("Any"), torch.all: _boolean_reduction("All"), torch.logsumexp: _logsumexp,
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
    "logsumexp": torch.logsumexp,
}

METHODS = {name: FUNCTIONS[function] for name, function in _METHOD_FUNCTIONS.items()}
METHODS["view"] = _reshape
METHODS.update({
    "float": _cast("float32"), "double": _cast("float64"), "half": _cast("float16"),
    "bfloat16": _cast("bfloat16"), "int": _cast("int32"), "long": _cast("int64"), "short": _cast("int16"),
    "bool": _cast("bool"), "to": _to,
})
