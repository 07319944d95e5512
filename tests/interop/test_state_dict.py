"""`to_torch_state_dict` / `load_torch_state_dict`: torchkeras's own keys in Keras's layout, and the
explicit torch layout checked against the `torch.nn` modules it claims to fit."""

import numpy as np
import pytest
import torch
from torch import nn

import torchkeras as keras
from torchkeras import layers
from torchkeras.interop import load_torch_state_dict, to_torch_state_dict


def cnn():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(2, name="head")(x))


def randomize(model, seed=0):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for variable in model.weights:
            variable.value.copy_(torch.rand(variable.shape, generator=generator) + 0.5)
    return model


def test_keras_layout_is_state_dict_keys_with_detached_contiguous_copies():
    model = randomize(cnn())
    exported = to_torch_state_dict(model)
    assert list(exported) == list(model.state_dict())
    assert list(exported) == ["conv.kernel", "conv.bias", "bn.gamma", "bn.beta", "bn.moving_mean",
                              "bn.moving_variance", "head.kernel", "head.bias"]
    for key, value in model.state_dict().items():
        assert torch.equal(exported[key], value)
        assert exported[key].is_contiguous() and not exported[key].requires_grad
        assert exported[key].data_ptr() != value.data_ptr()
    exported["head.kernel"].zero_()
    assert model.state_dict()["head.kernel"].abs().sum() > 0  # a copy, not a view
    assert exported["head.kernel"].shape == (256, 2)  # Keras's (in, out)


def test_keras_layout_round_trip_into_a_fresh_and_an_unbuilt_model():
    source = randomize(cnn())
    x = torch.randn(3, 8, 8, 3)
    fresh = cnn()
    load_torch_state_dict(fresh, to_torch_state_dict(source))
    torch.testing.assert_close(fresh(x), source(x), rtol=0, atol=0)

    def mlp():
        return keras.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2)])

    built = randomize(mlp())
    built.build((None, 4))
    randomize(built)
    lazy = mlp()
    load_torch_state_dict(lazy, to_torch_state_dict(built))
    x = torch.randn(3, 4)
    torch.testing.assert_close(lazy(x), built(x), rtol=0, atol=0)


def test_mismatches_are_listed_and_nothing_is_loaded():
    model = randomize(cnn())
    before = to_torch_state_dict(model)
    state = to_torch_state_dict(cnn())
    state["head.kernel"] = torch.zeros(3, 2)
    del state["bn.gamma"]
    state["extra"] = torch.zeros(1)
    with pytest.raises(ValueError) as info:
        load_torch_state_dict(model, state)
    message = str(info.value)
    assert "`head.kernel` has shape (3, 2), the model expects (256, 2)" in message
    assert "missing key `bn.gamma`" in message and "unexpected key `extra`" in message
    for key, value in to_torch_state_dict(model).items():
        assert torch.equal(value, before[key]), key
    # Missing and unexpected keys are allowed with strict=False, wrong shapes never.
    state["head.kernel"] = before["head.kernel"]
    result = load_torch_state_dict(model, state, strict=False)
    assert result.missing_keys == ["bn.gamma"] and result.unexpected_keys == ["extra"]


def test_torch_layout_loads_into_the_same_torch_nn_network():
    model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
    randomize(model)
    reference = nn.Sequential()
    reference.add_module("0", nn.Linear(6, 8))
    reference.add_module("1", nn.Linear(8, 3))
    reference.load_state_dict(to_torch_state_dict(model, layout="torch"), strict=True)
    x = torch.randn(4, 6)
    expected = reference[1](torch.relu(reference[0](x)))
    torch.testing.assert_close(model(x), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ["conv1d", "conv2d", "conv3d", "conv2d_transpose", "grouped"])
def test_torch_layout_convolutions_match_torch_nn(case):
    spatial = {"conv1d": 1, "conv2d": 2, "conv3d": 3, "conv2d_transpose": 2, "grouped": 2}[case]
    size = (7,) * spatial
    groups = 2 if case == "grouped" else 1
    if case == "conv2d_transpose":
        layer = layers.Conv2DTranspose(5, 3, name="conv")
        reference = nn.ConvTranspose2d(4, 5, 3)
    else:
        layer = getattr(layers, f"Conv{spatial}D")(6, 3, groups=groups, name="conv")
        reference = getattr(nn, f"Conv{spatial}d")(4, 6, 3, groups=groups)
    x = torch.randn((2,) + size + (4,))
    layer(x)
    randomize(layer)
    reference.load_state_dict(to_torch_state_dict(layer, layout="torch"), strict=True)
    channels_first = x.movedim(-1, 1)
    expected = reference(channels_first).movedim(1, -1)
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_torch_layout_normalization_and_embedding_match_torch_nn():
    x = torch.randn(3, 5, 4)
    batch_norm = layers.BatchNormalization(name="bn")
    batch_norm(x)
    randomize(batch_norm)
    reference = nn.BatchNorm1d(4, eps=1e-3).eval()
    reference.load_state_dict(to_torch_state_dict(batch_norm, layout="torch"), strict=False)
    torch.testing.assert_close(batch_norm(x), reference(x.transpose(1, 2)).transpose(1, 2), rtol=1e-5, atol=1e-5)

    layer_norm = layers.LayerNormalization()
    layer_norm(x)
    randomize(layer_norm)
    reference = nn.LayerNorm(4, eps=1e-3)
    reference.load_state_dict(to_torch_state_dict(layer_norm, layout="torch"), strict=True)
    torch.testing.assert_close(layer_norm(x), reference(x), rtol=1e-5, atol=1e-5)

    embedding = layers.Embedding(10, 3)
    ids = torch.tensor([[1, 9, 0]])
    embedding(ids)
    reference = nn.Embedding(10, 3)
    reference.load_state_dict(to_torch_state_dict(embedding, layout="torch"), strict=True)
    torch.testing.assert_close(embedding(ids), reference(ids), rtol=0, atol=0)


def test_torch_layout_round_trip_and_keys():
    source = randomize(cnn())
    exported = to_torch_state_dict(source, layout="torch")
    assert list(exported) == ["conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
                              "bn.running_var", "head.weight", "head.bias"]
    assert exported["conv.weight"].shape == (4, 3, 3, 3) and exported["conv.weight"].is_contiguous()
    assert exported["head.weight"].shape == (2, 256)
    fresh = cnn()
    load_torch_state_dict(fresh, exported, layout="torch")
    x = torch.randn(2, 8, 8, 3)
    torch.testing.assert_close(fresh(x), source(x), rtol=0, atol=0)
    exported["head.weight"] = exported["head.weight"].t()
    with pytest.raises(ValueError, match=r"`head.weight` has shape \(256, 2\), the model expects \(2, 256\)"):
        load_torch_state_dict(fresh, exported, layout="torch")


def test_torch_layout_refuses_layers_without_an_exact_rule():
    model = keras.Sequential([keras.Input((5, 3)), layers.LSTM(4, name="rnn"), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"`0.cell` \(LSTMCell 'lstm_cell'\).*layout='keras'"):
        to_torch_state_dict(model, layout="torch")
    assert set(to_torch_state_dict(model)) == set(model.state_dict())  # the Keras layout has them all


def test_argument_errors():
    model = cnn()
    with pytest.raises(ValueError, match=r"Expected one of \['keras', 'torch'\]. Received: layout='onnx'"):
        to_torch_state_dict(model, layout="onnx")
    with pytest.raises(TypeError, match="expects a torchkeras model or layer"):
        to_torch_state_dict(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="expects a dict of tensors"):
        load_torch_state_dict(model, [np.zeros(2)])
    with pytest.raises(ValueError, match="needs a built model"):
        to_torch_state_dict(keras.Sequential([layers.Dense(2)]), layout="torch")
