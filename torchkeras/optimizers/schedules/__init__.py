"""Learning rate schedules, as in `keras.optimizers.schedules`."""

from torchkeras.optimizers.schedules.learning_rate_schedule import CosineDecay
from torchkeras.optimizers.schedules.learning_rate_schedule import CosineDecayRestarts
from torchkeras.optimizers.schedules.learning_rate_schedule import ExponentialDecay
from torchkeras.optimizers.schedules.learning_rate_schedule import InverseTimeDecay
from torchkeras.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from torchkeras.optimizers.schedules.learning_rate_schedule import PiecewiseConstantDecay
from torchkeras.optimizers.schedules.learning_rate_schedule import PolynomialDecay
from torchkeras.optimizers.schedules.learning_rate_schedule import deserialize
from torchkeras.optimizers.schedules.learning_rate_schedule import serialize

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]
