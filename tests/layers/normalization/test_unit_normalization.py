"""UnitNormalization: contract, golden values, bad input."""

import numpy as np
import pytest

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape", [
    (dict(), (2, 3)), (dict(axis=1), (2, 3, 4, 5)), (dict(axis=[1, 2]), (2, 3, 4)),
])
def test_unit_normalization_contract(kwargs, input_shape):
    run_layer_test(layers.UnitNormalization, kwargs, input_shape=input_shape,
                   expected_output_shape=input_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_unit_normalization_golden():
    out = layers.UnitNormalization()(np.array([[3.0, 4.0], [0.0, 0.0]], "float32"))
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    out = layers.UnitNormalization(axis=[1, 2])(np.ones((1, 2, 2), "float32"))
    np.testing.assert_allclose(out.numpy(), np.full((1, 2, 2), 0.5), rtol=1e-6)


def test_unit_normalization_bad_axis():
    with pytest.raises(TypeError, match="Received: axis=x"):
        layers.UnitNormalization(axis="x")
    with pytest.raises(ValueError, match="out of bounds"):
        layers.UnitNormalization(axis=3)(np.ones((2, 2), "float32"))
