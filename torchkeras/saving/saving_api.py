"""`load_model` / `save_model`: whole models in Keras's files (`keras.saving.load_model`,
`keras.saving.save_model`, `model.save`).

- `.keras`: Keras 3's zip archive (`keras_archive`), written by any Keras 3 backend or by torchkeras: the
  model is rebuilt from `config.json`, every weight is checked against `model.weights.h5` and loaded, and
  with `compile=True` the model is compiled from its compile config and its optimizer state restored.
- `.h5` / `.hdf5`: the legacy Keras 2 / tf.keras full-model file (`legacy_h5`).
- a folder holding `config.json` and `model.weights.h5`: an unzipped archive (`zipped=False` in Keras).

Loading never runs code from the file: classes come from torchkeras, `custom_objects` and the registry;
a Lambda layer's Python bytecode is refused unless `safe_mode=False`; no pickle is involved.
"""

import contextlib
import os
import warnings

from torchkeras.api_export import keras_export
from torchkeras.layers import call_context
from torchkeras.saving import keras_archive
from torchkeras.saving import optimizer_state
from torchkeras.saving import serialization
from torchkeras.saving import weights_file

_LEGACY_EXTENSIONS = (".h5", ".hdf5")


@keras_export("keras.saving.save_model", "keras.models.save_model")
def save_model(model, filepath, overwrite=True, **kwargs):
    """Saves a model as a `.keras` archive that Keras 3 loads (`keras.saving.load_model`).

    The archive holds the model's config, its weights and, for a compiled model, its compile config and
    optimizer state. It is written to a temporary file in the same folder and renamed over `filepath`,
    so a failed save never destroys a previous file. As in Keras 3, a `.h5` / `.hdf5` path writes the
    legacy Keras 2 HDF5 format instead (with a warning: the format is legacy).

    Args:
        model: A torchkeras model.
        filepath: Path ending in `.keras` (or `.h5` / `.hdf5` for the legacy format).
        overwrite: Whether to replace an existing file. If False and the file exists, a `ValueError`
            is raised (torchkeras never prompts).
        **kwargs: `include_optimizer` (default True) for the legacy format; `zipped=False` is not
            supported.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    zipped = kwargs.pop("zipped", None)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    filepath = os.fspath(filepath)
    path = str(filepath)
    if save_format:
        raise ValueError(
            "The `save_format` argument is deprecated in Keras 3: the format follows the file's extension "
            f"(`.keras`, or `.h5` for the legacy format). Received: save_format={save_format!r}"
        )
    if zipped is False:
        raise ValueError("`zipped=False` (an unzipped model folder) is not supported by torchkeras's save_model.")
    if not path.endswith(".keras") and not path.endswith(_LEGACY_EXTENSIONS):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
            f"Keras format (recommended) or a `.h5` extension. Received: filepath={path}."
        )
    if not overwrite and os.path.exists(path):
        raise ValueError(f"The file already exists and `overwrite=False`. Received: filepath={path}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
    if path.endswith(_LEGACY_EXTENSIONS):
        warnings.warn(
            "You are saving your model as an HDF5 file via `model.save()` or `keras.saving.save_model(model)`. "
            "This file format is considered legacy. We recommend using instead the native Keras format, e.g. "
            "`model.save('my_model.keras')` or `keras.saving.save_model(model, 'my_model.keras')`.",
            stacklevel=3,
        )
        from torchkeras.saving import legacy_h5

        legacy_h5.save_model(model, path, include_optimizer=include_optimizer)
        return
    _save_keras_archive(model, path)


def _save_keras_archive(model, path):
    if not getattr(model, "built", False):
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any weights yet. "
            "Consider building the model first by calling it on some data.",
            stacklevel=4,
        )
    config = _serialize_model(model)
    with_optimizer = False
    if "compile_config" in config:
        try:
            with_optimizer = _serialize_compiled_optimizer(model, config["compile_config"])
            keras_archive.dumps(config["compile_config"])
        except TypeError as error:
            warnings.warn(
                f"The compile config of model '{model.name}' cannot be saved ({error}): the archive is written "
                "without it, and the model loads uncompiled.",
                stacklevel=4,
            )
            del config["compile_config"]
            with_optimizer = False
        if "compile_config" in config and not with_optimizer and getattr(model, "optimizer", None) is not None:
            warnings.warn(
                f"The state of optimizer {type(model.optimizer).__name__} is not saved (torchkeras writes the "
                "state of its own `keras.optimizers` optimizers only): the loaded model starts training with a "
                "fresh optimizer.",
                stacklevel=4,
            )
    config_json = keras_archive.dumps(config)

    def write(h5file):
        weights_file.write_weights(model, h5file)
        if with_optimizer:
            optimizer_state.write_optimizer_state(model, h5file)

    keras_archive.write_archive(path, config_json, write)


def _serialize_model(model):
    """`serialize_keras_object(model)`; a compile config that cannot be serialized (a `torch.optim`
    optimizer, an object without `get_config`) is left out with a warning rather than failing the save."""
    try:
        with serialization.ObjectSharingScope():
            return serialization.serialize_keras_object(model)
    except TypeError as error:
        if not getattr(model, "compiled", False):
            raise
        model.__dict__["get_compile_config"] = lambda: None  # this instance only, for this call
        try:
            with serialization.ObjectSharingScope():
                config = serialization.serialize_keras_object(model)
        finally:
            del model.__dict__["get_compile_config"]
        warnings.warn(
            f"The compile config of model '{model.name}' cannot be saved ({error}): the archive is written "
            "without it, and the model loads uncompiled.",
            stacklevel=5,
        )
        return config


def _serialize_compiled_optimizer(model, compile_config):
    """Keras's compile config holds the optimizer object `compile` resolved (`"adam"` becomes the Adam
    config, its learning rate included), before the `LossScaleOptimizer` that `compile` wraps it in
    under `mixed_float16`: the one whose state is saved. Returns whether it can be."""
    if not optimizer_state.can_save(model):
        return False
    with serialization.ObjectSharingScope():
        compile_config["optimizer"] = serialization.serialize_keras_object(
            getattr(model, "_compiled_optimizer", model.optimizer))
    return True


@keras_export("keras.saving.load_model", "keras.models.load_model")
def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by Keras 3 (any backend) or torchkeras: a `.keras` archive, a legacy `.h5`
    file, or an unzipped archive folder.

    Args:
        filepath: Path of the file (or folder).
        custom_objects: Optional dict mapping names to custom classes or functions used by the model.
        compile: Whether to compile the model from the saved compile config and restore the optimizer
            state (when the file has them).
        safe_mode: When True (default), a Lambda layer saved as Python bytecode is refused: loading it
            would run code from the file. Pass False only for files you trust.

    Returns:
        A torchkeras model, built and holding the file's weights; compiled when the file has a compile
        config and `compile=True`.

    Raises:
        ValueError: the file is missing, has another extension, is not a valid archive, or its weights
            (or optimizer state) do not fit the model its config describes (every mismatch listed).
    """
    filepath = os.fspath(filepath)
    path = str(filepath)
    if path.endswith(".keras"):
        with keras_archive.open_archive(path) as archive:
            config = archive.read_json(keras_archive.CONFIG_FILENAME, "the model's config")
            model = model_from_config(config, custom_objects=custom_objects, compile=compile,
                                      safe_mode=safe_mode, source=path, weights_follow=True)
            with archive.open_weights() as h5file:
                _load_state(model, h5file, path, compile)
        return model
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, keras_archive.CONFIG_FILENAME)):
        return _load_from_folder(path, custom_objects, compile, safe_mode)
    if path.endswith(_LEGACY_EXTENSIONS):
        from torchkeras.saving import legacy_h5

        return legacy_h5.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    raise ValueError(
        f"File format not supported: filepath={path}. Keras 3 (and torchkeras) only supports V3 `.keras` "
        "files and legacy H5 format files (`.h5` extension). Note that the legacy SavedModel format is not "
        "supported by `load_model()`."
    )


def _load_from_folder(path, custom_objects, compile, safe_mode):
    import json

    import h5py

    with open(os.path.join(path, keras_archive.CONFIG_FILENAME), "r", encoding="utf-8") as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"Invalid model folder {path}: `config.json` is not valid JSON ({error}).") from None
    model = model_from_config(config, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode,
                              source=path, weights_follow=True)
    weights = os.path.join(path, keras_archive.WEIGHTS_FILENAME)
    if not os.path.isfile(weights):
        raise ValueError(f"Invalid model folder {path}: expected a `{keras_archive.WEIGHTS_FILENAME}` file in it.")
    with h5py.File(weights, mode="r") as h5file:
        _load_state(model, h5file, weights, compile)
    return model


def model_from_config(config, custom_objects=None, compile=True, safe_mode=True, source=None,
                      weights_follow=False):
    """Rebuilds a model from the config of a `.keras` archive (`serialize_keras_object` format).

    Args:
        config: The parsed `config.json`.
        custom_objects: Optional dict of custom classes and functions.
        compile: When False, the compile config is ignored.
        safe_mode: Whether to refuse Lambda bytecode.
        source: The file's path, for messages.
        weights_follow: True when every weight is loaded from a file right after (and the model is
            dropped if any is missing): the weights are then created uninitialized, saving the time and
            memory of initial values that would be overwritten.

    Returns:
        The model (compiled, and its optimizer built, when the config says so and `compile=True`).
    """
    from torchkeras.layers.layer import Layer

    import_model_classes()
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(
            f"Invalid model config in {source}: expected a dict with `class_name` and `config` keys "
            f"(Keras 3's `serialize_keras_object` format). Received: {str(config)[:200]}"
        )
    config = dict(config)
    if not compile:
        config["compile_config"] = None
    skip = call_context.initializers_skipped() if weights_follow else contextlib.nullcontext()
    with serialization.ObjectSharingScope(), serialization.SafeModeScope(safe_mode), skip:
        model = serialization.deserialize_keras_object(config, custom_objects=custom_objects,
                                                       safe_mode=safe_mode)
    if not isinstance(model, Layer):
        raise ValueError(
            f"The config in {source} does not describe a model: it gave a {type(model).__name__}."
        )
    if compile:
        optimizer_state.build_for_loading(model)
    return model


def import_model_classes():
    """Registers the model classes a config may name (`Functional` is imported lazily elsewhere)."""
    import torchkeras.models.functional  # noqa: F401
    import torchkeras.models.functional_config  # noqa: F401


def _load_state(model, h5file, source, compile):
    """Checks the weights (and optimizer state) of an open weights file against `model`, then loads
    them: any mismatch raises before anything is assigned."""
    plan = weights_file.plan_weights(model, h5file, source)
    assign_optimizer = optimizer_state.plan_optimizer_state(model, h5file, source) if compile else None
    weights_file.assign_planned(plan, fresh=True)
    if assign_optimizer is not None:
        assign_optimizer()


def load_weights_from_archive(model, filepath, skip_mismatch=False):
    """`model.load_weights("x.keras")`: the weights of a `.keras` archive (its optimizer state is not
    read), checked as a `.weights.h5` file is.

    Args:
        model: A built torchkeras model.
        filepath: Path of the `.keras` archive.
        skip_mismatch: Load what fits and warn about the rest, instead of raising.
    """
    path = str(os.fspath(filepath))
    weights_file._check_built(model, "loading weights into")
    with keras_archive.open_archive(path) as archive:
        with archive.open_weights() as h5file:
            plan = weights_file.plan_weights(model, h5file, path, skip_mismatch=skip_mismatch)
            weights_file.assign_planned(plan)
