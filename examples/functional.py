"""Seed 001, "Way 2: the Functional API", with `import torchkeras as keras`.

Walks through: the MLP as a functional graph (218,058 params, the same function as the Sequential once
weights are copied with `get_weights()`/`set_weights()`); the two-input, two-headed model with its layer
listing and `summary()`, called with a list or a dict keyed by input names; a shared layer; the seed's
exercise, the siamese digit comparator, with its three verifications; and a feature extractor sliced out of
a graph without copying weights. The generated forward is plain `torch.fx` code, printed once.

Every check raises (SystemExit with a message) when it fails, so `python -O` still checks; exit code 0
means every check passed. Runs in a few seconds on CPU:

    python examples/functional.py
"""

import numpy as np
import torch

import torchkeras as keras
from torchkeras import layers
from _checks import CHECKS, check, section, summary_text


torch.manual_seed(0)
rng = np.random.default_rng(0)

# ---------------------------------------------------------------------------------------------------------
section("Way 2: the Functional API - models as graphs")

inputs = keras.Input(shape=(784,), name="pixels")  # symbolic: shape (None, 784), no data inside
h = layers.Dense(256, activation="relu")(inputs)  # layer called on a symbolic tensor
h = layers.Dense(64, activation="relu")(h)
outputs = layers.Dense(10, activation="softmax")(h)

fn_model = keras.Model(inputs=inputs, outputs=outputs, name="mlp_functional")
print("inputs:", inputs)
print("fn_model is a", type(fn_model).__name__, "and a torch.nn.Module:", isinstance(fn_model, torch.nn.Module))
check(isinstance(fn_model, torch.nn.Module), "keras.Model(inputs, outputs) is a torch.nn.Module")
check(fn_model.count_params() == 218_058, "the functional MLP has 218,058 params, like the Sequential")
check([layer.count_params() for layer in fn_model.layers] == [0, 200_960, 16_448, 650],
      "per-layer counts: InputLayer 0, then 200,960 / 16,448 / 650")
print("the generated forward (torch.fx code):")
print(fn_model.graph_module.code.strip())
check("self.dense(pixels)" in fn_model.graph_module.code, "the forward calls the layers directly, no graph walk")

print("\nSequential <-> Functional: same weights, same function")
seq_model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ],
    name="mlp_sequential",
)
x4 = rng.random((4, 784)).astype("float32")
before = np.abs(seq_model.predict(x4, verbose=0) - fn_model.predict(x4, verbose=0)).max()
print(f"max |difference| before copying (independent random init): {before:.3e}")
check(before > 1e-4, "independently initialised models differ before the copy (the check below can fail)")
seq_model.set_weights(fn_model.get_weights())
after = np.abs(seq_model.predict(x4, verbose=0) - fn_model.predict(x4, verbose=0)).max()
print(f"max |difference| after set_weights(get_weights()): {after:.3e}")
check(np.allclose(seq_model.predict(x4, verbose=0), fn_model.predict(x4, verbose=0), rtol=1e-6, atol=1e-7),
      "functional == sequential after set_weights(get_weights())")

# ---------------------------------------------------------------------------------------------------------
section("Two inputs, two heads")

img_in = keras.Input(shape=(784,), name="pixels")
meta_in = keras.Input(shape=(8,), name="metadata")

x = layers.Dense(256, activation="relu")(img_in)  # branch 1: the image trunk
x = layers.Dense(64, activation="relu")(x)
m = layers.Dense(16, activation="relu")(meta_in)  # branch 2: a small tower for the metadata

merged = layers.concatenate([x, m])  # (None, 64 + 16) = (None, 80)
digit_out = layers.Dense(10, activation="softmax", name="digit")(merged)
hard_out = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)

two_headed = keras.Model(inputs=[img_in, meta_in], outputs=[digit_out, hard_out], name="two_headed_mlp")

listing = []
for layer in two_headed.layers:
    print(f"{layer.name:>14}  {layer.__class__.__name__:<12} -> {layer.output.shape}")
    listing.append((layer.__class__.__name__, layer.output.shape))
check(listing == [("InputLayer", (None, 784)), ("Dense", (None, 256)), ("InputLayer", (None, 8)),
                  ("Dense", (None, 64)), ("Dense", (None, 16)), ("Concatenate", (None, 80)),
                  ("Dense", (None, 10)), ("Dense", (None, 1))],
      "layers in Keras 3's order (pixels, dense, metadata, dense, dense, concatenate, digit, is_hard)")
check(merged.shape == (None, 80), "concatenate gives (None, 64 + 16) = (None, 80)")
check(two_headed.input_names == ["pixels", "metadata"] and two_headed.output_names == ["digit", "is_hard"],
      "inputs named pixels/metadata, outputs named digit/is_hard")

n = 128
fake = {
    "pixels": rng.random((n, 784)).astype("float32"),
    "metadata": rng.random((n, 8)).astype("float32"),
}
digit_p, hard_p = two_headed.predict(fake, verbose=0)  # a dict keyed by the Inputs' names
print("predict on the dict ->", digit_p.shape, hard_p.shape)
check(digit_p.shape == (n, 10) and hard_p.shape == (n, 1), "dict inputs -> outputs (128, 10) and (128, 1)")
by_position = two_headed.predict([fake["pixels"], fake["metadata"]], verbose=0)
check(all(np.array_equal(a, b) for a, b in zip(by_position, (digit_p, hard_p))),
      "a positional list [pixels, metadata] gives the same outputs as the dict")
check(np.allclose(digit_p.sum(axis=1), 1.0, atol=1e-5) and ((hard_p > 0) & (hard_p < 1)).all(),
      "digit rows are softmax distributions; is_hard is a sigmoid in (0, 1)")

named_heads = keras.Model(inputs=[img_in, meta_in], outputs={"digit": digit_out, "is_hard": hard_out})
out = named_heads(fake)
check(isinstance(out, dict) and sorted(out) == ["digit", "is_hard"], "dict outputs come back as a dict")
check(named_heads.get_layer("digit") is two_headed.get_layer("digit"),
      "two models over the same graph share the same layer objects")

text = summary_text(two_headed)
for needle in ('Model: "two_headed_mlp"', "Connected to", "concatenate[0][0]", "(None, 80)",
               "Total params: 218,443"):
    check(needle in text, f"summary() shows {needle!r}")

# ---------------------------------------------------------------------------------------------------------
section("Weight sharing: one layer, two call sites")

shared = layers.Dense(64, activation="relu")
a = shared(keras.Input(shape=(784,), name="left"))
b = shared(keras.Input(shape=(784,), name="right"))  # same 784x64 kernel, reused
print("len(shared.weights):", len(shared.weights))
check(len(shared.weights) == 2, "one kernel, one bias, no matter how many calls")
try:
    shared.output
except ValueError as error:
    print("shared.output ->", f"ValueError: {error}")
    ambiguous = True
else:
    ambiguous = False
check(ambiguous, "`output` of a layer called twice is ambiguous (use get_output_at(i))")

# ---------------------------------------------------------------------------------------------------------
section("Your task: the siamese digit comparator")

left = keras.Input(shape=(784,), name="left")
right = keras.Input(shape=(784,), name="right")

enc1 = layers.Dense(256, activation="relu", name="enc_dense_1")  # instantiate ONCE, call TWICE
enc2 = layers.Dense(64, activation="relu", name="enc_dense_2")


def encode(t):
    return enc2(enc1(t))  # same layer objects -> same weights on both paths


left_emb = encode(left)  # (None, 64)
right_emb = encode(right)  # (None, 64) - through the SAME weights
merged = layers.concatenate([left_emb, right_emb])  # (None, 128)
out = layers.Dense(1, activation="sigmoid", name="same_digit")(merged)

siamese = keras.Model(inputs=[left, right], outputs=out, name="siamese_mlp")
text = summary_text(siamese)

# (1) parameter count: encoder counted once
print("enc1 784*256+256 = 200,960 | enc2 256*64+64 = 16,448 | head 128*1+1 = 129 | total 217,537")
check(siamese.count_params() == 217_537, "(1) total params 217,537: the encoder is counted once")
check("Total params: 217,537" in text and text.count("200,960") == 1, "(1) summary() shows the encoder once")

# (2) weight sharing: 3 kernels + 3 biases, identity-level
check(len(siamese.trainable_weights) == 6, "(2) 6 trainable weights although the encoder is called twice")
check(enc1.kernel is siamese.get_layer("enc_dense_1").kernel, "(2) enc1.kernel is the model's kernel (no copy)")

# (3) forward pass on a fake batch
batch = {
    "left": rng.random((16, 784)).astype("float32"),
    "right": rng.random((16, 784)).astype("float32"),
}
p = siamese.predict(batch, verbose=0)
check(p.shape == (16, 1), "(3) predict returns shape (16, 1)")
check(bool((p > 0).all() and (p < 1).all()), "(3) every output is in (0, 1)")
same = siamese.predict({"left": batch["left"], "right": batch["left"]}, verbose=0)
print("all checks passed - sample outputs:", p[:3].ravel(), same[:3].ravel())

two_encoders_left, two_encoders_right = keras.Input(shape=(784,)), keras.Input(shape=(784,))
bug = keras.Model(
    [two_encoders_left, two_encoders_right],
    layers.Dense(1, activation="sigmoid")(layers.concatenate([
        layers.Dense(64, activation="relu")(layers.Dense(256, activation="relu")(two_encoders_left)),
        layers.Dense(64, activation="relu")(layers.Dense(256, activation="relu")(two_encoders_right)),
    ])),
)
print("fresh layers per branch (the bug the exercise warns about):", f"{bug.count_params():,} params")
check(bug.count_params() == 2 * (200_960 + 16_448) + 129, "two encoders instead of one: 434,945 params")

# ---------------------------------------------------------------------------------------------------------
section("Slicing: a feature extractor with zero copying")

extractor = keras.Model(fn_model.inputs, fn_model.layers[1].output)
print("extractor layers:", [layer.name for layer in extractor.layers], "-> output", extractor.output_shape)
check(extractor.layers[1] is fn_model.layers[1], "the extractor's Dense is the full model's Dense")
check(all(p1 is p2 for p1, p2 in zip(extractor.parameters(), list(fn_model.parameters())[:2])),
      "its parameters are the same torch Parameters (no copy)")
features = extractor.predict(x4, verbose=0)
by_hand = fn_model.layers[1](torch.from_numpy(x4)).detach().numpy()
check(features.shape == (4, 256) and np.array_equal(features, by_hand),
      "extractor(x) == the first Dense run by hand, shape (4, 256)")

print()
print(f"All {len(CHECKS)} checks passed.")
