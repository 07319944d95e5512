"""A compiled model's optimizer state in a `.keras` archive (`optimizer/vars/<i>` of `model.weights.h5`).

Keras's `saving_lib` stores `model.optimizer.variables` under `optimizer/vars` (attribute `name`): the
iteration counter, the learning rate when it is a plain float (no schedule), then the slot variables
(Adam's momentum and velocity of each trainable variable in turn, EMA averages, ...) in creation order.
A torchkeras optimizer lists its `variables` in exactly that order, for the trainable variables of the
model in Keras's order, so the mapping is one to one: slot `i` of the file fills slot `i`, after its
shape is checked. A file whose optimizer state does not map exactly (other count, shapes, or an
optimizer that torchkeras cannot map) raises a `ValueError` before anything is assigned; load with
`compile=False` to get the model without its training state.

A `LossScaleOptimizer` (what `compile` wraps the optimizer in under `mixed_float16`) is stored as Keras
stores it: `optimizer/vars` holds its own variables (Keras's unused iteration and learning rate, then
`step_counter` and `dynamic_scale`) followed by the inner optimizer's, and `optimizer/inner_optimizer/vars`
holds the inner optimizer's again. The inner state is read from the latter.
"""

import warnings

import numpy as np
import torch

from torchkeras.saving import weights_file

OPTIMIZER_PATH = "optimizer"


INNER_PATH = f"{OPTIMIZER_PATH}/inner_optimizer"
# Keras's LossScaleOptimizer variables before its inner optimizer's: iteration, learning_rate (both unused),
# step_counter, dynamic_scale.
_SCALE_SLOTS = {"step_counter": "2", "dynamic_scale": "3"}


def _is_torchkeras_optimizer(optimizer):
    from torchkeras.optimizers.optimizer import Optimizer

    return isinstance(optimizer, Optimizer)


def _split_loss_scale(optimizer):
    """`(loss_scale_optimizer or None, the optimizer whose slots are stored)`."""
    from torchkeras.optimizers.loss_scale_optimizer import LossScaleOptimizer

    if isinstance(optimizer, LossScaleOptimizer):
        return optimizer, optimizer.inner_optimizer
    return None, optimizer


def _stored_vars(h5file, path):
    """`{index: dataset}` of `<path>/vars`, or None when the file has no such group."""
    import h5py

    group = h5file
    for part in f"{path}/vars".split("/"):
        if part not in group:
            return None
        group = weights_file._safe_child(group, part, h5py)
        if not isinstance(group, h5py.Group):
            return None
    datasets = {}
    for key in group.keys():
        item = weights_file._safe_child(group, key, h5py)
        if isinstance(item, h5py.Dataset):
            datasets[key] = item
    return datasets


def build_for_loading(model):
    """Creates the compiled optimizer's variables for the model's trainable variables, as Keras's
    `compile_from_config` does, so that a saved state has slots to go to."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "built", False):
        return
    if hasattr(optimizer, "build") and not getattr(optimizer, "built", True):
        optimizer.build(model.trainable_variables)


def plan_optimizer_state(model, h5file, source):
    """Checks the file's optimizer state against `model.optimizer`; nothing is assigned.

    Args:
        model: The model, compiled from the archive's compile config (and its optimizer built).
        h5file: The archive's open weights file.
        source: How to name the file in messages.

    Returns:
        A function that assigns the state (call it once the model's weights are loaded), or None when
        there is nothing to load.

    Raises:
        ValueError: when the stored state cannot be mapped exactly onto the optimizer.
    """
    stored = _stored_vars(h5file, OPTIMIZER_PATH)
    optimizer = getattr(model, "optimizer", None)
    if not stored or optimizer is None:
        return None
    hint = "Load the model with `compile=False` to skip the optimizer state."
    scaler, optimizer = _split_loss_scale(optimizer)
    inner_stored = _stored_vars(h5file, INNER_PATH)
    scale_state = None
    if inner_stored:
        if scaler is None:
            # Saved under mixed_float16 but compiled here without loss scaling (the model's own policy
            # is not mixed_float16, which Keras's Sequential does not keep through its config either):
            # the inner optimizer's state still fits this one.
            warnings.warn(
                f"{source} holds the state of a LossScaleOptimizer, but the model's optimizer is a "
                f"{type(optimizer).__name__} without loss scaling: only the state of its inner optimizer is "
                "loaded.", stacklevel=4)
        else:
            scale_state = {name: stored[key] for name, key in _SCALE_SLOTS.items()
                           if key in stored and stored[key].shape == ()}
        stored = inner_stored
    if not _is_torchkeras_optimizer(optimizer):
        raise ValueError(
            f"{source} holds the state of optimizer '{_group_name(h5file)}' ({len(stored)} variables), "
            f"which torchkeras cannot map onto the model's {type(optimizer).__name__}. {hint}"
        )
    if not optimizer.built:
        raise ValueError(
            f"{source} holds optimizer state, but optimizer '{optimizer.name}' could not be built for the "
            f"model (is the model built?). {hint}"
        )
    expected = optimizer.variables
    keys = sorted(stored, key=weights_file._index_key)
    unbuilt_count = 2 if optimizer._learning_rate is None else 1
    if len(stored) == unbuilt_count and len(expected) > unbuilt_count and keys == [str(i) for i in range(len(keys))]:
        # Saved before the optimizer was built: the counter (and learning rate) only; the slots of a
        # freshly built optimizer are exactly what an unbuilt one would create.
        pairs = [(i, stored[str(i)]) for i in range(unbuilt_count)]
    else:
        problems = []
        if keys != [str(i) for i in range(len(expected))]:
            problems.append(
                f"optimizer '{optimizer.name}' ({type(optimizer).__name__}) has {len(expected)} variables "
                f"{[tuple(v.shape) for v in expected]}, the file has {len(stored)} "
                f"{[tuple(stored[k].shape) for k in keys]}"
            )
        else:
            for i, variable in enumerate(expected):
                if tuple(stored[str(i)].shape) != tuple(variable.shape):
                    problems.append(f"optimizer variable {i} has shape {tuple(variable.shape)}, the file has "
                                    f"{tuple(stored[str(i)].shape)}")
        if problems:
            listing = "\n".join(f"- {p}" for p in problems)
            raise ValueError(
                f"The optimizer state in {source} does not fit the model's optimizer (was it saved with "
                f"another optimizer, other options, or other trainable variables?); nothing was loaded. "
                f"{hint}\n{listing}"
            )
        pairs = [(i, stored[str(i)]) for i in range(len(expected))]

    def assign():
        import h5py

        for _, dataset in pairs:
            weights_file.check_dataset(dataset, h5py)
        with torch.no_grad():
            for index, dataset in pairs:
                if index == 1 and optimizer._learning_rate is None:
                    optimizer._set_group_learning_rates(float(np.asarray(dataset[()])))
                elif index == 0:
                    optimizer._iterations.copy_(torch.as_tensor(np.asarray(dataset[()])).to(
                        optimizer._iterations.dtype))
                else:
                    weights_file.read_dataset_into(dataset, expected[index], fresh=True)
            if scaler is not None and len(scale_state or ()) == len(_SCALE_SLOTS):
                # A wrapper saved after its build: the dynamic scale goes on where it was.
                for name, dataset in scale_state.items():
                    getattr(scaler, name).fill_(np.asarray(dataset[()]).item())
    return assign


def _group_name(h5file):
    try:
        return h5file[f"{OPTIMIZER_PATH}/vars"].attrs.get("name", "?")
    except Exception:  # noqa: BLE001 - only for a message
        return "?"


def can_save(model):
    """Whether `model.optimizer`'s state can be written in Keras's layout (a torchkeras optimizer, or a
    `LossScaleOptimizer` around one)."""
    optimizer = getattr(model, "optimizer", None)
    return optimizer is not None and _is_torchkeras_optimizer(_split_loss_scale(optimizer)[1])


def write_optimizer_state(model, h5file):
    """Writes `model.optimizer.variables` under `optimizer/vars` (building the optimizer first, as the
    Keras that loads the file will: its slots are then zeros, as a fresh build makes them); a
    `LossScaleOptimizer` in Keras's layout for one (see the module docstring)."""
    build_for_loading(model)
    scaler, optimizer = _split_loss_scale(model.optimizer)
    variables = list(optimizer.variables)
    if scaler is not None:
        iteration = optimizer.variables[0]
        unused = [torch.zeros((), dtype=iteration.dtype), torch.zeros((), dtype=torch.float32)]
        _write_vars(h5file, OPTIMIZER_PATH, scaler.name,
                    unused + [scaler.step_counter, scaler.dynamic_scale] + variables)
        _write_vars(h5file, INNER_PATH, optimizer.name, variables)
    else:
        _write_vars(h5file, OPTIMIZER_PATH, optimizer.name, variables)


def _write_vars(h5file, path, name, variables):
    group = h5file.create_group(f"{path}/vars")
    group.attrs["name"] = name
    for index, variable in enumerate(variables):
        group.create_dataset(str(index), data=variable.detach().cpu().numpy())
