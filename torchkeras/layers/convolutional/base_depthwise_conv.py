"""`BaseDepthwiseConv`: the shared body of DepthwiseConv1D/2D.

Each input channel is convolved with its own `depth_multiplier` filters (a grouped convolution with
`groups = channels`); output channel `c * depth_multiplier + m` comes from input channel `c`, as in Keras.
The kernel is Keras-shaped, `(*kernel_size, channels, depth_multiplier)`, with the memory of torch's
`(channels * depth_multiplier, 1, *kernel_size)` weight, so the call reads it as a view.
"""

from torchkeras import activations, backend, constraints, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import (ConvPlan, check_positive_int, conv_output_shape,
                                                      input_channels, relayout_weight, standardize_padding,
                                                      standardize_tuple)
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


def depthwise_torch_weight(plan, kernel):
    """Keras depthwise kernel `(*spatial, C, M)` -> torch weight `(C * M, 1, *spatial)`, a view."""
    r = plan.rank
    weight = kernel.permute((r, r + 1) + tuple(range(r)))
    weight = weight.reshape((weight.shape[0] * weight.shape[1], 1) + tuple(weight.shape[2:]))
    return weight.unsqueeze(2) if plan.as_2d else weight


def depthwise_memory_order(rank):
    return (rank, rank + 1) + tuple(range(rank))


class BaseDepthwiseConv(Layer):
    """Abstract N-D depthwise convolution: `activation(depthwise_conv(inputs, kernel) + bias)`.

    Args:
        rank: Number of spatial dimensions.
        depth_multiplier: Positive int, output channels per input channel.
        kernel_size, strides, dilation_rate: Int or tuple of `rank` ints.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
        bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint: As in Keras.

    Weights: `kernel` `(*kernel_size, channels, depth_multiplier)`, `bias` `(channels * depth_multiplier,)`.
    """

    _non_floating_inputs = "reject"

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._plan = ConvPlan(rank, self.data_format, self.kernel_size, self.strides, self.padding,
                              self.dilation_rate)
        self._apply_activation = self.activation is not activations.linear
        self._channels = None
        self._declare_weight("kernel")
        if self.use_bias:
            self._declare_weight("bias")
        else:
            self.bias = None

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        channel_axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis: channels})
        self._channels = channels
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        relayout_weight(self.kernel, depthwise_memory_order(self.rank))
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.depth_multiplier * channels,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs):
        plan = self._plan
        outputs = plan.from_torch(plan.conv_torch(
            plan.to_torch(inputs), depthwise_torch_weight(plan, self.kernel), self.bias, self._channels))
        if self._apply_activation:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        channels = input_channels(self, input_shape)
        return conv_output_shape(self, input_shape, self.depth_multiplier * channels)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
