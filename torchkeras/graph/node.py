"""`Node`: one call of a layer (or recorded torch op) on symbolic tensors.

A layer keeps its nodes in `layer._inbound_nodes`; every output KerasTensor remembers the node that made it
(`_keras_history`), which is how a functional model finds its graph from its outputs, as in Keras.
"""

import numpy as np
import torch

from torchkeras.graph.keras_tensor import KerasHistory, KerasTensor


def flatten(structure):
    """The leaves of nested lists, tuples and dicts, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """`fn` applied to every leaf, keeping the lists, tuples and dicts around them."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


def is_symbolic(value):
    return isinstance(value, KerasTensor)


class Node:
    """A call of `operation` on `call_args`/`call_kwargs` (which hold KerasTensors) giving `outputs`.

    Args:
        operation: The layer (or `TorchOp`) called.
        call_args: Positional arguments of the call, KerasTensors included.
        call_kwargs: Keyword arguments of the call.
        outputs: The KerasTensor, or structure of KerasTensors, the call produced.
    """

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        # A constant argument computed from weights (`Embedding(...)(torch.arange(4))`) is a value of the
        # graph, as in Keras, not a link to those weights' gradients.
        self.call_args = tuple(map_structure(_detached, tuple(call_args)))
        self.call_kwargs = map_structure(_detached, dict(call_kwargs or {}))
        self.outputs = outputs
        self.input_tensors = [v for v in flatten((self.call_args, self.call_kwargs)) if is_symbolic(v)]
        self.output_tensors = [v for v in flatten(outputs) if is_symbolic(v)]
        operation._inbound_nodes.append(self)
        node_index = len(operation._inbound_nodes) - 1
        for index, tensor in enumerate(self.output_tensors):
            tensor._keras_history = KerasHistory(operation, node_index, index)

    @property
    def is_input(self):
        return not self.input_tensors

    @property
    def parent_nodes(self):
        parents = []
        for tensor in self.input_tensors:
            operation, node_index, _ = tensor._keras_history
            parents.append(operation._inbound_nodes[node_index])
        return parents

    def __repr__(self):
        return f"<Node {self.operation.name}: {len(self.input_tensors)} in, {len(self.output_tensors)} out>"


def _detached(value):
    if isinstance(value, torch.Tensor) and not is_symbolic(value) and value.requires_grad:
        return value.detach()
    return value


def to_meta(value, fill):
    """A KerasTensor as a meta tensor with `fill` standing for unknown sizes; a constant tensor or numpy
    array (`x * np.array([...])`, a `__tensor__` in a Keras config) as a meta tensor of its shape and dtype;
    other values unchanged."""
    if is_symbolic(value):
        from torchkeras import backend

        shape = [fill if dim is None else dim for dim in value.shape]
        return torch.empty(shape, dtype=backend.to_torch_dtype(value.dtype), device="meta")
    if isinstance(value, torch.Tensor) and value.device.type != "meta":
        return torch.empty(value.shape, dtype=value.dtype, device="meta")
    if isinstance(value, np.ndarray):
        return torch.empty(value.shape, dtype=torch.from_numpy(np.empty((), value.dtype)).dtype, device="meta")
    return value


def constant_tensor(value):
    """A constant argument of a graph call as the tensor the generated code reads (`None` if the value
    is not a tensor or array)."""
    if isinstance(value, torch.Tensor) and not is_symbolic(value):
        return value.detach()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value))
    return None


def symbolic_outputs(first, second):
    """KerasTensors for the outputs of two meta runs: sizes that differ between the runs are unknown."""
    from torchkeras import backend

    def combine(a, b):
        if isinstance(a, torch.Tensor):
            shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
            return KerasTensor(shape, dtype=backend.standardize_dtype(a.dtype))
        return a

    if isinstance(first, torch.Tensor):
        return combine(first, second)
    if isinstance(first, (list, tuple)):
        return type(first)(symbolic_outputs(a, b) for a, b in zip(first, second))
    if isinstance(first, dict):
        return {k: symbolic_outputs(first[k], second[k]) for k in first}
    return first
