"""`ConvLSTM3D`: 3D convolutional LSTM."""

from torchkeras.api_export import keras_export
from torchkeras.layers.rnn.conv_lstm import ConvLSTM


@keras_export("keras.layers.ConvLSTM3D")
class ConvLSTM3D(ConvLSTM):
    """3D Convolutional LSTM: an LSTM whose input and recurrent transformations are convolutions.

    Args:
        filters: int, the number of output filters of the convolutions.
        kernel_size: int or tuple/list of 3 integers, the convolution window.
        strides: int or tuple/list of 3 integers, the strides of the input convolution.
            `strides > 1` is incompatible with `dilation_rate > 1`.
        padding: `"valid"` or `"same"` (case-insensitive), for the input convolution.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple/list of 3 integers, the dilation of the input convolution.
        activation: Activation of the cell candidate and the output (default `tanh`).
        recurrent_activation: Activation of the gates (default `sigmoid`).
        use_bias: Whether the layer uses a bias vector.
        kernel_initializer: Initializer of `kernel` (default `"glorot_uniform"`).
        recurrent_initializer: Initializer of `recurrent_kernel` (default `"orthogonal"`).
        bias_initializer: Initializer of the bias (default `"zeros"`).
        unit_forget_bias: If `True` (default), the forget gate's bias starts at 1.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: Optional
            regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Float in `[0, 1]`, fraction of the input units to drop.
        recurrent_dropout: Float in `[0, 1]`, fraction of the recurrent state units to drop.
        seed: Random seed for dropout.
        return_sequences: Whether to return the whole output sequence (default: the last output).
        return_state: Whether to return the last state `[h, c]` after the output.
        go_backwards: Whether to process the sequence backwards (and return the reversed sequence).
        stateful: Whether the last state of each sample is the initial state of the same sample in the
            next batch.
        unroll: Accepted for Keras compatibility (the time loop is a Python loop either way).

    Call arguments:
        inputs: A 6D tensor.
        initial_state: Optional list `[h, c]` of initial states, each shaped like one output step.
        mask: Optional boolean tensor `(samples, timesteps)`; masked timesteps keep the previous state.
        training: Whether dropout applies.

    Input shape:
        `(samples, time, dim1, dim2, dim3, channels)` if `data_format="channels_last"`, else
        `(samples, time, channels, dim1, dim2, dim3)`.

    Output shape:
        With `return_sequences`: `(samples, time, new_dim1, new_dim2, new_dim3, filters)` (channels_last) or
        `(samples, time, filters, new_dim1, new_dim2, new_dim3)` (channels_first); else the last step,
        `(samples, new_dim1, new_dim2, new_dim3, filters)` or `(samples, filters, new_dim1, new_dim2, new_dim3)`. With
        `return_state`, a list `[output, h, c]` whose states are shaped like one output step. The
        spatial sizes may change with `padding="valid"` or `strides > 1`.

    Weights: `kernel` `(kd, kh, kw, channels, 4 * filters)`, `recurrent_kernel`
    `(kd, kh, kw, filters, 4 * filters)` and `bias` `(4 * filters,)`, gates ordered `i, f, c, o`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        super().__init__(
            rank=3, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, **kwargs,
        )
