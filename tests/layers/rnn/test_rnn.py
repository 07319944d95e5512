"""The RNN base layer: the layer contract, hand-checked recurrences (masks, go_backwards, states),
user cells, StackedRNNCells, stateful layers, torch.compile, and error messages."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from torchkeras.layers.rnn.stacked_rnn_cells import flatten_structure
from torchkeras.saving import serialization
from torchkeras.testing.layer_test import run_layer_test


@torchkeras.saving.register_keras_serializable(package="rnn_tests")
class MinimalRNNCell(Layer):
    """The user cell of Keras's RNN docstring."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class CountingCell(Layer, DropoutRNNCell):
    """A user cell with dropout (the DropoutRNNCell mixin) and a training argument: `h + x * mask`."""

    def __init__(self, units, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.dropout = dropout
        self.recurrent_dropout = 0.0
        self.seed = seed
        self.built = True

    def call(self, inputs, states, training=False):
        if training:
            mask = self.get_dropout_mask(inputs)
            if mask is not None:
                inputs = inputs * mask
        h = states[0] + inputs
        return h, [h]


def _linear_simple_rnn(**kwargs):
    """SimpleRNN(1), linear, kernel 1, recurrent kernel 0.5, no bias: h_t = x_t + 0.5 h_{t-1}."""
    layer = layers.SimpleRNN(1, activation=None, use_bias=False, **kwargs)
    layer.build((None, 3, 1))
    layer.set_weights([np.array([[1.0]], "float32"), np.array([[0.5]], "float32")])
    return layer


X = torch.tensor([[[1.0], [2.0], [3.0]]])


def test_golden_recurrence():
    assert torch.allclose(_linear_simple_rnn(return_sequences=True)(X)[0, :, 0], torch.tensor([1.0, 2.5, 4.25]))
    assert torch.allclose(_linear_simple_rnn()(X), torch.tensor([[4.25]]))


def test_golden_go_backwards_returns_the_reversed_sequence():
    out = _linear_simple_rnn(return_sequences=True, go_backwards=True)(X)
    assert torch.allclose(out[0, :, 0], torch.tensor([3.0, 3.5, 2.75]))


def test_golden_masked_steps_carry_state_and_output():
    mask = torch.tensor([[True, False, True]])
    out, state = _linear_simple_rnn(return_sequences=True, return_state=True)(X, mask=mask)
    assert torch.allclose(out[0, :, 0], torch.tensor([1.0, 1.0, 3.5]))
    assert torch.allclose(state, torch.tensor([[3.5]]))
    # Masked before the first kept step: zeros out, initial state kept.
    out, state = _linear_simple_rnn(return_sequences=True, return_state=True)(
        X, mask=torch.tensor([[False, False, True]]), initial_state=torch.tensor([[2.0]]))
    assert torch.allclose(out[0, :, 0], torch.tensor([0.0, 0.0, 4.0]))
    assert torch.allclose(state, torch.tensor([[4.0]]))


def test_golden_zero_output_for_mask():
    cell = layers.SimpleRNNCell(1, activation=None, use_bias=False)
    layer = layers.RNN(cell, return_sequences=True, zero_output_for_mask=True)
    layer.build((None, 3, 1))
    layer.set_weights([np.array([[1.0]], "float32"), np.array([[0.5]], "float32")])
    out = layer(X, mask=torch.tensor([[True, False, True]]))
    assert torch.allclose(out[0, :, 0], torch.tensor([1.0, 0.0, 3.5]))
    last = layers.RNN(layers.SimpleRNNCell(1), zero_output_for_mask=True)
    last.build((None, 3, 1))
    assert torch.equal(last(X, mask=torch.tensor([[True, True, False]])), torch.zeros(1, 1))


def test_mask_is_taken_from_the_input_and_propagated():
    tokens = torch.tensor([[3, 4, 0, 0], [1, 2, 3, 4]])
    embedded = layers.Embedding(6, 2, mask_zero=True)(tokens)
    rnn = layers.SimpleRNN(3, return_sequences=True)
    out = rnn(embedded)
    assert torch.equal(out._keras_mask, tokens != 0)
    assert torch.allclose(out[0, 2], out[0, 1]) and torch.allclose(out[0, 3], out[0, 1])
    assert getattr(layers.SimpleRNN(3)(embedded), "_keras_mask", None) is None
    seq, state = layers.GRU(3, return_sequences=True, return_state=True)(embedded)
    assert torch.equal(seq._keras_mask, tokens != 0) and getattr(state, "_keras_mask", None) is None
    assert rnn.compute_mask(None, tokens != 0) is not None
    masks = layers.LSTM(2, return_state=True, return_sequences=True).compute_mask(None, tokens != 0)
    assert len(masks) == 3 and masks[1] is None and masks[2] is None


def test_initial_state_ignores_the_inputs_mask_as_keras_does():
    """Keras fills `mask` only for calls with one tensor argument: with `initial_state`, the input's mask
    is not used (it is still set on the output)."""
    tokens = torch.tensor([[3, 4, 0, 0]])
    embedded = layers.Embedding(6, 2, mask_zero=True)(tokens)
    rnn = layers.SimpleRNN(3, return_sequences=True)
    h0 = torch.zeros(1, 3)
    implicit = rnn(embedded, initial_state=h0)
    unmasked = rnn(embedded.detach().clone(), initial_state=h0)
    explicit = rnn(embedded, initial_state=h0, mask=tokens != 0)
    assert torch.allclose(implicit, unmasked)
    assert not torch.allclose(implicit, explicit)
    assert torch.equal(implicit._keras_mask, tokens != 0)


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "return_state": True, "go_backwards": True}])
def test_user_cell_layer_contract(kwargs):
    run_layer_test(_FreshCellRNN, dict(cell=MinimalRNNCell(4), **kwargs), input_shape=(2, 5, 3),
                   expected_num_trainable_weights=2, custom_objects=_CUSTOM,
                   run_float64_check=False)  # a user cell keeps its own dtype, as in Keras


def test_stacked_cells_layer_contract():
    run_layer_test(_FreshCellRNN, dict(cell=[layers.LSTMCell(4), layers.GRUCell(3), MinimalRNNCell(2)],
                                       return_sequences=True),
                   input_shape=(2, 5, 3), expected_num_trainable_weights=8, custom_objects=_CUSTOM,
                   run_float64_check=False)
    # (Nested per-cell states with `return_state` are checked in test_stacked_rnn_cells_states_and_config;
    # run_layer_test compares flat outputs only.)


@torchkeras.saving.register_keras_serializable(package="rnn_tests")
class _FreshCellRNN(layers.RNN):
    """`RNN` that copies its cell(s) from their config, so that `run_layer_test` can construct it
    several times from one set of arguments (a cell belongs to one layer)."""

    def __init__(self, cell, **kwargs):
        def fresh(c):
            return serialization.deserialize_keras_object(serialization.serialize_keras_object(c),
                                                          custom_objects=_CUSTOM)

        cell = [fresh(c) for c in cell] if isinstance(cell, list) else fresh(cell)
        super().__init__(cell, **kwargs)


_CUSTOM = {"MinimalRNNCell": MinimalRNNCell, "_FreshCellRNN": _FreshCellRNN}


def test_user_cell_weights_paths_and_output():
    layer = layers.RNN(MinimalRNNCell(4, name="my_cell"), return_sequences=True, name="rnn_x")
    x = torch.randn(2, 5, 3)
    out = layer(x)
    assert [w.path for w in layer.weights] == ["rnn_x/my_cell/kernel", "rnn_x/my_cell/recurrent_kernel"]
    kernel, recurrent = layer.cell.kernel, layer.cell.recurrent_kernel
    h = torch.zeros(2, 4)
    for t in range(5):
        h = x[:, t] @ kernel + h @ recurrent
        assert torch.allclose(out[:, t], h, atol=1e-6)


def test_stacked_rnn_cells_states_and_config():
    cells = [layers.LSTMCell(4), layers.SimpleRNNCell(3)]
    layer = layers.RNN(cells, return_state=True)
    out, lstm_states, simple_state = layer(torch.randn(2, 5, 3))
    assert out.shape == (2, 3) and [s.shape for s in lstm_states] == [(2, 4), (2, 4)]
    assert torch.equal(out, simple_state if isinstance(simple_state, torch.Tensor) else simple_state[0])
    assert isinstance(layer.cell, layers.StackedRNNCells)
    config = layer.get_config()
    assert [c["class_name"] for c in config["cell"]["config"]["cells"]] == ["LSTMCell", "SimpleRNNCell"]
    revived = layers.RNN.from_config(config)
    assert isinstance(revived.cell, layers.StackedRNNCells) and len(revived.cell.cells) == 2
    # A flat list of initial states is arranged per cell.
    states = [torch.ones(2, 4), torch.ones(2, 4), torch.ones(2, 3)]
    out2 = layer(torch.randn(2, 5, 3), initial_state=states)
    assert out2[0].shape == (2, 3)


def test_user_dropout_cell_uses_one_mask_per_sequence():
    layer = layers.RNN(CountingCell(6, dropout=0.5, seed=3), return_sequences=True)
    x = torch.ones(64, 4, 6)
    out = layer(x, training=True)
    steps = torch.diff(torch.cat([torch.zeros(64, 1, 6), out], dim=1), dim=1)  # the masked input of each step
    assert torch.allclose(steps, steps[:, :1].expand_as(steps))
    assert set(torch.unique(steps).tolist()) <= {0.0, 2.0}
    assert torch.equal(layer(x), torch.cumsum(x, dim=1))  # inference: no dropout
    assert layer.cell._dropout_cache() == {}  # masks are cleared after each sequence
    torch.manual_seed(0)
    a = layers.RNN(CountingCell(6, dropout=0.5, seed=3))(x, training=True)
    b = layers.RNN(CountingCell(6, dropout=0.5, seed=3))(x, training=True)
    assert torch.equal(a, b)  # seeded: reproducible


# ---------------------------------------------------------------------------------------------- stateful

def test_stateful_continues_and_resets():
    layer = layers.GRU(3, stateful=True)
    x1, x2 = torch.randn(2, 4, 5), torch.randn(2, 4, 5)
    first = layer(x1)
    second = layer(x2)
    reference = layers.GRU(3)
    reference.build((2, 4, 5))
    reference.set_weights(layer.get_weights())
    h1 = reference(x1)
    assert torch.allclose(first, h1, atol=1e-6)
    assert torch.allclose(second, reference(x2, initial_state=h1), atol=1e-6)
    assert torch.allclose(layer.states[0], second)
    layer.reset_state()
    assert torch.equal(layer.states[0], torch.zeros(2, 3))
    assert torch.allclose(layer(x1), first, atol=1e-6)
    layer.reset_states()
    assert torch.equal(layer.states[0], torch.zeros(2, 3))
    # States are neither weights nor saved.
    assert len(layer.weights) == 3 and not any("rnn_state" in k for k in layer.state_dict())


def test_stateful_backward_through_two_calls():
    layer = layers.LSTM(3, stateful=True)
    x = torch.randn(2, 4, 5)
    layer(x).sum().backward()
    layer(x).sum().backward()  # the stored states are detached copies
    assert layer.cell.kernel.grad is not None


def test_stateful_errors():
    with pytest.raises(ValueError, match="batch size must be static"):
        layers.LSTM(3, stateful=True).build((None, 4, 5))
    layer = layers.LSTM(3, stateful=True)
    layer(torch.randn(2, 4, 5))
    with pytest.raises(ValueError, match="Expected batch size: 2"):
        layer(torch.randn(3, 4, 5))


def test_stateful_in_a_functional_model_with_fixed_batch_size():
    inputs = torchkeras.Input((4, 5), batch_size=2)
    model = torchkeras.Model(inputs, layers.SimpleRNN(3, stateful=True)(inputs))
    x = torch.randn(2, 4, 5)
    assert not torch.allclose(model(x), model(x))
    model.layers[1].reset_state()
    first = model(x)
    model.layers[1].reset_state()
    assert torch.allclose(model(x), first)


# ---------------------------------------------------------------------------------------------- compile

@pytest.mark.parametrize("make, call_kwargs", [
    (lambda: layers.RNN(MinimalRNNCell(3), return_sequences=True), {}),
    (lambda: layers.SimpleRNN(3, go_backwards=True, return_state=True), {"mask": "holes"}),
    (lambda: layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True), {"mask": "holes"}),
    (lambda: layers.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.5), {"training": True}),
    (lambda: layers.GRU(3, stateful=True), {}),
])
def test_compiles_without_graph_breaks(make, call_kwargs):
    """`fullgraph=True` fails on any graph break."""
    layer = make()
    x = torch.randn(2, 3, 4)
    if call_kwargs.get("mask") == "holes":
        call_kwargs = dict(call_kwargs, mask=torch.tensor([[1, 0, 1], [0, 1, 0]], dtype=torch.bool))
    layer(x, **call_kwargs)
    torch._dynamo.reset()  # earlier compiles in the session count towards the recompile limit
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    received = compiled(x, **call_kwargs)
    if call_kwargs.get("training") or getattr(layer, "stateful", False):
        return  # random masks / moving states: the compiled run itself is the check
    expected = layer(x, **call_kwargs)
    for a, b in zip(flatten_structure(expected), flatten_structure(received)):
        assert torch.allclose(a, b)


# ---------------------------------------------------------------------------------------------- errors

def test_errors_name_what_was_expected():
    layer = layers.SimpleRNN(3)
    with pytest.raises(ValueError, match=r"ndim=3|rank"):
        layer(torch.randn(2, 5))
    rnn = layers.RNN(MinimalRNNCell(3))
    with pytest.raises(ValueError, match="rank >= 3"):
        rnn(torch.randn(2, 5))
    with pytest.raises(ValueError, match="at least one timestep"):
        layers.LSTM(3)(torch.randn(2, 0, 4))
    lstm = layers.LSTM(3)
    x = torch.randn(2, 5, 4)
    with pytest.raises(ValueError, match=r"expects 2 initial state tensor\(s\).*Received 1"):
        lstm(x, initial_state=[torch.zeros(2, 3)])
    with pytest.raises(ValueError, match=r"initial state 1 must have shape \(2, 3\).*Received: shape=\(2, 4\)"):
        lstm(x, initial_state=[torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"mask of shape \(batch_size, timesteps\) = \(2, 5\).*\(2, 4\)"):
        lstm(x, mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="units"):
        layers.GRUCell(-2)
    with pytest.raises(ValueError, match=r"`dropout`.*\[0, 1\].*1.5"):
        layers.GRU(3, dropout=1.5)
    with pytest.raises(ValueError, match="recurrent_dropout"):
        layers.SimpleRNN(3, recurrent_dropout=-0.1)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(3, use_cudnn="yes")
    with pytest.raises(ValueError, match="`call` method"):
        layers.RNN(object())
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(3))
    with pytest.raises(ValueError, match="state_size"):
        layers.StackedRNNCells([layers.LSTMCell(2), layers.Dense(3)])
