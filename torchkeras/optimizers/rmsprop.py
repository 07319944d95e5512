"""`RMSprop`, as `keras.optimizers.RMSprop`."""

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


@keras_export("keras.optimizers.RMSprop")
class RMSprop(optimizer.Optimizer):
    """Optimizer that implements the RMSprop algorithm.

    Keeps a moving average of the square of gradients and divides the gradient
    by the root of this average (Keras's placement of `epsilon`, inside the
    square root):

    ```python
    v = rho * v + (1 - rho) * g ** 2
    w = w - learning_rate * g / sqrt(v + epsilon)
    ```

    The centered version also keeps a moving average `a` of the gradients and
    uses `sqrt(v + epsilon - a ** 2)`; with `momentum > 0` the increment feeds a
    momentum buffer `mom = momentum * mom + increment; w = w - mom`.

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Defaults to `0.001`.
        rho: Float, defaults to 0.9. Discounting factor for the old gradients.
        momentum: Float, defaults to 0.0. If not 0.0, the optimizer tracks the
            momentum value, with a decay rate equals to `1 - momentum`.
        epsilon: A small constant for numerical stability. Defaults to `1e-7`.
        centered: Boolean. If `True`, gradients are normalized by the estimated
            variance of the gradient; if `False`, by the uncentered second
            moment. Defaults to `False`.
        **kwargs: The base optimizer arguments (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`); see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
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
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, "velocity")
        if self.momentum > 0:
            self.add_optimizer_variables(variables, "momentum")
        if self.centered:
            self.add_optimizer_variables(variables, "average_gradient")

    def _parallel_update_step(self, grads, params, learning_rate):
        lr = float(optimizer._scalar_type(params[0].dtype)(np.float32(learning_rate)))
        rho = self.rho
        state = self.state
        velocities = [state[p]["velocity"] for p in params]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            average_grads = [state[p]["average_gradient"] for p in params]
            torch._foreach_mul_(average_grads, rho)
            torch._foreach_add_(average_grads, grads, alpha=1 - rho)
            torch._foreach_addcmul_(denominators, average_grads, average_grads, value=-1)
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            increments = torch._foreach_mul(grads, lr)
            torch._foreach_div_(increments, denominators)
            momentums = [state[p]["momentum"] for p in params]
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            torch._foreach_sub_(params, momentums)
        else:
            torch._foreach_addcdiv_(params, grads, denominators, value=-lr)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}
        )
        return config
