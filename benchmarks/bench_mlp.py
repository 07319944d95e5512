"""Benchmark: torchkeras MLP vs. the same network in plain torch.nn vs. real Keras on the torch backend.

Network (seed 001): 784 -> Dense 256 relu -> Dense 64 relu -> Dense 10 softmax.

All three contenders hold the same weights (copied in before timing) and are checked to compute the same
function (outputs allclose at 1e-5, and equal weights after one identical training step) before anything
is timed. Everything runs in ONE process; measurements are interleaved: every repeat times each contender
once, in a rotating order, and the table reports the median over repeats of the per-call time.

Cases:
  forward b32     inference forward, batch 32   (torch.no_grad for all three; Keras: model(x, training=False))
  forward b1024   inference forward, batch 1024
  train-step b32  forward + crossentropy + backward + SGD step, batch 32 (Keras: a plain torch loop over the
                  torch Parameters behind `keras_model.trainable_weights`, i.e. `variable.value`)

Inputs are torch tensors already on the device for all three (the natural form for each: Keras's torch
backend takes torch tensors as they are), so no conversion is timed.

Usage:
  python benchmarks/bench_mlp.py                 # full run on CPU
  python benchmarks/bench_mlp.py --quick         # a few interleaved repeats, for CI
  python benchmarks/bench_mlp.py --device cuda --repeats 50 --threads 4
Exit status 0 unless the contenders disagree numerically (then 1). Timings never fail the run.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
from torch import nn

import torchkeras
from torchkeras import layers as tk_layers
from timing import (Contender, allclose, check_training_step, keras_for, parse_args, print_header, print_ratios,
                    print_table_header, print_table_row, setup_device, time_case)

TARGET = 1.10  # issue target: torchkeras / torch at batch 32, forward and training step


# ---------------------------------------------------------------------------------------- the models


def make_torchkeras_mlp():
    return torchkeras.Sequential(
        [
            torchkeras.Input(shape=(784,)),
            tk_layers.Dense(256, activation="relu"),
            tk_layers.Dense(64, activation="relu"),
            tk_layers.Dense(10, activation="softmax"),
        ],
        name="mlp_torchkeras",
    )


class TorchMLP(nn.Module):
    """The hand-written torch.nn equivalent."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=-1)


def copy_keras_weights_into_torch(weights, torch_model):
    """Keras order is kernel, bias per Dense; torch Linear.weight = kernel.T."""
    linears = [torch_model.fc1, torch_model.fc2, torch_model.fc3]
    with torch.no_grad():
        for i, linear in enumerate(linears):
            kernel, bias = weights[2 * i], weights[2 * i + 1]
            linear.weight.copy_(torch.as_tensor(kernel).T)
            linear.bias.copy_(torch.as_tensor(bias))


def make_keras_mlp(keras, device):
    with keras.device(device):
        return keras.Sequential(
            [
                keras.Input(shape=(784,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ],
            name="mlp_keras",
        )


# ---------------------------------------------------------------------------------------- contenders


def loss_fn(probs, labels):
    """Crossentropy on softmax outputs (Keras's categorical/sparse crossentropy on probabilities)."""
    return nn.functional.nll_loss(torch.log(probs.clamp_min(1e-7)), labels)


def build_contenders(device, lr, keras):
    torch.manual_seed(0)
    tk_model = make_torchkeras_mlp().to(device)
    weights = tk_model.get_weights()

    torch_model = TorchMLP().to(device)
    copy_keras_weights_into_torch(weights, torch_model)
    torch_model.eval()

    contenders = []

    # -- plain torch
    torch_opt = torch.optim.SGD(torch_model.parameters(), lr=lr)

    def torch_infer(x):
        return torch_model(x)

    def torch_train(x, y):
        torch_opt.zero_grad(set_to_none=True)
        loss = loss_fn(torch_model(x), y)
        loss.backward()
        torch_opt.step()
        return loss

    # Keras order (kernel, bias) as torch tensors, in Keras's layout, for the equivalence check.
    torch_params = lambda: [t for fc in (torch_model.fc1, torch_model.fc2, torch_model.fc3)
                            for t in (fc.weight.T, fc.bias)]
    contenders.append(Contender("torch", torch_infer, torch_train, torch_params))

    # -- torchkeras
    tk_opt = torch.optim.SGD([v.value for v in tk_model.trainable_weights], lr=lr)

    def tk_infer(x):
        return tk_model(x, training=False)

    def tk_train(x, y):
        tk_opt.zero_grad(set_to_none=True)
        loss = loss_fn(tk_model(x, training=True), y)
        loss.backward()
        tk_opt.step()
        return loss

    contenders.append(Contender("torchkeras", tk_infer, tk_train,
                                lambda: [v.value for v in tk_model.weights]))

    # -- real Keras on the torch backend
    if keras is not None:
        keras_device = "cuda" if device.type == "cuda" else "cpu"
        keras_model = make_keras_mlp(keras, keras_device)
        keras_model.set_weights(weights)
        # Keras's torch-backend variables wrap torch Parameters: `variable.value`.
        keras_params = [v.value for v in keras_model.trainable_weights]
        keras_opt = torch.optim.SGD(keras_params, lr=lr)

        def keras_infer(x):
            with keras.device(keras_device):
                return keras_model(x, training=False)

        def keras_train(x, y):
            with keras.device(keras_device):
                keras_opt.zero_grad(set_to_none=True)
                loss = loss_fn(keras_model(x, training=True), y)
                loss.backward()
                keras_opt.step()
            return loss

        contenders.append(Contender("keras", keras_infer, keras_train,
                                    lambda: [v.value for v in keras_model.weights]))
    return contenders


# ---------------------------------------------------------------------------------------- checks


def check_equivalence(contenders, device):
    """Same outputs (atol/rtol 1e-5) and, after one identical SGD step, same weights."""
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(64, 784, generator=gen).to(device)
    y = torch.randint(0, 10, (64,), generator=gen).to(device)
    ref = contenders[0]
    with torch.no_grad():
        ref_out = ref.infer(x)
        for c in contenders[1:]:
            out = c.infer(x)
            if not allclose(out, ref_out):
                diff = (out - ref_out).abs().max().item() if out.shape == ref_out.shape else "shape"
                return f"forward of {c.name} differs from {ref.name} (max abs diff {diff})"
    # One training step on a copy-free basis: all start from the same weights, so after the same step
    # they must still agree. (Later timed steps move them identically too, but that is not checked.)
    return check_training_step(contenders, x, y)


def main(argv=None):
    args = parse_args(__doc__, argv)
    device, threads = setup_device(args)
    repeats = args.repeats or (5 if args.quick else 100)
    lr = 1e-2

    keras, why_no_keras = keras_for(args)

    print_header("bench_mlp: 784-256(relu)-64(relu)-10(softmax)", device, threads, repeats, keras, why_no_keras, [
        "forward: torch.no_grad() for all; keras called as model(x, training=False)",
        "train step: forward + crossentropy (nll of log softmax-probs) + backward + torch.optim.SGD; "
        "keras via a plain torch loop over keras_model.trainable_weights[i].value",
    ])

    contenders = build_contenders(device, lr, keras)
    problem = check_equivalence(contenders, device)
    if problem:
        print(f"EQUIVALENCE CHECK FAILED: {problem}")
        return 1
    print(f"  equivalence: outputs allclose(1e-5) and weights equal after one SGD step for "
          f"{', '.join(c.name for c in contenders)}")

    gen = torch.Generator().manual_seed(2)
    x32 = torch.rand(32, 784, generator=gen).to(device)
    y32 = torch.randint(0, 10, (32,), generator=gen).to(device)
    x1024 = torch.rand(1024, 784, generator=gen).to(device)

    # Short timed blocks (a few ms each) and many repeats: on a shared machine, load changes from one
    # moment to the next, and short interleaved blocks expose every contender to the same conditions.
    cases = [
        ("forward b32", lambda c: (lambda: c.infer(x32)), 10, True),
        ("forward b1024", lambda c: (lambda: c.infer(x1024)), 2, True),
        ("train-step b32", lambda c: (lambda: c.train_step(x32, y32)), 5, False),
    ]
    warmup = 3 if args.quick else 20

    names = [c.name for c in contenders]
    print_table_header("case", 16, names, keras is not None)
    results = {}
    for label, make_fn, n_inner, no_grad in cases:
        times = time_case(contenders, make_fn, n_inner, repeats, warmup, device, no_grad)
        results[label] = dict(zip(names, times))
        print_table_row(label, 16, times, keras is not None)
    print()
    print_ratios(results, TARGET, ("forward b32", "train-step b32"), keras is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
