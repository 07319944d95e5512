"""Benchmark: training-step speed under dtype policies (float32, mixed_bfloat16, mixed_float16).

For an MLP (seed 001: 784 -> 256 relu -> 64 relu -> 10 softmax, the head kept in float32 with
`dtype="float32"`) and a small CNN (32x32x3 -> Conv 32 3x3 relu -> Conv 64 3x3 relu -> global average
pool -> Dense 10 softmax in float32), it times one training step (forward, crossentropy in float32,
backward, torch.optim.SGD) of:
  torchkeras  the model built under the policy (`keras.mixed_precision.set_global_policy`)
  torch       the same network hand-written in torch.nn, its body under
              `torch.autocast(device, dtype)` and its head with autocast off (what the policy means)
and reports torchkeras/torch per policy (issue target: within 1.05x) and each policy against float32.
Both hold the same weights and are checked to agree (1e-5 in float32, 1e-2 on outputs under autocast)
before timing. Interleaved repeats in one process, medians reported.

Usage:
  python benchmarks/bench_mixed_precision.py --quick
  python benchmarks/bench_mixed_precision.py --device cuda --repeats 50
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
import torch.nn.functional as F
from torch import nn

import torchkeras
from torchkeras import layers
from timing import Contender, fmt_time, parse_args, setup_device, time_case

TARGET = 1.05
POLICIES = ["float32", "mixed_bfloat16", "mixed_float16"]
HALF = {"mixed_bfloat16": torch.bfloat16, "mixed_float16": torch.float16}


def torchkeras_mlp():
    return torchkeras.Sequential([
        torchkeras.Input((784,)), layers.Dense(256, activation="relu"), layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ])


def torchkeras_cnn():
    return torchkeras.Sequential([
        torchkeras.Input((32, 32, 3)), layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ])


class TorchNet(nn.Module):
    """`body` under autocast (when mixed), then the float32 softmax head with autocast off."""

    def __init__(self, body, head, device_type, dtype):
        super().__init__()
        self.body, self.head = body, head
        self.device_type, self.dtype = device_type, dtype

    def forward(self, x):
        if self.dtype is None:
            return F.softmax(self.head(self.body(x)), dim=-1)
        with torch.autocast(self.device_type, dtype=self.dtype):
            h = self.body(x.to(self.dtype))
        with torch.autocast(self.device_type, enabled=False):
            return F.softmax(self.head(h.float()), dim=-1)


def torch_mlp(model, device_type, dtype):
    body = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU())
    net = TorchNet(body, nn.Linear(64, 10), device_type, dtype)
    dense = [l for l in model.layers if isinstance(l, layers.Dense)]
    with torch.no_grad():
        for linear, layer in zip([body[0], body[2], net.head], dense):
            linear.weight.copy_(layer.kernel.T)
            linear.bias.copy_(layer.bias)
    return net


def torch_cnn(model, device_type, dtype):
    body = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())
    net = TorchNet(body, nn.Linear(64, 10), device_type, dtype).to(memory_format=torch.channels_last)
    convs = [l for l in model.layers if isinstance(l, layers.Conv2D)]
    with torch.no_grad():
        for conv, layer in zip([body[0], body[2]], convs):
            conv.weight.copy_(layer.kernel.permute(3, 2, 0, 1))
            conv.bias.copy_(layer.bias)
        net.head.weight.copy_(model.layers[-1].kernel.T)
        net.head.bias.copy_(model.layers[-1].bias)
    return net


def contender(name, module, to_input):
    optimizer = torch.optim.SGD(module.parameters(), lr=0.01)

    def train_step(x, y):
        optimizer.zero_grad(set_to_none=True)
        probs = module(to_input(x))
        loss = F.nll_loss(torch.log(probs.float().clamp_min(1e-7)), y)
        loss.backward()
        optimizer.step()
        return loss

    return Contender(name, lambda x: module(to_input(x)), train_step, list(module.parameters()))


def main(argv=None):
    args = parse_args(__doc__, argv)
    device, threads = setup_device(args)
    repeats = args.repeats or (5 if args.quick else 50)
    inner = 3 if args.quick else 10
    print("bench_mixed_precision: training step b32 under dtype policies")
    print(f"  torch {torch.__version__}, device={device}, threads={threads}, repeats={repeats}")
    print(f"\n{'case':<28}{'torch':>12}{'torchkeras':>12}{'tk/torch':>10}{'vs float32':>12}")
    failures = 0
    for net_name, make_tk, make_torch, shape in [("mlp", torchkeras_mlp, torch_mlp, (32, 784)),
                                                 ("cnn", torchkeras_cnn, torch_cnn, (32, 32, 32, 3))]:
        float32_time = None
        for policy in POLICIES:
            torchkeras.mixed_precision.set_global_policy(policy)
            try:
                torch.manual_seed(0)
                model = make_tk().to(device)
            finally:
                torchkeras.mixed_precision.set_global_policy("float32")
            net = make_torch(model, device.type, HALF.get(policy)).to(device)
            x = torch.randn(shape, device=device)
            y = torch.randint(0, 10, (shape[0],), device=device)
            to_nchw = (lambda t: t.permute(0, 3, 1, 2)) if net_name == "cnn" else (lambda t: t)
            contenders = [contender("torch", net, to_nchw), contender("torchkeras", model, lambda t: t)]
            with torch.no_grad():
                a, b = contenders[0].infer(x).float(), contenders[1].infer(x).float()
            tolerance = 1e-5 if policy == "float32" else 1e-2
            if not torch.allclose(a, b, atol=tolerance, rtol=tolerance):
                print(f"{net_name} {policy}: outputs differ by {(a - b).abs().max().item():.3g}")
                failures += 1
                continue
            times = time_case(contenders, lambda c: (lambda: c.train_step(x, y)), inner, repeats,
                              2 if args.quick else 5, device, no_grad=False)
            float32_time = float32_time or times[1]
            print(f"{net_name + ' ' + policy:<28}{fmt_time(times[0]):>12}{fmt_time(times[1]):>12}"
                  f"{times[1] / times[0]:>10.3f}{times[1] / float32_time:>12.3f}")
    print(f"\ntarget: torchkeras/torch <= {TARGET} under the same autocast (GPU); CPU figures for reference.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
