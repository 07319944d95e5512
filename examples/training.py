"""Seed 001's training section: the two-headed model compiled with one loss per named head, loss weights
and metrics, then `fit` on fake data; plus seed 002's build-then-fit and a few callbacks.

Every check raises (SystemExit with a message) when it fails, so `python -O` still checks; exit code 0
means every check passed. Runs in a few seconds on CPU:

    python examples/training.py
"""

import os
import tempfile

import numpy as np
import torch

import torchkeras as keras
from torchkeras import layers
from _checks import CHECKS, check, section


torch.manual_seed(0)
rng = np.random.default_rng(0)

# ---------------------------------------------------------------------------------------------------------
section("compile + fit: one loss per named head, with loss weights and metrics")

img_in = keras.Input(shape=(784,), name="pixels")
meta_in = keras.Input(shape=(8,), name="metadata")
x = layers.Dense(256, activation="relu")(img_in)
x = layers.Dense(64, activation="relu")(x)
m = layers.Dense(16, activation="relu")(meta_in)
merged = layers.concatenate([x, m])
digit_out = layers.Dense(10, activation="softmax", name="digit")(merged)
hard_out = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
two_headed = keras.Model(inputs=[img_in, meta_in], outputs=[digit_out, hard_out], name="two_headed_mlp")

two_headed.compile(
    optimizer="adam",
    loss={"digit": "sparse_categorical_crossentropy", "is_hard": "binary_crossentropy"},
    loss_weights={"digit": 1.0, "is_hard": 0.3},
    metrics={"digit": ["accuracy"]},
)
n = 128
fake = {"pixels": rng.random((n, 784)).astype("float32"), "metadata": rng.random((n, 8)).astype("float32")}
fake_y = {"digit": rng.integers(0, 10, size=(n,)), "is_hard": rng.integers(0, 2, size=(n, 1)).astype("float32")}
history = two_headed.fit(fake, fake_y, epochs=1, batch_size=32, verbose=1)

logs = {key: values[-1] for key, values in history.history.items()}
print("History keys:", sorted(logs))
check(sorted(logs) == ["digit_accuracy", "digit_loss", "is_hard_loss", "loss"],
      "History has Keras's keys: digit_accuracy, digit_loss, is_hard_loss, loss")
check(abs(logs["loss"] - (logs["digit_loss"] + 0.3 * logs["is_hard_loss"])) < 1e-3,
      "loss == 1.0 * digit_loss + 0.3 * is_hard_loss (epoch means, as Keras reports them)")
check(0.0 <= logs["digit_accuracy"] <= 1.0 and 1.5 < logs["digit_loss"] < 3.5,
      "random data: digit_loss near ln(10) = 2.30 and an accuracy in [0, 1]")

results = two_headed.evaluate(fake, fake_y, batch_size=32, verbose=0, return_dict=True)
print("evaluate:", {k: round(v, 4) for k, v in sorted(results.items())})
check(sorted(results) == sorted(logs), "evaluate(return_dict=True) reports the same keys as fit")
digit_probs, hard_probs = two_headed.predict(fake, batch_size=32, verbose=0)
check(digit_probs.shape == (n, 10) and hard_probs.shape == (n, 1), "predict returns [(128, 10), (128, 1)]")

# ---------------------------------------------------------------------------------------------------------
section("Seed 002: build before fit, then callbacks")

model = keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
check(model.weights == [], "an unbuilt Sequential has no weights")
model.build(input_shape=(None, 784))
check(model.count_params() == 784 * 512 + 512 + 512 * 10 + 10, "model.build((None, 784)) created every weight")
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

train_images = rng.random((256, 784)).astype("float32")
train_labels = rng.integers(0, 10, size=(256,))
with tempfile.TemporaryDirectory() as folder:
    checkpoint = os.path.join(folder, "best.weights.h5")
    history = model.fit(
        train_images, train_labels, epochs=3, batch_size=128, validation_split=0.25, verbose=2,
        callbacks=[
            keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True,
                                            save_weights_only=True),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=2),
        ],
    )
    check(sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"],
          "History has accuracy, loss, val_accuracy, val_loss")
    check(len(history.history["loss"]) == 3, "three epochs ran")
    check(os.path.exists(checkpoint), "ModelCheckpoint wrote best.weights.h5")
    reloaded = keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    reloaded.build(input_shape=(None, 784))
    reloaded.load_weights(checkpoint)
    reloaded.compile(loss="sparse_categorical_crossentropy")
    best_val_loss = min(history.history["val_loss"])
    reloaded_val_loss = reloaded.evaluate(train_images[192:], train_labels[192:], verbose=0)
    print(f"best val_loss {best_val_loss:.5f}; the checkpoint's weights on the validation split: "
          f"{reloaded_val_loss:.5f}")
    check(abs(reloaded_val_loss - best_val_loss) < 1e-5,
          "the checkpoint holds the best epoch's weights (validation_split = the last 25% of the data)")

print(f"\nAll {len(CHECKS)} checks passed.")
