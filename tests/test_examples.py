"""Runs the example scripts and the benchmark's CI mode as subprocesses (no timing assertions)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args, timeout=300, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def _keras_importable():
    probe = _run(["-c", "import keras"], timeout=120, env_extra={"KERAS_BACKEND": "torch"})
    return probe.returncode == 0


def _run_ok(args, env_extra=None):
    """Runs `python *args`, asserts exit status 0 and returns stdout + stderr."""
    result = _run(args, env_extra=env_extra)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def _run_example(name, expected_lines=(), optimize=False):
    """Runs examples/<name> (with `python -O` when `optimize`), asserts it exits 0, prints every expected line
    and ends with "All N checks passed."; returns its output."""
    output = _run_ok([*(["-O"] if optimize else []), str(ROOT / "examples" / name)])
    for line in expected_lines:
        assert line in output, f"missing {line!r} in output:\n{output}"
    assert re.search(r"All \d+ checks passed\.", output), output
    return output


def _run_bench_quick(name):
    """Runs benchmarks/<name> --quick on the torch backend (skips without Keras), asserts exit 0; its output."""
    if not _keras_importable():
        pytest.skip("keras (torch backend) is not importable")
    return _run_ok([str(ROOT / "benchmarks" / name), "--quick"], env_extra={"KERAS_BACKEND": "torch"})


def test_three_ways_example_runs_and_checks():
    output = _run_example("three_ways.py", (
        "dense/kernel (784, 256) float32",
        "dense/bias (256,) float32",
        "Total params: 218,058",
        "200,960",
        "16,448",
        "sequential == subclassed",
        '<DTypePolicy "mixed_float16">',
        "python examples/functional.py",
    ))
    assert "CHECK FAILED" not in output


def test_three_ways_example_checks_survive_python_O():
    # The example uses explicit raises, not `assert`, so `-O` must still run every check.
    _run_example("three_ways.py", optimize=True)


def test_bench_mlp_quick_runs():
    output = _run_bench_quick("bench_mlp.py")
    assert "equivalence: outputs allclose" in output, output
    for case in ("forward b32", "forward b1024", "train-step b32"):
        assert re.search(rf"ratio {case}: keras/torch = \d+\.\d+", output), output
    for case in ("forward b32", "train-step b32"):
        assert re.search(rf"ratio {case}: torchkeras/torch = \d+\.\d+", output), output
    assert "torch.set_num_threads(" in output


def test_functional_example_runs_and_checks():
    output = _run_example("functional.py", (
        "Total params: 218,443",
        "Total params: 217,537",
        "Connected to",
        "functional == sequential after set_weights(get_weights())",
        "(1) total params 217,537",
        "(2) 6 trainable weights",
        "(3) every output is in (0, 1)",
        "extractor(x) == the first Dense run by hand",
    ))
    assert re.search(r"pixels\s+InputLayer\s+-> \(None, 784\)", output), output
    assert "CHECK FAILED" not in output


def test_functional_example_checks_survive_python_O():
    _run_example("functional.py", optimize=True)


def test_bench_functional_quick_runs():
    output = _run_bench_quick("bench_functional.py")
    for model in ("mlp", "two_headed"):
        assert f"equivalence ({model}): outputs allclose" in output, output
        for case in ("forward", "train-step"):
            assert re.search(rf"ratio {model} {case}: torchkeras/torch = \d+\.\d+", output), output
            assert re.search(rf"ratio {model} {case}: keras/torch = \d+\.\d+", output), output
    assert re.search(r"wiring a 300-layer graph .*: torchkeras \d+\.\d+ s", output), output
    assert "torch.set_num_threads(" in output


def test_bench_cnn_quick_runs():
    output = _run_bench_quick("bench_cnn.py")
    assert "equivalence: outputs allclose" in output, output
    assert re.search(r"ratio train-step b32: torchkeras/torch = \d+\.\d+", output), output
    for case in ("forward b32", "train-step b32"):
        assert re.search(rf"ratio {case}: keras/torch = \d+\.\d+", output), output
    for name in ("torch", "torchkeras", "keras"):
        assert re.search(rf"memory train-step b32: {name} +\d+\.\d+ MiB saved for backward", output), output


def test_bench_mixed_precision_quick_runs():
    output = _run_bench_quick("bench_mixed_precision.py")  # exits 1 if the two sides' outputs differ
    for net in ("mlp", "cnn"):
        for policy in ("float32", "mixed_bfloat16", "mixed_float16"):
            assert re.search(rf"{net} {policy} +\S+ \S+ +\S+ \S+ +\d+\.\d+ +\d+\.\d+", output), output


def test_bench_fit_quick_runs():
    output = _run_bench_quick("bench_fit.py")
    for case in ("fit b32", "fit b32 + accuracy"):
        assert f"equivalence ({case}): same epoch loss and weights" in output, output
        for optimizer in ("fit, keras SGD", "fit, torch SGD"):
            assert re.search(rf"ratio {re.escape(case)} \({optimizer}\): torchkeras/torch = \d+\.\d+", output), output
        assert re.search(rf"ratio {re.escape(case)}: keras/torchkeras = \d+\.\d+", output), output
    assert "torch.set_num_threads(" in output


def test_bench_rnn_quick_runs():
    output = _run_bench_quick("bench_rnn.py")
    for kind in ("LSTM", "GRU"):
        assert f"equivalence ({kind}): outputs allclose" in output, output
        for case in ("forward b32", "train-step b32"):
            assert re.search(rf"ratio {kind} {case}: torchkeras/torch = \d+\.\d+", output), output
            assert re.search(rf"ratio {kind} {case}: keras/torch = \d+\.\d+", output), output


def test_training_example_runs_and_checks():
    output = _run_example("training.py", (
        "History keys: ['digit_accuracy', 'digit_loss', 'is_hard_loss', 'loss']",
        "Epoch 3/3",
        "val_loss",
    ))
    assert "CHECK FAILED" not in output


def test_training_example_checks_survive_python_O():
    _run_example("training.py", optimize=True)


def test_bench_load_quick_runs():
    output = _run_bench_quick("bench_load.py")  # exits 1 if a loaded model computes other outputs
    assert "equivalence: both loaded models compute the saved model's outputs" in output, output
    assert re.search(r"ratio load time: torchkeras/keras = \d+\.\d+", output), output
    assert re.search(r"peak memory torchkeras: (\d+\.\d+x file size|not measured)", output), output
