"""Parity tests need real Keras (run on the torch backend); without it they are skipped, not failed."""

import importlib.util
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402

if importlib.util.find_spec("keras") is None:
    collect_ignore_glob = ["test_*.py", "*/test_*.py"]
    AVAILABLE_DEVICES = ["cpu"]
else:
    from parity.harness import available_devices

    AVAILABLE_DEVICES = available_devices()


@pytest.fixture(params=AVAILABLE_DEVICES)
def device(request):
    return request.param
