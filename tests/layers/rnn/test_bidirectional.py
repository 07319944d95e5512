"""Bidirectional: the layer contract, merge modes against the two directions run by hand, weights order,
masks, initial_state, states, config, and error messages."""

import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.testing.layer_test import run_layer_test


def _x(shape=(3, 5, 4), seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kwargs, n_weights", [
    ({"layer": layers.LSTM(3)}, 6),
    ({"layer": layers.GRU(3, return_sequences=True), "merge_mode": "sum"}, 6),
    ({"layer": layers.SimpleRNN(3, return_sequences=True, return_state=True), "merge_mode": "mul"}, 6),
    ({"layer": layers.GRU(3, return_state=True), "merge_mode": "ave"}, 6),
])
def test_layer_contract(kwargs, n_weights):
    # The wrapped layer keeps its own dtype policy (as in Keras), so no float64 check.
    run_layer_test(layers.Bidirectional, kwargs, input_shape=(2, 4, 5), expected_num_trainable_weights=n_weights,
                   supports_masking=True, run_float64_check=False)


def _directions(layer, x, **kwargs):
    """The wrapper's two sublayers run by hand."""
    return layer.forward_layer(x, **kwargs), layer.backward_layer(x, **kwargs)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_merge_modes(merge_mode):
    layer = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=merge_mode)
    x = _x()
    out = layer(x)
    y, y_rev = _directions(layer, x)
    y_rev = torch.flip(y_rev, dims=[1])
    expected = {"concat": torch.cat([y, y_rev], -1), "sum": y + y_rev, "mul": y * y_rev, "ave": (y + y_rev) / 2,
                None: None}[merge_mode]
    if merge_mode is None:
        assert torch.allclose(out[0], y) and torch.allclose(out[1], y_rev)
    else:
        assert torch.allclose(out, expected)


def test_backward_direction_reads_the_sequence_backwards():
    layer = layers.Bidirectional(layers.SimpleRNN(2), merge_mode=None)
    x = _x()
    _, backward = layer(x)
    reference = layers.SimpleRNN(2)
    reference.build(x.shape)
    reference.set_weights(layer.backward_layer.get_weights())
    assert torch.allclose(backward, reference(torch.flip(x, dims=[1])), atol=1e-6)


def test_sublayers_names_weights_and_config():
    inner = layers.LSTM(3, name="lstm")
    layer = layers.Bidirectional(inner, name="bi")
    layer(_x())
    assert layer.forward_layer is not inner and not inner.built
    assert layer.forward_layer.name == "forward_lstm" and layer.backward_layer.name == "backward_lstm"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert [w.path for w in layer.weights] == [
        f"bi/{d}_lstm/lstm_cell/{n}" for d in ("forward", "backward") for n in ("kernel", "recurrent_kernel", "bias")]
    config = layer.get_config()
    assert config["layer"]["config"]["name"] == "forward_lstm"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    revived = layers.Bidirectional.from_config(config)
    assert revived.get_config() == config


def test_return_state_and_initial_state_split():
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True, return_state=True))
    x = _x()
    states = [torch.randn(3, 3) for _ in range(4)]
    out, fh, fc, bh, bc = layer(x, initial_state=states)
    y = layer.forward_layer(x, initial_state=states[:2])
    y_rev = layer.backward_layer(x, initial_state=states[2:])
    assert torch.allclose(out, torch.cat([y[0], torch.flip(y_rev[0], dims=[1])], -1))
    for a, b in zip([fh, fc, bh, bc], list(y[1:]) + list(y_rev[1:])):
        assert torch.allclose(a, b)
    with pytest.raises(ValueError, match=r"forward layer's then the backward layer's \(4 tensors\).*Received 3"):
        layer(x, initial_state=states[:3])


def test_masks_zero_the_outputs_at_masked_steps():
    tokens = torch.tensor([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7], [0, 0, 8, 9, 1]])
    embedded = layers.Embedding(10, 4, mask_zero=True)(tokens)
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    out = layer(embedded)
    assert torch.equal(out._keras_mask, tokens != 0)
    assert torch.equal(out[tokens == 0], torch.zeros(int((tokens == 0).sum()), 6))
    assert layer.forward_layer.zero_output_for_mask and layer.backward_layer.zero_output_for_mask
    both = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=None)(embedded)
    assert all(torch.equal(o._keras_mask, tokens != 0) for o in both)
    last = layers.Bidirectional(layers.LSTM(3))
    assert last.compute_mask(None, tokens != 0) is None
    assert layers.Bidirectional(layers.LSTM(3), merge_mode=None).compute_mask(None, tokens != 0) == [None, None]


def test_stateful():
    layer = layers.Bidirectional(layers.GRU(3, stateful=True))
    x = _x()
    first = layer(x)
    assert not torch.allclose(layer(x), first)
    assert len(layer.states) == 2
    layer.reset_state()
    assert torch.allclose(layer(x), first, atol=1e-6)
    with pytest.raises(AttributeError, match="stateful"):
        layers.Bidirectional(layers.GRU(3)).reset_state()


def test_compiles_without_graph_breaks():
    """`fullgraph=True` fails on any graph break."""
    layer = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum")
    x = _x((2, 3, 4))
    mask = torch.tensor([[1, 1, 0], [0, 1, 1]], dtype=torch.bool)
    layer(x, mask=mask)
    torch._dynamo.reset()  # earlier compiles in the session count towards the recompile limit
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    assert torch.allclose(compiled(x, mask=mask), layer(x, mask=mask), atol=1e-6)


def test_functional_model():
    inputs = torchkeras.Input((5, 4))
    outputs = layers.Bidirectional(layers.GRU(3, return_state=True), merge_mode=None)(inputs)
    assert [tuple(o.shape) for o in outputs] == [(None, 3), (None, 3), (None, 3), (None, 3)]
    model = torchkeras.Model(inputs, outputs)
    assert [tuple(o.shape) for o in model(_x())] == [(3, 3)] * 4


def test_errors():
    with pytest.raises(ValueError, match="Merge mode should be one of"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match=r"recurrent layer.*Received: layer='dense'.*Dense"):
        layers.Bidirectional(layers.Dense(3, name="dense"))
    with pytest.raises(ValueError, match="keras.layers.Layer"):
        layers.Bidirectional(torch.nn.LSTM(3, 3))
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))
    with pytest.raises(ValueError, match='"return_sequences"'):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True,
                                                                          return_sequences=True))
