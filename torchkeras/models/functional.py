"""`Functional`: a model defined by calling layers on `keras.Input`s, run as generated `torch.fx` code.

`keras.Model(inputs, outputs)` returns one. Its layers are its submodules under names that do not depend on
Keras's process-wide auto-names (`dense`, `dense_1`, ... counted within the model; names you gave are kept),
so two models built by the same code have the same `state_dict` keys.
"""

import keyword
import re

import torch
import torch.fx
from torch.nn.modules import module as _torch_module

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.graph.fx_codegen import build_graph_module
from torchkeras.graph.node import constant_tensor, flatten, is_symbolic
from torchkeras.graph.topology import map_graph
from torchkeras.graph.torch_op import TorchOp
from torchkeras.layers.core.input_layer import InputLayer
from torchkeras.layers import call_context
from torchkeras.layers.layer import Layer
from torchkeras.models.model import Model
from torchkeras.utils import naming


_GLOBAL_FORWARD_HOOKS = _torch_module._global_forward_hooks
_GLOBAL_FORWARD_PRE_HOOKS = _torch_module._global_forward_pre_hooks
_GLOBAL_BACKWARD_HOOKS = _torch_module._global_backward_hooks
_GLOBAL_BACKWARD_PRE_HOOKS = _torch_module._global_backward_pre_hooks


# Keras writes a functional model as {"module": "keras.src.models.functional", "class_name": "Functional",
# "registered_name": "Functional"}: the class is not public API.
@keras_export("keras.src.models.functional.Functional")
class Functional(Model):
    """A model whose forward pass is the graph from `inputs` to `outputs`.

    Args:
        inputs: A `keras.Input` tensor, or a list or dict of them.
        outputs: A symbolic tensor computed from the inputs, or a list or dict of them.
        name: The model's name.
        trainable: Whether the model's weights are trained.

    Call arguments:
        inputs: Tensors in the structure of `inputs`: a tensor, a list, or a dict keyed by input names.
        training: Optional bool, passed to every layer.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, autocast=False, **kwargs)
        flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
        for role, tensors in (("inputs", flat_inputs), ("outputs", flat_outputs)):
            for tensor in tensors:
                if not is_symbolic(tensor):
                    raise TypeError(
                        f"All `{role}` of a functional model must be symbolic tensors made from "
                        f"`keras.Input(...)`. Received: {tensor!r} (of type {type(tensor).__name__})"
                    )
        if not flat_inputs or not flat_outputs:
            raise ValueError(
                f"A functional model needs at least one input and one output. Received: inputs={inputs}, "
                f"outputs={outputs}"
            )
        self._inputs_structure = inputs
        self._outputs_structure = outputs
        # Keras walks the graph from its flat outputs, dict entries sorted by key (`tree.flatten`): that
        # walk decides the order of `model.layers` (and of a config's "layers").
        nodes, operations = map_graph(flat_inputs, _keras_flatten(outputs))
        self.__dict__["_graph_nodes"] = nodes
        self.__dict__["_module_names"] = self._register_layers(operations)
        self._generate_forward()
        self._input_ranks = [len(t.shape) for t in flat_inputs]
        self._one_input = len(flat_inputs) == 1
        self._build_shapes = [t.shape for t in flat_inputs] if len(flat_inputs) > 1 else flat_inputs[0].shape
        self.built = True

    def _generate_forward(self):
        """Emits the graph as `torch.fx` code; the model's `call` runs the generated `forward`."""
        flat_inputs = flatten(self._inputs_structure)
        placeholder_names = _unique([_identifier(t.name or f"input_{i}") for i, t in enumerate(flat_inputs)])
        outputs = self._outputs_structure
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]  # Keras returns a lone output as a tensor, not a list of one
        constants = self._register_graph_constants()
        graph_module = build_graph_module(self, flat_inputs, placeholder_names, self._graph_nodes,
                                          self._module_names, outputs, constants=constants)
        # Kept out of `_modules`: its submodules are this model's own layers, registered once already.
        self.__dict__["_graph_module"] = graph_module
        self.__dict__["_graph_forward"] = type(graph_module).forward
        direct = self._layers_to_call_directly()
        self.__dict__["_direct_layers"] = tuple(direct)
        self.__dict__["_direct_forward"] = None
        if direct:
            fast = build_graph_module(self, flat_inputs, placeholder_names, self._graph_nodes,
                                      self._module_names, outputs, direct=direct, constants=constants)
            self.__dict__["_direct_forward"] = type(fast).forward
        self.__dict__["_input_checks"] = [
            (len(t.shape), tuple((i, d) for i, d in enumerate(t.shape) if d is not None),
             backend.to_torch_dtype(t.dtype))
            for t in flat_inputs
        ]
        self.__dict__["_policy_epoch"] = call_context.CONTEXT.policy_epoch

    def _register_graph_constants(self):
        """The tensors and arrays the graph's calls take as arguments (`x * np.array([...])`, Keras's
        `__tensor__` / `__numpy__` config values) as non-persistent buffers `_graph_constant_<i>`, so that
        `model.to(device)` moves them and no state dict holds them. A buffer that exists already is kept:
        it may have moved since. Returns `{id(argument): buffer name}`."""
        names = {}
        for node in self._graph_nodes:
            for leaf in flatten((node.call_args, node.call_kwargs)):
                if id(leaf) in names:
                    continue
                tensor = constant_tensor(leaf)
                if tensor is None:
                    continue
                name = f"_graph_constant_{len(names)}"
                if name not in self._buffers:
                    self.register_buffer(name, tensor, persistent=False)
                names[id(leaf)] = name
        return names

    def _layers_to_call_directly(self):
        """The layers the fast forward may call without `Layer.__call__`: none if a layer in the graph
        can create masks (masks then flow through `__call__`); otherwise those without an activity
        regularizer whose compute dtype is already the dtype of their floating inputs, and whose policy
        is not mixed (autocast scopes are opened and closed by `Layer.__call__`). A mixed model calls
        every layer through `__call__`: a plain layer inside it must switch autocast off."""
        layers = [n.operation for n in self._graph_nodes]
        if self._creates_masks or self._dtype_policy.is_mixed:
            return set()
        names = self._module_names
        wired = self.__dict__.setdefault("_wired_compute_dtypes", {names[l]: l.compute_dtype for l in layers})
        if any(wired.get(names[layer]) != layer.compute_dtype for layer in layers):
            return set()  # a policy changed since wiring: the recorded dtypes no longer tell the truth

        def qualifies(node):
            layer = node.operation
            return (not isinstance(layer, (InputLayer, TorchOp)) and layer.activity_regularizer is None
                    and not layer._dtype_policy.is_mixed
                    and all(t.dtype == layer.compute_dtype
                            or not backend.is_float_dtype(t.dtype) and layer._non_floating_inputs == "keep"
                            for t in node.input_tensors))

        # A layer called several times must qualify at every call site.
        excluded = {node.operation for node in self._graph_nodes if not qualifies(node)}
        return {node.operation for node in self._graph_nodes if node.operation not in excluded}

    def __getstate__(self):
        # The generated code is rebuilt from the recorded graph on unpickling (`torch.save(model)`).
        state = dict(self.__dict__)
        for generated in ("_graph_module", "_graph_forward", "_direct_forward"):
            state.pop(generated, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._generate_forward()

    def _register_layers(self, operations):
        """Registers each layer as a submodule; names you gave are kept, auto-named layers are counted
        within this model."""
        names = {}
        taken = set()
        for operation in operations:
            if not operation._auto_named:
                name = self._free_attribute(_identifier(operation.name), taken)
                names[operation] = name
                taken.add(name)
        for operation in operations:
            if operation._auto_named:
                base = _identifier(operation.op_name if isinstance(operation, TorchOp)
                                   else naming.to_snake_case(type(operation).__name__))
                name, index = base, 0
                while name in taken or self._attribute_taken(name):
                    index += 1
                    name = f"{base}_{index}"
                names[operation] = name
                taken.add(name)
        for operation in operations:
            self._modules[names[operation]] = operation
        return names

    def _attribute_taken(self, name):
        return hasattr(type(self), name) or name in self.__dict__ or name in self._modules

    def _free_attribute(self, name, taken):
        while name in taken or self._attribute_taken(name):
            name += "_"
        return name

    # ------------------------------------------------------------------ structure

    @property
    def layers(self):
        """The model's layers, as Keras lists them: without the operations of the graph (`TorchOp`s,
        `KerasOp`s such as the `NotEqual` of a mask), which `_operations` lists too."""
        return [op for op in self._modules.values() if not isinstance(op, TorchOp)]

    @property
    def _layers(self):
        return self.layers

    @property
    def _operations(self):
        """Layers and operations in Keras's order (`model._operations`): what a config and `summary()`
        list."""
        return list(self._modules.values())

    @property
    def inputs(self):
        return flatten(self._inputs_structure)

    @property
    def outputs(self):
        return flatten(self._outputs_structure)

    @property
    def input_names(self):
        return [t._keras_history.operation.name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history.operation.name for t in self.outputs]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def graph_module(self):
        """The generated `torch.fx.GraphModule` (its `code` is the model's forward)."""
        return self._graph_module

    # ------------------------------------------------------------------ call

    def call(self, inputs, training=None, mask=None):
        if self._one_input and type(inputs) is torch.Tensor:
            flat = (inputs,)
        else:
            flat = self._flatten_call_inputs(inputs)
        if mask is not None and not isinstance(mask, torch.fx.Proxy):  # fx tracing makes every argument a Proxy
            flat = _with_masks(flat, mask, self.name)
        if self._direct_forward is not None and self._can_call_directly(flat):
            return self._direct_forward(self, bool(training), *flat)
        return self._graph_forward(self, *flat)

    def _can_call_directly(self, flat):
        """Whether this call may take the fast forward: plain tensors of exactly the input shapes and
        dtypes, no masks, no hooks on the directly called layers, no tracing, no policy change since
        the forward was generated. Anything else takes the forward through `Layer.__call__`."""
        if call_context.CONTEXT.policy_epoch != self._policy_epoch:
            self._generate_forward()
            if self._direct_forward is None:
                return False
        for tensor, (rank, fixed, dtype) in zip(flat, self._input_checks):
            if type(tensor) is not torch.Tensor or tensor.dim() != rank or tensor.dtype is not dtype:
                return False
            shape = tensor.shape
            for axis, size in fixed:
                if shape[axis] != size:
                    return False
            if getattr(tensor, "_keras_mask", None) is not None:
                return False
        if (_GLOBAL_FORWARD_HOOKS or _GLOBAL_FORWARD_PRE_HOOKS or _GLOBAL_BACKWARD_HOOKS
                or _GLOBAL_BACKWARD_PRE_HOOKS or torch._C._get_tracing_state()):
            return False
        for layer in self._direct_layers:
            if layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks \
                    or layer._backward_pre_hooks:
                return False
        return True

    def _flatten_call_inputs(self, inputs):
        structure = self._inputs_structure
        expected = self.inputs
        if isinstance(inputs, torch.fx.Proxy) and len(expected) > 1:
            # `torch.fx.symbolic_trace` passes the whole input structure as one placeholder.
            keys = list(structure) if isinstance(structure, dict) else range(len(expected))
            return [inputs[key] for key in keys]
        if isinstance(inputs, dict):
            if isinstance(structure, dict) and set(inputs) == set(structure):
                flat = [inputs[key] for key in structure]
            else:
                names = self.input_names
                missing = [name for name in names if name not in inputs]
                if missing or len(inputs) != len(names):
                    raise ValueError(
                        f"Model '{self.name}' expects inputs keyed by {names}. Received keys: "
                        f"{sorted(inputs)}"
                    )
                flat = [inputs[name] for name in names]
        elif isinstance(inputs, (list, tuple)) and not isinstance(structure, (list, tuple)) and len(expected) == 1 \
                and len(inputs) != 1:
            flat = [inputs]
        elif isinstance(inputs, (list, tuple)):
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} input(s) {self.input_names}, but it received "
                f"{len(flat)} input tensors."
            )
        for tensor, rank, spec in zip(flat, self._input_ranks, expected):
            if isinstance(tensor, torch.Tensor) and tensor.dim() != rank:
                raise ValueError(
                    f"Input '{spec._keras_history.operation.name}' of model '{self.name}' expects shape "
                    f"{spec.shape}. Received: shape {tuple(tensor.shape)}"
                )
        return flat

    def compute_output_spec(self, *args, **kwargs):
        if is_symbolic(self._outputs_structure):
            return super().compute_output_spec(*args, **kwargs)
        # Several outputs: a shape-only run keeps their structure (a dict stays a dict).
        from torchkeras.utils.shape_inference import infer_output_spec

        return infer_output_spec(self, args, kwargs)

    def compute_output_shape(self, input_shape):
        return [t.shape for t in self.outputs] if len(self.outputs) > 1 else self.outputs[0].shape

    # ------------------------------------------------------------------ config

    def get_config(self):
        """The graph in Keras's functional config format (layers, their calls, inputs and outputs)."""
        from torchkeras.models.functional_config import get_functional_config

        return get_functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from torchkeras.models.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects=custom_objects)

    def get_build_config(self):
        return {"input_shape": None}  # as Keras: a functional model is built by its constructor

    def build_from_config(self, config):
        pass

    # ------------------------------------------------------------------ summary

    def _summary_rows(self):
        """(layer, output shape, connected to) rows, or (layer, output shape) for a plain chain, as
        Keras's summary shows them."""
        in_model = set(self._graph_nodes)
        rows, chain = [], True
        for operation in self._operations:
            nodes = [n for n in operation._inbound_nodes if n in in_model]
            if len(nodes) > 1 or any(len(n.input_tensors) > 1 for n in nodes):
                chain = False
            shapes = [_output_shape(n) for n in nodes]
            connections = []
            for node in nodes:
                for tensor in node.input_tensors:
                    source, node_index, tensor_index = tensor._keras_history
                    connections.append(f"{source.name}[{node_index}][{tensor_index}]")
            rows.append((operation, shapes[0] if len(shapes) == 1 else shapes or None, connections))
        if chain and not any(isinstance(op, InputLayer) for op in self._operations[1:]):
            return [(layer, shape) for layer, shape, _ in rows]
        return rows


def _keras_flatten(structure):
    """Leaves in the order of Keras's `tree.flatten`: dict entries sorted by key."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _keras_flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _keras_flatten(structure[key])]
    return [structure]


def _output_shape(node):
    outputs = node.outputs
    if is_symbolic(outputs):
        return outputs.shape
    return [t.shape for t in flatten(outputs)]


def _with_masks(flat_inputs, mask, model_name):
    """The inputs carrying `mask` (one mask, or one per input) as Keras attaches a `mask=` argument.

    The masks go on views of the inputs, so the caller's tensors keep the masks they had."""
    masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
    if isinstance(mask, dict) or len(masks) != len(flat_inputs):
        raise ValueError(
            f"Model '{model_name}' has {len(flat_inputs)} input(s), so `mask` must be one mask per input. "
            f"Received: mask={type(mask).__name__} with {len(masks)} element(s)"
        )
    masked = []
    for tensor, tensor_mask in zip(flat_inputs, masks):
        if tensor_mask is not None and isinstance(tensor, torch.Tensor):
            tensor = tensor.view_as(tensor)
            tensor._keras_mask = tensor_mask
        masked.append(tensor)
    return masked


def _identifier(name):
    name = re.sub(r"\W", "_", str(name))
    if not name or name[0].isdigit():
        return "_" + name
    # `lambda`, `class`, ...: the generated code calls `self.<name>`, so a keyword would not parse.
    return name + "_" if keyword.iskeyword(name) else name


def _unique(names):
    seen, result = {}, []
    for name in names:
        candidate, index = name, 0
        while candidate in seen:
            index += 1
            candidate = f"{name}_{index}"
        seen[candidate] = True
        result.append(candidate)
    return result
