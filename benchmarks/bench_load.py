"""Benchmark: loading a `.keras` archive saved by real Keras, torchkeras vs `keras.saving.load_model`.

Model: an MLP 2048 -> Dense 3584 relu -> Dense 3584 relu -> Dense 1000 (23.7M float32 parameters, about
95 MB of weights), saved by real Keras on the torch backend (uncompiled) into a temporary folder; with
`--quick`, a 256 -> 512 -> 512 -> 10 MLP; with `--application NAME`, a `keras.applications` network at
224x224 (`weights=None`: many layers, few parameters each; needs Keras). Without Keras (`--no-keras`, or Keras not importable), torchkeras
saves the same architecture itself and only torchkeras is measured.

Before timing, both loaded models must compute the same outputs (allclose 1e-5) as the model that was
saved; the script exits 1 otherwise.

Time: each repeat loads the file once with each contender, interleaved in a rotating order (the file stays
in the page cache for both); the report is the median wall time per load, and the ratio
torchkeras / keras (target <= 1.5).

Peak memory: each contender loads the file once in a fresh subprocess; after its imports and a warm-up
load of a tiny archive, the process's resident-set high-water mark is reset (`/proc/self/clear_refs`),
then the model is loaded and the new high-water mark (`VmHWM`) minus the resident size before loading is
the load's peak memory: everything the load allocates at once, model included. Target: torchkeras < 2x
the file size. (Linux only; elsewhere the memory line says it is not measured.)

Usage:
  python benchmarks/bench_load.py            # ~95 MB model, 5 repeats
  python benchmarks/bench_load.py --quick    # small model, 3 repeats (CI)
  python benchmarks/bench_load.py --application EfficientNetB0
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch

import torchkeras
from timing import import_keras

TIME_TARGET = 1.5  # torchkeras load time / keras load time at most
MEMORY_TARGET = 2.0  # torchkeras peak load memory / file size below


def _architecture(k, quick):
    widths = (256, 512, 512, 10) if quick else (2048, 3584, 3584, 1000)
    L = k.layers
    return k.Sequential([k.Input((widths[0],)), L.Dense(widths[1], activation="relu"),
                         L.Dense(widths[2], activation="relu"), L.Dense(widths[3])])


def _loader(name):
    if name == "torchkeras":
        return torchkeras.saving.load_model
    import keras

    return keras.saving.load_model


def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _measure_memory(name, path, warmup_path):
    """Runs in a subprocess: prints the peak resident memory (bytes) one load of `path` adds."""
    load = _loader(name)
    load(warmup_path)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current resident size
    before = _rss_kib("VmRSS")
    model = load(path)
    peak = _rss_kib("VmHWM")
    print(f"PEAK_BYTES {(peak - before) * 1024}")
    del model


def _memory_of(name, path, warmup_path):
    if not os.path.exists("/proc/self/clear_refs"):
        return None
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--measure-memory", name, path,
                             warmup_path], capture_output=True, text=True, env=dict(os.environ))
    for line in result.stdout.splitlines():
        if line.startswith("PEAK_BYTES "):
            return int(line.split()[1])
    print(f"memory measurement of {name} failed:\n{result.stdout}{result.stderr}")
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small model, few repeats (CI)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5, 3 with --quick)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads value (default 1)")
    parser.add_argument("--no-keras", action="store_true", help="measure torchkeras only")
    parser.add_argument("--application", metavar="NAME", help="a keras.applications model (needs Keras)")
    parser.add_argument("--measure-memory", nargs=3, metavar=("NAME", "PATH", "WARMUP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.measure_memory:
        _measure_memory(*args.measure_memory)
        return 0
    repeats = args.repeats or (3 if args.quick else 5)
    keras, why = (None, "--no-keras given") if args.no_keras else import_keras()
    if args.application and keras is None:
        print(f"--application needs Keras, which is not available: {why}")
        return 2

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        warmup_path = os.path.join(folder, "tiny.keras")
        maker = keras if keras is not None else torchkeras
        if args.application:
            source = getattr(keras.applications, args.application)(weights=None, input_shape=(224, 224, 3))
        else:
            source = _architecture(maker, args.quick)
        source.save(path)
        tiny = maker.Sequential([maker.Input((2,)), maker.layers.Dense(1)])
        tiny.save(warmup_path)
        size = os.path.getsize(path)
        params = source.count_params()
        print(f"Loading a .keras archive saved by {'Keras ' + keras.__version__ if keras else 'torchkeras'}: "
              f"{params:,} parameters, file {size / 2**20:.1f} MiB")
        print(f"  torch {torch.__version__}, torchkeras {torchkeras.__version__}, "
              f"keras {keras.__version__ + ' (torch backend)' if keras else 'absent: ' + why}, "
              f"torch.set_num_threads({args.threads}), repeats={repeats} (interleaved, rotating order)")

        x = np.random.default_rng(0).random((4,) + tuple(source.input_shape[1:]), dtype=np.float32)
        if keras is not None:
            expected = keras.ops.convert_to_numpy(source(x, training=False))
        else:
            with torch.no_grad():
                expected = source(torch.from_numpy(x)).numpy()
        names = ["torchkeras"] + (["keras"] if keras is not None else [])
        for name in names:
            model = _loader(name)(path)
            if name == "keras":
                got = keras.ops.convert_to_numpy(model(x, training=False))
            else:
                with torch.no_grad():
                    got = model(torch.from_numpy(x)).numpy()
            if not np.allclose(expected, got, atol=1e-5, rtol=1e-5):
                print(f"FAILED: the model loaded by {name} computes other outputs than the saved one")
                return 1
            del model
        print("equivalence: both loaded models compute the saved model's outputs (allclose 1e-5)")
        del source

        samples = {name: [] for name in names}
        for name in names:
            _loader(name)(path)  # warm-up: imports, page cache
        for r in range(repeats):
            for k in range(len(names)):
                name = names[(r + k) % len(names)]
                start = time.perf_counter()
                model = _loader(name)(path)
                samples[name].append(time.perf_counter() - start)
                del model
        print()
        print(f"{'contender':<12}{'median load':>14}{'peak memory':>16}{'x file size':>13}")
        results = {}
        for name in names:
            seconds = statistics.median(samples[name])
            peak = _memory_of(name, path, warmup_path)
            results[name] = (seconds, peak)
            memory = f"{peak / 2**20:10.1f} MiB" if peak is not None else "not measured"
            ratio = f"{peak / size:13.2f}" if peak is not None else f"{'-':>13}"
            print(f"{name:<12}{seconds * 1e3:11.1f} ms{memory:>16}{ratio}")
        print()
        if keras is not None:
            ratio = results["torchkeras"][0] / results["keras"][0]
            verdict = "meets" if ratio <= TIME_TARGET else "MISSES"
            print(f"ratio load time: torchkeras/keras = {ratio:.3f} ({verdict} target <= {TIME_TARGET:.2f})")
        for name in names:
            peak = results[name][1]
            if peak is None:
                print(f"peak memory {name}: not measured (needs Linux /proc)")
                continue
            line = f"peak memory {name}: {peak / size:.2f}x file size"
            if name == "torchkeras":
                line += f" ({'meets' if peak / size < MEMORY_TARGET else 'MISSES'} target < {MEMORY_TARGET:.1f}x)"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
