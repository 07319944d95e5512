"""`losses.get` / `serialize` / `deserialize` and config round trips (torch only)."""

import inspect

import pytest
import torch

import torchkeras
from torchkeras import losses
from torchkeras import saving

LOSS_CLASSES = [
    obj for obj in losses.ALL_OBJECTS
    if inspect.isclass(obj) and obj not in (losses.Loss, losses.LossFunctionWrapper)
]


def test_package_is_exported():
    assert torchkeras.losses is losses


@pytest.mark.parametrize("name, fn", [
    ("mse", losses.mean_squared_error),
    ("MSE", losses.mean_squared_error),
    ("mae", losses.mean_absolute_error),
    ("mape", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error),
    ("kld", losses.kl_divergence),
    ("bce", losses.binary_crossentropy),
    ("logcosh", losses.log_cosh),
    ("categorical_crossentropy", losses.categorical_crossentropy),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ("binary_crossentropy", losses.binary_crossentropy),
    ("huber", losses.huber),
])
def test_get_names_give_functions(name, fn):
    assert losses.get(name) is fn
    assert losses.deserialize(name) is fn


def test_module_aliases():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.kld is losses.kullback_leibler_divergence is losses.kl_divergence


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_get_class_names_give_instances_and_configs_round_trip(cls):
    loss = losses.get(cls.__name__)
    assert type(loss) is cls
    config = losses.serialize(loss)
    assert config["module"] == "keras.losses" and config["class_name"] == cls.__name__
    assert config["registered_name"] is None
    again = losses.deserialize(config)
    assert type(again) is cls and again.get_config() == loss.get_config()
    assert type(losses.get(config)) is cls
    assert type(saving.deserialize_keras_object(config)) is cls


def test_non_default_arguments_survive_a_round_trip():
    cases = [
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=1, reduction="sum", name="b"),
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, axis=1),
        losses.Huber(delta=3.0),
        losses.CosineSimilarity(axis=0),
        losses.Tversky(alpha=0.1, beta=0.9, axis=(1, 2)),
        losses.CategoricalFocalCrossentropy(alpha=0.5, gamma=1.0, from_logits=True),
        losses.Circle(gamma=10.0, margin=0.1, remove_diagonal=False),
        losses.CategoricalGeneralizedCrossEntropy(q=0.3),
    ]
    for loss in cases:
        again = losses.deserialize(losses.serialize(loss))
        assert again.get_config() == loss.get_config()
        assert again._fn_kwargs == loss._fn_kwargs, type(loss).__name__


def test_get_with_dict_class_instance_callable_and_none():
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Hinge()
    assert losses.get(instance) is instance

    def my_loss(y_true, y_pred):
        return torch.mean(y_pred - y_true)

    assert losses.get(my_loss) is my_loss
    assert losses.get(None) is None


@pytest.mark.parametrize("identifier", ["no_such_loss", 3, {"class_name": "NoSuchLoss", "config": {}}])
def test_get_unknown_identifier_raises_naming_it(identifier):
    with pytest.raises(ValueError, match="Could not interpret loss identifier") as info:
        losses.get(identifier)
    assert repr(identifier) in str(info.value) or str(identifier) in str(info.value)


def test_function_serialization_uses_keras_builtins_form():
    config = losses.serialize(losses.mean_squared_error)
    assert config == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }
    assert losses.deserialize(config) is losses.mean_squared_error


def test_loss_function_wrapper_round_trip():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="w", reduction="sum", delta=2.0)
    config = losses.serialize(wrapper)
    assert config["module"] == "keras.src.losses.losses"
    assert config["registered_name"] == "LossFunctionWrapper"
    assert config["config"]["fn"]["config"] == "huber" and config["config"]["delta"] == 2.0
    again = losses.deserialize(config)
    assert isinstance(again, losses.LossFunctionWrapper)
    assert again.fn is losses.huber and again._fn_kwargs == {"delta": 2.0}
    y_true, y_pred = torch.zeros(2, 3), torch.full((2, 3), 3.0)
    # Two rows, each the mean over the last axis of delta * |x| - 0.5 * delta**2.
    expected = 2 * (2 * 3 - 0.5 * 2**2)
    assert again(y_true, y_pred).item() == wrapper(y_true, y_pred).item() == pytest.approx(expected)


def test_custom_loss_with_custom_objects():
    @saving.register_keras_serializable(package="tests")
    class Scaled(losses.Loss):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, y_true, y_pred):
            return self.factor * torch.abs(y_true - y_pred)

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    config = losses.serialize(Scaled(factor=3.0, name="scaled"))
    again = losses.deserialize(config)
    assert isinstance(again, Scaled) and again.factor == 3.0
    assert losses.get(config).get_config() == {"name": "scaled", "reduction": "sum_over_batch_size", "factor": 3.0}
