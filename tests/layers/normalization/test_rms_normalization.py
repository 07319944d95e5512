"""RMSNormalization: contract, golden values, non-trailing axes, bad input."""

import numpy as np
import pytest

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape", [
    (dict(), (2, 3)), (dict(axis=1), (2, 3, 4, 5)), (dict(axis=[2, 3], epsilon=1e-3), (2, 3, 4, 5)),
])
def test_rms_normalization_contract(kwargs, input_shape):
    run_layer_test(layers.RMSNormalization, kwargs, input_shape=input_shape,
                   expected_output_shape=input_shape, expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=0)


def test_rms_normalization_golden():
    # mean square of [1, 7] = 25: divide by 5.
    out = layers.RMSNormalization(epsilon=1e-12)(np.array([[1.0, 7.0]], "float32"))
    np.testing.assert_allclose(out.detach().numpy(), [[0.2, 1.4]], rtol=1e-6)


def test_rms_normalization_channels_first_axis():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    layer = layers.RMSNormalization(axis=1)
    layer(x)
    scale = np.array([1.0, 2.0, 3.0], "float32")
    layer.set_weights([scale])
    expected = x / np.sqrt((x ** 2).mean(axis=1, keepdims=True) + 1e-6) * scale.reshape(1, 3, 1)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_rms_normalization_bad_arguments():
    with pytest.raises(ValueError, match="Received: epsilon=-1"):
        layers.RMSNormalization(epsilon=-1)
    with pytest.raises(TypeError, match="Received: axis=None"):
        layers.RMSNormalization(axis=None)
    with pytest.raises(ValueError, match="Received: axis=2"):
        layers.RMSNormalization(axis=2).build((None, 3))
