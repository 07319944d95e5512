"""The Keras `ops` operations a functional config may hold, each with the torch computation it stands for.

A Keras 3 functional config (and so every `.keras` file) holds, besides layers, nodes for Keras operations:
the ones the user wrote (`x + y` is `Add`, `x[:, 0]` is `GetItem`, `keras.ops.mean(x, axis=1)` is
`Mean(axis=1)`) and the ones Keras inserts itself (`Embedding(mask_zero=True)` writes `NotEqual`, `Masking`
writes `NotEqual` and `Any`, and their output is the `mask` argument of the layer that takes the mask).
Each is written as `{"module": "keras.src.ops.numpy", "class_name": "Mean", "config": {"name": ...,
"axis": 1, "keepdims": False}, ...}`: the config holds the operation's constructor arguments, the node the
arguments of its call.

`KERAS_OPS` maps each supported class name to an `OpSpec`: the module Keras writes, the constructor's
parameters with their defaults, and a torch function `fn(*call_args, **constructor_args)` that computes
what Keras's torch backend computes (same dtype rules, same treatment of Python scalars).
"""

import collections

import torch
import torch.fx
import torch.nn.functional as F

from torchkeras import activations, backend
from torchkeras.utils import naming

NUMPY = "keras.src.ops.numpy"
NN = "keras.src.ops.nn"
CORE = "keras.src.ops.core"
MATH = "keras.src.ops.math"
ACTIVATIONS = "keras.src.activations.activations"

# The modules whose classes are Keras operations rather than layers.
OP_MODULES = (NUMPY, NN, CORE, MATH, "keras.src.ops.linalg", "keras.src.ops.image", ACTIVATIONS)

REQUIRED = object()  # a constructor parameter without a default


class OpSpec(collections.namedtuple("OpSpec", ["class_name", "module", "params", "function", "traceable"])):
    """A supported Keras operation.

    Args:
        class_name: Keras's class name (`"NotEqual"`).
        module: The module Keras writes in configs (`"keras.src.ops.numpy"`).
        params: Ordered dict of the constructor's parameters (without `name`) and their defaults
            (`REQUIRED` for none).
        function: The torch implementation, called as `function(*call_args, **call_kwargs, **params)`.
        traceable: `function` for `torch.fx.symbolic_trace`: one `call_function` node of the traced graph
            (its Python branches on dtypes cannot run on proxies).
    """

    @property
    def op_name(self):
        """The name Keras gives an instance (`not_equal`, `get_item`)."""
        return naming.to_snake_case(self.class_name)

    def full_config(self, config, where=""):
        """`config` (constructor arguments, without `name`) with the defaults filled in.

        Raises:
            ValueError: On an argument the operation does not take, or a missing required one.
        """
        unknown = [key for key in config if key not in self.params]
        if unknown:
            raise ValueError(
                f"Invalid config for the Keras operation `{self.class_name}`{where}: unexpected "
                f"argument(s) {unknown}. Expected arguments: {list(self.params)}. Received: config={config}"
            )
        full = {}
        for key, default in self.params.items():
            if key in config:
                full[key] = config[key]
            elif default is REQUIRED:
                raise ValueError(
                    f"Invalid config for the Keras operation `{self.class_name}`{where}: missing the "
                    f"required argument `{key}`. Received: config={config}"
                )
            else:
                full[key] = default
        return full


KERAS_OPS = {}


def _register(class_name, module, function, **params):
    KERAS_OPS[class_name] = OpSpec(class_name, module, dict(params), function, _fx_leaf(function))


def _fx_leaf(function):
    """`function`, recorded as one call under `torch.fx.symbolic_trace` instead of being run on proxies."""

    def traceable(*args, **kwargs):
        for arg in args:
            if isinstance(arg, (list, tuple)) and arg:
                arg = arg[0]
            if isinstance(arg, torch.fx.Proxy):
                return arg.tracer.create_proxy("call_function", function, args, kwargs)
        return function(*args, **kwargs)

    traceable.__name__ = traceable.__qualname__ = function.__name__
    return traceable


def get_spec(class_name, module=None, where=""):
    """The `OpSpec` of a Keras operation class.

    Raises:
        ValueError: When torchkeras does not implement the operation; the message lists those it does.
    """
    spec = KERAS_OPS.get(class_name)
    if spec is None or (module is not None and module != spec.module and module in OP_MODULES):
        raise ValueError(
            f"The Keras operation `{class_name}` (module {module!r}){where} is not supported by torchkeras, "
            f"so this functional config cannot be rebuilt. Supported operations: {sorted(KERAS_OPS)}"
        )
    return spec


def is_op_config(config):
    """Whether a serialized object (`{"module", "class_name", ...}`) is a Keras operation."""
    return isinstance(config, dict) and config.get("module") in OP_MODULES


# ---------------------------------------------------------------------------------- dtype helpers
# Keras's torch backend turns Python scalars into tensors (`convert_to_tensor`): an int is int32 (int64 when
# it does not fit), a float is float32, a bool is bool.

def torch_dtype(dtype):
    """A Keras dtype name (or torch dtype) as a torch dtype; `None` is not a dtype here."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is None:
        raise ValueError("A Keras operation was given dtype=None where it needs a dtype.")
    return backend.to_torch_dtype(dtype)


def _scalar_dtype(value):
    if isinstance(value, bool):
        return torch.bool
    if isinstance(value, int):
        return torch.int64 if value < -(2 ** 31) or value >= 2 ** 31 else torch.int32
    return torch.float32


def _as_tensor(value, like):
    """`value` as a tensor on `like`'s device, with the dtype Keras gives a Python scalar."""
    if isinstance(value, torch.Tensor):
        return value
    return torch.tensor(value, dtype=_scalar_dtype(value), device=like.device)


def _tensors(x1, x2):
    """Both operands as tensors, as Keras's `convert_to_tensor` makes them."""
    if isinstance(x1, torch.Tensor):
        return x1, _as_tensor(x2, x1)
    return _as_tensor(x1, x2), x2


def _arithmetic(x1, x2):
    """The operands of an arithmetic op. A Python scalar promotes in torch exactly as Keras's 0-d tensor,
    except an int meeting a bool tensor (int64 in torch, int32 in Keras)."""
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor):
        return x1, x2
    tensor = x1 if isinstance(x1, torch.Tensor) else x2
    if tensor.dtype == torch.bool:
        return _tensors(x1, x2)
    return x1, x2


def _is_int_or_bool(dtype):
    return dtype == torch.bool or not (dtype.is_floating_point or dtype.is_complex)


def _float_of(dtype):
    """Keras's `result_type(dtype, float)`: floats keep their dtype, integers and bools give float32."""
    return dtype if dtype.is_floating_point else torch.float32


def _axes(axis):
    """Keras's `to_tuple_or_list`: `None` stays, an int becomes a 1-tuple, a list stays a list."""
    if axis is None or isinstance(axis, (tuple, list)):
        return axis
    return (axis,)


# ------------------------------------------------------------------------------- elementwise, binary


def add(x1, x2):
    x1, x2 = _arithmetic(x1, x2)
    return torch.add(x1, x2)


def subtract(x1, x2):
    x1, x2 = _tensors(x1, x2)
    if x1.dtype == torch.bool:  # torch.subtract refuses bools: Keras casts them to the other dtype
        x1 = x1.to(x2.dtype)
    if x2.dtype == torch.bool:
        x2 = x2.to(x1.dtype)
    return torch.subtract(x1, x2)


def multiply(x1, x2):
    x1, x2 = _arithmetic(x1, x2)
    return torch.multiply(x1, x2)


def divide(x1, x2):
    return torch.divide(x1, x2) if isinstance(x1, torch.Tensor) else torch.divide(_as_tensor(x1, x2), x2)


def power(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return torch.pow(x1, x2)


def floor_divide(x1, x2):
    dtype = torch.result_type(x1, x2)
    x1, x2 = _tensors(x1, x2)
    return torch.floor_divide(x1, x2).to(dtype)


def mod(x1, x2):
    x1, x2 = _tensors(x1, x2)
    if torch.promote_types(x1.dtype, x2.dtype) == torch.bool:
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    return torch.remainder(x1, x2)


def matmul(x1, x2):
    x1, x2 = _tensors(x1, x2)
    if x1.dtype == torch.int8 and x2.dtype == torch.int8:
        result = torch.int32
    else:
        result = torch.promote_types(x1.dtype, x2.dtype)
    compute = result
    if compute == torch.bool or (x1.device.type == "cuda" and _is_int_or_bool(compute)):
        compute = torch.float32
    if x1.device.type == "cpu" and compute == torch.float16:
        compute = torch.float32
    return torch.matmul(x1.to(compute), x2.to(compute)).to(result)


def maximum(x1, x2):
    dtype = torch.result_type(x1, x2)
    x1, x2 = _tensors(x1, x2)
    return torch.maximum(x1.to(dtype), x2.to(dtype))


def minimum(x1, x2):
    dtype = torch.result_type(x1, x2)
    x1, x2 = _tensors(x1, x2)
    return torch.minimum(x1.to(dtype), x2.to(dtype))


def _comparison(torch_fn, name):
    def compare(x1, x2):
        x1, x2 = _tensors(x1, x2)
        return torch_fn(x1, x2)

    compare.__name__ = compare.__qualname__ = name  # the generated torch.fx code refers to it by name
    return compare


equal = _comparison(torch.eq, "equal")
not_equal = _comparison(torch.ne, "not_equal")
greater = _comparison(torch.gt, "greater")
greater_equal = _comparison(torch.ge, "greater_equal")
less = _comparison(torch.lt, "less")
less_equal = _comparison(torch.le, "less_equal")
logical_and = _comparison(torch.logical_and, "logical_and")
logical_or = _comparison(torch.logical_or, "logical_or")
logical_xor = _comparison(torch.logical_xor, "logical_xor")


def where(condition, x1=None, x2=None):
    condition = condition.to(torch.bool)
    if x1 is None or x2 is None:
        return torch.stack(torch.where(condition), dim=0)
    return torch.where(condition, _as_tensor(x1, condition), _as_tensor(x2, condition))


def clip(x, x_min, x_max):
    x_min, x_max = _as_tensor(x_min, x), _as_tensor(x_max, x)
    if x.device.type == "cpu" and x.dtype == torch.float16:
        return torch.clip(x.to(torch.float32), min=x_min, max=x_max).to(torch.float16)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.clip(x, min=x_min, max=x_max)


# -------------------------------------------------------------------------------- elementwise, unary


def negative(x):
    return torch.negative(x)


def absolute(x):
    return x if x.dtype == torch.bool else torch.abs(x)


def _float_input(torch_fn, name):
    def apply(x):
        if _is_int_or_bool(x.dtype):
            x = x.to(torch.float32)
        return torch_fn(x)

    apply.__name__ = apply.__qualname__ = name
    return apply


exp = _float_input(torch.exp, "exp")
expm1 = _float_input(torch.expm1, "expm1")


def log(x):
    return torch.log(x)


def log1p(x):
    return torch.log1p(x)


def sqrt(x):
    if x.dtype == torch.int64:
        x = x.to(torch.float32)
    return torch.sqrt(x)


def square(x):
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.square(x)


def reciprocal(x):
    return torch.reciprocal(x)


def sign(x):
    return torch.sign(x)


def tanh(x):
    return torch.tanh(x)


def sin(x):
    return torch.sin(x)


def cos(x):
    return torch.cos(x)


def floor(x):
    return torch.floor(x.to(torch.float32 if x.dtype == torch.int64 else _float_of(x.dtype)))


def ceil(x):
    dtype = torch.float32 if x.dtype == torch.int64 else _float_of(x.dtype)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    elif x.device.type == "cpu" and x.dtype == torch.float16:
        x = x.to(torch.float32)
    return torch.ceil(x).to(dtype)


def logical_not(x):
    return torch.logical_not(x)


def cast(x, dtype):
    return x.to(torch_dtype(dtype))


def zeros_like(x, dtype=None):
    return torch.zeros_like(x, dtype=None if dtype is None else torch_dtype(dtype))


def ones_like(x, dtype=None):
    return torch.ones_like(x, dtype=None if dtype is None else torch_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    dtype = x.dtype if dtype is None else torch_dtype(dtype)
    if isinstance(fill_value, torch.Tensor):
        return fill_value.to(dtype).expand(x.shape).clone()
    return torch.full(x.shape, fill_value, dtype=dtype, device=x.device)


def rsqrt(x):
    return torch.rsqrt(x)


def erf(x):
    return torch.erf(x)


# --------------------------------------------------------------------------------------- reductions


def mean(x, axis=None, keepdims=False):
    if axis == () or axis == []:
        return x
    compute = torch.promote_types(x.dtype, torch.float32)
    result = compute if _is_int_or_bool(x.dtype) else x.dtype
    return torch.mean(x.to(compute), _axes(axis), keepdims).to(result)


def sum(x, axis=None, keepdims=False):
    if axis == () or axis == []:
        return x
    dtype = torch.int32 if x.dtype in (torch.bool, torch.uint8, torch.int8, torch.int16) else x.dtype
    if axis is None:
        return torch.sum(x).to(dtype)
    return torch.sum(x, dim=axis, keepdim=keepdims).to(dtype)


def max(x, axis=None, keepdims=False, initial=None):
    result = torch.max(x) if axis is None else torch.amax(x, dim=axis, keepdim=keepdims)
    if initial is not None:
        return torch.maximum(result, torch.full(result.shape, initial, dtype=result.dtype, device=result.device))
    return result


def min(x, axis=None, keepdims=False, initial=None):
    result = torch.min(x) if axis is None else torch.amin(x, dim=axis, keepdim=keepdims)
    if initial is not None:
        return torch.minimum(result, torch.tensor(initial, dtype=result.dtype, device=result.device))
    return result


def _boolean_reduction(torch_fn, name):
    def reduce(x, axis=None, keepdims=False):
        axis = _axes(axis)
        if axis == () or axis == []:
            return x.to(torch.bool)
        if isinstance(axis, list):
            axis = tuple(axis)
        return torch_fn(x, dim=axis, keepdim=keepdims).to(torch.bool)

    reduce.__name__ = reduce.__qualname__ = name
    return reduce


any = _boolean_reduction(torch.any, "any")
all = _boolean_reduction(torch.all, "all")


def prod(x, axis=None, keepdims=False, dtype=None):
    if dtype is None:
        dtype = torch.int32 if x.dtype in (torch.bool, torch.int8, torch.int16, torch.uint8) else x.dtype
    dtype = torch_dtype(dtype)
    compute = torch.float32 if x.device.type == "cpu" and dtype == torch.float16 else dtype
    if axis is None:
        return torch.prod(x, dtype=compute).to(dtype)
    for a in sorted((a % x.dim() for a in _axes(axis)), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims, dtype=compute).to(dtype)
    return x


def std(x, axis=None, keepdims=False):
    if _is_int_or_bool(x.dtype):
        x = x.to(torch.float32)
    return torch.std(x, dim=axis, keepdim=keepdims, unbiased=False)


def var(x, axis=None, keepdims=False):
    compute = torch.promote_types(x.dtype, torch.float32)
    result = _float_of(x.dtype)
    if axis == [] or axis == ():
        return torch.zeros_like(x, dtype=result)
    return torch.var(x.to(compute), dim=axis, keepdim=keepdims, correction=0).to(result)


def _arg_reduction(torch_fn, name):
    def reduce(x, axis=None, keepdims=False):
        if x.dtype == torch.bool:
            x = x.to(torch.uint8)
        return torch_fn(x, dim=axis, keepdim=keepdims).to(torch.int32)

    reduce.__name__ = reduce.__qualname__ = name
    return reduce


argmax = _arg_reduction(torch.argmax, "argmax")
argmin = _arg_reduction(torch.argmin, "argmin")


def logsumexp(x, axis=None, keepdims=False):
    return torch.logsumexp(x, dim=tuple(range(x.dim())) if axis is None else axis, keepdim=keepdims)


# --------------------------------------------------------------------------------------------- shapes


def get_item(x, key):
    if isinstance(key, list):
        key = tuple(key)
    return x[key]


def concatenate(xs, axis=0):
    return torch.cat(list(xs), dim=axis)


def stack(x, axis=0):
    return torch.stack(list(x), dim=axis)


def reshape(x, newshape):
    if not isinstance(newshape, (list, tuple)):
        newshape = (newshape,)
    return torch.reshape(x, tuple(newshape))


def transpose(x, axes=None):
    if axes is None:
        return x.permute(*reversed(range(x.dim())))
    return torch.permute(x, dims=tuple(axes))


def expand_dims(x, axis):
    axes = _axes(axis)
    rank = x.dim() + len(axes)
    for a in sorted(a % rank for a in axes):
        x = torch.unsqueeze(x, dim=a)
    return x


def squeeze(x, axis=None):
    if axis is None:
        return torch.squeeze(x)
    return torch.squeeze(x, dim=tuple(axis) if isinstance(axis, list) else axis)


def swapaxes(x, axis1, axis2):
    return torch.swapaxes(x, axis1, axis2)


def moveaxis(x, source, destination):
    return torch.moveaxis(x, source=source, destination=destination)


def flip(x, axis=None):
    if axis is None:
        axis = tuple(range(x.dim()))
    return torch.flip(x, dims=_axes(axis))


def tile(x, repeats):
    return torch.tile(x, dims=(repeats,) if isinstance(repeats, int) else tuple(repeats))


# ------------------------------------------------------------------------------------------------ nn


def relu(x):
    return F.relu(x)


def relu6(x):
    return F.relu6(x)


def sigmoid(x):
    return torch.sigmoid(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def silu(x):
    return F.silu(x)


def log_sigmoid(x):
    return F.logsigmoid(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope=negative_slope)


def hard_sigmoid(x):
    return F.hardsigmoid(x)


def hard_silu(x):
    return F.hardswish(x)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh") if approximate else F.gelu(x)


def celu(x, alpha=1.0):
    return F.celu(x, alpha=alpha)


def glu(x, axis=-1):
    return F.glu(x, dim=axis)


def _softmax_like(torch_fn, name):
    def apply(x, axis=-1):
        dtype = x.dtype
        if x.device.type == "cpu" and dtype == torch.float16:
            x = x.to(torch.float32)
        if axis is None:  # over every axis at once (torch would take -1)
            out = torch_fn(x.reshape(-1), dim=-1).reshape(x.shape)
        else:
            out = torch_fn(x, dim=axis)
        return out.to(dtype)

    apply.__name__ = apply.__qualname__ = name
    return apply


softmax = _softmax_like(F.softmax, "softmax")
log_softmax = _softmax_like(F.log_softmax, "log_softmax")


def relu_activation(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """`keras.activations.relu` (the `ReLU` operation of `keras.src.activations.activations`)."""
    return activations.relu(x, negative_slope=negative_slope, max_value=max_value, threshold=threshold)


# --------------------------------------------------------------------------------------------- registry

for _class_name, _fn in [
    ("Add", add), ("Subtract", subtract), ("Multiply", multiply), ("TrueDivide", divide), ("Divide", divide),
    ("Power", power), ("FloorDivide", floor_divide), ("Mod", mod), ("Matmul", matmul),
    ("Maximum", maximum), ("Minimum", minimum), ("Equal", equal), ("NotEqual", not_equal),
    ("Greater", greater), ("GreaterEqual", greater_equal), ("Less", less), ("LessEqual", less_equal),
    ("LogicalAnd", logical_and), ("LogicalOr", logical_or), ("LogicalXor", logical_xor),
    ("LogicalNot", logical_not), ("Where", where), ("GetItem", get_item),
    ("Negative", negative), ("Absolute", absolute), ("Abs", absolute), ("Exp", exp), ("Expm1", expm1),
    ("Log", log), ("Log1p", log1p), ("Sqrt", sqrt), ("Square", square), ("Reciprocal", reciprocal),
    ("Sign", sign), ("Tanh", tanh), ("Sin", sin), ("Cos", cos), ("Floor", floor), ("Ceil", ceil),
]:
    _register(_class_name, NUMPY, _fn)

_REDUCTION = {"axis": None, "keepdims": False}
for _class_name, _fn in [("Mean", mean), ("Sum", sum), ("Any", any), ("All", all), ("Std", std),
                         ("Var", var), ("Argmax", argmax), ("Argmin", argmin)]:
    _register(_class_name, NUMPY, _fn, **_REDUCTION)
_register("Max", NUMPY, max, **_REDUCTION, initial=None)
_register("Min", NUMPY, min, **_REDUCTION, initial=None)
_register("Prod", NUMPY, prod, **_REDUCTION, dtype=None)
_register("Clip", NUMPY, clip, x_min=REQUIRED, x_max=REQUIRED)
_register("Concatenate", NUMPY, concatenate, axis=0)
_register("Stack", NUMPY, stack, axis=0)
_register("Reshape", NUMPY, reshape, newshape=REQUIRED)
_register("Transpose", NUMPY, transpose, axes=None)
_register("ExpandDims", NUMPY, expand_dims, axis=REQUIRED)
_register("Squeeze", NUMPY, squeeze, axis=None)
_register("Swapaxes", NUMPY, swapaxes, axis1=REQUIRED, axis2=REQUIRED)
_register("Moveaxis", NUMPY, moveaxis, source=REQUIRED, destination=REQUIRED)
_register("Flip", NUMPY, flip, axis=None)
_register("Tile", NUMPY, tile, repeats=REQUIRED)
# `Concatenate`'s mask computation writes `OnesLike` and `ZerosLike` nodes.
_register("ZerosLike", NUMPY, zeros_like, dtype=None)
_register("OnesLike", NUMPY, ones_like, dtype=None)
_register("FullLike", NUMPY, full_like, dtype=None)

for _class_name, _fn in [("Relu", relu), ("Relu6", relu6), ("Sigmoid", sigmoid), ("Softplus", softplus),
                         ("Softsign", softsign), ("Silu", silu), ("LogSigmoid", log_sigmoid),
                         ("HardSigmoid", hard_sigmoid), ("HardSilu", hard_silu), ("Selu", selu)]:
    _register(_class_name, NN, _fn)
_register("LeakyRelu", NN, leaky_relu, negative_slope=0.2)
_register("Elu", NN, elu, alpha=1.0)
_register("Celu", NN, celu, alpha=1.0)
_register("Gelu", NN, gelu, approximate=True)
_register("Glu", NN, glu, axis=-1)
_register("Softmax", NN, softmax, axis=-1)
_register("LogSoftmax", NN, log_softmax, axis=-1)

_register("Cast", CORE, cast, dtype=REQUIRED)

_register("Rsqrt", MATH, rsqrt)
_register("Erf", MATH, erf)
_register("Logsumexp", MATH, logsumexp, axis=None, keepdims=False)

_register("ReLU", ACTIVATIONS, relu_activation, negative_slope=0.0, max_value=None, threshold=0.0)

del _class_name, _fn
