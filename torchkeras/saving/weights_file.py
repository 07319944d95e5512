"""Keras 3 `.weights.h5` files, read and written (`model.save_weights` / `model.load_weights`).

The layout is the one `keras/src/saving/saving_lib.py` writes: the model's object tree walked from the
root, every layer a group `<path>/vars` (attribute `name`) holding its own variables as datasets `"0"`,
`"1"`, ... (trainable ones first, in creation order). Children are found as Keras finds them:

- a Sequential or Functional model's `layers` come first, under `layers/<class_snake_name>[_k]`
  (named by class, counted within the container, never by the layer's own name);
- then the other attributes holding a layer (`cell`, `forward_layer`, `query_dense`, `head`, ...) or a
  list/tuple/dict of layers (`blocks/dense`, `blocks/dense_1`; a nested container is `container[_k]`),
  in sorted order with private (`_x`) names last; a subclassed model's `layers` property is one of them
  (a layer first reached through it lands under `layers/<class_snake_name>`);
- a layer reachable twice (a shared layer) is written once, at the first path reached.

Loading checks every variable against the file before anything is assigned: a file whose weights do not
fit the model (missing, extra, wrong shape) raises one `ValueError` that lists every mismatch, and the
model is left untouched. Saving writes a temporary file in the same folder and renames it over the target,
so a failed save never destroys the previous file.

Groups of training state that Keras adds to the weights of a compiled model's `.keras` archive
(`optimizer/vars/...`) are read and written by `optimizer_state`, not here. The checks and the reads are
separate steps (`plan_weights`, then `assign_planned`), so that `.keras` loading (`saving_api`) checks the
weights and the optimizer state before assigning either.
"""

import os
import warnings

import numpy as np
import torch
from torch import nn

from torchkeras.utils import naming
from torchkeras.utils import file_utils

# Top-level groups of a Keras file that hold training state rather than layers.
_TRAINING_STATE_GROUPS = ("optimizer",)


def _check_filepath(filepath):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    return filepath


def _check_built(model, action):
    if not getattr(model, "built", False):
        raise ValueError(
            f"You are {action} a model that has not yet been built. Try building the model first by calling "
            "it on some data or by using `build()`."
        )


# ------------------------------------------------------------------------------------------ tree walk


def _name_key(name):
    """Private attributes are visited last (Keras's order)."""
    return f"~{name}" if name.startswith("_") else name


_BASE_NAMES = {}


def _base_names(cls):
    """Attribute names of the torchkeras base classes of `cls` (Layer, Model, Sequential, ...): these
    are never children, as Keras skips the attributes of its own base classes."""
    from torchkeras.layers.layer import Layer

    known = _BASE_NAMES.get(cls)
    if known is None:
        names = set(dir(nn.Module)) | set(vars(nn.Module()))  # `_modules`, `_parameters`, ... too
        for base in cls.__mro__:
            if base.__module__.startswith(("torchkeras.layers.layer", "torchkeras.models.",
                                           "torchkeras.trainers.")) or base is Layer:
                names.update(vars(base))
        known = _BASE_NAMES[cls] = names
    return known


def _is_layer(obj):
    from torchkeras.layers.layer import Layer

    return isinstance(obj, Layer)


def _is_container(obj):
    if isinstance(obj, (nn.ModuleList, nn.ModuleDict, nn.Sequential)) and not _is_layer(obj):
        return True
    return isinstance(obj, (list, tuple, dict))


def _container_items(container):
    if isinstance(container, (dict, nn.ModuleDict)):
        return list(container.values())
    return list(container)


def _tracked_layers(obj):
    """What a Sequential/Functional model lists as `layers` in Keras: a Functional model's input layers
    included, its torch-op nodes (Keras's non-layer operations) left out."""
    from torchkeras.graph.torch_op import TorchOp
    from torchkeras.models.functional import Functional

    if isinstance(obj, Functional):
        return [layer for layer in obj._modules.values() if _is_layer(layer) and not isinstance(layer, TorchOp)]
    return list(obj.layers)


def _children(obj):
    """`(attribute, child)` pairs of `obj` that may hold layers, in Keras's visiting order."""
    from torchkeras.models.functional import Functional
    from torchkeras.models.model import Model
    from torchkeras.models.sequential import Sequential

    if isinstance(obj, (Sequential, Functional)):
        yield "layers", _tracked_layers(obj)
        # Their submodules are their layers (visited above); other attributes are the model's own.
        candidates = {k for k, v in obj.__dict__.items() if _is_container(v)}
    else:
        candidates = set(obj._modules) | {k for k, v in obj.__dict__.items() if _is_container(v)}
    # Public properties of the layer's own class (Keras reaches `MultiHeadAttention.query_dense` so).
    skip = _base_names(type(obj))
    for cls in type(obj).__mro__:
        for name, value in vars(cls).items():
            if isinstance(value, property) and name not in skip:
                candidates.add(name)
    candidates -= skip
    if isinstance(obj, Model) and not isinstance(obj, (Sequential, Functional)):
        # Keras walks a subclassed model's `layers` property in sorted order with its other attributes:
        # a layer reached first through it is stored under `layers/<class_snake_name>`.
        candidates.add("layers")
    for name in sorted(candidates, key=_name_key):
        if name.startswith("__"):
            continue
        try:
            child = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property that cannot be read now holds no layer (as Keras)
            continue
        if _is_layer(child) or _is_container(child):
            yield name, child


def _join(path, name):
    return f"{path}/{name}" if path else name


def weight_paths(model):
    """The file's layout for `model`: `{path: layer}` in Keras's visiting order, the root model at `""`.

    Every layer reachable from the model appears once; its variables go to `<path>/vars/<i>`.
    """
    entries = {}
    visited = set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        entries[path] = obj
        for name, child in _children(obj):
            if _is_layer(child):
                visit(child, _join(path, name))
            else:
                visit_container(child, _join(path, name), set())

    def visit_container(container, path, seen_containers):
        if id(container) in seen_containers:
            return
        seen_containers.add(id(container))
        used = {}
        for item in _container_items(container):
            if _is_layer(item):
                visit(item, _join(path, _unique_name(naming.to_snake_case(type(item).__name__), used)))
            elif _is_container(item):
                visit_container(item, _join(path, _unique_name("container", used)), seen_containers)

    visit(model, "")
    return entries


def _unique_name(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


# ------------------------------------------------------------------------------------------ h5 reading


def _safe_child(group, name, h5py):
    """`group[name]`, refusing soft and external links (a file must not point outside itself)."""
    link = group.get(name, default=None, getclass=True, getlink=True)
    if link in (h5py.ExternalLink, h5py.SoftLink):
        raise ValueError(f"Not allowed: H5 file with {link.__name__} at '{group.name}/{name}'")
    return group[name]


def _read_file_vars(h5file, h5py):
    """`{path: {index: dataset}}` for every `<path>/vars` group of the file that holds datasets."""
    found = {}

    def walk(group, path):
        for name in group.keys():
            child = _safe_child(group, name, h5py)
            if not isinstance(child, h5py.Group):
                continue
            if name == "vars":
                datasets = {}
                for key in child.keys():
                    item = _safe_child(child, key, h5py)
                    if isinstance(item, h5py.Dataset):
                        datasets[key] = item
                found[path] = datasets
            else:
                walk(child, _join(path, name))

    walk(h5file, "")
    return found


def _dataset_to_tensor(dataset):
    if dataset.attrs.get("dtype") == "bfloat16":
        raw = np.asarray(dataset[()])
        return torch.from_numpy(raw.view(np.uint16).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.asarray(dataset[()]))


def load_weights(model, filepath, skip_mismatch=False):
    """Loads a Keras 3 `.weights.h5` file into `model` (see the module docstring).

    Args:
        model: A built torchkeras model (or layer).
        filepath: Path of the `.weights.h5` file.
        skip_mismatch: If True, layers whose weights do not fit are skipped with a warning (the others
            are loaded); if False, any mismatch raises before anything is loaded.

    Raises:
        ValueError: the name does not end in `.weights.h5`, the model is not built, or the file's
            weights do not fit the model (every mismatch is listed).
    """
    import h5py

    filepath = _check_filepath(filepath)
    _check_built(model, "loading weights into")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: filepath={filepath}")
    with h5py.File(filepath, mode="r") as h5file:
        plan = plan_weights(model, h5file, filepath, skip_mismatch=skip_mismatch)
        assign_planned(plan)


def plan_weights(model, h5file, source, skip_mismatch=False):
    """Checks every variable of `model` against an open Keras-layout h5 file; nothing is read yet.

    Args:
        model: The torchkeras model (or layer) the file is for.
        h5file: An open `h5py.File` (or group) in Keras's `.weights.h5` layout.
        source: How to name the file in messages (its path).
        skip_mismatch: If True, layers that do not fit are left out of the plan with a warning.

    Returns:
        A list of `(variable, dataset)` pairs, for `assign_planned`.

    Raises:
        ValueError: listing every mismatch (missing, extra, wrong shape), unless `skip_mismatch`.
    """
    import h5py

    entries = weight_paths(model)
    file_vars = _read_file_vars(h5file, h5py)
    # Keras 2.13 files name the layers container `_layer_checkpoint_dependencies`.
    legacy = "_layer_checkpoint_dependencies" in h5file and "layers" not in h5file

    def file_path_for(path):
        if legacy:
            return "/".join("_layer_checkpoint_dependencies" if part == "layers" else part
                            for part in path.split("/"))
        return path

    problems = []  # (path, message)
    plan = []  # (variable, dataset)
    failed_paths = set()
    used = set()
    for path, layer in entries.items():
        variables = layer._own_weights()
        stored = file_vars.get(file_path_for(path), {})
        used.add(file_path_for(path))
        where = f"'{path or '<model>'}' ({type(layer).__name__} '{layer.name}')"
        if len(stored) != len(variables) or set(stored) != {str(i) for i in range(len(variables))}:
            problems.append((path, f"{where}: expected {len(variables)} variables "
                                   f"{[tuple(v.shape) for v in variables]}, the file has {len(stored)} "
                                   f"{[tuple(stored[k].shape) for k in sorted(stored, key=_index_key)]}"))
            failed_paths.add(path)
            continue
        layer_plan = []
        for i, variable in enumerate(variables):
            dataset = stored[str(i)]
            if tuple(dataset.shape) != tuple(variable.shape):
                problems.append((path, f"{where}: variable {i} (`{variable.path}`) has shape "
                                       f"{tuple(variable.shape)}, the file has {tuple(dataset.shape)}"))
                failed_paths.add(path)
            else:
                layer_plan.append((variable, dataset))
        if path not in failed_paths:
            plan.extend(layer_plan)
    for path, stored in file_vars.items():
        top = path.split("/", 1)[0]
        if path in used or not stored or top in _TRAINING_STATE_GROUPS:
            continue
        problems.append((path, f"'{path}': the file has {len(stored)} variables there, for no layer of "
                               "the model"))

    if problems and not skip_mismatch:
        listing = "\n".join(f"- {message}" for _, message in problems)
        raise ValueError(
            f"The weights in {source} do not fit model '{model.name}' ({len(problems)} mismatches); "
            f"nothing was loaded:\n{listing}"
        )
    if problems:
        listing = "\n".join(f"- {message}" for _, message in problems)
        warnings.warn(f"Skipping the layers whose weights do not fit, loading the others:\n{listing}",
                      stacklevel=4)
    return plan


def check_dataset(dataset, h5py):
    """Refuses datasets whose data lives outside the file (external or virtual storage)."""
    if dataset.external:
        raise ValueError(f"Not allowed: H5 file with external Dataset at '{dataset.name}': {dataset.external}")
    if dataset.is_virtual:
        raise ValueError(f"Not allowed: H5 file with virtual Dataset at '{dataset.name}'")


def assign_planned(plan, fresh=False):
    """Reads every planned dataset into its variable.

    Args:
        plan: `(variable, dataset)` pairs from `plan_weights` (shapes already checked).
        fresh: True when the variables belong to a model just created for loading (no autograd history,
            no other reader): a contiguous CPU tensor of the file's dtype is then filled by h5py directly,
            without an intermediate array.
    """
    import h5py

    for _, dataset in plan:
        check_dataset(dataset, h5py)
    with torch.no_grad():
        for variable, dataset in plan:
            read_dataset_into(dataset, variable.value, fresh=fresh)


def read_dataset_into(dataset, tensor, fresh=False):
    """Copies `dataset` (same shape as `tensor`) into `tensor` with as few copies as the layouts allow."""
    if dataset.attrs.get("dtype") == "bfloat16":
        tensor.copy_(_dataset_to_tensor(dataset).to(tensor.dtype))
        return
    if tensor.numel() == 0:
        return
    same_dtype = tensor.dtype != torch.bfloat16 and np.dtype(dataset.dtype) == _numpy_dtype(tensor.dtype)
    if fresh and same_dtype and tensor.device.type == "cpu" and tensor.is_contiguous():
        dataset.read_direct(tensor.detach().numpy())
        return
    if dataset.ndim == 0:
        buffer = np.empty((), dtype=dataset.dtype)
        dataset.read_direct(buffer)
        tensor.copy_(torch.from_numpy(buffer).to(dtype=tensor.dtype))
        return
    # Through a bounded buffer, a block of leading rows at a time: the copy into another layout (a Dense
    # kernel kept transposed in memory), dtype or device then costs at most `_CHUNK_BYTES` more memory.
    rows = dataset.shape[0]
    row_bytes = max(1, int(np.prod(dataset.shape[1:], dtype=np.int64)) * np.dtype(dataset.dtype).itemsize)
    step = max(1, min(rows, _CHUNK_BYTES // row_bytes))
    buffer = np.empty((step,) + tuple(dataset.shape[1:]), dtype=dataset.dtype)
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        part = buffer[: stop - start]
        dataset.read_direct(part, source_sel=np.s_[start:stop])
        tensor[start:stop].copy_(torch.from_numpy(part).to(dtype=tensor.dtype))


_CHUNK_BYTES = 16 * 2**20


def _numpy_dtype(torch_dtype):
    try:
        return torch.empty((), dtype=torch_dtype).numpy().dtype
    except TypeError:
        return None


def _index_key(key):
    return (0, int(key)) if key.isdigit() else (1, key)


# ------------------------------------------------------------------------------------------ writing


def _to_numpy(variable):
    tensor = variable.value.detach()
    if tensor.dtype == torch.bfloat16:
        import ml_dtypes

        return tensor.cpu().view(torch.uint16).numpy().view(ml_dtypes.bfloat16), True
    return tensor.cpu().numpy(), False


def save_weights(model, filepath, overwrite=True):
    """Writes `model`'s weights to a Keras 3 `.weights.h5` file (see the module docstring).

    Args:
        model: A built torchkeras model (or layer).
        filepath: Path of the file; must end in `.weights.h5`.
        overwrite: Whether to replace an existing file. If False and the file exists, a `ValueError` is
            raised (no prompt: torchkeras never waits for input).
    """
    import h5py

    filepath = _check_filepath(filepath)
    _check_built(model, "saving")
    if not overwrite and os.path.exists(filepath):
        raise ValueError(f"The file already exists and `overwrite=False`. Received: filepath={filepath}")
    with file_utils.atomic_write(filepath, suffix=".weights.h5") as temporary:
        with h5py.File(temporary, mode="w") as h5file:
            write_weights(model, h5file)


def write_weights(model, h5file):
    """Writes `model`'s variables into an open, empty `h5py.File` in Keras's layout (every layer's group
    `<path>/vars` with its `name` attribute, as Keras's `H5IOStore.make(path, metadata)` creates it)."""
    for path, layer in weight_paths(model).items():
        group = h5file.create_group(_join(path, "vars")) if path else h5file.create_group("vars")
        group.attrs["name"] = layer.name
        for i, variable in enumerate(layer._own_weights()):
            value, is_bfloat16 = _to_numpy(variable)
            dataset = group.create_dataset(str(i), data=value)
            if is_bfloat16:
                dataset.attrs["dtype"] = "bfloat16"
