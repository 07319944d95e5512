"""Parity of Dropout and ActivityRegularization with real Keras.

Dropout's random streams differ between Keras and torch, so training mode is compared by statistics
(fraction zeroed, scale of the kept units, mask sharing along `noise_shape`); inference is exact.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import check_layer_parity  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0.5}, {"rate": 0.0}, {"rate": 1.0}, {"rate": 0.25, "seed": 7},
     {"rate": 0.5, "noise_shape": (None, 1, 4)}],
)
def test_dropout_inference_exact(device, kwargs):
    check_layer_parity("Dropout", {**kwargs, "name": "dropout"}, _x(2, 3, 4), device=device)


@pytest.mark.parametrize(
    "kwargs", [{"rate": 0.3}, {"rate": 0.6, "seed": 11}, {"rate": 0.5, "noise_shape": (None, 1, None)}]
)
def test_dropout_training_statistics(device, kwargs):
    x = np.ones((64, 32, 48), "float32")
    keras.utils.set_random_seed(0)
    keras_out = keras.ops.convert_to_numpy(keras.layers.Dropout(**kwargs)(x, training=True))
    torch.manual_seed(0)
    tk_out = torchkeras.layers.Dropout(**kwargs)(torch.as_tensor(x).to(device), training=True).cpu().numpy()
    rate = kwargs["rate"]
    # A shared mask along `noise_shape` means fewer independent draws, so a wider band: five
    # standard deviations of the zeroed fraction keeps the check meaningful and not flaky.
    independent_draws = x.size // (x.shape[1] if "noise_shape" in kwargs else 1)
    tolerance = 5 * np.sqrt(rate * (1 - rate) / independent_draws)
    for out in (keras_out, tk_out):
        kept = out[out != 0]
        np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)
        assert abs((out == 0).mean() - rate) < tolerance
        if "noise_shape" in kwargs:
            assert np.array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert abs((keras_out == 0).mean() - (tk_out == 0).mean()) < np.sqrt(2) * tolerance


def test_dropout_rate_one_training(device):
    x = _x(3, 4)
    keras_out = keras.ops.convert_to_numpy(keras.layers.Dropout(1.0)(x, training=True))
    tk_out = torchkeras.layers.Dropout(1.0)(torch.as_tensor(x).to(device), training=True).cpu().numpy()
    np.testing.assert_array_equal(keras_out, tk_out)


def test_dropout_error_message_matches_keras():
    with pytest.raises(ValueError) as keras_error:
        keras.layers.Dropout(1.5)
    with pytest.raises(ValueError) as tk_error:
        torchkeras.layers.Dropout(1.5)
    assert str(tk_error.value) == str(keras_error.value)


@pytest.mark.parametrize(
    "kwargs, shape", [({"l1": 0.1}, (4, 3)), ({"l2": 0.2}, (2, 3, 5)), ({"l1": 0.01, "l2": 0.03}, (5, 2))]
)
def test_activity_regularization(device, kwargs, shape):
    x = _x(*shape)
    keras_layer, tk_layer = check_layer_parity("ActivityRegularization",
                                               {**kwargs, "name": "activity_regularization"}, x, device=device)
    keras_layer(x)
    tk_layer(torch.as_tensor(x).to(device))
    k_losses = [float(keras.ops.convert_to_numpy(v)) for v in keras_layer.losses]
    t_losses = [float(v) for v in tk_layer.losses]
    assert len(k_losses) == len(t_losses) == 1
    np.testing.assert_allclose(t_losses, k_losses, rtol=1e-5)
