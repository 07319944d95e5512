"""A functional model's config, in exactly Keras 3's format (`keras/src/models/functional.py`).

    {"name": ..., "trainable": ...,
     "layers": [{"module", "class_name", "config", "registered_name", "build_config"?,
                 "name": ..., "inbound_nodes": [{"args": (...), "kwargs": {...}}]}, ...],
     "input_layers": ..., "output_layers": ...}

A tensor in a node's arguments is written as Keras's `__keras_tensor__` dict, whose `keras_history`
`[layer_name, node_index, tensor_index]` counts only the nodes that belong to the model (a layer shared with
another model, or a layer of a nested model, has nodes outside it). `input_layers` / `output_layers` keep the
structure the model was built with: one `[name, node_index, tensor_index]` for a single tensor, a list, a
tuple or a dict of them. As in Keras, those entries count a nested `Functional`'s nodes from 1.

Keras operations are nodes too (`Add` for `x + y`, `NotEqual` for the mask an `Embedding(mask_zero=True)`
hands to the next layer as its `mask` argument): loading makes each a `KerasOp`, and saving writes a
recorded torch call as the Keras operation that computes it (`torchkeras.graph.torch_to_keras`).

Keras records the arguments it filled in itself: `training` when the layer's `call` defaults it to a
value other than None, and `mask` (`None`, or a structure of `None`s shaped like the input) when `call`
takes a mask and one tensor argument, but only for a call on one positional tensor of the layer's compute
dtype with no keyword arguments (any other call has its arguments copied before Keras fills them in;
`_keras_records_filled_kwargs`). torchkeras records only what the user passed, so `get_functional_config`
adds them, and `functional_from_config` drops them again before calling the layer (at run time Keras
replaces a recorded `training` by the model's own anyway).
"""

import inspect
import re

from torchkeras.graph import keras_ops, torch_to_keras
from torchkeras.graph.keras_op import KerasOp, keras_op_config
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.graph.node import is_symbolic
from torchkeras.graph.torch_op import TorchOp
from torchkeras.models.functional import Functional, _keras_flatten
from torchkeras.models.model import Model
from torchkeras.saving import serialization
from torchkeras.utils import naming


def _map(fn, structure):
    if isinstance(structure, list):
        return [_map(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(_map(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: _map(fn, item) for key, item in structure.items()}
    return fn(structure)


def _is_functional(operation):
    return isinstance(operation, Functional)


def _keras_output_tensors(node):
    return [t for t in _keras_flatten(node.outputs) if is_symbolic(t)]


def _keras_tensor_index(tensor):
    """The index Keras gives `tensor` among its node's outputs (dict outputs are sorted by key)."""
    operation, node_index, tensor_index = tensor._keras_history
    outputs = _keras_output_tensors(operation._inbound_nodes[node_index])
    for index, candidate in enumerate(outputs):
        if candidate is tensor:
            return index
    return tensor_index


# ---------------------------------------------------------------------------------------------- saving


def get_functional_config(model):
    """Returns `model`'s config as Keras's `Functional.get_config()` writes it.

    Raises:
        ValueError: When the graph records a torch operation no Keras operation computes.
    """
    own_nodes = set(model._graph_nodes)
    for tensor in model.inputs:  # an input the outputs do not use has its InputLayer node outside the graph
        operation, node_index, _ = tensor._keras_history
        own_nodes.add(operation._inbound_nodes[node_index])
    operations = model._operations

    # Index of each of the model's nodes among the model's own nodes of its layer (Keras's
    # `node_reindexing_map`); a nested Functional's count starts at 1.
    reindexing = {}
    for operation in operations:
        kept = 1 if _is_functional(operation) else 0
        for node in operation._inbound_nodes:
            if node in own_nodes:
                reindexing[node] = kept
                kept += 1

    layer_configs = []
    for operation in operations:
        if isinstance(operation, TorchOp):
            layer_configs.append(_keras_op_entry(operation, own_nodes))
            continue
        inbound_nodes = []
        for node in operation._inbound_nodes:
            if node in own_nodes:
                node_data = _serialize_node(node, own_nodes)
                if node_data is not None:
                    inbound_nodes.append(node_data)
        layer_config = serialization.serialize_keras_object(operation)
        if _is_model(operation) and "compile_config" not in layer_config:
            layer_config["compile_config"] = {}  # Keras writes it for every (uncompiled) model
        layer_config["name"] = operation.name
        layer_config["inbound_nodes"] = inbound_nodes
        layer_configs.append(layer_config)

    def tensor_config(tensor):
        operation, node_index, _ = tensor._keras_history
        node = operation._inbound_nodes[node_index]
        if node not in reindexing:
            raise RuntimeError(f"Internal error: tensor {tensor!r} of model '{model.name}' is not in its graph.")
        return [operation.name, reindexing[node], _keras_tensor_index(tensor)]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": _map(tensor_config, model._inputs_structure),
        "output_layers": _map(tensor_config, model._outputs_structure),
    }


def _is_model(operation):
    return isinstance(operation, Model)


def _keras_op_entry(operation, own_nodes):
    """A recorded torch call (or a `KerasOp`) as the Keras operation Keras writes for it.

    Raises:
        ValueError: When no Keras operation computes the call (`TorchOp.get_config` says which).
    """
    inbound_nodes, spec, config = [], None, None
    for node in operation._inbound_nodes:
        if node not in own_nodes:
            continue
        converted = torch_to_keras.keras_call(operation, node)
        if converted is None:
            operation.get_config()  # raises, naming the operation
        spec, config, args, kwargs = converted
        inbound_nodes.append(_serialize_node(node, own_nodes, args, kwargs))
    entry = keras_op_config(spec, {"name": operation.name, **config})
    entry["name"] = operation.name
    entry["inbound_nodes"] = inbound_nodes
    return entry


def _serialize_node(node, own_nodes, args=None, kwargs=None):
    """A node's `{"args", "kwargs"}`; `args` / `kwargs` replace the recorded ones (a torch call written as
    its Keras operation), which then get no Keras-filled arguments."""
    if not node.input_tensors:
        return None  # an InputLayer's node

    def serialize_tensor(value):
        if not is_symbolic(value):
            return value
        operation, node_index, _ = value._keras_history
        irrelevant = sum(1 for n in operation._inbound_nodes[:node_index] if n not in own_nodes)
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": tuple(value.shape),
                "dtype": value.dtype,
                "keras_history": [operation.name, node_index - irrelevant, _keras_tensor_index(value)],
            },
        }

    if args is None:
        args = tuple(node.call_args)
        kwargs = _with_keras_filled_kwargs(node.operation, args, dict(node.call_kwargs))
    return {
        "args": serialization.serialize_keras_object(_map(serialize_tensor, args)),
        "kwargs": serialization.serialize_keras_object(_map(serialize_tensor, kwargs)),
    }


def _call_signature(operation):
    """The layer's `call` signature as Keras's layer of that class has it."""
    from torchkeras.layers.merging.base_merge import Merge

    try:
        signature = inspect.signature(type(operation).call)
    except (TypeError, ValueError):
        return None
    if isinstance(operation, Merge) and "mask" in signature.parameters:
        # torchkeras's merge layers take `mask` in `call` (masked merges); Keras's `Merge.call(inputs)`
        # does not, so Keras records no mask for them.
        signature = signature.replace(parameters=[p for n, p in signature.parameters.items() if n != "mask"])
    return signature


def _bind(operation, args, kwargs):
    signature = _call_signature(operation)
    if signature is None:
        return None
    try:
        bound = signature.bind(operation, *args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)), None)  # self
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(name, {}))
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            arguments.pop(name, None)
    return signature, arguments


def _tensor_arguments(arguments):
    """Keras's `CallSpec.tensor_arguments_dict`: arguments that are a tensor or a non-empty structure of
    tensors (and `None`s)."""
    result = {}
    for name, value in arguments.items():
        if is_symbolic(value):
            result[name] = value
        elif isinstance(value, (list, tuple, dict)) and len(value) > 0:
            leaves = _keras_flatten(value)
            if all(leaf is None or is_symbolic(leaf) for leaf in leaves) and any(is_symbolic(l) for l in leaves):
                result[name] = value
    return result


def _none_mask(structure):
    return _map(lambda leaf: getattr(leaf, "_keras_mask", None) if is_symbolic(leaf) else None, structure)


def _keras_records_filled_kwargs(operation, args, kwargs, tensors):
    """Whether Keras's record of this call holds the arguments its `Layer.__call__` fills in. It records
    the caller's `kwargs` dict, which it fills in place unless it converted the arguments into new
    containers first: it does for any keyword argument, for anything but one positional tensor, and for
    a tensor of another dtype than the layer computes in; a functional model converts nothing. A mask
    argument may be one Keras filled in (a config Keras wrote), so it does not count as the caller's."""
    if _is_functional(operation):
        return True
    filled = {"mask", *(f"{name}_mask" for name in tensors)}
    if any(name not in filled for name in kwargs):
        return False
    return len(args) == 1 and is_symbolic(args[0]) and args[0].dtype == operation.compute_dtype


def _with_keras_filled_kwargs(operation, args, kwargs):
    """`kwargs` plus the `training` / `mask` arguments Keras's `Layer.__call__` fills in and records."""
    bound = _bind(operation, args, kwargs)
    if bound is None:
        return kwargs
    signature, arguments = bound
    parameters = signature.parameters
    if not _keras_records_filled_kwargs(operation, args, kwargs, _tensor_arguments(arguments)):
        return kwargs
    if "training" in parameters and "training" not in kwargs:
        default = parameters["training"].default
        if default is not inspect.Parameter.empty and default is not None:
            kwargs["training"] = default
    tensors = _tensor_arguments(arguments)
    if len(tensors) == 1:
        if "mask" in parameters and arguments.get("mask") is None:
            kwargs["mask"] = _none_mask(next(iter(tensors.values())))
    elif len(tensors) > 1:
        for name, value in tensors.items():
            mask_name = f"{name}_mask"
            if mask_name in parameters and arguments.get(mask_name) is None:
                kwargs[mask_name] = _none_mask(value)
    return kwargs


def _without_keras_filled_kwargs(operation, args, kwargs):
    """Drops the `training` default and the all-None masks Keras recorded, so the rebuilt graph calls the
    layer as the user's code did (`training` then follows the model's call). Only what saving fills back
    in is dropped: an all-None mask the user passed by hand (`Attention()([q, v], mask=[None, None])`)
    stays, so the config round trips."""
    signature = _call_signature(operation)
    if signature is None:
        return kwargs
    parameters = signature.parameters
    kwargs = dict(kwargs)
    dropped = {}
    if "training" in kwargs and "training" in parameters:
        default = parameters["training"].default
        if default is not None and kwargs["training"] is default:
            dropped["training"] = kwargs.pop("training")
    for name in list(kwargs):
        if (name == "mask" or name.endswith("_mask")) and name in parameters and parameters[name].default is None:
            leaves = _keras_flatten(kwargs[name])
            if all(leaf is None for leaf in leaves):
                dropped[name] = kwargs.pop(name)
    if dropped:
        refilled = _with_keras_filled_kwargs(operation, args, dict(kwargs))
        for name, value in dropped.items():
            if name not in refilled or _none_structure(refilled[name]) != _none_structure(value):
                kwargs[name] = value
    return kwargs


def _none_structure(value):
    """A comparable picture of a structure of `None`s and plain values (`[None, None]`, `False`)."""
    if isinstance(value, (list, tuple)):
        return [_none_structure(v) for v in value]
    if isinstance(value, dict):
        return {k: _none_structure(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (bool, int, float, str)) else type(value).__name__


# --------------------------------------------------------------------------------------------- loading


def functional_from_config(cls, config, custom_objects=None):
    """Rebuilds a functional model from Keras's config format (from `get_config()`).

    Layers are created first; then their calls are replayed in the config's layer order, a call whose
    inputs do not exist yet waiting for a later pass (a layer shared at several depths), as in Keras.

    Args:
        cls: The class to instantiate (`Functional`, or a subclass with its constructor).
        config: The config dict.
        custom_objects: Optional dict of custom classes and functions.

    Returns:
        An instance of `cls`.
    """
    from torchkeras.layers.layer import Layer

    config = dict(config)
    layers_config = config.pop("layers")
    input_layers = config.pop("input_layers")
    output_layers = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", None)

    created_layers = {}
    unprocessed = {}
    order = []
    for layer_data in layers_config:
        layer_name = layer_data["name"]
        if keras_ops.is_op_config(layer_data):
            # `x + y`, `keras.ops.mean(x)`, or the mask ops Keras inserts (`NotEqual`, `Any`, ...).
            layer = KerasOp.from_serialized(layer_data)
        else:
            layer = serialization.deserialize_keras_object(layer_data, custom_objects=custom_objects)
        if not isinstance(layer, Layer):
            raise ValueError(
                "Unexpected object from deserialization: expected a layer for entry "
                f"'{layer_name}' of model '{name}', got {type(layer).__name__}"
            )
        if _looks_auto_named(layer):
            # `dense_81` was a process counter's choice, not the user's: the revived model counts its
            # `state_dict` keys within itself (`dense`, `dense_1`), like the model that was saved.
            layer._auto_named = True
        created_layers[layer_name] = layer
        order.append(layer_name)
        if layer_data.get("inbound_nodes"):
            unprocessed[layer_name] = list(layer_data["inbound_nodes"])

    while unprocessed:
        progressed = False
        for layer_name in order:
            if layer_name not in unprocessed:
                continue
            layer = created_layers[layer_name]
            pending = unprocessed[layer_name]
            done = 0
            while done < len(pending):
                try:
                    args, kwargs = _deserialize_node(pending[done], created_layers, custom_objects)
                except IndexError:
                    break  # an input of this call does not exist yet: come back to it
                if not isinstance(layer, TorchOp):
                    kwargs = _without_keras_filled_kwargs(layer, args, kwargs)
                layer(*args, **kwargs)
                done += 1
            if done:
                progressed = True
            if done == len(pending):
                del unprocessed[layer_name]
            else:
                unprocessed[layer_name] = pending[done:]
        if not progressed:
            raise ValueError(
                "Invalid Functional model configuration. The graph of the Functional model either has "
                "loops or disconnected nodes. The following nodes failed to be resolved: "
                f"{ {k: v for k, v in unprocessed.items()} }"
            )

    def get_tensor(layer_name, node_index, tensor_index):
        if layer_name not in created_layers:
            raise ValueError(f"Invalid Functional model configuration: no layer named '{layer_name}'.")
        layer = created_layers[layer_name]
        if _is_functional(layer):
            node_index -= 1  # Keras counts a nested Functional's nodes from 1 here
        return _output_tensor(layer, node_index, tensor_index)

    def map_tensors(tensors):
        if isinstance(tensors, (list, tuple)) and len(tensors) == 3 and isinstance(tensors[0], str):
            return get_tensor(*tensors)
        if isinstance(tensors, dict):
            return {key: map_tensors(value) for key, value in tensors.items()}
        if isinstance(tensors, tuple):
            return tuple(map_tensors(value) for value in tensors)
        return [map_tensors(value) for value in tensors]

    inputs = map_tensors(input_layers)
    outputs = map_tensors(output_layers)
    kwargs = {}
    if trainable is not None:
        kwargs["trainable"] = trainable
    return cls(inputs=inputs, outputs=outputs, name=name, **kwargs)


def _output_tensor(layer, node_index, tensor_index):
    if not 0 <= node_index < len(layer._inbound_nodes):
        raise IndexError(
            f"Layer node index out of bounds: layer '{layer.name}' has {len(layer._inbound_nodes)} "
            f"inbound nodes, node {node_index} was asked for."
        )
    outputs = _keras_output_tensors(layer._inbound_nodes[node_index])
    if not 0 <= tensor_index < len(outputs):
        raise ValueError(
            f"Invalid Functional model configuration: layer '{layer.name}' node {node_index} has "
            f"{len(outputs)} outputs, tensor {tensor_index} was asked for."
        )
    return outputs[tensor_index]


def _deserialize_node(node_data, created_layers, custom_objects):
    """`(args, kwargs)` of one recorded call; raises IndexError when an input does not exist yet."""
    if not node_data:
        return [], {}

    def tensor_from_history(layer_name, node_index, tensor_index):
        layer = created_layers.get(layer_name)
        if layer is None:
            raise ValueError(f"Invalid Functional model configuration. Missing layer: {layer_name}")
        return _output_tensor(layer, node_index, tensor_index)

    if isinstance(node_data, list):
        # Keras 2 / tf.keras format: [[layer_name, node_index, tensor_index, kwargs?], ...].
        tensors, kwargs = [], {}
        for input_data in node_data:
            if len(input_data) == 3:
                kwargs = {}
            elif len(input_data) == 4:
                kwargs = input_data[3]
            else:
                raise ValueError(f"Cannot deserialize the model (invalid inbound node data: {input_data!r}).")
            tensors.append(tensor_from_history(*input_data[:3]))
        kwargs = _revive(kwargs, tensor_from_history, custom_objects)
        return [tensors[0] if len(tensors) == 1 else tensors], kwargs

    args = _revive(node_data.get("args", []), tensor_from_history, custom_objects)
    kwargs = _revive(node_data.get("kwargs", {}), tensor_from_history, custom_objects)
    return list(args), kwargs


def _looks_auto_named(layer):
    """Whether the layer's name has the form Keras's auto-naming gives its class (`dense`, `dense_12`)."""
    base = layer.op_name if isinstance(layer, TorchOp) else naming.to_snake_case(type(layer).__name__)
    return re.fullmatch(rf"{re.escape(base)}(_\d+)?", layer.name) is not None


def _revive(value, tensor_from_history, custom_objects):
    """Deserializes node arguments, `__keras_tensor__` entries becoming the rebuilt graph's tensors
    (lists and tuples come back as lists, as Keras's `deserialize_keras_object` gives them)."""
    if isinstance(value, (list, tuple)):
        return [_revive(item, tensor_from_history, custom_objects) for item in value]
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value.get("config", {}).get("keras_history")
            if history is None:
                config = value["config"]
                return KerasTensor(config["shape"], dtype=config.get("dtype", "float32"))
            return tensor_from_history(*history)
        if "class_name" in value and "config" in value:
            return serialization.deserialize_keras_object(value, custom_objects=custom_objects)
        return {key: _revive(item, tensor_from_history, custom_objects) for key, item in value.items()}
    return value
