"""Loads a Keras file twice: in real Keras (the reference) and in torchkeras (`load_model`)."""

import contextlib
import os
import warnings

from torchkeras.cli.errors import CLIError

MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")


def import_keras_or_fail():
    from torchkeras.interop._keras import import_keras

    try:
        return import_keras()
    except ImportError as error:
        raise CLIError(str(error)) from None


def check_model_path(path):
    if not os.path.exists(path):
        raise CLIError(f"No such file: {path}")
    if not str(path).endswith(MODEL_EXTENSIONS):
        raise CLIError(f"Expected a Keras model file ending in {', '.join(MODEL_EXTENSIONS)}. Received: {path}")


@contextlib.contextmanager
def _quiet_loading():
    # Loading an uncompiled or optimizer-less file makes Keras warn about state it then skips on purpose.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def load_pair(path, device=None):
    """`(keras_model, torchkeras_model)` loaded from `path`, the torchkeras one moved to `device`.

    Raises:
        CLIError: The file is missing, Keras is not installed, or either side cannot load the file.
    """
    check_model_path(path)
    keras = import_keras_or_fail()
    import torch

    try:
        with _quiet_loading():
            keras_model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any failure to read the file is reported, not raised
        raise CLIError(f"Keras could not load {path}: {type(error).__name__}: {error}") from None
    try:
        from torchkeras.saving.saving_api import load_model
    except ImportError:  # torchkeras's file loader is not available: port the live Keras model instead
        from torchkeras.interop import from_keras

        def load_model(filepath, compile=False):
            return from_keras(keras_model)
    try:
        import torchkeras.models.functional  # noqa: F401 - registers Keras's `Functional` class name

        with _quiet_loading():
            model = load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001
        raise CLIError(f"torchkeras could not load {path}: {type(error).__name__}: {error}") from None
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return keras_model, model.to(device)
