"""The built-in demo model of `python -m torchkeras parity`: a small functional CNN built, trained
briefly and saved by real Keras (seeded), so the check runs on a genuine Keras file."""

import sys

import numpy as np


def build_demo_model(keras):
    """A functional CNN with two branches: Conv2D (same padding, strided), BatchNormalization,
    MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense, Concatenate, Dropout and a softmax head."""
    layers = keras.layers
    image = keras.Input(shape=(12, 12, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_1")(image)
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.MaxPooling2D(name="pool")(x)
    deep = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv_2")(x)
    deep = layers.BatchNormalization(name="bn_2")(deep)
    deep = layers.GlobalAveragePooling2D(name="gap")(deep)
    wide = layers.Flatten(name="flatten")(x)
    wide = layers.Dense(16, activation="tanh", name="wide")(wide)
    x = layers.Concatenate(name="merge")([deep, wide])
    x = layers.Dense(32, activation="gelu", name="hidden")(x)
    x = layers.Dropout(0.25, name="dropout")(x)
    outputs = layers.Dense(3, activation="softmax", name="classes")(x)
    return keras.Model(image, outputs, name="demo_cnn")


def demo_data(seed=0, samples=256):
    """Images and labels with a learnable rule: the class is the brightest of three image regions."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((samples, 12, 12, 3)).astype("float32")
    labels = rng.integers(0, 3, size=samples)
    for i, label in enumerate(labels):
        images[i, :, 4 * label:4 * label + 4, :] += 1.0
    return images, labels.astype("int32")


def build_demo_file(path, stream=None, seed=0, epochs=2):
    """Builds, trains and saves the demo model with real Keras; returns `path`."""
    from torchkeras.cli.loading import import_keras_or_fail

    stream = stream or sys.stdout
    keras = import_keras_or_fail()
    keras.utils.set_random_seed(seed)
    model = build_demo_model(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    images, labels = demo_data(seed)
    history = model.fit(images, labels, epochs=epochs, batch_size=32, verbose=0)
    model.save(path)
    accuracy = history.history["accuracy"][-1]
    print(f"Demo: built '{model.name}' in Keras {keras.__version__} ({model.count_params():,} parameters), "
          f"trained {epochs} epochs on {len(images)} generated images (accuracy {accuracy:.2f}), "
          f"saved to a temporary .keras file.", file=stream)
    return path
