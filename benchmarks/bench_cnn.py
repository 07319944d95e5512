"""Benchmark: a small torchkeras CNN (NHWC) vs. the same network hand-written in torch (NCHW) vs. real Keras.

Network: 32x32x3 -> Conv2D 32 3x3 same relu -> MaxPooling2D 2 -> Conv2D 64 3x3 same relu
         -> GlobalAveragePooling2D -> Dense 10 (logits).

torchkeras and Keras take NHWC input (Keras's default `channels_last`); the hand-written torch network takes
the same batch as NCHW, contiguous, the layout torch code is written for. All three hold the same weights and
are checked to compute the same function (outputs allclose at 1e-5, equal weights after one SGD step) before
anything is timed. One process, interleaved measurements, median per-call time (see `timing.py`).

Cases:
  forward b32     inference forward, batch 32 (torch.no_grad for all)
  train-step b32  forward + softmax crossentropy on logits + backward + SGD step, batch 32

Memory: the activation memory of one training step (distinct storages autograd saves for backward), per
contender, against torch; on CUDA also the allocator's peak during a step beyond what was allocated before it.

Usage:
  python benchmarks/bench_cnn.py                 # full run on CPU
  python benchmarks/bench_cnn.py --quick         # a few interleaved repeats, for CI
  python benchmarks/bench_cnn.py --device cuda --repeats 50 --threads 4
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

TARGET = 1.10  # issue target: torchkeras / torch for the training step at batch 32


# ---------------------------------------------------------------------------------------- the models


def make_torchkeras_cnn():
    return torchkeras.Sequential(
        [
            torchkeras.Input(shape=(32, 32, 3)),
            tk_layers.Conv2D(32, 3, padding="same", activation="relu"),
            tk_layers.MaxPooling2D(2),
            tk_layers.Conv2D(64, 3, padding="same", activation="relu"),
            tk_layers.GlobalAveragePooling2D(),
            tk_layers.Dense(10),
        ],
        name="cnn_torchkeras",
    )


def make_keras_cnn(keras, device):
    with keras.device(device):
        return keras.Sequential(
            [
                keras.Input(shape=(32, 32, 3)),
                keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
                keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(10),
            ],
            name="cnn_keras",
        )


class TorchCNN(nn.Module):
    """The hand-written torch.nn equivalent, on NCHW input."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = nn.functional.max_pool2d(x, 2)
        x = torch.relu(self.conv2(x))
        return self.fc(x.mean(dim=(2, 3)))

    def keras_order_weights(self):
        """The weights in Keras's order and layout: conv kernels (kh, kw, in, out), Dense kernel (in, out)."""
        return [self.conv1.weight.permute(2, 3, 1, 0), self.conv1.bias,
                self.conv2.weight.permute(2, 3, 1, 0), self.conv2.bias,
                self.fc.weight.T, self.fc.bias]


def copy_keras_weights_into_torch(weights, torch_model):
    with torch.no_grad():
        for target, value in zip(torch_model.keras_order_weights(), weights):
            target.copy_(torch.as_tensor(value))


# ---------------------------------------------------------------------------------------- contenders


def sgd_contender(name, model_call, params, lr, to_input, weights_for_check):
    """A contender whose training step is forward + crossentropy + backward + torch.optim.SGD."""
    optimizer = torch.optim.SGD(params, lr=lr)

    def infer(x):
        return model_call(to_input(x), False)

    def train_step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model_call(to_input(x), True), y)
        loss.backward()
        optimizer.step()
        return loss

    return Contender(name, infer, train_step, weights_for_check)


def build_contenders(device, lr, keras):
    """torch, torchkeras, keras: each `infer`/`train_step` takes the NHWC batch; torch's own input is NCHW,
    converted once per batch outside the timed region (see `nchw_cache`)."""
    torch.manual_seed(0)
    tk_model = make_torchkeras_cnn().to(device)
    weights = tk_model.get_weights()

    torch_model = TorchCNN().to(device)
    copy_keras_weights_into_torch(weights, torch_model)

    # The torch network is timed on NCHW data, made contiguous once per distinct batch, not per call.
    nchw_cache = {}

    def to_nchw(x):
        key = id(x)
        if key not in nchw_cache:
            nchw_cache[key] = (x, x.permute(0, 3, 1, 2).contiguous())
        return nchw_cache[key][1]

    contenders = [
        sgd_contender("torch", lambda x, training: torch_model(x), torch_model.parameters(), lr, to_nchw,
                      lambda: torch_model.keras_order_weights()),
        sgd_contender("torchkeras", lambda x, training: tk_model(x, training=training),
                      [v.value for v in tk_model.trainable_weights], lr, lambda x: x,
                      lambda: [v.value for v in tk_model.weights]),
    ]
    if keras is not None:
        keras_device = "cuda" if device.type == "cuda" else "cpu"
        keras_model = make_keras_cnn(keras, keras_device)
        keras_model.set_weights(weights)

        def keras_call(x, training):
            with keras.device(keras_device):
                return keras_model(x, training=training)

        contenders.append(sgd_contender("keras", keras_call, [v.value for v in keras_model.trainable_weights], lr,
                                        lambda x: x, lambda: [v.value for v in keras_model.weights]))
    return contenders


# ---------------------------------------------------------------------------------------- checks and memory


def check_equivalence(contenders, device):
    """Same logits (atol/rtol 1e-5) and, after one identical SGD step, same weights."""
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(16, 32, 32, 3, generator=gen).to(device)
    y = torch.randint(0, 10, (16,), generator=gen).to(device)
    ref = contenders[0]
    with torch.no_grad():
        ref_out = ref.infer(x)
        for c in contenders[1:]:
            out = c.infer(x)
            if not allclose(out, ref_out):
                diff = (out - ref_out).abs().max().item() if out.shape == ref_out.shape else "shape"
                return f"forward of {c.name} differs from {ref.name} (max abs diff {diff})"
    return check_training_step(contenders, x, y)


def saved_for_backward_bytes(contender, x, y):
    """Bytes of distinct tensor storages autograd keeps for backward during one training step.

    This is the activation memory a training step holds at its peak (weights, gradients and optimizer state
    aside), measured the same way on every device and free of allocator caching noise.
    """
    storages = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        storages[(storage.device, storage.data_ptr())] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        contender.train_step(x, y)
    return sum(storages.values())


def cuda_peak_bytes(contender, x, y, device):
    """The CUDA allocator's peak during one training step, beyond what was allocated before it."""
    contender.train_step(x, y)  # gradients exist from here on, as in a training loop
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    contender.train_step(x, y)
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def main(argv=None):
    args = parse_args(__doc__, argv)
    device, threads = setup_device(args)
    repeats = args.repeats or (5 if args.quick else 60)
    lr = 1e-2

    keras, why_no_keras = keras_for(args)
    print_header("bench_cnn: 32x32x3 -> Conv2D 32 same relu -> MaxPool 2 -> Conv2D 64 same relu -> GAP -> Dense 10",
                 device, threads, repeats, keras, why_no_keras, [
                     "torchkeras and keras take NHWC (channels_last); torch takes the batch as contiguous NCHW",
                     "train step: forward + cross_entropy on logits + backward + torch.optim.SGD; "
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
    x32 = torch.rand(32, 32, 32, 3, generator=gen).to(device)
    y32 = torch.randint(0, 10, (32,), generator=gen).to(device)

    cases = [
        ("forward b32", lambda c: (lambda: c.infer(x32)), 2, True),
        ("train-step b32", lambda c: (lambda: c.train_step(x32, y32)), 1, False),
    ]
    warmup = 2 if args.quick else 10
    names = [c.name for c in contenders]
    print_table_header("case", 16, names, keras is not None)
    results = {}
    for label, make_fn, n_inner, no_grad in cases:
        times = time_case(contenders, make_fn, n_inner, repeats, warmup, device, no_grad)
        results[label] = dict(zip(names, times))
        print_table_row(label, 16, times, keras is not None)
    print()
    print_ratios(results, TARGET, ("train-step b32",), keras is not None)

    print()
    saved = {c.name: saved_for_backward_bytes(c, x32, y32) for c in contenders}
    for name, size in saved.items():
        print(f"memory train-step b32: {name:<11} {size / 2**20:7.2f} MiB saved for backward "
              f"({size / saved['torch']:.2f}x torch)")
    if device.type == "cuda":
        peaks = {c.name: cuda_peak_bytes(c, x32, y32, device) for c in contenders}
        for name, peak in peaks.items():
            print(f"memory train-step b32: {name:<11} {peak / 2**20:7.2f} MiB CUDA allocator peak "
                  f"({peak / peaks['torch']:.2f}x torch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
