"""`Trainer`: Keras's training API (`compile`, `fit`, `evaluate`, `predict`, `*_on_batch`) for models.

It follows `keras/src/trainers/trainer.py` and `keras/src/backend/torch/trainer.py`: the same arguments
and defaults, the same callback calls in the same order (`fit` makes a
`callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, ...)`), the same log names
(`loss`, `digit_loss`, `digit_accuracy`, `val_loss`, ...) and the same overridable pieces
(`train_step`, `test_step`, `predict_step`, `compute_loss`, `compute_metrics`).

What makes it fast: batches are slices of torch tensors made once from the data (no per-step numpy
work); metrics accumulate in tensors on the model's device; logs handed to callbacks are tensors, which
the callbacks turn into floats only when they need them; the optimizer steps over the `.grad` of the
parameters it already holds.

`jit_compile=True` runs the forward pass and the loss through `torch.compile(fullgraph=True)` (the
backward pass is compiled with it); a dict gives `torch.compile`'s own arguments, e.g.
`jit_compile={"backend": "eager"}`. A `train_step` of your own is compiled whole, as Keras does.

Distributed: under `torchrun` (an initialized `torch.distributed` process group), `fit` shards the
batches of every epoch across processes, starts every process from rank 0's weights, all-reduces the
gradients (averaged) after each backward pass, all-reduces metric states before epoch results are read,
and lets only rank 0 print.
"""

import inspect
import warnings
import weakref

import numpy as np
import torch

from torchkeras.trainers import data_adapters
from torchkeras.trainers.compile_utils import update_mean
from torchkeras.trainers.data_adapters import unpack_x_y_sample_weight
from torchkeras.trainers.epoch_iterator import EpochIterator

# Compiled step functions live outside the model's `__dict__`, so that `torch.save(model)` still pickles.
_STEP_FUNCTIONS = weakref.WeakKeyDictionary()

_VERBOSE_VALUES = ("auto", 0, 1, 2)


def _callbacks_module():
    from torchkeras import callbacks

    return callbacks


def _check_verbose(verbose):
    if isinstance(verbose, bool) or verbose not in _VERBOSE_VALUES:
        raise ValueError(
            f'Invalid value for argument `verbose`. Expected "auto", 0, 1 or 2. Received: verbose={verbose!r}'
        )
    return verbose


def _check_positive_int(value, name, allow_none=True, allow_zero=False):
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (0 if allow_zero else 1):
        expected = "a non-negative integer" if allow_zero else "a positive integer"
        raise ValueError(f"Argument `{name}` must be {expected}. Received: {name}={value!r}")
    return int(value)


def pythonify_logs(logs):
    """Keras's `pythonify_logs` (the callbacks' own): nested dicts flattened, tensors as floats."""
    from torchkeras.callbacks.callback_list import pythonify_logs as convert

    return convert(logs)


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, dict):
        return {key: _concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_concatenate([b[i] for b in batches]) for i in range(len(first)))
    return np.concatenate(batches)


def _to_numpy(structure):
    if isinstance(structure, dict):
        return {key: _to_numpy(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_to_numpy(value) for value in structure)
    if isinstance(structure, torch.Tensor):
        return structure.detach().cpu().numpy()
    return np.asarray(structure)


def _first_batch_size(x):
    for leaf in data_adapters.flatten(x):
        if leaf is not None and hasattr(leaf, "shape"):
            return leaf.shape[0]
    return None


def _collective_device(model_device):
    """Where small tensors for collectives live: the GPU for NCCL, the CPU otherwise (gloo)."""
    if torch.distributed.get_backend() == "nccl":
        return model_device
    return torch.device("cpu")


def _distributed():
    """`(rank, world_size)` of the initialized default process group, or `None`."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return None


class Trainer:
    """The training API of `keras.Model`: a mixin of `Model` (see the module docstring)."""

    # Defaults at class level: a functional model is made without `Model.__init__`.
    compiled = False
    optimizer = None
    loss = None
    history = None
    stop_training = False
    stop_evaluating = False
    stop_predicting = False
    steps_per_execution = 1
    _compile_loss = None
    _compile_metrics = None
    _loss_tracker = None
    _run_eagerly = False
    _jit_compile = False
    _initial_epoch = None
    _eval_epoch_iterator = None

    # ------------------------------------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configures the model for training.

        Args:
            optimizer: An optimizer name (`"adam"`, `"sgd"`, `"rmsprop"`, ...), a `keras.optimizers`
                optimizer, or any `torch.optim.Optimizer` built over this model's parameters.
            loss: A loss name, `keras.losses.Loss`, or function `fn(y_true, y_pred)`; for several outputs,
                one for all, a list in output order, or a dict keyed by output names. `"crossentropy"`
                resolves to binary / sparse categorical / categorical crossentropy from the shapes.
            loss_weights: Optional float, list or dict (as `loss`): the total loss is the weighted sum.
            metrics: Metrics evaluated without sample weights: a list (one output), a list with one entry
                per output, or a dict keyed by output names. `"accuracy"`/`"acc"` resolve to binary,
                sparse categorical or categorical accuracy from the shapes.
            weighted_metrics: Metrics weighted by `sample_weight` / `class_weight`, structured as
                `metrics`.
            run_eagerly: Accepted for compatibility: torch always runs eagerly unless `jit_compile`.
            steps_per_execution: Must be 1 (as on Keras's torch backend).
            jit_compile: `"auto"` (eager on torch, as Keras), `True` to train through `torch.compile`,
                or a dict of `torch.compile` arguments (`{"backend": "eager"}`).
            auto_scale_loss: With the `"mixed_float16"` policy, wrap the optimizer in a
                `LossScaleOptimizer` when torchkeras provides one.
        """
        from torchkeras.trainers.compile_utils import CompileLoss, CompileMetrics
        from torchkeras import metrics as metrics_module

        if steps_per_execution != 1:
            raise ValueError(
                "`steps_per_execution` must be 1 with the PyTorch backend. "
                f"Received: steps_per_execution={steps_per_execution!r}"
            )
        if not (jit_compile in ("auto", True, False) or isinstance(jit_compile, dict)):
            raise ValueError(
                'Argument `jit_compile` must be "auto", True, False, or a dict of `torch.compile` arguments. '
                f"Received: jit_compile={jit_compile!r}"
            )
        # Everything is resolved (and every name checked) before the model changes.
        resolved_optimizer = self._resolve_optimizer(optimizer)
        output_names = self._compile_output_names()
        compile_loss = CompileLoss(loss, loss_weights, output_names=output_names) if loss is not None else None
        compile_metrics = None
        if metrics is not None or weighted_metrics is not None:
            compile_metrics = CompileMetrics(metrics, weighted_metrics, output_names=output_names)
        if compile_loss is not None:
            self._check_structure_keys(loss, "loss", output_names, exact=True)
        elif loss_weights is not None:
            raise ValueError(f"`loss_weights` needs a `loss`. Received: loss=None, loss_weights={loss_weights!r}")
        if isinstance(loss_weights, dict):
            self._check_structure_keys(loss_weights, "loss_weights", output_names, exact=False)
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if isinstance(value, dict):
                self._check_structure_keys(value, argument, output_names, exact=False)
        compiled_optimizer = resolved_optimizer  # what the compile config holds, as in Keras
        if (auto_scale_loss and self.dtype_policy.name == "mixed_float16" and resolved_optimizer is not None):
            resolved_optimizer = self._maybe_loss_scale(resolved_optimizer)

        if jit_compile == "auto":
            jit_compile = False
        if jit_compile and run_eagerly:
            warnings.warn(
                "If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling `jit_compile`.",
                stacklevel=2,
            )
            jit_compile = False

        state = self.__dict__  # not nn.Module attributes: metrics are modules, and must not be submodules
        state["optimizer"] = resolved_optimizer
        state["_compiled_optimizer"] = compiled_optimizer
        state["loss"] = loss
        state["_compile_loss"] = compile_loss
        state["_compile_metrics"] = compile_metrics
        state["_loss_tracker"] = metrics_module.Mean(name="loss")
        state["_jit_compile"] = jit_compile
        state["_run_eagerly"] = bool(run_eagerly)
        state["steps_per_execution"] = 1
        state["stop_training"] = False
        # (layer, trainable) pairs rather than ids, so the snapshot survives pickling the model.
        state["_compiled_trainable_state"] = [(layer, layer.trainable) for layer in self._flatten_layers()]
        state["_compile_config"] = {
            "optimizer": optimizer, "loss": loss, "loss_weights": loss_weights, "metrics": metrics,
            "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution, "jit_compile": jit_compile,
        }
        self._forget_step_state()
        state["compiled"] = True
        _STEP_FUNCTIONS.pop(self, None)

    def _resolve_optimizer(self, optimizer):
        if isinstance(optimizer, torch.optim.Optimizer):
            return optimizer
        from torchkeras import optimizers as optimizers_module

        try:
            resolved = optimizers_module.get(optimizer)
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(
                f"Unknown optimizer: {optimizer!r}. Expected the name of a Keras optimizer ('adam', 'sgd', "
                "'rmsprop', 'adamw', 'adagrad', 'nadam', ...), a `keras.optimizers.Optimizer` or a "
                f"`torch.optim.Optimizer`. Received: optimizer={optimizer!r} ({error})"
            ) from None
        return resolved  # `None` is allowed, as in Keras: such a model can evaluate but not train

    def _maybe_loss_scale(self, optimizer):
        from torchkeras import optimizers as optimizers_module

        scale = getattr(optimizers_module, "LossScaleOptimizer", None)
        if scale is None or isinstance(optimizer, scale) or not hasattr(optimizer, "build"):
            return optimizer
        return scale(optimizer, name="loss_scale_optimizer")

    def _compile_output_names(self):
        names = getattr(self, "output_names", None)
        return list(names) if names else None

    def _output_keys(self, output_names):
        """What dict arguments of `compile` may be keyed by: the output dict's keys for a model whose
        outputs are a dict, else the output names."""
        structure = self.__dict__.get("_outputs_structure")
        if isinstance(structure, dict):
            return list(structure)
        return output_names

    def _check_structure_keys(self, value, argument, output_names, exact):
        if not isinstance(value, dict):
            return
        keys = self._output_keys(output_names)
        if not keys:
            return  # no names known before the first batch: checked when the loss is built
        unknown = [key for key in value if key not in keys]
        structure = self.__dict__.get("_outputs_structure")
        missing = [key for key in keys if key not in value] if exact and not isinstance(structure, dict) else []
        if unknown or missing:
            raise ValueError(
                f"`{argument}` is a dict whose keys must name the model's outputs. Expected keys "
                f"{keys}. Received keys: {list(value)}"
                + (f" (unknown: {unknown})" if unknown else "")
                + (f" (missing: {missing}; map an output to None for no loss)" if missing else "")
            )

    @property
    def run_eagerly(self):
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self.__dict__["_run_eagerly"] = bool(value)

    @property
    def jit_compile(self):
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value):
        self.__dict__["_jit_compile"] = value
        _STEP_FUNCTIONS.pop(self, None)

    def get_compile_config(self):
        """The arguments `compile` was called with (empty before `compile`)."""
        if self.compiled and "_compile_config" in self.__dict__:
            from torchkeras.saving import serialization

            config = dict(self._compile_config)
            for key in ("optimizer", "loss", "metrics", "weighted_metrics"):
                try:
                    config[key] = serialization.serialize_keras_object(config[key])
                except Exception:  # noqa: BLE001 - a custom function or torch optimizer stays as it is
                    pass
            return config
        return {}

    def compile_from_config(self, config):
        """Compiles the model from `get_compile_config()`'s output."""
        from torchkeras.saving import serialization

        # As Keras: the whole config, so that objects inside lists and dicts (`metrics=[BinaryAccuracy()]`,
        # a loss per output) come back as objects too.
        config = serialization.deserialize_keras_object(dict(config))
        self.compile(**config)

    def _assert_optimizer(self, method_name):
        if self.optimizer is None:
            raise ValueError(
                f"`{method_name}()` needs an optimizer, but the model was compiled with optimizer=None. "
                "Compile it with one, e.g. `model.compile(optimizer='adam', loss=...)`."
            )

    def _assert_compile_called(self, method_name):
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before calling `{method_name}()`: the model needs an optimizer "
                "and a loss to train, and metrics to evaluate. For example: "
                "`model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])`."
            )
        self._warn_if_trainable_state_changed()

    def _warn_if_trainable_state_changed(self):
        compiled_state = self.__dict__.get("_compiled_trainable_state")
        if compiled_state is None:
            return
        layers = self._flatten_layers()
        compiled = {id(layer): trainable for layer, trainable in compiled_state}
        changed = [layer.name for layer in layers
                   if id(layer) not in compiled or compiled[id(layer)] != layer.trainable]
        if changed:
            warnings.warn(
                "A layer's `trainable` state has changed since the model was compiled: recompile the model "
                "(`model.compile(...)`) before calling `fit()` or `evaluate()` for the change to take "
                f"effect on the optimizer. Changed layers: {changed}",
                stacklevel=3,
            )
            self.__dict__["_compiled_trainable_state"] = [(layer, layer.trainable) for layer in layers]

    # ------------------------------------------------------------------------------------------ metrics

    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, per-output loss trackers, then the metrics held by the
        model and its layers (Keras's order)."""
        metrics = []
        if self.compiled:
            if self._loss_tracker is not None:
                metrics.append(self._loss_tracker)
            if self._compile_metrics is not None:
                metrics.append(self._compile_metrics)
            if self._compile_loss is not None:
                metrics.extend(self._compile_loss.metrics)
        cached = self.__dict__.get("_held_metrics_cache")
        metrics.extend(cached if cached is not None else self._held_metrics())
        return metrics

    def _held_metrics(self):
        """`Metric`s assigned as attributes of the model or of its layers (not inside sub-models)."""
        from torchkeras.metrics import Metric

        found = []
        # The trainer's own metrics are in `self.__dict__` too; `metrics` lists them first.
        seen = {id(self._loss_tracker), id(self._compile_metrics)}
        if self._compile_loss is not None:
            seen.update(id(m) for m in self._compile_loss.metrics)

        def collect(module):
            for value in list(module._modules.values()) + list(vars(module).values()):
                if isinstance(value, Metric) and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)

        collect(self)
        for layer in self._flatten_layers(include_self=False):
            if not isinstance(layer, Trainer):
                collect(layer)
        return found

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self):
        return [v for m in self.metrics for v in m.variables]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """The current value of every metric in `self.metrics`, as a dict of scalar tensors."""
        results = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results

    def _get_metrics_result_or_logs(self, logs):
        metric_logs = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(metric_logs):
            return metric_logs
        return logs

    def _flatten_metrics_in_order(self, logs):
        """The logs as a list in the order of `self.metrics` (a lone value when there is one)."""
        from torchkeras.trainers.compile_utils import CompileMetrics

        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names += [m.name for m in metric.metrics]
            else:
                names.append(metric.name)
        results = [logs[name] for name in names if name in logs]
        results += [logs[key] for key in sorted(logs) if key not in names]
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------------------------------ steps

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss: the compiled losses plus the regularization losses (`self.losses`).

        Override it for a custom loss; it must return a scalar tensor.
        """
        del x, training
        losses = []
        if self._compile_loss is not None:
            loss = self._compile_loss(y, y_pred, sample_weight)
            if loss is not None:
                losses.append(loss)
        for loss in self._regularization_losses():
            if not loss.is_floating_point():
                loss = loss.float()
            losses.append(torch.sum(loss))
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = losses[0]
        for loss in losses[1:]:
            total = total + loss
        return total

    def _regularization_losses(self):
        if self.__dict__.get("_no_regularization"):
            return []
        return self.losses

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """`compute_loss`, also for overrides written without the `training` argument."""
        if _takes_training(type(self).compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns `get_metrics_result()`; override for custom logic."""
        del x
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _forward_and_loss(self, x, y, sample_weight, training):
        """Forward pass and total loss: the part `jit_compile` compiles with `fullgraph=True`."""
        y_pred = self(x, training=training)
        loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        return y_pred, loss

    def train_step(self, data):
        """One training step on one batch: forward, loss, backward, optimizer step, metrics.

        Args:
            data: The batch: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

        Returns:
            A dict of logs, by default the results of `self.metrics`.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        forward = _STEP_FUNCTIONS.get(self, {}).get("forward_and_loss", self._forward_and_loss)
        self._zero_grad()
        y_pred, loss = forward(x, y, sample_weight, True)
        update_mean(self._loss_tracker, loss.detach(), _first_batch_size(x))
        optimizer = self.optimizer
        if hasattr(optimizer, "scale_loss"):
            loss = optimizer.scale_loss(loss)
        if loss.requires_grad:
            loss.backward()
            self._all_reduce_gradients()
            optimizer.step()
            self._apply_constraints()
        elif not self.__dict__.get("_warned_no_trainable"):
            self.__dict__["_warned_no_trainable"] = True
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self._step_logs(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One evaluation step on one batch: forward, loss, metrics (no gradient)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        forward = _STEP_FUNCTIONS.get(self, {}).get("forward_and_loss", self._forward_and_loss)
        y_pred, loss = forward(x, y, sample_weight, False)
        update_mean(self._loss_tracker, loss, _first_batch_size(x))
        return self._step_logs(x, y, y_pred, sample_weight)

    def _step_logs(self, x, y, y_pred, sample_weight):
        """`compute_metrics(...)`, except that when `fit`/`evaluate` found that no callback reads the
        logs of single batches, the metrics are updated but their results are left for the end of the
        epoch (an empty dict goes to the callbacks instead)."""
        if self.__dict__.get("_defer_batch_logs") and type(self).compute_metrics is Trainer.compute_metrics:
            if self._compile_metrics is not None:
                self._compile_metrics.update_state(y, y_pred, sample_weight)
            return {}
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _batch_logs_needed(self, callbacks, hook):
        """Whether some callback reads the logs of single batches (`hook` is "train" or "test"): one that
        overrides `on_<hook>_batch_end` (or `on_batch_end`), or the progress bar at `verbose=1` (which
        shows them; not during `fit`'s validation). Unknown callback lists are assumed to read them."""
        from torchkeras import callbacks as callbacks_module

        base = getattr(callbacks_module, "Callback", None)
        members = getattr(callbacks, "callbacks", None)
        if base is None or members is None:
            return True
        progbar_class = getattr(callbacks_module, "ProgbarLogger", None)
        for callback in members:
            if progbar_class is not None and type(callback) is progbar_class:
                if hook == "train" and getattr(callback, "verbose", 1) in (1, "auto"):
                    return True
                if hook == "test" and not getattr(callback, "_called_in_fit", False) and getattr(
                        callback, "verbose", 1) in (1, "auto"):
                    return True
                continue
            # Looked up on the instance: `LambdaCallback` sets its hooks as instance attributes.
            names = [f"on_{hook}_batch_end"] + (["on_batch_end"] if hook == "train" else [])
            for name in names:
                method = getattr(callback, name, None)
                if method is not None and not callbacks_module.callback.is_default(method):
                    return True
        return False

    def _deferring_logs(self, callbacks, hook):
        """Sets (and returns) whether the default steps may leave per-batch results out of the logs."""
        defer = (type(self).train_step is Trainer.train_step if hook == "train"
                 else type(self).test_step is Trainer.test_step)
        defer = defer and type(self).get_metrics_result is Trainer.get_metrics_result and not (
            self._batch_logs_needed(callbacks, hook))
        self.__dict__["_defer_batch_logs"] = defer
        return defer

    def predict_step(self, data):
        """The model's outputs for one batch, in inference mode."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _zero_grad(self):
        """`self.zero_grad()` (gradients set to None), over the parameter list `fit` made at its start
        rather than a walk of the module tree at every step."""
        params = self.__dict__.get("_step_parameters")
        if params is None or type(self).zero_grad is not torch.nn.Module.zero_grad:
            self.zero_grad()
            return
        for param in params:
            param.grad = None

    def _apply_constraints(self):
        """Weight constraints after the update (a torchkeras optimizer applies them itself)."""
        constrained = self.__dict__.get("_constrained_variables")
        if constrained is None:  # a step outside `fit`: find them now
            constrained = self._constrained_variables_now()
        if constrained:
            with torch.no_grad():
                for variable in constrained:
                    variable.value.copy_(variable.constraint(variable.value))

    # ------------------------------------------------------------------------------------------ functions

    def _torch_compile(self, fn, fullgraph):
        options = dict(self._jit_compile) if isinstance(self._jit_compile, dict) else {}
        options.setdefault("fullgraph", fullgraph)
        backend = options.get("backend", "inductor")
        if backend == "inductor" and self._device().type == "cpu" and not _cpu_compiler_available():
            warnings.warn(
                "`jit_compile=True`: torch.compile's inductor backend needs a C++ compiler on CPU and none "
                "was found; training without compilation (jit_compile=False).",
                stacklevel=3,
            )
            return fn
        compiled = torch.compile(fn, **options)
        if not options["fullgraph"]:
            return compiled
        fallback = {}

        def run(*args):
            if "fn" in fallback:
                return fallback["fn"](*args)
            try:
                return compiled(*args)
            except torch._dynamo.exc.Unsupported as error:
                warnings.warn(
                    f"`jit_compile`: the step does not compile as one graph ({str(error).splitlines()[0]}); "
                    "compiling it with graph breaks instead.",
                    stacklevel=2,
                )
                fallback["fn"] = torch.compile(fn, **dict(options, fullgraph=False))
                return fallback["fn"](*args)

        return run

    def _prepare_step_functions(self):
        functions = _STEP_FUNCTIONS.setdefault(self, {})
        if self._jit_compile and "forward_and_loss" not in functions:
            functions["forward_and_loss"] = self._torch_compile(self._forward_and_loss, fullgraph=True)
        return functions

    def make_train_function(self, force=False):
        functions = self._prepare_step_functions()
        if "train" in functions and not force:
            return functions["train"]
        step = self.train_step
        if self._jit_compile and type(self).train_step is not Trainer.train_step:
            step = self._torch_compile(step, fullgraph=False)  # a custom step is compiled whole, as Keras
        functions["train"] = step
        return step

    def make_test_function(self, force=False):
        functions = self._prepare_step_functions()
        if "test" in functions and not force:
            return functions["test"]
        test_step = self.test_step
        if self._jit_compile and type(self).test_step is not Trainer.test_step:
            test_step = self._torch_compile(test_step, fullgraph=False)

        def step(data):
            with torch.no_grad():
                return test_step(data)

        functions["test"] = step
        return step

    def make_predict_function(self, force=False):
        functions = _STEP_FUNCTIONS.setdefault(self, {})
        if "predict" in functions and not force:
            return functions["predict"]
        predict_step = self.predict_step
        if self._jit_compile:
            predict_step = self._torch_compile(predict_step, fullgraph=type(self).predict_step is Trainer.predict_step)

        def step(data):
            with torch.no_grad():
                return predict_step(data)

        functions["predict"] = step
        return step

    @property
    def train_function(self):
        return _STEP_FUNCTIONS.get(self, {}).get("train")

    @property
    def test_function(self):
        return _STEP_FUNCTIONS.get(self, {}).get("test")

    @property
    def predict_function(self):
        return _STEP_FUNCTIONS.get(self, {}).get("predict")

    # ------------------------------------------------------------------------------------------ building

    def _device(self):
        for tensor in self.parameters():
            if not isinstance(tensor, torch.nn.parameter.UninitializedParameter):
                return tensor.device
        for tensor in self.buffers():
            if tensor is not None and not isinstance(tensor, torch.nn.parameter.UninitializedBuffer):
                return tensor.device
        return torch.device("cpu")

    def _symbolic_build(self, iterator=None, data_batch=None):
        """Builds the model, the compiled loss and metrics and the optimizer before the first step, from
        the first batch (the model itself builds by running on it, without gradients)."""
        model_unbuilt = not all(layer.built for layer in self._flatten_layers())
        metrics_unbuilt = self._compile_metrics is not None and not self._compile_metrics.built
        loss_unbuilt = self._compile_loss is not None and not self._compile_loss.built
        if model_unbuilt or metrics_unbuilt or loss_unbuilt:
            if data_batch is None:
                data_batch = iterator.first_batch()
            if data_batch is not None:
                x, y, sample_weight = unpack_x_y_sample_weight(data_batch)
                self._check_input_keys(x)
                was_training = self.training
                self.eval()
                try:
                    with torch.no_grad():
                        y_pred = self(x, training=False)
                finally:
                    self.train(was_training)
                if y is not None:
                    if loss_unbuilt:
                        self._compile_loss.build(y, y_pred)
                    if metrics_unbuilt:
                        self._compile_metrics.build(y, y_pred)
        self._build_optimizer()
        self._prepare_for_steps()

    def _check_input_keys(self, x):
        """A dict of inputs must be keyed by the model's input names (or by the keys of the dict of
        `keras.Input`s the model was made from); checked before any step."""
        names = getattr(self, "input_names", None)
        if not isinstance(x, dict) or not names:
            return
        structure = self.__dict__.get("_inputs_structure")
        if isinstance(structure, dict) and set(x) == set(structure):
            return
        unknown = [key for key in x if key not in names]
        missing = [name for name in names if name not in x]
        if unknown or missing:
            raise ValueError(
                f"The inputs `x` are a dict whose keys must be the model's input names {list(names)}. "
                f"Received keys: {list(x)}"
                + (f" (unknown: {unknown})" if unknown else "")
                + (f" (missing: {missing})" if missing else "")
            )

    def _build_optimizer(self):
        optimizer = self.optimizer
        if optimizer is not None and hasattr(optimizer, "build") and not getattr(optimizer, "built", True):
            optimizer.build(self.trainable_variables)

    def _constrained_variables_now(self):
        if hasattr(self.optimizer, "build") and hasattr(self.optimizer, "apply"):
            return []  # a torchkeras optimizer applies the constraints of the variables it was built with
        return [v for v in self.trainable_variables if getattr(v, "constraint", None) is not None]

    def _prepare_for_steps(self):
        """Facts the step functions use during one `fit`/`evaluate`/`*_on_batch` call (so that steps need
        not walk the layers): which weights have constraints to apply, the parameters whose gradients
        are reset, whether any layer has regularization losses. Forgotten when the call ends."""
        self.__dict__["_constrained_variables"] = self._constrained_variables_now()
        self.__dict__["_step_parameters"] = list(self.parameters())
        from torchkeras.layers.layer import Layer

        plain_losses = type(self).losses is Layer.losses
        has_regularization = any(
            layer.activity_regularizer is not None
            or any(v.regularizer is not None for v in layer._keras_variables)
            or type(layer).losses is not Layer.losses
            for layer in self._flatten_layers())
        self.__dict__["_no_regularization"] = plain_losses and not has_regularization

    def _forget_step_state(self):
        for key in ("_constrained_variables", "_step_parameters", "_no_regularization"):
            self.__dict__.pop(key, None)

    # ------------------------------------------------------------------------------------------ distributed

    def _all_reduce_gradients(self):
        """Averages the gradients over the processes of a distributed run (no-op otherwise)."""
        group = self.__dict__.get("_distributed_run")
        if not group:
            return
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        torch.distributed.all_reduce(flat)
        flat /= group[1]
        offset = 0
        for grad in grads:
            count = grad.numel()
            grad.copy_(flat[offset:offset + count].view_as(grad))
            offset += count

    def _average_gradients_in_hooks(self):
        """For a `train_step` of your own: every parameter's gradient is averaged over the processes as
        soon as backward has accumulated it. Returns the hook handles."""
        world = self.__dict__["_distributed_run"][1]

        def average(param):
            torch.distributed.all_reduce(param.grad)
            param.grad /= world

        return [p.register_post_accumulate_grad_hook(average) for p in self.parameters() if p.requires_grad]

    def _any_process_stops(self):
        """Whether `stop_training` is set in any process (all must leave the loop together)."""
        flag = torch.tensor([1.0 if self.stop_training else 0.0], device=_collective_device(self._device()))
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        return bool(flag.item())

    def _sync_initial_state(self):
        """Every process starts from rank 0's weights (what DDP does when it wraps a model)."""
        with torch.no_grad():
            for tensor in list(self.parameters()) + [b for b in self.buffers() if b is not None]:
                torch.distributed.broadcast(tensor.data, src=0)

    def _all_reduce_metrics(self):
        if not self.__dict__.get("_distributed_run"):
            return
        for metric in self.metrics:
            metric.all_reduce_state()

    # ------------------------------------------------------------------------------------------ fit

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        """Trains the model for a number of epochs.

        Args:
            x: Inputs: a numpy array or torch tensor, a list of them (several inputs), a dict keyed by input
                names, a `torch.utils.data.DataLoader` or `Dataset`, or a Python generator yielding
                `(x, y)` / `(x, y, sample_weight)` batches.
            y: Targets, for array inputs: an array, a list (one per output) or a dict keyed by output names.
            batch_size: Samples per step for array inputs (default 32).
            epochs: Index of the epoch to stop at (with `initial_epoch`).
            verbose: `"auto"`/1 (progress bar), 2 (one line per epoch) or 0 (silent).
            callbacks: A list of `keras.callbacks.Callback`s.
            validation_split: Fraction of array data, taken from the END before shuffling, held out for
                validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)`, or a data loader.
            shuffle: Whether to shuffle array data before each epoch (`"batch"` shuffles within batches).
            class_weight: Optional dict {class index: weight} scaling the loss of each sample.
            sample_weight: Optional per-sample weights for array data (one array, or one per output).
            initial_epoch: Epoch at which to start (to resume a run).
            steps_per_epoch: Batches per epoch; an epoch continues where the previous one stopped.
            validation_steps: Batches of validation data per validation run.
            validation_batch_size: Batch size for validation (defaults to `batch_size`).
            validation_freq: Validate every `validation_freq` epochs (int) or at the listed epochs.

        Returns:
            The `History` callback; its `history` dict holds the per-epoch logs (`loss`, `val_loss`, ...).
        """
        self._assert_compile_called("fit")
        self._assert_optimizer("fit")
        _check_verbose(verbose)
        epochs = _check_positive_int(epochs, "epochs", allow_none=False, allow_zero=True)
        initial_epoch = _check_positive_int(initial_epoch, "initial_epoch", allow_none=False, allow_zero=True)
        _check_positive_int(validation_steps, "validation_steps")
        if not isinstance(validation_freq, (int, list)) or isinstance(validation_freq, bool):
            raise ValueError(
                "Expected `validation_freq` to be a list or int. "
                f"Received: validation_freq={validation_freq!r} of the type {type(validation_freq).__name__}."
            )
        distributed = _distributed()
        self.__dict__["_eval_epoch_iterator"] = None
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                (x, y, sample_weight), validation_split=validation_split)
        if validation_data is not None:
            val_x, val_y, val_sample_weight = unpack_x_y_sample_weight(validation_data)

        device = self._device()
        if distributed:
            x, y, sample_weight = self._shard_arrays(x, y, sample_weight, distributed)
            if validation_data is not None:
                val_x, val_y, val_sample_weight = self._shard_arrays(val_x, val_y, val_sample_weight, distributed)
        epoch_iterator = EpochIterator(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                       steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                                       class_weight=class_weight, device=device)
        self._check_input_keys(x)
        self._symbolic_build(iterator=epoch_iterator)
        epoch_iterator.reset()
        if distributed:
            self.__dict__["_distributed_run"] = distributed
            self._sync_initial_state()
            if distributed[0] != 0:
                verbose = 0

        callbacks_module = _callbacks_module()
        if not isinstance(callbacks, callbacks_module.CallbackList):
            callbacks = callbacks_module.CallbackList(
                callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose, epochs=epochs,
                steps=epoch_iterator.num_batches, model=self)

        self.stop_training = False
        train_function = self.make_train_function()
        self.__dict__["_held_metrics_cache"] = self._held_metrics()
        training_logs = None
        logs = {}
        hooks = []
        if distributed and type(self).train_step is not Trainer.train_step:
            hooks = self._average_gradients_in_hooks()
        try:
            defer = self._deferring_logs(callbacks, "train")
            callbacks.on_train_begin()
            initial_epoch = self._initial_epoch or initial_epoch
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                self.train()
                logs = {}
                steps_run = 0
                for step, data in epoch_iterator:
                    callbacks.on_train_batch_begin(step)
                    logs = train_function(data)
                    callbacks.on_train_batch_end(step, logs)
                    steps_run += 1
                    if distributed and self._any_process_stops():
                        self.stop_training = True
                    if self.stop_training:
                        break
                if steps_run == 0 and epoch_iterator.exhausted:
                    self.eval()
                    break  # a generator with nothing left: Keras's "ran out of data" warning was given
                self._all_reduce_metrics()
                epoch_logs = dict(self.get_metrics_result() if defer else self._get_metrics_result_or_logs(logs))
                self.eval()

                if validation_data is not None and self._should_eval(epoch, validation_freq):
                    if self._eval_epoch_iterator is None:
                        self.__dict__["_eval_epoch_iterator"] = EpochIterator(
                            val_x, val_y, sample_weight=val_sample_weight,
                            batch_size=validation_batch_size or batch_size, steps_per_epoch=validation_steps,
                            shuffle=False, device=device)
                    val_logs = self.evaluate(
                        x=val_x, y=val_y, sample_weight=val_sample_weight,
                        batch_size=validation_batch_size or batch_size, steps=validation_steps,
                        callbacks=callbacks, return_dict=True, _use_cached_eval_dataset=True)
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})

                callbacks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if distributed and self._any_process_stops():
                    self.stop_training = True
                if self.stop_training:
                    break
            finalize = getattr(self.optimizer, "finalize_variable_values", None)
            if finalize is not None and epochs > 0:
                finalize(self.trainable_variables)
            self.__dict__["_eval_epoch_iterator"] = None
            callbacks.on_train_end(logs=training_logs)
        finally:
            self._forget_step_state()
            for hook in hooks:
                hook.remove()
            self.__dict__["_held_metrics_cache"] = None
            self.__dict__["_distributed_run"] = None
            self.__dict__["_defer_batch_logs"] = False
            self.eval()
        return self.history

    def _should_eval(self, epoch, validation_freq):
        epoch = epoch + 1  # one-indexed for the user
        if isinstance(validation_freq, int):
            return epoch % validation_freq == 0
        return epoch in validation_freq

    def _shard_arrays(self, x, y, sample_weight, distributed):
        """This process's share of array data, as a `DistributedSampler` (no shuffling) splits it:
        the indices padded (by wrapping around) to a multiple of `world_size`, then every `world_size`-th
        from this rank, so every process runs the same number of steps. Loaders and generators are left
        as they are (give them a `DistributedSampler`)."""
        rank, world = distributed
        arrays = (x, y, sample_weight)
        if x is None or not all(data_adapters.is_array_like(leaf) for leaf in data_adapters.flatten(arrays)):
            return x, y, sample_weight
        leaves = [leaf for leaf in data_adapters.flatten(arrays) if leaf is not None]
        total = int(leaves[0].shape[0])
        padded = -(-total // world) * world
        indices = np.arange(padded) % max(total, 1)
        shard = indices[rank::world]

        def take(array):
            if isinstance(array, torch.Tensor):
                return array[torch.from_numpy(shard).to(array.device)]
            return np.asarray(array)[shard]

        return data_adapters.map_structure(take, arrays)

    # ------------------------------------------------------------------------------------------ evaluate

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Returns the loss and metric values of the model on the given data (in inference mode).

        Args:
            x, y, sample_weight: As for `fit`.
            batch_size: Samples per batch for array data (default 32).
            verbose: `"auto"`/1 (progress bar), 2 (one line) or 0 (silent).
            steps: Number of batches to evaluate (default: all).
            callbacks: A list of callbacks.
            return_dict: Return a dict `{name: value}` instead of a list.

        Returns:
            The loss (a float) when there are no metrics, else a list of floats in the order of
            `metrics_names` (or a dict with `return_dict=True`).
        """
        use_cached = kwargs.pop("_use_cached_eval_dataset", False)
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        self._assert_compile_called("evaluate")
        _check_verbose(verbose)
        if use_cached and self._eval_epoch_iterator is not None:
            epoch_iterator = self._eval_epoch_iterator
        else:
            epoch_iterator = EpochIterator(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                           steps_per_epoch=_check_positive_int(steps, "steps"), shuffle=False,
                                           device=self._device())
            self._check_input_keys(x)
        self._symbolic_build(iterator=epoch_iterator)
        epoch_iterator.reset()

        callbacks_module = _callbacks_module()
        if not isinstance(callbacks, callbacks_module.CallbackList):
            callbacks = callbacks_module.CallbackList(
                callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1,
                steps=epoch_iterator.num_batches, model=self)

        was_training = self.training
        self.eval()
        test_function = self.make_test_function()
        self.stop_evaluating = False
        deferring = self.__dict__.get("_defer_batch_logs", False)
        try:
            defer = self._deferring_logs(callbacks, "test")
            callbacks.on_test_begin()
            logs = {}
            self.reset_metrics()
            for step, data in epoch_iterator:
                callbacks.on_test_batch_begin(step)
                logs = test_function(data)
                callbacks.on_test_batch_end(step, logs)
                if self.stop_evaluating:
                    break
            self._all_reduce_metrics()
            logs = pythonify_logs(self.get_metrics_result() if defer else self._get_metrics_result_or_logs(logs))
            callbacks.on_test_end(logs)
        finally:
            self.__dict__["_defer_batch_logs"] = deferring
            if not use_cached:
                self._forget_step_state()
            self.train(was_training)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    # ------------------------------------------------------------------------------------------ predict

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for the inputs `x`, in batches, in inference mode, as numpy arrays.

        Args:
            x: Inputs: an array or tensor, a list or dict of them, a `DataLoader`, `Dataset` or generator.
            batch_size: Samples per batch for array inputs (default 32).
            verbose: `"auto"`/1 (progress bar), 2 (one line) or 0 (silent).
            steps: Number of batches to predict (default: all).
            callbacks: A list of callbacks.

        Returns:
            A numpy array, or a list/dict of them for several outputs.
        """
        _check_verbose(verbose)
        epoch_iterator = EpochIterator(x, batch_size=batch_size, steps_per_epoch=_check_positive_int(steps, "steps"),
                                       shuffle=False, device=self._device())
        self._check_input_keys(x)
        callbacks_module = _callbacks_module()
        if not isinstance(callbacks, callbacks_module.CallbackList):
            callbacks = callbacks_module.CallbackList(
                callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1,
                steps=epoch_iterator.num_batches, model=self)

        was_training = self.training
        self.eval()
        predict_function = self.make_predict_function()
        self.stop_predicting = False
        outputs = []
        try:
            callbacks.on_predict_begin()
            for step, data in epoch_iterator:
                callbacks.on_predict_batch_begin(step)
                batch_outputs = predict_function(data)
                outputs.append(batch_outputs)
                callbacks.on_predict_batch_end(step, {"outputs": batch_outputs})
                if self.stop_predicting:
                    break
            callbacks.on_predict_end()
        finally:
            self.train(was_training)
        if not outputs:
            raise ValueError("Unexpected result of `predict`: no batch was predicted. Is the input data empty?")
        return _concatenate([_to_numpy(batch) for batch in outputs])

    # ------------------------------------------------------------------------------------------ on batch

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs a single gradient update on one batch; returns the loss and metrics of that batch.

        Returns:
            The loss (a float) when there are no metrics, else a list of floats in the order of
            `metrics_names` (or a dict with `return_dict=True`).
        """
        self._assert_compile_called("train_on_batch")
        self._assert_optimizer("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(
                    "Arguments `sample_weight` and `class_weight` cannot be specified at the same time. "
                    f"Received: sample_weight={sample_weight!r}, class_weight={class_weight!r}"
                )
            sample_weight = data_adapters.class_weight_to_sample_weights(y, class_weight)
        data = self._batch_to_tensors(x, y, sample_weight)
        self._check_input_keys(data[0])
        self._symbolic_build(data_batch=data)
        train_function = self.make_train_function()
        self.reset_metrics()
        was_training = self.training
        self.train()
        try:
            logs = train_function(data)
        finally:
            self._forget_step_state()
            self.train(was_training)
        logs = pythonify_logs(logs)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates the model on one batch; returns the loss and metrics of that batch."""
        self._assert_compile_called("test_on_batch")
        data = self._batch_to_tensors(x, y, sample_weight)
        self._check_input_keys(data[0])
        self._symbolic_build(data_batch=data)
        test_function = self.make_test_function()
        self.reset_metrics()
        was_training = self.training
        self.eval()
        try:
            logs = test_function(data)
        finally:
            self._forget_step_state()
            self.train(was_training)
        logs = pythonify_logs(logs)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch `x`, in inference mode, as numpy arrays."""
        data = self._batch_to_tensors(x, None, None)
        self._check_input_keys(data[0])
        predict_function = self.make_predict_function()
        was_training = self.training
        self.eval()
        try:
            outputs = predict_function((data[0],))
        finally:
            self.train(was_training)
        return _to_numpy(outputs)

    def _batch_to_tensors(self, x, y, sample_weight):
        device = self._device()
        adapter = data_adapters.ArrayDataAdapter(x, y, sample_weight=sample_weight, batch_size=None, steps=1)
        batch = next(adapter._iterate(device))
        return unpack_x_y_sample_weight(batch)


_TAKES_TRAINING = {}


def _takes_training(function):
    """Whether `compute_loss` accepts `training` (added in Keras 3.3; older overrides lack it)."""
    known = _TAKES_TRAINING.get(function)
    if known is None:
        known = _TAKES_TRAINING[function] = "training" in inspect.signature(function).parameters
    return known


def _cpu_compiler_available():
    try:
        from torch._inductor import cpp_builder

        cpp_builder.get_cpp_compiler()
        return True
    except Exception:  # noqa: BLE001 - any failure to find or run the compiler means "none usable"
        return False
