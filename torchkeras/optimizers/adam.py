"""`Adam`, as `keras.optimizers.Adam` (Keras's epsilon placement, not torch's)."""

import math

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


_FUSED_UNAVAILABLE = set()  # (device type, dtype) pairs on which torch._fused_adam_ failed


def _fusable(params, grads):
    first = params[0]
    if not hasattr(torch, "_fused_adam_") or first.dtype not in (torch.float32, torch.float64):
        return False
    if first.device.type not in ("cpu", "cuda") or (first.device.type, first.dtype) in _FUSED_UNAVAILABLE:
        return False
    device, dtype = first.device, first.dtype
    # The CUDA kernel wants one device and dtype, and each gradient laid out like its parameter (autograd's
    # gradients are; slots are created with the parameter's strides).
    return all(
        p.device == device and p.dtype == dtype and g.device == device and g.dtype == dtype
        and g.layout == torch.strided and g.stride() == p.stride()
        for p, g in zip(params, grads)
    )


@keras_export("keras.optimizers.Adam")
class Adam(optimizer.Optimizer):
    """Optimizer that implements the Adam algorithm.

    Adam is a stochastic gradient descent method based on adaptive estimation
    of first-order and second-order moments ([Kingma et al., 2014](
    http://arxiv.org/abs/1412.6980)). The update is Keras's:

    ```python
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    w = w - alpha * m / (sqrt(v) + epsilon)
    ```

    Note that `epsilon` is added to `sqrt(v)` before the bias correction
    (torch's `Adam` adds it after), so the two differ while `sqrt(v)` is small.

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Defaults to `0.001`.
        beta_1: The exponential decay rate for the 1st moment estimates.
            Defaults to `0.9`.
        beta_2: The exponential decay rate for the 2nd moment estimates.
            Defaults to `0.999`.
        epsilon: A small constant for numerical stability ("epsilon hat" in
            the Kingma and Ba paper). Defaults to `1e-7`.
        amsgrad: Boolean. Whether to apply the AMSGrad variant ("On the
            Convergence of Adam and beyond"). Defaults to `False`.
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
        amsgrad=False,
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
        self.amsgrad = amsgrad

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["momentum", "velocity"])
        if self.amsgrad:
            self.add_optimizer_variables(variables, "velocity_hat")

    # torch's fused Adam kernel (one pass over the memory; ~10x faster than the foreach kernels on CPU) runs
    # Keras's update, up to float rounding, given a rescaled learning rate and epsilon (see
    # `_fused_update_step`). Set to False to use the multi-tensor (foreach) kernels that mirror Keras's
    # torch backend op for op.
    use_fused_kernel = True

    def _parallel_update_step(self, grads, params, learning_rate):
        alpha = self._alpha(params[0].dtype, learning_rate)
        if self.use_fused_kernel and _fusable(params, grads) and self._fused_update_step(grads, params, alpha):
            return
        state = self.state
        m_list = [state[p]["momentum"] for p in params]
        v_list = [state[p]["velocity"] for p in params]
        torch._foreach_mul_(m_list, self.beta_1)
        torch._foreach_add_(m_list, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v_list, self.beta_2)
        torch._foreach_addcmul_(v_list, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            v_hat_list = [state[p]["velocity_hat"] for p in params]
            torch._foreach_maximum_(v_hat_list, v_list)
            v_list = v_hat_list
        denominators = torch._foreach_sqrt(v_list)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(params, m_list, denominators, value=-float(alpha))

    def _alpha(self, dtype, learning_rate):
        """Keras's step size `lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)`, computed in the variables'
        dtype as Keras does (in float32, `1 - beta_2 ** t` keeps float32's cancellation error)."""
        f = optimizer._scalar_type(dtype)
        step = f(self._local_step())
        beta_1_power = f(self.beta_1) ** step
        beta_2_power = f(self.beta_2) ** step
        return f(np.float32(learning_rate)) * np.sqrt(f(1) - beta_2_power) / (f(1) - beta_1_power)

    def _fused_update_step(self, grads, params, alpha):
        """The update through `torch._fused_adam_`; returns False where the kernel is unavailable.

        torch's kernel computes `lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)` with its own bias corrections
        `bc = 1 - beta ** t` (in float64). Passing `lr = alpha * bc1 / sqrt(bc2)` and
        `eps = epsilon / sqrt(bc2)` makes that Keras's `alpha * m / (sqrt(v) + epsilon)`, Keras's own
        `alpha` included.
        """
        step = self._local_step()
        bias_correction_1 = 1.0 - self.beta_1**step
        bias_correction_2 = 1.0 - self.beta_2**step
        state = self.state
        m_list = [state[p]["momentum"] for p in params]
        v_list = [state[p]["velocity"] for p in params]
        v_hat_list = [state[p]["velocity_hat"] for p in params] if self.amsgrad else []
        step_tensor = torch.full((), float(step), dtype=torch.float32, device=params[0].device)
        try:
            torch._fused_adam_(
                params, grads, m_list, v_list, v_hat_list, [step_tensor] * len(params),
                lr=float(alpha) * bias_correction_1 / math.sqrt(bias_correction_2),
                beta1=self.beta_1,
                beta2=self.beta_2,
                weight_decay=0.0,
                eps=self.epsilon / math.sqrt(bias_correction_2),
                amsgrad=self.amsgrad,
                maximize=False,
            )
        except (RuntimeError, NotImplementedError):
            # No fused kernel for this device / dtype in this torch version (its checks run before any write).
            _FUSED_UNAVAILABLE.add((params[0].device.type, params[0].dtype))
            return False
        return True

    def get_config(self):
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}
        )
        return config
