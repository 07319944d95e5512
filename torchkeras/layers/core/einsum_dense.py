"""`EinsumDense`: a dense layer whose computation is an arbitrary `einsum(equation, inputs, kernel)`."""

import copy
import re

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.initializers.random_initializers import VarianceScaling
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer

_EQUATION_FORMS = (
    # (regex on the equation with "..." replaced by "0", left_elided)
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$"), True),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$"), False),
)


def _split_equation(equation):
    """Returns `(input_spec, weight_spec, output_spec, left_elided)`, or raises Keras's error."""
    if isinstance(equation, str):
        dot_replaced = equation.replace("...", "0")
        for pattern, left_elided in _EQUATION_FORMS:
            match = pattern.match(dot_replaced)
            if match:
                return match.group(1), match.group(2), match.group(3), left_elided
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z].... "
        f"Received: equation={equation!r}"
    )


def analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """Keras's `_analyze_einsum_string`: kernel shape, bias shape, full output shape, input and output
    axes of the kernel, from the equation, the input shape and the partial output shape."""
    input_spec, weight_spec, output_spec, left_elided = _split_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0 and not left_elided:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])

    if left_elided:
        input_dim_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: (i + elided) for i, dim in enumerate(output_spec)}
    else:
        input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i for i, dim in enumerate(output_spec)}

    for dim in input_spec:
        input_shape_at_dim = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            output_shape_at_dim = output_shape[output_dim_map[dim]]
            if output_shape_at_dim is not None and output_shape_at_dim != input_shape_at_dim:
                raise ValueError(
                    "Input shape and output shape do not match at shared "
                    f"dimension '{dim}'. Input shape is {input_shape_at_dim}, "
                    f"and output shape is {output_shape[output_dim_map[dim]]}. "
                    f"Received: input_shape={input_shape}, equation={equation!r}"
                )
            if output_shape_at_dim is None:
                # Unlike Keras, a dimension the output shares with the input takes its size, so
                # symbolic shapes are as precise as the real ones.
                output_shape[output_dim_map[dim]] = input_shape_at_dim

    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{weight_spec}'. Received: equation={equation!r}"
            )

    weight_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dim_map:
            weight_shape.append(output_shape[output_dim_map[dim]])
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight "
                f"must be fully specified. Received: equation={equation!r}"
            )

    if bias_axes is not None:
        num_left_elided = elided if left_elided else 0
        idx_map = {char: output_shape[i + num_left_elided] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(
                    f"Bias dimension '{char}' was requested, but is not part of the output spec "
                    f"'{output_spec}'. Received: bias_axes={bias_axes!r}"
                )
        first_bias_location = min(output_spec.find(char) for char in bias_axes)
        bias_output_spec = output_spec[first_bias_location:]
        bias_shape = [idx_map[char] if char in bias_axes else 1 for char in bias_output_spec]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    else:
        bias_shape = None
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


@keras_export("keras.layers.EinsumDense")
class EinsumDense(Layer):
    """A layer that uses `einsum` as the backing computation.

    `output = activation(einsum(equation, inputs, kernel) + bias)`, where the kernel's shape follows from
    the equation, the input shape and `output_shape`.

    Args:
        equation: An einsum equation of the form `ab,bc->ac`, `...ab,bc->...ac` or `ab...,bc->ac...`.
        output_shape: The expected shape of the output, excluding the batch dimension and any
            dimensions represented by ellipses; `None` for a dimension inferred from the input. An
            integer means a rank-1 output shape.
        activation: Activation name or function; `None` means linear.
        bias_axes: A string of output-spec characters the bias is applied over; `None` for no bias.
        kernel_initializer: Initializer for the kernel. A variance-scaling initializer (the default
            `glorot_uniform` among them) computes its fans from the kernel's input and output axes.
        bias_initializer: Initializer for the bias.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape:
        N-D tensor whose rank matches the equation's input spec (plus elided dimensions).

    Output shape:
        `(batch_size, *output_shape)` with the elided dimensions in place.

    Example:

    >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(torch.zeros(2, 32, 128)).shape
    torch.Size([2, 32, 64])
    """

    _non_floating_inputs = "promote"

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        input_spec, weight_spec, output_spec, _ = _split_equation(equation)
        for dim in weight_spec:
            if dim not in input_spec and dim not in output_spec:
                raise ValueError(
                    f"Weight dimension '{dim}' did not have a match in either the input spec "
                    f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight "
                    f"must be fully specified. Received: equation={equation!r}"
                )
        for dim in output_spec:
            if dim not in input_spec and dim not in weight_spec:
                raise ValueError(
                    f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                    f"corresponding dim in the input spec '{input_spec}' or weight spec "
                    f"'{weight_spec}'. Received: equation={equation!r}"
                )
        if isinstance(output_shape, bool):
            raise TypeError(
                "Argument `output_shape` must be an integer or a tuple of integers (or `None`). "
                f"Received: output_shape={output_shape!r}"
            )
        if isinstance(output_shape, int):
            partial_output_shape = (output_shape,)
        else:
            try:
                partial_output_shape = tuple(output_shape)
            except TypeError:
                raise TypeError(
                    "Argument `output_shape` must be an integer or a tuple of integers (or `None`). "
                    f"Received: output_shape={output_shape!r}"
                ) from None
        for dim in partial_output_shape:
            if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0):
                raise ValueError(
                    "Argument `output_shape` must contain positive integers or `None`. "
                    f"Received: output_shape={output_shape!r}"
                )
        if bias_axes is not None:
            if not isinstance(bias_axes, str):
                raise TypeError(
                    f"Argument `bias_axes` must be a string or None. Received: bias_axes={bias_axes!r}"
                )
            for char in bias_axes:
                if char not in output_spec:
                    raise ValueError(
                        f"Bias dimension '{char}' was requested, but is not part of the output spec "
                        f"'{output_spec}'. Received: bias_axes={bias_axes!r}"
                    )
        if lora_rank is not None or quantization_config is not None or gptq_unpacked_column_size:
            raise ValueError(
                "torchkeras's EinsumDense does not support LoRA or quantization yet. "
                f"Received: lora_rank={lora_rank}, quantization_config={quantization_config}, "
                f"gptq_unpacked_column_size={gptq_unpacked_column_size}"
            )
        self.equation = equation
        self.partial_output_shape = partial_output_shape
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = None
        self.lora_alpha = None
        self.lora_enabled = False
        self.quantization_config = None
        self._declare_weight("kernel")
        if bias_axes is not None:
            self._declare_weight("bias")
        else:
            self.bias = None
        self._apply_activation = self.activation is not activations.linear

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if any(d is None for d in kernel_shape) or (bias_shape and any(d is None for d in bias_shape)):
            raise ValueError(
                f"EinsumDense layer '{self.name}' cannot infer its weight shapes: the kernel would be "
                f"{tuple(kernel_shape)}. Give the unknown input dimensions or `output_shape`. "
                f"Received: input_shape={input_shape}, output_shape={self.partial_output_shape}"
            )
        # Keras checks the rank; the sizes the kernel is built for are checked too, so a wrong input
        # raises a ValueError naming the layer rather than an einsum error.
        input_spec_chars, weight_spec, _, left_elided = _split_equation(self.equation)
        offset = len(input_shape) - len(input_spec_chars) if left_elided else 0
        axes = {}
        for i, dim in enumerate(input_spec_chars):
            if dim in weight_spec and input_shape[i + offset] is not None:
                axes[i + offset] = input_shape[i + offset]
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, VarianceScaling) and (
            kernel_initializer.input_axes is None or kernel_initializer.output_axes is None
        ):
            # As Keras: fans come from the kernel's input and output axes. A shallow copy keeps the
            # seed (and a stateful generator) of the user's initializer.
            kernel_initializer = copy.copy(kernel_initializer)
            kernel_initializer.input_axes = input_axes
            kernel_initializer.output_axes = output_axes
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(kernel_shape), initializer=kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs):
        outputs = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        if self._apply_activation:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        _, _, full_output_shape, _, _ = analyze_einsum_string(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        return tuple(full_output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        })
        return config
