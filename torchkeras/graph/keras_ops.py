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

import builtins
import collections
import functools

import torch
import torch.fx
import torch.nn.functional as F

from torchkeras import activations, backend
from torchkeras.utils import naming

NUMPY = "keras.src.ops.numpy"
NN = "keras.src.ops.nn"
CORE = "keras.src.ops.core"
MATH = "keras.src.ops.math"
LINALG = "keras.src.ops.linalg"
ACTIVATIONS = "keras.src.activations.activations"

# The modules whose classes are Keras operations rather than layers.
OP_MODULES = (NUMPY, NN, CORE, MATH, LINALG, "keras.src.ops.image", ACTIVATIONS)

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


_TO_32_BITS = {torch.int64: torch.int32, torch.float64: torch.float32, torch.complex128: torch.complex64}


def _result_type(*dtypes, floating=False):
    """Keras's `result_type` of tensor dtypes (with `floating`, `result_type(*dtypes, float)`): torch's
    promotion, then a 64-bit result made 32-bit, as in JAX without x64."""
    dtype = functools.reduce(torch.promote_types, dtypes)
    if floating:
        dtype = _float_of(dtype)
    return _TO_32_BITS.get(dtype, dtype)


def _weak_result_type(x1, x2):
    """Keras's `result_type` of two operands, a Python scalar counting as a weak type."""
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor):
        return _result_type(x1.dtype, x2.dtype)
    tensor, scalar = (x1, x2) if isinstance(x1, torch.Tensor) else (x2, x1)
    dtype = tensor.dtype  # a scalar of the tensor's kind (or a lower one) takes the tensor's dtype
    if isinstance(scalar, float) and _is_int_or_bool(dtype):
        dtype = torch.float32
    elif isinstance(scalar, int) and not isinstance(scalar, bool) and dtype == torch.bool:
        dtype = torch.int32
    return _TO_32_BITS.get(dtype, dtype)


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
    dtype = _weak_result_type(x1, x2)
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
    dtype = _weak_result_type(x1, x2)
    x1, x2 = _tensors(x1, x2)
    return torch.maximum(x1.to(dtype), x2.to(dtype))


def minimum(x1, x2):
    dtype = _weak_result_type(x1, x2)
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


def _plain(torch_fn, name):
    """An operation Keras's torch backend computes with `torch_fn` on its input as is."""

    def apply(x):
        return torch_fn(x)

    apply.__name__ = apply.__qualname__ = name
    return apply


negative = _plain(torch.negative, "negative")
log = _plain(torch.log, "log")
log1p = _plain(torch.log1p, "log1p")
reciprocal = _plain(torch.reciprocal, "reciprocal")
sign = _plain(torch.sign, "sign")
tanh = _plain(torch.tanh, "tanh")
sin = _plain(torch.sin, "sin")
cos = _plain(torch.cos, "cos")
logical_not = _plain(torch.logical_not, "logical_not")
rsqrt = _plain(torch.rsqrt, "rsqrt")
erf = _plain(torch.erf, "erf")


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


def sqrt(x):
    if x.dtype == torch.int64:
        x = x.to(torch.float32)
    return torch.sqrt(x)


def square(x):
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.square(x)


def floor(x):
    return torch.floor(x.to(torch.float32 if x.dtype == torch.int64 else _result_type(x.dtype, floating=True)))


def ceil(x):
    dtype = torch.float32 if x.dtype == torch.int64 else _result_type(x.dtype, floating=True)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    elif x.device.type == "cpu" and x.dtype == torch.float16:
        x = x.to(torch.float32)
    return torch.ceil(x).to(dtype)


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


# --------------------------------------------------------------------------------------- reductions


def mean(x, axis=None, keepdims=False):
    if axis == () or axis == []:
        return x
    compute = _result_type(x.dtype, torch.float32)
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
        dtype = _result_type(x.dtype)
        if dtype in (torch.bool, torch.int8, torch.int16, torch.uint8):
            dtype = torch.int32
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
    compute = _result_type(x.dtype, torch.float32)
    result = _result_type(x.dtype, floating=True)
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


relu = _plain(F.relu, "relu")
relu6 = _plain(F.relu6, "relu6")
sigmoid = _plain(torch.sigmoid, "sigmoid")
softplus = _plain(F.softplus, "softplus")
softsign = _plain(F.softsign, "softsign")
silu = _plain(F.silu, "silu")
log_sigmoid = _plain(F.logsigmoid, "log_sigmoid")
hard_sigmoid = _plain(F.hardsigmoid, "hard_sigmoid")
hard_silu = _plain(F.hardswish, "hard_silu")
selu = _plain(F.selu, "selu")


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


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


# ------------------------------------------------------------------------- more elementwise, numpy


log2 = _plain(torch.log2, "log2")
log10 = _plain(torch.log10, "log10")
tan = _plain(torch.tan, "tan")
arcsin = _plain(torch.arcsin, "arcsin")
arccos = _plain(torch.arccos, "arccos")
arctan = _plain(torch.arctan, "arctan")
sinh = _plain(torch.sinh, "sinh")
cosh = _plain(torch.cosh, "cosh")
arcsinh = _plain(torch.arcsinh, "arcsinh")
arccosh = _plain(torch.arccosh, "arccosh")
arctanh = _plain(torch.arctanh, "arctanh")
isnan = _plain(torch.isnan, "isnan")
isinf = _plain(torch.isinf, "isinf")
isfinite = _plain(torch.isfinite, "isfinite")
erfinv = _plain(torch.erfinv, "erfinv")


def trunc(x):
    return x if x.dtype == torch.bool else torch.trunc(x)


def exp2(x):
    if _is_int_or_bool(x.dtype):
        x = x.to(torch.float32)
    return torch.exp2(x)


def arctan2(x1, x2):
    x1, x2 = _tensors(x1, x2)
    result = _result_type(x1.dtype, x2.dtype, floating=True)
    compute = torch.float32 if x1.device.type == "cpu" and result == torch.float16 else result
    return torch.arctan2(x1.to(compute), x2.to(compute)).to(result)


def logaddexp(x1, x2):
    x1, x2 = _tensors(x1, x2)
    dtype = _result_type(x1.dtype, x2.dtype, floating=True)
    if x1.device.type == "cpu" and dtype == torch.float16:
        return torch.logaddexp(x1.to(torch.float32), x2.to(torch.float32)).to(dtype)
    return torch.logaddexp(x1.to(dtype), x2.to(dtype))


def round(x, decimals=0):
    if _is_int_or_bool(x.dtype) and x.dtype != torch.bool:  # Keras rounds integers as float32
        return torch.round(x.to(torch.float32), decimals=decimals).to(x.dtype)
    return torch.round(x, decimals=decimals)


def tril(x, k=0):
    return torch.tril(x, diagonal=k)


def triu(x, k=0):
    return torch.triu(x, diagonal=k)


def roll(x, shift, axis=None):
    return torch.roll(x, shift, dims=axis)


def diff(a, n=1, axis=-1):
    return torch.diff(a, n=n, dim=axis)


def _tensor_of(value, like):
    """A call argument (a tensor, or a Python number or nested list) as Keras's `convert_to_tensor` makes
    it, on `like`'s device."""
    if isinstance(value, torch.Tensor):
        return value
    if not isinstance(value, (bool, int, float, list, tuple)):  # a numpy array
        return backend.convert_to_tensor(value).to(like.device)
    if not isinstance(value, (list, tuple)):
        return torch.tensor(value, dtype=_scalar_dtype(value), device=like.device)
    leaves = list(_leaves(value))
    if not leaves or builtins.any(isinstance(v, float) for v in leaves):
        dtype = torch.float32
    elif builtins.all(isinstance(v, bool) for v in leaves):
        dtype = torch.bool
    else:
        dtype = functools.reduce(torch.promote_types, [_scalar_dtype(v) for v in leaves], torch.int32)
    return torch.tensor(value, dtype=dtype, device=like.device)


def _leaves(value):
    for item in value:
        if isinstance(item, (list, tuple)):
            yield from _leaves(item)
        else:
            yield item


# ------------------------------------------------------------------------------ products, cumulative


def einsum(*operands, subscripts):
    operands = [_tensor_of(o, operands[0]) for o in operands]
    if {o.dtype for o in operands} == {torch.int8}:  # Keras computes int8 products in int32
        compute = torch.float32 if operands[0].device.type == "cuda" else torch.int32
        return torch.einsum(subscripts, *[o.to(compute) for o in operands]).to(torch.int32)
    return torch.einsum(subscripts, *operands)


def _float_product(x1, x2):
    """The operands of Keras's `tensordot` / `dot` in their compute dtype, and the result dtype."""
    x1, x2 = _tensors(x1, x2)
    result = _result_type(x1.dtype, x2.dtype)
    compute = _result_type(result, floating=True)
    if x1.device.type == "cpu" and compute == torch.float16:
        compute = torch.float32
    return x1.to(compute), x2.to(compute), result


def tensordot(x1, x2, axes=2):
    x1, x2, result = _float_product(x1, x2)
    if isinstance(axes, (list, tuple)):
        first, second = axes
        axes = (first if isinstance(first, (list, tuple)) else (first,),
                second if isinstance(second, (list, tuple)) else (second,))
    return torch.tensordot(x1, x2, dims=axes).to(result)


def dot(x1, x2):
    x1, x2, result = _float_product(x1, x2)
    if x1.dim() == 0 or x2.dim() == 0:
        return torch.multiply(x1, x2).to(result)
    return torch.matmul(x1, x2).to(result)


def _cumulative(torch_fn, name):
    def accumulate(x, axis=None, dtype=None):
        if axis is None:
            x = x.flatten()
            axis = 0
        dtype = _result_type(x.dtype if dtype is None else torch_dtype(dtype))
        if dtype == torch.bool:
            dtype = torch.int32
        elif x.device.type == "cpu" and dtype == torch.float16:
            return torch_fn(x, dim=axis, dtype=torch.float32).to(torch.float16)
        return torch_fn(x, dim=axis, dtype=dtype)

    accumulate.__name__ = accumulate.__qualname__ = name
    return accumulate


cumsum = _cumulative(torch.cumsum, "cumsum")
cumprod = _cumulative(torch.cumprod, "cumprod")


# --------------------------------------------------------------------------- reductions, statistics


def amax(x, axis=None, keepdims=False):
    if axis is None:
        return torch.amax(x)  # Keras ignores `keepdims` here
    if axis == () or axis == []:
        return x
    return torch.amax(x, dim=axis, keepdim=keepdims)


def amin(x, axis=None, keepdims=False):
    if axis is None:
        return torch.amin(x)
    if axis == () or axis == []:
        return x
    return torch.amin(x, dim=axis, keepdim=keepdims)


def average(x, weights=None, axis=None):
    dtype = _result_type(x.dtype, floating=True)
    if weights is not None:
        weights = _tensor_of(weights, x)
        dtype = _result_type(x.dtype, weights.dtype, floating=True)
        weights = weights.to(dtype)
    x = x.to(dtype)
    if axis == () or axis == []:
        return x
    if weights is not None:
        # Keras's torch backend divides by the weights' sum over their last axis, whatever `axis` is.
        return torch.sum(torch.mul(x, weights), dim=axis) / torch.sum(weights, dim=-1)
    return torch.mean(x, axis)


def _quantile(x, q, axis, keepdims):
    q = _tensor_of(q, x)
    axis = _axes(axis)
    result = _result_type(x.dtype, floating=True)
    x = x.to(_result_type(x.dtype, torch.float32))
    if q.dtype != x.dtype:
        q = q.to(x.dtype)
    if axis is None:
        y = x.reshape(-1)
    else:
        axis = [a % x.dim() for a in axis]
        others = sorted(set(range(x.dim())).difference(axis))
        size = 1
        for a in axis:
            size *= x.shape[a]
        y = x.permute(others + list(axis)).reshape([x.shape[i] for i in others] + [size])
    y = torch.quantile(y, q, dim=-1, interpolation="linear")
    if keepdims:
        if axis is None:
            for _ in range(x.dim()):
                y = y.unsqueeze(-1)
        else:
            for a in sorted(axis):
                y = y.unsqueeze(a + 1 if q.dim() > 0 else a)
    return y.to(result)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    # Keras's `Quantile` operation does not pass `method` to the backend, which then interpolates linearly.
    return _quantile(x, q, axis, keepdims)


def median(x, axis=None, keepdims=False):
    return _quantile(x, 0.5, axis, keepdims)


def sort(x, axis=-1):
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    if x.device.type == "cuda" and x.dtype == torch.bool:
        return torch.sort(x.to(torch.uint8), dim=axis).values.to(torch.bool)
    return torch.sort(x, dim=axis).values


def argsort(x, axis=-1):
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        axis = -1
        x = x.reshape(-1)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


def top_k(x, k, sorted=True):
    return torch.topk(x, k, sorted=sorted)  # indices int64, as Keras's torch backend returns them


def norm(x, ord=None, axis=None, keepdims=False):
    if isinstance(axis, int):
        axis = [axis]
    x = x.to(_result_type(x.dtype, floating=True))
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)


# ------------------------------------------------------------------------------ gathers, shapes


def split(x, indices_or_sections, axis=0):
    dim = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if dim % indices_or_sections != 0:
            raise ValueError(
                f"Received indices_or_sections={indices_or_sections} (interpreted as a number of "
                f"sections) and axis={axis}, but input dimension x.shape[{axis}]={dim} is not divisible "
                f"by {indices_or_sections}. Full input shape: x.shape={tuple(x.shape)}"
            )
        out = torch.split(x, dim // indices_or_sections, dim=axis)
        if dim == 0:
            out = [out[0].clone() for _ in range(indices_or_sections)]
        return list(out)
    indices = [int(i) for i in indices_or_sections]
    if not indices:
        raise ValueError("`split` needs at least one index. Received: indices_or_sections=[]")
    sizes = [indices[0]] + [b - a for a, b in zip(indices, indices[1:])] + [dim - indices[-1]]
    return list(torch.split(x, sizes, dim=axis))


def _pad_width(pad_width):
    """Keras's `Pad._process_pad_width`: an int, one pair, or one pair (or 1-tuple) per axis."""
    if isinstance(pad_width, int):
        return ((pad_width, pad_width),)
    if isinstance(pad_width[0], int):
        return (tuple(pad_width),)
    if len({len(pw) for pw in pad_width}) != 1:
        raise ValueError(f"`pad_width` should be a list of tuples of length 1 or 2. Received: pad_width={pad_width}")
    return tuple((pw[0], pw[0]) if len(pw) == 1 else tuple(pw) for pw in pad_width)


def pad(x, constant_values=None, *, pad_width, mode="constant"):
    pad_width = _pad_width(pad_width)
    if len(pad_width) > 1 and len(pad_width) != x.dim():
        raise ValueError(
            f"`pad_width` must have the same length as `x.shape`. Received: pad_width={pad_width} "
            f"(of length {len(pad_width)}) and x.shape={tuple(x.shape)} (of length {x.dim()})"
        )
    kwargs = {}
    if constant_values is not None:
        if mode != "constant":
            raise ValueError(
                f"Argument `constant_values` can only be provided when `mode == 'constant'`. Received: mode={mode}")
        kwargs["value"] = constant_values
    # As Keras's torch backend: torch's order (last axis first), up to the last padded axis. A single
    # pair pads the last axis only, and "symmetric" is torch's "replicate".
    flat, remaining = [], builtins.sum(before + after for before, after in pad_width)
    for before, after in reversed(pad_width):
        flat += [before, after]
        remaining -= before + after
        if remaining == 0:
            break
    if mode == "symmetric":
        mode = "replicate"
    if mode == "constant":
        return F.pad(x, pad=flat, mode=mode, **kwargs)
    dtype, ndim = x.dtype, x.dim()
    if ndim < 3:
        x = x.reshape(*[1] * (3 - ndim), *x.shape)
    if dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)
    x = F.pad(x, pad=flat, mode=mode).to(dtype)
    if ndim < 3:
        x = torch.squeeze(x, dim=tuple(range(3 - ndim)))
    return x


def _indices(indices, x, axis):
    """Keras's index fix-up: int64, negative indices counted from the end of `axis` (of axis 0 for
    `axis=None`)."""
    indices = _tensor_of(indices, x).long()
    size = x.shape[axis] if axis is not None else x.shape[0]
    return torch.where(indices < 0, indices + size, indices)


def take(x, indices, axis=None):
    indices = _indices(indices, x, axis)
    if x.dim() == 2 and axis == 0:
        return F.embedding(indices, x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    axis = axis % x.dim()
    shape = tuple(x.shape[:axis]) + tuple(indices.shape) + tuple(x.shape[axis + 1:])
    return torch.index_select(x, dim=axis, index=indices.ravel()).squeeze(axis).reshape(shape)


def take_along_axis(x, indices, axis=None):
    return torch.take_along_dim(x, _indices(indices, x, axis), dim=axis)


def repeat(x, repeats, axis=None):
    if isinstance(repeats, int):
        if axis is None:
            return torch.repeat_interleave(x, repeats)
        axis = axis % x.dim()
        shape = list(x.shape)
        expand = [-1] * (x.dim() + 1)
        expand[axis + 1] = repeats
        shape[axis] *= repeats
        return x.unsqueeze(axis + 1).expand(expand).reshape(shape)
    # A list of repeats (Keras's torch backend passes a list with an axis to torch, which refuses it).
    counts = torch.tensor(list(repeats), dtype=torch.int64, device=x.device)
    return torch.repeat_interleave(x, counts, dim=axis, output_size=builtins.sum(repeats))


def broadcast_to(x, shape):
    return torch.broadcast_to(x, tuple(shape))


def slice(inputs, start_indices, shape):
    """Keras's `ops.slice`: `shape[i]` elements from `start_indices[i]` on each axis."""
    if isinstance(start_indices, (list, tuple)) and builtins.all(isinstance(s, int) for s in start_indices):
        return inputs[tuple(builtins.slice(start, start + length) for start, length in zip(start_indices, shape))]
    start_indices = _tensor_of(start_indices, inputs).to(torch.int64)
    for dim, length in enumerate(shape):
        inputs = torch.narrow(inputs, dim, start_indices[dim], length)
    return inputs


def unstack(x, num=None, axis=0):
    return x.unbind(axis)


# -------------------------------------------------------------------------------------- more nn


def sparse_sigmoid(x):
    return torch.where(x <= -1, torch.tensor(0.0, device=x.device, dtype=x.dtype),
                       torch.where(x >= 1, torch.tensor(1.0, device=x.device, dtype=x.dtype), 0.5 * (x + 1)))


def sparse_plus(x):
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, (1 / 4) * (x + 1) ** 2, x))


def squareplus(x, b=4):
    return (x + torch.sqrt(x ** 2 + _as_tensor(b, x))) / 2


def tanh_shrink(x):
    return F.tanhshrink(x)


def hard_tanh(x):
    return F.hardtanh(x, min_val=-1.0, max_val=1.0)


def soft_shrink(x, threshold=0.5):
    return F.softshrink(x, lambd=threshold)


def hard_shrink(x, threshold=0.5):
    return F.hardshrink(x, lambd=threshold)


def threshold(x, threshold, default_value):
    return F.threshold(x, threshold=threshold, value=default_value)


def sparsemax(x, axis=-1):
    return activations.sparsemax(x, axis=axis)


def mish(x):
    """`keras.activations.mish` (the `Mish` operation of `keras.src.activations.activations`)."""
    return activations.mish(x)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise ValueError("Unsupported value `sparse=True` with torch backend")
    x = x.long()
    # Negative ids give all-zero rows, as in Keras.
    output = F.one_hot(torch.clamp(x, min=0), num_classes)
    output = torch.where(x.unsqueeze(-1) >= 0, output, torch.zeros((), dtype=torch.long, device=x.device))
    if dtype is not None:
        output = output.to(torch_dtype(dtype))
    dims = output.dim()
    if axis != -1 and axis != dims:
        order = list(range(dims))
        order[axis] = -1
        for ax in range(axis + 1, dims):
            order[ax] -= 1
        output = output.permute(order)
    return output


_EPSILON = 1e-7  # Keras's default `backend.epsilon()`


def normalize(x, axis=-1, order=2, epsilon=None):
    if not isinstance(order, int) or not order >= 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    if x.dim() == 0:
        x = x.unsqueeze(0)
    if epsilon is None:
        epsilon = _EPSILON
    if order == 2:  # Keras: x * rsqrt(sum(x**2)), the inverse norm capped at 1 / epsilon
        inv_norm = minimum(torch.rsqrt(sum(square(x), axis=axis, keepdims=True)), 1.0 / epsilon)
        return x * inv_norm
    denom = maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon)
    return divide(x, denom)


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

for _class_name, _fn in [
    ("Log2", log2), ("Log10", log10), ("Tan", tan), ("Arcsin", arcsin), ("Arccos", arccos), ("Arctan", arctan),
    ("Sinh", sinh), ("Cosh", cosh), ("Arcsinh", arcsinh), ("Arccosh", arccosh), ("Arctanh", arctanh),
    ("Isnan", isnan), ("Isinf", isinf), ("Isfinite", isfinite), ("Trunc", trunc), ("Exp2", exp2),
    ("Arctan2", arctan2), ("Logaddexp", logaddexp), ("Dot", dot),
]:
    _register(_class_name, NUMPY, _fn)
_register("Amax", NUMPY, amax, **_REDUCTION)
_register("Amin", NUMPY, amin, **_REDUCTION)
_register("Round", NUMPY, round, decimals=0)
_register("Tril", NUMPY, tril, k=0)
_register("Triu", NUMPY, triu, k=0)
_register("Roll", NUMPY, roll, shift=REQUIRED, axis=None)
_register("Diff", NUMPY, diff, n=1, axis=-1)
_register("Einsum", NUMPY, einsum, subscripts=REQUIRED)
_register("Tensordot", NUMPY, tensordot, axes=2)
_register("Cumsum", NUMPY, cumsum, axis=None, dtype=None)
_register("Cumprod", NUMPY, cumprod, axis=None, dtype=None)
_register("Average", NUMPY, average, axis=None)
_register("Median", NUMPY, median, axis=None, keepdims=False)
_register("Quantile", NUMPY, quantile, axis=None, method="linear", keepdims=False)
_register("Sort", NUMPY, sort, axis=-1)
_register("Argsort", NUMPY, argsort, axis=-1)
_register("Split", NUMPY, split, indices_or_sections=REQUIRED, axis=0)
_register("Pad", NUMPY, pad, pad_width=REQUIRED, mode="constant")
_register("Take", NUMPY, take, axis=None)
_register("TakeAlongAxis", NUMPY, take_along_axis, axis=None)
_register("Repeat", NUMPY, repeat, repeats=REQUIRED, axis=None)
_register("BroadcastTo", NUMPY, broadcast_to, shape=REQUIRED)

for _class_name, _fn in [("SparseSigmoid", sparse_sigmoid), ("SparsePlus", sparse_plus),
                         ("TanhShrink", tanh_shrink), ("HardTanh", hard_tanh)]:
    _register(_class_name, NN, _fn)
_register("Squareplus", NN, squareplus, b=4)
_register("SoftShrink", NN, soft_shrink, threshold=0.5)
_register("HardShrink", NN, hard_shrink, threshold=0.5)
_register("Threshold", NN, threshold, threshold=REQUIRED, default_value=REQUIRED)
_register("Sparsemax", NN, sparsemax, axis=-1)
_register("OneHot", NN, one_hot, num_classes=REQUIRED, axis=-1, dtype=None, sparse=False)
_register("Normalize", NN, normalize, axis=-1, order=2, epsilon=None)

_register("Slice", CORE, slice, shape=REQUIRED)
_register("Unstack", CORE, unstack, num=None, axis=0)

_register("Rsqrt", MATH, rsqrt)
_register("Erf", MATH, erf)
_register("Logsumexp", MATH, logsumexp, axis=None, keepdims=False)
_register("Erfinv", MATH, erfinv)
_register("TopK", MATH, top_k, k=REQUIRED, sorted=True)

_register("Norm", LINALG, norm, ord=None, axis=None, keepdims=False)

_register("ReLU", ACTIVATIONS, relu_activation, negative_slope=0.0, max_value=None, threshold=0.0)
_register("Mish", ACTIVATIONS, mish)

del _class_name, _fn
