"""Sequential models against real Keras: seed 001's MLP, configs, weights both ways, predict."""

import keras
import numpy as np

import torchkeras
from parity.harness import MODEL_ATOL, assert_close


def _mlp(module):
    return module.Sequential(
        [
            module.Input(shape=(784,), name="pixels"),
            module.layers.Dense(256, activation="relu", name="d1"),
            module.layers.Dense(64, activation="relu", name="d2"),
            module.layers.Dense(10, activation="softmax", name="d3"),
        ],
        name="mlp_sequential",
    )


def test_seed_mlp_matches_keras_both_ways(device):
    keras_model, tk_model = _mlp(keras), _mlp(torchkeras).to(device)
    assert tk_model.get_config() == keras_model.get_config()
    assert tk_model.count_params() == keras_model.count_params() == 218_058
    assert [w.path for w in tk_model.weights] == [w.path for w in keras_model.weights]
    x = np.random.default_rng(1).random((50, 784), dtype=np.float32)

    tk_model.set_weights(keras_model.get_weights())
    assert_close(keras_model.predict(x, verbose=0), tk_model.predict(x, verbose=0), MODEL_ATOL, 0,
                 "Keras -> torchkeras predict")

    fresh = _mlp(torchkeras).to(device)
    keras_model.set_weights(fresh.get_weights())
    assert_close(keras_model.predict(x, verbose=0), fresh.predict(x, verbose=0), MODEL_ATOL, 0,
                 "torchkeras -> Keras predict")


def test_keras_sequential_config_builds_in_torchkeras():
    keras_model = keras.Sequential([keras.layers.Dense(8, activation="relu", name="h"),
                                    keras.layers.Dense(2, name="o")], name="lazy")
    keras_model.build((None, 5))
    tk_model = torchkeras.Sequential.from_config(keras_model.get_config())
    assert tk_model.built and tk_model.get_config() == keras_model.get_config()
    tk_model.set_weights(keras_model.get_weights())
    x = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    assert_close(keras.ops.convert_to_numpy(keras_model(x)), tk_model.predict(x, verbose=0), MODEL_ATOL,
                 0, "from_config model output")
    revived = keras.Sequential.from_config(tk_model.get_config())
    assert [w.shape for w in revived.weights] == [tuple(w.shape) for w in keras_model.weights]
