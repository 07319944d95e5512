"""SpectralNormalization: contract, the power method against an SVD, inference, bad input."""

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


class _DenseSN(layers.SpectralNormalization):
    """A fresh wrapped Dense per construction (run_layer_test builds the layer several times)."""

    def __init__(self, layer=None, **kwargs):
        super().__init__(layer if layer is not None else layers.Dense(2, dtype=kwargs.get("dtype")), **kwargs)


class _EmbeddingSN(layers.SpectralNormalization):
    def __init__(self, layer=None, **kwargs):
        super().__init__(layer if layer is not None else layers.Embedding(10, 4, dtype=kwargs.get("dtype")), **kwargs)


@pytest.mark.parametrize("kwargs", [dict(), dict(power_iterations=3)])
def test_spectral_normalization_contract_dense(kwargs):
    run_layer_test(_DenseSN, kwargs, input_shape=(2, 3), expected_output_shape=(2, 2),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=1,
                   custom_objects={"_DenseSN": _DenseSN})


def test_spectral_normalization_contract_embedding():
    run_layer_test(_EmbeddingSN, dict(), input_data=np.array([[1, 2], [3, 9]]),
                   expected_output_shape=(2, 2, 4), expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=1, custom_objects={"_EmbeddingSN": _EmbeddingSN})


def test_spectral_normalization_config_round_trip():
    sn = layers.SpectralNormalization(layers.Dense(3, activation="relu"), power_iterations=2)
    revived = layers.SpectralNormalization.from_config(sn.get_config())
    assert revived.get_config() == sn.get_config()
    assert isinstance(revived.layer, layers.Dense) and revived.layer is not sn.layer


def test_spectral_normalization_converges_to_unit_spectral_norm():
    torch.manual_seed(0)
    sn = layers.SpectralNormalization(layers.Dense(4), power_iterations=20)
    x = torch.randn(3, 5)
    sn(x)
    kernel_before = sn.layer.kernel.detach().clone()
    sigma = torch.linalg.matrix_norm(kernel_before, ord=2)
    sn(x, training=True)
    np.testing.assert_allclose(sn.layer.kernel.detach().numpy(), (kernel_before / sigma).numpy(), rtol=1e-4,
                               atol=1e-6)
    assert abs(float(torch.linalg.matrix_norm(sn.layer.kernel.detach(), ord=2)) - 1.0) < 1e-4


def test_spectral_normalization_golden_one_iteration():
    sn = layers.SpectralNormalization(layers.Dense(2, use_bias=False))
    sn.build((None, 2))
    kernel = np.array([[3.0, 0.0], [0.0, 1.0]], "float32")
    assert [w.name for w in sn.weights] == ["kernel", "vector_u"]  # Keras's order
    sn.set_weights([kernel, np.array([[1.0, 1.0]], "float32")])
    sn(np.ones((1, 2), "float32"), training=True)
    # v = normalize(u W^T) = [3, 1]/sqrt(10); u = normalize(v W) = [9, 1]/sqrt(82);
    # sigma = v W u^T = ([9, 1] / sqrt(10)) . ([9, 1] / sqrt(82)) = sqrt(8.2).
    u = np.array([9.0, 1.0]) / np.sqrt(82.0)
    sigma = np.sqrt(8.2)
    np.testing.assert_allclose(sn.get_weights()[1], [u], rtol=1e-6)
    np.testing.assert_allclose(sn.get_weights()[0], kernel / sigma, rtol=1e-6)


def test_spectral_normalization_inference_keeps_the_kernel():
    sn = layers.SpectralNormalization(layers.Dense(3))
    x = torch.randn(2, 4)
    sn(x)
    before = [w.copy() for w in sn.get_weights()]
    sn(x, training=False)
    for a, b in zip(before, sn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_spectral_normalization_zero_kernel_is_left_alone():
    sn = layers.SpectralNormalization(layers.Dense(3, kernel_initializer="zeros"))
    out = sn(torch.ones(2, 4), training=True)
    assert torch.isfinite(out).all() and not sn.layer.kernel.detach().any()


def test_spectral_normalization_bad_arguments():
    with pytest.raises(ValueError, match="Received: `power_iterations=0`"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="valid Keras layer"):
        layers.SpectralNormalization(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.LayerNormalization()).build((None, 3))
