"""`BaseSeparableConv`: the shared body of SeparableConv1D/2D.

A depthwise convolution (`depthwise_kernel`, `(*kernel_size, channels, depth_multiplier)`) followed by a
pointwise 1x1 convolution (`pointwise_kernel`, `(1, ..., channels * depth_multiplier, filters)`), then the
bias and the activation, as Keras's `separable_conv`. The intermediate result stays in torch's layout
between the two convolutions; both kernels are stored with the memory their torch weights need.
"""

from torchkeras import activations, backend, constraints, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import (ConvPlan, check_positive_int, conv_output_shape,
                                                      input_channels, relayout_weight, standardize_padding,
                                                      standardize_tuple)
from torchkeras.layers.convolutional.base_depthwise_conv import depthwise_memory_order, depthwise_torch_weight
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


class BaseSeparableConv(Layer):
    """Abstract N-D separable convolution.

    Args:
        rank: Number of spatial dimensions.
        depth_multiplier: Positive int, depthwise output channels per input channel.
        filters: Positive int, output channels of the pointwise convolution.
        kernel_size, strides, dilation_rate: Int or tuple of `rank` ints.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        activation, use_bias, depthwise/pointwise/bias initializers, regularizers and constraints,
        activity_regularizer: As in Keras.
    """

    _non_floating_inputs = "reject"

    def __init__(self, rank, depth_multiplier, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._plan = ConvPlan(rank, self.data_format, self.kernel_size, self.strides, self.padding,
                              self.dilation_rate)
        self._pointwise_plan = ConvPlan(rank, self.data_format, (1,) * rank, (1,) * rank, "valid", (1,) * rank)
        self._apply_activation = self.activation is not activations.linear
        self._channels = None
        self._declare_weight("depthwise_kernel")
        self._declare_weight("pointwise_kernel")
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
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        relayout_weight(self.depthwise_kernel, depthwise_memory_order(self.rank))
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1,) * self.rank + (self.depth_multiplier * channels, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        relayout_weight(self.pointwise_kernel, self._pointwise_plan.conv_memory_order())
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs):
        plan, pointwise = self._plan, self._pointwise_plan
        x = plan.conv_torch(plan.to_torch(inputs), depthwise_torch_weight(plan, self.depthwise_kernel), None,
                            self._channels)
        x = pointwise.conv_torch(x, pointwise.torch_weight(self.pointwise_kernel), self.bias, 1)
        outputs = plan.from_torch(x)
        if self._apply_activation:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return conv_output_shape(self, input_shape, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
