"""Functional models against real Keras: seed 001's MLP, the two-headed model, the siamese exercise and a
nested model, built by the same code in both; layer order, parameter counts, weights both ways, predict."""

import keras
import numpy as np
import pytest

import torchkeras
from parity.harness import MODEL_ATOL, assert_close, random_weights_like


def functional_mlp(module):
    layers = module.layers
    inputs = module.Input(shape=(784,), name="pixels")
    h = layers.Dense(256, activation="relu", name="d1")(inputs)
    h = layers.Dense(64, activation="relu", name="d2")(h)
    outputs = layers.Dense(10, activation="softmax", name="d3")(h)
    return module.Model(inputs=inputs, outputs=outputs, name="mlp_functional")


def two_headed(module):
    layers = module.layers
    img_in = module.Input(shape=(784,), name="pixels")
    meta_in = module.Input(shape=(8,), name="metadata")
    x = layers.Dense(256, activation="relu", name="trunk_1")(img_in)
    x = layers.Dense(64, activation="relu", name="trunk_2")(x)
    m = layers.Dense(16, activation="relu", name="meta_tower")(meta_in)
    merged = layers.concatenate([x, m], name="merged")
    digit_out = layers.Dense(10, activation="softmax", name="digit")(merged)
    hard_out = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return module.Model(inputs=[img_in, meta_in], outputs=[digit_out, hard_out], name="two_headed_mlp")


def siamese(module):
    layers = module.layers
    left = module.Input(shape=(784,), name="left")
    right = module.Input(shape=(784,), name="right")
    enc1 = layers.Dense(256, activation="relu", name="enc_dense_1")
    enc2 = layers.Dense(64, activation="relu", name="enc_dense_2")
    merged = layers.concatenate([enc2(enc1(left)), enc2(enc1(right))], name="merged")
    out = layers.Dense(1, activation="sigmoid", name="same_digit")(merged)
    return module.Model(inputs=[left, right], outputs=out, name="siamese_mlp")


def nested(module):
    layers = module.layers
    inner = functional_mlp(module)
    head = module.Sequential([layers.Dense(8, activation="relu", name="h1"), layers.Dense(3, name="h2")],
                             name="head_seq")
    image = module.Input(shape=(784,), name="image")
    side = layers.Dense(3, name="side")(image)
    out = layers.add([head(inner(image)), side], name="sum")
    return module.Model(image, out, name="nested")


CASES = {
    "mlp": (functional_mlp, 218_058, [(784,)]),
    "two_headed": (two_headed, 218_443, [(784,), (8,)]),
    "siamese": (siamese, 217_537, [(784,), (784,)]),
    "nested": (nested, 218_058 + 80 + 8 + 24 + 3 + 784 * 3 + 3, [(784,)]),
}


def _inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.random((37,) + shape, dtype=np.float32) for shape in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


@pytest.mark.parametrize("case", sorted(CASES))
def test_functional_model_matches_keras_both_ways(case, device):
    build, params, input_shapes = CASES[case]
    keras_model, tk_model = build(keras), build(torchkeras).to(device)

    assert [layer.name for layer in tk_model.layers] == [layer.name for layer in keras_model.layers]
    assert [type(layer).__name__ for layer in tk_model.layers] == [
        type(layer).__name__ for layer in keras_model.layers]
    assert tk_model.count_params() == keras_model.count_params() == params
    assert len(tk_model.trainable_weights) == len(keras_model.trainable_weights)
    assert [tuple(w.shape) for w in tk_model.weights] == [tuple(w.shape) for w in keras_model.weights]
    assert tk_model.input_shape == keras_model.input_shape
    assert tk_model.output_shape == keras_model.output_shape
    assert tk_model.output_names == keras_model.output_names

    x = _inputs(input_shapes, seed=1)
    tk_model.set_weights(keras_model.get_weights())
    assert_close(keras_model.predict(x, verbose=0), tk_model.predict(x, verbose=0), MODEL_ATOL, 0,
                 f"{case}: Keras -> torchkeras predict")

    # torchkeras -> Keras with fresh weights, so the check cannot pass by accident
    tk_model.set_weights(random_weights_like(keras_model.get_weights(), seed=3))
    keras_model.set_weights(tk_model.get_weights())
    assert_close(keras_model.predict(x, verbose=0), tk_model.predict(x, verbose=0), MODEL_ATOL, 0,
                 f"{case}: torchkeras -> Keras predict")


def test_two_headed_dict_inputs_match_keras(device):
    keras_model, tk_model = two_headed(keras), two_headed(torchkeras).to(device)
    tk_model.set_weights(keras_model.get_weights())
    pixels, metadata = _inputs([(784,), (8,)], seed=5)
    feed = {"pixels": pixels, "metadata": metadata}
    assert_close(keras_model.predict(feed, verbose=0), tk_model.predict(feed, verbose=0), MODEL_ATOL, 0,
                 "two_headed dict-input predict")


def test_feature_extractor_slice_matches_keras(device):
    keras_model, tk_model = functional_mlp(keras), functional_mlp(torchkeras).to(device)
    tk_model.set_weights(keras_model.get_weights())
    keras_slice = keras.Model(keras_model.inputs, keras_model.layers[2].output)
    tk_slice = torchkeras.Model(tk_model.inputs, tk_model.layers[2].output)
    assert [layer.name for layer in tk_slice.layers] == [layer.name for layer in keras_slice.layers]
    assert tk_slice.count_params() == keras_slice.count_params() == 200_960 + 16_448
    x = _inputs([(784,)], seed=7)
    assert_close(keras_slice.predict(x, verbose=0), tk_slice.predict(x, verbose=0), MODEL_ATOL, 0,
                 "feature extractor predict")


def test_sequential_and_functional_weights_interchange_across_frameworks(device):
    keras_functional = functional_mlp(keras)
    tk_sequential = torchkeras.Sequential(
        [torchkeras.Input(shape=(784,)), torchkeras.layers.Dense(256, activation="relu"),
         torchkeras.layers.Dense(64, activation="relu"), torchkeras.layers.Dense(10, activation="softmax")]
    ).to(device)
    tk_sequential.set_weights(keras_functional.get_weights())
    x = _inputs([(784,)], seed=9)
    assert_close(keras_functional.predict(x, verbose=0), tk_sequential.predict(x, verbose=0), MODEL_ATOL, 0,
                 "Keras functional -> torchkeras Sequential")
