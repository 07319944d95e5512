"""A user's `Wrapper` subclass, written once for each framework: same config, same weights, same outputs,
and Keras's `.keras` archive of it loads in torchkeras and back."""

import keras
import numpy as np
import torch

import torchkeras
from parity.harness import MODEL_ATOL, assert_close


def _doubled_class(k):
    @k.saving.register_keras_serializable(package="wrapper_parity")
    class Doubled(k.layers.Wrapper):
        def call(self, inputs):
            return 2.0 * self.layer(inputs)

    return Doubled


KERAS_DOUBLED, TORCHKERAS_DOUBLED = _doubled_class(keras), _doubled_class(torchkeras)


def _model(k, doubled):
    inputs = k.Input((5,), name="x")
    return k.Model(inputs, doubled(k.layers.Dense(3, name="inner"), name="doubled")(inputs), name="wrapped")


def test_user_wrapper_matches_keras_and_its_archive_loads_both_ways(tmp_path, device):
    keras_model, model = _model(keras, KERAS_DOUBLED), _model(torchkeras, TORCHKERAS_DOUBLED)
    assert model.get_layer("doubled").get_config() == keras_model.get_layer("doubled").get_config()
    assert [w.path for w in model.weights] == [w.path for w in keras_model.weights]
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    path = tmp_path / "wrapped.keras"
    keras_model.save(path)
    loaded = torchkeras.saving.load_model(path).to(device)
    expected = keras.ops.convert_to_numpy(keras_model(x))
    assert_close([expected], [loaded(torch.from_numpy(x).to(device)).detach().cpu().numpy()], MODEL_ATOL, 0,
                 "Keras -> torchkeras")
    back = tmp_path / "back.keras"
    loaded.save(back)
    assert_close([expected], [keras.ops.convert_to_numpy(keras.saving.load_model(back)(x))], MODEL_ATOL, 0,
                 "torchkeras -> Keras")
