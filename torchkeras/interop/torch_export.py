"""`Model.export(filepath)`: a `torch.export` program (`.pt2`) that runs without torchkeras.

    torch.export.load("model.pt2").module()(x)   # no torchkeras import needed

The program is the model in inference mode (`training=False`: Dropout off, BatchNormalization on its
moving statistics). Its inputs have the model's input structure (one tensor, or a list / dict of them for
a multi-input model). The batch axis is dynamic by default; other unknown axes (a `None` sequence
length) are made dynamic where the model allows it (`torch.export.Dim.AUTO`); where the model's
computation depends on one, torch.export fixes it to the sample's size (16) and a warning says so.
"""

import os
import warnings

import numpy as np
import torch

from torchkeras.utils import file_utils

_EXTENSION = ".pt2"
_FORMATS = ("torch_export",)
_SAMPLE_BATCH = 2  # torch.export specializes sizes 0 and 1
_SAMPLE_UNKNOWN = 16  # large enough that no layer output along it has size 0 or 1


def _check_filepath(filepath):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(_EXTENSION):
        raise ValueError(f"The filename must end in `{_EXTENSION}` (a torch.export archive). "
                         f"Received: filepath={filepath}")
    return filepath


def _structure(model):
    """The model's symbolic input structure, or None when it has none (a subclassed model, a layer)."""
    structure = getattr(model, "_inputs_structure", None)
    if structure is not None:
        return structure
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    return inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs


def _map(fn, structure):
    if isinstance(structure, dict):
        return {key: _map(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_map(fn, value) for value in structure]
    return fn(structure)


class _Leaf:
    """One input's sample tensor and `dynamic_shapes` entry (a leaf `_map` does not descend into)."""

    def __init__(self, sample, dims):
        self.sample, self.dims = sample, dims


def _sample_and_dims(spec, dynamic_batch):
    """A sample tensor for one input and its `dynamic_shapes` entry."""
    from torchkeras import backend

    if isinstance(spec, np.ndarray):
        spec = torch.from_numpy(spec)
    if isinstance(spec, torch.Tensor):
        sample = spec.detach()
        if dynamic_batch and sample.dim() and sample.shape[0] == 1:
            sample = sample.expand(_SAMPLE_BATCH, *sample.shape[1:])
        dims = {0: torch.export.Dim("batch")} if dynamic_batch and sample.dim() else None
        return sample, dims
    shape, dtype = getattr(spec, "shape", None), getattr(spec, "dtype", None)
    if shape is None:
        raise TypeError("`input_signature` entries must be tensors, arrays, or have `shape` and `dtype` "
                        f"(a `keras.Input`, an `InputSpec`). Received: {spec!r}")
    shape = tuple(shape)
    if not shape:
        return torch.zeros((), dtype=backend.to_torch_dtype(dtype or "float32")), None
    sizes, dims = [], {}
    for axis, size in enumerate(shape):
        if axis == 0 and (size is None or dynamic_batch):
            sizes.append(_SAMPLE_BATCH if size is None or dynamic_batch else size)
            if dynamic_batch:
                dims[0] = torch.export.Dim("batch")
        elif size is None:
            sizes.append(_SAMPLE_UNKNOWN)
            auto = getattr(torch.export.Dim, "AUTO", None)  # torch >= 2.5; older: fixed to the sample
            if auto is not None:
                dims[axis] = auto
        else:
            sizes.append(size)
    sample = torch.zeros(sizes, dtype=backend.to_torch_dtype(dtype or "float32"))
    return sample, dims or None


def _warn_fixed_axes(program, samples):
    """Warns about unknown (`None`) axes that torch.export had to fix to the sample's size."""
    leaves = [leaf for leaf in torch.utils._pytree.tree_leaves(samples, is_leaf=lambda x: isinstance(x, _Leaf))]
    user_inputs = set(program.graph_signature.user_inputs)
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder" and n.name in user_inputs]
    fixed = []
    for index, (leaf, node) in enumerate(zip(leaves, placeholders)):
        shape = getattr(node.meta.get("val"), "shape", ())
        for axis, dim in (leaf.dims or {}).items():
            # A specialized axis is a plain int, or a SymInt that prints as a number.
            if 0 < axis < len(shape) and str(shape[axis]).isdigit():
                fixed.append(f"input {index} axis {axis} = {shape[axis]}")
    if fixed:
        warnings.warn(
            f"torch.export fixed these unknown axes to the sample's size, because the model's computation "
            f"depends on them: {', '.join(fixed)}. Pass `input_signature` with the sizes the archive must take.",
            stacklevel=3,
        )


def _store_contiguous(program, sample):
    """Replaces the program's strided weights (a Dense kernel is a transposed view of torch's layout) by
    contiguous copies, so the archive stores whole tensors and `torch.export.load` has no partial storage
    to reconstruct (it warns about those, and they are fragile off CPU). The graph's operations do not
    depend on strides, but the matrix kernels torch picks may sum in another order: the program is rerun
    on random inputs and must agree to float32 rounding, or it is left as it was."""
    strided = {k: v for k, v in program.state_dict.items() if isinstance(v, torch.Tensor) and not v.is_contiguous()}
    if not strided:
        return
    generator = torch.Generator(device="cpu").manual_seed(0)
    probe = _map(lambda t: torch.randn(t.shape, generator=generator).to(t) if t.is_floating_point() else t, sample)
    leaves = torch.utils._pytree.tree_leaves
    with torch.no_grad():
        before = leaves(program.module()(probe))
        for key, value in strided.items():
            copy = value.detach().contiguous()
            program.state_dict[key] = torch.nn.Parameter(copy, requires_grad=value.requires_grad) \
                if isinstance(value, torch.nn.Parameter) else copy
        try:
            after = leaves(program.module()(probe))
            same = len(before) == len(after) and all(
                torch.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True) if a.is_floating_point()
                else torch.equal(a, b) for a, b in zip(before, after))
        except Exception:  # noqa: BLE001 - a stride-dependent graph: keep the weights as they were
            same = False
        if not same:
            program.state_dict.update(strided)


def export_model(model, filepath, format="torch_export", verbose=None, input_signature=None,
                 dynamic_batch=True):
    """Writes `model` as a `torch.export` archive (see the module docstring).

    Args:
        model: A torchkeras model or layer.
        filepath: Path of the archive; must end in `.pt2`. Written to a temporary file in the same
            folder and renamed, so a failed export never leaves a half-written file.
        format: `"torch_export"` (the only format).
        verbose: Whether to print where the archive was written and how to load it.
        input_signature: The inputs to trace with: tensors or arrays (used as they are), or objects with
            `shape` and `dtype` (`keras.Input(...)`, `InputSpec`), in the model's input structure.
            Defaults to the model's own inputs (a functional or built Sequential model).
        dynamic_batch: Whether the batch axis (axis 0) stays dynamic.

    Returns:
        The `torch.export.ExportedProgram`.

    Raises:
        ValueError: A wrong extension or format, or no known input shapes.
    """
    from torchkeras.layers.layer import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"`export` expects a torchkeras model or layer. Received: {type(model).__name__}")
    filepath = _check_filepath(filepath)
    if format not in _FORMATS:
        raise ValueError(f"Invalid value for argument `format`. Expected one of {list(_FORMATS)}. "
                         f"Received: format={format!r}")
    signature = input_signature if input_signature is not None else _structure(model)
    if signature is None:
        raise ValueError(
            f"Model '{model.name}' has no known input shapes to export with. Pass `input_signature` "
            "(e.g. `input_signature=[torch.zeros(2, 784)]` or `[keras.Input((784,))]`), or build the model "
            "from `keras.Input`."
        )
    if isinstance(signature, list) and len(signature) == 1 and input_signature is not None \
            and not isinstance(_structure(model), (list, tuple, dict)):
        signature = signature[0]  # `[spec]` for a single-input model
    samples = _map(lambda spec: _Leaf(*_sample_and_dims(spec, dynamic_batch)), signature)
    sample = _map(lambda leaf: leaf.sample, samples)
    dims = _map(lambda leaf: leaf.dims, samples)

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    sample = _map(lambda t: t.to(device), sample)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            program = torch.export.export(model, (sample,), dynamic_shapes=(dims,))
    except Exception as error:  # noqa: BLE001 - torch.export's many error types, re-raised with context
        hint = " Try `dynamic_batch=False`." if dynamic_batch else ""
        raise ValueError(f"torch.export could not export model '{model.name}': {error}.{hint}") from error
    finally:
        model.train(was_training)

    _warn_fixed_axes(program, samples)
    _store_contiguous(program, sample)
    with file_utils.atomic_write(filepath, suffix=_EXTENSION) as temporary:
        torch.export.save(program, temporary)
    if verbose:
        print(f"Saved torch.export archive at '{filepath}'. Run it without torchkeras: "
              f"`torch.export.load({filepath!r}).module()(inputs)`.")
    return program
