"""`Adamax`, as `keras.optimizers.Adamax`."""

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


@keras_export("keras.optimizers.Adamax")
class Adamax(optimizer.Optimizer):
    """Optimizer that implements the Adamax algorithm.

    Adamax, a variant of Adam based on the infinity norm (section 7 of
    [Kingma et al., 2014](http://arxiv.org/abs/1412.6980)):

    ```python
    m = beta_1 * m + (1 - beta_1) * g
    u = max(beta_2 * u, abs(g))
    w = w - learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))
    ```

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Defaults to `0.001`.
        beta_1: The exponential decay rate for the 1st moment estimates.
            Defaults to `0.9`.
        beta_2: The exponential decay rate for the exponentially weighted
            infinity norm. Defaults to `0.999`.
        epsilon: A small constant for numerical stability. Defaults to `1e-7`.
        **kwargs: The base optimizer arguments (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`); see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
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
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["momentum", "norm"])

    def _parallel_update_step(self, grads, params, learning_rate):
        f = optimizer._scalar_type(params[0].dtype)
        lr = f(np.float32(learning_rate))
        beta_1_power = f(self.beta_1) ** f(self._local_step())
        state = self.state
        m_list = [state[p]["momentum"] for p in params]
        u_list = [state[p]["norm"] for p in params]
        torch._foreach_mul_(m_list, self.beta_1)
        torch._foreach_add_(m_list, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(u_list, self.beta_2)
        torch._foreach_maximum_(u_list, torch._foreach_abs(grads))
        denominators = torch._foreach_add(u_list, self.epsilon)
        torch._foreach_mul_(denominators, float(f(1) - beta_1_power))
        torch._foreach_addcdiv_(params, m_list, denominators, value=-float(lr))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
