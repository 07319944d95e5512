"""Rescaling: contract, golden values, dtypes, per-channel scales, config, bad arguments."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.saving import serialization
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_dtype", [
    (dict(scale=1.0 / 255), "float32"),
    (dict(scale=1.0 / 127.5, offset=-1.0), "uint8"),
    (dict(scale=[0.5, 1.0, 2.0], offset=[0.0, 1.0, -1.0]), "float32"),
    (dict(scale=np.array([0.5, 1.0, 2.0]), offset=0.25), "int32"),
])
def test_rescaling_contract(kwargs, input_dtype):
    run_layer_test(layers.Rescaling, kwargs, input_shape=(2, 4, 4, 3), input_dtype=input_dtype,
                   expected_output_shape=(2, 4, 4, 3), expected_output_dtype="float32",
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_rescaling_golden_uint8_to_unit_range():
    out = layers.Rescaling(1.0 / 127.5, offset=-1.0)(torch.tensor([0, 255], dtype=torch.uint8))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), [-1.0, 1.0], rtol=1e-6)


def test_rescaling_per_channel_broadcasts_on_the_last_axis():
    out = layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, 0.0])(np.ones((2, 2, 3), "float32"))
    np.testing.assert_array_equal(out.numpy(), np.tile([1.0, 3.0, 3.0], (2, 2, 1)))


def test_rescaling_per_channel_scale_follows_a_channels_first_image_data_format():
    # As in Keras: the global data format (read at call time) reshapes `scale` to (channels, 1, 1);
    # `offset` is not reshaped.
    layer = layers.Rescaling([1.0, 10.0], offset=[0.0, 0.5])
    x = np.ones((1, 2, 2, 2), "float32")
    torchkeras.config.set_image_data_format("channels_first")
    try:
        out = layer(x).numpy()
    finally:
        torchkeras.config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(out[0, 0], [[1.0, 1.5], [1.0, 1.5]])
    np.testing.assert_array_equal(out[0, 1], [[10.0, 10.5], [10.0, 10.5]])
    np.testing.assert_array_equal(layer(x).numpy()[0, 0], [[1.0, 10.5], [1.0, 10.5]])


def test_rescaling_mixed_policy_outputs_the_compute_dtype():
    out = layers.Rescaling(0.5, dtype="mixed_float16")(torch.arange(4, dtype=torch.uint8))
    assert out.dtype == torch.float16
    np.testing.assert_array_equal(out.float().numpy(), [0.0, 0.5, 1.0, 1.5])


def test_rescaling_config_writes_arrays_as_keras_does():
    layer = layers.Rescaling(np.array([0.5, 2.0]), offset=[1.0, 2.0], name="r")
    config = layer.get_config()
    assert config["scale"] == {"class_name": "__numpy__", "config": {"value": [0.5, 2.0], "dtype": "float64"}}
    assert config["offset"] == [1.0, 2.0]
    revived = layers.Rescaling.from_config(config)
    assert isinstance(revived.scale, np.ndarray) and revived.get_config() == config
    revived = serialization.deserialize_keras_object(serialization.serialize_keras_object(layer))
    np.testing.assert_array_equal(revived(np.ones((1, 2), "float32")).numpy(), [[1.5, 4.0]])


def test_rescaling_in_a_functional_model_and_under_float64():
    x = torchkeras.Input((3,))
    model = torchkeras.Model(x, layers.Rescaling(2.0, offset=1.0)(x))
    np.testing.assert_array_equal(model(torch.tensor([[0.0, 1.0, 2.0]])).numpy(), [[1.0, 3.0, 5.0]])
    out = layers.Rescaling(2.0, dtype="float64")(torch.tensor([1.0]))
    assert out.dtype == torch.float64


def test_rescaling_rejects_non_numeric_arguments():
    with pytest.raises(TypeError, match="argument `scale`"):
        layers.Rescaling("half")
    with pytest.raises(TypeError, match="argument `offset`"):
        layers.Rescaling(1.0, offset=None)
