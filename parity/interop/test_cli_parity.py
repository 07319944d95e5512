"""`python -m torchkeras parity / convert` on files saved by real Keras: a passing report, a deliberately
broken torchkeras weight that must be named as the first diverging layer (exit 1), and conversions whose
written files, reloaded on their own, give Keras's outputs."""

import io
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import torch

from parity.harness import MODEL_ATOL, assert_close
from torchkeras.cli.main import main
from torchkeras.cli.parity import check_file, run_parity
from torchkeras.interop import parity as parity_lib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _functional():
    L = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    meta = keras.Input((4,), name="meta")
    x = L.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="conv")(image)
    x = L.BatchNormalization(name="bn")(x)
    x = L.Flatten(name="flatten")(x)
    shared = L.Dense(4, activation="tanh", name="shared")
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, L.Dense(4, name="inner_dense")(inner_in), name="inner")
    y = inner(shared(meta))
    z = shared(L.Dense(4, name="squeeze")(x))
    x = L.Concatenate(name="merge")([y, z, x])
    x = L.Dense(8, activation="tanh", name="middle")(x)  # no ReLU: a perturbed weight always shows
    x = L.Dropout(0.5, name="dropout")(x)
    return keras.Model([image, meta], L.Dense(3, activation="softmax", name="out")(x), name="cli_functional")


def _sequential():
    L = keras.layers
    return keras.Sequential([keras.Input((7,)), L.Embedding(12, 4, name="embed"), L.LSTM(5, name="lstm"),
                             L.Dense(2, name="logits")], name="cli_sequential")


def _save(model, path, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([np.abs(w + rng.uniform(0.1, 0.5, w.shape)).astype(w.dtype) if w.ndim == 1 and
                       np.all(w == 1) else (w + 0.2 * rng.standard_normal(w.shape)).astype(w.dtype)
                       for w in model.get_weights()])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    keras.utils.set_random_seed(0)  # module-scoped: set up before the per-test seeding
    return {"functional": _save(_functional(), str(folder / "functional.keras"), 1),
            "sequential": _save(_sequential(), str(folder / "sequential.keras"), 2)}


def _run(argv):
    stream = io.StringIO()
    return main(argv, stream=stream), stream.getvalue()


@pytest.mark.parametrize("case", ["functional", "sequential"])
def test_parity_passes_and_lists_every_layer(files, case, device):
    status, out = _run(["parity", files[case], "--device", device])
    assert status == 0, out
    names = (["conv", "bn", "flatten", "shared (call 0)", "inner", "squeeze", "shared (call 1)", "merge", "middle",
              "dropout", "out"] if case == "functional" else ["embed", "lstm", "logits"])
    for name in names:
        assert f" {name} " in out, (name, out)
    assert "PASS:" in out and "FAIL" not in out and f"on {device}" in out


def test_embedding_inputs_are_valid_indices(files):
    model = keras.saving.load_model(files["sequential"])
    (x,) = parity_lib.sample_inputs(model, batch_size=16, seed=0)
    assert x.dtype == np.float32 and np.all(x == np.round(x)) and x.min() >= 0 and x.max() < 12
    assert len(np.unique(x)) > 6


@pytest.mark.parametrize("target, weight, expected", [
    ("middle", "kernel", "middle' (Dense)"),
    ("bn", "moving_mean", "bn' (BatchNormalization)"),
    ("shared", "bias", "shared (call 0)' (Dense)"),
    # `squeeze` feeds the second call of `shared`, which Keras lists earlier: rows follow execution order.
    ("squeeze", "bias", "squeeze' (Dense)"),
])
def test_a_perturbed_torchkeras_weight_is_the_first_divergence(files, target, weight, expected):
    def perturb(model):
        variable = next(v for v in model.get_layer(target).weights if v.name == weight)
        with torch.no_grad():
            variable.value[(0,) * variable.value.dim()] += 1e-3

    stream = io.StringIO()
    status = run_parity(files["functional"], stream=stream, torchkeras_hook=perturb)
    out = stream.getvalue()
    assert status == 1, out
    assert f"FAIL: first diverging layer '{expected}" in out
    assert out.count("<- first divergence") == 1
    lines = out.splitlines()
    marked = next(i for i, line in enumerate(lines) if "<- first divergence" in line)
    rows_before = [line for line in lines[:marked] if line.strip().startswith(("│", "|")) or " ok" in line]
    assert all("FAIL" not in line for line in rows_before)


def test_output_bound_failure_without_layer_failure_exits_1(files):
    def perturb(model):
        with torch.no_grad():
            model.get_layer("out").bias[0] += 1e-2  # one logit: a softmax ignores a shift of all

    stream = io.StringIO()
    # Layer bounds opened wide on purpose, so only the model-output bound (1e-4) can fail.
    status = run_parity(files["functional"], stream=stream, torchkeras_hook=perturb, layer_atol=1.0, layer_rtol=1.0)
    out = stream.getvalue()
    assert status == 1, out
    assert "FAIL: 1 model output(s) exceed the bound (every layer within its own)." in out


@pytest.mark.parametrize("output, layout", [("model.pt2", "keras"), ("model.safetensors", "keras"),
                                            ("model_torch.safetensors", "torch")])
def test_convert_writes_a_file_that_reloads_to_keras_outputs(files, tmp_path, output, layout):
    target = str(tmp_path / output)
    argv = ["convert", files["functional"], target] + (["--layout", layout] if output.endswith(".safetensors") else [])
    status, out = _run(argv)
    assert status == 0, out
    assert f"PASS: {target} reloaded on its own" in out and os.path.exists(target)

    keras_model = keras.saving.load_model(files["functional"])
    rng = np.random.default_rng(5)
    image = rng.standard_normal((3, 8, 8, 3)).astype("float32")
    meta = rng.standard_normal((3, 4)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras_model([image, meta], training=False))
    inputs = [torch.from_numpy(image), torch.from_numpy(meta)]
    if output.endswith(".pt2"):
        got = torch.export.load(target).module()(inputs)
    else:
        from torchkeras.interop.safetensors_file import load_safetensors

        got = load_safetensors(target)(inputs)
    assert_close(expected, got.detach().numpy(), MODEL_ATOL, 0, f"reloaded {output}")


def test_convert_refuses_torch_layout_for_layers_without_a_rule(files, tmp_path, capsys):
    status = main(["convert", files["sequential"], str(tmp_path / "s.safetensors"), "--layout", "torch"])
    assert status == 2
    err = capsys.readouterr().err
    assert "no exact torch.nn weight layout" in err and "LSTMCell" in err and "Traceback" not in err


def test_a_file_keras_cannot_read_is_a_message(tmp_path, capsys):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip archive")
    assert main(["parity", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Keras could not load" in err and "Traceback" not in err


def test_demo_without_arguments(capsys):
    status, out = _run(["parity"])
    assert status == 0, out
    assert "Demo: built 'demo_cnn'" in out and "PASS:" in out
    for name in ("conv_1", "bn_1", "pool", "conv_2", "gap", "merge", "hidden", "dropout", "classes"):
        assert f" {name} " in out


def test_python_dash_m_entry_point(files):
    result = subprocess.run([sys.executable, "-m", "torchkeras", "parity", files["sequential"], "--device", "cpu"],
                            cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "KERAS_BACKEND": "torch"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS:" in result.stdout and "Traceback" not in result.stderr


def test_mixed_precision_file_gets_the_autocast_bound_only_where_computed_in_16_bits(tmp_path):
    L = keras.layers
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        inputs = keras.Input((6,))
        x = L.LayerNormalization(name="norm")(L.Dense(8, activation="relu", name="hidden")(inputs))
        model = keras.Model(inputs, L.Dense(3, dtype="float32", name="logits")(x))
    finally:
        keras.config.set_dtype_policy("float32")
    path = str(tmp_path / "mixed.keras")
    model.save(path)
    report, *_ = check_file(path, device="cpu")
    assert report.passed
    bounds = {row.name: row.bound for row in report.layers}
    assert bounds["hidden"] >= 1e-2 and bounds["norm"] >= 1e-2
    assert bounds["logits"] < 1e-3 and report.outputs[0].bound == MODEL_ATOL  # float32 head: float32 bounds
