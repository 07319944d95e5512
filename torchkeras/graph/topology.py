"""The graph between a functional model's inputs and outputs, found from the outputs' history.

Mirrors Keras's `map_graph`: a depth-first walk gives the nodes from inputs to outputs; layers are then
ordered by decreasing depth (distance from the outputs), ties broken by traversal order, which is the
order `model.layers` has in Keras.
"""

import collections

from torchkeras.graph.node import flatten


def map_graph(inputs, outputs):
    """Returns `(nodes, operations)`: the nodes in execution order (inputs first) and the layers in
    Keras's `model.layers` order.

    Args:
        inputs: Flat list of the model's input KerasTensors.
        outputs: Flat list of the model's output KerasTensors.
    """
    ordered_nodes, operation_indices = _build_map(inputs, outputs)
    in_graph = set(ordered_nodes)
    node_depths, operation_depths = {}, {}
    for node in reversed(ordered_nodes):
        depth = node_depths.setdefault(node, 0)
        depth = max(depth, operation_depths.get(node.operation, 0))
        operation_depths[node.operation] = depth
        node_depths[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                node_depths[parent] = max(depth + 1, node_depths.get(parent, 0))

    for tensor in inputs:  # inputs the outputs do not depend on still belong to the model
        operation, node_index, _ = tensor._keras_history
        if operation not in operation_depths and operation._inbound_nodes[node_index].is_input:
            operation_depths[operation] = 0
            operation_indices[operation] = -1

    by_depth = collections.defaultdict(list)
    for operation, depth in operation_depths.items():
        by_depth[depth].append(operation)
    operations = []
    for depth in sorted(by_depth, reverse=True):
        operations.extend(sorted(by_depth[depth], key=lambda op: operation_indices[op]))

    _check_computable(inputs, ordered_nodes)
    names = [op.name for op in operations]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. All layer names '
                "should be unique."
            )
    return ordered_nodes, operations


def _build_map(inputs, outputs):
    finished, in_progress, ordered, operation_indices = set(), set(), [], {}
    input_ids = {id(t) for t in inputs}

    def visit(tensor):
        history = tensor._keras_history
        if history is None:
            raise ValueError(
                f"Output tensors of a functional model must come from `keras.Input` through layers. "
                f"Received a tensor with no layer history: {tensor!r}"
            )
        operation, node_index, _ = history
        node = operation._inbound_nodes[node_index]
        if node in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(node)  # an intermediate tensor given as a model input: the graph starts here
            return
        if node in in_progress:
            raise ValueError(f"Tensor {tensor} from layer '{operation.name}' is part of a cycle.")
        operation_indices.setdefault(operation, len(operation_indices))
        in_progress.add(node)
        for parent_tensor in node.input_tensors:
            visit(parent_tensor)
        finished.add(node)
        in_progress.remove(node)
        ordered.append(node)

    for output in outputs:
        visit(output)
    return ordered, operation_indices


def _check_computable(inputs, nodes):
    computable = {id(t) for t in inputs}
    reached = []
    for node in nodes:
        for tensor in node.input_tensors:
            if id(tensor) not in computable:
                raise ValueError(
                    f"Graph disconnected: cannot find parent for tensor {tensor} at layer "
                    f"'{node.operation.name}'. The following previous layers were accessed without "
                    f"issue: {reached}"
                )
        if node.is_input and not any(id(t) in computable for t in node.output_tensors):
            raise ValueError(
                f"Graph disconnected: the model's outputs depend on input '{node.operation.name}', "
                "which is not among the model's inputs."
            )
        reached.append(node.operation.name)
        computable.update(id(t) for t in flatten(node.output_tensors))
