"""`from_keras` / `to_keras` against real Keras: Sequential, Functional, nested and shared-layer models
across layer families (conv, normalization, pooling, recurrent, attention, merging, embedding), weights
moved both ways, outputs compared within DESIGN.md's bounds on every device, layer by layer."""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import MODEL_ATOL, assert_close
from torchkeras.interop import from_keras, to_keras
from torchkeras.interop.keras_conversion import pair_weights
from torchkeras.interop.parity import compare_models


def sequential_cnn(K):
    L = K.layers
    return K.Sequential([
        K.Input((10, 10, 3)),
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
        L.BatchNormalization(),
        L.DepthwiseConv2D(3, padding="same"),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(16, activation="gelu"),
        L.Dropout(0.3),
        L.Dense(3, activation="softmax"),
    ], name="sequential_cnn")


def recurrent(K):
    L = K.layers
    tokens = K.Input((7,), dtype="int32", name="tokens")
    x = L.Embedding(20, 8)(tokens)
    x = L.LSTM(6, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(5))(x)
    return K.Model(tokens, L.Dense(2)(x), name="recurrent")


def nested_shared(K):
    L = K.layers
    left = K.Input((6,), name="left")
    right = K.Input((6,), name="right")
    extra = K.Input((4,), name="extra")
    shared = L.Dense(5, activation="tanh", name="shared")
    encoder_in = K.Input((5,), name="encoder_in")
    encoder = K.Model(encoder_in, L.LayerNormalization(name="enc_norm")(L.Dense(5, name="enc_dense")(encoder_in)),
                      name="encoder")
    head = K.Sequential([L.Dense(8, activation="relu"), L.Dense(3)], name="head")
    a, b = encoder(shared(left)), encoder(shared(right))
    merged = L.Concatenate(name="merge")([L.Add(name="add")([a, b]), extra])
    return K.Model([left, right, extra], [head(merged), L.Subtract(name="diff")([a, b])], name="nested_shared")


def attention(K):
    L = K.layers
    sequence = K.Input((5, 8), name="sequence")
    attended = L.MultiHeadAttention(2, 4, name="mha")(sequence, sequence)
    x = L.LayerNormalization()(L.Add()([sequence, attended]))
    x = L.Conv1D(6, 3, padding="causal", activation="relu")(x)
    x = L.GlobalAveragePooling1D()(x)
    return K.Model(sequence, L.Dense(2)(x), name="attention")


BUILDERS = [sequential_cnn, recurrent, nested_shared, attention]


def _inputs(keras_model, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in keras_model.inputs:
        shape = (3,) + tuple(tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, 20, size=shape).astype(str(tensor.dtype)))
        else:
            arrays.append(rng.standard_normal(shape).astype("float32"))
    return arrays


def _call_keras(model, arrays):
    out = model(arrays if len(arrays) > 1 else arrays[0], training=False)
    if isinstance(out, (list, tuple)):
        return [keras.ops.convert_to_numpy(o) for o in out]
    return keras.ops.convert_to_numpy(out)


def _call_torchkeras(model, arrays, device):
    tensors = [torch.as_tensor(a).to(device) for a in arrays]
    with torch.no_grad():
        out = model(tensors if len(tensors) > 1 else tensors[0])
    return [o.cpu().numpy() for o in out] if isinstance(out, (list, tuple)) else out.cpu().numpy()


def _perturb_keras(model, seed):
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        w = keras.ops.convert_to_numpy(variable.value)
        if variable.name == "moving_variance":
            values.append(np.abs(w + rng.uniform(0.1, 0.5, w.shape)).astype(w.dtype))
        else:
            values.append((w + 0.3 * rng.standard_normal(w.shape)).astype(w.dtype))
    model.set_weights(values)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_from_keras_copies_every_weight_and_matches_layer_by_layer(builder, device):
    keras_model = builder(keras)
    _perturb_keras(keras_model, seed=1)
    model = from_keras(keras_model, device=device)
    assert type(model).__name__ == type(keras_model).__name__
    assert all(p.device.type == device for p in model.parameters())
    keras_weights, tk_weights = keras_model.get_weights(), model.get_weights()
    assert len(keras_weights) == len(tk_weights) > 0
    for k, t in zip(keras_weights, tk_weights):
        np.testing.assert_array_equal(t, k)

    x = _inputs(keras_model)
    assert_close(_call_keras(keras_model, x), _call_torchkeras(model, x, device), MODEL_ATOL, 0,
                 f"{builder.__name__}: Keras -> torchkeras")
    report = compare_models(keras_model, model, inputs=x)
    calls = sum(1 for layer in keras_model.layers if not isinstance(layer, keras.layers.InputLayer)
                for _ in layer._inbound_nodes)
    assert len(report.layers) >= calls > 0  # every layer call has a row (multi-output calls have more)
    failing = [(r.name, r.max_abs, r.bound) for r in report.layers + report.outputs if not r.passed]
    assert not failing, failing


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_to_keras_builds_the_keras_model_with_torchkeras_weights(builder, device):
    model = builder(torchkeras).to(device)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for variable in model.weights:
            noise = 0.3 * torch.randn(variable.shape, generator=generator).to(device)
            variable.value.copy_((variable.value + noise).abs() if variable.name == "moving_variance"
                                 else variable.value + noise)
    keras_model = to_keras(model)
    assert isinstance(keras_model, keras.Model) and keras_model.name == model.name
    for k, t in zip(keras_model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(k, t)
    x = _inputs(keras_model, seed=2)
    assert_close(_call_keras(keras_model, x), _call_torchkeras(model, x, device), MODEL_ATOL, 0,
                 f"{builder.__name__}: torchkeras -> Keras")
    assert compare_models(keras_model, model, inputs=x).passed


def test_a_single_layer_both_ways(device):
    keras_layer = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="conv")
    x = np.random.default_rng(0).standard_normal((2, 9, 9, 3)).astype("float32")
    keras_layer(x)
    keras_layer.set_weights([w + 0.5 for w in keras_layer.get_weights()])
    layer = from_keras(keras_layer, device=device)
    assert isinstance(layer, torchkeras.layers.Conv2D) and layer.built and layer.name == "conv"
    with torch.no_grad():
        got = layer(torch.as_tensor(x).to(device)).cpu().numpy()
    assert_close(keras.ops.convert_to_numpy(keras_layer(x)), got, 1e-5, 1e-5, "Conv2D from_keras")
    back = to_keras(layer)
    assert isinstance(back, keras.layers.Conv2D)
    assert_close(keras.ops.convert_to_numpy(back(x)), got, 1e-5, 1e-5, "Conv2D to_keras")


def test_weights_that_do_not_fit_are_listed_and_nothing_is_copied():
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    model = torchkeras.Sequential([torchkeras.Input((5,)), torchkeras.layers.Dense(3),
                                   torchkeras.layers.BatchNormalization()])
    with pytest.raises(ValueError) as info:
        pair_weights(keras_model, model)
    message = str(info.value)
    assert "Keras has 4 weights, torchkeras 6" in message
    assert "shape (4, 3) vs (5, 3)" in message
    assert "name 'kernel' vs 'gamma'" in message and "only in torchkeras" in message


def test_custom_layers_need_their_torchkeras_port():
    @keras.saving.register_keras_serializable(package="interop_test")
    class Scale(keras.layers.Layer):
        def call(self, x):
            return 2.0 * x

    keras_model = keras.Sequential([keras.Input((3,)), Scale()])
    with pytest.raises(TypeError, match="Could not locate class 'Scale'"):
        from_keras(keras_model)

    class TorchScale(torchkeras.layers.Layer):
        def call(self, x):
            return 2.0 * x

    model = from_keras(keras_model, custom_objects={"interop_test>Scale": TorchScale})
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(model(torch.as_tensor(x)).numpy(), 2 * x)
