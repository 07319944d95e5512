"""BatchNormalization: the layer contract, hand-checked training step, frozen layers, masks, bad input."""

import numpy as np
import pytest
import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape", [
    (dict(), (3, 4)),
    (dict(axis=1), (2, 3, 4, 5)),
    (dict(axis=-1, center=False, scale=False), (2, 3, 4, 5)),
    (dict(axis=-2, momentum=0.9, gamma_regularizer="l2"), (2, 3, 4)),
])
def test_batch_normalization_contract(kwargs, input_shape):
    trainable = int(kwargs.get("center", True)) + int(kwargs.get("scale", True))
    run_layer_test(layers.BatchNormalization, kwargs, input_shape=input_shape,
                   expected_output_shape=input_shape, expected_num_trainable_weights=trainable,
                   expected_num_non_trainable_weights=2, supports_masking=True)


def test_batch_normalization_renorm_contract():
    run_layer_test(layers.BatchNormalization, dict(renorm=True, renorm_clipping={"rmax": 2.0}),
                   input_shape=(4, 3), expected_output_shape=(4, 3), expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=5)


def test_batch_normalization_golden_training_step():
    # One channel, batch [1, 2, 3, 6]: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5.
    bn = layers.BatchNormalization(momentum=0.9, epsilon=0.5)
    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    out = bn(x, training=True)
    np.testing.assert_allclose(out.detach().numpy()[:, 0], np.array([-2, -1, 0, 3]) / 2.0, rtol=1e-6)
    gamma, beta, moving_mean, moving_variance = bn.get_weights()
    np.testing.assert_allclose(moving_mean, [0.9 * 0 + 0.1 * 3.0], rtol=1e-6)
    np.testing.assert_allclose(moving_variance, [0.9 * 1 + 0.1 * 3.5], rtol=1e-6)  # biased, not 14/3
    # A second step on the same batch: the moving statistics move again.
    bn(x, training=True)
    np.testing.assert_allclose(bn.get_weights()[2], [0.9 * 0.3 + 0.3], rtol=1e-6)
    np.testing.assert_allclose(bn.get_weights()[3], [0.9 * 1.25 + 0.35], rtol=1e-6)
    # Inference uses the moving statistics: (x - 0.57) / sqrt(1.475 + 0.5).
    out = bn(x, training=False)
    np.testing.assert_allclose(out.detach().numpy()[:, 0], (x.numpy()[:, 0] - 0.57) / np.sqrt(1.475 + 0.5),
                               rtol=1e-5)


def test_batch_normalization_channels_first_golden():
    x = torch.arange(16, dtype=torch.float32).reshape(2, 2, 2, 2)
    bn = layers.BatchNormalization(axis=1, momentum=0.0)
    bn(x, training=True)
    channel0 = x[:, 0].numpy().ravel()
    np.testing.assert_allclose(bn.moving_mean.numpy()[0], channel0.mean(), rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy()[0], channel0.var(), rtol=1e-6)


def test_frozen_batch_normalization_runs_in_inference_mode():
    bn = layers.BatchNormalization()
    x = torch.randn(8, 3) * 3 + 2
    bn(x)
    bn.set_weights([np.array([2.0, 1.0, 1.0], "float32"), np.array([0.5, 0.0, 0.0], "float32"),
                    np.array([1.0, 2.0, 3.0], "float32"), np.array([4.0, 1.0, 1.0], "float32")])
    bn.trainable = False
    before = [w.copy() for w in bn.get_weights()]
    out_train = bn(x, training=True)
    out_infer = bn(x, training=False)
    torch.testing.assert_close(out_train, out_infer)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_batch_normalization_mask_excludes_positions_from_statistics():
    x = torch.tensor([[[1.0], [3.0], [100.0]], [[5.0], [-50.0], [7.0]]])
    mask = torch.tensor([[True, True, False], [True, False, True]])
    bn = layers.BatchNormalization(momentum=0.0)
    out = bn(x, training=True, mask=mask)
    kept = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(bn.moving_mean.numpy(), [kept.mean()], rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), [kept.var()], rtol=1e-5)
    assert torch.equal(out._keras_mask, mask)
    with pytest.raises(ValueError, match="one dimension less"):
        bn(x, mask=torch.ones(2, 3, 1, dtype=torch.bool))


def test_batch_normalization_gradient_flows_through_batch_statistics():
    x = torch.randn(5, 3, requires_grad=True)
    bn = layers.BatchNormalization()
    bn(x, training=True).sum().backward()
    # Sum of a batch-normalized output does not depend on the inputs: the gradient is ~0.
    assert torch.allclose(x.grad, torch.zeros_like(x), atol=1e-5)
    assert bn.gamma.grad is not None and bn.beta.grad is not None


def test_batch_normalization_float16_inputs_compute_in_float32():
    bn = layers.BatchNormalization(dtype="mixed_float16")
    out = bn(torch.randn(4, 3) * 1000, training=True)
    assert out.dtype == torch.float16 and bn.moving_mean.dtype == torch.float32
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(epsilon=0.0), ValueError, "Received: epsilon=0.0"),
    (dict(epsilon=-1e-3), ValueError, "Received: epsilon=-0.001"),
    (dict(momentum=1.5), ValueError, "Received: momentum=1.5"),
    (dict(axis="channels"), TypeError, "Received: axis='channels'"),
    (dict(axis=[1, 2]), TypeError, r"Received: axis=\[1, 2\]"),
    (dict(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0}), ValueError, "Received: rmax=1.0"),
    (dict(renorm=True, renorm_clipping={"bad": 1.0}), ValueError, "invalid keys"),
])
def test_batch_normalization_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        layers.BatchNormalization(**kwargs)


def test_batch_normalization_invalid_axis_for_input():
    with pytest.raises(ValueError, match="Received: axis=3"):
        layers.BatchNormalization(axis=3).build((None, 4, 5))
    with pytest.raises(ValueError, match="Received: axis=3"):
        layers.BatchNormalization(axis=3).compute_output_shape((None, 4, 5))
    with pytest.raises(ValueError, match="known size"):
        layers.BatchNormalization().build((None, None))


def test_batch_normalization_in_a_functional_model_trains_statistics():
    import torchkeras as keras

    inputs = keras.Input((4,))
    outputs = layers.BatchNormalization(momentum=0.5)(inputs)
    model = keras.Model(inputs, outputs)
    x = torch.randn(6, 4) + 3
    model(x, training=True)
    bn = model.layers[-1]
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(0).numpy(), rtol=1e-5)
