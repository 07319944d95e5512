"""Dynamic loss scaling for float16 training (`keras.optimizers.LossScaleOptimizer`)."""

import torch

from torchkeras.api_export import keras_export

_BASE_DEFAULTS = {
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
    "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


@keras_export("keras.optimizers.LossScaleOptimizer", "keras.mixed_precision.LossScaleOptimizer")
class LossScaleOptimizer:
    """An optimizer that dynamically scales the loss to prevent float16 gradients from underflowing.

    The loss is multiplied by the loss scale before gradients are computed (`scale_loss`), and the
    gradients are divided by it before the wrapped optimizer applies them. The scale is dynamic, as in
    Keras (and `torch.amp.GradScaler`):
    - on a step with any non-finite gradient, the update is skipped and the scale halved;
    - after `dynamic_growth_steps` consecutive finite steps, the scale is doubled.

    `fit` under the `"mixed_float16"` policy wraps the compiled optimizer in one automatically.

    Args:
        inner_optimizer: The torchkeras optimizer to wrap.
        initial_scale: Float. The initial loss scale.
        dynamic_growth_steps: Int. After this many steps with finite gradients the scale doubles.
        name: The optimizer's name.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None,
                 **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{argument}`. Instead, set `{argument}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not (hasattr(inner_optimizer, "apply") and hasattr(inner_optimizer, "build")):
            raise TypeError(
                "Argument `inner_optimizer` must be a torchkeras optimizer (such as "
                f"`keras.optimizers.SGD()`). Received: inner_optimizer={inner_optimizer!r}"
            )
        if isinstance(initial_scale, bool) or not isinstance(initial_scale, (int, float)) or initial_scale <= 0:
            raise ValueError(
                f"Argument `initial_scale` must be a positive number. Received: initial_scale={initial_scale!r}"
            )
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) \
                or dynamic_growth_steps < 1:
            raise ValueError(
                "Argument `dynamic_growth_steps` must be a positive integer. Received: "
                f"dynamic_growth_steps={dynamic_growth_steps!r}"
            )
        self.name = name or "loss_scale_optimizer"
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        # Otherwise the inner optimizer would scale the loss a second time.
        self.inner_optimizer.loss_scale_factor = None
        self.built = False
        self.step_counter = None
        self.dynamic_scale = None

    def build(self, var_list):
        self.step_counter = torch.zeros((), dtype=torch.int64)
        self.dynamic_scale = torch.tensor(self.initial_scale, dtype=torch.float32)
        if not getattr(self.inner_optimizer, "built", False):
            self.inner_optimizer.build(var_list)
        self.built = True

    @property
    def variables(self):
        own = [self.step_counter, self.dynamic_scale] if self.built else []
        return own + list(self.inner_optimizer.variables)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def param_groups(self):
        return self.inner_optimizer.param_groups

    def scale_loss(self, loss):
        """The loss times the current scale (the initial scale before the first step)."""
        scale = self.dynamic_scale if self.built else self.initial_scale
        return loss * scale

    def _scale_on(self, device):
        return self.dynamic_scale.to(device)

    def _unscale_and_check(self, grads):
        """Divides `grads` by the scale in place; whether all of them are finite."""
        found_inf = None
        by_device = {}
        for g in grads:
            by_device.setdefault((g.device, g.dtype), []).append(g)
        finite = True
        for (device, _), group in by_device.items():
            found_inf = torch.zeros((), device=device)
            inv_scale = self._scale_on(device).double().reciprocal().float()
            torch._amp_foreach_non_finite_check_and_unscale_(group, found_inf, inv_scale)
            finite = finite and not bool(found_inf.item())
        return finite

    def _update_scale(self, finite):
        with torch.no_grad():
            if not finite:
                self.step_counter.zero_()
                self.dynamic_scale.mul_(0.5)
            elif int(self.step_counter) == self.dynamic_growth_steps - 1:
                self.step_counter.zero_()
                self.dynamic_scale.mul_(2.0)
            else:
                self.step_counter.add_(1)

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        """Unscales `grads` and applies them with the inner optimizer, unless one is inf or nan (then the
        step is skipped and the scale halved)."""
        if not self.built:
            self.build(trainable_variables if trainable_variables is not None else [])
        grads = [None if g is None else torch.as_tensor(g).clone() for g in grads]
        finite = self._unscale_and_check([g for g in grads if g is not None])
        if finite:
            self.inner_optimizer.apply(grads, trainable_variables)
        self._update_scale(finite)

    def apply_gradients(self, grads_and_vars):
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self.iterations

    @torch.no_grad()
    def step(self, closure=None):
        """torch's `step()` over the `.grad` of the inner optimizer's tensors, with the same scaling rules."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not self.built:
            self.build([])
        grads = [p.grad for group in self.inner_optimizer.param_groups for p in group["params"]
                 if p.grad is not None]
        grads = [g.to_dense() if g.is_sparse else g for g in grads]
        finite = self._unscale_and_check(grads)
        if finite:
            self.inner_optimizer.step()
        self._update_scale(finite)
        return loss

    def zero_grad(self, set_to_none=True):
        self.inner_optimizer.zero_grad(set_to_none=set_to_none)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def state_dict(self):
        return {"inner_optimizer": self.inner_optimizer.state_dict(),
                "step_counter": None if self.step_counter is None else int(self.step_counter),
                "dynamic_scale": None if self.dynamic_scale is None else float(self.dynamic_scale)}

    def load_state_dict(self, state_dict):
        self.inner_optimizer.load_state_dict(state_dict["inner_optimizer"])
        if state_dict.get("dynamic_scale") is not None:
            if not self.built:
                self.build([])
            self.step_counter.fill_(state_dict["step_counter"])
            self.dynamic_scale.fill_(state_dict["dynamic_scale"])

    def get_config(self):
        from torchkeras.saving import serialization

        return {
            "name": self.name,
            "inner_optimizer": serialization.serialize_keras_object(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from torchkeras import optimizers

        config = dict(config)
        inner = optimizers.deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return f"<LossScaleOptimizer name={self.name!r} inner={type(self.inner_optimizer).__name__}>"
