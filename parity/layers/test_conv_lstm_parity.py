"""Parity of ConvLSTM1D/2D/3D (and the ConvLSTMCell) with real Keras: padding, strides, dilation, data
formats, return options, go_backwards, initial_state, masks, stateful, training with dropout (the same
masks handed to both sides), gradients, and configs in both directions."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import (  # noqa: E402
    LAYER_ATOL, LAYER_RTOL, _to_device, _to_numpy, assert_close, check_layer_parity, random_weights_like,
)

FORMATS = ["channels_last", "channels_first"]


def _x(steps, spatial, channels, data_format, batch=2, seed=0):
    shape = ((batch, steps) + tuple(spatial) + (channels,) if data_format == "channels_last"
             else (batch, steps, channels) + tuple(spatial))
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# (kwargs, spatial): padding, strides (same padding at odd and even sizes), dilation, kernel shapes, ...
CASES = {
    1: [(dict(filters=3, kernel_size=3), (8,)),
        (dict(filters=3, kernel_size=3, padding="same", strides=2), (8,)),
        (dict(filters=3, kernel_size=2, padding="same", strides=2), (7,)),
        (dict(filters=3, kernel_size=2, padding="same", dilation_rate=2), (7,)),
        (dict(filters=2, kernel_size=4, padding="same", use_bias=False), (6,))],
    2: [(dict(filters=3, kernel_size=3), (6, 5)),
        (dict(filters=3, kernel_size=3, padding="same"), (5, 4)),
        (dict(filters=3, kernel_size=3, strides=2, padding="same"), (6, 6)),
        (dict(filters=3, kernel_size=3, strides=2, padding="same"), (7, 7)),
        (dict(filters=2, kernel_size=(3, 2), strides=(2, 1)), (7, 6)),
        (dict(filters=2, kernel_size=2, padding="same"), (5, 5)),
        (dict(filters=2, kernel_size=3, dilation_rate=(2, 1), padding="same"), (7, 6)),
        (dict(filters=2, kernel_size=2, dilation_rate=2), (6, 6)),
        (dict(filters=2, kernel_size=3, padding="same", activation="relu", recurrent_activation="hard_sigmoid",
              unit_forget_bias=False), (4, 5))],
    3: [(dict(filters=2, kernel_size=2), (4, 4, 3)),
        (dict(filters=2, kernel_size=3, strides=2, padding="same"), (4, 5, 3)),
        (dict(filters=2, kernel_size=2, dilation_rate=2, padding="same", use_bias=False), (4, 3, 5))],
}


def _cases():
    return [(rank, kwargs, spatial, fmt) for rank, cases in CASES.items() for kwargs, spatial in cases
            for fmt in FORMATS]


@pytest.mark.parametrize("rank, kwargs, spatial, data_format", _cases())
def test_conv_lstm_parity(rank, kwargs, spatial, data_format, device):
    check_layer_parity(f"ConvLSTM{rank}D", dict(kwargs, data_format=data_format, name="conv_lstm"),
                       _x(3, spatial, 2, data_format), device=device)


@pytest.mark.parametrize("options", [
    dict(return_sequences=True),
    dict(return_state=True),
    dict(return_sequences=True, return_state=True),
    dict(go_backwards=True),
    dict(go_backwards=True, return_sequences=True, return_state=True),
])
@pytest.mark.parametrize("data_format", FORMATS)
def test_conv_lstm_return_options_parity(options, data_format, device):
    check_layer_parity("ConvLSTM2D", dict(filters=3, kernel_size=3, padding="same", data_format=data_format,
                                          name="conv_lstm", **options),
                       _x(4, (5, 4), 2, data_format), device=device)


def _pair(class_name, kwargs, build_shape, seed=3):
    """The layer in Keras and torchkeras, built, with the same random weights."""
    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**kwargs)
    keras_layer.build(build_shape)
    tk_layer.build(build_shape)
    weights = random_weights_like(keras_layer.get_weights(), seed=seed)
    weights = [w * np.float32(0.5) for w in weights]  # keep the gates away from saturation
    keras_layer.set_weights(weights)
    tk_layer.set_weights(weights)
    return keras_layer, tk_layer


def _compare(keras_out, tk_out, what):
    assert_close(_to_numpy(keras_out), _to_numpy(tk_out), LAYER_ATOL, LAYER_RTOL, what)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("data_format", FORMATS)
def test_conv_lstm_initial_state_parity(rank, data_format, device):
    spatial = (5, 4, 3)[:rank]
    kwargs = dict(filters=3, kernel_size=2, strides=2, padding="same", data_format=data_format,
                  return_sequences=True, return_state=True)
    x = _x(3, spatial, 2, data_format)
    keras_layer, tk_layer = _pair(f"ConvLSTM{rank}D", kwargs, (None,) + x.shape[1:])
    state_shape = tuple(keras_layer.compute_output_shape(x.shape)[1])
    rng = np.random.default_rng(5)
    states = [rng.standard_normal(state_shape).astype("float32") for _ in range(2)]
    expected = keras_layer(x, initial_state=states)
    tk_layer.to(device)
    received = tk_layer(_to_device(x, device), initial_state=_to_device(states, device))
    _compare(expected, received, f"ConvLSTM{rank}D with initial_state")


@pytest.mark.parametrize("options", [dict(return_sequences=True), dict(return_sequences=False),
                                     dict(return_sequences=True, go_backwards=True, return_state=True),
                                     dict(return_sequences=True, zero_output_for_mask=True)])
def test_conv_lstm_mask_parity(options, device):
    kwargs = dict(filters=3, kernel_size=3, padding="same", **options)
    x = _x(5, (4, 4), 2, "channels_last")
    mask = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    keras_layer, tk_layer = _pair("ConvLSTM2D", kwargs, (None,) + x.shape[1:])
    expected = keras_layer(x, mask=keras.ops.convert_to_tensor(mask))
    tk_layer.to(device)
    received = tk_layer(_to_device(x, device), mask=_to_device(mask, device))
    _compare(expected, received, f"ConvLSTM2D with a mask, {options}")


def test_conv_lstm_stateful_parity(device):
    kwargs = dict(filters=2, kernel_size=3, padding="same", stateful=True)
    x = _x(4, (4, 5), 2, "channels_first")
    kwargs["data_format"] = "channels_first"
    keras_layer, tk_layer = _pair("ConvLSTM2D", kwargs, x.shape)
    tk_layer.to(device)
    for part in (x[:, :2], x[:, 2:]):
        _compare(keras_layer(part), tk_layer(_to_device(part, device)), "stateful ConvLSTM2D")
    keras_layer.reset_state()
    tk_layer.reset_state()
    _compare(keras_layer(x[:, 2:]), tk_layer(_to_device(x[:, 2:], device)), "stateful ConvLSTM2D after reset")


@pytest.mark.parametrize("rank, data_format", [(1, "channels_last"), (2, "channels_first"), (3, "channels_last")])
def test_conv_lstm_training_with_dropout_parity(rank, data_format, device):
    """Random streams differ, so both sides get the same dropout masks (one per gate, as Keras draws)."""
    spatial = (6, 5, 4)[:rank]
    kwargs = dict(filters=2, kernel_size=3, padding="same", data_format=data_format, dropout=0.3,
                  recurrent_dropout=0.4, return_sequences=True)
    x = _x(3, spatial, 2, data_format)
    keras_layer, tk_layer = _pair(f"ConvLSTM{rank}D", kwargs, (None,) + x.shape[1:])
    state_shape = tuple(keras_layer.compute_output_shape(x.shape)[2:])  # one output step, without the batch
    rng = np.random.default_rng(11)

    def masks(shape, rate):
        return [((rng.random(shape) >= rate) / (1 - rate)).astype("float32") for _ in range(4)]

    input_masks = masks((2,) + x.shape[2:], 0.3)
    recurrent_masks = masks((2,) + state_shape, 0.4)

    def fake(masks_by_rate, convert):
        return lambda step_input, rate: [convert(m) for m in masks_by_rate[rate]]

    keras_layer.cell._create_dropout_mask = fake({0.3: input_masks, 0.4: recurrent_masks},
                                                 keras.ops.convert_to_tensor)
    tk_layer.to(device)
    tk_layer.cell._create_dropout_mask = fake({0.3: input_masks, 0.4: recurrent_masks},
                                              lambda m: torch.from_numpy(m).to(device))
    expected = keras_layer(x, training=True)
    received = tk_layer(_to_device(x, device), training=True)
    _compare(expected, received, f"ConvLSTM{rank}D in training with dropout")
    # The masks matter: inference differs.
    assert not np.allclose(_to_numpy(expected), _to_numpy(keras_layer(x)))
    _compare(keras_layer(x), tk_layer(_to_device(x, device)), f"ConvLSTM{rank}D inference after training")


def test_conv_lstm_gradients_parity(device):
    kwargs = dict(filters=2, kernel_size=3, padding="same", strides=2, return_sequences=True)
    x = _x(3, (5, 6), 2, "channels_last")
    keras_layer, tk_layer = _pair("ConvLSTM2D", kwargs, (None,) + x.shape[1:])
    target = np.random.default_rng(2).standard_normal(keras_layer.compute_output_shape(x.shape)).astype("float32")
    keras_loss = ((keras_layer(x) - keras.ops.convert_to_tensor(target)) ** 2).sum()
    keras_loss.backward()
    tk_layer.to(device)
    tk_loss = ((tk_layer(_to_device(x, device)) - _to_device(target, device)) ** 2).sum()
    tk_loss.backward()
    keras_grads = [_to_numpy(w.value.grad) for w in keras_layer.trainable_weights]
    tk_grads = [_to_numpy(w.value.grad) for w in tk_layer.trainable_weights]
    assert_close(keras_grads, tk_grads, 1e-4, 1e-4, "ConvLSTM2D weight gradients")


def test_conv_lstm_cell_parity(device):
    from keras.src.layers.rnn.conv_lstm import ConvLSTMCell as KerasCell

    from torchkeras.layers.rnn.conv_lstm import ConvLSTMCell

    kwargs = dict(rank=2, filters=3, kernel_size=3, strides=2, padding="same", name="cell")
    keras_cell, tk_cell = KerasCell(**kwargs), ConvLSTMCell(**kwargs)
    x = _x(1, (7, 6), 2, "channels_last")[:, 0]
    keras_cell.build(x.shape)
    tk_cell.build(x.shape)
    assert keras_cell.get_config() == tk_cell.get_config()
    weights = random_weights_like(keras_cell.get_weights(), seed=1)
    keras_cell.set_weights(weights)
    tk_cell.set_weights(weights)
    rng = np.random.default_rng(4)
    h, c = (rng.standard_normal((2, 4, 3, 3)).astype("float32") for _ in range(2))
    expected = keras_cell(keras.ops.convert_to_tensor(x), [keras.ops.convert_to_tensor(h),
                                                          keras.ops.convert_to_tensor(c)])
    tk_cell.to(device)
    received = tk_cell(_to_device(x, device), _to_device([h, c], device))
    _compare(expected, received, "ConvLSTMCell (output, [h, c])")


def test_conv_lstm_config_parity_both_ways():
    kwargs = dict(filters=3, kernel_size=(2, 3), strides=(1, 2), padding="same", data_format="channels_first",
                  activation="relu", recurrent_activation="hard_sigmoid", use_bias=True,
                  kernel_initializer="he_normal", recurrent_initializer="glorot_uniform", bias_initializer="ones",
                  unit_forget_bias=False, kernel_regularizer="l2", recurrent_regularizer="l1",
                  bias_regularizer="l1", activity_regularizer="l2", kernel_constraint="non_neg",
                  recurrent_constraint="unit_norm", bias_constraint="max_norm", dropout=0.1,
                  recurrent_dropout=0.2, seed=7, return_sequences=True, return_state=True, go_backwards=True,
                  stateful=False, name="c")
    keras_layer, tk_layer = keras.layers.ConvLSTM2D(**kwargs), torchkeras.layers.ConvLSTM2D(**kwargs)
    assert tk_layer.get_config() == keras_layer.get_config()
    assert torchkeras.layers.ConvLSTM2D.from_config(keras_layer.get_config()).get_config() == \
        keras_layer.get_config()
    assert keras.layers.ConvLSTM2D.from_config(tk_layer.get_config()).get_config() == tk_layer.get_config()
    for rank in (1, 3):
        plain = dict(filters=2, kernel_size=2, name="p")
        assert getattr(torchkeras.layers, f"ConvLSTM{rank}D")(**plain).get_config() == \
            getattr(keras.layers, f"ConvLSTM{rank}D")(**plain).get_config()
