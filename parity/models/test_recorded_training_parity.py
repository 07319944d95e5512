"""A `training` value recorded in a functional graph (`layer(x, training=True)`) against real Keras: it
holds when the model is called without one and yields to one the model's caller asks for (`predict`,
`fit`, `model(x, training=...)`), as Keras's functional `operation_fn` does. torch's train() mode counts as
asking for training; eval() mode, the default, as Keras's `training=None`."""

import keras
import numpy as np
import pytest
import torch

import torchkeras
from parity.harness import MODEL_ATOL, assert_close


def _batch_norm_model(k, recorded):
    inputs = k.Input((3,), name="x")
    return k.Model(inputs, k.layers.BatchNormalization(name="bn")(inputs, training=recorded), name="recorded")


def _data():
    return np.random.default_rng(0).standard_normal((8, 3)).astype("float32") * 3.0 + 1.0


@pytest.mark.parametrize("recorded", [True, False])
@pytest.mark.parametrize("asked", [None, True, False])
def test_recorded_training_yields_only_to_an_asked_for_one(recorded, asked, device):
    keras_model, model = _batch_norm_model(keras, recorded), _batch_norm_model(torchkeras, recorded)
    weights = [np.array([1.5, 0.5, 2.0], "float32"), np.array([0.1, -0.2, 0.3], "float32"),
               np.array([0.5, -1.0, 2.0], "float32"), np.array([4.0, 0.25, 1.0], "float32")]
    keras_model.set_weights(weights)
    model.set_weights(weights)
    model.to(device)
    x = _data()
    kwargs = {} if asked is None else {"training": asked}
    expected = keras.ops.convert_to_numpy(keras_model(x, **kwargs))
    received = model(torch.from_numpy(x).to(device), **kwargs).detach().cpu().numpy()
    assert_close([expected], [received], MODEL_ATOL, 0, f"recorded={recorded}, asked={asked}")
    # Batch statistics (training) and moving statistics (inference) give different outputs here.
    uses_batch_statistics = recorded if asked is None else asked
    moving = (x - weights[2]) / np.sqrt(weights[3] + 1e-3) * weights[0] + weights[1]
    assert np.allclose(received, moving, atol=1e-5) != uses_batch_statistics


def test_predict_and_train_mode_decide_over_a_recorded_dropout(device):
    for k in (keras, torchkeras):
        inputs = k.Input((1000,))
        model = k.Model(inputs, k.layers.Dropout(0.5)(inputs, training=True))
        x = np.ones((1, 1000), "float32")
        assert (np.asarray(model.predict(x, verbose=0)) == 0).sum() == 0, k.__name__
    x = torch.ones(1, 1000, device=device)
    model.to(device)
    assert (model(x) == 0).sum() > 300  # eval() mode: the recorded `training=True` holds
    assert (model(x, training=False) == 0).sum() == 0
    model.train()
    assert (model(x) == 0).sum() > 300
