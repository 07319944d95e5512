"""`.safetensors` files of torchkeras models: the state dict of `to_torch_state_dict`, plus the model's
Keras config in the file's metadata, so the file alone rebuilds the model.

Metadata keys: `format` ("torchkeras"), `layout` ("keras" or "torch", see `state_dict`), `config` (the
JSON of `serialize_keras_object(model)`, when the model has a config).
"""

import json
import os

import numpy as np

from torchkeras.utils import file_utils

_EXTENSION = ".safetensors"


def _check_filepath(filepath):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(_EXTENSION):
        raise ValueError(f"The filename must end in `{_EXTENSION}`. Received: filepath={filepath}")
    return filepath


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"The model's config holds a value that is not JSON-serializable: {value!r}")


def save_safetensors(model, filepath, layout="keras"):
    """Writes `model`'s weights (and config) to a `.safetensors` file, atomically (temp file + rename).

    Args:
        model: A torchkeras model or layer.
        filepath: Path ending in `.safetensors`.
        layout: `"keras"` or `"torch"` (see `to_torch_state_dict`).
    """
    from safetensors.torch import save_file

    from torchkeras.interop.keras_conversion import _register_functional
    from torchkeras.interop.state_dict import to_torch_state_dict
    from torchkeras.saving import serialization

    filepath = _check_filepath(filepath)
    tensors = {key: value.cpu() for key, value in to_torch_state_dict(model, layout=layout).items()}
    _register_functional()
    metadata = {"format": "torchkeras", "layout": layout,
                "config": json.dumps(serialization.serialize_keras_object(model), default=_json_default)}
    with file_utils.atomic_write(filepath, suffix=_EXTENSION) as temporary:
        save_file(tensors, temporary, metadata=metadata)


def load_safetensors(filepath, model=None, custom_objects=None, strict=True):
    """Loads a `.safetensors` file written by `save_safetensors`.

    Args:
        filepath: Path of the file.
        model: Optional torchkeras model to load into; by default the model is rebuilt from the config in
            the file's metadata.
        custom_objects: Optional dict of custom classes for rebuilding the config.
        strict: Whether keys must match exactly (shapes always must).

    Returns:
        The model, with the file's weights.

    Raises:
        ValueError: No model was given and the file holds no torchkeras config, or the weights do not fit.
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    from torchkeras.interop.keras_conversion import _register_functional
    from torchkeras.interop.state_dict import load_torch_state_dict
    from torchkeras.saving import serialization

    filepath = _check_filepath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: filepath={filepath}")
    with safe_open(filepath, framework="pt") as handle:
        metadata = handle.metadata() or {}
    layout = metadata.get("layout", "keras")
    if model is None:
        if "config" not in metadata:
            raise ValueError(f"{filepath} holds no torchkeras model config (metadata keys: {sorted(metadata)}); "
                             "pass the `model` to load the weights into.")
        _register_functional()
        model = serialization.deserialize_keras_object(json.loads(metadata["config"]),
                                                       custom_objects=custom_objects)
    load_torch_state_dict(model, load_file(filepath), layout=layout, strict=strict)
    return model
