"""Learning rate schedules without Keras: values checked by hand, configs, errors."""

import math

import pytest
import torch

from torchkeras.optimizers import schedules


def _at(schedule, step):
    value = schedule(step)
    assert isinstance(value, torch.Tensor) and value.ndim == 0 and value.dtype == torch.float32
    return value.item()


def test_exponential_and_inverse_time_decay():
    exp = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert _at(exp, 0) == pytest.approx(0.1)
    assert _at(exp, 10) == pytest.approx(0.05)
    assert _at(exp, 5) == pytest.approx(0.1 * 0.5**0.5)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert _at(stairs, 19) == pytest.approx(0.05) and _at(stairs, 20) == pytest.approx(0.025)

    inv = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert _at(inv, 4) == pytest.approx(1 / (1 + 0.5 * 2))
    inv = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    assert _at(inv, 3) == pytest.approx(1 / 1.5)


def test_piecewise_constant_decay_boundaries_are_inclusive_on_the_left_interval():
    schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [_at(schedule, s) for s in (0, 10, 11, 20, 21, 1000)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1, 0.1])


def test_polynomial_decay_with_and_without_cycle():
    linear = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)
    assert _at(linear, 5) == pytest.approx(0.5) and _at(linear, 50) == 0.0
    square = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0)
    assert _at(square, 5) == pytest.approx(0.9 * 0.25 + 0.1)
    cycle = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    # Step 15 decays over the first multiple of 10 above it, 20.
    assert _at(cycle, 15) == pytest.approx(1 - 15 / 20)
    assert _at(cycle, 0) == pytest.approx(1.0)


def test_cosine_decay_with_warmup():
    cosine = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert _at(cosine, 0) == pytest.approx(1.0)
    assert _at(cosine, 50) == pytest.approx(0.9 * 0.5 + 0.1)
    assert _at(cosine, 100) == pytest.approx(0.1) and _at(cosine, 500) == pytest.approx(0.1)
    warm = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert [_at(warm, s) for s in (0, 2, 4)] == pytest.approx([0.0, 0.5, 1.0])
    assert _at(warm, 9) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))


def test_cosine_decay_restarts():
    constant_period = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0, m_mul=0.5)
    assert _at(constant_period, 10) == pytest.approx(0.5)  # restart, at half the rate
    assert _at(constant_period, 15) == pytest.approx(0.25)
    growing = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0)
    assert _at(growing, 10) == pytest.approx(1.0)  # restart at step 10; the next period lasts 20
    assert _at(growing, 20) == pytest.approx(0.5)
    assert _at(growing, 30) == pytest.approx(1.0, abs=1e-6)


def test_tensor_steps_and_devices():
    schedule = schedules.CosineDecay(0.1, decay_steps=10)
    values = [schedule(torch.tensor(s, dtype=dtype)).item() for s in (3, 7) for dtype in (torch.int32, torch.int64)]
    assert values[0] == values[1] and values[2] == values[3]


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True, name="exp"),
        schedules.PiecewiseConstantDecay([1, 2], [0.3, 0.2, 0.1]),
        schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True),
        schedules.InverseTimeDecay(0.1, 10, 0.5),
        schedules.CosineDecay(0.1, 10, alpha=0.1, warmup_target=0.2, warmup_steps=3),
        schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
    ],
    ids=lambda s: type(s).__name__,
)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    serialized = schedules.serialize(schedule)
    assert serialized["module"] == "keras.optimizers.schedules"
    assert serialized["class_name"] == type(schedule).__name__
    back = schedules.deserialize(serialized)
    assert type(back) is type(schedule) and back.get_config() == config
    assert _at(back, 7) == _at(schedule, 7)


def test_custom_schedule_and_errors():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / (2 ** int(step))

    with pytest.raises(NotImplementedError, match="get_config"):
        Halving().get_config()
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
    for cls in (schedules.ExponentialDecay, schedules.InverseTimeDecay):
        with pytest.raises(ValueError, match="decay_steps"):
            cls(0.1, decay_steps=-1, decay_rate=0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.CosineDecay(0.1, decay_steps=0)
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, first_decay_steps=0)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2, 3], [0.1, 0.2])
