"""Layer-by-layer parity of a Keras model and its torchkeras port, on the same seeded inputs.

Both models run in inference mode on the same inputs. Every layer call of the model's graph (each node:
a shared layer has a row per call) is read out through a sub-model of the graph, `Model(inputs,
[outputs of every layer])`, on each side, and compared position by position.

Bounds (DESIGN.md): the model's outputs must agree within `atol` (1e-4, absolute). A layer's output
must agree within `layer_atol + layer_rtol * scale` (1e-5 + 1e-5 * scale), where `scale` is the largest
magnitude of Keras's output of that layer. The layer outputs are computed end to end, each side feeding
its own upstream results forward, so differences carry through the graph; a per-element relative bound
would fail on entries near zero whose absolute error is set by the magnitudes they were summed from, and
a fixed absolute bound would fail on layers with large activations. Scaling by the layer's magnitude
keeps float32 rounding (about 1e-7 relative per operation) far below the bound through a deep model,
while a wrong weight, gate order, padding or epsilon shows as a difference of the order of the output
itself. `max_rel` in the report is that ratio, `max_abs / scale`. Rows are in the order the graph runs
its layers, so the first failing row, the first diverging layer, has every input within bounds.

Tensors computed in float16 / bfloat16 (a mixed dtype policy) get DESIGN.md's autocast bound instead:
1e-2 (+ 1e-2 * scale for a layer), never tighter than the bounds asked for.
"""

import dataclasses
import math

import numpy as np
import torch

from torchkeras.interop._keras import import_keras

OUTPUT_ATOL = 1e-4
LAYER_ATOL = 1e-5
LAYER_RTOL = 1e-5
# DESIGN.md's autocast bound, for tensors computed in float16 / bfloat16 (mixed policies).
LOW_PRECISION_TOL = 1e-2
_UNKNOWN_AXIS = 8
_INT_HIGH = 10


@dataclasses.dataclass
class Row:
    """One compared tensor: a layer call's output, or one of the model's outputs."""

    name: str
    class_name: str
    shape: tuple
    max_abs: float
    max_rel: float
    bound: float
    passed: bool
    note: str = ""


@dataclasses.dataclass
class ParityReport:
    """The result of `compare_models`: `layers` (graph order), `outputs`, and the bounds used."""

    layers: list
    outputs: list
    atol: float
    layer_atol: float
    layer_rtol: float
    batch_size: int
    seed: int

    @property
    def first_divergence(self):
        """The first failing layer row, or None."""
        return next((row for row in self.layers if not row.passed), None)

    @property
    def passed(self):
        return all(row.passed for row in self.layers) and all(row.passed for row in self.outputs)


# ------------------------------------------------------------------------------------------ inputs


def _keras_graph(keras_model):
    """The Keras Functional behind `keras_model` (a built Sequential has one), or None."""
    keras = import_keras()
    if isinstance(keras_model, keras.Sequential):
        return getattr(keras_model, "_functional", None)
    if hasattr(keras_model, "_nodes") and hasattr(keras_model, "_inputs_struct"):
        return keras_model
    return None


def _own_keras_nodes(graph, layer):
    return [node for index, node in enumerate(layer._inbound_nodes) if f"{id(layer)}_ib-{index}" in graph._nodes]


def _embedding_range(keras_layer):
    """`input_dim` when `keras_layer` reads its input as Embedding indices, else None."""
    keras = import_keras()
    if isinstance(keras_layer, keras.layers.Embedding):
        return keras_layer.input_dim
    inner = _keras_graph(keras_layer) if isinstance(keras_layer, keras.Model) else None
    if inner is not None:
        ranges = [_consumer_range(inner, tensor) for tensor in inner.inputs]
        ranges = [r for r in ranges if r is not None]
        return min(ranges) if ranges else None
    return None


def _consumer_range(graph, tensor):
    """The smallest Embedding `input_dim` among the layers that read `tensor` directly, or None."""
    ranges = []
    for layer in graph.layers:
        for node in _own_keras_nodes(graph, layer):
            if any(t is tensor for t in node.input_tensors):
                value = _embedding_range(layer)
                if value is not None:
                    ranges.append(value)
    return min(ranges) if ranges else None


def sample_inputs(keras_model, batch_size=2, seed=0):
    """Seeded random inputs for `keras_model`, as a flat list in `keras_model.inputs` order.

    Float inputs are standard normal; an input read by an `Embedding` gets integer indices below its
    `input_dim` (in the input's dtype); other integer inputs get integers in [0, 10); bool inputs random
    booleans. Unknown axes other than the batch axis get size 8.

    Args:
        keras_model: A Keras model with known inputs (functional, or a built Sequential).
        batch_size: The batch size.
        seed: Seed of the numpy generator.

    Returns:
        A list of numpy arrays.
    """
    graph = _keras_graph(keras_model)
    if graph is None:
        raise ValueError(f"Model '{keras_model.name}' has no known inputs (a subclassed or unbuilt model): "
                         "pass `inputs` explicitly.")
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in graph.inputs:
        shape = (batch_size,) + tuple(_UNKNOWN_AXIS if d is None else d for d in tensor.shape[1:])
        dtype = np.dtype(str(tensor.dtype))
        high = _consumer_range(graph, tensor)
        if dtype == np.bool_:
            arrays.append(rng.random(shape) < 0.5)
        elif high is not None or dtype.kind in "iu":
            arrays.append(rng.integers(0, high or _INT_HIGH, size=shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(dtype))
    return arrays


# ------------------------------------------------------------------------------------------ comparing


def _to_numpy(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.numpy()
    keras = import_keras()
    return np.asarray(keras.ops.convert_to_numpy(value))


def _low_precision(value):
    """Whether a Keras output was computed in float16 / bfloat16."""
    return str(getattr(value, "dtype", "")).rpartition(".")[2] in ("float16", "bfloat16")


def _flat_outputs(outputs):
    """Leaves in Keras's `tree.flatten` order (dict entries sorted by key)."""
    if isinstance(outputs, dict):
        return [leaf for key in sorted(outputs) for leaf in _flat_outputs(outputs[key])]
    if isinstance(outputs, (list, tuple)):
        return [leaf for item in outputs for leaf in _flat_outputs(item)]
    return [outputs]


def compare_arrays(expected, received, atol, rtol):
    """`(max_abs, max_rel, bound, passed, note)` for Keras's `expected` and torchkeras's `received`."""
    expected, received = np.asarray(expected), np.asarray(received)
    if expected.shape != received.shape:
        return math.inf, math.inf, atol, False, f"shape {expected.shape} in Keras, {received.shape} in torchkeras"
    note = ("" if expected.dtype == received.dtype
            else f"dtype {expected.dtype} in Keras, {received.dtype} in torchkeras")
    a, b = expected.astype(np.float64), received.astype(np.float64)
    same_nonfinite = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
    if (~np.isfinite(a) | ~np.isfinite(b))[~same_nonfinite].any():
        return math.inf, math.inf, atol, False, (note + "; " if note else "") + "non-finite values differ"
    diff = np.where(same_nonfinite, 0.0, np.abs(a - b))
    finite = np.where(np.isfinite(a), np.abs(a), 0.0)
    max_abs = float(diff.max()) if diff.size else 0.0
    scale = float(finite.max()) if finite.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    bound = atol + rtol * scale
    return max_abs, max_rel, bound, bool(max_abs <= bound) and not note, note


def _torchkeras_nodes(model):
    """The model's graph nodes in execution (topological) order, or None without a graph."""
    from torchkeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        return list(model._symbolic_nodes)
    nodes = getattr(model, "_graph_nodes", None)
    return list(nodes) if nodes is not None else None


def _node_outputs(node):
    from torchkeras.graph.node import is_symbolic

    return [t for t in _flat_outputs(node.outputs) if is_symbolic(t)]


def _layer_taps(keras_model, tk_model):
    """`[(row name, class name, keras tensor, torchkeras tensor)]` for every layer call, in the order the
    graph runs them (so the first failing row is the first divergence)."""
    keras = import_keras()
    graph = _keras_graph(keras_model)
    tk_order = _torchkeras_nodes(tk_model)
    if graph is None or tk_order is None:
        return []
    position = {node: index for index, node in enumerate(tk_order)}
    tk_nodes = set(tk_order)
    tk_layers = {layer.name: layer for layer in tk_model.layers}
    taps = []
    for layer in graph.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        tk_layer = tk_layers.get(layer.name)
        if tk_layer is None:
            raise ValueError(f"Layer '{layer.name}' of the Keras model has no torchkeras counterpart; "
                             f"torchkeras has {sorted(tk_layers)}")
        keras_calls = _own_keras_nodes(graph, layer)
        tk_calls = [node for node in tk_layer._inbound_nodes if node in tk_nodes]
        if len(keras_calls) != len(tk_calls):
            raise ValueError(f"Layer '{layer.name}' is called {len(keras_calls)} times in the Keras model, "
                             f"{len(tk_calls)} times in the torchkeras model")
        for call_index, (keras_node, tk_node) in enumerate(zip(keras_calls, tk_calls)):
            keras_outputs, tk_outputs = list(keras_node.output_tensors), _node_outputs(tk_node)
            for index, (kt, tt) in enumerate(zip(keras_outputs, tk_outputs)):
                name = layer.name + (f" (call {call_index})" if len(keras_calls) > 1 else "")
                name += f"[{index}]" if len(keras_outputs) > 1 else ""
                taps.append(((position[tk_node], index), (name, type(layer).__name__, kt, tt)))
    return [tap for _, tap in sorted(taps, key=lambda item: item[0])]


def _input_name(tensor):
    return tensor._keras_history.operation.name


def _structured(structure, flat_tensors, values):
    """`values` (aligned with `flat_tensors`) arranged as the model's input `structure`."""
    def value_of(tensor):
        return values[next(i for i, t in enumerate(flat_tensors) if t is tensor)]

    if isinstance(structure, dict):
        return {key: value_of(tensor) for key, tensor in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(value_of(tensor) for tensor in structure)
    return value_of(structure) if structure is not None else values[0]


def compare_models(keras_model, torchkeras_model, inputs=None, batch_size=2, seed=0, atol=OUTPUT_ATOL,
                   layer_atol=LAYER_ATOL, layer_rtol=LAYER_RTOL):
    """Runs both models on the same inputs and compares every layer's output and the model's outputs.

    Args:
        keras_model: The Keras reference model.
        torchkeras_model: Its torchkeras port (same layer names), on any device.
        inputs: Optional flat list of numpy arrays in `keras_model.inputs` order; by default
            `sample_inputs(keras_model, batch_size, seed)`.
        batch_size: Batch size of the generated inputs.
        seed: Seed of the generated inputs.
        atol: Absolute bound on the model's outputs.
        layer_atol: Absolute part of each layer's bound.
        layer_rtol: Part of each layer's bound relative to the layer's output magnitude.

    Returns:
        A `ParityReport`.
    """
    keras = import_keras()
    import torchkeras

    flat = list(inputs) if inputs is not None else sample_inputs(keras_model, batch_size=batch_size, seed=seed)
    device = next((p.device for p in torchkeras_model.parameters()), torch.device("cpu"))
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    was_training = torchkeras_model.training
    torchkeras_model.eval()
    try:
        keras_inputs = list(_keras_graph(keras_model).inputs)
        by_name = {_input_name(t): x for t, x in zip(keras_inputs, flat)}
        tk_inputs_flat = list(torchkeras_model.inputs)
        missing = [_input_name(t) for t in tk_inputs_flat if _input_name(t) not in by_name]
        if missing or len(tk_inputs_flat) != len(keras_inputs):
            raise ValueError(f"The models' inputs differ: Keras {sorted(by_name)}, torchkeras "
                             f"{[_input_name(t) for t in tk_inputs_flat]}")
        tk_flat = [torch.as_tensor(np.asarray(by_name[_input_name(t)])).to(device) for t in tk_inputs_flat]
        taps = _layer_taps(keras_model, torchkeras_model)
        layer_rows = []
        with torch.no_grad():
            if taps:
                graph = _keras_graph(keras_model)
                keras_probe = keras.Model(graph.inputs, [kt for _, _, kt, _ in taps])
                tk_probe = torchkeras.Model(torchkeras_model.inputs, [tt for _, _, _, tt in taps])
                expected = _flat_outputs(keras_probe(flat, training=False))
                received = _flat_outputs(tk_probe(tk_flat))
                for (name, class_name, kt, _), e, r in zip(taps, expected, received):
                    low = _low_precision(e)
                    e = _to_numpy(e)
                    tolerances = ((max(layer_atol, LOW_PRECISION_TOL), max(layer_rtol, LOW_PRECISION_TOL)) if low
                                  else (layer_atol, layer_rtol))
                    layer_rows.append(Row(name, class_name, tuple(e.shape),
                                          *compare_arrays(e, _to_numpy(r), *tolerances)))
            keras_structure = getattr(_keras_graph(keras_model), "_inputs_struct", None)
            expected = _flat_outputs(keras_model(_structured(keras_structure, keras_inputs, flat), training=False))
            tk_structure = getattr(torchkeras_model, "_inputs_structure", None)
            received = _flat_outputs(torchkeras_model(_structured(tk_structure, tk_inputs_flat, tk_flat)))
        if len(expected) != len(received):
            raise ValueError(f"The Keras model has {len(expected)} outputs, the torchkeras model {len(received)}")
        output_rows = []
        names = [_input_name(t) for t in _keras_graph(keras_model).outputs]
        names = [f"{name}[{t._keras_history[2]}]" if names.count(name) > 1 else name
                 for name, t in zip(names, _keras_graph(keras_model).outputs)]
        for index, (e, r) in enumerate(zip(expected, received)):
            bound = max(atol, LOW_PRECISION_TOL) if _low_precision(e) else atol
            e = _to_numpy(e)
            name = names[index] if len(names) == len(expected) else f"output {index}"
            output_rows.append(Row(name, "output", tuple(e.shape), *compare_arrays(e, _to_numpy(r), bound, 0.0)))
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
        torchkeras_model.train(was_training)
    return ParityReport(layer_rows, output_rows, atol, layer_atol, layer_rtol, len(flat[0]) if flat else 0, seed)
