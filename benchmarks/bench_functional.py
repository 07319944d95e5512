"""Benchmark: torchkeras functional models vs. the same networks in plain torch.nn vs. real Keras (torch backend).

Networks (seed 001):
  mlp         pixels(784) -> Dense 256 relu -> Dense 64 relu -> Dense 10 softmax, as `keras.Model(inputs, outputs)`
  two_headed  pixels(784) -> Dense 256 relu -> Dense 64 relu ; metadata(8) -> Dense 16 relu ;
              concatenate (80) -> digit: Dense 10 softmax, is_hard: Dense 1 sigmoid

All contenders hold the same weights (copied in before timing) and are checked to compute the same function
(outputs allclose at 1e-5, and equal weights after one identical training step) before anything is timed.
Same methodology as bench_mlp.py (shared helpers in timing.py): one process, interleaved measurements, every
repeat times each contender once in a rotating order, the table reports the median per-call time.

Cases (batch 32):
  <model> forward     inference forward (torch.no_grad for all; Keras: model(x, training=False))
  <model> train-step  forward + loss + backward + SGD step (mlp: crossentropy; two_headed: crossentropy on
                      digit + 0.3 * binary crossentropy on is_hard). Keras: a plain torch loop over the torch
                      Parameters behind `keras_model.trainable_weights` (`variable.value`).
Then the time to wire a 300-layer graph (100 x Dense(16) -> Activation("relu") -> add with the skip) and make
the functional model from it (torchkeras, and Keras when present; target < 1 s for torchkeras).

Usage:
  python benchmarks/bench_functional.py                 # full run on CPU
  python benchmarks/bench_functional.py --quick         # a few interleaved repeats, for CI
  python benchmarks/bench_functional.py --device cuda --repeats 50 --threads 4
Exit status 0 unless the contenders disagree numerically (then 1). Timings never fail the run.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
from torch import nn

import torchkeras
from timing import (Contender, allclose, check_training_step, keras_for, parse_args, print_header, print_ratios,
                    print_table_header, print_table_row, setup_device, time_case)

TARGET = 1.05  # issue target: torchkeras functional / torch at batch 32, forward and training step
WIRING_TARGET_S = 1.0

# ---------------------------------------------------------------------------------------- the models


def make_mlp(module):
    """The seed's functional MLP, in torchkeras (`module=torchkeras`) or in Keras (`module=keras`)."""
    layers = module.layers
    inputs = module.Input(shape=(784,), name="pixels")
    h = layers.Dense(256, activation="relu")(inputs)
    h = layers.Dense(64, activation="relu")(h)
    outputs = layers.Dense(10, activation="softmax")(h)
    return module.Model(inputs=inputs, outputs=outputs, name="mlp_functional")


def make_two_headed(module):
    layers = module.layers
    img_in = module.Input(shape=(784,), name="pixels")
    meta_in = module.Input(shape=(8,), name="metadata")
    x = layers.Dense(256, activation="relu")(img_in)
    x = layers.Dense(64, activation="relu")(x)
    m = layers.Dense(16, activation="relu")(meta_in)
    merged = layers.concatenate([x, m])
    digit_out = layers.Dense(10, activation="softmax", name="digit")(merged)
    hard_out = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return module.Model(inputs=[img_in, meta_in], outputs=[digit_out, hard_out], name="two_headed_mlp")


class TorchMLP(nn.Module):
    """The hand-written torch.nn equivalent of the MLP."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 64)
        self.fc3 = nn.Linear(64, 10)

    def linears(self):
        return [self.fc1, self.fc2, self.fc3]

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=-1)


class TorchTwoHeaded(nn.Module):
    """The hand-written torch.nn equivalent of the two-headed model."""

    def __init__(self):
        super().__init__()
        self.trunk1 = nn.Linear(784, 256)
        self.trunk2 = nn.Linear(256, 64)
        self.meta = nn.Linear(8, 16)
        self.digit = nn.Linear(80, 10)
        self.is_hard = nn.Linear(80, 1)

    def linears(self):
        """In Keras's weight order (the order of `model.layers`: trunk1, trunk2, meta, digit, is_hard)."""
        return [self.trunk1, self.trunk2, self.meta, self.digit, self.is_hard]

    def forward(self, pixels, metadata):
        x = torch.relu(self.trunk2(torch.relu(self.trunk1(pixels))))
        m = torch.relu(self.meta(metadata))
        merged = torch.cat([x, m], dim=-1)
        return [torch.softmax(self.digit(merged), dim=-1), torch.sigmoid(self.is_hard(merged))]


def copy_keras_weights_into_torch(weights, torch_model):
    """Keras order is kernel, bias per Dense; torch Linear.weight = kernel.T."""
    with torch.no_grad():
        for i, linear in enumerate(torch_model.linears()):
            linear.weight.copy_(torch.as_tensor(weights[2 * i]).T)
            linear.bias.copy_(torch.as_tensor(weights[2 * i + 1]))


# ---------------------------------------------------------------------------------------- losses


def mlp_loss(probs, labels):
    """Crossentropy on softmax outputs (Keras's sparse categorical crossentropy on probabilities)."""
    return nn.functional.nll_loss(torch.log(probs.clamp_min(1e-7)), labels[0])


def two_headed_loss(outputs, labels):
    """digit crossentropy + 0.3 * is_hard binary crossentropy, as the seed's `loss_weights`."""
    digit, hard = outputs
    digit_labels, hard_labels = labels
    return (nn.functional.nll_loss(torch.log(digit.clamp_min(1e-7)), digit_labels)
            + 0.3 * nn.functional.binary_cross_entropy(hard, hard_labels))


SPECS = {
    # name: (torchkeras/keras builder, torch.nn class, input widths, loss)
    "mlp": (make_mlp, TorchMLP, (784,), mlp_loss),
    "two_headed": (make_two_headed, TorchTwoHeaded, (784, 8), two_headed_loss),
}


def make_batch(spec_name, batch, generator, device):
    widths = SPECS[spec_name][2]
    xs = [torch.rand(batch, w, generator=generator).to(device) for w in widths]
    labels = [torch.randint(0, 10, (batch,), generator=generator).to(device)]
    if spec_name == "two_headed":
        labels.append(torch.randint(0, 2, (batch, 1), generator=generator).float().to(device))
    return xs, labels


# ---------------------------------------------------------------------------------------- contenders


def build_contenders(spec_name, device, lr, keras):
    builder, torch_cls, widths, loss_fn = SPECS[spec_name]
    single = len(widths) == 1
    torch.manual_seed(0)
    tk_model = builder(torchkeras).to(device)
    weights = tk_model.get_weights()

    torch_model = torch_cls().to(device)
    copy_keras_weights_into_torch(weights, torch_model)
    torch_model.eval()

    def keras_layout(model):  # torch Linear params in Keras's (kernel, bias) layout, for the check
        return lambda: [t for fc in model.linears() for t in (fc.weight.T, fc.bias)]

    contenders = []

    # -- plain torch: called with separate tensors, as one would write it by hand
    torch_opt = torch.optim.SGD(torch_model.parameters(), lr=lr)

    def torch_infer(xs):
        return torch_model(*xs)

    def torch_train(xs, ys):
        torch_opt.zero_grad(set_to_none=True)
        loss = loss_fn(torch_model(*xs), ys)
        loss.backward()
        torch_opt.step()
        return loss

    contenders.append(Contender("torch", torch_infer, torch_train, keras_layout(torch_model)))

    # -- torchkeras functional: a tensor for one input, a list for several (Keras's convention)
    tk_opt = torch.optim.SGD([v.value for v in tk_model.trainable_weights], lr=lr)

    def tk_infer(xs):
        return tk_model(xs[0] if single else xs, training=False)

    def tk_train(xs, ys):
        tk_opt.zero_grad(set_to_none=True)
        loss = loss_fn(tk_model(xs[0] if single else xs, training=True), ys)
        loss.backward()
        tk_opt.step()
        return loss

    contenders.append(Contender("torchkeras", tk_infer, tk_train, lambda: [v.value for v in tk_model.weights]))

    # -- real Keras on the torch backend
    if keras is not None:
        keras_device = "cuda" if device.type == "cuda" else "cpu"
        with keras.device(keras_device):
            keras_model = builder(keras)
        keras_model.set_weights(weights)
        keras_opt = torch.optim.SGD([v.value for v in keras_model.trainable_weights], lr=lr)

        def keras_infer(xs):
            with keras.device(keras_device):
                return keras_model(xs[0] if single else xs, training=False)

        def keras_train(xs, ys):
            with keras.device(keras_device):
                keras_opt.zero_grad(set_to_none=True)
                loss = loss_fn(keras_model(xs[0] if single else xs, training=True), ys)
                loss.backward()
                keras_opt.step()
            return loss

        contenders.append(Contender("keras", keras_infer, keras_train,
                                    lambda: [v.value for v in keras_model.weights]))
    return contenders


# ---------------------------------------------------------------------------------------- checks


def _flat(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def check_equivalence(spec_name, contenders, device):
    """Same outputs (atol/rtol 1e-5) and, after one identical SGD step, same weights."""
    gen = torch.Generator().manual_seed(1)
    xs, ys = make_batch(spec_name, 64, gen, device)
    ref = contenders[0]
    with torch.no_grad():
        ref_out = _flat(ref.infer(xs))
        for c in contenders[1:]:
            out = _flat(c.infer(xs))
            if len(out) != len(ref_out):
                return f"{spec_name}: {c.name} gives {len(out)} outputs, {ref.name} {len(ref_out)}"
            for i, (a, b) in enumerate(zip(out, ref_out)):
                if not allclose(a, b):
                    diff = (a - b).abs().max().item() if a.shape == b.shape else "shape"
                    return f"{spec_name}: output {i} of {c.name} differs from {ref.name} (max abs diff {diff})"
    return check_training_step(contenders, xs, ys, prefix=f"{spec_name}: ")


# ---------------------------------------------------------------------------------------- wiring


def wire_deep_graph(module, blocks=100, width=16):
    """100 x (Dense -> Activation -> add): 300 layers (plus the InputLayer) in one functional model."""
    layers = module.layers
    inputs = module.Input(shape=(width,))
    h = inputs
    for _ in range(blocks):
        h = layers.add([h, layers.Activation("relu")(layers.Dense(width)(h))])
    return module.Model(inputs, h)


def time_wiring(module, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = wire_deep_graph(module)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(model.layers)


# ---------------------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(__doc__, argv)
    device, threads = setup_device(args)
    repeats = args.repeats or (5 if args.quick else 100)
    warmup = 3 if args.quick else 20
    lr = 1e-2

    keras, why_no_keras = keras_for(args)

    title = "bench_functional: functional MLP 784-256-64-10 and the two-headed model (784 + 8 -> 10, 1), batch 32"
    print_header(title, device, threads, repeats, keras, why_no_keras, [
        "forward: torch.no_grad() for all; torchkeras and keras called as model(x, training=False)",
        "train step: forward + loss + backward + torch.optim.SGD; keras via a plain torch loop over "
        "keras_model.trainable_weights[i].value",
    ])

    results = {}
    names = None
    rows = []
    for spec_name in SPECS:
        contenders = build_contenders(spec_name, device, lr, keras)
        problem = check_equivalence(spec_name, contenders, device)
        if problem:
            print(f"EQUIVALENCE CHECK FAILED: {problem}")
            return 1
        print(f"  equivalence ({spec_name}): outputs allclose(1e-5) and weights equal after one SGD step for "
              f"{', '.join(c.name for c in contenders)}")
        names = [c.name for c in contenders]
        gen = torch.Generator().manual_seed(2)
        xs, ys = make_batch(spec_name, 32, gen, device)
        cases = [
            (f"{spec_name} forward", lambda c: (lambda: c.infer(xs)), 10, True),
            (f"{spec_name} train-step", lambda c: (lambda: c.train_step(xs, ys)), 5, False),
        ]
        for label, make_fn, n_inner, no_grad in cases:
            times = time_case(contenders, make_fn, n_inner, repeats, warmup, device, no_grad)
            results[label] = dict(zip(names, times))
            rows.append((label, times))

    print_table_header("case (batch 32)", 22, names, keras is not None)
    for label, times in rows:
        print_table_row(label, 22, times, keras is not None)

    print()
    wiring_repeats = 1 if args.quick else 5
    tk_wiring, n_layers = time_wiring(torchkeras, wiring_repeats)
    verdict = "meets" if tk_wiring < WIRING_TARGET_S else "MISSES"
    print(f"wiring a {n_layers - 1}-layer graph (Dense/Activation/add x 100) + Model(): torchkeras "
          f"{tk_wiring:.3f} s ({verdict} target < {WIRING_TARGET_S:.0f} s), median of {wiring_repeats}")
    if keras is not None:
        keras_wiring, _ = time_wiring(keras, wiring_repeats)
        print(f"wiring the same graph in keras: {keras_wiring:.3f} s (keras/torchkeras = "
              f"{keras_wiring / tk_wiring:.2f})")
    print()
    print_ratios(results, TARGET, results, keras is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
