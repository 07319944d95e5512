"""Keras's training API for models: `Trainer` (compile/fit/evaluate/predict), the compiled loss and
metrics, data adapters and epoch iteration."""

from torchkeras.trainers.trainer import Trainer  # noqa: F401
