"""`ConvLSTMCell` and `ConvLSTM`: the convolutional LSTM cell and the N-D layer that runs it over time
(the shared body of ConvLSTM1D/2D/3D), as in `keras/src/layers/rnn/conv_lstm.py`.

Numerics follow Keras: gates `i, f, c, o` in that order along the last kernel axis,
`i = recurrent_activation(conv(x, W_i) + b_i + conv(h, U_i))` (likewise `f`, `o`),
`c = f * c_prev + i * activation(conv(x, W_c) + b_c + conv(h, U_c))`, `h = o * activation(c)`. The input
convolution uses the layer's strides, padding and dilation; the recurrent one always runs with stride 1,
dilation 1 and `"same"` padding (Keras's `recurrent_conv`), so the state keeps the output's size.

Keras runs one convolution per gate; here the four gates are one convolution with `4 * filters`
outputs (the kernel's own layout, so no copy), the same sums. With dropout in training, each gate sees
its own mask, so the four masked inputs run as one grouped convolution (`groups=4`). The layer runs the
input convolution once for all timesteps (one batch of `samples * time`), and only the recurrent
convolution inside the time loop. Padding, layouts and the no-copy weight memory come from the
convolution layers' `ConvPlan` and `relayout_weight`.
"""

import numbers

import torch

from torchkeras import activations, backend, constraints, dtype_policies, initializers, regularizers
from torchkeras.layers.convolutional.base_conv import (
    ConvPlan, check_positive_int, conv_output_shape, relayout_weight, standardize_padding, standardize_tuple,
)
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.rnn import RNN, cell_property, rnn_loop


def check_rate(value, name):
    """A dropout rate as a float in `[0, 1]`; the message names the argument and the value received."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a float in [0, 1]. Received: {name}={value!r}"
        )
    return float(value)


class ConvLSTMCell(Layer, DropoutRNNCell):
    """Cell class for the ConvLSTM layers: one step of a convolutional LSTM.

    Args:
        rank: Integer, rank of the convolution (1, 2 or 3).
        filters: Positive integer, the number of output filters of the convolutions.
        kernel_size: Int or tuple of `rank` ints, the convolution window.
        strides: Int or tuple of `rank` ints, the strides of the input convolution. `strides > 1` is
            incompatible with `dilation_rate > 1`.
        padding: `"valid"` or `"same"` (case-insensitive), for the input convolution. `"same"` puts the
            extra padding right/bottom, as in Keras.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: Int or tuple of `rank` ints, the dilation of the input convolution.
        activation: Activation of the cell candidate and of the output (default `tanh`).
        recurrent_activation: Activation of the gates (default `sigmoid`).
        use_bias: Whether the cell has a bias vector.
        kernel_initializer: Initializer of `kernel` (default `"glorot_uniform"`).
        recurrent_initializer: Initializer of `recurrent_kernel` (default `"orthogonal"`).
        bias_initializer: Initializer of `bias` (default `"zeros"`).
        unit_forget_bias: If `True` (default), the forget gate's bias starts at 1 (the rest of the bias
            comes from `bias_initializer`).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Float in `[0, 1]`, fraction of the input units to drop (one mask per gate, per sequence).
        recurrent_dropout: Float in `[0, 1]`, fraction of the recurrent state units to drop.
        seed: Random seed for dropout.

    Call arguments:
        inputs: A `rank + 2`D tensor, one timestep.
        states: `[h, c]`, the previous output and carry, each shaped like the output.
        training: Whether dropout applies.

    Returns:
        `(h, [h, c])`.

    Weights: `kernel` `(*kernel_size, channels, 4 * filters)`, `recurrent_kernel`
    `(*kernel_size, filters, 4 * filters)` and `bias` `(4 * filters,)`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(rank, bool) or rank not in (1, 2, 3):
            raise ValueError(
                f"Rank {rank} convolutions are not currently implemented. Expected 1, 2 or 3. "
                f"Received: rank={rank!r}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"Invalid value for argument `seed`. Expected an integer or None. Received: seed={seed!r}")
        self.seed = seed
        self.rank = rank
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please provide "
                f"`strides=1` or `dilation_rate=1`. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        self.dropout_mask_count = 4
        self.input_spec = InputSpec(ndim=rank + 2)
        self.state_size = -1  # as in Keras: the state shapes come from `compute_output_shape`
        self._plan = ConvPlan(rank, self.data_format, self.kernel_size, self.strides, self.padding,
                              self.dilation_rate)
        self._recurrent_plan = ConvPlan(rank, self.data_format, self.kernel_size, (1,) * rank, "same",
                                        (1,) * rank)
        self.spatial_dims = None
        self.input_dim = None
        self._declare_weight("kernel")
        self._declare_weight("recurrent_kernel")
        if self.use_bias:
            self._declare_weight("bias")
        else:
            self.bias = None

    def build(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != self.rank + 2:
            raise ValueError(
                f"Input 0 of layer '{self.name}' (ConvLSTMCell) must have rank {self.rank + 2} (one "
                f"timestep). Received: input_shape={inputs_shape}"
            )
        if self.data_format == "channels_first":
            channel_axis, self.spatial_dims = 1, inputs_shape[2:]
        else:
            channel_axis, self.spatial_dims = -1, inputs_shape[1:-1]
        if None in self.spatial_dims:
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial dimension. "
                f"Received invalid input shape: input_shape={inputs_shape}"
            )
        if inputs_shape[channel_axis] is None:
            raise ValueError(
                "The channel dimension of the inputs (last axis) should be defined. Found None. Full input "
                f"shape received: input_shape={inputs_shape}"
            )
        conv_output_shape(self, inputs_shape, self.filters)  # the (dilated) kernel must fit the input
        self.input_spec = InputSpec(shape=(None,) + inputs_shape[1:])
        self.input_dim = input_dim = inputs_shape[channel_axis]
        self.kernel_shape = self.kernel_size + (input_dim, self.filters * 4)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_shape, initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        relayout_weight(self.kernel, self._plan.conv_memory_order())
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=self.kernel_size + (self.filters, self.filters * 4),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        relayout_weight(self.recurrent_kernel, self._recurrent_plan.conv_memory_order())
        if self.use_bias:
            if self.unit_forget_bias:
                initializer = self.bias_initializer
                filters = self.filters

                def bias_initializer(shape, dtype=None):
                    return torch.cat([
                        torch.as_tensor(initializer((filters,), dtype=dtype)),
                        torch.as_tensor(initializers.get("ones")((filters,), dtype=dtype)),
                        torch.as_tensor(initializer((filters * 2,), dtype=dtype)),
                    ])
            else:
                bias_initializer = self.bias_initializer
            self.bias = self.add_weight(
                name="bias", shape=(self.filters * 4,), initializer=bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs, states, training=False):
        masks = self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
        return self._step(self._input_preactivations(inputs, masks), states, training)

    def _input_preactivations(self, inputs, masks=None):
        """`conv(inputs, kernel) + bias` for the four gates, in torch layout (`4 * filters` channels);
        with dropout `masks` (one per gate, shaped like `inputs`), gate `k` sees `inputs * masks[k]`."""
        plan = self._plan
        if masks is None:
            x, groups = plan.to_torch(inputs), 1
        else:
            x, groups = torch.cat([plan.to_torch(inputs * m) for m in masks], dim=1), 4
        return plan.conv_torch(x, plan.torch_weight(self.kernel), self.bias, groups)

    def _step(self, z_x, states, training=False):
        """One step from the input pre-activations `z_x` (torch layout) and the states `[h, c]`."""
        h_tm1, c_tm1 = states[0], states[1]
        recurrent_plan = self._recurrent_plan
        if training and 0.0 < self.recurrent_dropout < 1.0:
            masks = self.get_recurrent_dropout_mask(h_tm1)
            h, groups = torch.cat([recurrent_plan.to_torch(h_tm1 * m) for m in masks], dim=1), 4
        else:
            h, groups = recurrent_plan.to_torch(h_tm1), 1
        z = z_x + recurrent_plan.conv_torch(h, recurrent_plan.torch_weight(self.recurrent_kernel), None, groups)
        return self._gates(z, c_tm1)

    def _gates(self, z, c_tm1):
        """The LSTM update from the summed pre-activations `z` (torch layout, `4 * filters` channels)."""
        plan = self._plan
        z_i, z_f, z_c, z_o = z.chunk(4, dim=1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * plan.to_torch(c_tm1) + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = plan.from_torch(o * self.activation(c))
        return h, [h, plan.from_torch(c)]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        output_shape = conv_output_shape(self, inputs_shape, self.filters)
        return output_shape, [output_shape, output_shape]

    def get_initial_state(self, batch_size=None):
        """Zero `[h, c]` for a batch of `batch_size` (the cell must be built)."""
        if self.data_format == "channels_last":
            input_shape = (batch_size,) + tuple(self.spatial_dims) + (self.input_dim,)
        else:
            input_shape = (batch_size, self.input_dim) + tuple(self.spatial_dims)
        state_shape = self.compute_output_shape(input_shape)[0]
        device = self.kernel.device
        dtype = backend.to_torch_dtype(self.compute_dtype)
        return [torch.zeros(state_shape, dtype=dtype, device=device),
                torch.zeros(state_shape, dtype=dtype, device=device)]

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        # Keras's config has no `rank`; it is the length of `kernel_size`.
        config = dict(config)
        if "rank" not in config and isinstance(config.get("kernel_size"), (list, tuple)):
            config["rank"] = len(config["kernel_size"])
        return super().from_config(config)


class ConvLSTM(RNN):
    """Abstract N-D convolutional LSTM layer (the shared body of ConvLSTM1D/2D/3D): an `RNN` over a
    `ConvLSTMCell` named `conv_lstm_cell`, so weights are `conv_lstm2d/conv_lstm_cell/kernel`, ...

    Args:
        rank: Integer, rank of the convolution (1, 2 or 3).
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
        recurrent_activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed:
            As in `ConvLSTMCell`.
        return_sequences: Whether to return the whole output sequence or only the last output.
        return_state: Whether to return the last states `h, c` after the output.
        go_backwards: Whether to process the input sequence backwards (returning the reversed sequence).
        stateful: Whether the last state of each sample is the initial state of the same sample in the
            next batch.
        **kwargs: `unroll`, `activity_regularizer` and the base layer arguments.

    Call arguments:
        inputs: A `rank + 3`D tensor `(samples, time, *spatial, channels)` (channels_last) or
            `(samples, time, channels, *spatial)` (channels_first).
        initial_state: Optional list `[h, c]`, each shaped like one output step.
        mask: Optional boolean tensor `(samples, timesteps)`.
        training: Whether dropout applies.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank=rank, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, **kwargs)
        self.input_spec = InputSpec(ndim=rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = self._check_rank(sequences_shape)
        super().build(sequences_shape, initial_state_shape)
        # As Keras's cell input spec: the channels and the spatial sizes are fixed once built.
        self.input_spec = InputSpec(ndim=len(sequences_shape),
                                    axes={axis: size for axis, size in enumerate(sequences_shape) if axis >= 2})

    def _check_rank(self, sequences_shape):
        sequences_shape = tuple(sequences_shape)
        rank = self.cell.rank
        if len(sequences_shape) != rank + 3:
            layout = "spatial..., channels" if self.data_format == "channels_last" else "channels, spatial..."
            raise ValueError(
                f"Input 0 of layer '{self.name}' ({type(self).__name__}) must have rank {rank + 3} "
                f"(samples, time, {layout}). Received: input_shape={sequences_shape}"
            )
        return sequences_shape

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        # The input convolution does not depend on the state: it runs once, over all timesteps as one
        # batch, and the loop runs only the recurrent convolution.
        cell = self.cell
        batch_size, steps = sequences.shape[0], sequences.shape[1]
        masks = None
        if training and 0.0 < cell.dropout < 1.0:
            # One mask per gate for the whole sequence (drawn like a timestep), as in Keras.
            masks = [m.unsqueeze(1).expand(sequences.shape).flatten(0, 1)
                     for m in cell.get_dropout_mask(sequences[:, 0])]
        z_x = cell._input_preactivations(sequences.flatten(0, 1), masks).unflatten(0, (batch_size, steps))

        def step(z_x_t, states):
            return cell._step(z_x_t, states, training)

        return rnn_loop(step, z_x, list(initial_state), go_backwards=self.go_backwards, mask=mask,
                        zero_output_for_mask=self.zero_output_for_mask,
                        return_all_outputs=self.return_sequences)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = self._check_rank(sequences_shape)
        batch_size, steps = sequences_shape[0], sequences_shape[1]
        step_shape = (batch_size,) + sequences_shape[2:]
        state_shape = self.cell.compute_output_shape(step_shape)[0][1:]
        output_shape = (batch_size, steps) + state_shape if self.return_sequences else (batch_size,) + state_shape
        if self.return_state:
            batched_state_shape = (batch_size,) + state_shape
            return output_shape, batched_state_shape, batched_state_shape
        return output_shape

    def compute_mask(self, _, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    filters = cell_property("filters")
    kernel_size = cell_property("kernel_size")
    strides = cell_property("strides")
    padding = cell_property("padding")
    data_format = cell_property("data_format")
    dilation_rate = cell_property("dilation_rate")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    unit_forget_bias = cell_property("unit_forget_bias")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self):
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.cell.seed,
        }
        base_config = super().get_config()
        base_config.pop("cell", None)
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "dtype" in config and isinstance(config["dtype"], dict):
            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(**config)
