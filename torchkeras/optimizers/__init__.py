"""Optimizers, as in `keras.optimizers` (Keras 3.15); each one is also a `torch.optim.Optimizer`."""

from torchkeras.api_export import keras_export
from torchkeras.optimizers import schedules
from torchkeras.optimizers.adadelta import Adadelta
from torchkeras.optimizers.adagrad import Adagrad
from torchkeras.optimizers.adam import Adam
from torchkeras.optimizers.adamax import Adamax
from torchkeras.optimizers.adamw import AdamW
from torchkeras.optimizers.ftrl import Ftrl
from torchkeras.optimizers.lion import Lion
from torchkeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchkeras.optimizers.nadam import Nadam
from torchkeras.optimizers.optimizer import Optimizer
from torchkeras.optimizers.rmsprop import RMSprop
from torchkeras.optimizers.sgd import SGD

ALL_OBJECTS = (Optimizer, Adam, SGD, RMSprop, Adadelta, AdamW, Adagrad, Adamax, Nadam, Ftrl, Lion)
# Keras resolves built-in optimizer names case-insensitively ("adam", "Adam", "RMSprop", "rmsprop").
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}

# Keras optimizers that torchkeras does not implement (yet): named in the error instead of "unknown".
_NOT_IMPLEMENTED = {
    "adafactor", "lamb", "muon", "multioptimizer", "optimizermap", "schedulefreeadamw",
}


@keras_export("keras.optimizers.serialize")
def serialize(optimizer):
    """Returns the optimizer's Keras config dict.

    Args:
        optimizer: An `Optimizer` instance to serialize.
    """
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(optimizer)


@keras_export("keras.optimizers.deserialize")
def deserialize(config, custom_objects=None):
    """Returns an optimizer from its config dict (`{"class_name": ..., "config": {...}}`).

    Built-in class names are matched case-insensitively, as in Keras.

    Args:
        config: Optimizer configuration dictionary.
        custom_objects: Optional dictionary mapping names to custom classes.
    """
    from torchkeras.saving import serialization

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Expected an optimizer config: a dict with a `class_name` key. "
            f"Received: config={config!r}"
        )
    config = dict(config)
    class_name = config["class_name"]
    if isinstance(class_name, str) and class_name.lower() in ALL_OBJECTS_DICT:
        config["class_name"] = class_name.lower()
    return serialization.deserialize_keras_object(
        config, module_objects={**ALL_OBJECTS_DICT, "LossScaleOptimizer": LossScaleOptimizer},
        custom_objects=custom_objects
    )


@keras_export("keras.optimizers.get")
def get(identifier):
    """Retrieves an optimizer.

    Args:
        identifier: One of
            - a string: the name of an optimizer (`"adam"`, `"sgd"`, `"rmsprop"`...,
              case-insensitive), built with its default arguments;
            - a config dict (`{"class_name": "Adam", "config": {...}}`);
            - an optimizer instance (a torchkeras optimizer, or any
              `torch.optim.Optimizer`), returned unchanged;
            - `None`, returned unchanged.

    Returns:
        An optimizer instance.
    """
    import torch

    if identifier is None:
        return None
    if isinstance(identifier, (torch.optim.Optimizer, LossScaleOptimizer)):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ALL_OBJECTS_DICT and key != "optimizer":
            return ALL_OBJECTS_DICT[key]()
        if key in _NOT_IMPLEMENTED:
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}. Keras's {identifier} optimizer is "
                f"not implemented in torchkeras. Available: {sorted(k for k in ALL_OBJECTS_DICT if k != 'optimizer')}"
            )
        raise ValueError(
            f"Could not interpret optimizer identifier: {identifier!r}. Expected one of "
            f"{sorted(k for k in ALL_OBJECTS_DICT if k != 'optimizer')}, a config dict or an optimizer instance."
        )
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        if isinstance(obj, (torch.optim.Optimizer, LossScaleOptimizer)):
            return obj
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected an optimizer name (such as "
        "'adam'), a config dict or an optimizer instance."
    )


__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lion",
    "LossScaleOptimizer",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "SGD",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
