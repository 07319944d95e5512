"""`Wrapper`, the base class users subclass to write a wrapper, as in Keras."""

import pytest
import torch

import torchkeras as keras
from torchkeras import layers


class Doubled(layers.Wrapper):
    """Runs the wrapped layer and doubles its output."""

    def call(self, inputs):
        return 2.0 * self.layer(inputs)


def test_a_user_wrapper_builds_serializes_and_owns_the_wrapped_weights():
    wrapper = Doubled(layers.Dense(3, name="inner"), name="doubled")
    x = torch.randn(4, 5)
    torch.testing.assert_close(wrapper(x), 2.0 * wrapper.layer(x))
    assert [w.path for w in wrapper.weights] == ["doubled/inner/kernel", "doubled/inner/bias"]
    config = wrapper.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["name"] == "doubled"
    restored = Doubled.from_config(config)
    assert isinstance(restored.layer, layers.Dense) and restored.layer.units == 3

    explicit = Doubled(layers.Dense(2))
    explicit.build((None, 7))
    assert explicit.layer.built and tuple(explicit.layer.kernel.shape) == (7, 2)


def test_the_built_in_wrappers_are_wrappers():
    assert issubclass(layers.TimeDistributed, layers.Wrapper)
    assert issubclass(layers.SpectralNormalization, layers.Wrapper)
    assert not issubclass(layers.Bidirectional, layers.Wrapper)  # as in Keras 3


def test_wrapping_something_that_is_not_a_layer_is_refused():
    with pytest.raises(ValueError, match="supplied to Wrapper isn't a supported layer type"):
        Doubled(torch.nn.Linear(2, 3))


def test_a_wrapped_model_round_trips_through_a_functional_config():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, Doubled(layers.Dense(3))(inputs))
    rebuilt = keras.Model.from_config(model.get_config(), custom_objects={"Doubled": Doubled})
    rebuilt.set_weights(model.get_weights())
    x = torch.randn(2, 5)
    torch.testing.assert_close(rebuilt(x), model(x))
