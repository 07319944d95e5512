"""Shared helpers for the benchmarks: one process, interleaved measurements, median per call.

Every repeat times each contender once, in a rotating order, in short blocks, so load changes on a shared
machine hit all contenders alike; the result for each contender is the median over repeats of the per-call
time. Also the parts every benchmark script shares: its command line, device/TF32/thread setup, the header it
prints, the training-step equivalence check and the results table. Scripts in this folder import it as
`timing` (their own folder is on `sys.path` when run).
"""

import argparse
import statistics
import time

import torch

import torchkeras


class Contender:
    """One implementation: its forward (inference) and its training step, as closures."""

    def __init__(self, name, infer, train_step, params):
        self.name = name
        self.infer = infer
        self.train_step = train_step
        self.params = params  # list of torch tensors (for the equivalence check after a step)


def import_keras():
    """Returns `(keras, None)`, or `(None, why)` when real Keras on the torch backend is not usable."""
    try:
        import keras
    except Exception as error:  # noqa: BLE001 - any import failure means "no Keras contender"
        return None, f"keras not importable ({type(error).__name__}: {error})"
    if keras.config.backend() != "torch":
        return None, f"keras uses the {keras.config.backend()!r} backend, not torch (set KERAS_BACKEND=torch)"
    return keras, None


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_case(contenders, make_fn, inner, repeats, warmup, device, no_grad):
    """Median seconds per call for each contender; interleaved, rotating order each repeat."""
    fns = [make_fn(c) for c in contenders]
    grad_ctx = torch.no_grad if no_grad else torch.enable_grad
    with grad_ctx():
        for fn in fns:  # warm-up
            for _ in range(warmup):
                fn()
        sync(device)
        samples = [[] for _ in contenders]
        n = len(fns)
        for r in range(repeats):
            for k in range(n):
                i = (r + k) % n
                fn = fns[i]
                sync(device)
                start = time.perf_counter()
                for _ in range(inner):
                    fn()
                sync(device)
                samples[i].append((time.perf_counter() - start) / inner)
    return [statistics.median(s) for s in samples]


def fmt_time(seconds):
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.3f} ms"
    return f"{seconds * 1e6:8.1f} us"


# ---------------------------------------------------------------------------------------- command line and setup


def parse_args(description, argv=None):
    """The benchmarks' common flags (--repeats, --threads, --device, --quick, --no-keras), parsed from `argv`."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats per case (default 100, or 5 with --quick)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads value (default 1: stable on shared CI machines)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--quick", action="store_true", help="few repeats and short inner loops (CI)")
    parser.add_argument("--no-keras", action="store_true", help="skip the real-Keras contender")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda requested but torch.cuda.is_available() is False")
    return args


def setup_device(args):
    """The torch device (TF32 off on CUDA) and the thread count set with torch.set_num_threads: `(device, threads)`."""
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    threads = args.threads or 1
    torch.set_num_threads(threads)
    return device, threads


def keras_for(args):
    """`(keras, None)`, or `(None, why)` when --no-keras is given or Keras is not usable."""
    return (None, "--no-keras given") if args.no_keras else import_keras()


def print_header(title, device, threads, repeats, keras, why_no_keras, notes):
    """The title, the versions, device, threads and repeats, then one line a note."""
    print(title)
    print(f"  torch {torch.__version__}, torchkeras {torchkeras.__version__}, "
          f"keras {keras.__version__ + ' (torch backend)' if keras else 'absent: ' + why_no_keras}")
    print(f"  device={device}" + (f" ({torch.cuda.get_device_name(device)}, TF32 off)" if device.type == "cuda" else "")
          + f", torch.set_num_threads({threads}) -> torch.get_num_threads()={torch.get_num_threads()}")
    print(f"  repeats={repeats} (interleaved, rotating order), report = median per-call time over repeats")
    for note in notes:
        print(f"  {note}")


# ---------------------------------------------------------------------------------------- checks


def allclose(a, b):
    """Same shape and allclose at atol/rtol 1e-5."""
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-5)


def check_training_step(contenders, x, y, prefix=""):
    """One identical SGD step for all: same losses, then same weights. A message (after `prefix`) or None."""
    ref = contenders[0]
    losses = [c.train_step(x, y).item() for c in contenders]
    if max(losses) - min(losses) > 1e-5:
        return f"{prefix}training losses differ: {dict(zip((c.name for c in contenders), losses))}"
    ref_params = [p.detach() for p in ref.params()]
    for c in contenders[1:]:
        params = [p.detach() for p in c.params()]
        if len(params) != len(ref_params):
            return f"{prefix}{c.name} has {len(params)} weights, {ref.name} {len(ref_params)}"
        for i, (a, b) in enumerate(zip(ref_params, params)):
            if not allclose(a, b):
                return f"{prefix}after one SGD step, weight {i} of {c.name} differs from {ref.name}"
    return None


# ---------------------------------------------------------------------------------------- the table


def print_table_header(first_column, width, names, with_keras):
    """A blank line, the header (case column `width` wide, a column a contender, the ratios) and its rule."""
    header = f"{first_column:<{width}}" + "".join(f"{n:>14}" for n in names) + f"{'tk/torch':>10}"
    if with_keras:
        header += f"{'keras/torch':>13}"
    print()
    print(header)
    print("-" * len(header))


def print_table_row(label, width, times, with_keras):
    row = f"{label:<{width}}" + "".join(f"{fmt_time(t):>14}" for t in times) + f"{times[1] / times[0]:>10.3f}"
    if with_keras:
        row += f"{times[2] / times[0]:>13.3f}"
    print(row)


def print_ratios(results, target, target_labels, with_keras):
    """torchkeras/torch against `target` for `target_labels`, then keras/torch for every case."""
    for label in target_labels:
        ratio = results[label]["torchkeras"] / results[label]["torch"]
        verdict = "meets" if ratio <= target else "MISSES"
        print(f"ratio {label}: torchkeras/torch = {ratio:.3f} ({verdict} target <= {target:.2f})")
    if with_keras:
        for label in results:
            print(f"ratio {label}: keras/torch = {results[label]['keras'] / results[label]['torch']:.3f}")
