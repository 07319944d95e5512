"""Legacy Keras 2 / tf.keras HDF5 files (`.h5`): weights and whole models, read and written as Keras 3's
`keras/src/legacy/saving/legacy_h5_format.py` does.

Layout. A weights file (`save_weights("x.h5")` in Keras 2) has the attribute `layer_names` at its root; a
whole-model file (`model.save("x.h5")`) has `model_config` (JSON of the Keras 2 config), optionally
`training_config` (JSON of the compile arguments), and the same weights under `model_weights/`. Each layer
is a group `<layer_name>` with the attribute `weight_names` (`dense/kernel:0`, ...) naming its datasets
(`<layer_name>/dense/kernel:0`), in the legacy weight order: the layer's trainable weights, then its
non-trainable ones (a nested model is one layer holding all its sublayers' weights). Long attribute
lists are split into `layer_names0`, `layer_names1`, ...

Loading matches layers as Keras does: by order among the layers that have weights (`by_name=False`, the
default), or by name (`by_name=True`, layers of the file with no namesake in the model are skipped). Every
weight is checked before any is assigned: a file that does not fit raises one `ValueError` listing every
mismatch, and the model is left untouched. Soft and external links are refused.

Keras 2 configs differ from Keras 3's: no `module` keys, `batch_input_shape`, a one-element list as a
normalization `axis`, Lambda functions as a `[code, defaults, closure]` list, the node list format of
functional models (which `functional_config` reads). `upgrade_legacy_config` rewrites the first three
as Keras 3's `saving_utils.model_from_config` does, for every nested layer config.

Optimizer state: a file written by Keras 3 (or torchkeras) stores `optimizer.variables` in Keras 3's
order, restored when counts and shapes match exactly. The state of Keras 2 optimizers (another variable
order and naming) is not restored: the model is compiled with a fresh optimizer, with a warning.
"""

import json
import os
import warnings

import numpy as np

from torchkeras.saving import serialization
from torchkeras.saving import weights_file
from torchkeras.utils import file_utils

# HDF5 refuses object headers (attributes) above 64 KiB: long lists are split, as in Keras.
HDF5_OBJECT_HEADER_LIMIT = 64512

_LAMBDA_DEPRECATED_ARGS = ("module", "function_type", "output_shape_type", "output_shape_module")
_LEGACY_OPTIMIZER_ARGS = ("jit_compile", "is_legacy_optimizer")


def _h5py():
    import h5py

    return h5py


def _decode(value):
    return value.decode("utf-8") if hasattr(value, "decode") else value


def load_attributes(group, name):
    """The list stored in attribute `name` of `group` (joined from `name0`, `name1`, ... chunks)."""
    if name in group.attrs:
        return [_decode(n) for n in group.attrs[name]]
    data = []
    chunk = 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(_decode(n) for n in group.attrs[f"{name}{chunk}"])
        chunk += 1
    return data


def save_attributes(group, name, data):
    """Stores a list of strings as attribute `name`, split in chunks when HDF5's header limit needs it."""
    data = [item.encode("utf-8") if isinstance(item, str) else item for item in data]
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(
            f"The following attributes cannot be saved to HDF5 file because they are larger than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long}"
        )
    array = np.asarray(data) if data else np.asarray([], dtype="S1")
    chunks = 1
    split = np.array_split(array, chunks)
    while any(x.nbytes > HDF5_OBJECT_HEADER_LIMIT for x in split):
        chunks += 1
        split = np.array_split(array, chunks)
    if chunks > 1:
        for index, part in enumerate(split):
            group.attrs[f"{name}{index}"] = part
    else:
        group.attrs[name] = array


def _child(group, path):
    """`group[path]` walked one component at a time, refusing links."""
    h5py = _h5py()
    current = group
    for part in path.split("/"):
        if not part:
            continue
        if not isinstance(current, h5py.Group) or part not in current:
            raise KeyError(path)
        current = weights_file._safe_child(current, part, h5py)
    return current


def legacy_weights(layer):
    """A layer's weights in the legacy order: trainable, then non-trainable (Keras's `_legacy_weights`)."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _layers_with_weights(model):
    return [layer for layer in model.layers if legacy_weights(layer)]


def _file_layers(group, source):
    """`[(layer_name, [dataset, ...])]` of the file's layers that hold weights, in the file's order."""
    h5py = _h5py()
    layers = []
    for name in load_attributes(group, "layer_names"):
        try:
            layer_group = _child(group, name)
        except KeyError:
            raise ValueError(f"Invalid legacy weights file {source}: layer '{name}' of `layer_names` has no group.")
        datasets = []
        for weight_name in load_attributes(layer_group, "weight_names"):
            try:
                dataset = _child(layer_group, weight_name)
            except KeyError:
                raise ValueError(
                    f"Invalid legacy weights file {source}: weight '{weight_name}' of layer '{name}' is missing."
                ) from None
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(f"Invalid legacy weights file {source}: '{name}/{weight_name}' is not a dataset.")
            datasets.append(dataset)
        if datasets:
            layers.append((name, datasets))
    return layers


def _weights_group(h5file, source):
    """The group holding `layer_names`: the root of a weights file, `model_weights` of a model file."""
    if "layer_names" not in h5file.attrs and "layer_names0" not in h5file.attrs and "model_weights" in h5file:
        return _child(h5file, "model_weights")
    if "layer_names" in h5file.attrs or "layer_names0" in h5file.attrs:
        return h5file
    raise ValueError(
        f"{source} is not a legacy Keras weights file: it has no `layer_names` attribute (nor a "
        "`model_weights` group). Keras 3 weights files end in `.weights.h5`; whole models in `.keras`."
    )


def plan_weights(model, group, source, skip_mismatch=False, by_name=False):
    """Checks the legacy weights in `group` against `model`: `(variable, dataset)` pairs, nothing read.

    Raises:
        ValueError: listing every mismatch (unless `skip_mismatch`, which warns and leaves those out).
    """
    file_layers = _file_layers(group, source)
    problems = []
    plan = []

    def match(layer, name, datasets, label):
        variables = legacy_weights(layer)
        if len(variables) != len(datasets):
            problems.append(f"{label}: the model's layer '{layer.name}' ({type(layer).__name__}) has "
                            f"{len(variables)} weights {[tuple(v.shape) for v in variables]}, the file's layer "
                            f"'{name}' has {len(datasets)} {[tuple(d.shape) for d in datasets]}")
            return
        pairs = []
        for variable, dataset in zip(variables, datasets):
            if tuple(variable.shape) != tuple(dataset.shape):
                problems.append(f"{label}: weight `{variable.path}` of layer '{layer.name}' has shape "
                                f"{tuple(variable.shape)}, the file's '{dataset.name}' has {tuple(dataset.shape)}")
                return
            pairs.append((variable, dataset))
        plan.extend(pairs)

    if by_name:
        by_layer_name = {layer.name: layer for layer in model.layers}
        for name, datasets in file_layers:
            if name in by_layer_name:
                match(by_layer_name[name], name, datasets, f"layer '{name}'")
    else:
        model_layers = _layers_with_weights(model)
        if len(model_layers) != len(file_layers):
            problems.append(
                f"layer count mismatch: the model has {len(model_layers)} layers with weights "
                f"{[layer.name for layer in model_layers]}, the file has {len(file_layers)} "
                f"{[name for name, _ in file_layers]}"
            )
        else:
            for k, (layer, (name, datasets)) in enumerate(zip(model_layers, file_layers)):
                match(layer, name, datasets, f"layer #{k}")
    if "top_level_model_weights" in group:
        top = _child(group, "top_level_model_weights")
        names = load_attributes(top, "weight_names")
        if names:
            own = model._own_weights()
            datasets = [_child(top, n) for n in names]
            if len(own) != len(datasets) or any(tuple(v.shape) != tuple(d.shape) for v, d in zip(own, datasets)):
                problems.append(f"top-level weights: the model has {[tuple(v.shape) for v in own]}, the file "
                                f"has {[tuple(d.shape) for d in datasets]}")
            else:
                plan.extend(zip(own, datasets))
    if problems and not skip_mismatch:
        listing = "\n".join(f"- {p}" for p in problems)
        raise ValueError(
            f"The weights in {source} do not fit model '{model.name}' ({len(problems)} mismatches); nothing "
            f"was loaded:\n{listing}"
        )
    if problems:
        listing = "\n".join(f"- {p}" for p in problems)
        warnings.warn(f"Skipping the weights that do not fit, loading the others:\n{listing}", stacklevel=4)
    return plan


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """`model.load_weights("x.h5")` for a legacy Keras 2 / tf.keras weights or whole-model file.

    Args:
        model: A built torchkeras model.
        filepath: Path of the `.h5` file.
        skip_mismatch: Load what fits and warn about the rest, instead of raising.
        by_name: Match layers by name instead of by order.
    """
    h5py = _h5py()
    path = str(os.fspath(filepath))
    weights_file._check_built(model, "loading weights into")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: filepath={path}")
    with _open(path, h5py) as h5file:
        plan = plan_weights(model, _weights_group(h5file, path), path, skip_mismatch=skip_mismatch,
                            by_name=by_name)
        weights_file.assign_planned(plan)


def _open(path, h5py):
    try:
        return h5py.File(path, mode="r")
    except OSError as error:
        raise ValueError(f"{path} is not an HDF5 file, as a `.h5` file must be ({error}).") from None


# ------------------------------------------------------------------------------------------ configs


def _upgrade_layer_config(config):
    """One Keras 2 object config rewritten for Keras 3 (as `saving_utils.model_from_config`)."""
    inner = config.get("config")
    if not isinstance(inner, dict):
        return config
    config = dict(config)
    inner = dict(inner)
    class_name = config.get("class_name")
    batch_input_shape = inner.pop("batch_input_shape", None)
    if batch_input_shape is not None:
        if class_name == "InputLayer":
            inner["batch_shape"] = batch_input_shape
        else:
            inner["batch_input_shape"] = batch_input_shape
    axis = inner.get("axis")
    if isinstance(axis, list) and len(axis) == 1 and isinstance(axis[0], int) and "Normalization" in str(class_name):
        inner["axis"] = int(axis[0])
    if class_name == "Lambda":
        # Keras 2 wrote a lambda as `[code, defaults, closure]` (with `function_type: "lambda"`; a
        # named function is its name) and an output shape function likewise (`output_shape_type`).
        for key, kind in (("function", "function_type"), ("output_shape", "output_shape_type")):
            value = inner.get(key)
            if inner.get(kind) == "lambda" and isinstance(value, list) and value and isinstance(value[0], str):
                code, defaults, closure = (list(value) + [None, None])[:3]
                inner[key] = {"class_name": "__lambda__",
                              "config": {"code": code, "defaults": defaults, "closure": closure}}
        for name in _LAMBDA_DEPRECATED_ARGS:
            inner.pop(name, None)
    if class_name in ("Functional", "Model") and config.get("module") is None:
        config["module"] = "keras"
        config["class_name"] = "Functional"
    config["config"] = inner
    return config


def upgrade_legacy_config(value):
    """Rewrites every Keras 2 object config inside `value` (nested layers, wrapped layers, cells)."""
    if isinstance(value, list):
        return [upgrade_legacy_config(item) for item in value]
    if isinstance(value, dict):
        if "class_name" in value and "config" in value and "module" not in value:
            value = _upgrade_layer_config(value)
            if isinstance(value["config"], dict) and "layers" in value["config"] and "input_layers" in value["config"]:
                value = dict(value, config=_reindex_nested_models(value["config"]))
        return {key: upgrade_legacy_config(item) if key != "inbound_nodes" else item
                for key, item in value.items()}
    return value


def _has_own_graph(layer_config):
    """Whether a nested model had, in tf.keras, a node of its own from its construction: a functional
    model always; a Sequential when it was built with an input shape."""
    if layer_config.get("class_name") in ("Functional", "Model"):
        return True
    if layer_config.get("class_name") != "Sequential":
        return False
    layers = layer_config.get("config", {}).get("layers") or [{}]
    first = layers[0].get("config", {}) if isinstance(layers[0], dict) else {}
    return layers[0].get("class_name") == "InputLayer" or "batch_input_shape" in first or "batch_shape" in first


def _reindex_nested_models(config):
    """tf.keras counted the construction node of a nested model (node 0), so its calls are nodes 1, 2,
    ...; torchkeras (as Keras 3) gives a nested model only its calls. A functional model's
    `input_layers` / `output_layers` already discount it (`functional_config.get_tensor`), a Sequential's
    do not."""
    nested = {layer.get("name", layer.get("config", {}).get("name")): layer.get("class_name")
              for layer in config.get("layers", []) if isinstance(layer, dict) and _has_own_graph(layer)}
    if not nested:
        return config

    def shift(entry):
        if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str) and entry[0] in nested \
                and isinstance(entry[1], int) and entry[1] > 0:
            return [entry[0], entry[1] - 1, *entry[2:]]
        return entry

    config = dict(config)
    layers = []
    for layer in config["layers"]:
        nodes = layer.get("inbound_nodes") if isinstance(layer, dict) else None
        if isinstance(nodes, list) and all(isinstance(node, list) for node in nodes):
            layer = dict(layer, inbound_nodes=[[shift(entry) for entry in node] for node in nodes])
        layers.append(layer)
    config["layers"] = layers

    def shift_sequential(entries):
        if isinstance(entries, list) and entries and isinstance(entries[0], str):
            return shift(entries) if nested.get(entries[0]) == "Sequential" else entries
        if isinstance(entries, list):
            return [shift_sequential(entry) for entry in entries]
        if isinstance(entries, dict):
            return {key: shift_sequential(entry) for key, entry in entries.items()}
        return entries

    config["input_layers"] = shift_sequential(config["input_layers"])
    config["output_layers"] = shift_sequential(config["output_layers"])
    return config


def _compile_args(training_config, custom_objects):
    from torchkeras import optimizers

    optimizer_config = training_config.get("optimizer_config")
    optimizer = None
    if optimizer_config is not None:
        optimizer_config = dict(optimizer_config)
        inner = dict(optimizer_config.get("config", {}))
        for name in _LEGACY_OPTIMIZER_ARGS:
            inner.pop(name, None)
        if "lr" in inner and "learning_rate" not in inner:
            inner["learning_rate"] = inner.pop("lr")
        if not inner.get("decay"):
            inner.pop("decay", None)
        optimizer_config["config"] = inner
        try:
            with serialization.SafeModeScope(True):
                optimizer = optimizers.deserialize(optimizer_config, custom_objects=custom_objects)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"Cannot rebuild the optimizer of the file's training config ({error}). Load the model with "
                f"`compile=False` and compile it yourself. Received: optimizer_config={optimizer_config}"
            ) from None

    def revive(entry):
        if isinstance(entry, dict) and "class_name" in entry:
            inner = entry.get("config")
            if isinstance(inner, dict):
                if entry["class_name"] == "MeanMetricWrapper" and isinstance(inner.get("fn"), str):
                    return inner["fn"]  # tf.keras wrapped a metric function: compile resolves its name
                if inner.get("reduction") == "auto":  # tf.keras's default reduction, Keras 3's name for it
                    entry = dict(entry, config=dict(inner, reduction="sum_over_batch_size"))
            return serialization.deserialize_keras_object(entry, custom_objects=custom_objects)
        if isinstance(entry, list):
            return [revive(e) for e in entry]
        if isinstance(entry, dict):
            return {k: revive(v) for k, v in entry.items()}
        return entry

    return {
        "optimizer": optimizer,
        "loss": revive(training_config.get("loss")),
        "metrics": revive(training_config.get("metrics")),
        "weighted_metrics": revive(training_config.get("weighted_metrics")),
        "loss_weights": training_config.get("loss_weights"),
    }


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a legacy whole-model `.h5` file (Keras 2 / tf.keras `model.save("x.h5")`, or Keras 3's
    legacy writer).

    Args:
        filepath: Path of the `.h5` file.
        custom_objects: Optional dict of custom classes and functions.
        compile: Whether to compile the model from the file's `training_config`.
        safe_mode: Whether to refuse Lambda bytecode.

    Returns:
        The torchkeras model, holding the file's weights.
    """
    h5py = _h5py()
    path = str(os.fspath(filepath))
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path}.")
    with _open(path, h5py) as h5file:
        model_config = h5file.attrs.get("model_config")
        if model_config is None:
            hint = (" It holds weights only (a `layer_names` attribute): build the model in code and call "
                    "`model.load_weights(...)`." if "layer_names" in h5file.attrs else "")
            raise ValueError(f"No model config found in the file at {path}.{hint}")
        try:
            model_config = json.loads(_decode(model_config))
        except json.JSONDecodeError as error:
            raise ValueError(f"Invalid `model_config` attribute in {path}: not JSON ({error}).") from None
        if not isinstance(model_config, dict) or "class_name" not in model_config or "config" not in model_config:
            raise ValueError(
                f"Invalid `model_config` attribute in {path}: expected a dict with `class_name` and `config`."
            )
        config = upgrade_legacy_config(model_config)
        from torchkeras.layers.layer import Layer
        from torchkeras.saving import saving_api

        saving_api.import_model_classes()

        from torchkeras.layers import call_context

        # Every weight is checked against the file and loaded below (or the model is dropped).
        with serialization.ObjectSharingScope(), serialization.SafeModeScope(safe_mode), \
                call_context.initializers_skipped():
            model = serialization.deserialize_keras_object(config, custom_objects=custom_objects,
                                                           safe_mode=safe_mode)
        if not isinstance(model, Layer):
            raise ValueError(f"The `model_config` of {path} does not describe a model: it gave a "
                             f"{type(model).__name__}.")
        plan = plan_weights(model, _weights_group(h5file, path), path)
        optimizer_values = None
        training_config = h5file.attrs.get("training_config") if compile else None
        if training_config is not None:
            training_config = json.loads(_decode(training_config))
            model.compile(**_compile_args(training_config, custom_objects))
            if "optimizer_weights" in h5file:
                optimizer_values = _plan_optimizer_weights(model, h5file, path)
        elif compile:
            warnings.warn("No training configuration found in the save file, so the model was *not* compiled. "
                          "Compile it manually.", stacklevel=3)
        weights_file.assign_planned(plan, fresh=True)
        if optimizer_values is not None:
            optimizer_values()
    return model


def _plan_optimizer_weights(model, h5file, path):
    from torchkeras.saving import optimizer_state

    optimizer = model.optimizer
    group = _child(h5file, "optimizer_weights")
    names = load_attributes(group, "weight_names")
    datasets = [_child(group, name) for name in names]
    written_by_keras_3 = str(_decode(h5file.attrs.get("keras_version", ""))).startswith("3.")
    if optimizer is not None and optimizer_state.can_save(model):
        optimizer_state.build_for_loading(model)
        expected = optimizer.variables
        if written_by_keras_3 and len(expected) == len(datasets) and all(
                tuple(v.shape) == tuple(d.shape) for v, d in zip(expected, datasets)):
            def assign():
                optimizer.set_weights([np.asarray(d[()]) for d in datasets])
            return assign
    warnings.warn(
        f"The optimizer state in {path} ({len(datasets)} variables, from Keras "
        f"{_decode(h5file.attrs.get('keras_version', '?'))}) does not map onto optimizer "
        f"'{getattr(optimizer, 'name', optimizer)}' ({len(getattr(optimizer, 'variables', []))} variables): "
        "it was not restored, and training starts with a freshly initialized optimizer.",
        stacklevel=4,
    )
    return None


# ------------------------------------------------------------------------------------------ writing


def save_model(model, filepath, include_optimizer=True):
    """Writes `model` as a legacy whole-model `.h5` file, as Keras 3's `save_model_to_hdf5` does, to a
    temporary file renamed over `filepath`."""
    from torchkeras.saving import keras_archive
    from torchkeras.saving import optimizer_state

    h5py = _h5py()
    weights_file._check_built(model, "saving")
    with serialization.ObjectSharingScope():
        model_config = {"class_name": type(model).__name__,
                        "config": serialization.serialize_dict(model.get_config())}
    training_config = None
    if include_optimizer and getattr(model, "compiled", False) and optimizer_state.can_save(model):
        from torchkeras.saving import saving_api

        compile_config = model.get_compile_config()
        try:
            saving_api._serialize_compiled_optimizer(model, compile_config)
            keras_archive.dumps(compile_config)
        except TypeError as error:
            warnings.warn(f"The compile config cannot be saved ({error}); the model is saved uncompiled.",
                          stacklevel=4)
        else:
            training_config = {key: compile_config.get(key) for key in
                               ("loss", "metrics", "weighted_metrics", "loss_weights")}
            training_config["optimizer_config"] = {
                "class_name": compile_config["optimizer"]["class_name"],
                "config": compile_config["optimizer"]["config"],
            }
    with file_utils.atomic_write(filepath, suffix=".h5") as temporary, h5py.File(temporary, mode="w") as f:
        f.attrs["keras_version"] = keras_archive.KERAS_FORMAT_VERSION
        f.attrs["backend"] = "torch"
        f.attrs["model_config"] = keras_archive.dumps(model_config).encode("utf-8")
        if training_config is not None:
            f.attrs["training_config"] = keras_archive.dumps(training_config).encode("utf-8")
        save_weights_to_group(f.create_group("model_weights"), model)
        if training_config is not None:
            optimizer_state.build_for_loading(model)
            variables = model.optimizer.variables
            group = f.create_group("optimizer_weights")
            names = [f"{model.optimizer.name}/variable_{i}" for i in range(len(variables))]
            save_attributes(group, "weight_names", names)
            for name, value in zip(names, variables):
                group.create_dataset(name, data=value.detach().cpu().numpy())


def save_weights_to_group(group, model):
    """The `model_weights` layout: `layer_names`, then a group per layer with its `weight_names`."""
    from torchkeras.saving import keras_archive

    layers = list(model.layers)
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = b"torch"
    group.attrs["keras_version"] = keras_archive.KERAS_FORMAT_VERSION.encode("utf-8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        _save_subset(group.create_group(layer.name), legacy_weights(layer))
    _save_subset(group.create_group("top_level_model_weights"), model._own_weights())


def _save_subset(group, variables):
    names, used = [], set()
    for variable in variables:
        name = str(variable.path)
        while name in used:
            name += "_"
        used.add(name)
        names.append(name)
    save_attributes(group, "weight_names", names)
    for name, variable in zip(names, variables):
        value, is_bfloat16 = weights_file._to_numpy(variable)
        dataset = group.create_dataset(name, data=value)
        if is_bfloat16:
            dataset.attrs["dtype"] = "bfloat16"
