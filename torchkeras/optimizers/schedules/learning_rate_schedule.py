"""Learning rate schedules, as in `keras.optimizers.schedules` (Keras 3.15).

A schedule is called with the optimizer's step (a Python int or an integer tensor) and returns a 0-d float
tensor. The arithmetic follows Keras's own, op for op and in float32, so the values match real Keras's
bit for bit on the same device (Keras's torch backend runs the same torch kernels).
"""

import math
import numbers

import torch

from torchkeras.api_export import keras_export


def _initial_tensor(value, device=None):
    """`ops.convert_to_tensor(initial_learning_rate)`: a Python number becomes a float32 tensor."""
    if isinstance(value, torch.Tensor):
        tensor = value if value.is_floating_point() else value.to(torch.float32)
        return tensor.to(device) if device is not None else tensor
    return torch.tensor(float(value), dtype=torch.float32, device=device)


def _step_tensor(step):
    """The step as a tensor, kept on its device (a Python int stays on the CPU)."""
    if isinstance(step, torch.Tensor):
        return step
    if hasattr(step, "value") and isinstance(step.value, torch.Tensor):  # a torchkeras / Keras Variable
        return step.value
    return torch.as_tensor(step)


def _cast(value, dtype, device):
    if isinstance(value, torch.Tensor):
        return value.to(device=device, dtype=dtype)
    return torch.tensor(value, dtype=dtype, device=device)


def _check_decay_steps(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value!r}")


@keras_export("keras.optimizers.schedules.LearningRateSchedule")
class LearningRateSchedule:
    """The learning rate schedule base class.

    A schedule modulates the learning rate of an optimizer over time: pass an
    instance as the `learning_rate` of any optimizer and it is called with the
    optimizer's iteration count at every update.

    To write your own, subclass and implement `__call__(self, step)` (and
    `get_config()` to make it serializable).

    Example:

    ```python
    class MyLRSchedule(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate / (step + 1)

    optimizer = keras.optimizers.SGD(learning_rate=MyLRSchedule(0.1))
    ```
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` in order to "
            "be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Instantiates a `LearningRateSchedule` from its config (the output of `get_config()`)."""
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{self.__class__.__name__}({args})"


@keras_export("keras.optimizers.schedules.ExponentialDecay")
class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: `initial_learning_rate * decay_rate ** (step / decay_steps)`.

    With `staircase=True`, `step / decay_steps` is floored and the learning
    rate decays at discrete intervals.

    Args:
        initial_learning_rate: A Python float. The initial learning rate.
        decay_steps: A Python integer. Must be positive.
        decay_rate: A Python float. The decay rate.
        staircase: Boolean. If `True` decay the learning rate at discrete
            intervals.
        name: String. Optional name. Defaults to `"ExponentialDecay"`.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps, "decay_steps")

    def __call__(self, step):
        step = _step_tensor(step)
        initial_learning_rate = _initial_tensor(self.initial_learning_rate, step.device)
        dtype, device = initial_learning_rate.dtype, initial_learning_rate.device
        decay_steps = _cast(self.decay_steps, dtype, device)
        decay_rate = _cast(self.decay_rate, dtype, device)
        p = step.to(dtype) / decay_steps
        if self.staircase:
            p = torch.floor(p)
        return torch.multiply(initial_learning_rate, torch.pow(decay_rate, p))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@keras_export("keras.optimizers.schedules.PiecewiseConstantDecay")
class PiecewiseConstantDecay(LearningRateSchedule):
    """A piecewise constant learning rate.

    The value is `values[0]` when `step <= boundaries[0]`, `values[1]` when
    `boundaries[0] < step <= boundaries[1]`, ..., and `values[-1]` when
    `step > boundaries[-1]`.

    Args:
        boundaries: A list of Python numbers with strictly increasing entries.
        values: A list of Python numbers, one more than `boundaries`.
        name: A string. Optional name. Defaults to `"PiecewiseConstant"`.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and values={values} "
                f"of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _step_tensor(step)
        device = step.device
        boundaries = [_cast(b, step.dtype, device) for b in self.boundaries]
        values = [
            v.to(device) if isinstance(v, torch.Tensor) else torch.as_tensor(v, device=device) for v in self.values
        ]
        result_dtype = values[0].dtype
        result = torch.zeros((), dtype=result_dtype, device=device)
        result = result + (step <= boundaries[0]).to(result_dtype) * values[0]
        result = result + (step > boundaries[-1]).to(result_dtype) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            result = result + ((step > low) & (step <= high)).to(result_dtype) * value
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@keras_export("keras.optimizers.schedules.PolynomialDecay")
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`.

    ```python
    step = min(step, decay_steps)
    ((initial_learning_rate - end_learning_rate) *
     (1 - step / decay_steps) ** power) + end_learning_rate
    ```

    With `cycle=True`, `decay_steps` is instead the first multiple of
    `decay_steps` above `step`.

    Args:
        initial_learning_rate: A Python float. The initial learning rate.
        decay_steps: A Python integer. Must be positive.
        end_learning_rate: A Python float. The minimal end learning rate.
            Defaults to `0.0001`.
        power: A Python float. The power of the polynomial. Defaults to `1.0`.
        cycle: A boolean, whether it should cycle beyond `decay_steps`.
        name: String. Optional name. Defaults to `"PolynomialDecay"`.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps(decay_steps, "decay_steps")

    def __call__(self, step):
        step = _step_tensor(step)
        initial_learning_rate = _initial_tensor(self.initial_learning_rate, step.device)
        dtype, device = initial_learning_rate.dtype, initial_learning_rate.device
        end_learning_rate = _cast(self.end_learning_rate, dtype, device)
        power = _cast(self.power, dtype, device)
        global_step = step.to(dtype)
        decay_steps = _cast(self.decay_steps, dtype, device)
        if self.cycle:
            # The first multiple of decay_steps above the step (1 at step 0).
            multiplier = torch.where(
                global_step == 0,
                torch.ones((), dtype=dtype, device=device),
                torch.ceil(global_step / self.decay_steps),
            )
            decay_steps = decay_steps * multiplier
        else:
            global_step = torch.minimum(global_step, decay_steps)
        p = global_step / decay_steps
        return (initial_learning_rate - end_learning_rate) * torch.pow(1 - p, power) + end_learning_rate

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@keras_export("keras.optimizers.schedules.InverseTimeDecay")
class InverseTimeDecay(LearningRateSchedule):
    """Inverse time decay: `initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    With `staircase=True`, `step / decay_steps` is floored.

    Args:
        initial_learning_rate: A Python float. The initial learning rate.
        decay_steps: How often to apply decay. Must be positive.
        decay_rate: A Python number. The decay rate.
        staircase: Whether to apply decay in a discrete staircase, as opposed
            to continuous, fashion.
        name: String. Optional name. Defaults to `"InverseTimeDecay"`.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps, "decay_steps")

    def __call__(self, step):
        step = _step_tensor(step)
        initial_learning_rate = _initial_tensor(self.initial_learning_rate, step.device)
        dtype, device = initial_learning_rate.dtype, initial_learning_rate.device
        decay_steps = _cast(self.decay_steps, dtype, device)
        decay_rate = _cast(self.decay_rate, dtype, device)
        p = step.to(dtype) / decay_steps
        if self.staircase:
            p = torch.floor(p)
        denominator = torch.ones((), dtype=dtype, device=device) + decay_rate * p
        return initial_learning_rate / denominator

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@keras_export("keras.optimizers.schedules.CosineDecay")
class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup.

    Without warmup (`warmup_target=None`):

    ```python
    step = min(step, decay_steps)
    cosine_decay = 0.5 * (1 + cos(pi * step / decay_steps))
    initial_learning_rate * ((1 - alpha) * cosine_decay + alpha)
    ```

    With `warmup_target`, the rate first rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays
    from `warmup_target` as above over `decay_steps`.

    Args:
        initial_learning_rate: A Python float. The initial learning rate.
        decay_steps: A Python int. Number of steps to decay over.
        alpha: A Python float. Minimum learning rate value as a fraction of
            the rate the decay starts from.
        name: String. Optional name. Defaults to `"CosineDecay"`.
        warmup_target: A Python float, the learning rate reached at the end of
            the warmup, or `None` for no warmup.
        warmup_steps: A Python int. Number of steps to warm up over.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps(decay_steps, "decay_steps")

    def _decay_function(self, step, decay_steps, decay_from_lr, dtype):
        completed_fraction = step / decay_steps
        pi = torch.tensor(math.pi, dtype=dtype, device=step.device)
        cosine_decayed = 0.5 * (1.0 + torch.cos(pi * completed_fraction))
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return decay_from_lr * decayed

    def _warmup_function(self, step, warmup_steps, warmup_target, initial_learning_rate):
        completed_fraction = step / warmup_steps
        total_step_delta = warmup_target - initial_learning_rate
        return total_step_delta * completed_fraction + initial_learning_rate

    def __call__(self, step):
        step = _step_tensor(step)
        initial_learning_rate = _initial_tensor(self.initial_learning_rate, step.device)
        dtype, device = initial_learning_rate.dtype, initial_learning_rate.device
        decay_steps = _cast(self.decay_steps, dtype, device)
        global_step = step.to(dtype)
        if self.warmup_target is None:
            global_step = torch.minimum(global_step, decay_steps)
            return self._decay_function(global_step, decay_steps, initial_learning_rate, dtype)
        warmup_target = _cast(self.warmup_target, dtype, device)
        warmup_steps = _cast(self.warmup_steps, dtype, device)
        global_step = torch.minimum(global_step, decay_steps + warmup_steps)
        if bool(global_step < warmup_steps):
            return self._warmup_function(global_step, warmup_steps, warmup_target, initial_learning_rate)
        return self._decay_function(global_step - warmup_steps, decay_steps, warmup_target, dtype)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@keras_export("keras.optimizers.schedules.CosineDecayRestarts")
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first period lasts `first_decay_steps`; each restart multiplies the
    period by `t_mul` and the starting rate by `m_mul`.

    Args:
        initial_learning_rate: A Python float. The initial learning rate.
        first_decay_steps: A Python integer. Number of steps to decay over.
        t_mul: A Python float. Used to derive the number of iterations in
            the i-th period.
        m_mul: A Python float. Used to derive the initial learning rate of
            the i-th period.
        alpha: A Python float. Minimum learning rate value as a fraction of
            the `initial_learning_rate`.
        name: String. Optional name. Defaults to `"SGDRDecay"`.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps(first_decay_steps, "first_decay_steps")

    def __call__(self, step):
        step = _step_tensor(step)
        initial_learning_rate = _initial_tensor(self.initial_learning_rate, step.device)
        dtype, device = initial_learning_rate.dtype, initial_learning_rate.device
        first_decay_steps = _cast(self.first_decay_steps, dtype, device)
        alpha = _cast(self.alpha, dtype, device)
        t_mul = _cast(self._t_mul, dtype, device)
        m_mul = _cast(self._m_mul, dtype, device)
        completed_fraction = step.to(dtype) / first_decay_steps

        if bool(t_mul == 1.0):
            i_restart = torch.floor(completed_fraction)
            completed_fraction = completed_fraction - i_restart
        else:
            i_restart = torch.floor(torch.log(1.0 - completed_fraction * (1.0 - t_mul)) / torch.log(t_mul))
            sum_r = (1.0 - torch.pow(t_mul, i_restart)) / (1.0 - t_mul)
            completed_fraction = (completed_fraction - sum_r) / torch.pow(t_mul, i_restart)

        m_fac = torch.pow(m_mul, i_restart)
        pi = torch.tensor(math.pi, dtype=dtype, device=device)
        cosine_decayed = 0.5 * m_fac * (1.0 + torch.cos(pi * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return initial_learning_rate * decayed

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


@keras_export("keras.optimizers.schedules.serialize")
def serialize(learning_rate_schedule):
    """Returns the schedule's Keras config dict."""
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(learning_rate_schedule)


@keras_export("keras.optimizers.schedules.deserialize")
def deserialize(config, custom_objects=None):
    """Returns a schedule from its config dict."""
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


ALL_OBJECTS_DICT = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}
