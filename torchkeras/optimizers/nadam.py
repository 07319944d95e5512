"""`Nadam`, as `keras.optimizers.Nadam`."""

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


@keras_export("keras.optimizers.Nadam")
class Nadam(optimizer.Optimizer):
    """Optimizer that implements the Nadam algorithm.

    Much like Adam is essentially RMSprop with momentum, Nadam is Adam with
    Nesterov momentum ([Dozat, 2015](
    http://cs229.stanford.edu/proj2015/054_report.pdf)), with Keras's momentum
    schedule `u_t = beta_1 * (1 - 0.5 * 0.96 ** t)`.

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Defaults to `0.001`.
        beta_1: The exponential decay rate for the 1st moment estimates.
            Defaults to `0.9`.
        beta_2: The exponential decay rate for the 2nd moment estimates.
            Defaults to `0.999`.
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
        self.add_optimizer_variables(variables, ["momentum", "velocity"])
        if "u_product" not in self._global_variables:
            dtype = self._params[0].dtype if self._params else torch.float32
            # The running product of the momentum schedule; on the CPU, since only scalars read it.
            self._add_global_variable((), "ones", dtype, "u_product", device=None)

    def _prepare_update(self):
        u_product = self._global_variables["u_product"]
        f = optimizer._scalar_type(u_product.dtype)
        step = self._local_step()
        decay, beta_1 = f(0.96), f(self.beta_1)
        u_t = beta_1 * (f(1.0) - f(0.5) * decay ** f(step))
        u_t_1 = beta_1 * (f(1.0) - f(0.5) * decay ** f(step + 1))
        u_product_t = f(u_product.item()) * u_t
        u_product.fill_(float(u_product_t))
        self._u_scalars = (u_t, u_t_1, u_product_t, u_product_t * u_t_1)

    def _parallel_update_step(self, grads, params, learning_rate):
        f = optimizer._scalar_type(params[0].dtype)
        lr = f(np.float32(learning_rate))
        u_t, u_t_1, u_product_t, u_product_t_1 = (f(x) for x in self._u_scalars)
        beta_2_power = f(self.beta_2) ** f(self._local_step())

        state = self.state
        m_list = [state[p]["momentum"] for p in params]
        v_list = [state[p]["velocity"] for p in params]
        torch._foreach_mul_(m_list, self.beta_1)
        torch._foreach_add_(m_list, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v_list, self.beta_2)
        torch._foreach_addcmul_(v_list, grads, grads, value=1 - self.beta_2)

        m_hat_list = torch._foreach_mul(m_list, float(u_t_1))
        torch._foreach_div_(m_hat_list, float(f(1) - u_product_t_1))
        grad_terms = torch._foreach_mul(grads, float(f(1) - u_t))
        torch._foreach_div_(grad_terms, float(f(1) - u_product_t))
        torch._foreach_add_(m_hat_list, grad_terms)

        denominators = torch._foreach_div(v_list, float(f(1) - beta_2_power))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_mul_(m_hat_list, float(lr))
        torch._foreach_div_(m_hat_list, denominators)
        torch._foreach_sub_(params, m_hat_list)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
