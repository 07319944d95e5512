"""`Layer`: the Keras layer as a `torch.nn.Module` with lazy weights.

A layer's weights are created from the shape of its first input, as in Keras. Built-in layers declare
their weights in `__init__` as torch `UninitializedParameter`s (torch's lazy-module machinery), so torch
tools understand an unbuilt layer and `load_state_dict` can fill one; `build()` then materialises them
with Keras's initializers. User layers simply call `add_weight` inside `build()`, as in Keras; a
`state_dict` loaded into such a layer before it is built is kept and applied right after the build.

Call semantics follow Keras (`__call__`): numpy and Python inputs are converted, the layer builds on first
call, inputs are checked against `input_spec`, floating inputs are cast to the compute dtype, `training`
is passed down to sublayers, and masks propagate. Layers start in torch's eval mode, which is Keras's
inference default for direct calls; `model.train()` makes `training` default to True for torch loops.
"""

import functools
import inspect
import warnings

import torch
import torch.fx
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

from torchkeras import backend
from torchkeras import dtype_policies
from torchkeras import initializers
from torchkeras import regularizers
from torchkeras import constraints as constraints_module
from torchkeras.api_export import keras_export
from torchkeras.layers import call_context
from torchkeras.layers.input_spec import assert_input_compatibility
from torchkeras.utils import naming
from torchkeras.utils.shape_inference import infer_output_shape, infer_output_spec, run_on_meta
from torchkeras.variables import Variable

_AUTOCAST_STATE = dtype_policies.AUTOCAST_STATE
_cast_floats = dtype_policies.cast_floats

_ALLOWED_KWARGS = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "weights"}


def _wrap_build(build):
    """Makes every `build` implementation record its shapes, scope weight paths and mark `built`."""

    @functools.wraps(build)
    def wrapped_build(self, *args, **kwargs):
        if self._building:  # a `super().build(...)` inside a build that is already wrapped
            return build(self, *args, **kwargs)
        self._building = True
        try:
            with call_context.name_scope(self.name):
                result = build(self, *args, **kwargs)
        finally:
            self._building = False
        self._post_build(args, kwargs)
        return result

    wrapped_build._torchkeras_wrapped = True
    return wrapped_build


@keras_export("keras.Layer", "keras.layers.Layer")
class Layer(LazyModuleMixin, nn.Module):
    """Base class of every torchkeras layer; a `torch.nn.Module`.

    Args:
        activity_regularizer: Optional regularizer applied to the layer's output, added to `losses`.
        trainable: Whether the layer's weights are trained.
        dtype: A dtype policy name (`"float32"`, `"mixed_float16"`, ...), a `DTypePolicy` or a dtype.
            `None` takes the global policy.
        autocast: Whether floating inputs are cast to the layer's compute dtype.
        name: The layer's name; by default the snake-cased class name made unique (`dense_1`).

    Call arguments:
        inputs: A torch tensor, numpy array, Python number, or (for multi-input layers) a list of them.
        training: Optional bool; `None` takes the enclosing call's value, then the module's torch mode.
        mask: Optional mask, for layers that take one; by default the input's own mask.
    """

    cls_to_become = None  # a Dense stays a Dense after it is built

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_torchkeras_wrapped", False):
            cls.build = _wrap_build(build)
        call = cls.__dict__.get("call")
        if "forward" in cls.__dict__:
            cls._defines_forward = True  # a torch-style layer: its forward is what runs
        elif call is not None and not cls._defines_forward:
            cls.forward = call  # `forward` is `call` itself: one frame less per call
        cls._overrides_compute_mask = cls.compute_mask is not Layer.compute_mask
        if call is not None:
            parameters = inspect.signature(call).parameters
            cls._call_has_training_arg = "training" in parameters
            cls._call_has_mask_arg = "mask" in parameters
            cls._call_arg_names = [p for p in parameters if p != "self"]

    _call_has_training_arg = False
    _call_has_mask_arg = False
    _overrides_compute_mask = False
    _defines_forward = False
    # What a call does with integer or boolean inputs (the compute dtype is for floating ones): "keep"
    # them (Embedding's indices), "promote" them to the compute dtype (Dense, EinsumDense, as Keras's
    # matmul promotes), or "reject" them with a TypeError (convolutions, which fail in Keras too).
    _non_floating_inputs = "keep"
    # A mixed-policy layer hands back floating outputs in its compute dtype; models return what their
    # layers produced.
    _casts_outputs_to_compute_dtype = True
    _call_arg_names = ["inputs"]

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 **kwargs):
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in sorted(unknown)} }"
            )
        super().__init__()
        # torch's lazy modules build in a forward pre-hook; torchkeras builds in `__call__` (as Keras
        # does), so that hook goes. The state-dict hook that materialises lazy weights on
        # `load_state_dict` stays.
        self._initialize_hook.remove()
        del self._initialize_hook
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Argument `name` must be a string. Received: name={name!r}")
        self.name = name or naming.auto_name(naming.to_snake_case(type(self).__name__))
        self._auto_named = name is None
        self.dtype_policy = dtype
        self.autocast = autocast
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._trainable = bool(trainable)
        self.built = False
        self._building = False
        self.input_spec = None
        self.supports_masking = False
        self._keras_variables = []  # Variables in creation order
        self._build_shapes = None
        self._pending_state = None
        self._activity_losses = []
        self._inbound_nodes = []  # one `Node` per call on symbolic tensors (the functional API)
        self.training = False  # Keras: a direct call runs in inference mode

        input_shape = kwargs.get("input_shape")
        if kwargs.get("input_dim") is not None and input_shape is None:
            input_shape = (kwargs["input_dim"],)
        batch_input_shape = kwargs.get("batch_input_shape")
        if input_shape is not None:
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        self._batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self._initial_weights = kwargs.get("weights")

    # ------------------------------------------------------------------ attributes and tracking

    def __setattr__(self, name, value):
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, nn.Module) for v in value):
            value = nn.ModuleList(value)
        elif (isinstance(value, dict) and value and all(isinstance(k, str) for k in value)
              and all(isinstance(v, nn.Module) for v in value.values())):
            value = nn.ModuleDict(value)
        elif isinstance(value, torch.Tensor) and not is_lazy(value) and "_keras_variables" in self.__dict__:
            self._rename_weight_attribute(name, value)
        super().__setattr__(name, value)

    def _rename_weight_attribute(self, name, tensor):
        """`self.w = self.add_weight(name="kernel")` re-registers the weight under `w`, not twice."""
        for variable in self._keras_variables:
            if variable._attr == name or variable.value is not tensor:
                continue
            store = self._parameters if variable._attr in self._parameters else self._buffers
            if name in self._parameters or name in self._buffers:
                return
            items = [(name if key == variable._attr else key, val) for key, val in store.items()]
            store.clear()
            store.update(items)
            variable._attr = name
            return

    @property
    def _layers(self):
        """Direct sublayers in tracking order, looking inside lists and dicts of layers."""
        found = []
        for module in self._modules.values():
            if isinstance(module, Layer):
                found.append(module)
            elif isinstance(module, (nn.ModuleList, nn.ModuleDict, nn.Sequential)):
                modules = module.values() if isinstance(module, nn.ModuleDict) else module
                found.extend(m for m in modules if isinstance(m, Layer))
        return found

    def _flatten_layers(self, include_self=True, recursive=True):
        seen, result = set(), []
        stack = [self] if include_self else list(self._layers)
        while stack:
            layer = stack.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            result.append(layer)
            if recursive:
                stack = list(layer._layers) + stack if layer is not self else stack + list(layer._layers)
        return result

    # ------------------------------------------------------------------ dtype

    @property
    def dtype_policy(self):
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = dtype_policies.get(value)
        if "_dtype_policy" in self.__dict__:
            call_context.CONTEXT.policy_epoch += 1  # a change: functional models re-plan their fast path
        self.__dict__["_dtype_policy"] = policy
        self.__dict__["_compute_torch_dtype"] = policy.compute_torch_dtype
        self.__dict__["_mixed_policy"] = policy.is_mixed
        if "_parameters" in self.__dict__:
            self._redeclare_lazy_weights()

    @property
    def dtype(self):
        """The variable dtype, as in Keras."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self):
        return self._dtype_policy.compute_dtype

    # ------------------------------------------------------------------ weights

    def _declare_weight(self, name, trainable=True):
        """Registers `name` as an uninitialized (lazy) parameter or buffer, to be created by `build()`.

        It is declared in the variable dtype, so a `load_state_dict` before the build materialises it
        in that dtype too (torch's lazy load hook keeps the declared dtype)."""
        dtype = backend.to_torch_dtype(self.variable_dtype)
        if trainable:
            self.register_parameter(name, UninitializedParameter(dtype=dtype))
        else:
            self.register_buffer(name, UninitializedBuffer(dtype=dtype))

    def _redeclare_lazy_weights(self):
        """After a policy change on an unbuilt layer: its lazy weights take the new variable dtype."""
        dtype = backend.to_torch_dtype(self.variable_dtype)
        for store, lazy_class in ((self._parameters, UninitializedParameter), (self._buffers, UninitializedBuffer)):
            for name, tensor in store.items():
                if is_lazy(tensor) and tensor.dtype != dtype:
                    store[name] = lazy_class(requires_grad=tensor.requires_grad, dtype=dtype)

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False,
                   name=None):
        """Creates a weight and returns its torch tensor (a `Parameter`, or a buffer if not trainable).

        Args:
            shape: Shape tuple; `()` for a scalar.
            initializer: Initializer name, object or callable; `glorot_uniform` for floating weights and
                `zeros` otherwise by default.
            dtype: Dtype of the weight; defaults to the layer's variable dtype.
            trainable: Whether the optimizer updates it. Non-trainable weights are buffers.
            regularizer: Optional regularizer whose value is added to `layer.losses`.
            constraint: Optional constraint applied after optimizer updates.
            name: The weight's Keras name (`"kernel"`), also its attribute name unless assigned to another.
        """
        shape = () if shape is None else tuple(shape)
        for dim in shape:
            if not isinstance(dim, int) or dim < 0:
                raise ValueError(
                    f"Invalid shape for weight `{name}` of layer '{self.name}'. Expected a tuple of "
                    f"non-negative integers. Received: shape={shape}"
                )
        dtype = backend.standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if backend.is_float_dtype(dtype) else "zeros"
        initializer = initializers.get(initializer)
        if self.built:
            # `build()` again on a built layer: hand back the weight it already made, not a second one.
            for variable in self._keras_variables:
                if variable.name == (name or "variable") and variable.shape == shape:
                    return variable.value
        attr = self._attribute_for_weight(name or "variable")
        existing = self._parameters.get(attr, self._buffers.get(attr))
        torch_dtype = backend.to_torch_dtype(dtype)

        if existing is not None and not is_lazy(existing):
            # Filled by load_state_dict before the build: keep the loaded values.
            if tuple(existing.shape) != shape:
                raise ValueError(
                    f"Layer '{self.name}' builds weight `{attr}` with shape {shape}, but a state dict "
                    f"loaded before the build gave it shape {tuple(existing.shape)}."
                )
            tensor = existing
        else:
            with torch.no_grad():
                if call_context.skipping_initializers():  # a file's values come next (load_model)
                    value = torch.empty(shape, dtype=torch_dtype)
                else:
                    value = initializer(shape, dtype=dtype)
                if not isinstance(value, torch.Tensor):
                    value = backend.convert_to_tensor(value, dtype=dtype)
                device = existing.device if existing is not None else call_context.weight_device()
                if existing is not None:
                    existing.materialize(shape, device=device, dtype=torch_dtype)
                    existing.copy_(value)
                    tensor = existing
                elif trainable:
                    tensor = nn.Parameter(value.to(device=device, dtype=torch_dtype))
                else:
                    tensor = value.to(device=device, dtype=torch_dtype)
            if trainable:
                self.register_parameter(attr, tensor)
            else:
                self.register_buffer(attr, tensor)
        if isinstance(tensor, nn.Parameter):
            tensor.requires_grad_(bool(trainable) and self.trainable)
        path = "/".join(call_context.current_scope() + [name or "variable"])
        self._keras_variables.append(
            Variable(self, attr, name or "variable", path, bool(trainable),
                     regularizers.get(regularizer), constraints_module.get(constraint))
        )
        return tensor

    def _attribute_for_weight(self, name):
        """The attribute a new weight is registered under: its name, made a valid and unused one."""
        attr = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "variable"
        if attr[0].isdigit():
            attr = "_" + attr
        taken = {v._attr for v in self._keras_variables}
        candidate, index = attr, 1
        while candidate in taken or candidate in self._modules or (
            candidate in self.__dict__ and candidate not in self._parameters and candidate not in self._buffers
        ):
            candidate = f"{attr}_{index}"
            index += 1
        return candidate

    def _own_weights(self):
        """Own weights in Keras's order: those created trainable (parameters), then the others."""
        created_trainable = [v for v in self._keras_variables if isinstance(v.value, nn.Parameter)]
        others = [v for v in self._keras_variables if not isinstance(v.value, nn.Parameter)]
        return created_trainable + others

    @property
    def weights(self):
        """All weights as `Variable`s: own trainable, own non-trainable, then sublayers', as in Keras."""
        weights, seen = [], set()
        for layer in self._flatten_layers():
            for variable in layer._own_weights():
                if id(variable.value) not in seen:
                    seen.add(id(variable.value))
                    weights.append(variable)
        return weights

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable and v._owner.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not (v.trainable and v._owner.trainable)]

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezes or unfreezes this layer and every sublayer (`requires_grad` follows)."""
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for variable in layer._keras_variables:
                tensor = variable.value
                if isinstance(tensor, nn.Parameter):
                    tensor.requires_grad_(value and variable.trainable)

    def get_weights(self):
        """The weights as numpy arrays, in Keras's order and shapes."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in Keras's order; nothing changes if any does not fit."""
        variables = self.weights
        if not isinstance(weights, (list, tuple)):
            raise TypeError(
                f"`set_weights` of layer '{self.name}' expects a list of arrays. "
                f"Received: {type(weights).__name__}"
            )
        if len(weights) != len(variables):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(variables)} weights."
            )
        converted = []
        for variable, value in zip(variables, weights):
            tensor = backend.convert_to_tensor(value, dtype=variable.dtype)
            if tuple(tensor.shape) != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight shape {variable.shape} is not compatible with provided "
                    f"weight shape {tuple(tensor.shape)} for `{variable.path}`."
                )
            converted.append(tensor)
        for variable, tensor in zip(variables, converted):
            variable.assign(tensor)

    def count_params(self):
        """Total number of scalars in the weights; the layer must be built."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                f"You can build it manually via: `{self.name}.build(input_shape)`, or call it on data."
            )
        return sum(int(torch.Size(v.shape).numel()) for v in self.weights)

    @property
    def losses(self):
        """Regularization losses: of the weights (computed now) and of outputs from the last call."""
        losses = []
        for layer in self._flatten_layers():
            losses.extend(layer._activity_losses)
            for variable in layer._keras_variables:
                if variable.regularizer is not None:
                    losses.append(variable.regularizer(variable.value))
        return losses

    # ------------------------------------------------------------------ build

    def build(self, input_shape=None):
        """Creates the layer's weights for inputs of `input_shape`; the base class creates none.

        Called explicitly on a layer whose sublayers are not built, it builds them by running `call`
        on shape-only (meta) tensors; on a first call with data, the call itself builds them.
        """
        if input_shape is not None and any(not layer.built for layer in self._layers):
            self._build_sublayers_by_running_call(input_shape)

    def _build_sublayers_by_running_call(self, input_shape):
        self.built = True  # the run below calls this layer, which must not build again
        try:
            with call_context.name_scope(self.name):
                infer_output_shape(self, input_shape)
        except Exception as error:  # the layer's call may not run on shapes alone; it builds on data
            self.built = False
            raise ValueError(
                f"Layer '{self.name}' could not build its sublayers from input_shape={input_shape}: "
                f"running its `call` on a shape-only input failed with: {error}. Call the layer on "
                f"real data instead, or override `build()`."
            ) from error

    build = _wrap_build(build)

    def _post_build(self, args, kwargs):
        if args:
            self._build_shapes = args[0]
        elif kwargs:
            self._build_shapes = dict(kwargs)
        self.built = True
        if self._pending_state is not None:
            pending, self._pending_state = self._pending_state, None
            result = self.load_state_dict(pending, strict=False)
            if result.unexpected_keys:
                raise ValueError(
                    f"A state dict loaded into layer '{self.name}' before it was built has entries "
                    f"that its build did not create: {result.unexpected_keys}"
                )
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def initialize_parameters(self, *args, **kwargs):
        """torch's lazy-module entry point; torchkeras builds in `__call__` instead."""

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        if isinstance(self._build_shapes, dict):
            return {"shapes_dict": self._build_shapes}
        return {"input_shape": self._build_shapes}

    def build_from_config(self, config):
        if not config:
            return
        if "input_shape" in config:
            self.build(config["input_shape"])
        elif "shapes_dict" in config:
            self.build(**config["shapes_dict"])

    def _maybe_build(self, args, kwargs):
        if type(self).build is Layer.build:
            # Nothing to create here: sublayers build during this first call itself.
            self._post_build((_shapes_of(args[0]),) if args else (), {})
        else:
            self._build_from_call(args, kwargs)
        # The first batch's size is not part of the layer (summary() shows `(None, 256)`).
        self._build_shapes = _without_batch_size(self._build_shapes)

    def _build_from_call(self, args, kwargs):
        shapes = _shapes_of(args[0]) if args else None
        device = _first_device(args[0]) if args else None
        with call_context.building_on(device):
            build_parameters = [p for p in inspect.signature(self.build).parameters]
            if len(build_parameters) <= 1 or not kwargs:
                self.build(shapes)
            else:
                named = {f"{name}_shape": _shapes_of(kwargs[name]) for name in self._call_arg_names[1:]
                         if kwargs.get(name) is not None and f"{name}_shape" in build_parameters}
                self.build(shapes, **named)
                if named:  # Keras records every tensor argument's shape: `{"sequences_shape", ...}`
                    self._build_shapes = {f"{self._call_arg_names[0]}_shape": shapes, **named}

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        if not self.built:
            known = set(self._parameters) | set(self._buffers) | set(self._modules)
            pending = {}
            for key in list(state_dict):
                if key.startswith(prefix) and key[len(prefix):].split(".", 1)[0] not in known:
                    pending[key[len(prefix):]] = state_dict[key]
            if pending:
                # Weights that `build()` has yet to create: keep them until the build.
                self._pending_state = pending
                state_dict = {k: v for k, v in state_dict.items() if k[len(prefix):] not in pending}
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    # ------------------------------------------------------------------ call

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; subclasses override it (torch's `forward` calls it)."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement `call()`.")

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        if not args:
            first = self._call_arg_names[0] if self._call_arg_names else "inputs"
            if first not in kwargs:
                raise TypeError(f"Layer '{self.name}' was called without inputs.")
            args = (kwargs.pop(first),)
        inputs = args[0]
        is_tensor = type(inputs) is torch.Tensor
        # A flat list of plain tensors (merge layers) needs no conversion: the common multi-input case.
        tensor_list = not is_tensor and type(inputs) in (list, tuple) and all(
            type(x) is torch.Tensor for x in inputs)
        if not is_tensor and not tensor_list:
            leaves = _flatten(inputs)
            proxies = [x for x in leaves if isinstance(x, torch.fx.Proxy)]
            if proxies:
                # `torch.fx.symbolic_trace` of a model: a torchkeras layer is a leaf, like torch.nn's.
                tracer = proxies[0].tracer
                return tracer.create_proxy("call_module", tracer.path_of_module(self), args, kwargs)
            if any(getattr(type(x), "_is_keras_symbolic", False) for x in leaves):
                return self._symbolic_call(*args, **kwargs)
            inputs = _convert_inputs(inputs)
            args = (inputs,) + args[1:]
            is_tensor = isinstance(inputs, torch.Tensor)
        if not self.built:
            self._maybe_build(args, kwargs)
            device = _first_device(inputs)
            if device is not None and device.type == "meta":
                # Built during a shape-only run (a parent's explicit build): its new weights are real
                # tensors, so this first call runs with meta stand-ins for them.
                return run_on_meta(self, args, kwargs)
            # Sublayers built during the first call get this layer's name in their weight paths.
            with call_context.name_scope(self.name):
                return self.__call__(*args, **kwargs)

        input_check = self._input_check
        if input_check is not None and not (is_tensor and input_check(inputs)):
            assert_input_compatibility(self._input_spec, inputs, self.name)
        if self.autocast:
            if is_tensor:
                if inputs.dtype is not self._compute_torch_dtype:
                    if inputs.is_floating_point():
                        inputs = _cast_floats(inputs, self._compute_torch_dtype)
                        args = (inputs,) + args[1:]
                    elif self._non_floating_inputs != "keep":
                        inputs = _convert_non_floating(self, inputs)
                        args = (inputs,) + args[1:]
            elif not (tensor_list and all(x.dtype is self._compute_torch_dtype or not x.is_floating_point()
                                          for x in inputs)):
                cast = _cast_floats(inputs, self._compute_torch_dtype)
                if cast is not inputs:
                    inputs = cast
                    args = (inputs,) + args[1:]

        if is_tensor:
            previous_mask = getattr(inputs, "_keras_mask", None)
        else:
            masks = [getattr(x, "_keras_mask", None) for x in (inputs if tensor_list else _flatten(inputs))]
            previous_mask = masks if any(m is not None for m in masks) else None
        explicit_mask = kwargs.get("mask") if kwargs else None
        if explicit_mask is not None:
            previous_mask = explicit_mask  # a mask passed by hand is the incoming mask, as in Keras
            if not self._call_has_mask_arg:
                del kwargs["mask"]
        elif previous_mask is not None and self._call_has_mask_arg:
            kwargs["mask"] = previous_mask

        if self._call_has_training_arg or self._modules:
            # Resolve `training` (argument, then the enclosing call, then torch's train()/eval() mode)
            # and hand it down to the sublayers this call runs.
            training = kwargs.get("training") if kwargs else None
            context = call_context.CONTEXT
            explicit = training
            if training is None:
                training = context.training
                explicit = context.explicit_training
                if training is None:
                    training = self.training
                    explicit = True if training else None  # eval() mode stands for Keras's `None`
            if self._call_has_training_arg:
                kwargs["training"] = training
            elif kwargs:
                kwargs.pop("training", None)
            outer_training, outer_explicit = context.training, context.explicit_training
            context.training, context.explicit_training = training, explicit
            try:
                if self._mixed_policy or _AUTOCAST_STATE.current is not None:
                    outputs = dtype_policies.call_under_policy(self, super().__call__, inputs, args, kwargs)
                else:
                    outputs = super().__call__(*args, **kwargs)
            finally:
                context.training, context.explicit_training = outer_training, outer_explicit
        else:
            if kwargs:
                kwargs.pop("training", None)
            if self._mixed_policy or _AUTOCAST_STATE.current is not None:
                outputs = dtype_policies.call_under_policy(self, super().__call__, inputs, args, kwargs)
            else:
                outputs = super().__call__(*args, **kwargs)

        if self._produces_mask and (previous_mask is not None or self._overrides_compute_mask):
            _set_output_masks(self, inputs, outputs, previous_mask)
        elif previous_mask is not None and not self._call_has_mask_arg:
            warnings.warn(
                f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask "
                "attached to it. However, this layer does not support masking and will therefore destroy "
                "the mask information. Downstream layers will not see the mask.", stacklevel=2)
        if self.activity_regularizer is not None:
            self._activity_losses = [_activity_loss(self.activity_regularizer, o)
                                     for o in _flatten(outputs) if isinstance(o, torch.Tensor)]
        return outputs

    @property
    def _creates_masks(self):
        """Whether a call may attach a mask to outputs of unmasked inputs (Embedding(mask_zero=True),
        Masking, ...). Any layer with its own `compute_mask` may, unless it says otherwise."""
        return self._overrides_compute_mask

    @property
    def supports_masking(self):
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)
        self.__dict__["_produces_mask"] = bool(value) or self._overrides_compute_mask

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        self.__dict__["_input_spec"] = value
        self.__dict__["_input_check"] = _InputCheck(value) if value is not None else None

    def _symbolic_call(self, *args, **kwargs):
        """Calling a layer on symbolic tensors (`keras.Input`): builds it from the shapes, checks them,
        records a `Node` and returns symbolic outputs. Nothing is computed on data."""
        from torchkeras.graph.node import Node

        inputs = args[0]
        if not self.built:
            self._maybe_build(args, kwargs)
        if self._input_spec is not None:
            assert_input_compatibility(self._input_spec, inputs, self.name)
        with call_context.name_scope(self.name):  # sublayers built by the shape-only run below
            outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs (KerasTensors) for symbolic inputs: from `compute_output_shape` when the layer
        gives a formula and takes one symbolic input, else by running `call` on meta tensors."""
        from torchkeras.graph.keras_tensor import KerasTensor
        from torchkeras.graph.node import flatten, is_symbolic

        symbolic = [v for v in flatten((args, kwargs)) if is_symbolic(v)]
        formula = type(self).compute_output_shape is not Layer.compute_output_shape
        if formula and (len(symbolic) == 1 or all(is_symbolic(v) for v in flatten(args[0]))) and all(
            not is_symbolic(v) for v in flatten((args[1:], kwargs))
        ):
            output_shape = self.compute_output_shape(_shapes_of(args[0]))
            if isinstance(output_shape, list) or (
                    isinstance(output_shape, tuple) and output_shape and isinstance(output_shape[0], tuple)):
                return [KerasTensor(shape, dtype=self.compute_dtype) for shape in output_shape]
            return KerasTensor(output_shape, dtype=self.compute_dtype)
        try:
            return infer_output_spec(self, args, kwargs)
        except Exception as error:
            shapes = [v.shape for v in symbolic]
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be applied to inputs of shapes "
                f"{shapes}: {error}"
            ) from error

    @property
    def output(self):
        """The symbolic output of the layer's call on symbolic inputs (functional API)."""
        return self._node_attribute("outputs", "output")

    @property
    def input(self):
        """The symbolic input of the layer's call on symbolic inputs (functional API)."""
        return self._node_attribute("inputs", "input")

    def get_output_at(self, node_index):
        return self._node_attribute("outputs", "output", node_index)

    def get_input_at(self, node_index):
        return self._node_attribute("inputs", "input", node_index)

    def _node_attribute(self, attribute, description, node_index=None):
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {description}."
            )
        if node_index is None:
            if len(self._inbound_nodes) > 1:
                raise ValueError(
                    f"The layer {self.name} has multiple inbound nodes, hence the notion of "
                    f'"layer {description}" is ill-defined. Use `get_{description}_at(node_index)` '
                    "instead."
                )
            node_index = 0
        if not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(
                f"Asked to get {description} at node {node_index}, but the layer {self.name} has only "
                f"{len(self._inbound_nodes)} inbound nodes."
            )
        node = self._inbound_nodes[node_index]
        if attribute == "outputs":
            return node.outputs
        return node.call_args[0] if node.call_args else node.outputs

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs: by default the incoming mask (used only when the layer supports
        masking, as in Keras)."""
        return previous_mask

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape` (`None` for unknown sizes), found by running `call` on
        shape-only (meta) tensors; layers override it when a formula is simpler."""
        return infer_output_shape(self, input_shape)

    # ------------------------------------------------------------------ config

    def get_config(self):
        """The constructor arguments, as Keras writes them."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": {
                "module": "keras", "class_name": "DTypePolicy",
                "config": self._dtype_policy.get_config(), "registered_name": None,
            },
        }
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "dtype" in config and isinstance(config["dtype"], dict):
            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}, built={self.built}"

    def __repr__(self):
        if not self._modules:
            return f"<{type(self).__name__} name={self.name}, built={self.built}>"
        return super().__repr__()


def _set_output_masks(layer, inputs, outputs, previous_mask):
    """Attaches `layer.compute_mask(...)` to the outputs, as Keras's `_set_mask_metadata`: nothing when
    every output already carries a mask, otherwise mask i to output i where that output has none."""
    flat_outputs = [o for o in _flatten(outputs)] if not isinstance(outputs, torch.Tensor) else [outputs]
    if all(getattr(o, "_keras_mask", None) is not None for o in flat_outputs):
        return
    output_masks = layer.compute_mask(inputs, previous_mask)
    if output_masks is None:
        return
    flat_masks = [output_masks] if isinstance(output_masks, torch.Tensor) else _flatten(output_masks)
    for tensor, mask in zip(flat_outputs, flat_masks):
        if isinstance(tensor, torch.Tensor) and mask is not None and getattr(tensor, "_keras_mask", None) is None:
            tensor._keras_mask = mask


def _convert_inputs(inputs):
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_convert_inputs(x) for x in inputs)
    if isinstance(inputs, dict):
        return {k: _convert_inputs(v) for k, v in inputs.items()}
    if inputs is None or isinstance(inputs, torch.Tensor):
        return inputs
    if isinstance(inputs, Variable):
        return inputs.value
    return backend.convert_to_tensor(inputs)


def _activity_loss(regularizer, output):
    """The regularizer's value normalised by batch size (0 for an empty batch), as in Keras."""
    loss = regularizer(output)
    if output.dim() > 0:
        batch_size = output.shape[0]
        loss = loss / batch_size if batch_size else torch.zeros_like(loss)
    return loss


class _InputCheck:
    """A fast predicate for the common single-input spec (rank bounds and fixed axis sizes). The full
    check (`assert_input_compatibility`) runs whenever it fails, so error messages come from one place.
    A class rather than a closure, so that layers pickle (`torch.save(model)`)."""

    __slots__ = ("ndim", "min_ndim", "max_ndim", "axes", "always_full_check")

    def __init__(self, spec):
        self.always_full_check = (isinstance(spec, (list, tuple)) or spec.shape is not None
                                  or spec.allow_last_axis_squeeze)
        if not self.always_full_check:
            self.ndim, self.min_ndim, self.max_ndim = spec.ndim, spec.min_ndim, spec.max_ndim
            self.axes = tuple((axis, size) for axis, size in spec.axes.items() if size is not None)

    def __call__(self, x):
        if self.always_full_check:
            return False
        rank = x.dim()
        if (self.ndim is not None and rank != self.ndim or self.min_ndim is not None and rank < self.min_ndim
                or self.max_ndim is not None and rank > self.max_ndim):
            return False
        shape = x.shape
        for axis, size in self.axes:
            if axis >= rank or axis < -rank or shape[axis] != size:
                return False
        return True


def _convert_non_floating(layer, inputs):
    """An integer or boolean tensor for a layer that computes on floats: promoted to its compute dtype,
    or refused with a TypeError that names the layer and the dtype."""
    if layer._non_floating_inputs == "promote":
        return inputs.to(layer._compute_torch_dtype)
    raise TypeError(
        f"Layer '{layer.name}' (of type {type(layer).__name__}) expects floating inputs. Received: "
        f"inputs with dtype {backend.standardize_dtype(inputs.dtype)}. Cast them first, for example "
        f"with `x.float()`."
    )


def _shapes_of(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_shapes_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: _shapes_of(v) for k, v in inputs.items()}
    shape = getattr(inputs, "shape", None)
    return None if shape is None else tuple(shape)


def _without_batch_size(shapes):
    if isinstance(shapes, dict):
        return {k: _without_batch_size(v) for k, v in shapes.items()}
    if isinstance(shapes, list):
        return [_without_batch_size(s) for s in shapes]
    if isinstance(shapes, tuple) and shapes:
        return (None,) + shapes[1:]
    return shapes


_first_device = backend.first_device


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten(item)]
    return [structure]
