"""`Model.export(path.pt2)`: a torch.export archive that runs, in a fresh interpreter, with no
torchkeras import, and gives the model's outputs."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

import torchkeras as keras
from torchkeras import layers


def cnn():
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


def two_inputs():
    a = keras.Input((5,), name="a")
    b = keras.Input((3,), name="b")
    merged = layers.Concatenate()([layers.Dense(4, activation="tanh")(a), b])
    return keras.Model([a, b], [layers.Dense(2)(merged), layers.Dense(1, activation="sigmoid")(merged)])


def _perturb_moving_statistics(model):
    with torch.no_grad():
        for variable in model.weights:
            if variable.name in ("moving_mean", "moving_variance"):
                variable.value.add_(torch.rand(variable.shape) + 0.5)


RUN_WITHOUT_TORCHKERAS = textwrap.dedent("""
    import sys
    import torch
    program = torch.export.load(sys.argv[1]).module()
    inputs = torch.load(sys.argv[2])
    outputs = program(inputs)
    assert not any(name == "torchkeras" or name.startswith("torchkeras.") for name in sys.modules), "imported"
    torch.save(outputs, sys.argv[3])
""")


def _run_elsewhere(tmp_path, archive, inputs):
    torch.save(inputs, tmp_path / "inputs.pt")
    # The archive's folder, not the repository: `torchkeras` must not even be importable by accident.
    result = subprocess.run([sys.executable, "-c", RUN_WITHOUT_TORCHKERAS, str(archive), str(tmp_path / "inputs.pt"),
                             str(tmp_path / "outputs.pt")], cwd=tmp_path, capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, timeout=300)
    assert result.returncode == 0, result.stderr
    return torch.load(tmp_path / "outputs.pt")


def test_exported_cnn_runs_without_torchkeras_at_any_batch_size(tmp_path):
    model = cnn()
    _perturb_moving_statistics(model)
    path = tmp_path / "cnn.pt2"
    program = model.export(str(path))
    assert isinstance(program, torch.export.ExportedProgram) and path.exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tmp-")]
    x = torch.randn(5, 8, 8, 3)
    got = _run_elsewhere(tmp_path, path, x)
    # Inference mode (Dropout off, moving statistics); equal up to float32 rounding (contiguous weights).
    torch.testing.assert_close(got, model(x))
    reloaded = torch.export.load(str(path)).module()
    one = torch.randn(1, 8, 8, 3)
    torch.testing.assert_close(reloaded(one), model(one))


def test_exported_multi_input_model_keeps_its_structure(tmp_path):
    model = two_inputs()
    path = tmp_path / "two.pt2"
    model.export(path)
    inputs = [torch.randn(4, 5), torch.randn(4, 3)]
    got = _run_elsewhere(tmp_path, path, inputs)
    expected = model(inputs)
    assert len(got) == 2
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e)


def test_sequential_and_explicit_input_signature(tmp_path):
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    model.export(tmp_path / "seq.pt2")
    x = torch.randn(3, 6)
    torch.testing.assert_close(torch.export.load(str(tmp_path / "seq.pt2")).module()(x), model(x))

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def call(self, inputs):
            return self.dense(inputs) * 2.0

    subclassed = Subclassed()
    subclassed(x)
    with pytest.raises(ValueError, match="no known input shapes.*input_signature"):
        subclassed.export(tmp_path / "sub.pt2")
    subclassed.export(tmp_path / "sub.pt2", input_signature=[keras.Input((6,))])
    torch.testing.assert_close(torch.export.load(str(tmp_path / "sub.pt2")).module()(x), subclassed(x))
    static = tmp_path / "static.pt2"
    model.export(static, input_signature=[torch.randn(3, 6)], dynamic_batch=False)
    with pytest.raises(Exception):
        torch.export.load(str(static)).module()(torch.randn(4, 6))  # the batch size was fixed to 3


def test_training_flag_is_restored_and_export_is_inference(tmp_path):
    model = cnn()
    model.train()
    model.export(tmp_path / "m.pt2")
    assert model.training
    model.eval()
    x = torch.randn(2, 8, 8, 3)
    torch.testing.assert_close(torch.export.load(str(tmp_path / "m.pt2")).module()(x), model(x))


def test_bad_arguments_and_atomic_write(tmp_path, monkeypatch):
    model = cnn()
    with pytest.raises(ValueError, match=r"must end in `.pt2`.*Received: filepath=.*model.onnx"):
        model.export(tmp_path / "model.onnx")
    with pytest.raises(ValueError, match=r"Expected one of \['torch_export'\]. Received: format='onnx'"):
        model.export(tmp_path / "model.pt2", format="onnx")
    assert os.listdir(tmp_path) == []

    target = tmp_path / "kept.pt2"
    target.write_bytes(b"previous")

    def failing_save(program, path):
        with open(path, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch.export, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        model.export(target)
    assert target.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["kept.pt2"]


def test_unknown_sequence_length_stays_dynamic_or_warns(tmp_path):
    inputs = keras.Input((None, 4))
    conv = keras.Model(inputs, layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(inputs)))
    conv.export(tmp_path / "conv.pt2")
    program = torch.export.load(str(tmp_path / "conv.pt2")).module()
    for length in (5, 40):
        x = torch.randn(2, length, 4)
        torch.testing.assert_close(program(x), conv(x))

    inputs = keras.Input((None, 4))
    rnn = keras.Model(inputs, layers.LSTM(5)(inputs))
    with pytest.warns(UserWarning, match=r"fixed these unknown axes.*input 0 axis 1 = 16.*input_signature"):
        rnn.export(tmp_path / "rnn.pt2")
    x = torch.randn(3, 16, 4)
    torch.testing.assert_close(torch.export.load(str(tmp_path / "rnn.pt2")).module()(x), rnn(x))
