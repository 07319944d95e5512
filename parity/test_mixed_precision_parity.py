"""Mixed precision against real Keras: the same model built under `mixed_float16` / `mixed_bfloat16` in
both, Keras's weights moved into torchkeras, outputs compared (dtype exactly, values within the
autocast bound of DESIGN.md, 1e-2)."""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import assert_close, random_weights_like

# DESIGN.md's autocast bound. Half precision spaces representable values 2**-8 (bfloat16) and 2**-11
# (float16) apart relative to their size, so one rounding step differs by more than 1e-2 once |value| > 1
# in bfloat16: an equal relative bound (a couple of bfloat16 steps) goes with it.
ATOL = 1e-2
RTOL = 1e-2
POLICIES = ["mixed_float16", "mixed_bfloat16"]


@pytest.fixture
def global_policy():
    """Sets the policy in Keras and torchkeras for the test, and always puts float32 back."""
    def set_policy(name):
        keras.mixed_precision.set_global_policy(name)
        torchkeras.mixed_precision.set_global_policy(name)

    try:
        yield set_policy
    finally:
        keras.mixed_precision.set_global_policy("float32")
        torchkeras.mixed_precision.set_global_policy("float32")


def _dense(k):
    inputs = k.Input((8,))
    x = k.layers.Dense(16, activation="relu")(inputs)
    return inputs, k.layers.Dense(4)(x)


def _dense_float32_head(k):
    inputs = k.Input((8,))
    x = k.layers.Dense(16, activation="relu")(inputs)
    return inputs, k.layers.Dense(4, activation="softmax", dtype="float32")(x)


def _conv2d(k):
    inputs = k.Input((8, 8, 3))
    x = k.layers.Conv2D(4, 3, activation="relu")(inputs)
    return inputs, k.layers.Conv2D(2, 3, padding="same")(x)


def _batch_norm(k):
    inputs = k.Input((8,))
    x = k.layers.Dense(16)(inputs)
    return inputs, k.layers.BatchNormalization()(x)


def _layer_norm(k):
    inputs = k.Input((6, 8))
    x = k.layers.Dense(8)(inputs)
    return inputs, k.layers.LayerNormalization()(x)


def _lstm(k):
    inputs = k.Input((5, 3))
    return inputs, k.layers.LSTM(4, return_sequences=True)(inputs)


def _mha(k):
    inputs = k.Input((5, 8))
    return inputs, k.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)


def _as_float32(output):
    """(dtype name, float32 array): numpy has no bfloat16, so dtypes are compared by name."""
    if isinstance(output, torch.Tensor):
        tensor = output.detach()
    else:
        tensor = keras.ops.convert_to_tensor(output)
    return str(tensor.dtype).replace("torch.", ""), tensor.float().cpu().numpy()


MODELS = {
    "dense": (_dense, (4, 8)),
    "dense_float32_head": (_dense_float32_head, (4, 8)),
    "conv2d": (_conv2d, (2, 8, 8, 3)),
    "batch_norm": (_batch_norm, (4, 8)),
    "layer_norm": (_layer_norm, (2, 6, 8)),
    "lstm": (_lstm, (2, 5, 3)),
    "mha": (_mha, (2, 5, 8)),
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_model_parity_under_mixed_policy(model_name, policy, training, device, global_policy):
    if training and model_name != "batch_norm":
        pytest.skip("training mode only changes the computation for BatchNormalization")
    build, input_shape = MODELS[model_name]
    global_policy(policy)
    keras_model = keras.Model(*build(keras))
    model = torchkeras.Model(*build(torchkeras)).to(device)
    # Random weights (moving variance kept positive) so every weight matters.
    # Scaled down to keep activations near 1, where the absolute bound means something in half precision.
    weights = [w * 0.5 if w.dtype.kind == "f" else w
               for w in random_weights_like(keras_model.get_weights(), seed=1)]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    assert all(w.dtype == "float32" for w in model.weights)
    assert model.layers[1].dtype_policy.name == policy

    x = np.random.default_rng(2).normal(size=input_shape).astype("float32")
    try:
        expected_dtype, expected = _as_float32(keras_model(x, training=training))
    except RuntimeError as error:  # Keras's own half-precision kernel missing on this device
        pytest.skip(f"Keras itself fails under {policy} on this device: {error}")
    received_dtype, received = _as_float32(model(torch.as_tensor(x, device=device), training=training))
    assert received_dtype == expected_dtype
    assert_close(expected, received, atol=ATOL, rtol=RTOL, what=f"{model_name} under {policy}")


@pytest.mark.parametrize("policy", POLICIES)
def test_dtype_config_matches_keras(policy):
    keras_layer = keras.layers.Dense(2, dtype=policy)
    layer = torchkeras.layers.Dense(2, dtype=policy)
    assert layer.get_config()["dtype"] == keras_layer.get_config()["dtype"]
    restored = torchkeras.layers.Dense.from_config(keras_layer.get_config())
    assert restored.dtype_policy.name == policy
    for attribute in ("dtype", "compute_dtype", "variable_dtype"):
        assert getattr(layer, attribute) == getattr(keras_layer, attribute)
    assert repr(layer.dtype_policy) == repr(keras_layer.dtype_policy)


def test_loss_scale_optimizer_matches_keras():
    """The same gradient sequence (finite, overflowing, finite...) through both: same scale, same
    counter, same weights after every step."""
    keras_var = keras.Variable(np.ones(3, dtype="float32"))
    keras_optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=16.0,
                                                          dynamic_growth_steps=3)
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torchkeras.optimizers.LossScaleOptimizer(torchkeras.optimizers.SGD(0.1), initial_scale=16.0,
                                                         dynamic_growth_steps=3)
    rng = np.random.default_rng(0)
    for step in range(9):
        grad = rng.normal(size=3).astype("float32") * 16.0
        if step in (2, 6):
            grad[1] = np.inf if step == 2 else np.nan
        keras_optimizer.apply([keras.ops.convert_to_tensor(grad)], [keras_var])
        optimizer.apply([torch.tensor(grad)], [weight])
        assert float(optimizer.dynamic_scale) == float(keras.ops.convert_to_numpy(keras_optimizer.dynamic_scale))
        assert int(optimizer.step_counter) == int(keras.ops.convert_to_numpy(keras_optimizer.step_counter))
        np.testing.assert_allclose(weight.detach().numpy(), keras.ops.convert_to_numpy(keras_var), rtol=1e-6,
                                   atol=1e-6)
    assert int(optimizer.iterations) == int(keras.ops.convert_to_numpy(keras_optimizer.iterations))


def _loss_scale_state(optimizer, to_numpy):
    inner = optimizer.inner_optimizer
    return (int(to_numpy(optimizer.step_counter)), float(to_numpy(optimizer.dynamic_scale)),
            [to_numpy(v) for v in inner.variables])


def test_loss_scale_optimizer_state_moves_through_keras_archives(tmp_path, global_policy):
    """A model trained under mixed_float16 (compile wraps the optimizer in a LossScaleOptimizer) saved by
    Keras loads in torchkeras with the dynamic scale, its step counter and the inner Adam's slots; saved
    back, Keras reads the same state."""
    global_policy("mixed_float16")
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    keras_model = keras.Model(inputs, keras.layers.Dense(1, dtype="float32")(hidden))
    keras_model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 6)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    keras_model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    keras_model.save(tmp_path / "keras.keras")
    keras_state = _loss_scale_state(keras_model.optimizer, keras.ops.convert_to_numpy)
    assert keras_state[0] > 0  # the counter moved, so a lost state would show

    model = torchkeras.saving.load_model(tmp_path / "keras.keras")
    assert isinstance(model.optimizer, torchkeras.optimizers.LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, torchkeras.optimizers.Adam)
    state = _loss_scale_state(model.optimizer, lambda t: t.detach().numpy())
    assert state[:2] == keras_state[:2]
    assert len(state[2]) == len(keras_state[2])
    for received, expected in zip(state[2], keras_state[2]):
        np.testing.assert_array_equal(received, expected)
    _, keras_out = _as_float32(keras_model(x))
    _, out = _as_float32(model(torch.as_tensor(x)))
    assert_close(keras_out, out, atol=ATOL, rtol=RTOL, what="reloaded mixed_float16 model")

    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # a step more on the torchkeras side
    model.save(tmp_path / "torchkeras.keras")
    state = _loss_scale_state(model.optimizer, lambda t: t.detach().numpy())
    reloaded = keras.saving.load_model(tmp_path / "torchkeras.keras")
    assert isinstance(reloaded.optimizer, keras.optimizers.LossScaleOptimizer)
    reloaded_state = _loss_scale_state(reloaded.optimizer, keras.ops.convert_to_numpy)
    assert reloaded_state[:2] == state[:2]
    for received, expected in zip(reloaded_state[2], state[2]):
        np.testing.assert_array_equal(received, expected)
