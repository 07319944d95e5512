"""Seed 001, "Keras models three ways", as far as torchkeras runs today.

Walks through: lazy weights on a bare `Dense`; the Sequential MLP with `summary()` and hand-checked
parameter counts; `pop()`/`add()`; the same MLP by subclassing `keras.Model`; copying weights between the
two with `get_weights()`/`set_weights()`; `weights`/`trainable_weights`/`non_trainable_weights` and
freezing; dtype policies (`set_global_policy("mixed_float16")`, a float32 head, autocast compute); and
`predict` on a fake batch. Way 2, the Functional API, and the
seed's siamese exercise are in `examples/functional.py`.

Every check raises (SystemExit with a message) when it fails, so `python -O` still checks; exit code 0
means every check passed. Runs in a few seconds on CPU:

    python examples/three_ways.py
"""

import numpy as np
import torch

import torchkeras as keras
from torchkeras import layers
from _checks import CHECKS, check, section, summary_text


torch.manual_seed(0)
rng = np.random.default_rng(0)

# ---------------------------------------------------------------------------------------------------------
section("Layers are callables (and weights are lazy)")

dense = layers.Dense(units=256, activation="relu")
print("dense.weights before the first call:", dense.weights)
check(dense.weights == [], "an unbuilt Dense has no weights: dense.weights == []")

x = rng.random((32, 784)).astype("float32")  # a fake batch: 32 flattened 28x28 images
y = dense(x)  # first call -> build happens HERE
print("y.shape:", tuple(y.shape))
check(tuple(y.shape) == (32, 256), "dense(x) on a (32, 784) batch returns (32, 256)")

lines = [f"{w.path} {w.shape} {w.dtype}" for w in dense.weights]
for line in lines:
    print(line)
check(lines == ["dense/kernel (784, 256) float32", "dense/bias (256,) float32"],
      "the first call created dense/kernel (784, 256) and dense/bias (256,), float32")

kernel, bias = dense.get_weights()
expected = np.maximum(x @ kernel + bias, 0.0)  # y = relu(xW + b), by hand
check(np.allclose(y.detach().numpy(), expected, atol=1e-5, rtol=1e-5),
      "dense(x) == relu(x @ kernel + bias) computed by hand in numpy")

# ---------------------------------------------------------------------------------------------------------
section("Way 1: Sequential - the stack")


def make_sequential():
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(256, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="mlp_sequential",
    )


seq_model = make_sequential()
text = summary_text(seq_model)
hand_counts = [784 * 256 + 256, 256 * 64 + 64, 64 * 10 + 10]
print("by hand: 784*256+256 =", f"{hand_counts[0]:,}", "| 256*64+64 =", f"{hand_counts[1]:,}",
      "| 64*10+10 =", f"{hand_counts[2]:,}", "| total", f"{sum(hand_counts):,}")
check(hand_counts == [200_960, 16_448, 650] and sum(hand_counts) == 218_058,
      "hand-checked counts: 200,960 + 16,448 + 650 = 218,058")
check([layer.count_params() for layer in seq_model.layers] == hand_counts,
      "per-layer count_params() matches the hand counts")
check(seq_model.count_params() == 218_058, "seq_model.count_params() == 218,058")
for needle in ("200,960", "16,448", "650", "Total params: 218,058", "(None, 256)", "(None, 64)",
               "(None, 10)", 'Model: "mlp_sequential"'):
    check(needle in text, f"summary() shows {needle!r}")

print("\nSequential behaves like a list: pop() the softmax head, add() a fresh one")
head = seq_model.pop()
print(f"popped {head.name}; layers now {[layer.name for layer in seq_model.layers]}, "
      f"output shape {seq_model.output_shape}")
check(len(seq_model.layers) == 2 and seq_model.output_shape == (None, 64),
      "after pop(): 2 layers, output shape (None, 64)")
new_head = layers.Dense(10, activation="softmax")
seq_model.add(new_head)
print(f"added {new_head.name}; layers now {[layer.name for layer in seq_model.layers]}, "
      f"output shape {seq_model.output_shape}")
check(len(seq_model.layers) == 3 and seq_model.layers[-1] is new_head and new_head.built,
      "after add(): 3 layers, the new head is last and already built")
check(seq_model.output_shape == (None, 10) and seq_model.count_params() == 218_058,
      "after add(): output shape (None, 10), still 218,058 params")

# ---------------------------------------------------------------------------------------------------------
section("Way 3: Subclassing keras.Model - full Python")


class MLP(keras.Model):
    def __init__(self, hidden_units=(256, 64), num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [layers.Dense(u, activation="relu") for u in hidden_units]
        self.head = layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = inputs
        for layer in self.hidden:
            x = layer(x)
        return self.head(x)


sub_model = MLP(name="mlp_subclassed")
try:
    sub_model.summary()
except ValueError as error:
    print("summary() before the model has seen an input ->", f"ValueError: {error}")
    raised = True
else:
    raised = False
check(raised, "summary() of an unbuilt subclassed model raises ValueError")
check(sub_model.weights == [], "an unbuilt subclassed model has no weights")

sub_model(np.zeros((1, 784), dtype="float32"))  # one dummy forward pass builds everything
text = summary_text(sub_model)
check(sub_model.count_params() == 218_058 and "Total params: 218,058" in text,
      "the subclassed MLP has the same 218,058 params")
check([w.shape for w in sub_model.weights] == [w.shape for w in seq_model.weights],
      "same weight shapes, in the same order, as the Sequential model")

print("\nCopy weights Sequential -> subclassed and compare outputs")
x4 = rng.random((4, 784)).astype("float32")
before = np.abs(seq_model.predict(x4, verbose=0) - sub_model.predict(x4, verbose=0)).max()
print(f"max |difference| before copying (independent random init): {before:.3e}")
check(before > 1e-3, "independently initialised models differ before the copy (the check below can fail)")
sub_model.set_weights(seq_model.get_weights())  # weight lists line up layer by layer
seq_out = seq_model.predict(x4, verbose=0)
sub_out = sub_model.predict(x4, verbose=0)
after = np.abs(seq_out - sub_out).max()
print(f"max |difference| after set_weights(get_weights()): {after:.3e}")
check(np.allclose(seq_out, sub_out, rtol=1e-6, atol=0.0), "sequential == subclassed (rtol 1e-6)")

# ---------------------------------------------------------------------------------------------------------
section("Under the hood: weights and freezing")

counts = (len(seq_model.weights), len(seq_model.trainable_weights), len(seq_model.non_trainable_weights))
print("weights / trainable_weights / non_trainable_weights:", counts)
check(counts == (6, 6, 0), "6 weights (3 kernels + 3 biases), 6 trainable, 0 non-trainable")
seq_model.layers[0].trainable = False  # freeze the first Dense
frozen = (len(seq_model.trainable_weights), len(seq_model.non_trainable_weights))
print("after layers[0].trainable = False -> trainable / non-trainable:", frozen)
check(frozen == (4, 2), "freezing the first Dense leaves 4 trainable weights (2 non-trainable)")
check(not seq_model.layers[0].kernel.requires_grad, "the frozen kernel no longer requires grad (torch view)")
seq_model.layers[0].trainable = True  # unfreeze - back to 6
print("after layers[0].trainable = True -> trainable:", len(seq_model.trainable_weights))
check(len(seq_model.trainable_weights) == 6, "unfreezing gives 6 trainable weights again")

# ---------------------------------------------------------------------------------------------------------
section("Dtype policies")

keras.mixed_precision.set_global_policy("mixed_float16")

mp_model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax", dtype="float32"),  # <- last layer stays float32!
    ],
    name="mlp_mixed",
)
first, last = mp_model.layers[0], mp_model.layers[-1]
print("first.dtype_policy  :", first.dtype_policy)
print("first.variable_dtype:", first.variable_dtype, "(storage)")
print("first.compute_dtype :", first.compute_dtype, "(math)")
print("head.compute_dtype  :", last.compute_dtype, "(overridden with dtype='float32')")
check(repr(first.dtype_policy) == '<DTypePolicy "mixed_float16">' and first.dtype_policy.name == "mixed_float16",
      'first layer\'s policy is <DTypePolicy "mixed_float16">')
check(first.variable_dtype == "float32" and first.compute_dtype == "float16",
      "mixed_float16: variables float32, compute float16")
check({w.dtype for w in mp_model.weights} == {"float32"}, "every weight is stored in float32")
check(last.dtype_policy.name == "float32" and last.compute_dtype == "float32",
      "the head created with dtype='float32' computes in float32")

# The math: the hidden layers run under torch.autocast in float16, the head in float32.
hidden_dtypes = []
hook = mp_model.layers[1].register_forward_hook(lambda module, args, out: hidden_dtypes.append(out.dtype))
mixed_probs = mp_model(torch.as_tensor(rng.random((4, 784)).astype("float32")))
hook.remove()
print("hidden output dtype :", hidden_dtypes[0], "| head output dtype:", mixed_probs.dtype)
check(hidden_dtypes == [torch.float16], "the hidden Dense computes in float16 (autocast)")
check(mixed_probs.dtype == torch.float32 and torch.allclose(mixed_probs.sum(-1), torch.ones(4), atol=1e-5),
      "the float32 softmax head returns float32 probabilities that sum to 1")

keras.mixed_precision.set_global_policy("float32")  # reset so the rest of the walkthrough is unaffected
check(keras.mixed_precision.global_policy().name == "float32" and layers.Dense(2).compute_dtype == "float32",
      "after resetting the global policy, new layers compute in float32 again")

# ---------------------------------------------------------------------------------------------------------
section("predict on a fake batch")

batch = rng.random((16, 784)).astype("float32")
probs = seq_model.predict(batch, verbose=0)
print("predict ->", type(probs).__name__, probs.shape, "| first row sums to", float(probs[0].sum()))
check(isinstance(probs, np.ndarray) and probs.shape == (16, 10), "predict returns a numpy array of shape (16, 10)")
check(np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all(),
      "softmax rows are non-negative and sum to 1")

# ---------------------------------------------------------------------------------------------------------
section("Way 2 and the exercise")
print("Way 2, the Functional API (keras.Model(inputs, outputs) as a torch.fx graph), the two-input")
print("two-headed model, shared layers, the siamese digit comparator (217,537 params) and slicing a")
print("feature extractor run in examples/functional.py:")
print("    python examples/functional.py")

print()
print(f"All {len(CHECKS)} checks passed.")
