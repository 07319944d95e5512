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


@pytest.fixture(autouse=True)
def _seeded_random_streams():
    """Seed torch, numpy and Keras's global seed generator so statistical checks are reproducible.

    Keras and torch draw from different streams, so training-mode checks compare statistics; seeding
    keeps a band that is wide enough for honest variation from failing one run in a few hundred.
    """
    import torch

    torch.manual_seed(0)
    if importlib.util.find_spec("keras") is not None:
        import keras

        keras.utils.set_random_seed(0)
    yield
