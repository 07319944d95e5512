"""`BaseConv`: the shared body of Conv1D/2D/3D, and the convolution machinery (`ConvPlan`) that the
depthwise and separable convolutions share.

Numerics follow Keras's torch backend (`keras/src/backend/torch/nn.py`):

- Kernels are Keras-shaped: `(*kernel_size, in_channels // groups, filters)` (HWIO).
- `padding="same"` pads `total = (ceil(n / s) - 1) * s + (k - 1) * d + 1 - n` (at least 0; `(k - 1) * d`
  when `s == 1`) split as `left = total // 2`, `right = total - left`: the extra element goes right/bottom,
  and with `s > 1` the split depends on the input size. Symmetric padding is the convolution's own;
  asymmetric padding is an explicit zero pad (`F.pad`), as in Keras.
- `padding="causal"` (Conv1D only) pads `dilation * (k - 1)` zeros on the left.

Layout, without copies:

- `channels_last` data (NHWC) is torch's `channels_last` memory format seen through a permute, so the
  input is permuted to NCHW (a view), convolved, and the output permuted back (a view).
- The kernel Parameter has Keras's shape but the *memory* of the torch weight that the convolution wants,
  so `kernel.permute(...)` is that weight with no copy: for `channels_last` layers the torch weight is
  `channels_last` too (memory order O, spatial..., I: a `channels_last` input with an OIHW-contiguous
  weight makes torch copy the weight on every call), for `channels_first` layers it is OIHW-contiguous.
  `relayout_weight` sets this layout once, in `build()`; `copy_` (`set_weights`, `load_state_dict`),
  `.to()`, `deepcopy` and autograd's gradients all keep it.
- Conv1D runs as a 2D convolution of height 1 (`unsqueeze` is a view): torch's own `conv1d` copies a
  `channels_last` (N, L, C) input.
"""

import torch
import torch.nn.functional as F

from torchkeras import activations, backend, constraints, initializers, regularizers
from torchkeras.layers import call_context
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer

_HALF_DTYPES = (torch.float16, torch.bfloat16)
_TORCH_CONV = {2: F.conv2d, 3: F.conv3d}


# ---------------------------------------------------------------------------------------------- arguments

def standardize_tuple(value, n, name, allow_zero=False):
    """`value` (an int or `n` ints) as a tuple of `n` positive (or non-negative) ints, as Keras's
    `standardize_tuple`; the message names the argument and what was received."""
    expected = f"an integer or a tuple/list of {n} integers {'>= 0' if allow_zero else '> 0'}"
    message = f"The `{name}` argument must be {expected}. Received: {name}={value!r}"
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
        try:
            if any(isinstance(v, bool) or int(v) != v for v in values):
                raise TypeError
            values = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise ValueError(message) from None
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        raise ValueError(message)
    return values


def standardize_padding(value, allow_causal=False):
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {list(allowed)}. Received: padding={value!r}"
        )
    return padding


def check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly positive integer. "
            f"Received: {name}={value!r}"
        )
    return value


def same_padding(size, kernel, stride, dilation):
    """Keras's `(left, right)` padding of one axis for `padding="same"`."""
    effective = (kernel - 1) * dilation + 1
    if stride == 1:
        total = effective - 1
    else:
        total = max(0, ((size + stride - 1) // stride - 1) * stride + effective - size)
    return total // 2, total - total // 2


def conv_output_shape(layer, input_shape, channels_out):
    """Keras's `compute_conv_output_shape`, with errors that name the layer and the arguments."""
    input_shape = tuple(input_shape)
    rank = layer.rank
    if len(input_shape) != rank + 2:
        raise ValueError(
            f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) must have rank {rank + 2} "
            f"(batch, {'spatial..., channels' if layer.data_format == 'channels_last' else 'channels, spatial...'}). "
            f"Received: input_shape={input_shape}"
        )
    spatial = input_shape[1:-1] if layer.data_format == "channels_last" else input_shape[2:]
    out = []
    for n, k, s, d in zip(spatial, layer.kernel_size, layer.strides, layer.dilation_rate):
        if n is None:
            out.append(None)
        elif layer.padding == "valid":
            size = (n - d * (k - 1) - 1) // s + 1
            if size <= 0:
                raise ValueError(
                    f"Layer '{layer.name}': computed output size would be zero or negative: the "
                    f"(dilated) kernel is larger than the valid-padded input. Received: "
                    f"input_shape={input_shape}, kernel_size={layer.kernel_size}, "
                    f"dilation_rate={layer.dilation_rate}, strides={layer.strides}, padding='valid'"
                )
            out.append(size)
        else:
            out.append((n - 1) // s + 1)
    if layer.data_format == "channels_last":
        return (input_shape[0],) + tuple(out) + (channels_out,)
    return (input_shape[0], channels_out) + tuple(out)


def input_channels(layer, input_shape):
    channels = input_shape[-1] if layer.data_format == "channels_last" else input_shape[1]
    if channels is None:
        raise ValueError(
            f"The channel dimension of the inputs to layer '{layer.name}' ({type(layer).__name__}) must "
            f"be known. Received: input_shape={tuple(input_shape)}"
        )
    return channels


def relayout_weight(tensor, memory_order):
    """Gives the weight `tensor` (a Parameter or buffer, Keras-shaped) the memory of a tensor whose
    dimensions, outermost first, are `tensor`'s dimensions `memory_order`; values kept, same object."""
    shape = tensor.shape
    with torch.no_grad():
        storage = torch.empty([shape[d] for d in memory_order], dtype=tensor.dtype, device=tensor.device)
        inverse = [memory_order.index(d) for d in range(len(memory_order))]
        view = storage.permute(inverse)
        if not call_context.skipping_initializers():  # else the values are overwritten from a file next
            view.copy_(tensor)
        tensor.data = view
    return tensor


# ---------------------------------------------------------------------------------------------- execution

class ConvPlan:
    """Everything about one convolution that is fixed once the layer is configured: layout changes,
    torch strides/dilation, and padding (static, or computed from the input size for `same` with
    strides > 1). Calls add no copies beyond the explicit pad that asymmetric padding needs."""

    def __init__(self, rank, data_format, kernel_size, strides, padding, dilation_rate):
        self.rank = rank
        self.channels_last = data_format == "channels_last"
        self.as_2d = rank == 1  # Conv1D runs as a 2D convolution of height 1
        lead = (1,) if self.as_2d else ()
        self.conv = _TORCH_CONV[rank + len(lead)]
        self.stride = lead + tuple(strides)
        self.dilation = lead + tuple(dilation_rate)
        self.kernel_size = tuple(kernel_size)
        self.strides = tuple(strides)
        self.dilation_rate = tuple(dilation_rate)
        self.dynamic = False
        self.explicit_pad = None  # F.pad argument (last axis first), or None
        self.conv_padding = 0
        if padding == "causal":
            self.explicit_pad = (dilation_rate[0] * (kernel_size[0] - 1), 0)
        elif padding == "same":
            if any(s > 1 for s in strides):
                self.dynamic = True
            else:
                self._set_same_padding([same_padding(0, k, 1, d) for k, d in zip(kernel_size, dilation_rate)])
        nd = rank + 2 + len(lead)
        self.to_cf = (0, nd - 1) + tuple(range(1, nd - 1))
        self.to_cl = (0,) + tuple(range(2, nd)) + (1,)

    def _set_same_padding(self, pads):
        if all(left == right for left, right in pads):
            self.conv_padding = ((0,) if self.as_2d else ()) + tuple(left for left, _ in pads)
            self.explicit_pad = None
        else:
            self.conv_padding = 0
            self.explicit_pad = tuple(p for pad in reversed(pads) for p in pad)

    def to_torch(self, x):
        """Keras-layout inputs -> torch NC(D)HW view."""
        if self.as_2d:
            x = x.unsqueeze(1 if self.channels_last else 2)
        return x.permute(self.to_cf) if self.channels_last else x

    def from_torch(self, y):
        """torch NC(D)HW outputs -> Keras-layout view."""
        if self.channels_last:
            y = y.permute(self.to_cl)
            return y.squeeze(1) if self.as_2d else y
        return y.squeeze(2) if self.as_2d else y

    def conv_torch(self, x, weight, bias, groups):
        """The convolution on torch-layout `x` with torch-layout `weight` (OI-spatial)."""
        padding = self.conv_padding
        if self.dynamic:
            spatial = x.shape[3:] if self.as_2d else x.shape[2:]
            pads = [same_padding(n, k, s, d) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
            if all(left == right for left, right in pads):
                padding = ((0,) if self.as_2d else ()) + tuple(left for left, _ in pads)
            else:
                x = F.pad(x, tuple(p for pad in reversed(pads) for p in pad))
                padding = 0
        elif self.explicit_pad is not None:
            x = F.pad(x, self.explicit_pad)
        if bias is not None and x.dtype in _HALF_DTYPES:
            # Half precision (mixed policies): Keras adds the bias after the convolution, rounding twice;
            # torch's fused bias rounds once. Unfused, the outputs are Keras's bit for bit.
            y = self.conv(x, weight, None, self.stride, padding, self.dilation, groups)
            return y + bias.to(y.dtype).view(-1, *([1] * (y.dim() - 2)))
        return self.conv(x, weight, bias, self.stride, padding, self.dilation, groups)

    def torch_weight(self, kernel):
        """Keras kernel `(*spatial, in, out)` -> torch weight `(out, in, *spatial)`, a view."""
        r = self.rank
        weight = kernel.permute((r + 1, r) + tuple(range(r)))
        return weight.unsqueeze(2) if self.as_2d else weight

    def conv_memory_order(self, rank=None):
        """Memory order (outermost first, in Keras kernel dimensions) of the torch weight this plan's
        convolution reads without a copy."""
        r = self.rank if rank is None else rank
        if self.channels_last:
            return (r + 1,) + tuple(range(r)) + (r,)
        return (r + 1, r) + tuple(range(r))


# ---------------------------------------------------------------------------------------------- layer

class BaseConv(Layer):
    """Abstract N-D convolution layer (Conv1D/2D/3D): `activation(conv(inputs, kernel) + bias)`.

    Args:
        rank: Number of spatial dimensions.
        filters: Positive integer, number of output channels.
        kernel_size: Int or tuple of `rank` ints, the window size.
        strides: Int or tuple of `rank` ints; `strides > 1` cannot go with `dilation_rate > 1`.
        padding: `"valid"`, `"same"` (extra padding right/bottom, as in Keras) or, for Conv1D, `"causal"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Int or tuple of `rank` ints.
        groups: Positive int dividing both the input channels and `filters`.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: As in Keras.

    Weights: `kernel` of shape `(*kernel_size, in_channels // groups, filters)`, `bias` of shape
    `(filters,)`.
    """

    _non_floating_inputs = "reject"

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None:
            raise ValueError(
                f"torchkeras's {type(self).__name__} does not support LoRA yet. Received: lora_rank={lora_rank}"
            )
        self.rank = rank
        self.filters = check_positive_int(filters, "filters")
        self.groups = check_positive_int(groups, "groups")
        if self.filters % self.groups != 0:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={self.groups}, filters={self.filters}."
            )
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=rank == 1)
        self.data_format = backend.standardize_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._plan = ConvPlan(rank, self.data_format, self.kernel_size, self.strides, self.padding,
                              self.dilation_rate)
        self._apply_activation = self.activation is not activations.linear
        self._declare_weight("kernel")
        if self.use_bias:
            self._declare_weight("bias")
        else:
            self.bias = None

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        if channels % self.groups != 0:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of groups. "
                f"Received: groups={self.groups}, but the input has {channels} channels "
                f"(full input shape is {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)  # validates the rank and the output size
        channel_axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis: channels})
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        relayout_weight(self.kernel, self._plan.conv_memory_order())
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs):
        plan = self._plan
        outputs = plan.from_torch(
            plan.conv_torch(plan.to_torch(inputs), plan.torch_weight(self.kernel), self.bias, self.groups))
        if self._apply_activation:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return conv_output_shape(self, input_shape, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
