"""Normalization layers against real Keras: configs, weights both ways, outputs, BN moving statistics
after several training steps, SpectralNormalization in training and inference."""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import assert_close, check_layer_parity

RNG = np.random.default_rng(0)


def _x(shape, scale=1.0, shift=0.0):
    return (RNG.normal(size=shape) * scale + shift).astype("float32")


_BATCH_NORMALIZATION_CASES = [
    (dict(), (6, 5)),
    (dict(axis=-1), (2, 4, 4, 3)),
    (dict(axis=1), (2, 3, 4, 4)),
    (dict(axis=-2, momentum=0.9, epsilon=1e-2), (3, 5, 4)),
    (dict(axis=1, center=False, scale=False), (2, 3, 4, 4)),
    (dict(center=False, gamma_initializer="he_normal", moving_variance_initializer="ones"), (4, 6)),
    (dict(renorm=True, renorm_clipping={"rmax": 1.5, "rmin": 0.5, "dmax": 0.3}), (8, 3)),
]


# The harness calls each side more than once: with renorm, a training output depends on the renorm
# statistics the previous call moved, so renorm in training is compared step by step further down.
@pytest.mark.parametrize("kwargs, shape, training", [
    (kwargs, shape, training)
    for kwargs, shape in _BATCH_NORMALIZATION_CASES
    for training in (False, True)
    if not (training and kwargs.get("renorm"))
])
def test_batch_normalization_parity(kwargs, shape, training, device):
    check_layer_parity("BatchNormalization", dict(kwargs, name="bn"), _x(shape, 2.0, 1.0), device=device,
                       training=training)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(momentum=0.9), (8, 5)),
    (dict(axis=-1), (4, 3, 3, 6)),
    (dict(axis=1, momentum=0.8), (4, 6, 3, 3)),
    (dict(axis=1, center=False, scale=False), (4, 6, 5)),
    (dict(renorm=True, momentum=0.9, renorm_momentum=0.7), (16, 4)),
])
def test_batch_normalization_moving_statistics_after_several_steps(kwargs, shape, device):
    keras_layer = keras.layers.BatchNormalization(**kwargs)
    tk_layer = torchkeras.layers.BatchNormalization(**kwargs).to(device)
    batches = [_x(shape, 3.0, 2.0), _x(shape, 0.5, -1.0), _x(shape, 1.0, 0.0)]
    keras_layer.build(shape)
    tk_layer.build(shape)
    tk_layer.to(device)
    tk_layer.set_weights(keras_layer.get_weights())
    for step in range(5):
        batch = batches[step % len(batches)]
        expected = keras.ops.convert_to_numpy(keras_layer(batch, training=True))
        received = tk_layer(torch.from_numpy(batch).to(device), training=True).detach().cpu().numpy()
        assert_close(expected, received, 1e-5, 1e-5, f"training output, step {step}")
        assert_close(keras_layer.get_weights(), tk_layer.get_weights(), 1e-5, 1e-5,
                     f"weights after step {step}")
    for batch in batches:
        expected = keras.ops.convert_to_numpy(keras_layer(batch, training=False))
        received = tk_layer(torch.from_numpy(batch).to(device), training=False).detach().cpu().numpy()
        assert_close(expected, received, 1e-5, 1e-5, "inference output")


def test_batch_normalization_masked_statistics(device):
    x = _x((4, 6, 3), 2.0, 1.0)
    mask = RNG.uniform(size=(4, 6)) > 0.3
    keras_layer = keras.layers.BatchNormalization(momentum=0.5)
    tk_layer = torchkeras.layers.BatchNormalization(momentum=0.5).to(device)
    for _ in range(2):
        expected = keras.ops.convert_to_numpy(keras_layer(x, training=True, mask=mask))
        received = tk_layer(torch.from_numpy(x).to(device), training=True,
                            mask=torch.from_numpy(mask).to(device)).detach().cpu().numpy()
        assert_close(expected, received, 1e-5, 1e-5, "masked training output")
        assert_close(keras_layer.get_weights(), tk_layer.get_weights(), 1e-5, 1e-5, "masked statistics")


def test_frozen_batch_normalization_parity(device):
    x = _x((6, 4), 2.0, 1.0)
    keras_layer, tk_layer = check_layer_parity("BatchNormalization", dict(name="frozen"), x, device=device)
    keras_layer.trainable = False
    tk_layer.trainable = False
    expected = keras.ops.convert_to_numpy(keras_layer(x, training=True))
    received = tk_layer(torch.from_numpy(x).to(device), training=True).detach().cpu().numpy()
    assert_close(expected, received, 1e-5, 1e-5, "frozen BN output")
    assert_close(keras_layer.get_weights(), tk_layer.get_weights(), 0, 0, "frozen BN weights")


def test_batch_normalization_gradients_match(device):
    x = _x((6, 4), 2.0, 1.0)
    keras_layer, tk_layer = check_layer_parity("BatchNormalization", dict(name="g"), x, device=device)
    keras_x = torch.tensor(x, device=keras_layer.gamma.value.device, requires_grad=True)
    keras_layer(keras_x, training=True).square().mul(torch.arange(4.0, device=keras_x.device)).sum().backward()
    tk_x = torch.tensor(x, device=device, requires_grad=True)
    tk_layer(tk_x, training=True).square().mul(torch.arange(4.0, device=device)).sum().backward()
    assert_close([keras_layer.gamma.value.grad.cpu().numpy(), keras_layer.beta.value.grad.cpu().numpy(),
                  keras_x.grad.cpu().numpy()],
                 [tk_layer.gamma.grad.cpu().numpy(), tk_layer.beta.grad.cpu().numpy(), tk_x.grad.cpu().numpy()],
                 1e-4, 1e-4, "gradients")


@pytest.mark.parametrize("kwargs, shape", [
    (dict(), (3, 6)),
    (dict(axis=-1), (2, 3, 4, 5)),
    (dict(axis=[2, 3]), (2, 3, 4, 5)),
    (dict(axis=[1, 3]), (2, 3, 4, 5)),
    (dict(axis=-1, center=False, scale=False), (2, 3, 4, 5)),
    (dict(axis=-1, epsilon=1e-5, scale=False), (2, 7)),
    (dict(rms_scaling=True), (4, 6)),
])
def test_layer_normalization_parity(kwargs, shape, device):
    with pytest.warns(UserWarning) if kwargs.get("rms_scaling") else _no_warning_check():
        check_layer_parity("LayerNormalization", dict(kwargs, name="ln"), _x(shape, 2.0, 1.0), device=device)


class _no_warning_check:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


@pytest.mark.parametrize("axis", [1, -2, [1, 2]])
def test_layer_normalization_non_trailing_axes_match_keras_ops(axis, device):
    """Keras on the torch backend fails on these axes (it hands them to F.layer_norm); compare to
    Keras's own moments-based formula, `keras.ops.moments`, instead."""
    x = _x((2, 3, 4, 5), 2.0, 1.0)
    layer = torchkeras.layers.LayerNormalization(axis=axis).to(device)
    layer(torch.from_numpy(x).to(device))
    weights = [RNG.normal(size=w.shape).astype("float32") for w in layer.weights]
    layer.set_weights(weights)
    axes = sorted(a % 4 for a in (axis if isinstance(axis, list) else [axis]))
    mean, variance = keras.ops.moments(x, axes=axes, keepdims=True)
    shape = [x.shape[d] if d in axes else 1 for d in range(4)]
    mean, variance = keras.ops.convert_to_numpy(mean), keras.ops.convert_to_numpy(variance)
    expected = ((x - mean) / np.sqrt(variance + 1e-3)
                * weights[0].reshape(shape) + weights[1].reshape(shape))
    received = layer(torch.from_numpy(x).to(device)).detach().cpu().numpy()
    assert_close(expected, received, 1e-5, 1e-5, "LayerNormalization on non-trailing axes")


@pytest.mark.parametrize("kwargs, shape", [
    (dict(groups=2), (2, 4, 6)),
    (dict(groups=3, axis=-1), (2, 4, 4, 6)),
    (dict(groups=3, axis=1), (2, 6, 4, 4)),
    (dict(groups=-1, axis=1, center=False, scale=False), (2, 6, 5)),
    (dict(groups=1, epsilon=1e-5, center=False), (3, 8)),
])
def test_group_normalization_parity(kwargs, shape, device):
    check_layer_parity("GroupNormalization", dict(kwargs, name="gn"), _x(shape, 2.0, 1.0), device=device)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(), (3, 6)), (dict(axis=1), (2, 3, 4, 5)), (dict(axis=[1, 2]), (2, 3, 4, 5)),
    (dict(axis=-1), (2, 3, 4, 5)),
])
def test_unit_normalization_parity(kwargs, shape, device):
    check_layer_parity("UnitNormalization", dict(kwargs, name="un"), _x(shape), device=device)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(), (3, 6)), (dict(axis=-1), (2, 3, 4, 5)), (dict(axis=[2, 3], epsilon=1e-3), (2, 3, 4, 5)),
])
def test_rms_normalization_parity(kwargs, shape, device):
    check_layer_parity("RMSNormalization", dict(kwargs, name="rms"), _x(shape, 2.0, 1.0), device=device)


@pytest.mark.parametrize("power_iterations", [1, 3])
def test_spectral_normalization_dense_parity(power_iterations, device):
    x = _x((4, 5))
    keras_layer = keras.layers.SpectralNormalization(keras.layers.Dense(3, name="inner"),
                                                     power_iterations=power_iterations, name="sn")
    tk_layer = torchkeras.layers.SpectralNormalization(torchkeras.layers.Dense(3, name="inner"),
                                                       power_iterations=power_iterations, name="sn")
    assert keras_layer.get_config() == tk_layer.get_config()
    keras_layer(x)
    tk_layer.to(device)
    tk_layer(torch.from_numpy(x).to(device))
    assert [w.name for w in keras_layer.weights] == [w.name for w in tk_layer.weights]
    tk_layer.set_weights(keras_layer.get_weights())  # the same kernel and the same initial `u`
    for training in (False, True, True, False):
        expected = keras.ops.convert_to_numpy(keras_layer(x, training=training))
        received = tk_layer(torch.from_numpy(x).to(device), training=training).detach().cpu().numpy()
        assert_close(expected, received, 1e-5, 1e-5, f"SpectralNormalization output (training={training})")
        assert_close(keras_layer.get_weights(), tk_layer.get_weights(), 1e-5, 1e-5,
                     f"SpectralNormalization weights (training={training})")
    # torchkeras -> Keras
    weights = [RNG.normal(size=w.shape).astype("float32") for w in tk_layer.get_weights()]
    tk_layer.set_weights(weights)
    keras_layer.set_weights(tk_layer.get_weights())
    expected = keras.ops.convert_to_numpy(keras_layer(x, training=True))
    received = tk_layer(torch.from_numpy(x).to(device), training=True).detach().cpu().numpy()
    assert_close(expected, received, 1e-5, 1e-5, "SpectralNormalization output (torchkeras -> Keras)")
