"""Benchmark: torchkeras LSTM(128) and GRU(128) vs. torch.nn.LSTM/GRU with the same weights vs. real Keras.

Input: (batch 32, 50 steps, 64 features); the layer returns the last output (Keras's default
`return_sequences=False`), followed by Dense 10 logits for the training step.

Weight mapping (Keras -> torch.nn, one layer, batch_first=True):
  LSTM  gates i, f, c, o in both:  weight_ih_l0 = kernel.T, weight_hh_l0 = recurrent_kernel.T,
        bias_ih_l0 = bias, bias_hh_l0 = 0
  GRU   Keras gates z, r, h, torch r, z, n (reset_after=True is torch's formula): each (.., 3*units) block of
        kernel/recurrent_kernel/bias is reordered [r, z, h]; weight_ih_l0 = kernel[:, order].T,
        weight_hh_l0 = recurrent_kernel[:, order].T, bias_ih_l0 = bias[0, order], bias_hh_l0 = bias[1, order]

All three contenders are checked to compute the same function (outputs allclose at 1e-5, equal weights after
one SGD step) before anything is timed. One process, interleaved measurements, median per-call time.

Cases (for each of LSTM and GRU):
  forward b32     inference forward (torch.no_grad for all)
  train-step b32  forward + cross_entropy on Dense 10 logits + backward + SGD step

Usage:
  python benchmarks/bench_rnn.py                 # full run on CPU
  python benchmarks/bench_rnn.py --quick         # a few interleaved repeats, for CI
  python benchmarks/bench_rnn.py --device cuda
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

TARGET = 1.15  # issue target: torchkeras / torch.nn, forward and training step
UNITS, STEPS, FEATURES, CLASSES = 128, 50, 64, 10


class TorchRecurrentClassifier(nn.Module):
    """torch.nn.LSTM or GRU (batch_first) -> last step -> Linear."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.rnn = (nn.LSTM if kind == "LSTM" else nn.GRU)(FEATURES, UNITS, batch_first=True)
        self.fc = nn.Linear(UNITS, CLASSES)

    def forward(self, x):
        sequence, _ = self.rnn(x)
        return self.fc(sequence[:, -1])

    def gru_order(self):
        """Column order that turns Keras's [z, r, h] blocks into torch's [r, z, n], and back."""
        return torch.cat([torch.arange(UNITS, 2 * UNITS), torch.arange(0, UNITS), torch.arange(2 * UNITS, 3 * UNITS)])

    def keras_order_weights(self):
        """The weights as Keras lays them out: kernel, recurrent_kernel, bias, Dense kernel, Dense bias."""
        rnn = self.rnn
        if self.kind == "LSTM":
            # Keras has one bias; torch's two add up, and bias_hh is kept at zero (not trained in the check).
            recurrent = [rnn.weight_ih_l0.T, rnn.weight_hh_l0.T, rnn.bias_ih_l0 + rnn.bias_hh_l0]
        else:
            order = self.gru_order()  # a permutation that is its own inverse: [z, r, h] <-> [r, z, n]
            recurrent = [rnn.weight_ih_l0[order].T, rnn.weight_hh_l0[order].T,
                         torch.stack([rnn.bias_ih_l0[order], rnn.bias_hh_l0[order]])]
        return recurrent + [self.fc.weight.T, self.fc.bias]

    def load_keras_weights(self, weights):
        kernel, recurrent_kernel, bias, dense_kernel, dense_bias = (torch.as_tensor(w) for w in weights)
        rnn = self.rnn
        with torch.no_grad():
            if self.kind == "LSTM":
                rnn.weight_ih_l0.copy_(kernel.T)
                rnn.weight_hh_l0.copy_(recurrent_kernel.T)
                rnn.bias_ih_l0.copy_(bias)
                rnn.bias_hh_l0.zero_()
            else:
                order = self.gru_order()
                rnn.weight_ih_l0.copy_(kernel[:, order].T)
                rnn.weight_hh_l0.copy_(recurrent_kernel[:, order].T)
                rnn.bias_ih_l0.copy_(bias[0, order])
                rnn.bias_hh_l0.copy_(bias[1, order])
            self.fc.weight.copy_(dense_kernel.T)
            self.fc.bias.copy_(dense_bias)


def make_torchkeras(kind):
    return torchkeras.Sequential([torchkeras.Input(shape=(STEPS, FEATURES)), getattr(tk_layers, kind)(UNITS),
                                  tk_layers.Dense(CLASSES)], name=f"{kind.lower()}_torchkeras")


def make_keras(keras, kind, device):
    with keras.device(device):
        return keras.Sequential([keras.Input(shape=(STEPS, FEATURES)), getattr(keras.layers, kind)(UNITS),
                                 keras.layers.Dense(CLASSES)], name=f"{kind.lower()}_keras")


def sgd_contender(name, model_call, params, lr, weights_for_check):
    optimizer = torch.optim.SGD(params, lr=lr)

    def infer(x):
        return model_call(x, False)

    def train_step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model_call(x, True), y)
        loss.backward()
        optimizer.step()
        return loss

    return Contender(name, infer, train_step, weights_for_check)


def build_contenders(kind, device, lr, keras):
    torch.manual_seed(0)
    tk_model = make_torchkeras(kind).to(device)
    weights = tk_model.get_weights()
    torch_model = TorchRecurrentClassifier(kind).to(device)
    torch_model.load_keras_weights(weights)
    trainable = [p for name, p in torch_model.named_parameters() if not (kind == "LSTM" and name == "rnn.bias_hh_l0")]
    contenders = [
        sgd_contender("torch", lambda x, training: torch_model(x), trainable, lr,
                      torch_model.keras_order_weights),
        sgd_contender("torchkeras", lambda x, training: tk_model(x, training=training),
                      [v.value for v in tk_model.trainable_weights], lr,
                      lambda: [v.value for v in tk_model.weights]),
    ]
    if keras is not None:
        keras_device = "cuda" if device.type == "cuda" else "cpu"
        keras_model = make_keras(keras, kind, keras_device)
        keras_model.set_weights(weights)

        def keras_call(x, training):
            with keras.device(keras_device):
                return keras_model(x, training=training)

        contenders.append(sgd_contender("keras", keras_call, [v.value for v in keras_model.trainable_weights], lr,
                                        lambda: [v.value for v in keras_model.weights]))
    return contenders


def check_equivalence(contenders, device):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, STEPS, FEATURES, generator=gen).to(device)
    y = torch.randint(0, CLASSES, (8,), generator=gen).to(device)
    ref = contenders[0]
    with torch.no_grad():
        ref_out = ref.infer(x)
        for c in contenders[1:]:
            out = c.infer(x)
            if not allclose(out, ref_out):
                diff = (out - ref_out).abs().max().item() if out.shape == ref_out.shape else "shape"
                return f"forward of {c.name} differs from {ref.name} (max abs diff {diff})"
    return check_training_step(contenders, x, y)


def main(argv=None):
    args = parse_args(__doc__, argv)
    device, threads = setup_device(args)
    repeats = args.repeats or (3 if args.quick else 30)
    lr = 1e-2
    keras, why_no_keras = keras_for(args)
    print_header(f"bench_rnn: ({32}, {STEPS}, {FEATURES}) -> LSTM/GRU({UNITS}) -> Dense {CLASSES}", device, threads,
                 repeats, keras, why_no_keras, [
                     "torch: torch.nn.LSTM/GRU(batch_first=True) with the same weights (see the module docstring)",
                     "train step: forward + cross_entropy on logits + backward + torch.optim.SGD; "
                     "keras via a plain torch loop over keras_model.trainable_weights[i].value",
                 ])
    gen = torch.Generator().manual_seed(2)
    x32 = torch.randn(32, STEPS, FEATURES, generator=gen).to(device)
    y32 = torch.randint(0, CLASSES, (32,), generator=gen).to(device)
    warmup = 1 if args.quick else 5
    results = {}
    targets = []
    for kind in ("LSTM", "GRU"):
        contenders = build_contenders(kind, device, lr, keras)
        problem = check_equivalence(contenders, device)
        if problem:
            print(f"EQUIVALENCE CHECK FAILED ({kind}): {problem}")
            return 1
        print(f"  equivalence ({kind}): outputs allclose(1e-5) and weights equal after one SGD step for "
              f"{', '.join(c.name for c in contenders)}")
        names = [c.name for c in contenders]
        print_table_header("case", 22, names, keras is not None)
        for case, make_fn, no_grad in (
            ("forward b32", lambda c: (lambda: c.infer(x32)), True),
            ("train-step b32", lambda c: (lambda: c.train_step(x32, y32)), False),
        ):
            label = f"{kind} {case}"
            times = time_case(contenders, make_fn, 1, repeats, warmup, device, no_grad)
            results[label] = dict(zip(names, times))
            targets.append(label)
            print_table_row(label, 22, times, keras is not None)
    print()
    print_ratios(results, TARGET, targets, keras is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
