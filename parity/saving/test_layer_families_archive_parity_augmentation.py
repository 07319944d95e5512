"""`.keras` archives both ways for the random image augmentation layers: see
`test_layer_families_archive_parity.py` and `archive_helpers.py` for what each case checks.

Real Keras fits each model (its augmentation layers active in training), saves it, and torchkeras loads
the archive; inference outputs (the augmentation layers are the identity there) and every config agree
both ways. The augmentation layers hold no weights; the convolutions and dense heads around them carry
the fitted values.

RandomCrop is used at its input size: Keras 3.15 skips RandomCrop at inference (keras-team/keras#21868)
while torchkeras center-crops as documented, so a shrinking crop would give different inference outputs
by design; `parity/layers/test_image_augmentation_parity.py` checks the crop itself against Keras.
"""

import keras
import numpy as np

from parity.saving import archive_helpers as H

L = keras.layers


def tutorial_data_augmentation():
    # Keras's "image classification from scratch" tutorial: the augmentation Sequential inside the model.
    data_augmentation = keras.Sequential([L.RandomFlip("horizontal"), L.RandomRotation(0.1)],
                                         name="data_augmentation")
    inputs = keras.Input((12, 12, 3), name="image")
    x = data_augmentation(inputs)
    x = L.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="conv")(x)
    x = L.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, L.Dense(1, name="logit")(x), name="tutorial_data_augmentation")


def augmentation_layers():
    image = keras.Input((10, 9, 3), name="image")
    planes = keras.Input((2, 8, 8), name="planes")
    h = L.RandomFlip("horizontal_and_vertical", seed=1, name="flip")(image)
    h = L.RandomRotation((-0.2, 0.3), fill_mode="constant", fill_value=0.5, interpolation="nearest", seed=2,
                         name="rotation")(h)
    h = L.RandomZoom((-0.2, 0.3), width_factor=0.1, fill_mode="wrap", seed=3, name="zoom")(h)
    h = L.RandomTranslation(0.1, (-0.2, 0.2), fill_mode="nearest", seed=4, name="translation")(h)
    h = L.RandomContrast(0.3, value_range=(-4, 4), seed=5, name="contrast")(h)
    h = L.RandomBrightness((-0.1, 0.2), value_range=[-4, 4], seed=6, name="brightness")(h)
    h = L.RandomCrop(10, 9, seed=7, name="crop")(h)
    h = L.Conv2D(3, 3, name="conv")(h)
    h = L.GlobalAveragePooling2D(name="pool")(h)
    p = L.RandomFlip("vertical", data_format="channels_first", name="flip_cf")(planes)
    p = L.RandomRotation(0.15, fill_mode="reflect", data_format="channels_first", name="rotation_cf")(p)
    p = L.RandomZoom(0.2, interpolation="nearest", data_format="channels_first", name="zoom_cf")(p)
    p = L.RandomTranslation((-0.3, 0.1), 0.2, fill_mode="constant", data_format="channels_first",
                            name="translation_cf")(p)
    p = L.RandomContrast((0.1, 0.2), data_format="channels_first", name="contrast_cf")(p)
    p = L.RandomCrop(8, 8, data_format="channels_first", name="crop_cf")(p)  # seed written by Keras
    p = L.Conv2D(2, 3, data_format="channels_first", name="conv_cf")(p)
    p = L.GlobalAveragePooling2D(data_format="channels_first", name="pool_cf")(p)
    return keras.Model([image, planes], [L.Dense(2, name="head")(h), p], name="augmentation_layers")


def sequential_augmentation():
    # A Sequential built lazily (no Input): Keras builds it during fit and saves its build shape.
    return keras.Sequential([
        L.RandomTranslation(0.2, 0.2, name="translation"),
        L.RandomZoom(0.1, name="zoom"),
        L.Conv2D(2, 3, name="conv"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="head"),
    ], name="sequential_augmentation")


sequential_augmentation.sample_inputs = lambda: (
    np.random.default_rng(0).standard_normal((H.BATCH, 6, 6, 1)).astype(np.float32))


CASES = {builder.__name__: builder for builder in [
    tutorial_data_augmentation, augmentation_layers, sequential_augmentation,
]}

(test_keras_archive_loads_in_torchkeras_and_back, test_model_config_matches_keras_both_ways,
 _fitted) = H.make_tests(CASES)
