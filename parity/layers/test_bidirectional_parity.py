"""Parity of Bidirectional with real Keras: merge modes, return_state, masks, initial_state, a custom
backward layer, gradients, config."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import LAYER_ATOL, LAYER_RTOL, _to_numpy, assert_close  # noqa: E402
from parity.layers.test_rnn_parity import MASKS, _compare, _mask, _on, _x  # noqa: E402

B, T, F, U = 4, 6, 5, 3


def _pair(inner, merge_mode="concat", backward=None, **kwargs):
    def make(K):
        layer = getattr(K.layers, inner[0])(**dict({"name": "inner"}, **inner[1]))
        backward_layer = None if backward is None else getattr(K.layers, backward[0])(**backward[1])
        return K.layers.Bidirectional(layer, merge_mode=merge_mode, backward_layer=backward_layer,
                                      **dict({"name": "bidirectional"}, **kwargs))

    return make(keras), make(torchkeras)


INNER = [("LSTM", {"units": U}), ("GRU", {"units": U}), ("GRU", {"units": U, "reset_after": False}),
         ("SimpleRNN", {"units": U})]


MERGE_CASES = [(INNER[0], mode) for mode in ["concat", "sum", "mul", "ave", None]] + [
    (inner, "concat") for inner in INNER[1:]]


@pytest.mark.parametrize("inner, merge_mode", MERGE_CASES)
@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "return_state": True}])
def test_bidirectional_parity(inner, merge_mode, options, device):
    keras_layer, tk_layer = _pair((inner[0], dict(inner[1], **options)), merge_mode=merge_mode)
    _compare(keras_layer, tk_layer, _x(), device)
    assert keras_layer.get_config() == tk_layer.get_config()


@pytest.mark.parametrize("inner", [INNER[0], INNER[2]])
@pytest.mark.parametrize("mask_name", sorted(MASKS))
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_mask_parity(inner, mask_name, return_sequences, device):
    keras_layer, tk_layer = _pair((inner[0], dict(inner[1], return_sequences=return_sequences)))
    _compare(keras_layer, tk_layer, _x(), device, {"mask": _mask(mask_name)})


@pytest.mark.parametrize("inner, n_states", [(INNER[0], 2), (INNER[1], 1)])
def test_bidirectional_initial_state_parity(inner, n_states, device):
    """The initial states are one list: the forward layer's, then the backward layer's."""
    states = [torch.as_tensor(_x((B, U), seed=20 + i)) for i in range(2 * n_states)]
    keras_layer, tk_layer = _pair((inner[0], dict(inner[1], return_sequences=True, return_state=True)),
                                  merge_mode=None)
    _compare(keras_layer, tk_layer, _x(), device, {"initial_state": states})


def test_bidirectional_custom_backward_layer_parity(device):
    keras_layer, tk_layer = _pair(("LSTM", {"units": U, "return_sequences": True}),
                                  backward=("LSTM", {"units": U, "return_sequences": True, "go_backwards": True,
                                                     "activation": "relu", "name": "back"}))
    _compare(keras_layer, tk_layer, _x(), device, {"mask": _mask("holes")})
    assert keras_layer.get_config() == tk_layer.get_config()
    assert [w.path.split("/", 1)[1] for w in tk_layer.weights][3:] == [
        "back/lstm_cell/kernel", "back/lstm_cell/recurrent_kernel", "back/lstm_cell/bias"]


def test_bidirectional_training_without_dropout_equals_inference(device):
    keras_layer, tk_layer = _pair(("GRU", {"units": U, "return_sequences": True}), merge_mode="sum")
    _compare(keras_layer, tk_layer, _x(), device, training=True)


@pytest.mark.parametrize("mask_name", [None, "right"])
def test_bidirectional_gradient_parity(mask_name, device):
    keras_layer, tk_layer = _pair(("LSTM", {"units": U, "return_sequences": True}))
    x = _x()
    call_kwargs = {} if mask_name is None else {"mask": _mask(mask_name)}
    keras_layer(x, **call_kwargs)
    tk_layer.to(device)
    tk_layer(torch.as_tensor(x).to(device), **_on(call_kwargs, device))
    tk_layer.set_weights(keras_layer.get_weights())
    xk = torch.as_tensor(x).requires_grad_(True)
    (keras_layer(xk, **call_kwargs) ** 2).sum().backward()
    xt = torch.as_tensor(x).to(device).requires_grad_(True)
    (tk_layer(xt, **_on(call_kwargs, device)) ** 2).sum().backward()
    expected = [xk.grad.numpy()] + [w.value.grad.cpu().numpy() for w in keras_layer.trainable_weights]
    received = [xt.grad.cpu().numpy()] + [w.value.grad.cpu().numpy() for w in tk_layer.trainable_weights]
    assert_close(expected, received, 1e-5, 1e-4, "gradients")


def test_bidirectional_in_a_model_parity(device):
    def build(K):
        tokens = K.Input((T,), dtype="int32")
        x = K.layers.Embedding(12, F, mask_zero=True)(tokens)
        x = K.layers.Bidirectional(K.layers.LSTM(U, return_sequences=True))(x)
        x = K.layers.Bidirectional(K.layers.GRU(U), merge_mode="ave")(x)
        return K.Model(tokens, K.layers.Dense(2)(x))

    keras_model, tk_model = build(keras), build(torchkeras)
    tk_model.set_weights(keras_model.get_weights())
    tk_model.to(device)
    tokens = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 1, 2, 3, 4], [5, 0, 6, 0, 7, 8], [0] * 6], "int32")
    assert_close(_to_numpy(keras_model(tokens)), _to_numpy(tk_model(torch.as_tensor(tokens).to(device))),
                 LAYER_ATOL, LAYER_RTOL, "model outputs")


def test_bidirectional_stateful_parity(device):
    keras_layer, tk_layer = _pair(("GRU", {"units": U, "stateful": True}))
    x1, x2 = _x(seed=1), _x(seed=2)
    keras_layer(x1)
    tk_layer.to(device)
    tk_layer(torch.as_tensor(x1).to(device))
    tk_layer.set_weights(keras_layer.get_weights())
    keras_layer.reset_state()
    tk_layer.reset_state()
    for x in (x1, x2):
        assert_close(_to_numpy(keras_layer(x)), _to_numpy(tk_layer(torch.as_tensor(x).to(device))),
                     LAYER_ATOL, LAYER_RTOL, "stateful output")
    assert len(keras_layer.states) == len(tk_layer.states) == 2


def test_bidirectional_compute_output_shape_matches_keras():
    for merge_mode in ["concat", "sum", None]:
        for options in [{}, {"return_sequences": True}, {"return_state": True},
                        {"return_sequences": True, "return_state": True}]:
            k, t = _pair(("LSTM", dict(units=U, **options)), merge_mode=merge_mode)
            shape = (None, T, F)
            expected = k.compute_output_shape(shape)
            received = t.compute_output_shape(shape)
            assert _normalize(expected) == _normalize(received), (merge_mode, options)


def _normalize(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_normalize(s) for s in shape]
    return tuple(shape)
