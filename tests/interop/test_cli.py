"""`python -m torchkeras`: argument errors exit with status 2 and a message, never a traceback, and
need no Keras (the parity checks themselves are in parity/interop/)."""

import os
import subprocess
import sys

import pytest

from torchkeras.cli.main import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args, block_keras=False):
    code = "import sys\n"
    if block_keras:
        code += "sys.modules['keras'] = None  # as if Keras were not installed\n"
    code += "from torchkeras.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_no_subcommand_prints_usage_and_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage: python -m torchkeras" in capsys.readouterr().err


def test_unknown_subcommand_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["parity", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--layer-rtol" in out and "first diverging" in out


def test_missing_file_is_a_message_not_a_traceback(tmp_path, capsys):
    missing = str(tmp_path / "nope.keras")
    assert main(["parity", missing]) == 2
    err = capsys.readouterr().err
    assert f"error: No such file: {missing}" in err and "Traceback" not in err


def test_wrong_model_extension(tmp_path, capsys):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")
    assert main(["parity", str(path)]) == 2
    assert "Expected a Keras model file ending in .keras, .h5, .hdf5. Received:" in capsys.readouterr().err


def test_convert_refuses_other_output_extensions_before_loading(tmp_path, capsys):
    assert main(["convert", str(tmp_path / "missing.keras"), str(tmp_path / "out.onnx")]) == 2
    err = capsys.readouterr().err
    assert "the output must end in .pt2 (torch.export archive), .safetensors (safetensors state dict)" in err
    assert "Received extension '.onnx'" in err
    assert not os.path.exists(tmp_path / "out.onnx")
    assert main(["convert", str(tmp_path / "missing.keras"), str(tmp_path / "out")]) == 2
    assert "Received extension '(none)'" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "missing.keras"), str(tmp_path / "out.pt2"), "--layout", "torch"]) == 2
    assert "--layout applies to .safetensors outputs only" in capsys.readouterr().err


def test_bad_option_values_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["parity", "--seed", "zero"])
    assert info.value.code == 2
    assert "invalid int value: 'zero'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["convert", "a.keras", "b.safetensors", "--layout", "nchw"])
    assert info.value.code == 2


def test_keras_not_installed_is_a_message_with_exit_2(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not really a model")
    for args in (["parity", str(path)], ["parity"], ["convert", str(path), str(tmp_path / "m.pt2")]):
        result = _run(*args, block_keras=True)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "This needs real Keras 3, which could not be imported" in result.stderr
        assert "pip install" in result.stderr and "Traceback" not in result.stderr


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "torchkeras", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0
    assert "parity" in result.stdout and "convert" in result.stdout
