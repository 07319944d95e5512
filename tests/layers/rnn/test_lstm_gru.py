"""SimpleRNN, LSTM, GRU and their cells: the layer contract, which path runs (torch's fused kernel or
the step loop), fused == loop (outputs and gradients), weight layout, torch.nn interop, dropout rules."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.rnn import _fused
from torchkeras.layers.rnn import rnn as rnn_module
from torchkeras.testing.layer_test import run_layer_test

RIGHT = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=torch.bool)
LEFT = torch.flip(RIGHT, dims=[1])
HOLES = torch.tensor([[1, 0, 1, 1, 0, 1], [0, 1, 1, 0, 1, 0], [1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1]], dtype=torch.bool)


def _x(shape=(4, 6, 5), seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------------- contract

@pytest.mark.parametrize("cls, kwargs, n_weights", [
    (layers.SimpleRNN, {"units": 3}, 3),
    (layers.SimpleRNN, {"units": 3, "use_bias": False, "return_sequences": True, "dropout": 0.2}, 2),
    (layers.LSTM, {"units": 3}, 3),
    (layers.LSTM, {"units": 3, "return_sequences": True, "return_state": True, "go_backwards": True}, 3),
    (layers.LSTM, {"units": 3, "recurrent_dropout": 0.2, "activation": "relu", "unroll": True}, 3),
    (layers.GRU, {"units": 3}, 3),
    (layers.GRU, {"units": 3, "reset_after": False, "return_state": True}, 3),
    (layers.GRU, {"units": 3, "use_bias": False, "kernel_regularizer": "l2", "recurrent_constraint": "non_neg"}, 2),
])
def test_layer_contract(cls, kwargs, n_weights):
    run_layer_test(cls, kwargs, input_shape=(2, 4, 5), expected_num_trainable_weights=n_weights,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_stateful_layer_contract():
    run_layer_test(layers.LSTM, {"units": 3, "stateful": True}, input_shape=(2, 4, 5),
                   expected_num_trainable_weights=3, deterministic=False)


def test_regularizers_add_losses():
    layer = layers.LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2",
                        activity_regularizer="l2")
    layer(_x())
    assert len(layer.losses) == 4


@pytest.mark.parametrize("cls, kwargs, shapes", [
    (layers.SimpleRNNCell, {}, [(5, 3), (3, 3), (3,)]),
    (layers.LSTMCell, {}, [(5, 12), (3, 12), (12,)]),
    (layers.GRUCell, {}, [(5, 9), (3, 9), (2, 9)]),
    (layers.GRUCell, {"reset_after": False}, [(5, 9), (3, 9), (9,)]),
])
def test_cells(cls, kwargs, shapes):
    cell = cls(3, **kwargs)
    cell.build((None, 5))
    assert [w.shape for w in cell.weights] == shapes
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "bias"]
    states = cell.get_initial_state(batch_size=2)
    out, new_states = cell(torch.randn(2, 5), states)
    assert out.shape == (2, 3) and [s.shape for s in new_states] == [s.shape for s in states]
    assert cls.from_config(cell.get_config()).get_config() == cell.get_config()


def test_weight_paths_and_initial_values():
    lstm = layers.LSTM(4, name="lstm")
    lstm(_x())
    assert [w.path for w in lstm.weights] == ["lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel",
                                              "lstm/lstm_cell/bias"]
    bias = lstm.cell.bias.detach()
    assert torch.equal(bias, torch.cat([torch.zeros(4), torch.ones(4), torch.zeros(8)]))  # unit_forget_bias
    recurrent = lstm.cell.recurrent_kernel.detach()
    assert torch.allclose(recurrent @ recurrent.T, torch.eye(4), atol=1e-5)  # orthogonal
    no_forget = layers.LSTM(4, unit_forget_bias=False)
    no_forget(_x())
    assert torch.equal(no_forget.cell.bias.detach(), torch.zeros(16))


def test_kernels_are_stored_in_torch_layout():
    """`kernel.T` is contiguous (the torch weight, no copy), and stays so after set_weights and .to()."""
    for layer in (layers.LSTM(3), layers.GRU(3)):
        layer(_x())
        layer.set_weights([w * 2 for w in layer.get_weights()])
        layer.to(torch.float64).to(torch.float32)
        for weight in (layer.cell.kernel, layer.cell.recurrent_kernel):
            assert weight.t().is_contiguous()
            assert weight.t().data_ptr() == weight.data_ptr()


# ---------------------------------------------------------------------------------------------- paths

@pytest.fixture
def paths(monkeypatch):
    """Counts calls of torch's fused kernel and of the step loop."""
    counts = {"fused": 0, "loop": 0}
    run_fused, rnn_loop = _fused.run_fused, rnn_module.rnn_loop

    def counting_fused(*args, **kwargs):
        counts["fused"] += 1
        return run_fused(*args, **kwargs)

    def counting_loop(*args, **kwargs):
        counts["loop"] += 1
        return rnn_loop(*args, **kwargs)

    monkeypatch.setattr(_fused, "run_fused", counting_fused)
    monkeypatch.setattr(rnn_module, "rnn_loop", counting_loop)
    return counts


@pytest.mark.parametrize("make, call_kwargs, path", [
    (lambda: layers.LSTM(3), {}, "fused"),
    (lambda: layers.GRU(3, return_sequences=True, go_backwards=True), {}, "fused"),
    (lambda: layers.LSTM(3, use_bias=False), {}, "fused"),
    (lambda: layers.LSTM(3), {"mask": RIGHT}, "fused"),
    (lambda: layers.GRU(3, go_backwards=True), {"mask": LEFT}, "fused"),  # right-padded once reversed
    (lambda: layers.LSTM(3, dropout=0.5), {"training": True}, "fused"),
    (lambda: layers.GRU(3, dropout=0.5), {"training": True, "mask": RIGHT}, "fused"),
    (lambda: layers.LSTM(3, recurrent_dropout=0.5), {}, "fused"),  # inference: no recurrent dropout
    (lambda: layers.LSTM(3), {"mask": LEFT}, "loop"),
    (lambda: layers.GRU(3), {"mask": HOLES}, "loop"),
    (lambda: layers.GRU(3, reset_after=False), {}, "loop"),
    (lambda: layers.LSTM(3, activation="relu"), {}, "loop"),
    (lambda: layers.GRU(3, recurrent_activation="hard_sigmoid"), {}, "loop"),
    (lambda: layers.LSTM(3, unroll=True), {}, "loop"),
    (lambda: layers.LSTM(3, use_cudnn=False), {}, "loop"),
    (lambda: layers.LSTM(3, recurrent_dropout=0.5), {"training": True}, "loop"),
    (lambda: layers.SimpleRNN(3), {}, "loop"),
    (lambda: layers.RNN(layers.LSTMCell(3)), {}, "loop"),
])
def test_which_path_runs(paths, make, call_kwargs, path):
    layer = make()
    layer.build((4, 6, 5))
    layer(_x(), **call_kwargs)
    assert paths == ({"fused": 1, "loop": 0} if path == "fused" else {"fused": 0, "loop": paths["loop"]})
    if path == "loop":
        assert paths["loop"] == 1 or isinstance(layer, layers.RNN)


def test_masked_call_under_compile_takes_the_loop(paths):
    layer = layers.LSTM(3)
    x, mask = _x((2, 3, 5)), torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    expected = layer(x, mask=mask)
    paths["fused"] = paths["loop"] = 0
    torch._dynamo.reset()
    received = torch.compile(layer, backend="eager", fullgraph=True)(x, mask=mask)
    assert paths["fused"] == 0 and paths["loop"] == 1
    assert torch.allclose(received, expected, atol=1e-6)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_fused_path_compiles_without_graph_breaks(paths, cls):
    layer = cls(3, return_sequences=True)
    x = _x((2, 3, 5))
    expected = layer(x)
    torch._dynamo.reset()  # earlier compiles in the session count towards the recompile limit
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    assert torch.allclose(compiled(x), expected, atol=1e-6)
    assert paths["fused"] == 2 and paths["loop"] == 0


# ---------------------------------------------------------------------------------------------- fused == loop

def _pair(cls, **kwargs):
    fused = cls(3, **kwargs)
    loop = cls(3, use_cudnn=False, **kwargs)
    fused.build((4, 6, 5))
    loop.build((4, 6, 5))
    weights = [w + 0.3 * np.random.default_rng(i).standard_normal(w.shape).astype("float32")
               for i, w in enumerate(fused.get_weights())]
    fused.set_weights(weights)
    loop.set_weights(weights)
    return fused, loop


def _flat(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [t for o in outputs for t in (o if isinstance(o, (list, tuple)) else [o])]


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
@pytest.mark.parametrize("mask", [None, RIGHT, "left_backwards"])
@pytest.mark.parametrize("options", [
    {"return_sequences": True, "return_state": True},
    {"return_state": True, "go_backwards": True},
    {"return_sequences": True, "zero_output_for_mask": True},
    {"return_sequences": True, "use_bias": False},
])
def test_fused_equals_loop_outputs_and_gradients(paths, cls, mask, options):
    if mask == "left_backwards":
        mask, options = LEFT, dict(options, go_backwards=True)
    fused, loop = _pair(cls, **options)
    call_kwargs = {} if mask is None else {"mask": mask}
    initial = [torch.randn(4, 3) for _ in range(2 if cls is layers.LSTM else 1)]
    results = []
    for layer in (fused, loop):
        x = _x().requires_grad_(True)
        states = [s.clone().requires_grad_(True) for s in initial]
        outputs = _flat(layer(x, initial_state=states, **call_kwargs))
        sum((o * torch.arange(1, o.shape[-1] + 1)).sum() for o in outputs).backward()
        grads = [x.grad] + [s.grad for s in states] + [w.value.grad for w in layer.trainable_weights]
        results.append((outputs, grads))
    reversed_right = options.get("go_backwards") and mask is RIGHT  # left-padded once reversed: the loop
    assert paths["fused"] == (0 if reversed_right else 1)
    for a, b in zip(results[0][0], results[1][0]):
        assert torch.allclose(a, b, atol=1e-5), (a, b)
    for a, b in zip(results[0][1], results[1][1]):
        assert torch.allclose(a, b, atol=1e-5), (a, b)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_fused_sees_new_weights(cls):
    """Nothing derived from the weights is cached: set_weights and optimizer steps take effect."""
    layer = cls(3)
    x = _x()
    first = layer(x)
    layer.set_weights([w * 1.5 for w in layer.get_weights()])
    second = layer(x)
    assert not torch.allclose(first, second)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
    second.sum().backward()
    optimizer.step()
    reference = cls(3, use_cudnn=False)
    reference.build((4, 6, 5))
    reference.set_weights(layer.get_weights())
    assert torch.allclose(layer(x), reference(x), atol=1e-6)


# ---------------------------------------------------------------------------------------------- interop

@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
@pytest.mark.parametrize("use_bias", [True, False])
def test_to_torch_module_matches(cls, use_bias):
    layer = cls(3, return_sequences=True, use_bias=use_bias)
    layer.build((4, 6, 5))
    layer.set_weights([w + 0.1 for w in layer.get_weights()])
    module = layer.to_torch()
    assert isinstance(module, torch.nn.LSTM if cls is layers.LSTM else torch.nn.GRU)
    x = _x()
    expected, _ = module(x)
    assert torch.allclose(layer(x), expected, atol=1e-6)


def test_to_torch_gru_requires_reset_after():
    layer = layers.GRU(3, reset_after=False)
    layer.build((4, 6, 5))
    with pytest.raises(ValueError, match="reset_after=True"):
        layer.to_torch()


def test_use_cudnn_true_raises_where_keras_does():
    layer = layers.LSTM(3, use_cudnn=True)
    layer(_x())
    with pytest.raises(ValueError, match="use_cudnn=True"):
        layer(_x(), mask=RIGHT)
    with pytest.raises(ValueError, match="use_cudnn=True"):
        layers.GRU(3, reset_after=False, use_cudnn=True)(_x())


# ---------------------------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_dropout_rate_one_follows_keras_paths(cls):
    """Keras's fast path (no mask) drops the whole input at rate 1.0; its cell path (with a mask) skips
    rate 1.0. Both hold here whatever path torchkeras runs."""
    layer = cls(3, dropout=1.0, return_sequences=True)
    x = _x()
    zeros = layer(torch.zeros_like(x))
    assert torch.allclose(layer(x, training=True), zeros)
    loop = cls(3, dropout=1.0, return_sequences=True, activation="relu")
    loop.build((4, 6, 5))
    assert torch.allclose(loop(x, training=True), loop(torch.zeros_like(x)))
    all_kept = torch.ones(4, 6, dtype=torch.bool)
    assert torch.allclose(layer(x, training=True, mask=all_kept), layer(x, mask=all_kept))


def test_simple_rnn_dropout_rate_one_zeroes_inputs_and_recurrence():
    layer = layers.SimpleRNN(3, dropout=1.0, recurrent_dropout=1.0, return_sequences=True)
    x = _x()
    out = layer(x, training=True)
    expected = torch.tanh(layer.cell.bias).expand(4, 6, 3)
    assert torch.allclose(out, expected, atol=1e-6)


def test_seeded_dropout_is_reproducible_and_per_sample():
    a = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=1)
    b = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = _x().repeat(8, 1, 1)
    a.build(x.shape)
    b.build(x.shape)
    b.set_weights(a.get_weights())
    out_a, out_b = a(x, training=True), b(x, training=True)
    assert torch.equal(out_a, out_b)
    assert not torch.allclose(out_a[:16], out_a[16:])  # identical rows, different masks
    assert not torch.allclose(a(x, training=True), out_a)  # a new mask per call
    assert torch.allclose(a(x), a(x))


def test_float64_and_device_state():
    layer = layers.GRU(3, dtype="float64", return_state=True)
    out, state = layer(_x().double())
    assert out.dtype == torch.float64 and state.dtype == torch.float64


def test_sequential_model_with_embedding_mask():
    model = torchkeras.Sequential([layers.Input((6,), dtype="int32"), layers.Embedding(10, 4, mask_zero=True),
                                   layers.LSTM(3, return_sequences=True), layers.GRU(2)])
    tokens = torch.tensor([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]])
    out = model(tokens)
    embedding, lstm, gru = model.layers
    e = embedding(tokens)
    assert torch.allclose(out, gru(lstm(e)), atol=1e-6)
    # Masked steps are skipped: same result as the short sequence alone.
    short = gru(lstm(e[:1, :3]))
    assert torch.allclose(out[:1], short, atol=1e-6)
