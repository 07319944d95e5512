"""`BaseConvTranspose`: the N-D transposed convolution shared by `Conv1DTranspose`/`2D`/`3D`.

Numerics follow Keras 3's torch backend (`keras.src.backend.torch.nn.conv_transpose`): the output window is
the "natural" torch output (`(n - 1) * stride + effective_kernel`) cropped on the left and right by the
amounts `compute_conv_transpose_output_crops_for_torch` gives (negative amounts extend with zeros). Here the
crop is folded into torch's own `padding` / `output_padding` arguments whenever they can express it, so the
common cases run as one `F.conv_transposeNd` call with a fused bias and no slicing.

Kernel layout: Keras stores the kernel as `(*kernel_size, filters, in_channels)`; torch's
`conv_transposeNd` wants `(in_channels, filters, *kernel_size)`. The parameter has Keras's shape (so
`get_weights`, `state_dict` and weight paths match Keras), but its memory is laid out contiguously in torch's
order: the parameter is a permuted view of a torch-contiguous tensor, and `call` permutes it back, which is
free (a contiguous view, no copy per call).
"""

import numbers

import torch
import torch.nn.functional as F

from torchkeras import activations, backend, constraints, initializers, regularizers
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer

_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _standardize_tuple(value, n, name, allow_zero=False):
    """An int or an iterable of `n` ints -> a tuple of `n` ints, checked as Keras checks it."""
    error_msg = f"The `{name}` argument must be a tuple of {n} integers. Received: {name}={value}"
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
        for v in value_tuple:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise ValueError(f"{error_msg}, including element {v} of type {type(v)}")
        value_tuple = tuple(int(v) for v in value_tuple)
    if allow_zero:
        bad, requirement = {v for v in value_tuple if v < 0}, ">= 0"
    else:
        bad, requirement = {v for v in value_tuple if v <= 0}, "> 0"
    if bad:
        raise ValueError(f"{error_msg}, including values {bad} that do not satisfy `value {requirement}`")
    return value_tuple


def _standardize_padding(value):
    if not isinstance(value, str) or value.lower() not in {"valid", "same"}:
        raise ValueError(
            f"The `padding` argument must be one of {{'valid', 'same'}}. Received: padding={value}"
        )
    return value.lower()


def keras_to_jax_pads(kernel_size, stride, dilation_rate, padding, output_padding):
    """Keras's `_convert_conv_transpose_padding_args_from_keras_to_jax`: (left_pad, right_pad) of one axis."""
    kernel_size = (kernel_size - 1) * dilation_rate + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        pad_len = stride + kernel_size - 2  # output size `n * stride`
    else:
        pad_len = kernel_size + kernel_size % 2 - 2 + output_padding
    left_pad = min(pad_len // 2 + pad_len % 2, kernel_size - 1)
    return left_pad, pad_len - left_pad


def conv_transpose_crops(kernel_size, strides, padding, output_padding, dilation_rate):
    """Keras's `compute_conv_transpose_output_crops_for_torch`: per axis, (left, right) crop of the natural
    torch output `(n - 1) * stride + effective_kernel`; a negative crop extends with zeros."""
    crops = []
    for i, (k, s, d) in enumerate(zip(kernel_size, strides, dilation_rate)):
        op = None if output_padding is None else output_padding[i]
        left_pad, right_pad = keras_to_jax_pads(k, s, d, padding, op)
        effective = (k - 1) * d + 1
        crops.append((effective - 1 - left_pad, effective - 1 - right_pad))
    return tuple(crops)


def conv_transpose_output_length(size, kernel_size, stride, padding, output_padding, dilation_rate):
    """Keras's `_get_output_shape_given_tf_padding` for one axis (`None` stays `None`)."""
    if size is None:
        return None
    kernel_size = (kernel_size - 1) * dilation_rate + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel_size, stride) - kernel_size
        return (size - 1) * stride + kernel_size + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + kernel_size % 2 + output_padding


def torch_conv_transpose_plan(crops, strides, dilation_rate):
    """Splits the crops into torch's `padding`/`output_padding` plus what is left to slice or zero-pad.

    Torch's output is the natural one with `padding` cropped from both sides and `output_padding` added
    back on the right (real values inside the natural window, zeros beyond it), so a crop `(l, r)` with
    `0 <= l - r < max(stride, dilation)` is exactly `padding=l, output_padding=l - r`. Otherwise torch
    crops `max(0, min(l, r))` from both sides and the rest is sliced (or zero-padded) afterwards.

    Returns `(padding, output_padding, rest)` where `rest` is `None` when nothing is left to do.
    """
    paddings, output_paddings, rest = [], [], []
    for (left, right), s, d in zip(crops, strides, dilation_rate):
        if left >= 0 and 0 <= left - right < max(s, d):
            paddings.append(left)
            output_paddings.append(left - right)
            rest.append((0, 0))
        else:
            p = max(0, min(left, right))
            paddings.append(p)
            output_paddings.append(0)
            rest.append((left - p, right - p))
    if all(r == (0, 0) for r in rest):
        rest = None
    return tuple(paddings), tuple(output_paddings), rest


def _torch_kernel_permutation(rank):
    """Keras `(*k, out, in)` -> torch `(in, out, *k)`."""
    return (rank + 1, rank) + tuple(range(rank))


def _keras_kernel_permutation(rank):
    """Torch `(in, out, *k)` -> Keras `(*k, out, in)` (the inverse of `_torch_kernel_permutation`)."""
    return tuple(range(2, rank + 2)) + (1, 0)


class BaseConvTranspose(Layer):
    """Abstract N-D transposed convolution (Keras's `BaseConvTranspose`).

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        filters: Positive int, the number of output channels.
        kernel_size: Int or tuple of `rank` ints, the window size.
        strides: Int or tuple of `rank` ints. `strides > 1` is incompatible with `dilation_rate > 1`.
        padding: `"valid"` or `"same"` (case-insensitive).
        output_padding: `None`, or an int / tuple of `rank` ints, each strictly less than its stride:
            extra size added on the right/bottom of the output.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Int or tuple of `rank` ints.
        activation: Activation name or function; `None` means linear.
        use_bias: Whether a `(filters,)` bias is added.
        kernel_initializer, bias_initializer: Initializers (`glorot_uniform`, `zeros` by default).
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Weights:
        `kernel` of shape `(*kernel_size, filters, in_channels)`, then `bias` of shape `(filters,)`.
    """

    _non_floating_inputs = "reject"

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(
                "Invalid value for argument `filters`. Expected a strictly positive integer. "
                f"Received: filters={filters}"
            )
        self.filters = int(filters)
        self.kernel_size = _standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = _standardize_tuple(strides, rank, "strides")
        self.dilation_rate = _standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = _standardize_padding(padding)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = _standardize_tuple(output_padding, rank, "output_padding", allow_zero=True)
        self.data_format = backend.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if self.output_padding is not None:
            for i, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError(
                        "`output_padding` must be strictly less than `strides` for all dimensions. "
                        f"At dimension {i}, `output_padding` is {op} but `strides` is {s}. "
                        f"Received: output_padding={self.output_padding}, strides={self.strides}"
                    )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.input_spec = InputSpec(ndim=rank + 2)
        self._declare_weight("kernel")
        if self.use_bias:
            self._declare_weight("bias")
        else:
            self.bias = None
        self._apply_activation = self.activation is not activations.linear
        # Everything `call` needs is fixed by the constructor arguments: work it out once.
        self._channels_last = self.data_format == "channels_last"
        self._conv = _CONV_TRANSPOSE[rank]
        self._to_torch_kernel = _torch_kernel_permutation(rank)
        self._to_channels_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_channels_last = (0,) + tuple(range(2, rank + 2)) + (1,)
        crops = conv_transpose_crops(self.kernel_size, self.strides, self.padding, self.output_padding,
                                     self.dilation_rate)
        self._torch_padding, self._torch_output_padding, self._rest_crops = torch_conv_transpose_plan(
            crops, self.strides, self.dilation_rate)
        self._zero_extends = self._rest_crops is not None and any(
            left < 0 or right < 0 for left, right in self._rest_crops)

    def build(self, input_shape):
        channel_axis = -1 if self.data_format == "channels_last" else 1
        input_channel = input_shape[channel_axis]
        if input_channel is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer '{self.name}' must be "
                f"known. Received: input_shape={tuple(input_shape)}"
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis: input_channel})
        kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (self.filters, input_channel),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._lay_out_kernel_for_torch(kernel)
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def _lay_out_kernel_for_torch(self, kernel):
        """Keeps the Keras-shaped parameter but makes its memory torch-contiguous `(in, out, *k)`."""
        with torch.no_grad():
            torch_layout = kernel.detach().permute(self._to_torch_kernel).contiguous()
            kernel.data = torch_layout.permute(_keras_kernel_permutation(self.rank))

    def call(self, inputs):
        if self._channels_last:
            inputs = inputs.permute(self._to_channels_first)  # a view: NHWC memory is torch channels_last
        kernel = self.kernel.permute(self._to_torch_kernel)  # contiguous view, see the module docstring
        fuse_bias = not self._zero_extends
        outputs = self._conv(inputs, kernel, self.bias if fuse_bias else None, self.strides,
                             self._torch_padding, self._torch_output_padding, 1, self.dilation_rate)
        if self._rest_crops is not None:
            outputs = self._crop_or_zero_extend(outputs)
        if not fuse_bias and self.bias is not None:
            outputs = outputs + self.bias.view((1, self.filters) + (1,) * self.rank)
        if self._channels_last:
            outputs = outputs.permute(self._to_channels_last)
        if self._apply_activation:
            outputs = self.activation(outputs)
        return outputs

    def _crop_or_zero_extend(self, outputs):
        slices = [slice(None), slice(None)]
        for left, right in self._rest_crops:
            slices.append(slice(max(0, left), -right if right > 0 else None))
        outputs = outputs[tuple(slices)]
        if self._zero_extends:
            pads = []
            for left, right in reversed(self._rest_crops):
                pads.extend([max(0, -left), max(0, -right)])
            outputs = F.pad(outputs, pads)
        return outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = [
            conv_transpose_output_length(spatial[i], self.kernel_size[i], self.strides[i], self.padding,
                                         None if self.output_padding is None else self.output_padding[i],
                                         self.dilation_rate[i])
            for i in range(self.rank)
        ]
        if self.data_format == "channels_last":
            return (input_shape[0], *out, self.filters)
        return (input_shape[0], self.filters, *out)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
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
