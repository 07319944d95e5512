import pytest
import torch

from torchkeras import activations, layers
from torchkeras.saving import object_registration, serialization
from torchkeras.testing import run_layer_test


def _square(x):
    return x * x


def test_contract_named_function():
    run_layer_test(
        layers.Lambda, {"function": activations.relu}, input_shape=(2, 3),
        expected_output_shape=(2, 3), expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0, supports_masking=False,
    )


def test_contract_custom_function():
    with object_registration.CustomObjectScope({"_square": _square}):
        run_layer_test(
            layers.Lambda, {"function": _square, "output_shape": (3,)},
            input_data=torch.tensor([[1.0, -2.0, 3.0]]), expected_output_shape=(1, 3),
            expected_output=torch.tensor([[1.0, 4.0, 9.0]]),
        )


def test_contract_python_lambda_unsafe_scope():
    # A lambda config only loads with safe mode off: the contract runs inside such a scope.
    with serialization.SafeModeScope(False):
        run_layer_test(
            layers.Lambda, {"function": lambda x: x[:, :2] * 2.0}, input_shape=(3, 4),
            expected_output_shape=(3, 2),
        )


def test_golden_values_and_arguments():
    layer = layers.Lambda(lambda x, power: x ** power, arguments={"power": 3})
    torch.testing.assert_close(layer(torch.tensor([[2.0, -1.0]])), torch.tensor([[8.0, -1.0]]))


def test_training_and_mask_passed():
    seen = {}

    def fn(x, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return x

    layer = layers.Lambda(fn)
    masked = layers.Masking()(torch.tensor([[[1.0], [0.0]]]))
    layer(masked, training=True)
    assert seen["training"] is True
    assert seen["mask"].tolist() == [[True, False]]


def test_mask_argument():
    x = torch.tensor([[[1.0], [0.0]]])
    masked = layers.Masking()(x)
    # No `mask`: the input mask stops here.
    assert getattr(layers.Lambda(lambda t: t + 1)(masked), "_keras_mask", None) is None
    # A callable mask.
    layer = layers.Lambda(lambda t: t * 1, mask=lambda inputs, mask: torch.logical_not(mask))
    assert layer.supports_masking
    assert layer(masked)._keras_mask.tolist() == [[False, True]]
    # As in Keras, an output that already carries a mask (here the input itself) keeps it.
    assert layers.Lambda(lambda t: t, mask=lambda inputs, mask: ~mask)(masked)._keras_mask.tolist() == [[True, False]]
    # A fixed mask.
    fixed = torch.tensor([[True, True]])
    assert layers.Lambda(lambda t: t, mask=fixed)(x)._keras_mask is fixed


def test_output_shape_forms():
    x_shape = (None, 4)
    assert layers.Lambda(lambda t: t[:, :2]).compute_output_shape(x_shape) == (None, 2)
    assert layers.Lambda(lambda t: t, output_shape=(7,)).compute_output_shape((5, 4)) == (5, 7)
    assert layers.Lambda(lambda t: t, output_shape=lambda s: (s[0], 9)).compute_output_shape(
        (5, 4)) == (5, 9)
    assert layers.Lambda(lambda t: t, output_shape=[(2,), (3,)]).compute_output_shape(
        [(5, 4), (5, 4)]) == [(5, 2), (5, 3)]


def test_get_config_formats():
    config = layers.Lambda(lambda x: x + 1, output_shape=(3,), name="lam").get_config()
    assert config["function"]["class_name"] == "__lambda__"
    assert set(config["function"]["config"]) == {"code", "defaults", "closure"}
    assert config["output_shape"] == (3,)
    assert config["arguments"] == {}
    assert "mask" not in config
    named = layers.Lambda(_square).get_config()["function"]
    assert named == {"module": "builtins", "class_name": "function", "config": "_square",
                     "registered_name": "function"}


def test_from_config_refuses_bytecode_in_safe_mode():
    config = layers.Lambda(lambda x: x + 1).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="arbitrary code execution"):
        serialization.deserialize_keras_object(serialization.serialize_keras_object(
            layers.Lambda(lambda x: x + 1)))
    with serialization.SafeModeScope(True), pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    # A lambda output_shape or mask is refused too.
    config = layers.Lambda(_square, output_shape=lambda s: s).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config, custom_objects={"_square": _square})


def test_from_config_loads_bytecode_when_unsafe():
    config = layers.Lambda(lambda x, k=2: x * k, mask=lambda i, m: None).get_config()
    revived = layers.Lambda.from_config(config, safe_mode=False)
    torch.testing.assert_close(revived(torch.tensor([3.0])), torch.tensor([6.0]))
    with serialization.SafeModeScope(False):
        revived = layers.Lambda.from_config(config)
    torch.testing.assert_close(revived(torch.tensor([3.0])), torch.tensor([6.0]))
    assert revived.get_config() == config


def test_closure_round_trip():
    factor = 5.0
    layer = layers.Lambda(lambda x: x * factor)
    revived = layers.Lambda.from_config(layer.get_config(), safe_mode=False)
    torch.testing.assert_close(revived(torch.tensor([2.0])), torch.tensor([10.0]))


def test_invalid_arguments():
    with pytest.raises(TypeError, match="Received"):
        layers.Lambda(3)
    with pytest.raises(TypeError, match="Received"):
        layers.Lambda(lambda x: x, arguments=[1])
    with pytest.raises(NotImplementedError, match="output_shape"):
        layers.Lambda(lambda x: x.numpy()).compute_output_shape((None, 3))
