"""Benchmark: `model.fit` in torchkeras vs. a hand-written torch training loop vs. real Keras's `fit`.

Network (seed 001): 784 -> Dense 256 relu -> Dense 64 relu -> Dense 10 softmax, sparse categorical
crossentropy, SGD (learning rate 0.01), batch 32, numpy data (float32 inputs, int64 labels), no shuffling.

Contenders, all from the same initial weights:
  torch            a hand-written loop over the same numpy batches: `torch.from_numpy` of each slice,
                   forward, the same crossentropy Keras computes on probabilities (normalize, clip to
                   [1e-7, 1 - 1e-7], log, nll), `zero_grad`, `backward`, `torch.optim.SGD.step`, and the
                   epoch's mean loss accumulated on the device (what `fit` reports), read once per epoch.
  torchkeras       `model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)`, compiled with the
                   Keras-style `torchkeras.optimizers.SGD` ("fit, keras SGD") or with a `torch.optim.SGD`
                   over the model's parameters ("fit, torch SGD").
  keras            real Keras on the torch backend, `keras_model.fit(...)` with the same arguments and
                   `keras.optimizers.SGD`.
A second case adds `metrics=["accuracy"]` (the torch loop then also counts correct predictions on the
device).

Before timing it checks that one epoch gives the same final weights (allclose 1e-5) and the same mean
loss in all contenders, and exits 1 if not. Each timed call is one epoch (`--samples` / 32 steps,
2048 samples by default), contenders interleaved in a rotating order; the table reports the median
per-step time on two clocks, wall time and the CPU time of the timing thread (`time.thread_time`: all
the work runs in that thread with `torch.set_num_threads(1)`, and unlike wall time it does not count
the time other processes hold a shared machine's cores). On CPU the ratios use the CPU time; on CUDA,
wall time. Targets: torchkeras / torch <= 1.15, keras / torchkeras >= 2.

Usage:
  python benchmarks/bench_fit.py                 # full run on CPU
  python benchmarks/bench_fit.py --quick         # a few interleaved repeats, for CI
  python benchmarks/bench_fit.py --device cuda --threads 4
"""

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch
from torch import nn

import torchkeras
from torchkeras import layers as tk_layers
import statistics
import time

from timing import fmt_time, keras_for, print_header, setup_device, sync

TARGET = 1.15  # issue target: fit / hand-written torch loop
KERAS_TARGET = 2.0  # keras fit / torchkeras fit at least this
BATCH = 32
LR = 0.01


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 30, 3 with --quick)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads value (default 1)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--samples", type=int, default=None, help="samples per epoch (default 2048, 512 with --quick)")
    parser.add_argument("--quick", action="store_true", help="few repeats and a short epoch (CI)")
    parser.add_argument("--no-keras", action="store_true", help="skip the real-Keras contender")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda requested but torch.cuda.is_available() is False")
    return args


def make_tk_mlp():
    return torchkeras.Sequential([
        torchkeras.Input(shape=(784,)),
        tk_layers.Dense(256, activation="relu"),
        tk_layers.Dense(64, activation="relu"),
        tk_layers.Dense(10, activation="softmax"),
    ])


class TorchMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=-1)

    def set_keras_weights(self, weights):
        with torch.no_grad():
            for i, fc in enumerate((self.fc1, self.fc2, self.fc3)):
                fc.weight.copy_(torch.as_tensor(weights[2 * i]).T)
                fc.bias.copy_(torch.as_tensor(weights[2 * i + 1]))

    def keras_weights(self):
        return [t.detach().cpu().numpy() for fc in (self.fc1, self.fc2, self.fc3) for t in (fc.weight.T, fc.bias)]


def crossentropy(probs, labels):
    """Keras's sparse categorical crossentropy on probabilities (torch backend): normalize, clip, log."""
    probs = probs / probs.sum(dim=-1, keepdim=True)
    probs = probs.clamp(1e-7, 1.0 - 1e-7)
    return nn.functional.nll_loss(torch.log(probs), labels)


class TorchLoop:
    """The hand-written loop: one epoch over numpy arrays, mean loss (and accuracy) kept on the device."""

    def __init__(self, weights, device, accuracy):
        self.model = TorchMLP().to(device)
        self.model.set_keras_weights(weights)
        self.model.train()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.device = device
        self.accuracy = accuracy

    def epoch(self, x, y):
        model, optimizer, device = self.model, self.optimizer, self.device
        total = torch.zeros((), device=device)
        correct = torch.zeros((), device=device)
        count = 0
        for start in range(0, len(x), BATCH):
            xb = torch.from_numpy(x[start:start + BATCH]).to(device, non_blocking=True)
            yb = torch.from_numpy(y[start:start + BATCH]).to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            probs = model(xb)
            loss = crossentropy(probs, yb)
            loss.backward()
            optimizer.step()
            total += loss.detach() * xb.shape[0]
            if self.accuracy:
                correct += (probs.detach().argmax(dim=-1) == yb).sum()
            count += xb.shape[0]
        return {"loss": (total / count).item()}


def fit_epoch(model, x, y):
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return {"loss": history.history["loss"][-1]}


def build(args, device, keras, accuracy):
    torch.manual_seed(0)
    reference = make_tk_mlp()
    weights = reference.get_weights()
    metrics = ["accuracy"] if accuracy else None
    contenders = {"torch": TorchLoop(weights, device, accuracy)}

    tk_model = make_tk_mlp().to(device)
    tk_model.set_weights(weights)
    tk_model.compile(optimizer=torchkeras.optimizers.SGD(learning_rate=LR), loss="sparse_categorical_crossentropy",
                     metrics=metrics)
    contenders["fit, keras SGD"] = tk_model

    tk_torch_opt = make_tk_mlp().to(device)
    tk_torch_opt.set_weights(weights)
    tk_torch_opt.compile(optimizer=torch.optim.SGD(tk_torch_opt.parameters(), lr=LR),
                         loss="sparse_categorical_crossentropy", metrics=metrics)
    contenders["fit, torch SGD"] = tk_torch_opt

    if keras is not None:
        with keras.device("cuda" if device.type == "cuda" else "cpu"):
            keras_model = keras.Sequential([
                keras.Input(shape=(784,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ])
            keras_model.set_weights(weights)
            keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR),
                                loss="sparse_categorical_crossentropy", metrics=metrics)
        contenders["keras"] = keras_model
    return contenders


def run_epoch(contender, x, y):
    if isinstance(contender, TorchLoop):
        return contender.epoch(x, y)
    return fit_epoch(contender, x, y)


def final_weights(contender):
    if isinstance(contender, TorchLoop):
        return contender.model.keras_weights()
    return [np.asarray(w) for w in contender.get_weights()]


def check_equivalence(contenders, x, y):
    """One epoch each from the same weights: same mean loss, same final weights."""
    results = {name: run_epoch(c, x, y) for name, c in contenders.items()}
    reference = results["torch"]["loss"]
    for name, result in results.items():
        if abs(result["loss"] - reference) > 1e-5 * max(1.0, abs(reference)):
            return f"epoch loss of {name} ({result['loss']}) differs from torch's ({reference})"
    ref_weights = final_weights(contenders["torch"])
    for name, contender in contenders.items():
        for index, (a, b) in enumerate(zip(ref_weights, final_weights(contender))):
            if not np.allclose(a, b, atol=1e-5, rtol=1e-5):
                return f"after one epoch, weight {index} of {name} differs from torch's"
    return None


def time_epochs(contenders, x, y, repeats, warmup, device):
    """Median seconds per epoch for each contender, interleaved in a rotating order, on two clocks:
    wall time, and the CPU time of this thread (`time.thread_time`), which on a shared CPU machine does
    not count the time other processes hold the cores. `(wall, cpu)` dicts keyed by name."""
    names = list(contenders)
    for name in names:
        for _ in range(warmup):
            run_epoch(contenders[name], x, y)
    wall = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for r in range(repeats):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            sync(device)
            start_wall, start_cpu = time.perf_counter(), time.thread_time()
            run_epoch(contenders[name], x, y)
            sync(device)
            wall[name].append(time.perf_counter() - start_wall)
            cpu[name].append(time.thread_time() - start_cpu)
    return ({n: statistics.median(v) for n, v in wall.items()}, {n: statistics.median(v) for n, v in cpu.items()})


def main(argv=None):
    args = parse_args(argv)
    device, threads = setup_device(args)
    repeats = args.repeats or (3 if args.quick else 30)
    samples = args.samples or (512 if args.quick else 2048)
    keras, why_no_keras = keras_for(args)
    print_header("bench_fit: fit() on 784-256(relu)-64(relu)-10(softmax), batch 32, numpy data", device, threads,
                 repeats, keras, why_no_keras, [
                     f"one timed call = one epoch of {samples} samples ({-(-samples // BATCH)} steps); "
                     "table = median per-step time",
                     "torch = hand-written loop (from_numpy slices, same crossentropy, torch.optim.SGD, "
                     "mean loss on device)",
                 ])
    rng = np.random.default_rng(0)
    x = rng.random((samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=(samples,))
    steps = -(-samples // BATCH)
    warmup = 1 if args.quick else 3

    all_results = {}
    for label, accuracy in (("fit b32", False), ("fit b32 + accuracy", True)):
        contenders = build(args, device, keras, accuracy)
        problem = check_equivalence(contenders, x, y)
        if problem:
            print(f"EQUIVALENCE CHECK FAILED ({label}): {problem}")
            return 1
        print(f"  equivalence ({label}): same epoch loss and weights allclose(1e-5) after one epoch for "
              f"{', '.join(contenders)}")
        wall, cpu = time_epochs(contenders, x, y, repeats, warmup, device)
        all_results[label] = {"wall": {n: t / steps for n, t in wall.items()}, "cpu": {n: t / steps for n, t in cpu.items()}}

    # On CPU the ratios use the thread's CPU time (robust on shared machines); on CUDA, wall time.
    basis = "cpu" if device.type == "cpu" else "wall"
    names = list(next(iter(all_results.values()))["wall"])
    header = f"{'case':<28}" + "".join(f"{n:>16}" for n in names)
    print()
    print(header)
    print("-" * len(header))
    for label, result in all_results.items():
        for clock in ("wall", "cpu"):
            print(f"{label + ' (' + clock + ')':<28}" + "".join(f"{fmt_time(result[clock][n]):>16}" for n in names))
    print()
    print(f"ratios from {'CPU time of the timing thread' if basis == 'cpu' else 'wall time'} per step:")
    for label, result in all_results.items():
        times = result[basis]
        for name in ("fit, keras SGD", "fit, torch SGD"):
            ratio = times[name] / times["torch"]
            verdict = "meets" if ratio <= TARGET else "MISSES"
            print(f"ratio {label} ({name}): torchkeras/torch = {ratio:.3f} ({verdict} target <= {TARGET:.2f})")
        if "keras" in times:
            speedup = times["keras"] / times["fit, keras SGD"]
            verdict = "meets" if speedup >= KERAS_TARGET else "MISSES"
            print(f"ratio {label}: keras/torchkeras = {speedup:.3f} ({verdict} target >= {KERAS_TARGET:.1f})")
            print(f"ratio {label}: keras/torch = {times['keras'] / times['torch']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
