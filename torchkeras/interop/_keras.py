"""The one place torchkeras imports real Keras (an optional dependency)."""

import os
import sys


def import_keras():
    """Returns the `keras` module, on the torch backend unless `KERAS_BACKEND` says otherwise.

    Raises:
        ImportError: Keras cannot be imported (the message says how to install it).
    """
    if "keras" not in sys.modules:
        # torchkeras users have torch; Keras would otherwise default to TensorFlow.
        os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as error:
        raise ImportError(
            f"This needs real Keras 3, which could not be imported ({type(error).__name__}: {error}). "
            "Install it with `pip install \"torchkeras-port[keras]\"` (or `pip install keras h5py`); "
            "torchkeras runs it on the torch backend (`KERAS_BACKEND=torch`)."
        ) from error
    return keras


def is_keras_object(obj):
    """Whether `obj` is a real Keras layer or model (never imports Keras: without it, none can exist)."""
    keras = sys.modules.get("keras")
    if keras is None:
        return False
    try:
        return isinstance(obj, keras.layers.Layer)
    except AttributeError:  # a partially imported or unrelated `keras` module
        return False


def describe(obj):
    """`<Dense name=dense>`-style description for error messages."""
    name = getattr(obj, "name", None)
    kind = f"{type(obj).__module__}.{type(obj).__name__}"
    return f"{kind} (name={name!r})" if isinstance(name, str) else kind
