"""`Optimizer`: Keras 3's optimizer base class, as a `torch.optim.Optimizer`.

A torchkeras optimizer is built the Keras way, without variables (`Adam()`); `build(variables)`, the first
`apply_gradients(grads_and_vars)` or `apply(grads, variables)` attaches them. It is also a plain
`torch.optim.Optimizer`: the attached tensors form its `param_groups`, `step()` applies their `.grad`,
`zero_grad()`, `state_dict()` / `load_state_dict()` and torch's LR schedulers work on it.

The update arithmetic follows Keras's torch backend (`keras/src/backend/torch/optimizers/`), formula for
formula, in multi-tensor `torch._foreach_*` kernels (Adam and AdamW: torch's fused Adam kernel, rescaled to
Keras's epsilon placement), with scalar coefficients rounded the way Keras computes them (float32 learning
rate, bias corrections in the variables' dtype). The weights track real Keras to float rounding: the
parity tests hold them to 1e-6 relative in float32 and the displacement to 1e-9 relative in float64.

Variables may be torchkeras `Variable`s (`.value` is the `nn.Parameter`; their `constraint` is applied after
each update, and their `name` is matched by `exclude_from_weight_decay(var_names=...)`), plain tensors /
`nn.Parameter`s, or `(name, tensor)` pairs as `model.named_parameters()` yields.
"""

import math
import numbers
import re
import warnings

import numpy as np
import torch

from torchkeras import initializers
from torchkeras.api_export import keras_export
from torchkeras.optimizers.schedules import learning_rate_schedule
from torchkeras.utils import naming

_NUMPY_SCALAR_TYPES = {torch.float64: np.float64, torch.float16: np.float16}


def _scalar_type(dtype):
    """The numpy scalar type Keras computes a variable's update coefficients in (its dtype; float32 for
    bfloat16, which numpy lacks)."""
    return _NUMPY_SCALAR_TYPES.get(dtype, np.float32)


def as_float32(value):
    """`value` rounded to float32, as Keras's ops round a Python float operand (a float32 tensor) even
    when the other operand is float64."""
    return float(np.float32(value))


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_optional_non_negative(value, name):
    if value is None:
        return
    if not _is_number(value) or math.isnan(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument `{name}`: expected None or a non-negative float. "
            f"Received: {name}={value!r}"
        )


def _standardize_learning_rate(value, name="learning_rate"):
    """Returns `(float_value, schedule)`: one of them is None. Raises for anything else."""
    if isinstance(value, learning_rate_schedule.LearningRateSchedule):
        return None, value
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or not value.is_floating_point():
            raise ValueError(
                f"Argument `{name}` should be a float, a LearningRateSchedule or a callable. Received a "
                f"tensor of shape {tuple(value.shape)} and dtype {value.dtype}."
            )
        value = float(value)
    elif callable(value):
        return None, value
    if isinstance(value, (torch.nn.Module, list, tuple, dict)) or (
        hasattr(value, "__iter__") and hasattr(value, "__next__")
    ):
        raise TypeError(
            "torchkeras optimizers take Keras's arguments, not parameters: their first argument is the "
            "learning rate. Attach the parameters with `optimizer.build(model.parameters())` (or "
            "`model.trainable_variables`), or let `apply_gradients` attach them. "
            f"Received: {name}={type(value).__name__}"
        )
    if not _is_number(value):
        raise ValueError(
            f"Argument `{name}` should be a float, or an instance of LearningRateSchedule, or a callable "
            "(that takes no arguments and returns the learning rate value). "
            f"Received instead: {name}={value!r}"
        )
    value = float(value)
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise ValueError(
            f"Argument `{name}` must be a finite, non-negative float. Received: {name}={value!r}"
        )
    return value, None


def _tensor_of(variable):
    """The torch tensor behind a variable (torchkeras / Keras `Variable`, tensor or `(name, tensor)`)."""
    if isinstance(variable, torch.Tensor):
        return variable
    value = getattr(variable, "value", None)
    if isinstance(value, torch.Tensor):
        return value
    raise TypeError(
        "Expected a torch tensor / `nn.Parameter` or a torchkeras `Variable`. "
        f"Received: {type(variable).__name__} ({variable!r:.80})"
    )


def _clip_by_norm(grads, clipnorm):
    """Each gradient rescaled to an L2 norm of at most `clipnorm` (Keras's `_clip_by_norm`)."""
    norms = torch._foreach_clamp_min(torch._foreach_norm(grads), clipnorm)
    if norms[0].dtype == torch.float64:
        # Keras's `ops.maximum(norm, clipnorm)` types a float64 norm with a Python float as float32.
        norms = [n.to(torch.float32) for n in norms]
    clipped = torch._foreach_mul(grads, clipnorm)
    torch._foreach_div_(clipped, norms)
    return clipped


def clip_by_global_norm(grads, clip_norm):
    """All gradients rescaled together so that their global L2 norm is at most `clip_norm`.

    An infinite or NaN global norm makes every gradient NaN, as in Keras.
    """
    norms = torch._foreach_norm(grads)
    device = norms[0].device
    use_norm = torch.sqrt(torch.sum(torch.stack([torch.square(n.to(device)) for n in norms])))
    # Keras's `ops.minimum(1 / norm, 1 / clip_norm)` types a float64 norm with a Python float as float32.
    dtype = torch.float32 if use_norm.dtype == torch.float64 else use_norm.dtype
    scale = clip_norm * torch.minimum((1.0 / use_norm).to(dtype), torch.tensor(1.0 / clip_norm, dtype=dtype,
                                                                                device=device))
    scale = scale + (use_norm - use_norm)
    return [g * scale.to(g.device) for g in grads]


@keras_export("keras.Optimizer", "keras.optimizers.Optimizer")
class Optimizer(torch.optim.Optimizer):
    """Keras optimizer base class, usable as a `torch.optim.Optimizer`.

    Subclasses implement the update with torch ops. A Keras-style subclass
    overrides `build(variables)` (calling `super().build(variables)` first and
    creating its slots with `add_variable_from_reference` /
    `add_optimizer_variables`) and `update_step(gradient, variable,
    learning_rate)`; the built-in optimizers instead implement `_build_slots`
    and a multi-tensor `_parallel_update_step`.

    Args:
        learning_rate: A float, a
            `keras.optimizers.schedules.LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
        weight_decay: Float. If set, weight decay is applied (decoupled:
            `variable -= variable * weight_decay * learning_rate` before each
            update).
        clipnorm: Float. If set, the gradient of each weight is individually
            clipped so that its norm is no higher than this value.
        clipvalue: Float. If set, the gradient of each weight is clipped to be
            no higher than this value.
        global_clipnorm: Float. If set, the gradient of all weights is clipped
            so that their global norm is no higher than this value.
        use_ema: Boolean, defaults to `False`. If `True`, an exponential
            moving average (EMA) of the weights is kept, and the weights are
            periodically overwritten with it (see `ema_overwrite_frequency`).
        ema_momentum: Float, defaults to 0.99. Only used if `use_ema=True`:
            `new_average = ema_momentum * old_average + (1 - ema_momentum) *
            current_variable_value`.
        ema_overwrite_frequency: Int or None, defaults to None. Only used if
            `use_ema=True`. Every `ema_overwrite_frequency` iterations the
            variables are overwritten with their moving average; with `None`,
            call `finalize_variable_values()` at the end of training.
        loss_scale_factor: Float or `None`. If a float, `scale_loss()`
            multiplies the loss by it and the gradients are divided by it
            before being applied.
        gradient_accumulation_steps: Int or `None`. If an int (>= 2), the
            variables are updated every `gradient_accumulation_steps` steps,
            with the average of the gradients since the last update.
            Learning rate schedules see every step; `iterations` counts
            updates.
        name: String. The name of the optimizer (Keras's automatic name by
            default: `adam`, `adam_1`, ...).
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if name is None:
            name = naming.auto_name(naming.to_snake_case(self.__class__.__name__))
        elif not isinstance(name, str):
            raise TypeError(f"Argument `name` must be a string. Received: name={name!r}")

        if weight_decay is not None and (not _is_number(weight_decay) or math.isnan(weight_decay)):
            raise ValueError(
                f"Argument `weight_decay` must be None or a float. Received: weight_decay={weight_decay!r}"
            )
        for arg_name, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)):
            _check_optional_non_negative(value, arg_name)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        if gradient_accumulation_steps is not None and (
            not isinstance(gradient_accumulation_steps, numbers.Integral)
            or isinstance(gradient_accumulation_steps, bool)
            or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps!r}"
            )
        if use_ema:
            if not _is_number(ema_momentum) or ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum!r}")
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, numbers.Integral) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency!r}"
                )
        if loss_scale_factor is not None and (not _is_number(loss_scale_factor) or loss_scale_factor == 0):
            raise ValueError(
                f"Argument `loss_scale_factor` must be None or a non-zero float. "
                f"Received: loss_scale_factor={loss_scale_factor!r}"
            )
        lr_value, schedule = _standardize_learning_rate(learning_rate)

        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        # Keras's `iteration` variable (int32 on its torch backend); kept on the CPU so that reading it
        # never synchronizes with an accelerator.
        self._iterations = torch.zeros((), dtype=torch.int32)
        self._learning_rate = schedule  # None when the learning rate is a plain float (param_groups' "lr")
        self._scheduled_lr_cache = None  # (schedule, iteration, value): the schedule's value for the next update
        self._params = []  # attached tensors, in Keras's trainable-variable order
        self._trainable_variables = []  # the same, as they were given (Variables or tensors)
        self._trainable_variables_indices = {}  # id(tensor) -> index in _params
        self._variable_names = {}  # id(tensor) -> name, for `exclude_from_weight_decay(var_names=...)`
        self._group_of = {}  # id(tensor) -> index of its param group
        self._variable_records = []  # optimizer variables in Keras's order: (param or None, key)
        self._global_variables = {}  # optimizer variables not tied to one model variable (Nadam's u_product)
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}

        if schedule is None:
            initial_lr = lr_value
        elif isinstance(schedule, learning_rate_schedule.LearningRateSchedule):
            initial_lr = float(schedule(self._iterations))
        else:
            initial_lr = 0.0  # a callable learning rate is only evaluated when it is used
        torch.optim.Optimizer.__init__(self, [{"params": []}], {"lr": initial_lr})

    # ------------------------------------------------------------------ properties

    @property
    def iterations(self):
        """The number of updates applied so far (an int32 0-d tensor, as Keras's `iteration` variable).

        With gradient accumulation, it counts updates (`steps // gradient_accumulation_steps`).
        """
        if self.gradient_accumulation_steps:
            return torch.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _iterations_value(self):
        value = int(self._iterations)
        if self.gradient_accumulation_steps:
            return value // self.gradient_accumulation_steps
        return value

    @property
    def learning_rate(self):
        """The current learning rate, a float32 0-d tensor (a schedule is evaluated at `iterations`)."""
        value = self._get_current_learning_rate()
        if isinstance(value, torch.Tensor):
            return value
        return torch.tensor(value, dtype=torch.float32)

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        lr_value, schedule = _standardize_learning_rate(learning_rate)
        if schedule is not None:
            self._learning_rate = schedule
            if isinstance(schedule, learning_rate_schedule.LearningRateSchedule):
                self._set_group_learning_rates(float(schedule(self._iterations)))
            return
        if self._learning_rate is not None:
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` (or callable) as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. If you need "
                "the learning rate to be settable, you should instantiate the optimizer with a float "
                "`learning_rate` argument."
            )
        self._set_group_learning_rates(lr_value)

    def _set_group_learning_rates(self, value):
        for group in self.param_groups:
            group["lr"] = value

    def _get_current_learning_rate(self):
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if callable(self._learning_rate):
            return self._learning_rate()
        return self.param_groups[0]["lr"]

    def _group_learning_rates(self):
        """The learning rate of each param group for this update, as Python floats."""
        if self._learning_rate is None:
            return [group["lr"] for group in self.param_groups]
        cached = self._scheduled_lr_cache
        if (isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule) and cached is not None
                and cached[0] is self._learning_rate and cached[1] == int(self._iterations)):
            value = cached[2]
        else:
            value = float(self._get_current_learning_rate())
        self._set_group_learning_rates(value)
        return [value] * len(self.param_groups)

    def _refresh_scheduled_learning_rate(self):
        """After an update: evaluate a schedule at the new iteration, so that `param_groups[i]["lr"]` shows
        the rate of the next update (as after a torch LR scheduler's `step()`), and cache it for that
        update."""
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            value = float(self._learning_rate(self._iterations))
            self._scheduled_lr_cache = (self._learning_rate, int(self._iterations), value)
            self._set_group_learning_rates(value)

    @property
    def variables(self):
        """The optimizer's variables, in Keras's order, as tensors.

        `[iteration, learning_rate, *slots]`: the learning rate entry (a
        float32 snapshot) only when it is a plain float, then the slot
        variables (momentums, velocities, EMA averages...) in creation order.
        Slots and `iteration` are the live tensors.
        """
        out = [self._iterations]
        if self._learning_rate is None:
            out.append(torch.tensor(self.param_groups[0]["lr"], dtype=torch.float32))
        out.extend(self._resolve_record(record) for record in self._variable_records)
        return out

    def _resolve_record(self, record):
        param, key = record
        if param is None:
            return self._global_variables[key]
        return self.state[param][key]

    # ------------------------------------------------------------------ building

    def build(self, variables):
        """Attaches the variables to optimize and creates the optimizer's slot variables.

        Args:
            variables: An iterable of torchkeras `Variable`s, `nn.Parameter`s /
                tensors, or `(name, tensor)` pairs (`model.named_parameters()`).
        """
        if self.built:
            return
        variables = self._register_variables(variables, group_index=0)
        # Tensors attached through `add_param_group` before the optimizer was built.
        pending = [p for group in self.param_groups for p in group["params"]
                   if id(p) not in self._trainable_variables_indices]
        variables += self._register_variables(pending)
        self._create_slots(variables)
        self.built = True

    def _register_variables(self, variables, group_index=0):
        """Records `variables` and adds their tensors to param group `group_index`, unless already in one."""
        if isinstance(variables, (torch.Tensor, dict)) or not hasattr(variables, "__iter__"):
            raise TypeError(
                "`build()` expects an iterable of variables (tensors, torchkeras Variables or (name, tensor) "
                f"pairs). Received: {type(variables).__name__}"
            )
        in_groups = {id(p): index for index, group in enumerate(self.param_groups) for p in group["params"]}
        registered = []
        for variable in variables:
            name = None
            if isinstance(variable, tuple) and len(variable) == 2 and isinstance(variable[0], str):
                name, variable = variable
            tensor = _tensor_of(variable)
            if isinstance(tensor, torch.nn.parameter.UninitializedParameter):
                raise ValueError(
                    "Cannot attach an uninitialized (lazy) parameter to an optimizer: build the model first "
                    "(call it on data or call `model.build(input_shape)`)."
                )
            if not tensor.is_floating_point():
                raise TypeError(
                    f"Optimizers can only update floating point variables. Received a variable of dtype "
                    f"{tensor.dtype}" + (f" ({name})" if name else "")
                )
            if not tensor.is_leaf:
                raise ValueError("Cannot optimize a non-leaf tensor (one computed from others by autograd).")
            if id(tensor) in self._trainable_variables_indices:
                raise ValueError(
                    f"Variable {getattr(variable, 'path', name) or tuple(tensor.shape)} is given twice to the "
                    "optimizer."
                )
            if name is None:
                name = getattr(variable, "name", None)
            if name is not None:
                self._variable_names[id(tensor)] = str(name)
            self._trainable_variables_indices[id(tensor)] = len(self._params)
            self._params.append(tensor)
            self._trainable_variables.append(variable)
            if id(tensor) in in_groups:  # already in a param group (`add_param_group`)
                self._group_of[id(tensor)] = in_groups[id(tensor)]
            else:
                index = 0 if group_index is None else group_index
                self.param_groups[index]["params"].append(tensor)
                self._group_of[id(tensor)] = index
            registered.append(variable)
        return registered

    def _create_slots(self, variables):
        if self.use_ema:
            self._model_variables_moving_average = getattr(self, "_model_variables_moving_average", [])
            self._model_variables_moving_average += self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = getattr(self, "_accumulated_gradients", [])
            for variable in variables:
                self._accumulated_gradients.append(
                    self.add_variable_from_reference(variable, name="gradient_accumulator")
                )
        self._build_slots(variables)

    def _build_slots(self, variables):
        """Creates the slot variables of `variables` (built-in optimizers implement this)."""

    def add_param_group(self, param_group):
        """Adds a torch param group (`{"params": [...], "lr": ...}`); its tensors are attached as variables."""
        if not hasattr(self, "_params"):  # torch's __init__ adding the initial empty group
            return super().add_param_group(param_group)
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict. Received: {type(param_group).__name__}")
        params = param_group["params"]
        given = [params] if isinstance(params, torch.Tensor) else list(params)
        param_group = dict(param_group, params=[_tensor_of(v[1] if isinstance(v, tuple) else v) for v in given])
        if self.built and type(self).build is not Optimizer.build:
            raise NotImplementedError(
                f"{type(self).__name__} overrides `build()`, so parameters cannot be added to it once it is "
                "built. Add them before the first update, or use a built-in optimizer."
            )
        super().add_param_group(param_group)
        if self.built:
            variables = self._register_variables(given)
            self._create_slots(variables)
        return None

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        """Adds an optimizer variable not tied to a model variable; returns the tensor.

        It is created on the device of the first attached variable (the CPU before any is attached).
        """
        device = self._params[0].device if self._params else None
        return self._add_global_variable(shape, initializer, dtype, name, device)

    def _add_global_variable(self, shape, initializer, dtype, name, device):
        name = name or "variable"
        key, index = name, 1
        while key in self._global_variables:
            key, index = f"{name}_{index}", index + 1
        dtype = torch.float32 if dtype is None else _torch_dtype(dtype)
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        tensor = torch.as_tensor(value, dtype=dtype).to(device).detach().clone()
        self._global_variables[key] = tensor
        self._variable_records.append((None, key))
        return tensor

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Adds a slot variable shaped like `reference_variable` (same dtype, device and strides).

        Args:
            reference_variable: The model variable (Variable or tensor).
            name: The slot's name, e.g. `"momentum"`. Defaults to `"var"`.
            initializer: Initializer (or its name). Defaults to `"zeros"`.

        Returns:
            The slot tensor, also stored as `optimizer.state[param][name]`.
        """
        param = _tensor_of(reference_variable)
        name = name or "var"
        slots = self.state[param]
        if name in slots:
            raise ValueError(f"The optimizer already has a slot variable named {name!r} for this variable.")
        slots[name] = _make_slot(param, initializer)
        self._variable_records.append((param, name))
        return slots[name]

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Adds one slot per variable for each name in `name` (a string or a list of strings).

        Slots are created variable by variable, interleaving the names (Keras's order). Returns a list of
        tensors for a single name, else a tuple of lists.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(name, str) or isinstance(initializer, (str, initializers.Initializer)):
            inits = [initializer] * len(names)
        else:
            inits = list(initializer)
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided initializers. "
                f"Received name={name!r}, initializer={initializer!r}"
            )
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, init) in enumerate(zip(names, inits)):
                out[i].append(self.add_variable_from_reference(variable, name=slot_name, initializer=init))
        return out[0] if isinstance(name, str) else out

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(_tensor_of(variable))]

    def _check_variables_are_known(self, params):
        for param in params:
            if id(param) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable of shape {tuple(param.shape)}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of variables, you "
                    "should recreate a new optimizer instance."
                )

    # ------------------------------------------------------------------ applying gradients

    def apply_gradients(self, grads_and_vars):
        """Applies `(gradient, variable)` pairs; builds the optimizer on the first call.

        Returns:
            The `iterations` counter.
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs)
        self.apply(grads, variables)
        return self._iterations

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        """Updates the variables with `grads` (one per variable; `None` entries are skipped).

        Args:
            grads: List of gradient tensors, matching `trainable_variables`
                (or the variables the optimizer was built with).
            trainable_variables: Optional list of variables; on the first call
                it builds the optimizer.
        """
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list "
                    "of variables. Call `optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._params):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must match "
                    f"`optimizer.variables` one-to-one. Received a list of {len(grads)} gradients, but the "
                    f"optimizer is tracking {len(self._params)} trainable variables."
                )
            variables = list(self._trainable_variables)
            params = list(self._params)
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(
                    f"Received {len(grads)} gradients for {len(variables)} variables: they must match "
                    "one-to-one."
                )
            if not self.built:
                self.build(variables)
            params = [_tensor_of(v[1] if isinstance(v, tuple) else v) for v in variables]
            self._check_variables_are_known(params)

        kept_grads, kept_params, missing = [], [], []
        for grad, param, variable in zip(grads, params, variables):
            if grad is None:
                missing.append(getattr(variable, "path", None) or f"variable of shape {tuple(param.shape)}")
                continue
            if not isinstance(grad, torch.Tensor):
                grad = torch.as_tensor(np.asarray(grad), dtype=param.dtype, device=param.device)
            elif grad.is_sparse:
                grad = grad.to_dense()
            if grad.shape != param.shape:
                raise ValueError(
                    f"Gradient of shape {tuple(grad.shape)} does not match its variable "
                    f"{getattr(variable, 'path', '')} of shape {tuple(param.shape)}."
                )
            kept_grads.append(grad)
            kept_params.append(param)
        if not kept_grads:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                "`model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=2,
            )
        self._apply_filtered(kept_grads, kept_params)

    @torch.no_grad()
    def step(self, closure=None):
        """torch's `step()`: applies the `.grad` of every attached tensor that has one.

        Args:
            closure: Optional callable that re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not self.built:
            if not any(group["params"] for group in self.param_groups):
                raise ValueError(
                    f"Optimizer '{self.name}' has no variables to update. Attach them first with "
                    "`optimizer.build(model.parameters())` (or `model.trainable_variables`)."
                )
            self.build([])
        grads, params = [], []
        for param in self._params:
            grad = param.grad
            if grad is not None:
                grads.append(grad.to_dense() if grad.is_sparse else grad)
                params.append(param)
        if grads:
            self._apply_filtered(grads, params)
        return loss

    def _apply_filtered(self, grads, params):
        """Keras's `apply` once empty gradients are filtered out: unscale, accumulate or update, EMA,
        constraints, then count the iteration."""
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [self.state[p]["gradient_accumulator"] for p in params]
            if (int(self._iterations) + 1) % steps == 0:
                grads = torch._foreach_add(grads, accumulators)
                torch._foreach_div_(grads, steps)
                self._update(grads, params)
                torch._foreach_zero_([self.state[p]["gradient_accumulator"] for p in self._params])
            else:
                torch._foreach_add_(accumulators, grads)
        else:
            self._update(grads, params)

        if self.use_ema:
            self._update_model_variables_moving_average(self._params)
            if self.ema_overwrite_frequency and (self._iterations_value() + 1) % self.ema_overwrite_frequency == 0:
                self._overwrite_model_variables_with_average_value(self._params)

        for param in params:
            variable = self._trainable_variables[self._trainable_variables_indices[id(param)]]
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                param.copy_(constraint(param))
        self._iterations += 1
        self._refresh_scheduled_learning_rate()

    def _update(self, grads, params):
        grads = self._clip_gradients(grads)
        group_lrs = self._group_learning_rates()
        if len(self.param_groups) == 1:
            batches = [(grads, params, group_lrs[0])]
        else:
            split = {}
            for grad, param in zip(grads, params):
                split.setdefault(self._group_of[id(param)], ([], []))
                split[self._group_of[id(param)]][0].append(grad)
                split[self._group_of[id(param)]][1].append(param)
            batches = [(g, p, group_lrs[index]) for index, (g, p) in sorted(split.items())]
        for _, batch_params, lr in batches:
            self._apply_weight_decay(batch_params, lr)
        self._prepare_update()
        for batch_grads, batch_params, lr in batches:
            self._parallel_update_step(batch_grads, batch_params, lr)

    def _prepare_update(self):
        """Hook run once per update, before the per-group updates (Nadam advances its `u_product`)."""

    def _parallel_update_step(self, grads, params, learning_rate):
        """Updates `params` from `grads`. Default: Keras's `update_step` for each variable."""
        lr = torch.tensor(learning_rate, dtype=torch.float32)
        for grad, param in zip(grads, params):
            variable = self._trainable_variables[self._trainable_variables_indices[id(param)]]
            self.update_step(grad, variable, lr)

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable (Keras's per-variable hook, for Keras-style custom optimizers)."""
        if type(self)._parallel_update_step is not Optimizer._parallel_update_step:
            self._parallel_update_step([gradient], [_tensor_of(variable)], float(learning_rate))
            return
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step()`.")

    def _local_step(self):
        """`iterations + 1`, the step number of the update being applied (1 for the first)."""
        return self._iterations_value() + 1

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return _clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            bound = as_float32(self.clipvalue)
            clipped = torch._foreach_clamp_min(grads, -bound)
            torch._foreach_clamp_max_(clipped, bound)
            return clipped
        return grads

    # ------------------------------------------------------------------ weight decay

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay.

        Args:
            var_list: A list of variables (Variables or tensors) to exclude.
            var_names: A list of strings: a variable whose name contains any
                of them is excluded (`var_names=["bias"]` excludes all biases).
                Names are torchkeras `Variable` names, or the names given with
                `(name, tensor)` pairs.
        """
        self._exclude_from_weight_decay = {id(_tensor_of(v)) for v in (var_list or [])}
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names)))
        else:
            self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, param):
        key = id(param)
        cached = self._exclude_from_weight_decay_cache.get(key)
        if cached is not None:
            return cached
        use = key not in self._exclude_from_weight_decay
        if use and self._exclude_from_weight_decay_pattern is not None:
            name = self._variable_names.get(key)
            if name is not None and re.search(self._exclude_from_weight_decay_pattern, name) is not None:
                use = False
        self._exclude_from_weight_decay_cache[key] = use
        return use

    def _apply_weight_decay(self, params, learning_rate):
        if self.weight_decay is None:
            return
        decayed = [p for p in params if self._use_weight_decay(p)]
        if decayed:
            # Keras's torch backend: `var *= 1 - weight_decay * lr`, in float32 (its learning rate's dtype).
            factor = np.float32(1) - np.float32(self.weight_decay) * np.float32(learning_rate)
            torch._foreach_mul_(decayed, float(factor))

    # ------------------------------------------------------------------ EMA

    def _update_model_variables_moving_average(self, params):
        averages = [self.state[p]["average"] for p in params]
        f = _scalar_type(params[0].dtype)
        momentum = f(self._iterations_value() != 0) * f(as_float32(self.ema_momentum))
        torch._foreach_mul_(averages, float(momentum))
        torch._foreach_add_(averages, params, alpha=float(f(1) - momentum))

    def _overwrite_model_variables_with_average_value(self, variables):
        params = [_tensor_of(v) for v in variables]
        if len(params) != len(self._params):
            raise ValueError(
                f"The length of model variables ({len(params)}) to override does not match the length of model "
                f"variables stored in the optimizer ({len(self._params)}). Please check if the optimizer was "
                "called on your model."
            )
        with torch.no_grad():
            for param in params:
                param.copy_(self.state[param]["average"])

    def finalize_variable_values(self, var_list):
        """With `use_ema=True`, overwrites the variables with their moving averages (end of training)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    # ------------------------------------------------------------------ Keras helpers

    def scale_loss(self, loss):
        """Multiplies the loss by `loss_scale_factor` (if set) before gradients are computed."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def assign(self, variable, value):
        """Assigns `value` to a variable (model or optimizer variable) in place."""
        with torch.no_grad():
            if isinstance(variable, torch.Tensor):
                variable.copy_(value)
            else:
                variable.assign(value)

    def assign_add(self, variable, value):
        """Adds `value` to a variable in place."""
        with torch.no_grad():
            if isinstance(variable, torch.Tensor):
                variable.add_(value)
            else:
                variable.assign_add(value)

    def assign_sub(self, variable, value):
        """Subtracts `value` from a variable in place."""
        with torch.no_grad():
            if isinstance(variable, torch.Tensor):
                variable.sub_(value)
            else:
                variable.assign_sub(value)

    def set_weights(self, weights):
        """Sets the optimizer's variables from a list of arrays, in the order of `variables`."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
                "`optimizer.build(trainable_variables)` to create the optimizer weights before calling "
                "`set_weights()`."
            )
        current = self.variables
        if len(weights) != len(current):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(current)} variables; received {len(weights)} weights."
            )
        with torch.no_grad():
            for index, (variable, weight) in enumerate(zip(current, weights)):
                weight = torch.as_tensor(np.asarray(weight))
                if tuple(weight.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"Optimizer variable {index} has shape {tuple(variable.shape)} not compatible with "
                        f"provided weight shape {tuple(weight.shape)}."
                    )
                if index == 1 and self._learning_rate is None:
                    self._set_group_learning_rates(float(weight))
                else:
                    variable.copy_(weight)

    def save_own_variables(self, store):
        """Writes the optimizer's variables into `store` (`"0"`, `"1"`, ... as Keras's `.keras` files)."""
        for index, variable in enumerate(self.variables):
            store[str(index)] = variable.detach().cpu().numpy()

    def load_own_variables(self, store):
        """Loads variables written by `save_own_variables` (or by real Keras)."""
        if len(store.keys()) != len(self.variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has {len(self.variables)} "
                f"variables whereas the saved optimizer has {len(store.keys())} variables. "
            )
            if not self.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    # ------------------------------------------------------------------ torch state

    def state_dict(self):
        """torch's optimizer `state_dict()`, plus a `"keras_state"` entry (the iteration counter and the
        optimizer variables that belong to no single parameter)."""
        state_dict = super().state_dict()
        state_dict["keras_state"] = {"iterations": self._iterations, "variables": dict(self._global_variables)}
        return state_dict

    def load_state_dict(self, state_dict):
        """Loads a `state_dict()`; slot tensors are updated in place (so references to them stay valid)."""
        state_dict = dict(state_dict)
        keras_state = state_dict.pop("keras_state", None)
        saved_groups = state_dict.get("param_groups", [])
        if not self.built and any(group["params"] for group in saved_groups):
            raise ValueError(
                f"Cannot load a state dict into optimizer '{self.name}' before it is built: attach the "
                "variables first with `optimizer.build(variables)`."
            )
        saved_ids = [i for group in saved_groups for i in group["params"]]
        own_params = [p for group in self.param_groups for p in group["params"]]
        if len(saved_ids) == len(own_params):
            for saved_id, param in zip(saved_ids, own_params):
                saved = state_dict.get("state", {}).get(saved_id, {})
                unknown = set(saved) - set(self.state[param])
                if unknown:
                    raise ValueError(
                        f"The state dict holds optimizer state {sorted(unknown)} that {type(self).__name__} "
                        f"'{self.name}' does not have (its slots: {sorted(self.state[param])}). Was it saved "
                        "from a different optimizer, or one with other options?"
                    )
        old_state = {p: dict(self.state[p]) for p in own_params}
        super().load_state_dict(state_dict)
        with torch.no_grad():
            for param, old_slots in old_state.items():
                new_slots = self.state[param]
                for key, old in old_slots.items():
                    new = new_slots.get(key)
                    if new is not None:
                        if tuple(new.shape) != tuple(old.shape):
                            raise ValueError(
                                f"Optimizer state {key!r} of shape {tuple(new.shape)} does not match its variable "
                                f"of shape {tuple(old.shape)}."
                            )
                        old.copy_(new)
                    new_slots[key] = old
            if keras_state is not None:
                self._iterations.copy_(torch.as_tensor(keras_state["iterations"]))
                for key, value in keras_state.get("variables", {}).items():
                    if key in self._global_variables:
                        self._global_variables[key].copy_(torch.as_tensor(value))

    # Lookups keyed by `id(tensor)`: ids do not survive pickling, so they travel as (tensor, value) pairs.
    _ID_KEYED = ("_trainable_variables_indices", "_variable_names", "_group_of")

    def __getstate__(self):
        # torch's Optimizer pickles only defaults / state / param_groups; keep Keras's attributes too.
        state = dict(self.__dict__)
        by_id = {id(tensor): tensor for tensor in self._params}
        for group in self.param_groups:
            by_id.update((id(tensor), tensor) for tensor in group["params"])
        for name in self._ID_KEYED:
            state[name] = [(by_id[key], value) for key, value in state[name].items() if key in by_id]
        state["_exclude_from_weight_decay"] = [by_id[key] for key in state["_exclude_from_weight_decay"]
                                               if key in by_id]
        state["_exclude_from_weight_decay_cache"] = {}
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name in self._ID_KEYED:
            if isinstance(state.get(name), list):
                state[name] = {id(tensor): value for tensor, value in state[name]}
        if isinstance(state.get("_exclude_from_weight_decay"), list):
            state["_exclude_from_weight_decay"] = {id(tensor) for tensor in state["_exclude_from_weight_decay"]}
        super().__setstate__(state)

    # ------------------------------------------------------------------ config

    def get_config(self):
        """Returns the optimizer's config (Keras's keys and values)."""
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            learning_rate = learning_rate_schedule.serialize(self._learning_rate)
        elif self._learning_rate is not None:
            from torchkeras.saving import serialization

            learning_rate = serialization.serialize_keras_object(self._learning_rate)
        else:
            # Keras stores the learning rate in a float32 variable and reports that value.
            learning_rate = float(np.float32(self.param_groups[0]["lr"]))
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer from its config (the output of `get_config()`)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from torchkeras.saving import serialization

            config["learning_rate"] = serialization.deserialize_keras_object(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)


def _torch_dtype(dtype):
    if isinstance(dtype, torch.dtype):
        return dtype
    from torchkeras import backend

    return backend.to_torch_dtype(dtype)


def _make_slot(param, initializer):
    """A slot tensor shaped (and laid out) like `param`, on its device, filled by `initializer`."""
    if isinstance(initializer, str) and initializer in ("zeros", "Zeros", "zero"):
        return torch.zeros_like(param, memory_format=torch.preserve_format)
    initializer = initializers.get(initializer)
    if isinstance(initializer, initializers.Zeros):
        return torch.zeros_like(param, memory_format=torch.preserve_format)
    if isinstance(initializer, initializers.Constant) and np.ndim(initializer.value) == 0:
        return torch.full_like(param, float(initializer.value), memory_format=torch.preserve_format)
    value = initializer(tuple(param.shape), dtype=param.dtype)
    slot = torch.empty_like(param, memory_format=torch.preserve_format)
    slot.copy_(torch.as_tensor(value))
    return slot
