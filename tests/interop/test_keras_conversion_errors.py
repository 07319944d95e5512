"""`from_keras` / `to_keras` refuse what they cannot convert with a TypeError, Keras installed or not."""

import sys

import pytest
import torch

import torchkeras as keras
from torchkeras.interop import from_keras, to_keras


def test_from_keras_refuses_non_keras_objects():
    with pytest.raises(TypeError, match=r"expects a Keras model or layer .*Received: torch.nn.modules.linear.Linear"):
        from_keras(torch.nn.Linear(2, 2))
    model = keras.Sequential([keras.layers.Dense(2)], name="mine")
    with pytest.raises(TypeError, match=r"Received: torchkeras.models.sequential.Sequential \(name='mine'\)\. "
                                        r"It is already a torchkeras object"):
        from_keras(model)
    with pytest.raises(TypeError, match="Received: builtins.str"):
        from_keras("model.keras")


def test_to_keras_refuses_non_torchkeras_objects():
    with pytest.raises(TypeError, match=r"`to_keras` expects a torchkeras model or layer .*torch.nn.modules"):
        to_keras(torch.nn.Linear(2, 2))


def test_to_keras_without_keras_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(ImportError, match=r"needs real Keras 3.*pip install"):
        to_keras(keras.layers.Dense(2))
    with pytest.raises(TypeError, match="expects a Keras model or layer"):
        from_keras(torch.nn.Linear(2, 2))
