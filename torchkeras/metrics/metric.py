"""`Metric`: Keras's stateful metric as a `torch.nn.Module` whose state is a set of buffers.

Mirrors `keras/src/metrics/metric.py`. A metric accumulates statistics with `update_state()`, reports
them with `result()` and forgets them with `reset_state()`. Its state variables are created with
`add_variable()` (usually in `__init__`) and are ordinary torch buffers of the module: they move with
`.to(device)`, appear in `state_dict()`, never require grad, and are updated under `torch.no_grad()`.

Every state variable has an `aggregation` (`"sum"` by default, as in Keras) saying how copies of it held
by several processes combine into one: `state_tensors()` and `state_aggregations()` give a trainer what it
needs to `all_reduce` them, and `all_reduce_state()` does it with `torch.distributed`.
"""

import functools

import numpy as np
import torch
from torch import nn

from torchkeras import backend
from torchkeras import dtype_policies
from torchkeras import initializers
from torchkeras.api_export import keras_export
from torchkeras.utils import naming
from torchkeras.variables import Variable

AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


class MetricVariable(Variable):
    """One state variable of a metric: a torch buffer of the metric, seen through Keras's `Variable` API
    (`.assign()`, `.assign_add()`, `.numpy()`, `.path`, `.shape`, `.dtype`, arithmetic).

    `aggregation` says how copies of the variable held by several processes combine: `"sum"`, `"mean"`,
    `"only_first_replica"` (take process 0's) or `"none"` (leave each process its own).
    """

    __slots__ = ("aggregation",)

    def __init__(self, owner, attr, name, path, aggregation):
        super().__init__(owner, attr, name, path, trainable=False)
        self.aggregation = aggregation

    def __repr__(self):
        return (
            f"<MetricVariable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"aggregation={self.aggregation}, value={np.array2string(self.numpy(), threshold=6)}>"
        )


def _no_grad(method):
    """Runs a metric method without autograd: metric state never takes part in a backward pass."""
    if getattr(method, "_torchkeras_no_grad", False):
        return method

    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        with torch.no_grad():
            return method(*args, **kwargs)

    wrapped._torchkeras_no_grad = True
    return wrapped


def _standardize_metric_dtype(dtype):
    """The compute dtype name of a metric: floating dtypes go through the dtype policies (so
    `"mixed_float16"` means `"float16"`), integer dtypes are taken as they are (`"int"` is int32, as in
    Keras)."""
    if dtype is None:
        return dtype_policies.get(backend.floatx()).compute_dtype
    if isinstance(dtype, dtype_policies.DTypePolicy):
        return dtype.compute_dtype
    if isinstance(dtype, dict):
        return dtype_policies.get(dtype).compute_dtype
    if dtype == "int":
        return "int32"
    try:
        name = backend.standardize_dtype(dtype)
    except ValueError:
        name = None
    if name is not None and not backend.is_float_dtype(name):
        return name
    try:
        return dtype_policies.get(dtype).compute_dtype
    except ValueError:
        raise ValueError(
            "Invalid `dtype` for a metric. Expected a dtype name (`'float32'`, `'int32'`, ...), a dtype "
            f"policy name (`'mixed_float16'`) or a `DTypePolicy`. Received: dtype={dtype!r}"
        ) from None


@keras_export("keras.Metric", "keras.metrics.Metric")
class Metric(nn.Module):
    """Encapsulates metric logic and state.

    Args:
        name: Optional name for the metric instance; by default the snake-cased class name made unique
            (`precision`, `precision_1`, ...).
        dtype: The dtype of the metric's computations. Defaults to `None`, which means
            `keras.backend.floatx()` (`"float32"`). With a dtype policy (`"mixed_float16"`), its
            compute dtype is used.

    Example:

    ```python
    m = SomeMetric(...)
    for input in ...:
        m.update_state(input)
    print('Final result: ', m.result())
    ```

    To be implemented by subclasses:

    * `__init__()`: All state variables should be created in this method by calling
      `self.add_variable()` like: `self.var = self.add_variable(...)`
    * `update_state()`: Has all updates to the state variables like: `self.var.assign(...)`.
    * `result()`: Computes and returns a scalar value or a dict of scalar values for the metric from
      the state variables.

    Example subclass implementation:

    ```python
    class BinaryTruePositives(Metric):

        def __init__(self, name='binary_true_positives', **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), initializer='zeros', name='true_positives')

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = torch.logical_and(y_true.bool(), y_pred.bool()).float()
            if sample_weight is not None:
                values = values * sample_weight
            self.true_positives.assign(self.true_positives + values.sum())

        def result(self):
            return self.true_positives.value.clone()
    ```

    The state is made of torch buffers: `metric.to(device)` moves it, and `update_state` moves it to
    the device of the tensors it is given. Methods `update_state`, `result` and `reset_state` of every
    subclass run under `torch.no_grad()`.

    Distributed training: `state_tensors()` lists the state tensors and `state_aggregations()` how each
    combines across processes (`"sum"` for every built-in metric); `all_reduce_state()` applies them with
    `torch.distributed`.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for method in ("update_state", "result", "reset_state"):
            if method in cls.__dict__:
                setattr(cls, method, _no_grad(cls.__dict__[method]))

    def __init__(self, dtype=None, name=None):
        super().__init__()
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Argument `name` must be a string. Received: name={name!r}")
        self.name = name or naming.auto_name(naming.to_snake_case(type(self).__name__))
        self._dtype = _standardize_metric_dtype(dtype)
        self._metric_variables = []

    # ----------------------------------------------------------------------------------------- state

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a state variable of the metric (a buffer) and returns it as a `MetricVariable`.

        Args:
            shape: Shape tuple; `()` for a scalar.
            initializer: Initializer name, object or callable (`"zeros"`).
            dtype: Dtype of the variable; `None` means `keras.backend.floatx()` (as in Keras, not the
                metric's own dtype).
            aggregation: How copies of the variable held by several processes combine: one of
                `"sum"` (default), `"mean"`, `"only_first_replica"`, `"none"`.
            name: The variable's name (`"total"`); its path is `"<metric name>/<name>"`.
        """
        self._check_super_called()
        if aggregation not in AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `aggregation` of metric '{self.name}'. Expected one of "
                f"{list(AGGREGATIONS)}. Received: aggregation={aggregation!r}"
            )
        shape = () if shape is None else tuple(shape)
        for dim in shape:
            if not isinstance(dim, (int, np.integer)) or dim < 0:
                raise ValueError(
                    f"Invalid shape for variable `{name}` of metric '{self.name}'. Expected a tuple of "
                    f"non-negative integers. Received: shape={shape}"
                )
        shape = tuple(int(d) for d in shape)
        dtype = backend.standardize_dtype(dtype or backend.floatx())
        initializer = initializers.get(initializer)
        value = initializer(shape, dtype=dtype)
        if not isinstance(value, torch.Tensor):
            value = backend.convert_to_tensor(value, dtype=dtype)
        device = self._state_device()
        tensor = value.detach().to(device=device, dtype=backend.to_torch_dtype(dtype)).clone()
        attr = self._attribute_for_variable(name or "variable")
        self.register_buffer(attr, tensor)
        variable = MetricVariable(self, attr, name or "variable", f"{self.name}/{name or 'variable'}",
                                  aggregation)
        self._metric_variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Backwards compatibility alias of `add_variable`."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def _attribute_for_variable(self, name):
        attr = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "variable"
        if attr[0].isdigit():
            attr = "_" + attr
        candidate, index = attr, 1
        while (
            candidate in self._buffers
            or candidate in self._modules
            or candidate in self._parameters
            or hasattr(type(self), candidate)
        ):
            candidate = f"{attr}_{index}"
            index += 1
        return candidate

    @property
    def variables(self):
        """The metric's state variables (`MetricVariable`s), then those of the metrics it holds."""
        variables = list(self._metric_variables)
        for metric in self._sub_metrics():
            variables.extend(metric.variables)
        return variables

    def _sub_metrics(self):
        return [m for m in self._modules.values() if isinstance(m, Metric)]

    def state_tensors(self):
        """The live state tensors, in the order of `variables`.

        They are the metric's buffers themselves: a trainer may reduce them in place across processes
        (see `state_aggregations()` and `all_reduce_state()`).
        """
        return [variable.value for variable in self.variables]

    def state_aggregations(self):
        """How each tensor of `state_tensors()` combines across processes: `"sum"`, `"mean"`,
        `"only_first_replica"` or `"none"` (one string per tensor, same order)."""
        return [variable.aggregation for variable in self.variables]

    def all_reduce_state(self, group=None):
        """Replaces the local state by the state of all processes of `group` combined, in place.

        `"sum"` variables are summed, `"mean"` ones averaged, `"only_first_replica"` ones take the
        value of the group's first process and `"none"` ones are left alone. Call it after the last
        `update_state` of an epoch and before `result()`: afterwards every process holds the global
        state, so reducing again without a `reset_state()` in between would count it twice.

        Every process must call it, with metrics whose state has the same shapes (metrics that create
        their state on the first update, such as `R2Score`, must have seen data everywhere). Without an
        initialized `torch.distributed` process group this does nothing.

        Args:
            group: The `torch.distributed` process group; `None` is the default group.
        """
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return
        variables = self.variables
        world_size = dist.get_world_size(group)
        # Metrics that build their state lazily could differ in variable count between processes, and
        # mismatched collectives hang: check first.
        tensors = [v.value for v in variables]
        device = tensors[0].device if tensors else self._collective_device(group)
        counts = torch.tensor([len(tensors), -len(tensors)], device=device, dtype=torch.int64)
        dist.all_reduce(counts, op=dist.ReduceOp.MAX, group=group)
        if counts[0].item() != len(tensors) or -counts[1].item() != len(tensors):
            raise ValueError(
                f"Cannot all-reduce the state of metric '{self.name}': processes hold different numbers "
                f"of state variables (between {-counts[1].item()} and {counts[0].item()}; this process "
                f"has {len(tensors)}). Metrics that create their state on the first update must see "
                "data on every process before their state is reduced."
            )
        with torch.no_grad():
            # One collective per (aggregation, dtype): flatten, reduce, write back.
            groups = {}
            for variable in variables:
                if variable.aggregation in ("sum", "mean"):
                    key = (variable.aggregation, variable.value.dtype)
                    groups.setdefault(key, []).append(variable.value)
                elif variable.aggregation == "only_first_replica":
                    src = 0 if group is None else dist.get_global_rank(group, 0)
                    dist.broadcast(variable.value, src=src, group=group)
            for (aggregation, _), members in groups.items():
                flat = torch.cat([t.reshape(-1) for t in members])
                dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=group)
                if aggregation == "mean":
                    if flat.is_floating_point():
                        flat /= world_size
                    else:
                        flat //= world_size
                offset = 0
                for t in members:
                    t.copy_(flat[offset:offset + t.numel()].view_as(t))
                    offset += t.numel()

    @staticmethod
    def _collective_device(group):
        import torch.distributed as dist

        if dist.get_backend(group) == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    def _state_device(self):
        """Where the state lives: its buffers' device; for a metric whose state is not created yet, the
        device it was last moved to or fed data on (CPU by default)."""
        for tensor in self._buffers.values():
            if tensor is not None:
                return tensor.device
        return self.__dict__.get("_device_hint") or torch.device("cpu")

    def _sync_device(self, *values):
        """Moves the state to the device of the first torch tensor among `values` and returns that
        device (the state's own device if none is a tensor)."""
        for value in values:
            if isinstance(value, torch.Tensor):
                device = value.device
                if device != self._state_device():
                    self.to(device)
                return device
        return self._state_device()

    def _apply(self, fn, *args, **kwargs):
        # `.to()`, `.cuda()`, `.cpu()` all come here: remember the device for state created later.
        try:
            self.__dict__["_device_hint"] = fn(torch.empty(0, device=self._state_device())).device
        except Exception:  # a function that is not a device move (for example `.half()` on ints)
            pass
        return super()._apply(fn, *args, **kwargs)

    # ------------------------------------------------------------------------------------ Keras API

    def reset_state(self):
        """Resets all of the metric state variables to zeros.

        This function is called between epochs/steps, when a metric is evaluated during training.
        """
        for variable in self.variables:
            variable.value.zero_()

    def update_state(self, *args, **kwargs):
        """Accumulates statistics for the metric."""
        raise NotImplementedError(f"Metric {type(self).__name__} does not implement `update_state()`.")

    def result(self):
        """Computes the current metric value.

        Returns:
            A scalar tensor, or a dictionary of scalar tensors.
        """
        raise NotImplementedError(f"Metric {type(self).__name__} does not implement `result()`.")

    def _stateless(self, metric_variables, fn):
        variables = self.variables
        if len(metric_variables) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(variables)} variables."
            )
        originals = [(v._owner, v._attr, v.value) for v in variables]
        try:
            for variable, value in zip(variables, metric_variables):
                variable._owner._buffers[variable._attr] = torch.as_tensor(
                    value, dtype=variable.value.dtype, device=variable.value.device
                ).clone()
            output = fn()
            new_values = [v.value for v in variables]
        finally:
            for owner, attr, tensor in originals:
                owner._buffers[attr] = tensor
        return output, new_values

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """Runs `update_state` on the given state tensors and returns the new ones; the metric's own
        state is left unchanged."""
        _, new_values = self._stateless(metric_variables, lambda: self.update_state(*args, **kwargs))
        return new_values

    def stateless_result(self, metric_variables):
        """Computes `result()` from the given state tensors instead of the metric's own state."""
        output, _ = self._stateless(metric_variables, self.result)
        return output

    def stateless_reset_state(self):
        """Returns the state tensors `reset_state()` would leave, without changing the metric."""
        _, new_values = self._stateless(self.state_tensors(), self.reset_state)
        return new_values

    @property
    def dtype(self):
        """The compute dtype name of the metric (`"float32"`)."""
        return self._dtype

    def __call__(self, *args, **kwargs):
        """Updates the state with the given batch, then returns `result()` (as Keras does)."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def forward(self, *args, **kwargs):
        """Same as calling the metric: `update_state(...)` then `result()`."""
        return self(*args, **kwargs)

    def get_config(self):
        """Returns the serializable config of the metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Creates a metric from its config (the output of `get_config()`)."""
        return cls(**config)

    def __setattr__(self, name, value):
        if isinstance(value, MetricVariable):
            # The variable's buffer is registered under its own name; the attribute holds the Keras view.
            object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)

    def _check_super_called(self):
        if "_metric_variables" not in self.__dict__:
            raise RuntimeError(
                f"You forgot to call `super().__init__()` in the `__init__()` method of "
                f"{type(self).__name__}. Go add it!"
            )

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    def __str__(self):
        return self.__repr__()
