"""`Ftrl`, as `keras.optimizers.Ftrl`."""

import numbers

import numpy as np
import torch

from torchkeras import initializers
from torchkeras.api_export import keras_export
from torchkeras.optimizers import optimizer


def _check_non_negative(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value < 0.0:
        raise ValueError(f"`{name}` needs to be positive or zero. Received: {name}={value!r}.")


@keras_export("keras.optimizers.Ftrl")
class Ftrl(optimizer.Optimizer):
    """Optimizer that implements the FTRL algorithm.

    "Follow The Regularized Leader" ([McMahan et al., 2013](
    https://research.google.com/pubs/archive/41159.pdf)), with L1, L2 and
    L2-shrinkage regularization, in Keras's formulation:

    ```python
    g_s = g + 2 * l2_shrinkage_regularization_strength * w
    new_accum = accum + g ** 2
    linear += g_s - (new_accum ** -lr_power - accum ** -lr_power) / lr * w
    quadratic = new_accum ** -lr_power / lr + 2 * l2
    w = (clip(linear, -l1, l1) - linear) / quadratic
    accum = new_accum
    ```

    where `l2 = l2_regularization_strength + beta / (2 * lr)`.

    Args:
        learning_rate: A float, a `LearningRateSchedule` instance, or a
            callable that takes no arguments and returns the learning rate.
            Defaults to `0.001`.
        learning_rate_power: A float value, must be less or equal to zero.
            Controls how the learning rate decreases during training. Use zero
            for a fixed learning rate. Defaults to `-0.5`.
        initial_accumulator_value: The starting value for accumulators. Only
            zero or positive values are allowed. Defaults to `0.1`.
        l1_regularization_strength: A float value, must be greater than or
            equal to zero. Defaults to `0.0`.
        l2_regularization_strength: A float value, must be greater than or
            equal to zero. Defaults to `0.0`.
        l2_shrinkage_regularization_strength: A float value, must be greater
            than or equal to zero. This differs from L2 above in that the L2
            above is a stabilization penalty, whereas this L2 shrinkage is a
            magnitude penalty. Defaults to `0.0`.
        beta: A float value, representing the beta value from the paper.
            Defaults to `0.0`.
        **kwargs: The base optimizer arguments (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`); see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
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
        _check_non_negative(initial_accumulator_value, "initial_accumulator_value")
        if not isinstance(learning_rate_power, numbers.Real) or learning_rate_power > 0.0:
            raise ValueError(
                f"`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power!r}."
            )
        _check_non_negative(l1_regularization_strength, "l1_regularization_strength")
        _check_non_negative(l2_regularization_strength, "l2_regularization_strength")
        _check_non_negative(l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _build_slots(self, variables):
        self.add_optimizer_variables(
            variables,
            ["accumulator", "linear"],
            initializer=[initializers.Constant(self.initial_accumulator_value), "zeros"],
        )

    def _parallel_update_step(self, grads, params, learning_rate):
        state = self.state
        lr_power = self.learning_rate_power
        # Keras's ops make these Python floats float32 tensors (rounded, whatever the variables' dtype).
        l1 = optimizer.as_float32(self.l1_regularization_strength)
        shrinkage = optimizer.as_float32(2 * self.l2_shrinkage_regularization_strength)
        # A CPU 0-d tensor combines with tensors on any device without a copy per variable.
        lr = torch.tensor(np.float32(learning_rate), dtype=params[0].dtype)
        # Keras raises to a float32 0-d tensor power (torch's tensor-tensor pow kernel, not its scalar one).
        power = torch.tensor(-lr_power, dtype=torch.float32)
        for grad, param in zip(grads, params):
            # Keras's generic per-variable update (its torch backend has no multi-tensor Ftrl).
            accum = state[param]["accumulator"]
            linear = state[param]["linear"]
            l2_reg = self.l2_regularization_strength + self.beta / (2.0 * lr)
            grad_to_use = grad + shrinkage * param
            new_accum = accum + torch.square(grad)
            linear.add_(
                grad_to_use - (torch.pow(new_accum, power) - torch.pow(accum, power)) / lr * param
            )
            quadratic = torch.pow(new_accum, power) / lr + 2 * l2_reg
            linear_clipped = torch.clip(linear, -l1, l1)
            param.copy_((linear_clipped - linear) / quadratic)
            accum.copy_(new_accum)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta,
            }
        )
        return config
