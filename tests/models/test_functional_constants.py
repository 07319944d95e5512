"""Constant tensors and arrays as arguments of a functional graph's calls (`x * np.array([...])`, a layer's
output on concrete data): the generated code reads them as non-persistent buffers, so they move with the
model, stay out of its state dict, and survive copies, pickling and the config round trip."""

import copy
import io

import numpy as np
import torch

import torchkeras as keras
from torchkeras import layers


def _model():
    x = keras.Input((4, 3), name="x")
    positions = layers.Embedding(4, 3, name="positions")(torch.arange(4))  # concrete: a constant
    h = x * np.array([1.0, 2.0, 3.0], "float32") + torch.tensor([0.5, 0.25, 0.125])
    return keras.Model(x, layers.Dense(2, name="d")(h + positions))


def _reference(model, positions, x):
    h = x * torch.tensor([1.0, 2.0, 3.0]) + torch.tensor([0.5, 0.25, 0.125]) + positions
    return h @ model.get_layer("d").kernel + model.get_layer("d").bias


def test_constants_compute_and_stay_out_of_the_state_dict():
    torch.manual_seed(0)
    model = _model()
    positions = model._graph_constant_2.clone()
    x = torch.randn(2, 4, 3)
    torch.testing.assert_close(model(x), _reference(model, positions, x))
    assert sorted(model.state_dict()) == ["d.bias", "d.kernel"]
    assert [w.path for w in model.weights] == ["d/kernel", "d/bias"]
    assert not model._graph_constant_2.requires_grad


def test_constants_survive_copies_pickling_and_the_config():
    model = _model()
    x = torch.randn(2, 4, 3)
    expected = model(x)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    for other in (copy.deepcopy(model), torch.load(buffer, weights_only=False)):
        torch.testing.assert_close(other(x), expected)
    rebuilt = keras.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    torch.testing.assert_close(rebuilt(x), expected)


def test_constants_move_with_the_model():
    # The meta device stands in for CUDA here: a constant left behind on the CPU fails the call.
    model = _model().to("meta")
    assert all(getattr(model, f"_graph_constant_{i}").device.type == "meta" for i in range(3))
    assert model(torch.empty(2, 4, 3, device="meta")).shape == (2, 4, 2)
