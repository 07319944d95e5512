"""`Adadelta`, as `keras.optimizers.Adadelta`."""

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


@keras_export("keras.optimizers.Adadelta")
class Adadelta(optimizer.Optimizer):
    """Optimizer that implements the Adadelta algorithm.

    Adadelta adapts learning rates from a moving window of gradient updates
    ([Zeiler, 2012](http://arxiv.org/abs/1212.5701)):

    ```python
    accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2
    delta = -sqrt(accumulated_delta_var + epsilon) / sqrt(accumulated_grad + epsilon) * g
    accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2
    w = w + learning_rate * delta
    ```

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Note that Adadelta tends to benefit from higher initial learning
            rate values compared to other optimizers. Defaults to `0.001`.
        rho: A floating point value. The decay rate. Defaults to `0.95`.
        epsilon: Small floating point value for maintaining numerical
            stability. Defaults to `1e-7`.
        **kwargs: The base optimizer arguments (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`); see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
        epsilon=1e-7,
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
        self.epsilon = epsilon

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["accumulated_grad", "accumulated_delta_var"])

    def _parallel_update_step(self, grads, params, learning_rate):
        lr = float(optimizer._scalar_type(params[0].dtype)(np.float32(learning_rate)))
        rho = self.rho
        state = self.state
        accumulated_grads = [state[p]["accumulated_grad"] for p in params]
        accumulated_delta_vars = [state[p]["accumulated_delta_var"] for p in params]
        torch._foreach_mul_(accumulated_grads, rho)
        torch._foreach_addcmul_(accumulated_grads, grads, grads, value=1 - rho)

        def rms(x):
            out = torch._foreach_add(x, self.epsilon)
            torch._foreach_sqrt_(out)
            return out

        delta_vars = torch._foreach_mul(rms(accumulated_delta_vars), grads)
        torch._foreach_div_(delta_vars, rms(accumulated_grads))
        torch._foreach_neg_(delta_vars)
        torch._foreach_mul_(accumulated_delta_vars, rho)
        torch._foreach_addcmul_(accumulated_delta_vars, delta_vars, delta_vars, value=1 - rho)
        torch._foreach_add_(params, delta_vars, alpha=lr)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
