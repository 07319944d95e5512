"""`GRUCell` and `GRU` (Cho et al. 2014), with Keras's weights, gate order (z, r, h), both `reset_after`
variants and numerics."""

import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.convolutional.base_conv import relayout_weight
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn import _fused
from torchkeras.layers.rnn._args import check_rate, check_seed, check_units, check_use_cudnn
from torchkeras.layers.rnn._gated import GatedRNN
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.rnn import cell_property


@keras_export("keras.layers.GRUCell")
class GRUCell(Layer, DropoutRNNCell):
    """Cell class for the GRU layer: one step of the recurrence.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate state (default `tanh`; `None` is linear).
        recurrent_activation: Activation of the update and reset gates (default `sigmoid`).
        use_bias: Whether the layer uses a bias.
        kernel_initializer: Initializer of the `(input_dim, 3 * units)` `kernel`.
        recurrent_initializer: Initializer of the `(units, 3 * units)` `recurrent_kernel`
            (default `"orthogonal"`).
        bias_initializer: Initializer of the bias (default `"zeros"`).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Float in [0, 1], fraction of the input units to drop (one mask per sequence).
        recurrent_dropout: Float in [0, 1], fraction of the recurrent state units to drop.
        reset_after: Apply the reset gate after the recurrent matmul (`True`, default, cuDNN/torch
            compatible; bias `(2, 3 * units)`: input bias then recurrent bias) or before it (`False`; bias
            `(3 * units,)`).
        seed: Random seed for dropout.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h]` (or `h`), `(batch, units)`.
        training: Whether dropout applies.

    Gate order in the weights' last axis: update `z`, reset `r`, candidate `h`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        units = check_units(units, "GRUCell")
        dropout = check_rate(dropout, "dropout", "GRUCell")
        recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout", "GRUCell")
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
            self.dropout_mask_count = 3
        self.seed = check_seed(seed, "GRUCell")
        self.reset_after = reset_after
        self.state_size = self.units
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
            shape=(input_dim, self.units * 3), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units * 3), name="recurrent_kernel", initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
        )
        # Keras shapes, torch memory: `kernel.T` is contiguous, its gate blocks contiguous rows.
        relayout_weight(self.kernel, (1, 0))
        relayout_weight(self.recurrent_kernel, (1, 0))
        if self.use_bias:
            # Separate input and recurrent biases with `reset_after`, as Keras (and cuDNN/torch) has them.
            bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = self.add_weight(
                shape=bias_shape, name="bias", initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        input_bias = recurrent_bias = None
        if self.use_bias:
            if not self.reset_after:
                input_bias = self.bias
            else:
                input_bias, recurrent_bias = self.bias[0], self.bias[1]
        if self.implementation == 1:
            if training and 0.0 < self.dropout < 1.0:
                dp_mask = self.get_dropout_mask(inputs)
                inputs_z, inputs_r, inputs_h = inputs * dp_mask[0], inputs * dp_mask[1], inputs * dp_mask[2]
            else:
                inputs_z = inputs_r = inputs_h = inputs
            x_z = torch.matmul(inputs_z, self.kernel[:, :u])
            x_r = torch.matmul(inputs_r, self.kernel[:, u:2 * u])
            x_h = torch.matmul(inputs_h, self.kernel[:, 2 * u:])
            if self.use_bias:
                x_z = x_z + input_bias[:u]
                x_r = x_r + input_bias[u:2 * u]
                x_h = x_h + input_bias[2 * u:]
            if training and 0.0 < self.recurrent_dropout < 1.0:
                rec_dp_mask = self.get_recurrent_dropout_mask(h_tm1)
                h_tm1_z, h_tm1_r, h_tm1_h = h_tm1 * rec_dp_mask[0], h_tm1 * rec_dp_mask[1], h_tm1 * rec_dp_mask[2]
            else:
                h_tm1_z = h_tm1_r = h_tm1_h = h_tm1
            recurrent_z = torch.matmul(h_tm1_z, self.recurrent_kernel[:, :u])
            recurrent_r = torch.matmul(h_tm1_r, self.recurrent_kernel[:, u:2 * u])
            if self.reset_after and self.use_bias:
                recurrent_z = recurrent_z + recurrent_bias[:u]
                recurrent_r = recurrent_r + recurrent_bias[u:2 * u]
            z = self.recurrent_activation(x_z + recurrent_z)
            r = self.recurrent_activation(x_r + recurrent_r)
            if self.reset_after:
                recurrent_h = torch.matmul(h_tm1_h, self.recurrent_kernel[:, 2 * u:])
                if self.use_bias:
                    recurrent_h = recurrent_h + recurrent_bias[2 * u:]
                recurrent_h = r * recurrent_h
            else:
                recurrent_h = torch.matmul(r * h_tm1_h, self.recurrent_kernel[:, 2 * u:])
            hh = self.activation(x_h + recurrent_h)
        else:
            if training and 0.0 < self.dropout < 1.0:
                dp_mask = self.get_dropout_mask(inputs)
                inputs = inputs * dp_mask
            matrix_x = torch.matmul(inputs, self.kernel)
            if self.use_bias:
                matrix_x = matrix_x + input_bias
            z, hh = self._gates_and_candidate(matrix_x, h_tm1, recurrent_bias)
        h = z * h_tm1 + (1 - z) * hh
        new_state = [h] if isinstance(states, (list, tuple)) else h
        return h, new_state

    def _gates_and_candidate(self, matrix_x, h_tm1, recurrent_bias):
        """`(z, hh)` from the projected input `matrix_x` (bias included) and the previous state."""
        u = self.units
        x_z, x_r, x_h = torch.split(matrix_x, u, dim=-1)
        if self.reset_after:
            matrix_inner = torch.matmul(h_tm1, self.recurrent_kernel)
            if recurrent_bias is not None:
                matrix_inner = matrix_inner + recurrent_bias
        else:
            matrix_inner = torch.matmul(h_tm1, self.recurrent_kernel[:, :2 * u])
        recurrent_z = matrix_inner[:, :u]
        recurrent_r = matrix_inner[:, u:2 * u]
        z = self.recurrent_activation(x_z + recurrent_z)
        r = self.recurrent_activation(x_r + recurrent_r)
        if self.reset_after:
            recurrent_h = r * matrix_inner[:, 2 * u:]
        else:
            recurrent_h = torch.matmul(r * h_tm1, self.recurrent_kernel[:, 2 * u:])
        return z, self.activation(x_h + recurrent_h)

    def get_initial_state(self, batch_size=None):
        device = self.kernel.device if self.built else None
        return [torch.zeros((batch_size, self.state_size), dtype=self._compute_torch_dtype, device=device)]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
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
            "reset_after": self.reset_after,
            "seed": self.seed,
        }
        base_config = super().get_config()
        return {**base_config, **config}


@keras_export("keras.layers.GRU")
class GRU(GatedRNN):
    """Gated Recurrent Unit - Cho et al. 2014.

    Runs on torch's fused GRU kernel (`torch.gru`; cuDNN on CUDA) when the configuration allows it:
    `reset_after=True`, `activation="tanh"`, `recurrent_activation="sigmoid"`, `recurrent_dropout=0`,
    `unroll=False`, `use_cudnn` not False, and no mask or a right-padded mask. Otherwise a step loop runs
    (which `torch.compile` traces without graph breaks). Both give Keras's results.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, reset_after, seed:
            As in `GRUCell`.
        activity_regularizer: Optional regularizer of the output.
        return_sequences: Return the whole output sequence (else the last output).
        return_state: Also return the last state.
        go_backwards: Process the sequence backwards and return the reversed sequence.
        stateful: Reuse the last state of each sample as the next batch's initial state.
        unroll: Accepted as in Keras; forces the step loop.
        use_cudnn: `"auto"` (default), `True` (raise if the configuration cannot use the fast path, as
            Keras does) or `False` (always the step loop).

    Call arguments:
        inputs: A 3D tensor `(batch, timesteps, features)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout applies.
        initial_state: Optional `[h]`, `(batch, units)`.

    Weights (`gru/gru_cell/...`): `kernel (features, 3u)`, `recurrent_kernel (u, 3u)`, `bias (2, 3u)`
    (`reset_after=True`) or `(3u,)`. To copy them into a `torch.nn.GRU(features, u, batch_first=True)`
    (`reset_after=True` only): take `kernel.T`, `recurrent_kernel.T`, `bias[0]`, `bias[1]` and reorder
    each one's gate blocks from Keras's `[z, r, h]` to torch's `[r, z, n]` for `weight_ih_l0`,
    `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`; or call `layer.to_torch()`.
    """

    _kind = "gru"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            reset_after=reset_after, dtype=kwargs.get("dtype", None), trainable=kwargs.get("trainable", True),
            name="gru_cell", seed=seed, implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = check_use_cudnn(use_cudnn)

    def _keras_fast_path_config(self):
        return bool(self.cell.reset_after)

    def _fused_params(self):
        cell = self.cell
        return _fused.gru_params(cell.kernel, cell.recurrent_kernel, cell.bias, cell.units)

    def _input_bias(self):
        bias = self.cell.bias
        return bias[0] if self.cell.reset_after else bias

    def _projected_step(self, x_t, states):
        cell = self.cell
        h_tm1 = states[0]
        recurrent_bias = cell.bias[1] if (cell.reset_after and cell.bias is not None) else None
        z, hh = cell._gates_and_candidate(x_t, h_tm1, recurrent_bias)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h]

    def to_torch(self, module=None):
        """A `torch.nn.GRU(features, units, batch_first=True)` holding copies of this layer's weights
        (`reset_after=True` only)."""
        return _fused.to_torch_gru(self, module)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, mask=mask, training=training, initial_state=initial_state)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
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
    reset_after = cell_property("reset_after")

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "reset_after": self.reset_after,
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
