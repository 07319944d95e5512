"""Shared timing helpers for the benchmarks: one process, interleaved measurements, median per call.

Every repeat times each contender once, in a rotating order, in short blocks, so load changes on a shared
machine hit all contenders alike; the result for each contender is the median over repeats of the per-call
time. Scripts in this folder import it as `timing` (their own folder is on `sys.path` when run).
"""

import statistics
import time

import torch


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
