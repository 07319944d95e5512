"""`LSTMCell` and `LSTM` (Hochreiter 1997), with Keras's weights, gate order (i, f, c, o) and numerics.

`LSTM` runs on torch's fused kernel (`torch.lstm`, cuDNN on CUDA) when the configuration is one it
computes: tanh/sigmoid activations, no recurrent dropout, not unrolled, `use_cudnn` not False, and no
mask or a right-padded mask (packed sequences). Anything else runs the step loop. Input dropout follows
Keras exactly: where Keras's own fast path would run (no mask, no recurrent dropout) one mask per
sequence multiplies the inputs in training for any `dropout > 0` (so `dropout=1.0` zeroes the inputs);
otherwise the cell applies it, and only for `0 < dropout < 1`, as Keras's cell does.
"""

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.convolutional.base_conv import relayout_weight
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn import _fused
from torchkeras.layers.rnn._args import check_rate, check_seed, check_units, check_use_cudnn
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.rnn import cell_property
from torchkeras.layers.rnn._gated import GatedRNN


class _UnitForgetBias:
    """LSTM bias initializer with `unit_forget_bias`: `[init(u), ones(u), init(2u)]`."""

    def __init__(self, initializer, units):
        self.initializer = initializer
        self.units = units

    def __call__(self, shape, dtype=None):
        u = self.units
        parts = [self.initializer((u,), dtype=dtype), initializers.get("ones")((u,), dtype=dtype),
                 self.initializer((2 * u,), dtype=dtype)]
        return torch.cat([torch.as_tensor(p) for p in parts])


@keras_export("keras.layers.LSTMCell")
class LSTMCell(Layer, DropoutRNNCell):
    """Cell class for the LSTM layer: one step of the recurrence.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the cell candidate and output (default `tanh`; `None` is linear).
        recurrent_activation: Activation of the gates (default `sigmoid`).
        use_bias: Whether the layer uses a bias vector.
        kernel_initializer: Initializer of the `(input_dim, 4 * units)` `kernel`.
        recurrent_initializer: Initializer of the `(units, 4 * units)` `recurrent_kernel`
            (default `"orthogonal"`).
        bias_initializer: Initializer of the `(4 * units,)` `bias` (default `"zeros"`).
        unit_forget_bias: Add 1 to the forget-gate bias at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Float in [0, 1], fraction of the input units to drop (one mask per sequence).
        recurrent_dropout: Float in [0, 1], fraction of the recurrent state units to drop.
        seed: Random seed for dropout.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h, c]`, each `(batch, units)`.
        training: Whether dropout applies.

    Gate order in the weights' last axis: input, forget, cell candidate, output (as Keras and torch).
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        units = check_units(units, "LSTMCell")
        dropout = check_rate(dropout, "dropout", "LSTMCell")
        recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout", "LSTMCell")
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.implementation = implementation
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.seed = check_seed(seed, "LSTMCell")
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self._declare_weight("kernel")
        self._declare_weight("recurrent_kernel")
        if self.use_bias:
            self._declare_weight("bias")
        else:
            self.bias = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to '{self.name}' must be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units * 4), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units * 4), name="recurrent_kernel", initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
        )
        # Keras shapes, torch memory: `kernel.T` is the contiguous `weight_ih` of torch.lstm.
        relayout_weight(self.kernel, (1, 0))
        relayout_weight(self.recurrent_kernel, (1, 0))
        if self.use_bias:
            bias_initializer = (_UnitForgetBias(self.bias_initializer, self.units) if self.unit_forget_bias
                                else self.bias_initializer)
            self.bias = self.add_weight(
                shape=(self.units * 4,), name="bias", initializer=bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def _compute_carry_and_output(self, x, h_tm1, c_tm1):
        """Carry and output from per-gate inputs (`implementation=1`)."""
        x_i, x_f, x_c, x_o = x
        h_tm1_i, h_tm1_f, h_tm1_c, h_tm1_o = h_tm1
        u = self.units
        rk = self.recurrent_kernel
        i = self.recurrent_activation(x_i + torch.matmul(h_tm1_i, rk[:, :u]))
        f = self.recurrent_activation(x_f + torch.matmul(h_tm1_f, rk[:, u:2 * u]))
        c = f * c_tm1 + i * self.activation(x_c + torch.matmul(h_tm1_c, rk[:, 2 * u:3 * u]))
        o = self.recurrent_activation(x_o + torch.matmul(h_tm1_o, rk[:, 3 * u:]))
        return c, o

    def _compute_carry_and_output_fused(self, z, c_tm1):
        z0, z1, z2, z3 = z
        i = self.recurrent_activation(z0)
        f = self.recurrent_activation(z1)
        c = f * c_tm1 + i * self.activation(z2)
        o = self.recurrent_activation(z3)
        return c, o

    def call(self, inputs, states, training=False):
        h_tm1 = states[0]  # previous memory state
        c_tm1 = states[1]  # previous carry state
        if self.implementation == 1:
            if training and 0.0 < self.dropout < 1.0:
                dp_mask = self.get_dropout_mask(inputs)
                inputs_i, inputs_f = inputs * dp_mask[0], inputs * dp_mask[1]
                inputs_c, inputs_o = inputs * dp_mask[2], inputs * dp_mask[3]
            else:
                inputs_i = inputs_f = inputs_c = inputs_o = inputs
            k_i, k_f, k_c, k_o = torch.split(self.kernel, self.units, dim=1)
            x_i = torch.matmul(inputs_i, k_i)
            x_f = torch.matmul(inputs_f, k_f)
            x_c = torch.matmul(inputs_c, k_c)
            x_o = torch.matmul(inputs_o, k_o)
            if self.use_bias:
                b_i, b_f, b_c, b_o = torch.split(self.bias, self.units, dim=0)
                x_i, x_f, x_c, x_o = x_i + b_i, x_f + b_f, x_c + b_c, x_o + b_o
            if training and 0.0 < self.recurrent_dropout < 1.0:
                rec_dp_mask = self.get_recurrent_dropout_mask(h_tm1)
                h_tm1_i, h_tm1_f = h_tm1 * rec_dp_mask[0], h_tm1 * rec_dp_mask[1]
                h_tm1_c, h_tm1_o = h_tm1 * rec_dp_mask[2], h_tm1 * rec_dp_mask[3]
            else:
                h_tm1_i = h_tm1_f = h_tm1_c = h_tm1_o = h_tm1
            c, o = self._compute_carry_and_output((x_i, x_f, x_c, x_o), (h_tm1_i, h_tm1_f, h_tm1_c, h_tm1_o),
                                                  c_tm1)
        else:
            if training and 0.0 < self.dropout < 1.0:
                dp_mask = self.get_dropout_mask(inputs)
                inputs = inputs * dp_mask
            z = torch.matmul(inputs, self.kernel)
            z = z + torch.matmul(h_tm1, self.recurrent_kernel)
            if self.use_bias:
                z = z + self.bias
            c, o = self._compute_carry_and_output_fused(torch.split(z, self.units, dim=1), c_tm1)
        h = o * self.activation(c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        device = self.kernel.device if self.built else None
        return [torch.zeros((batch_size, d), dtype=self._compute_torch_dtype, device=device)
                for d in self.state_size]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.layers.LSTM")
class LSTM(GatedRNN):
    """Long Short-Term Memory layer - Hochreiter 1997.

    Runs on torch's fused LSTM kernel (`torch.lstm`; cuDNN on CUDA) when the configuration allows it:
    `activation="tanh"`, `recurrent_activation="sigmoid"`, `recurrent_dropout=0`, `unroll=False`,
    `use_cudnn` not False, and no mask or a right-padded mask. Otherwise a step loop runs (which
    `torch.compile` traces without graph breaks). Both give Keras's results.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed:
            As in `LSTMCell`.
        activity_regularizer: Optional regularizer of the output.
        return_sequences: Return the whole output sequence (else the last output).
        return_state: Also return the last states `h` and `c`.
        go_backwards: Process the sequence backwards and return the reversed sequence.
        stateful: Reuse the last states of each sample as the next batch's initial states.
        unroll: Accepted as in Keras; forces the step loop.
        use_cudnn: `"auto"` (default), `True` (raise if the configuration cannot use the fast path, as
            Keras does) or `False` (always the step loop).

    Call arguments:
        inputs: A 3D tensor `(batch, timesteps, features)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout applies.
        initial_state: Optional `[h, c]`, each `(batch, units)`.

    Weights (`lstm/lstm_cell/...`): `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (4u,)`.
    To copy them into a `torch.nn.LSTM(features, u, batch_first=True)`: `weight_ih_l0 = kernel.T`,
    `weight_hh_l0 = recurrent_kernel.T`, `bias_ih_l0 = bias`, `bias_hh_l0 = 0` (same gate order), or call
    `layer.to_torch()`.
    """

    _kind = "lstm"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, unit_forget_bias=unit_forget_bias,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype", None),
            trainable=kwargs.get("trainable", True), name="lstm_cell", seed=seed,
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = check_use_cudnn(use_cudnn)

    def _fused_params(self):
        cell = self.cell
        return _fused.lstm_params(cell.kernel, cell.recurrent_kernel, cell.bias)

    def _input_bias(self):
        return self.cell.bias

    def _projected_step(self, x_t, states):
        cell = self.cell
        h_tm1, c_tm1 = states[0], states[1]
        z = x_t + torch.matmul(h_tm1, cell.recurrent_kernel)
        c, o = cell._compute_carry_and_output_fused(torch.split(z, cell.units, dim=1), c_tm1)
        h = o * cell.activation(c)
        return h, [h, c]

    def to_torch(self, module=None):
        """A `torch.nn.LSTM(features, units, batch_first=True)` holding copies of this layer's weights."""
        return _fused.to_torch_lstm(self, module)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, mask=mask, training=training, initial_state=initial_state)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    unit_forget_bias = cell_property("unit_forget_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
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
            "units": self.units,
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
        del base_config["cell"]
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "dtype" in config and isinstance(config["dtype"], dict):
            from torchkeras import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(**config)
