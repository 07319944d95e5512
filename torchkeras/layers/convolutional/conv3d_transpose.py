"""`Conv3DTranspose`: the 3D transposed convolution."""

from torchkeras.api_export import keras_export
from torchkeras.layers.convolutional.base_conv_transpose import BaseConvTranspose


@keras_export("keras.layers.Conv3DTranspose", "keras.layers.Convolution3DTranspose")
class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution (sometimes called deconvolution), as Keras's `Conv3DTranspose`.

    Input shape:
        `(batch, d1, d2, d3, channels)` with `data_format="channels_last"` (the default),
        `(batch, channels, d1, d2, d3)` with `"channels_first"`.

    Output shape:
        The same layout with `filters` channels; each spatial size is `(n - 1) * stride + kernel_size
        + output_padding` for `"valid"` padding (with `output_padding` defaulting to
        `max(kernel_size, stride) - kernel_size`) and `n * stride` for `"same"` padding without
        `output_padding` (dilated kernels count as `(kernel_size - 1) * dilation_rate + 1`).

    Weights:
        `kernel` of shape `(kd1, kd2, kd3, filters, in_channels)`, then `bias` of shape `(filters,)`.

    See `BaseConvTranspose` for the arguments.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            rank=3, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )
