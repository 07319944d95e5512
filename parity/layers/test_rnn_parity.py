"""Parity of SimpleRNN, LSTM, GRU, RNN (built-in and user cells), StackedRNNCells with real Keras:
options, masks (right/left padded, holes, fully masked), states, statefulness, dropout, gradients."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import re  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import LAYER_ATOL, LAYER_RTOL, _to_numpy, assert_close, check_layer_parity  # noqa: E402
from parity.harness import random_weights_like  # noqa: E402

B, T, F, U = 4, 6, 5, 3


def _x(shape=(B, T, F), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


MASKS = {
    "right": [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0]],
    "left": [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1], [0, 0, 0, 1, 1, 1]],
    "holes": [[1, 0, 1, 1, 0, 1], [0, 1, 1, 0, 1, 0], [1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1]],
    "empty_row": [[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]],
}


def _mask(name):
    return torch.tensor(MASKS[name], dtype=torch.bool)


def _on(value, device):
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_on(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _on(v, device) for k, v in value.items()}
    return value


def _compare(keras_layer, tk_layer, x, device, call_kwargs=None, training=None, what="output"):
    """Builds both, copies weights Keras -> torchkeras, compares; then fresh random weights the other
    way, compares again."""
    call_kwargs = dict(call_kwargs or {})
    if training is not None:
        call_kwargs["training"] = training
    keras_layer(x, **call_kwargs)
    tk_layer.to(device)
    tk_x = torch.as_tensor(x).to(device)
    tk_layer(tk_x, **_on(call_kwargs, device))
    # Paths below the layer's own name, without the counters of auto-names (`lstm_cell_3` -> `lstm_cell`),
    # which depend on what else the session built.
    assert [_path(w) for w in keras_layer.weights] == [_path(w) for w in tk_layer.weights]
    assert [tuple(w.shape) for w in keras_layer.weights] == [w.shape for w in tk_layer.weights]

    tk_layer.set_weights(keras_layer.get_weights())
    if getattr(keras_layer, "stateful", False):
        keras_layer.reset_state()
        tk_layer.reset_state()
    expected = _to_numpy(keras_layer(x, **call_kwargs))
    received = _to_numpy(tk_layer(tk_x, **_on(call_kwargs, device)))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{what} (Keras -> torchkeras weights)")

    weights = random_weights_like(keras_layer.get_weights(), seed=7)
    tk_layer.set_weights([w * 0.5 for w in weights])
    keras_layer.set_weights(tk_layer.get_weights())
    if getattr(keras_layer, "stateful", False):
        keras_layer.reset_state()
        tk_layer.reset_state()
    expected = _to_numpy(keras_layer(x, **call_kwargs))
    received = _to_numpy(tk_layer(tk_x, **_on(call_kwargs, device)))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{what} (torchkeras -> Keras weights)")
    return keras_layer, tk_layer


def _path(weight):
    return "/".join(re.sub(r"_\d+$", "", part) for part in weight.path.split("/")[1:])


def _pair(class_name, **kwargs):
    return getattr(keras.layers, class_name)(**kwargs), getattr(torchkeras.layers, class_name)(**kwargs)


LAYERS = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False})]

OPTION_CASES = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"use_bias": False, "return_sequences": True},
    {"unroll": True, "return_sequences": True},
    {"activation": "relu", "return_sequences": True},
]


@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
@pytest.mark.parametrize("options", OPTION_CASES)
def test_options_parity(class_name, layer_kwargs, options, device):
    kwargs = dict(layer_kwargs, units=U, name="rnn_layer", **options)
    check_layer_parity(class_name, kwargs, _x(), device=device)


@pytest.mark.parametrize("kwargs", [
    {"recurrent_activation": "hard_sigmoid", "activation": "softsign"},
    {"unit_forget_bias": False, "bias_initializer": "ones"},
    {"use_bias": False, "go_backwards": True, "return_sequences": True},
])
def test_lstm_specific_options_parity(kwargs, device):
    check_layer_parity("LSTM", dict(kwargs, units=U, name="lstm"), _x(), device=device)


def test_gru_specific_options_parity(device):
    check_layer_parity("GRU", dict(units=U, recurrent_activation="relu", reset_after=False, use_bias=False,
                                   name="gru", return_sequences=True), _x(), device=device)


def test_initializer_statistics_match_keras():
    """Freshly initialized weights: the same distributions (orthogonal recurrent kernels, unit forget bias)."""
    k, t = _pair("LSTM", units=8)
    k(_x((2, 3, 16)))
    t(torch.as_tensor(_x((2, 3, 16))))
    kk, kr, kb = k.get_weights()
    tk, tr, tb = t.get_weights()
    np.testing.assert_array_equal(kb, tb)  # zeros, ones on the forget gate, zeros
    np.testing.assert_allclose(tr @ tr.T, np.eye(8), atol=1e-5)  # orthogonal rows
    limit = np.sqrt(6 / (16 + 32))
    assert np.abs(tk).max() <= limit and np.abs(kk).max() <= limit
    assert abs(tk.std() - kk.std()) < 0.25 * kk.std()
    g_keras, g_tk = _pair("GRU", units=4)
    g_keras(_x((2, 3, 4)))
    g_tk(torch.as_tensor(_x((2, 3, 4))))
    assert [w.shape for w in g_keras.get_weights()] == [w.shape for w in g_tk.get_weights()]


# ---------------------------------------------------------------------------------------------- masks

@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
@pytest.mark.parametrize("mask_name", sorted(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_mask_parity(class_name, layer_kwargs, mask_name, go_backwards, device):
    kwargs = dict(layer_kwargs, units=U, return_sequences=True, return_state=True, go_backwards=go_backwards)
    keras_layer, tk_layer = _pair(class_name, **kwargs)
    _compare(keras_layer, tk_layer, _x(), device, {"mask": _mask(mask_name)})


@pytest.mark.parametrize("mask_name", ["right", "left", "empty_row"])
def test_mask_last_output_parity(mask_name, device):
    keras_layer, tk_layer = _pair("LSTM", units=U)
    _compare(keras_layer, tk_layer, _x(), device, {"mask": _mask(mask_name)})


@pytest.mark.parametrize("cell_name", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("mask_name", ["right", "holes", "empty_row"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_zero_output_for_mask_parity(cell_name, mask_name, return_sequences, device):
    layers = [K.layers.RNN(getattr(K.layers, cell_name)(U, name="cell"), return_sequences=return_sequences,
                           zero_output_for_mask=True, return_state=True, name="rnn") for K in (keras, torchkeras)]
    _compare(*layers, _x(), device, {"mask": _mask(mask_name)})
    assert layers[0].get_config() == layers[1].get_config()


def test_mask_from_embedding_in_a_model_parity(device):
    def build(K):
        tokens = K.Input((T,), dtype="int32")
        x = K.layers.Embedding(12, F, mask_zero=True)(tokens)
        x, h, c = K.layers.LSTM(U, return_sequences=True, return_state=True)(x)
        x = K.layers.GRU(U, return_sequences=True)(x)
        y = K.layers.SimpleRNN(U, go_backwards=True)(x)
        return K.Model(tokens, [y, h, c])

    keras_model, tk_model = build(keras), build(torchkeras)
    tk_model.set_weights(keras_model.get_weights())
    tk_model.to(device)
    tokens = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 1, 2, 3, 4], [5, 0, 6, 0, 7, 8], [0] * 6], "int32")
    expected = _to_numpy(keras_model(tokens))
    received = _to_numpy(tk_model(torch.as_tensor(tokens).to(device)))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "model outputs")


def test_compute_mask_matches_keras():
    mask = _mask("holes")
    for kwargs in [{}, {"return_sequences": True}, {"return_state": True},
                   {"return_sequences": True, "return_state": True}]:
        k, t = _pair("LSTM", units=U, **kwargs)
        km = k.compute_mask(None, mask)
        tm = t.compute_mask(None, mask)
        flat_k = km if isinstance(km, list) else [km]
        flat_t = tm if isinstance(tm, list) else [tm]
        assert len(flat_k) == len(flat_t)
        for a, b in zip(flat_k, flat_t):
            assert (a is None) == (b is None)
            if a is not None:
                assert torch.equal(torch.as_tensor(np.asarray(a)), b)


# ---------------------------------------------------------------------------------------------- states

@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
@pytest.mark.parametrize("with_mask", [False, True])
def test_initial_state_parity(class_name, layer_kwargs, with_mask, device):
    n_states = 2 if class_name == "LSTM" else 1
    states = [torch.as_tensor(_x((B, U), seed=10 + i)) for i in range(n_states)]
    call_kwargs = {"initial_state": states if n_states > 1 else states[0]}
    if with_mask:
        call_kwargs["mask"] = _mask("holes")
    keras_layer, tk_layer = _pair(class_name, units=U, return_sequences=True, return_state=True, **layer_kwargs)
    _compare(keras_layer, tk_layer, _x(), device, call_kwargs)


def test_initial_state_as_symbolic_inputs_parity(device):
    def build(K):
        x = K.Input((T, F))
        h, c = K.Input((U,)), K.Input((U,))
        y, hn, cn = K.layers.LSTM(U, return_sequences=True, return_state=True)(x, initial_state=[h, c])
        z = K.layers.GRU(U)(y, initial_state=hn)
        return K.Model([x, h, c], [z, cn])

    keras.backend.clear_session()
    torchkeras.backend.clear_session()
    keras_model, tk_model = build(keras), build(torchkeras)
    # Build configs included: Keras records `{"shapes_dict": {"sequences_shape", "initial_state_shape"}}`.
    assert torchkeras.saving.serialize_keras_object(tk_model) == keras.saving.serialize_keras_object(keras_model)
    tk_model.set_weights(keras_model.get_weights())
    tk_model.to(device)
    inputs = [_x(), _x((B, U), seed=1), _x((B, U), seed=2)]
    expected = _to_numpy(keras_model(inputs))
    received = _to_numpy(tk_model([torch.as_tensor(v).to(device) for v in inputs]))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "model outputs")


def test_initial_state_with_embedding_mask_matches_keras(device):
    """Keras fills `mask` from the input only for single-tensor calls: with `initial_state`, the
    embedding's mask is not used by the LSTM (but still set on its output)."""
    def build(K):
        tokens = K.Input((T,), dtype="int32")
        h = K.Input((U,))
        x = K.layers.Embedding(12, F, mask_zero=True)(tokens)
        y = K.layers.GRU(U, return_sequences=True)(x, initial_state=h)
        return K.Model([tokens, h], K.layers.LSTM(U)(y))

    keras_model, tk_model = build(keras), build(torchkeras)
    tk_model.set_weights(keras_model.get_weights())
    tk_model.to(device)
    tokens = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 1, 2, 3, 4], [5, 0, 6, 0, 7, 8], [1] * 6], "int32")
    h = _x((B, U), seed=3)
    expected = _to_numpy(keras_model([tokens, h]))
    received = _to_numpy(tk_model([torch.as_tensor(tokens).to(device), torch.as_tensor(h).to(device)]))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "model outputs")


@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
def test_stateful_parity(class_name, layer_kwargs, device):
    keras_layer, tk_layer = _pair(class_name, units=U, stateful=True, return_state=True, **layer_kwargs)
    x1, x2 = _x(seed=1), _x(seed=2)
    keras_layer(x1)
    tk_layer.to(device)
    tk_layer(torch.as_tensor(x1).to(device))
    tk_layer.set_weights(keras_layer.get_weights())
    keras_layer.reset_state()
    tk_layer.reset_state()
    for x in (x1, x2):  # the second call starts from the first call's states
        expected = _to_numpy(keras_layer(x))
        received = _to_numpy(tk_layer(torch.as_tensor(x).to(device)))
        assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "stateful output")
    assert_close(_to_numpy(list(keras_layer.states)), _to_numpy(list(tk_layer.states)), LAYER_ATOL, LAYER_RTOL,
                 "stored states")
    keras_layer.reset_state()
    tk_layer.reset_state()
    expected = _to_numpy(keras_layer(x2, mask=_mask("holes")))
    received = _to_numpy(tk_layer(torch.as_tensor(x2).to(device), mask=_mask("holes").to(device)))
    assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, "stateful output after reset_state")


# ---------------------------------------------------------------------------------------------- cells

class KerasMinimalCell(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel)
                                + keras.ops.matmul(states[0], self.recurrent_kernel))
        return output, [output]


class TorchkerasMinimalCell(torchkeras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]


class KerasTwoStateCell(keras.layers.Layer):
    """A user cell with two states of different sizes and an `output_size`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state_size = [2, 3]
        self.output_size = 2

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, inputs, states):
        a = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel) + states[0])
        b = states[1] * 0.5 + keras.ops.sum(a, axis=-1, keepdims=True)
        return a, [a, b]


class TorchkerasTwoStateCell(torchkeras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state_size = [2, 3]
        self.output_size = 2

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, inputs, states):
        a = torch.tanh(inputs @ self.kernel + states[0])
        b = states[1] * 0.5 + a.sum(dim=-1, keepdim=True)
        return a, [a, b]


@pytest.mark.parametrize("mask_name", [None, "holes"])
@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "return_state": True, "go_backwards": True}])
def test_user_cell_parity(mask_name, options, device):
    call_kwargs = {} if mask_name is None else {"mask": _mask(mask_name)}
    _compare(keras.layers.RNN(KerasMinimalCell(U, name="minimal_cell"), **options),
             torchkeras.layers.RNN(TorchkerasMinimalCell(U, name="minimal_cell"), **options), _x(), device, call_kwargs)
    _compare(keras.layers.RNN(KerasTwoStateCell(name="two_state_cell"), **options),
             torchkeras.layers.RNN(TorchkerasTwoStateCell(name="two_state_cell"), **options), _x(), device,
             call_kwargs)


def test_list_of_user_cells_parity(device):
    keras_cells = [KerasMinimalCell(U, name="minimal_cell"), KerasTwoStateCell(name="two_state_cell")]
    tk_cells = [TorchkerasMinimalCell(U, name="minimal_cell"), TorchkerasTwoStateCell(name="two_state_cell")]
    _compare(keras.layers.RNN(keras_cells, return_state=True), torchkeras.layers.RNN(tk_cells, return_state=True),
             _x(), device, {"mask": _mask("right")})


@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "return_state": True}])
@pytest.mark.parametrize("mask_name", [None, "left"])
def test_stacked_rnn_cells_parity(options, mask_name, device):
    def cells(K):
        return [K.layers.LSTMCell(U), K.layers.GRUCell(4), K.layers.SimpleRNNCell(2)]

    keras_layer = keras.layers.RNN(keras.layers.StackedRNNCells(cells(keras)), **options)
    tk_layer = torchkeras.layers.RNN(torchkeras.layers.StackedRNNCells(cells(torchkeras)), **options)
    call_kwargs = {} if mask_name is None else {"mask": _mask(mask_name)}
    _compare(keras_layer, tk_layer, _x(), device, call_kwargs)
    keras_config, tk_config = keras_layer.get_config(), tk_layer.get_config()
    for config in (keras_config, tk_config):
        config.pop("name")
        for cell in config["cell"]["config"]["cells"]:
            cell["config"].pop("name")
            cell.pop("build_config", None)
        config["cell"]["config"].pop("name")
        config["cell"].pop("build_config", None)
    assert keras_config == tk_config


@pytest.mark.parametrize("cell_name, kwargs", [("SimpleRNNCell", {}), ("LSTMCell", {}), ("GRUCell", {}),
                                               ("GRUCell", {"reset_after": False})])
def test_rnn_of_builtin_cell_parity(cell_name, kwargs, device):
    _compare(keras.layers.RNN(getattr(keras.layers, cell_name)(U, **kwargs), return_sequences=True),
             torchkeras.layers.RNN(getattr(torchkeras.layers, cell_name)(U, **kwargs), return_sequences=True),
             _x(), device, {"mask": _mask("holes")})


def test_cell_step_parity(device):
    """One cell step called directly, states in and out."""
    for cell_name, kwargs in [("SimpleRNNCell", {}), ("LSTMCell", {}), ("GRUCell", {}),
                              ("GRUCell", {"reset_after": False})]:
        keras_cell = getattr(keras.layers, cell_name)(U, name="cell", **kwargs)
        tk_cell = getattr(torchkeras.layers, cell_name)(U, name="cell", **kwargs)
        x = _x((B, F))
        states = [_x((B, U), seed=i) for i in range(2 if cell_name == "LSTMCell" else 1)]
        keras_cell.build((B, F))
        tk_cell.build((B, F))
        tk_cell.set_weights(keras_cell.get_weights())
        tk_cell.to(device)
        expected = _to_numpy(keras_cell(x, [torch.as_tensor(s) for s in states]))
        received = _to_numpy(tk_cell(torch.as_tensor(x).to(device), [torch.as_tensor(s).to(device) for s in states]))
        assert_close(expected, received, LAYER_ATOL, LAYER_RTOL, f"{cell_name} step")
        assert keras_cell.get_config() == tk_cell.get_config()


# ---------------------------------------------------------------------------------------------- training

@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
def test_training_without_dropout_equals_inference(class_name, layer_kwargs, device):
    keras_layer, tk_layer = _pair(class_name, units=U, return_sequences=True, dropout=0.0, **layer_kwargs)
    _compare(keras_layer, tk_layer, _x(), device, training=True)


@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
@pytest.mark.parametrize("mask_name", [None, "right"])
@pytest.mark.parametrize("rates", [{"dropout": 1.0}, {"dropout": 1.0, "recurrent_dropout": 1.0}])
def test_dropout_rate_one_parity(class_name, layer_kwargs, mask_name, rates, device):
    """Rate 1.0 is deterministic, and where Keras applies it depends on its path (see `_gated.py`)."""
    call_kwargs = {} if mask_name is None else {"mask": _mask(mask_name)}
    keras_layer, tk_layer = _pair(class_name, units=U, return_sequences=True, **layer_kwargs, **rates)
    _compare(keras_layer, tk_layer, _x(), device, call_kwargs, training=True)


def _training_mean(layer, x, n_calls, **kwargs):
    outs = [_to_numpy(layer(x, training=True, **kwargs)) for _ in range(n_calls)]
    return np.mean(outs, axis=0), np.std(outs, axis=0)


@pytest.mark.parametrize("class_name, layer_kwargs", [
    ("LSTM", {"dropout": 0.4}),
    ("GRU", {"dropout": 0.4}),
    ("LSTM", {"recurrent_dropout": 0.4}),
    ("GRU", {"dropout": 0.3, "recurrent_dropout": 0.3, "reset_after": False}),
    ("SimpleRNN", {"dropout": 0.3, "recurrent_dropout": 0.3}),
])
def test_dropout_statistics_parity(class_name, layer_kwargs, device):
    """Keras and torch draw different masks: compare the mean training output over many independent
    masks (a large batch of identical rows), within five standard errors."""
    rows = 1000
    base = _x((1, T, F))
    x = np.repeat(base, rows, axis=0)
    keras_layer, tk_layer = _pair(class_name, units=U, **layer_kwargs)
    keras_layer(x[:2])
    tk_layer.to(device)
    tk_layer(torch.as_tensor(x[:2]).to(device))
    tk_layer.set_weights(keras_layer.get_weights())
    k_out = _to_numpy(keras_layer(x, training=True))
    t_out = _to_numpy(tk_layer(torch.as_tensor(x).to(device), training=True))
    k_mean, t_mean = k_out.mean(0), t_out.mean(0)
    stderr = np.sqrt(k_out.var(0) / rows + t_out.var(0) / rows)
    assert np.all(np.abs(k_mean - t_mean) <= 5 * stderr + 1e-6), (k_mean, t_mean, stderr)
    assert np.allclose(k_out.std(0), t_out.std(0), rtol=0.15, atol=1e-3)
    assert t_out.std(0).max() > 1e-2  # dropout does change the outputs
    # Rows differ: masks are drawn per sample (only 2**5 input masks exist for 5 features).
    assert np.unique(np.round(t_out, 5), axis=0).shape[0] > 10


def test_dropout_mask_is_one_per_sequence(device):
    """With an identity kernel and no recurrence, SimpleRNN's training output is inputs * mask: the same
    mask at every timestep, values 0 or 1 / (1 - rate), zeros at about `rate` of the units; as in Keras."""
    rate, rows = 0.3, 400
    x = np.ones((rows, T, U), "float32")
    fractions = []
    for K in (keras, torchkeras):
        layer = K.layers.SimpleRNN(U, activation=None, return_sequences=True, dropout=rate,
                                   kernel_initializer="identity", recurrent_initializer="zeros")
        if K is torchkeras:
            layer.to(device)
            out = _to_numpy(layer(torch.as_tensor(x).to(device), training=True))
        else:
            out = _to_numpy(layer(x, training=True))
        assert np.allclose(out, out[:, :1, :]), "the mask changes across timesteps"
        assert np.all(np.isclose(out, 0) | np.isclose(out, 1 / (1 - rate)))
        fractions.append(np.isclose(out[:, 0], 0).mean())
    n = rows * U
    bound = 5 * np.sqrt(rate * (1 - rate) / n)
    assert all(abs(f - rate) < bound for f in fractions), fractions


# ---------------------------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("class_name, layer_kwargs", LAYERS)
@pytest.mark.parametrize("mask_name", [None, "right", "holes"])
def test_gradient_parity(class_name, layer_kwargs, mask_name, device):
    keras_layer, tk_layer = _pair(class_name, units=U, return_sequences=True, return_state=True, **layer_kwargs)
    x = _x()
    call_kwargs = {} if mask_name is None else {"mask": _mask(mask_name)}
    keras_layer(x, **call_kwargs)
    tk_layer.to(device)
    tk_layer(torch.as_tensor(x).to(device), **_on(call_kwargs, device))
    tk_layer.set_weights(keras_layer.get_weights())

    def loss(outputs):
        return sum((o * torch.linspace(0.5, 1.5, o.shape[-1], device=o.device)).sum() for o in outputs)

    xk = torch.as_tensor(x).requires_grad_(True)
    loss(keras_layer(xk, **call_kwargs)).backward()
    xt = torch.as_tensor(x).to(device).requires_grad_(True)
    loss(tk_layer(xt, **_on(call_kwargs, device))).backward()
    expected = [xk.grad.numpy()] + [w.value.grad.detach().cpu().numpy() for w in keras_layer.trainable_weights]
    received = [xt.grad.cpu().numpy()] + [w.value.grad.detach().cpu().numpy() for w in tk_layer.trainable_weights]
    assert_close(expected, received, 1e-5, 1e-4, "gradients")


def test_functional_config_round_trip_with_keras():
    """A Keras model config (LSTM, GRU, Bidirectional) rebuilds in torchkeras with the same weights."""
    inputs = keras.Input((T, F))
    x = keras.layers.LSTM(U, return_sequences=True, dropout=0.1)(inputs)
    x = keras.layers.Bidirectional(keras.layers.GRU(U, reset_after=False))(x)
    keras_model = keras.Model(inputs, x)
    tk_model = torchkeras.Model.from_config(keras_model.get_config())
    tk_model.set_weights(keras_model.get_weights())
    assert_close(_to_numpy(keras_model(_x())), _to_numpy(tk_model(torch.as_tensor(_x()))), LAYER_ATOL, LAYER_RTOL,
                 "model rebuilt from Keras's config")
