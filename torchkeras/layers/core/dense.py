"""`Dense`: `activation(inputs @ kernel + bias)` on the last axis."""

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.convolutional.base_conv import relayout_weight
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Dense")
class Dense(Layer):
    """Densely-connected layer: `output = activation(dot(input, kernel) + bias)`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation name or function; `None` means linear.
        use_bias: Whether the layer adds a bias vector.
        kernel_initializer: Initializer for the `(input_dim, units)` kernel.
        bias_initializer: Initializer for the `(units,)` bias.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape:
        N-D tensor `(batch_size, ..., input_dim)`; the kernel acts on the last axis.

    Output shape:
        N-D tensor `(batch_size, ..., units)`.
    """

    _non_floating_inputs = "promote"

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        if lora_rank is not None or quantization_config is not None:
            raise ValueError(
                "torchkeras's Dense does not support LoRA or quantization yet. "
                f"Received: lora_rank={lora_rank}, quantization_config={quantization_config}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self._declare_weight("kernel")
        if self.use_bias:
            self._declare_weight("bias")
        else:
            self.bias = None
        self._apply_activation = self.activation is not activations.linear

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to Dense layer '{self.name}' must be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel", shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        # Keras's (in, out) shape in nn.Linear's (out, in) memory: the layout torch's GEMMs are tuned for
        # (on CPU, half-precision matmuls with an (in, out)-contiguous operand are several times slower).
        relayout_weight(self.kernel, (1, 0))
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        bias = self.bias
        if bias is not None and inputs.dim() == 2:
            outputs = torch.addmm(bias, inputs, self.kernel)  # one fused kernel, like nn.Linear
        else:
            outputs = torch.matmul(inputs, self.kernel)
            if bias is not None:
                outputs = outputs + bias
        if self._apply_activation:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        })
        return config
