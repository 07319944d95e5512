"""`Lion`, as `keras.optimizers.Lion`."""

import numbers

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


@keras_export("keras.optimizers.Lion")
class Lion(optimizer.Optimizer):
    """Optimizer that implements the Lion algorithm.

    Lion ([Chen et al., 2023](http://arxiv.org/abs/2302.06675)) only tracks
    momentum and updates with the sign of an interpolation between the
    momentum and the gradient:

    ```python
    w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
    m = beta_2 * m + (1 - beta_2) * g
    ```

    Since the update has a larger norm than SGD's or Adam's, Lion usually
    wants a learning rate 3-10x smaller than AdamW's.

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Defaults to `0.001`.
        beta_1: Float in (0, 1]. The rate to combine the current gradient and
            the 1st moment estimate. Defaults to `0.9`.
        beta_2: The exponential decay rate for the 1st moment estimate.
            Defaults to `0.99`.
        **kwargs: The base optimizer arguments (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`); see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.99,
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
        if not isinstance(beta_1, numbers.Real) or beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to "
                f"SignSGD. Received: beta_1={beta_1!r}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, "momentum")

    def _parallel_update_step(self, grads, params, learning_rate):
        lr = float(optimizer._scalar_type(params[0].dtype)(np.float32(learning_rate)))
        m_list = [self.state[p]["momentum"] for p in params]
        c_t = torch._foreach_mul(m_list, self.beta_1)
        torch._foreach_add_(c_t, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(c_t)
        torch._foreach_add_(params, c_t, alpha=-lr)
        torch._foreach_mul_(m_list, self.beta_2)
        torch._foreach_add_(m_list, grads, alpha=1 - self.beta_2)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
