"""Emission of a recorded functional graph as `torch.fx` code.

Each layer node becomes a `call_module` of the model's submodule, each `TorchOp` a `call_function` (or
`call_method`) of the torch function itself (a `KerasOp` the torch function of its Keras operation, its
constructor arguments passed as keywords), and the output node returns the structure the user gave
(tensor, list or dict). The generated `forward` is plain Python with no graph walking at call time.
"""

import operator

import torch.fx

from torchkeras.graph.node import is_symbolic, map_structure
from torchkeras.graph.torch_op import TorchOp
from torchkeras.layers import call_context


def build_graph_module(root, input_tensors, input_names, nodes, module_names, outputs, direct=None,
                       constants=None):
    """Returns a `torch.fx.GraphModule` computing `outputs` from `input_tensors`.

    With `direct` (a set of layers), the generated `forward(self, training, *inputs)` calls those layers'
    `forward` itself instead of going through `Layer.__call__`, passing `training` explicitly: the
    checks `__call__` makes were already made for the whole graph by the model (see `Functional`).

    Args:
        root: The module owning the layers (`module_names` are its attribute names).
        input_tensors: Flat list of input KerasTensors, in placeholder order.
        input_names: A placeholder name for each input.
        nodes: Nodes in execution order (from `map_graph`).
        module_names: Dict from layer to its attribute name on `root`.
        outputs: The output structure (a KerasTensor, list or dict of them).
        constants: Dict from `id()` of a constant tensor or array in the nodes' arguments to the name of
            the `root` attribute (a buffer) holding it as a tensor.
    """
    graph = torch.fx.Graph()
    training = graph.placeholder("training") if direct is not None else None
    values = {}
    for tensor, name in zip(input_tensors, input_names):
        values[id(tensor)] = graph.placeholder(name)

    constants = constants or {}

    def lookup(value):
        if is_symbolic(value):
            return values[id(value)]
        if id(value) in constants:  # fx cannot write a tensor literal into code
            return graph.get_attr(constants[id(value)])
        return value

    for node in nodes:
        if all(id(t) in values for t in node.output_tensors):
            continue  # an InputLayer's node, or an intermediate tensor used as a model input
        args = map_structure(lookup, node.call_args)
        kwargs = map_structure(lookup, node.call_kwargs)
        operation = node.operation
        if isinstance(kwargs.get("training"), bool) and getattr(operation, "_call_has_training_arg", False):
            kwargs = {**kwargs, "training": graph.call_function(call_context.recorded_training,
                                                                (kwargs["training"],))}
        if isinstance(operation, TorchOp) and operation.function is not None:
            bound = operation.bound_kwargs
            # The forward through `Layer.__call__` is the one `torch.fx.symbolic_trace` runs.
            function = operation.function if direct is not None else operation.traceable_function
            result = graph.call_function(function, args, {**kwargs, **bound} if bound else kwargs)
        elif isinstance(operation, TorchOp):
            result = graph.call_method(operation.method, args, kwargs)
        elif direct is not None and operation in direct:
            if operation._call_has_training_arg and "training" not in kwargs:
                kwargs = {**kwargs, "training": training}
            module = graph.get_attr(module_names[operation])
            result = graph.call_method("forward", (module, *args), kwargs)
        else:
            result = graph.call_module(module_names[operation], args, kwargs)
        _bind_outputs(graph, result, node.outputs, values)
    graph.output(map_structure(lookup, outputs))
    graph.lint()
    return torch.fx.GraphModule(root, graph, class_name=type(root).__name__ + "Graph")


def _bind_outputs(graph, result, outputs, values):
    if is_symbolic(outputs):
        values[id(outputs)] = result
    elif isinstance(outputs, (list, tuple)):
        for index, item in enumerate(outputs):
            _bind_outputs(graph, graph.call_function(operator.getitem, (result, index)), item, values)
    elif isinstance(outputs, dict):
        for key, item in outputs.items():
            _bind_outputs(graph, graph.call_function(operator.getitem, (result, key)), item, values)
