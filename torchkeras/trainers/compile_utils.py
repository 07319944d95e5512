"""What `compile(loss=..., loss_weights=..., metrics=..., weighted_metrics=...)` becomes, as Keras's
`keras/src/trainers/compile_utils.py` resolves it.

- `CompileLoss`: one loss per output, given once for all outputs, as a list (by position) or as a dict
  keyed by output names; `loss_weights` likewise. With several losses, each gets a `Mean` tracker named
  `"<output>_loss"` (Keras's History keys `digit_loss`, `is_hard_loss`).
- `CompileMetrics`: metrics and weighted metrics per output, named `"<output>_<metric>"` when the model
  has several outputs (`digit_accuracy`).
- `"accuracy"`/`"acc"` and the loss `"crossentropy"`/`"ce"` resolve from the shapes of the targets and
  predictions exactly as Keras's `get_metric`/`get_loss` do: a prediction with last axis 1 is binary;
  integer labels of lower rank (or with last axis 1 against a wider prediction) are sparse categorical;
  anything else is categorical.

Model outputs may be a single tensor, a list/tuple of tensors, or a dict of tensors (one level; deeper
output structures are not supported and raise a `ValueError`).
"""

import torch

from torchkeras import losses as losses_module
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank
from torchkeras import metrics as metrics_module
from torchkeras.utils import naming

_ACCURACY_NAMES = ("accuracy", "acc")
_CROSSENTROPY_NAMES = ("crossentropy", "ce")


def get_object_name(obj):
    """Keras's `naming.get_object_name`: `obj.name`, else the snake-cased function or class name."""
    if hasattr(obj, "name") and isinstance(obj.name, str):
        return obj.name
    if hasattr(obj, "__name__"):
        return naming.to_snake_case(obj.__name__)
    return naming.to_snake_case(type(obj).__name__)


def is_binary_or_sparse_categorical(y_true, y_pred):
    """`(is_binary, is_sparse_categorical)` from the shapes, as Keras decides them."""
    y_t_rank, y_p_rank = len(y_true.shape), len(y_pred.shape)
    y_t_last = y_true.shape[-1] if y_t_rank else None
    y_p_last = y_pred.shape[-1] if y_p_rank else None
    is_binary = y_p_last == 1
    is_sparse_categorical = y_t_rank < y_p_rank or y_t_last == 1 and y_p_last is not None and y_p_last > 1
    return is_binary, is_sparse_categorical


def _lookup_error(kind, identifier, error):
    examples = {
        "loss": "'mse', 'sparse_categorical_crossentropy', a `keras.losses.Loss` or a function "
                "`fn(y_true, y_pred)`",
        "metric": "'accuracy', 'mae', 'auc', a `keras.metrics.Metric` or a function `fn(y_true, y_pred)`",
    }[kind]
    return ValueError(
        f"Unknown {kind}: {identifier!r}. Expected the name of a Keras {kind} ({examples}). "
        f"Received: {kind}={identifier!r} ({error})"
    )


def _get_loss_object(identifier):
    try:
        loss = losses_module.get(identifier)
    except (ValueError, TypeError, KeyError) as error:
        raise _lookup_error("loss", identifier, error) from None
    if loss is None or not callable(loss):
        raise _lookup_error("loss", identifier, "not a loss")
    return loss


def _get_metric_object(identifier):
    try:
        metric = metrics_module.get(identifier)
    except (ValueError, TypeError, KeyError) as error:
        raise _lookup_error("metric", identifier, error) from None
    if metric is None or not callable(metric):
        raise _lookup_error("metric", identifier, "not a metric")
    return metric


def check_loss_identifier(identifier):
    """Raises the clear `ValueError` for a loss name Keras does not know (shape-resolved aliases aside)."""
    if isinstance(identifier, str) and identifier.lower() not in _CROSSENTROPY_NAMES:
        _get_loss_object(identifier)


def check_metric_identifier(identifier):
    """Raises the clear `ValueError` for a metric name Keras does not know (accuracy aliases aside)."""
    if identifier is None:
        raise ValueError("Expected a metric, received `None` in `metrics`.")
    if isinstance(identifier, str) and identifier.lower() not in _ACCURACY_NAMES:
        _get_metric_object(identifier)


def get_metric(identifier, y_true, y_pred):
    """A `Metric` for `identifier`, with `"accuracy"`/`"acc"` resolved from the shapes (Keras's rule)."""
    if identifier is None:
        raise ValueError("Expected a metric, received `None`.")
    if str(identifier).lower() not in _ACCURACY_NAMES:
        metric = _get_metric_object(identifier)
    else:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            metric = metrics_module.BinaryAccuracy(name=str(identifier))
        elif is_sparse:
            metric = metrics_module.SparseCategoricalAccuracy(name=str(identifier))
        else:
            metric = metrics_module.CategoricalAccuracy(name=str(identifier))
    name = identifier if isinstance(identifier, str) else get_object_name(metric)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric)
    metric.name = name
    return metric


def get_loss(identifier, y_true, y_pred):
    """A `Loss` for `identifier` (None for none), with `"crossentropy"`/`"ce"` resolved from shapes."""
    if identifier is None:
        return None
    if str(identifier).lower() not in _CROSSENTROPY_NAMES:
        loss = _get_loss_object(identifier)
    else:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            loss = losses_module.binary_crossentropy
        elif is_sparse:
            loss = losses_module.sparse_categorical_crossentropy
        else:
            loss = losses_module.categorical_crossentropy
    if not isinstance(loss, losses_module.Loss):
        name = identifier if isinstance(identifier, str) else get_object_name(loss)
        loss = losses_module.LossFunctionWrapper(loss, name=name)
    return loss


# ---------------------------------------------------------------------------------------- outputs


class OutputSlots:
    """How the model's outputs are addressed: a single tensor, positions of a list, or dict keys.

    Args:
        y_pred: One batch of predictions (decides the structure).
        output_names: The model's output names (functional models), or None.
    """

    def __init__(self, y_pred, output_names=None):
        if isinstance(y_pred, dict):
            self.kind = "dict"
            keys = list(y_pred)
            if output_names and set(output_names) == set(keys):
                keys = list(output_names)
            elif type(y_pred) is dict:
                keys = sorted(keys)  # Keras's tree.flatten order for a plain dict
            self.keys = keys
            self.names = list(keys)
            leaves = [y_pred[k] for k in keys]
        elif isinstance(y_pred, (list, tuple)):
            self.kind = "list"
            self.keys = list(range(len(y_pred)))
            names = list(output_names) if output_names and len(output_names) == len(y_pred) else None
            self.names = names or [None] * len(y_pred)
            leaves = list(y_pred)
        else:
            self.kind = "single"
            self.keys = [None]
            self.names = [output_names[0] if output_names and len(output_names) == 1 else None]
            leaves = [y_pred]
        for leaf in leaves:
            if not isinstance(leaf, torch.Tensor) and not hasattr(leaf, "shape"):
                raise ValueError(
                    "Model outputs must be tensors, or a flat list or dict of tensors. Received an output "
                    f"structure containing {type(leaf).__name__}"
                )
        self.count = len(self.keys)
        self.output_names = output_names

    def flatten_pred(self, y_pred):
        if self.kind == "single":
            return [y_pred]
        if self.kind == "dict":
            return [y_pred[k] for k in self.keys]
        return list(y_pred)

    def flatten_like(self, y, what, allow_partial=False):
        """`y` (targets or sample weights) as a list in output order; `None` where no value is given.

        A dict is matched by output name (or output key); a list/tuple by position; a single array
        goes to a single output. Keys that name no output raise a `ValueError` naming the outputs.
        """
        expected = [n for n in self.names if n is not None]
        if self.kind == "single":
            if isinstance(y, dict):
                if len(y) != 1 or (expected and list(y) != expected):
                    raise ValueError(
                        f"`{what}` is a dict with keys {sorted(y)}, but the model has one output"
                        + (f" named {expected[0]!r}." if expected else ".")
                        + f" Expected a single array (or a dict keyed by {expected})."
                    )
                return [next(iter(y.values()))]
            if isinstance(y, (list, tuple)):
                if len(y) != 1:
                    raise ValueError(
                        f"The model has one output, but `{what}` is a {type(y).__name__} of {len(y)} "
                        "arrays. Expected a single array."
                    )
                return [y[0]]
            return [y]
        if isinstance(y, dict):
            valid = list(self.keys) if self.kind == "dict" else list(self.names)
            if self.kind == "list" and self.output_names is None:
                raise ValueError(
                    f"`{what}` is a dict keyed by {sorted(y)}, but the model's outputs are a list without "
                    f"names. Pass `{what}` as a list of {self.count} arrays (one per output)."
                )
            unknown = [k for k in y if k not in valid]
            if unknown:
                raise ValueError(
                    f"`{what}` has key(s) {unknown} that name no output of the model. Expected keys "
                    f"among the output names {valid}. Received keys: {list(y)}"
                )
            return [y.get(k) for k in valid]
        if isinstance(y, (list, tuple)):
            if len(y) == self.count:
                return list(y)
            if allow_partial:
                return None
            raise ValueError(
                f"The model has {self.count} outputs {[n for n in self.names]}, but `{what}` is a "
                f"{type(y).__name__} of {len(y)} arrays. Expected one per output (a list in output order "
                "or a dict keyed by output names)."
            )
        if allow_partial:
            return None
        raise ValueError(
            f"The model has {self.count} outputs {[n for n in self.names]}, but `{what}` is a single "
            f"array of shape {tuple(getattr(y, 'shape', ()))}. Expected one array per output (a list in "
            "output order or a dict keyed by output names)."
        )


def update_mean(tracker, value, count):
    """`tracker.update_state(value, sample_weight=count)` for a scalar `value`: for a plain `Mean`, the
    two in-place updates it comes down to (`total += value * count`, `count += count`), without the
    conversions and broadcasting checks a general update needs."""
    if type(tracker) is metrics_module.Mean and isinstance(value, torch.Tensor) and value.dim() == 0:
        total = tracker.total.value
        if total.device == value.device and value.dtype is total.dtype:
            total.add_(value.detach() * count)
            tracker.count.value.add_(count)
            return
    tracker.update_state(value, sample_weight=count)


def _is_nested(value):
    return isinstance(value, (list, tuple, dict))


def _direct_call(loss):
    """A `_DirectCall` for a plain `LossFunctionWrapper` (a built-in loss given by name, or a function);
    `None` for any other loss."""
    from torchkeras.losses.loss import Loss

    if (type(loss) is losses_module.LossFunctionWrapper and type(loss).__call__ is Loss.__call__
            and type(loss).call is losses_module.LossFunctionWrapper.call
            and loss.reduction in ("sum_over_batch_size", "mean") and loss.dtype == "float32"):
        return _DirectCall(loss.fn, loss._fn_kwargs)
    return None


class _DirectCall:
    """A faster equivalent of `loss(y_true, y_pred)` for a `LossFunctionWrapper` in the common case:
    float32 predictions without a mask, a target tensor on the same device, no sample weights.

    `Loss.__call__` then comes down to: cast the target to float32 (skipped for the integer labels of
    sparse categorical crossentropy, which casts them back to integers first thing), match ranks, call
    the function, and average (`sum / count` is what `torch.mean` computes). A call outside the case
    returns `None`, and the caller then calls the loss itself. (A class rather than a closure, so that a
    compiled model pickles.)
    """

    def __init__(self, fn, kwargs):
        self.fn = fn
        self.kwargs = kwargs
        self.integer_labels_ok = fn is losses_module.sparse_categorical_crossentropy

    def __call__(self, y_true, y_pred):
        float32 = torch.float32
        if (type(y_true) is not torch.Tensor or type(y_pred) is not torch.Tensor or y_pred.dtype is not float32
                or y_true.device != y_pred.device or getattr(y_pred, "_keras_mask", None) is not None):
            return None
        if y_true.dtype is not float32 and not (self.integer_labels_ok and not y_true.is_floating_point()):
            y_true = y_true.to(float32)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        values = self.fn(y_true, y_pred, **self.kwargs)
        if getattr(values, "_keras_mask", None) is not None:
            return None
        if values.dtype is not float32:
            values = values.to(float32)
        if values.dim() == 0 or values.numel() == 0:
            return values
        return torch.mean(values)


class CompileLoss:
    """The compiled loss: per-output losses, their weights, and per-output loss trackers.

    Args:
        loss: A loss identifier (name, `Loss`, function), a list (one per output, or several for one
            output), or a dict keyed by output names.
        loss_weights: Optional float, list or dict in the structure of `loss`.
        output_names: The model's output names, if it has them.
    """

    def __init__(self, loss, loss_weights=None, reduction="sum_over_batch_size", output_names=None):
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, dict, float, int)):
            raise ValueError(
                "Expected `loss_weights` argument to be a float (single output case) or a list, tuple, or "
                "dict (multiple output case). "
                f"Received instead: loss_weights={loss_weights!r} of type {type(loss_weights).__name__}"
            )
        for identifier in _leaves(loss):
            check_loss_identifier(identifier)
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.output_names = output_names
        self.reduction = reduction
        self.name = "compile_loss"
        self.built = False
        self._metrics = []
        self._flat_losses = []  # [output index, Loss, weight or None, tracker or None, name, fast call or None]
        self._slots = None

    @property
    def metrics(self):
        return list(self._metrics)

    @property
    def variables(self):
        return [v for m in self._metrics for v in m.variables]

    def build(self, y_true, y_pred):
        slots = OutputSlots(y_pred, self.output_names)
        loss, weights = self._user_loss, self._user_loss_weights
        flat_pred = slots.flatten_pred(y_pred)
        entries = []  # (output index, identifier, weight)

        if isinstance(loss, dict):
            valid = slots.keys if slots.kind == "dict" else slots.names
            if slots.kind != "dict" and (None in valid):
                raise ValueError(
                    f"`loss` is a dict keyed by {sorted(loss)}, but the model's outputs have no names. "
                    f"Pass `loss` as a list of {slots.count} losses (one per output)."
                )
            unknown = [k for k in loss if k not in valid]
            if unknown or (slots.kind != "dict" and set(loss) != set(valid)):
                raise ValueError(f"Expected keys {list(valid)} in loss dict, but found loss.keys()={list(loss)}")
            if weights is not None and not isinstance(weights, dict):
                weights = _pack_like(list(loss), weights, "loss_weights")
                weights = dict(zip(loss, weights))
            for index, key in enumerate(valid):
                if key in loss:
                    weight = None if weights is None else weights.get(key)
                    if isinstance(weights, dict) and key not in weights and weights:
                        weight = None
                    entries.append((index, loss[key], weight))
        elif isinstance(loss, (list, tuple)):
            if any(_is_nested(item) for item in loss):
                raise ValueError(
                    f"Nested loss structures are not supported. Received: loss={loss!r}"
                )
            flat_weights = _pack_like(list(loss), weights, "loss_weights") if weights is not None else None
            if len(loss) == slots.count:
                for index, identifier in enumerate(loss):
                    entries.append((index, identifier, None if flat_weights is None else flat_weights[index]))
            elif slots.kind == "single":
                # Several losses for the only output: they are summed (as Keras does).
                for position, identifier in enumerate(loss):
                    entries.append((0, identifier, None if flat_weights is None else flat_weights[position]))
            else:
                raise ValueError(
                    f"The model has {slots.count} outputs {slots.names}, but `loss` is a list of "
                    f"{len(loss)}. Expected one loss per output (a list in output order, or a dict keyed by "
                    f"output names). Received: loss={loss!r}"
                )
        else:
            if isinstance(weights, (list, tuple, dict)):
                flat_weights = list(weights.values()) if isinstance(weights, dict) else list(weights)
                if len(flat_weights) != 1:
                    raise ValueError(
                        f"`loss_weights` must match the number of losses, got 1 losses and "
                        f"{len(flat_weights)} weights."
                    )
                weights = flat_weights[0]
            for index in range(slots.count):
                entries.append((index, loss, weights))

        flat_true = self._flatten_targets(slots, y_true)
        self._flat_losses = []
        for index, identifier, weight in entries:
            if identifier is None:
                continue
            y_t = flat_true[index] if flat_true is not None else None
            resolved = get_loss(identifier, y_t if y_t is not None else flat_pred[index], flat_pred[index])
            name = slots.names[index]
            if name is None:
                name = resolved.name
            self._flat_losses.append([index, resolved, None if weight is None else float(weight), None, name,
                                      _direct_call(resolved)])
        if len(self._flat_losses) > 1:
            for entry in self._flat_losses:
                tracker = metrics_module.Mean(name=f"{entry[4]}_loss")
                entry[3] = tracker
                self._metrics.append(tracker)
        self._slots = slots
        self.built = True

    def _flatten_targets(self, slots, y_true):
        if y_true is None:
            return None
        flat = slots.flatten_like(y_true, "y", allow_partial=True)
        if flat is not None:
            return flat
        # Targets only for the outputs that have a loss, in output order (Keras accepts this too).
        with_loss = self._outputs_with_loss(slots)
        given = list(y_true) if isinstance(y_true, (list, tuple)) else [y_true]
        if len(given) != len(with_loss):
            slots.flatten_like(y_true, "y")  # raises the structure error
        flat = [None] * slots.count
        for index, value in zip(with_loss, given):
            flat[index] = value
        return flat

    def _outputs_with_loss(self, slots):
        if self.built:
            return sorted({entry[0] for entry in self._flat_losses})
        loss = self._user_loss
        if isinstance(loss, dict):
            valid = slots.keys if slots.kind == "dict" else slots.names
            return [i for i, key in enumerate(valid) if loss.get(key) is not None]
        if isinstance(loss, (list, tuple)) and len(loss) == slots.count:
            return [i for i, item in enumerate(loss) if item is not None]
        return list(range(slots.count))

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        slots = self._slots
        if slots.kind == "single" and not _is_nested(y_true) and not _is_nested(sample_weight):
            total = None
            for _, loss_fn, weight, tracker, _, direct in self._flat_losses:
                value = direct(y_true, y_pred) if direct is not None and sample_weight is None else None
                if value is None:
                    value = loss_fn(y_true, y_pred, sample_weight)
                if value.dtype is not torch.float32:
                    value = value.float()
                if tracker is not None:
                    update_mean(tracker, value, y_pred.shape[0])
                if weight is not None:
                    value = value * weight
                total = value if total is None else total + value
            return total
        flat_pred = slots.flatten_pred(y_pred)
        flat_true = self._flatten_targets(slots, y_true)
        if sample_weight is None:
            flat_weights = None
        elif _is_nested(sample_weight):
            flat_weights = slots.flatten_like(sample_weight, "sample_weight")
        else:
            flat_weights = [sample_weight] * slots.count
        total = None
        for index, loss_fn, weight, tracker, name, direct in self._flat_losses:
            y_t = flat_true[index] if flat_true is not None else None
            if y_t is None:
                raise ValueError(
                    f"No target given for output {name!r}, which has a loss. Pass its target in `y` "
                    "(a list in output order or a dict keyed by output names)."
                )
            y_p = flat_pred[index]
            s_w = None if flat_weights is None else flat_weights[index]
            value = direct(y_t, y_p) if direct is not None and s_w is None else None
            if value is None:
                value = loss_fn(y_t, y_p, s_w)
            if value.dtype is not torch.float32:
                value = value.float()
            if tracker is not None:
                update_mean(tracker, value, y_p.shape[0])
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total


def _sparse_accuracy_update(metric, y_true, y_pred):
    """`metric.update_state(y_true, y_pred)` for a `SparseCategoricalAccuracy` in the common case (a
    batch of class scores `(batch, classes)` in float32 without a mask, integer labels `(batch,)` or
    `(batch, 1)` on the same device as the metric): the per-sample matches are summed into `total` and
    the batch size added to `count`, the values the full update computes (it compares the labels as
    floats, which is exact for integer labels). Returns False when the case does not apply."""
    if (type(y_true) is not torch.Tensor or type(y_pred) is not torch.Tensor or y_pred.dtype is not torch.float32
            or y_pred.dim() != 2 or y_true.is_floating_point() or y_true.dtype is torch.bool
            or getattr(y_pred, "_keras_mask", None) is not None):
        return False
    if y_true.dim() == 2 and y_true.shape[1] == 1:
        y_true = y_true.reshape(-1)
    total = metric.total.value
    if y_true.dim() != 1 or y_true.shape[0] != y_pred.shape[0] or total.device != y_pred.device \
            or y_true.device != y_pred.device or total.dtype is not torch.float32:
        return False
    with torch.no_grad():
        matches = torch.eq(torch.argmax(y_pred, dim=-1), y_true)
        total.add_(matches.sum().to(torch.float32))
        metric.count.value.add_(y_pred.shape[0])
    return True


class MetricsList(metrics_module.Metric):
    """The metrics of one output (Keras's `MetricsList`); `output_name` prefixes their log names."""

    def __init__(self, metrics, name="metrics_list", output_name=None):
        super().__init__(name=name)
        self.__dict__["metrics"] = metrics  # not registered as submodules: CompileMetrics owns them
        self.output_name = output_name
        # The sparse categorical accuracy `"accuracy"` resolves to has a cheaper equivalent update.
        self.__dict__["_fast"] = [type(m) is metrics_module.SparseCategoricalAccuracy for m in metrics]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        for m, fast in zip(self.metrics, self._fast):
            if fast and sample_weight is None and _sparse_accuracy_update(m, y_true, y_pred):
                continue
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self.metrics}


def get_metrics_list(metrics, y_true, y_pred, output_name=None):
    if metrics is None:
        return None
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    return MetricsList([get_metric(m, y_true, y_pred) for m in metrics], output_name=output_name)


class CompileMetrics(metrics_module.Metric):
    """The compiled metrics: per-output `metrics` and `weighted_metrics`, one `result()` dict.

    Args:
        metrics: A list of metrics (one output), a list with one entry per output, or a dict keyed by
            output names; entries are names, `Metric`s, functions, or lists of them.
        weighted_metrics: The same, for metrics weighted by `sample_weight`/`class_weight`.
        output_names: The model's output names, if it has them.
    """

    def __init__(self, metrics, weighted_metrics, name="compile_metric", output_names=None):
        super().__init__(name=name)
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(
                    f"Expected `{argument}` argument to be a list, tuple, or dict. "
                    f"Received instead: {argument}={value!r} of type {type(value).__name__}"
                )
            for identifier in _leaves(value):
                check_metric_identifier(identifier)
        self.__dict__["_user_metrics"] = metrics
        self.__dict__["_user_weighted_metrics"] = weighted_metrics
        self.built = False
        self.name = "compile_metrics"
        self.output_names = output_names
        self.__dict__["_flat_metrics"] = []
        self.__dict__["_flat_weighted_metrics"] = []
        self._slots = None

    @property
    def metrics(self):
        if not self.built:
            return []
        found = []
        for metrics_list in self._flat_metrics + self._flat_weighted_metrics:
            if metrics_list is not None:
                found.extend(metrics_list.metrics)
        return found

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables] if self.built else []

    def build(self, y_true, y_pred):
        slots = OutputSlots(y_pred, self.output_names)
        flat_pred = slots.flatten_pred(y_pred)
        flat_true = slots.flatten_like(y_true, "y", allow_partial=True) if y_true is not None else None
        if flat_true is None:
            flat_true = [y_true] * slots.count if not _is_nested(y_true) else flat_pred
        names = slots.names if slots.count > 1 else [None]
        self.__dict__["_flat_metrics"] = self._build_set(self._user_metrics, slots, flat_true, flat_pred, names,
                                                         "metrics")
        self.__dict__["_flat_weighted_metrics"] = self._build_set(self._user_weighted_metrics, slots, flat_true,
                                                                  flat_pred, names, "weighted_metrics")
        self._slots = slots
        self.built = True

    def _build_set(self, metrics, slots, flat_true, flat_pred, names, argument):
        if not metrics:
            return [None] * slots.count
        if slots.count == 1:
            return [get_metrics_list(_leaves(metrics), _target(flat_true[0], flat_pred[0]), flat_pred[0], None)]
        per_output = None
        if isinstance(metrics, (list, tuple)) and len(metrics) == slots.count:
            per_output = list(metrics)
        elif isinstance(metrics, dict):
            valid = slots.keys if slots.kind == "dict" else slots.names
            unknown = [k for k in metrics if k not in valid]
            if not unknown and None not in valid:
                per_output = [metrics.get(key) for key in valid]
            else:
                raise ValueError(
                    f"Invalid `{argument}`: its keys {list(metrics)} must name outputs of the model. "
                    f"Expected keys among {list(valid)}" + (f"; unknown: {unknown}" if unknown else "")
                    + f". Received: {argument}={metrics!r}"
                )
        if per_output is None:
            raise ValueError(
                f"Invalid `{argument}`: the model has {slots.count} outputs {slots.names}; `{argument}` "
                "should be a dict keyed by output names or a list with one entry (a metric or a list of "
                f"metrics) per output. Received: {argument}={metrics!r}"
            )
        return [
            get_metrics_list(m, _target(t, p), p, n)
            for m, t, p, n in zip(per_output, flat_true, flat_pred, names)
        ]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        slots = self._slots
        if slots.count == 1:
            flat_true = slots.flatten_like(y_true, "y") if _is_nested(y_true) else [y_true]
            flat_pred = [y_pred] if slots.kind == "single" else slots.flatten_pred(y_pred)
        else:
            flat_true = slots.flatten_like(y_true, "y")
            flat_pred = slots.flatten_pred(y_pred)
        for metrics_list, y_t, y_p in zip(self._flat_metrics, flat_true, flat_pred):
            if metrics_list is not None:
                metrics_list.update_state(y_t, y_p)
        if any(m is not None for m in self._flat_weighted_metrics):
            if sample_weight is None:
                flat_weights = [None] * len(flat_true)
            elif _is_nested(sample_weight):
                flat_weights = slots.flatten_like(sample_weight, "sample_weight")
            else:
                flat_weights = [sample_weight] * len(flat_true)
            for metrics_list, y_t, y_p, s_w in zip(self._flat_weighted_metrics, flat_true, flat_pred, flat_weights):
                if metrics_list is not None:
                    metrics_list.update_state(y_t, y_p, s_w)

    def reset_state(self):
        if not self.built:
            return
        for metrics_list in self._flat_metrics + self._flat_weighted_metrics:
            if metrics_list is not None:
                metrics_list.reset_state()

    def result(self):
        if not self.built:
            raise ValueError("Cannot get result() since the metric has not yet been built.")
        results = {}
        counters = {}
        for metrics_list in self._flat_metrics:
            if metrics_list is None:
                continue
            for m in metrics_list.metrics:
                name = f"{metrics_list.output_name}_{m.name}" if metrics_list.output_name else m.name
                if name not in counters:
                    counters[name] = 1
                else:
                    index = counters[name]
                    counters[name] += 1
                    name = f"{name}_{index}"
                results[name] = m.result()
        for metrics_list in self._flat_weighted_metrics:
            if metrics_list is None:
                continue
            for m in metrics_list.metrics:
                name = f"{metrics_list.output_name}_{m.name}" if metrics_list.output_name else m.name
                if name not in counters:
                    counters[name] = 1
                else:
                    name = f"weighted_{m.name}"
                    if metrics_list.output_name:
                        name = f"{metrics_list.output_name}_{name}"
                    if name not in counters:
                        counters[name] = 1
                    else:
                        index = counters[name]
                        counters[name] += 1
                        name = f"{name}_{index}"
                results[name] = m.result()
        return results


def _target(y_true, y_pred):
    """The target used to resolve shape-dependent names; the prediction stands in when none is given."""
    return y_pred if y_true is None else y_true


def _leaves(structure):
    if structure is None:
        return []
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in _leaves(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in _leaves(value)]
    return [structure]


def _pack_like(losses, weights, argument):
    """`weights` as a list with one weight per entry of `losses`."""
    if isinstance(weights, dict):
        weights = list(weights.values())
    if not isinstance(weights, (list, tuple)):
        weights = [weights]
    if len(weights) != len(losses):
        raise ValueError(
            f"`{argument}` must match the number of losses, got {len(losses)} losses and {len(weights)} "
            "weights."
        )
    return list(weights)
