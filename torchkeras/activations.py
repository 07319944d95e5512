"""Activation functions on torch tensors, as in `keras.activations` (Keras 3.15).

Same names, signatures and defaults as Keras; fused torch kernels are used where they compute
the same function as Keras's torch backend.
"""

import types

import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.api_export import keras_export


def _tensor(x):
    return x if isinstance(x, torch.Tensor) else backend.convert_to_tensor(x)


@keras_export("keras.activations.relu")
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, `max(x, 0)` with Keras's optional extensions.

    Args:
        x: Input tensor.
        negative_slope: Slope for values below `threshold`.
        max_value: Optional saturation value (largest value returned).
        threshold: Values below it are damped (`negative_slope`) or set to 0.
    """
    x = _tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return F.leaky_relu(x, negative_slope=negative_slope)
        if threshold != 0:
            negative_part = F.relu(-x + threshold)
        else:
            negative_part = F.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = torch.where(x > torch.as_tensor(threshold, dtype=x.dtype), x, torch.zeros((), dtype=x.dtype, device=x.device))
    elif max_value == 6:
        x = F.relu6(x)
        clip_max = False
    else:
        x = F.relu(x)
    if clip_max:
        x = torch.clip(
            x,
            torch.as_tensor(0.0, dtype=x.dtype, device=x.device),
            torch.as_tensor(max_value, dtype=x.dtype, device=x.device),
        )
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


@keras_export("keras.activations.leaky_relu")
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `x` if `x >= 0` else `negative_slope * x`.

    Args:
        x: Input tensor.
        negative_slope: Slope for negative values.
    """
    return F.leaky_relu(_tensor(x), negative_slope=negative_slope)


@keras_export("keras.activations.relu6")
def relu6(x):
    """ReLU capped at 6: `min(max(x, 0), 6)`."""
    return F.relu6(_tensor(x))


def _softmax_like(fn, x, axis):
    x = _tensor(x)
    dtype = x.dtype
    if x.device.type == "cpu" and dtype == torch.float16:
        x = x.float()
    if isinstance(axis, (tuple, list)):
        axis = tuple(a % x.ndim for a in axis)
        keep = [v for v in range(x.ndim) if v not in axis]
        transposed = x.permute(*keep, *axis)
        out = fn(transposed.reshape(*[x.shape[v] for v in keep], -1), dim=-1)
        out = out.reshape(transposed.shape)
        combined = [*keep, *axis]
        out = out.permute(*sorted(range(len(combined)), key=combined.__getitem__))
    elif axis is None:
        out = fn(x.reshape(-1), dim=-1).reshape(x.shape)
    else:
        out = fn(x, dim=axis)
    return out if out.dtype == dtype else out.to(dtype)


@keras_export("keras.activations.softmax")
def softmax(x, axis=-1):
    """Softmax, `exp(x) / sum(exp(x))` along `axis`.

    Args:
        x: Input tensor.
        axis: Integer (or tuple of integers, or `None` for all axes) along
            which the softmax is applied.
    """
    return _softmax_like(F.softmax, x, axis)


@keras_export("keras.activations.elu")
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0` else `alpha * (exp(x) - 1)`.

    Args:
        x: Input tensor.
        alpha: Scale of the negative section.
    """
    return F.elu(_tensor(x), alpha)


@keras_export("keras.activations.selu")
def selu(x):
    """Scaled exponential linear unit (`alpha=1.67326324`, `scale=1.05070098`)."""
    return F.selu(_tensor(x))


@keras_export("keras.activations.softplus")
def softplus(x):
    """Softplus, `log(exp(x) + 1)`."""
    return F.softplus(_tensor(x))


@keras_export("keras.activations.softsign")
def softsign(x):
    """Softsign, `x / (abs(x) + 1)`."""
    return F.softsign(_tensor(x))


@keras_export("keras.activations.soft_shrink")
def soft_shrink(x, threshold=0.5):
    """Soft shrink: `x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0.

    Args:
        x: Input tensor.
        threshold: Threshold value.
    """
    return F.softshrink(_tensor(x), lambd=threshold)


@keras_export("keras.activations.sparse_plus")
def sparse_plus(x):
    """SparsePlus: 0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`."""
    x = _tensor(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, (1 / 4) * (x + 1) ** 2, x))


@keras_export("keras.activations.silu", "keras.activations.swish")
def silu(x):
    """Swish (SiLU), `x * sigmoid(x)`."""
    return F.silu(_tensor(x))


@keras_export("keras.activations.squareplus")
def squareplus(x, b=4):
    """Squareplus, `(x + sqrt(x**2 + b)) / 2`.

    Args:
        x: Input tensor.
        b: Smoothness parameter.
    """
    x = _tensor(x)
    return (x + torch.sqrt(x**2 + b)) / 2


@keras_export("keras.activations.gelu")
def gelu(x, approximate=False):
    """Gaussian error linear unit, `x * P(X <= x)` with `X ~ N(0, 1)`.

    Args:
        x: Input tensor.
        approximate: Whether to use the tanh approximation. Defaults to
            `False` (exact erf form), as in Keras 3.15.
    """
    return F.gelu(_tensor(x), approximate="tanh" if approximate else "none")


@keras_export("keras.activations.celu")
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `x` if `x >= 0` else `alpha * (exp(x / alpha) - 1)`.

    Args:
        x: Input tensor.
        alpha: The alpha value of the CeLU formulation.
    """
    return F.celu(_tensor(x), alpha=alpha)


@keras_export("keras.activations.glu")
def glu(x, axis=-1):
    """Gated linear unit, `a * sigmoid(b)` with `x` split in halves `a, b` along `axis`.

    Args:
        x: Input tensor.
        axis: The axis along which to split the input.
    """
    return F.glu(_tensor(x), dim=axis)


@keras_export("keras.activations.tanh")
def tanh(x):
    """Hyperbolic tangent."""
    return torch.tanh(_tensor(x))


@keras_export("keras.activations.tanh_shrink")
def tanh_shrink(x):
    """Tanh shrink, `x - tanh(x)`."""
    return F.tanhshrink(_tensor(x))


@keras_export("keras.activations.hard_tanh")
def hard_tanh(x):
    """HardTanh: `x` clipped to `[-1, 1]`."""
    return F.hardtanh(_tensor(x), min_val=-1.0, max_val=1.0)


@keras_export("keras.activations.hard_shrink")
def hard_shrink(x, threshold=0.5):
    """Hard shrink: `x` if `|x| > threshold` else 0.

    Args:
        x: Input tensor.
        threshold: Threshold value.
    """
    return F.hardshrink(_tensor(x), lambd=threshold)


@keras_export("keras.activations.threshold")
def threshold(x, threshold, default_value):
    """Threshold: `x` if `x > threshold` else `default_value`.

    Args:
        x: Input tensor.
        threshold: The value that decides when to retain or replace `x`.
        default_value: Value to assign when `x <= threshold`.
    """
    return F.threshold(_tensor(x), threshold, default_value)


@keras_export("keras.activations.sigmoid")
def sigmoid(x):
    """Sigmoid, `1 / (1 + exp(-x))`."""
    return torch.sigmoid(_tensor(x))


@keras_export("keras.activations.exponential")
def exponential(x):
    """Exponential, `exp(x)`."""
    return torch.exp(_tensor(x))


@keras_export("keras.activations.hard_sigmoid")
def hard_sigmoid(x):
    """Hard sigmoid (Keras 3): 0 for `x <= -3`, 1 for `x >= 3`, else `x / 6 + 0.5`."""
    return F.hardsigmoid(_tensor(x))


@keras_export("keras.activations.log_sigmoid")
def log_sigmoid(x):
    """Log of the sigmoid, `log(1 / (1 + exp(-x)))`."""
    return F.logsigmoid(_tensor(x))


@keras_export("keras.activations.sparse_sigmoid")
def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for `x <= -1`, 1 for `x >= 1`, else `(x + 1) / 2`."""
    x = _tensor(x)
    zero = torch.tensor(0.0, device=x.device, dtype=x.dtype)
    one = torch.tensor(1.0, device=x.device, dtype=x.dtype)
    return torch.where(x <= -1, zero, torch.where(x >= 1, one, 0.5 * (x + 1)))


@keras_export("keras.activations.hard_silu", "keras.activations.hard_swish")
def hard_silu(x):
    """Hard SiLU (hard swish): 0 for `x < -3`, `x` for `x > 3`, else `x * (x + 3) / 6`."""
    return F.hardswish(_tensor(x))


@keras_export("keras.activations.linear")
def linear(x):
    """Linear (identity) activation: returns the input unmodified."""
    return x


@keras_export("keras.activations.mish")
def mish(x):
    """Mish, `x * tanh(softplus(x))`, computed as Keras computes it (torch's fused `F.mish` rounds
    differently, by up to an ulp)."""
    x = _tensor(x)
    return x * torch.tanh(F.softplus(x))


@keras_export("keras.activations.log_softmax")
def log_softmax(x, axis=-1):
    """Log-softmax along `axis`.

    Args:
        x: Input tensor.
        axis: Integer (or tuple, or `None`), the axis of the softmax.
    """
    return _softmax_like(F.log_softmax, x, axis)


@keras_export("keras.activations.sparsemax")
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along `axis`.

    Args:
        x: Input tensor.
        axis: Integer, the axis along which the projection is applied.
    """
    logits = _tensor(x)
    logits_sorted, _ = torch.sort(logits, dim=axis, descending=True)
    logits_cumsum = torch.cumsum(logits_sorted, dim=axis)
    r = torch.arange(1, logits.size(axis) + 1, device=logits.device, dtype=logits.dtype)
    r_shape = [1] * logits.ndim
    r_shape[axis] = -1
    r = r.view(r_shape)
    support = logits_sorted - (logits_cumsum - 1) / r > 0
    k = torch.sum(support, dim=axis, keepdim=True)
    logits_cumsum_safe = torch.where(support, logits_cumsum, torch.tensor(0.0, device=logits.device))
    tau = (torch.sum(logits_cumsum_safe, dim=axis, keepdim=True) - 1) / k
    return torch.clamp(logits - tau, min=0.0)


ALL_OBJECTS = (
    relu,
    leaky_relu,
    relu6,
    softmax,
    celu,
    elu,
    selu,
    softplus,
    softsign,
    squareplus,
    soft_shrink,
    sparse_plus,
    silu,
    gelu,
    glu,
    tanh,
    tanh_shrink,
    threshold,
    sigmoid,
    sparse_sigmoid,
    exponential,
    hard_sigmoid,
    hard_silu,
    hard_tanh,
    hard_shrink,
    linear,
    mish,
    log_softmax,
    log_sigmoid,
    sparsemax,
)
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in ALL_OBJECTS}
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu
swish = silu
hard_swish = hard_silu


@keras_export("keras.activations.serialize")
def serialize(activation):
    """Returns the name of a built-in activation, or the config of a custom one.

    Args:
        activation: An activation function (or callable object).
    """
    from torchkeras.saving import object_registration
    from torchkeras.saving import serialization

    fn_config = serialization.serialize_keras_object(activation)
    if not isinstance(fn_config, dict) or "config" not in fn_config:
        raise ValueError(
            f"Unknown activation function '{activation}' cannot be serialized due to an "
            "invalid function name. Use a built-in activation name or register custom "
            "activations with `@torchkeras.saving.register_keras_serializable()`. "
            f"Received: config={fn_config}"
        )
    if not isinstance(activation, types.FunctionType):
        return fn_config
    name = fn_config["config"]
    if isinstance(name, str) and ALL_OBJECTS_DICT.get(name) is activation:
        return name
    fn_config["config"] = object_registration.get_registered_name(activation)
    return fn_config


@keras_export("keras.activations.deserialize")
def deserialize(config, custom_objects=None):
    """Returns an activation function from its name or config."""
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


@keras_export("keras.activations.get")
def get(identifier):
    """Retrieves an activation function.

    Args:
        identifier: `None` (gives `linear`), a name (`"relu"`), a config
            dict, or a callable.
    """
    from torchkeras.saving import serialization

    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        obj = serialization.deserialize_keras_object(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. Expected "
        f"None, a callable, a config dict, or one of {sorted(ALL_OBJECTS_DICT)}."
    )
