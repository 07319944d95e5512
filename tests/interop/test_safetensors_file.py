"""`.safetensors` files: the state dict plus the model's config, so the file alone rebuilds the model."""

import json

import pytest
import torch

import torchkeras as keras
from torchkeras import layers

safetensors = pytest.importorskip("safetensors")

from torchkeras.interop.safetensors_file import load_safetensors, save_safetensors  # noqa: E402


def model():
    inputs = keras.Input((6, 4), name="x")
    x = layers.Conv1D(5, 3, padding="same", name="conv")(inputs)
    x = layers.LayerNormalization(name="norm")(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(2, name="head")(x), name="small")


def randomized():
    m = model()
    with torch.no_grad():
        for variable in m.weights:
            variable.value.copy_(torch.randn(variable.shape))
    return m


@pytest.mark.parametrize("layout", ["keras", "torch"])
def test_file_alone_rebuilds_the_model(tmp_path, layout):
    source = randomized()
    path = tmp_path / "m.safetensors"
    save_safetensors(source, path, layout=layout)
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    assert metadata["format"] == "torchkeras" and metadata["layout"] == layout
    assert json.loads(metadata["config"])["class_name"] == "Functional"
    keys = list(load_file(str(path)))
    assert ("head.kernel" in keys) == (layout == "keras") and ("head.weight" in keys) == (layout == "torch")
    rebuilt = load_safetensors(path)
    x = torch.randn(3, 6, 4)
    torch.testing.assert_close(rebuilt(x), source(x), rtol=0, atol=0)
    other = model()
    assert load_safetensors(path, model=other) is other
    torch.testing.assert_close(other(x), source(x), rtol=0, atol=0)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `.safetensors`. Received: filepath=.*m.st"):
        save_safetensors(model(), tmp_path / "m.st")
    with pytest.raises(FileNotFoundError):
        load_safetensors(tmp_path / "missing.safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ValueError, match="holds no torchkeras model config"):
        load_safetensors(tmp_path / "plain.safetensors")
    with pytest.raises(ValueError, match="missing key `conv.kernel`"):
        load_safetensors(tmp_path / "plain.safetensors", model=model())
