"""ConvLSTM1D/2D/3D and ConvLSTMCell: the layer contract, Keras's own goldens, a hand-checkable scalar LSTM,
the RNN options (masks, go_backwards, stateful, initial_state, return_state, dropout), weight names and
layout, and bad arguments and inputs."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import initializers, layers
from torchkeras.layers.rnn.conv_lstm import ConvLSTM, ConvLSTMCell
from torchkeras.testing import run_layer_test


def _x(shape, seed=0, scale=1.0):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype("float32") * scale)


# ------------------------------------------------------------------ the layer contract

@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", [
    (layers.ConvLSTM1D, dict(filters=3, kernel_size=3), (2, 3, 6, 2), (2, 4, 3)),
    (layers.ConvLSTM1D, dict(filters=3, kernel_size=2, padding="same", strides=2, return_sequences=True,
                             data_format="channels_first"), (2, 3, 2, 5), (2, 3, 3, 3)),
    (layers.ConvLSTM2D, dict(filters=2, kernel_size=3, padding="same"), (2, 3, 4, 5, 2), (2, 4, 5, 2)),
    (layers.ConvLSTM2D, dict(filters=2, kernel_size=(2, 3), return_sequences=True, use_bias=False,
                             recurrent_regularizer="l2", go_backwards=True), (2, 2, 4, 5, 1), (2, 2, 3, 3, 2)),
    (layers.ConvLSTM2D, dict(filters=2, kernel_size=2, dilation_rate=2, data_format="channels_first",
                             dropout=0.2, recurrent_dropout=0.3, seed=3), (1, 2, 3, 5, 5), (1, 2, 3, 3)),
    (layers.ConvLSTM3D, dict(filters=2, kernel_size=2, padding="same"), (1, 2, 3, 4, 3, 2), (1, 3, 4, 3, 2)),
    (layers.ConvLSTM3D, dict(filters=2, kernel_size=2, strides=2, return_sequences=True,
                             data_format="channels_first"), (1, 2, 1, 4, 4, 5), (1, 2, 2, 2, 2, 2)),
])
def test_conv_lstm_contract(cls, kwargs, input_shape, output_shape):
    n_weights = 3 if kwargs.get("use_bias", True) else 2
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0,
                   supports_masking=True, deterministic=True, atol=1e-5, rtol=1e-5)


def test_conv_lstm_contract_return_state():
    run_layer_test(layers.ConvLSTM2D, dict(filters=2, kernel_size=3, return_state=True),
                   input_shape=(2, 3, 5, 5, 1), expected_output_shape=[(2, 3, 3, 2)] * 3,
                   expected_num_trainable_weights=3, expected_num_non_trainable_weights=0,
                   atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ numbers: Keras's goldens, a scalar LSTM

def test_conv_lstm_cell_keras_golden():
    # Keras's own `ConvLSTMCellTest.test_correctness` (keras/src/layers/rnn/conv_lstm_test.py).
    x = torch.arange(150, dtype=torch.float32).reshape(2, 5, 5, 3) / 10
    s = torch.arange(200, dtype=torch.float32).reshape(2, 5, 5, 4) / 10
    cell = ConvLSTMCell(rank=2, filters=4, kernel_size=3, padding="same",
                        kernel_initializer=initializers.Constant(0.01),
                        recurrent_initializer=initializers.Constant(0.02))
    output, (h, c) = cell(x, [s, s.clone()])
    np.testing.assert_allclose(output.sum().item(), 188.89502, rtol=1e-5)
    np.testing.assert_allclose(h.sum().item(), 188.89502, rtol=1e-5)
    np.testing.assert_allclose(c.sum().item(), 2170.444, rtol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_lstm_keras_golden(data_format):
    # Keras's own `ConvLSTMTest.test_correctness`.
    x = np.arange(450).reshape((2, 3, 5, 5, 3)).astype("float32") / 100
    s = np.arange(200).reshape((2, 5, 5, 4)).astype("float32") / 100
    if data_format == "channels_first":
        x, s = x.transpose((0, 1, 4, 2, 3)), s.transpose((0, 3, 1, 2))
    layer = ConvLSTM(rank=2, filters=4, kernel_size=3, padding="same", data_format=data_format,
                     kernel_initializer=initializers.Constant(0.01),
                     recurrent_initializer=initializers.Constant(0.02))
    output = layer(torch.from_numpy(x), initial_state=[torch.from_numpy(s), torch.from_numpy(s)])
    np.testing.assert_allclose(output.sum().item(), 119.812454, rtol=1e-5)


def _scalar_lstm(xs, w, u, b, h=0.0, c=0.0):
    """A one-unit LSTM by hand: gates i, f, c, o."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    outputs = []
    for x in xs:
        z = x * w + h * u + b
        i, f, o = sigmoid(z[0]), sigmoid(z[1]), sigmoid(z[3])
        c = f * c + i * np.tanh(z[2])
        h = o * np.tanh(c)
        outputs.append(h)
    return np.array(outputs), h, c


def test_conv_lstm1d_with_1x1_kernel_is_a_pointwise_lstm():
    # With a kernel of size 1, one channel and one filter, every position runs its own scalar LSTM.
    layer = layers.ConvLSTM1D(1, 1, return_sequences=True, return_state=True)
    layer.build((None, 4, 3, 1))
    w = np.array([0.5, -0.3, 0.8, 0.2], "float32")
    u = np.array([0.1, 0.4, -0.6, 0.3], "float32")
    b = np.array([0.05, 1.0, -0.1, 0.2], "float32")
    layer.set_weights([w.reshape(1, 1, 4), u.reshape(1, 1, 4), b])
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 1)).astype("float32")
    seq, h, c = (t.detach().numpy() for t in layer(x))
    for n in range(2):
        for p in range(3):
            expected, eh, ec = _scalar_lstm(x[n, :, p, 0], w, u, b)
            np.testing.assert_allclose(seq[n, :, p, 0], expected, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose([h[n, p, 0], c[n, p, 0]], [eh, ec], rtol=1e-5, atol=1e-6)


def test_unit_forget_bias_initialisation():
    layer = layers.ConvLSTM2D(3, 2)
    layer.build((None, 2, 4, 4, 1))
    np.testing.assert_array_equal(layer.cell.bias.detach().numpy(), [0] * 3 + [1] * 3 + [0] * 6)
    layer = layers.ConvLSTM2D(3, 2, unit_forget_bias=True, bias_initializer="ones")
    layer.build((None, 2, 4, 4, 1))
    np.testing.assert_array_equal(layer.cell.bias.detach().numpy(), [1] * 12)
    layer = layers.ConvLSTM2D(3, 2, unit_forget_bias=False, bias_initializer=initializers.Constant(0.5))
    layer.build((None, 2, 4, 4, 1))
    np.testing.assert_array_equal(layer.cell.bias.detach().numpy(), [0.5] * 12)


def test_weight_names_shapes_and_order():
    layer = layers.ConvLSTM2D(4, (3, 2), name="conv_lstm2d")
    layer(np.zeros((1, 2, 5, 5, 3), "float32"))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("conv_lstm2d/conv_lstm_cell/kernel", (3, 2, 3, 16)),
        ("conv_lstm2d/conv_lstm_cell/recurrent_kernel", (3, 2, 4, 16)),
        ("conv_lstm2d/conv_lstm_cell/bias", (16,)),
    ]
    assert layer.count_params() == 3 * 2 * 3 * 16 + 3 * 2 * 4 * 16 + 16
    layer3 = layers.ConvLSTM3D(2, 2, use_bias=False, data_format="channels_first")
    layer3(np.zeros((1, 2, 3, 4, 4, 4), "float32"))
    assert [w.shape for w in layer3.weights] == [(2, 2, 2, 3, 8), (2, 2, 2, 2, 8)]


@pytest.mark.parametrize("cls, rank", [(layers.ConvLSTM1D, 1), (layers.ConvLSTM2D, 2), (layers.ConvLSTM3D, 3)])
def test_channels_first_matches_channels_last(cls, rank):
    kwargs = dict(filters=2, kernel_size=2, padding="same", strides=2, return_sequences=True)
    last, first = cls(**kwargs), cls(data_format="channels_first", **kwargs)
    x = _x((2, 3) + (5,) * rank + (2,))
    out_last = last(x)
    first.build((None, 3, 2) + (5,) * rank)
    first.set_weights(last.get_weights())
    to_first = (0, 1, rank + 2) + tuple(range(2, rank + 2))
    out_first = first(x.permute(to_first).contiguous())
    torch.testing.assert_close(out_first, out_last.permute(to_first), atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------ RNN options

def _pair(shape=(2, 4, 5, 5, 2), **kwargs):
    """Two ConvLSTM2D layers with the same random weights, the second with `kwargs` added."""
    base = dict(filters=3, kernel_size=3, padding="same")
    first, second = layers.ConvLSTM2D(**base), layers.ConvLSTM2D(**dict(base, **kwargs))
    first.build((None,) + shape[1:])
    second.build(shape if kwargs.get("stateful") else (None,) + shape[1:])
    rng = np.random.default_rng(1)
    weights = [rng.uniform(-0.4, 0.4, w.shape).astype("float32") for w in first.get_weights()]
    first.set_weights(weights)
    second.set_weights(weights)
    return first, second


def test_go_backwards_is_forward_on_the_reversed_sequence():
    forward, backward = _pair(go_backwards=True, return_sequences=True)
    forward.return_sequences = True
    x = _x((2, 4, 5, 5, 2))
    torch.testing.assert_close(backward(x), forward(x.flip(1)))


def test_initial_state_and_return_state():
    plain, stateful_out = _pair(return_state=True)
    x = _x((2, 4, 5, 5, 2))
    out, h, c = stateful_out(x)
    torch.testing.assert_close(out, plain(x))
    torch.testing.assert_close(out, h)
    assert c.shape == h.shape == (2, 5, 5, 3)
    zeros = [torch.zeros(2, 5, 5, 3), torch.zeros(2, 5, 5, 3)]
    torch.testing.assert_close(plain(x, initial_state=zeros), plain(x))
    # Running the second half from the state after the first half is running the whole sequence.
    _, h2, c2 = stateful_out(x[:, :2])
    torch.testing.assert_close(plain(x[:, 2:], initial_state=[h2, c2]), plain(x), atol=1e-6, rtol=1e-5)
    assert not torch.allclose(plain(x[:, 2:], initial_state=[h2, c2]), plain(x[:, 2:]))


def test_stateful_carries_state_between_calls_until_reset():
    plain, stateful = _pair(stateful=True)
    x = _x((2, 4, 5, 5, 2))
    stateful(x[:, :2])
    torch.testing.assert_close(stateful(x[:, 2:]), plain(x), atol=1e-6, rtol=1e-5)
    stateful.reset_state()
    torch.testing.assert_close(stateful(x[:, :2]), plain(x[:, :2]))


def test_mask_skips_timesteps():
    plain, masked = _pair(return_sequences=True)
    x = _x((2, 4, 5, 5, 2))
    mask = torch.tensor([[True, True, False, True], [True, True, True, True]])
    out = masked(x, mask=mask)
    # Sample 0 skips step 2: its state comes through unchanged and step 2 repeats step 1's output.
    torch.testing.assert_close(out[0, 2], out[0, 1])
    skipped = plain(x[:1, [0, 1, 3]])
    torch.testing.assert_close(out[0, 3], skipped[0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(out[1], masked(x)[1])  # an all-True row is an unmasked row
    assert out._keras_mask is mask or torch.equal(out._keras_mask, mask)


def test_mask_propagation_follows_keras():
    layer = layers.ConvLSTM2D(2, 3, return_sequences=False)
    mask = torch.tensor([[True, False], [True, True]])
    assert layer.compute_mask(None, mask) is None
    assert layers.ConvLSTM2D(2, 3, return_sequences=True).compute_mask(None, mask) is mask
    assert layers.ConvLSTM2D(2, 3, return_state=True).compute_mask(None, mask) == [None, None, None]


def test_dropout_applies_only_in_training():
    layer = layers.ConvLSTM2D(3, 3, padding="same", dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = _x((2, 3, 5, 5, 2))
    inference = layer(x)
    torch.testing.assert_close(layer(x, training=False), inference)
    trained = layer(x, training=True)
    assert not torch.allclose(trained, inference)
    assert not torch.allclose(layer(x, training=True), trained)  # a fresh mask for each call
    # The masks of one call are cleared once the sequence is done, as in Keras.
    assert not layer.cell._dropout_cache()


def test_dropout_masks_are_per_gate_and_per_sequence():
    cell = ConvLSTMCell(rank=1, filters=2, kernel_size=1, dropout=0.5, recurrent_dropout=0.5, seed=0)
    cell.build((None, 4, 3))
    x = torch.ones(2, 4, 3)
    masks = cell.get_dropout_mask(x)
    assert len(masks) == 4 and all(m.shape == x.shape for m in masks)
    assert cell.get_dropout_mask(x) is masks  # the same masks for every timestep of a sequence
    assert {float(v) for m in masks for v in m.unique()} <= {0.0, 2.0}
    assert not all(torch.equal(masks[0], m) for m in masks[1:])


def test_dropout_of_one_is_no_dropout_as_in_keras():
    # Keras applies dropout only for 0 < rate < 1: a rate of 1 leaves the step unchanged.
    plain, dropped = _pair(dropout=1.0, recurrent_dropout=1.0)
    x = _x((2, 4, 5, 5, 2))
    torch.testing.assert_close(dropped(x, training=True), plain(x))


def test_functional_model_and_summary_shapes():
    inputs = torchkeras.Input((3, 6, 6, 2))
    seq = layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)(inputs)
    out, h, c = layers.ConvLSTM2D(2, 3, return_state=True)(seq)
    assert tuple(seq.shape) == (None, 3, 6, 6, 4)
    assert tuple(out.shape) == tuple(h.shape) == tuple(c.shape) == (None, 4, 4, 2)
    model = torchkeras.Model(inputs, [out, h, c])
    x = _x((2, 3, 6, 6, 2))
    results = model(x)
    assert [tuple(r.shape) for r in results] == [(2, 4, 4, 2)] * 3


def test_compute_output_shape_formula():
    assert layers.ConvLSTM2D(4, 3, strides=2, padding="same").compute_output_shape((None, 5, 7, 8, 3)) == (
        None, 4, 4, 4)
    assert layers.ConvLSTM1D(4, 3, return_sequences=True).compute_output_shape((2, 5, 7, 3)) == (2, 5, 5, 4)
    assert layers.ConvLSTM3D(2, 2, data_format="channels_first", return_state=True).compute_output_shape(
        (1, 2, 3, 4, 4, 4)) == ((1, 2, 3, 3, 3),) * 3


def test_kernel_memory_is_what_the_convolution_reads():
    layer = layers.ConvLSTM2D(4, 3)
    layer(_x((1, 2, 5, 5, 3)))
    for kernel in (layer.cell.kernel, layer.cell.recurrent_kernel):
        weight = layer.cell._plan.torch_weight(kernel)
        assert weight.data_ptr() == kernel.data_ptr()
        assert weight.is_contiguous(memory_format=torch.channels_last)


def test_config_round_trip_of_the_cell_without_rank():
    cell = ConvLSTMCell(rank=3, filters=2, kernel_size=2, padding="same", dropout=0.1, name="cell")
    config = cell.get_config()
    assert "rank" not in config  # as Keras writes it
    revived = ConvLSTMCell.from_config(config)
    assert revived.rank == 3 and revived.get_config() == config


# ------------------------------------------------------------------ bad arguments and inputs

@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0, kernel_size=3), "Received: filters=0"),
    (dict(filters=2.5, kernel_size=3), "Received: filters=2.5"),
    (dict(filters="a", kernel_size=3), "Received: filters='a'"),
    (dict(filters=2, kernel_size=0), "Received: kernel_size=0"),
    (dict(filters=2, kernel_size=(3, 3, 3)), r"Received: kernel_size=\(3, 3, 3\)"),
    (dict(filters=2, kernel_size=3, strides=0), "Received: strides=0"),
    (dict(filters=2, kernel_size=3, padding="causal"), "Received: padding='causal'"),
    (dict(filters=2, kernel_size=3, padding="full"), "Received: padding='full'"),
    (dict(filters=2, kernel_size=3, data_format="nhwc"), "nhwc"),
    (dict(filters=2, kernel_size=3, dropout=1.5), "Received: dropout=1.5"),
    (dict(filters=2, kernel_size=3, dropout=-0.1), r"Received: dropout=-0.1"),
    (dict(filters=2, kernel_size=3, recurrent_dropout=2), "Received: recurrent_dropout=2"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), r"Received: strides=\(2, 2\)"),
    (dict(filters=2, kernel_size=3, activation="nope"), "nope"),
    (dict(filters=2, kernel_size=3, unknown_argument=1), "unknown_argument"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.ConvLSTM2D(**kwargs)


def test_bad_rank_of_the_cell():
    with pytest.raises(ValueError, match="Received: rank=4"):
        ConvLSTMCell(rank=4, filters=2, kernel_size=3)


def test_bad_inputs():
    with pytest.raises(ValueError, match="ndim=5|rank 5"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 3, 5, 3), "float32"))
    with pytest.raises(ValueError, match="ndim=4|rank 4"):
        layers.ConvLSTM1D(2, 3)(np.zeros((2, 3, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"kernel_size=\(5, 5\)"):
        layers.ConvLSTM2D(2, 5)(np.zeros((1, 2, 4, 6, 3), "float32"))
    with pytest.raises(ValueError, match="static input shapes"):
        layers.ConvLSTM2D(2, 3).build((None, 3, None, 5, 3))
    with pytest.raises(ValueError, match="channel dimension"):
        layers.ConvLSTM2D(2, 3).build((None, 3, 5, 5, None))
    layer = layers.ConvLSTM2D(2, 3)
    layer(np.zeros((1, 2, 5, 5, 3), "float32"))
    with pytest.raises(ValueError):
        layer(np.zeros((1, 2, 5, 5, 4), "float32"))  # the channel count is fixed once built


def test_bad_initial_state():
    layer = layers.ConvLSTM2D(4, 3, padding="same")
    x = _x((2, 3, 6, 6, 2))
    with pytest.raises(ValueError, match=r"initial state 0 must have shape \(2, 6, 6, 4\).*shape=\(2, 6, 6, 3\)"):
        layer(x, initial_state=[torch.zeros(2, 6, 6, 3), torch.zeros(2, 6, 6, 4)])
    with pytest.raises(ValueError, match="expects 2 initial state tensor"):
        layer(x, initial_state=[torch.zeros(2, 6, 6, 4)])


def test_unroll_is_accepted_and_changes_nothing():
    plain, unrolled = _pair(unroll=True)
    assert unrolled.get_config()["unroll"] is True
    x = _x((2, 4, 5, 5, 2))
    torch.testing.assert_close(unrolled(x), plain(x))


def test_functional_initial_state_inputs():
    x, h, c = torchkeras.Input((3, 6, 6, 2)), torchkeras.Input((6, 6, 4)), torchkeras.Input((6, 6, 4))
    layer = layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    model = torchkeras.Model([x, h, c], layer(x, initial_state=[h, c]))
    data = [_x((2, 3, 6, 6, 2)), _x((2, 6, 6, 4), seed=1), _x((2, 6, 6, 4), seed=2)]
    torch.testing.assert_close(model(data), layer(data[0], initial_state=data[1:]))


def test_torch_compile_fullgraph():
    layer = layers.ConvLSTM1D(3, 3, padding="same", strides=2, return_state=True)
    x = _x((2, 3, 7, 2))
    expected = layer(x)
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    for a, b in zip(compiled(x), expected):
        torch.testing.assert_close(a, b)
