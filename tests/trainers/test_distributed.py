"""`fit` under `torchrun`: 2 CPU processes over gloo train as one process with twice the batch would.

Each process gets every second sample (as a `DistributedSampler` without shuffling splits the data), the
processes start from rank 0's weights, gradients are averaged after every backward pass, metric states
are summed before epoch results are read, and only rank 0 prints. The reference is a single-process
`fit` on the same samples with batch 16, each batch the union of the two processes' batches of 8.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import json, os, sys
sys.path.insert(0, {root!r})
import numpy as np
import torch
import torch.distributed as dist
import torchkeras as keras
from torchkeras import layers

out = {out!r}
dist.init_process_group("gloo")
rank = dist.get_rank()
sys.stdout = open(os.path.join(out, f"stdout_{{rank}}.txt"), "w")
torch.set_num_threads(1)


def make():
    return keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"),
                             layers.Dense(3, activation="softmax")])


class Custom(keras.Sequential):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        weights = self.trainable_weights
        self.optimizer.apply([v.value.grad for v in weights], weights)
        return {{"step_loss": loss.detach()}}


rng = np.random.default_rng(0)
x = rng.normal(size=(64, 5)).astype("float32")
y = rng.integers(0, 3, size=(64,))
torch.manual_seed(rank)  # different weights in each process: fit starts them all from rank 0's
model = make()
initial = [w.copy() for w in model.get_weights()]
if rank == 0:
    np.savez(os.path.join(out, "initial.npz"), *model.get_weights())
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, validation_split=0.25, verbose=2)
np.savez(os.path.join(out, f"weights_{{rank}}.npz"), *model.get_weights())

custom = Custom([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
custom.set_weights(initial)  # this process's own start: fit starts both from rank 0's
custom.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
custom.fit(x, y, batch_size=8, epochs=2, shuffle=False, validation_split=0.25, verbose=0)
np.savez(os.path.join(out, f"custom_{{rank}}.npz"), *custom.get_weights())
with open(os.path.join(out, f"history_{{rank}}.json"), "w") as f:
    json.dump(history.history, f)
# No rank tears gloo down while the other still talks to it, and the interpreter's own teardown is
# skipped: under load, gloo's worker threads can abort the process during finalization (SIGABRT,
# "terminate called without an active exception") after every result above is written.
dist.barrier()
dist.destroy_process_group()
sys.stdout.close()
os._exit(0)
'''


def _load(path):
    with np.load(path) as archive:
        return [archive[f"arr_{i}"] for i in range(len(archive.files))]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    script = out / "train.py"
    script.write_text(SCRIPT.format(root=str(ROOT), out=str(out)))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script)],
        cwd=out, capture_output=True, text=True, timeout=300, env=env)
    if result.returncode != 0:
        printed = {p.name: p.read_text() for p in sorted(out.glob("stdout_*.txt"))}
        written = sorted(p.name for p in out.iterdir())
        pytest.fail(f"torchrun exited with {result.returncode}; files written: {written}; "
                    f"rank output: {printed}\n{result.stdout}{result.stderr}")
    return out


def _reference(initial):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.integers(0, 3, size=(64,))
    train, val = np.arange(48), np.arange(48, 64)
    shards = [train[0::2], train[1::2]]
    order = np.concatenate([np.concatenate([s[k * 8:(k + 1) * 8] for s in shards]) for k in range(3)])
    model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x[order], y[order], batch_size=16, epochs=2, shuffle=False,
                        validation_data=(x[val], y[val]), verbose=0)
    return history.history, model.get_weights()


def test_two_processes_train_like_one_with_the_union_of_their_batches(run):
    initial = _load(run / "initial.npz")
    expected_history, expected_weights = _reference(initial)
    for rank in (0, 1):
        weights = _load(run / f"weights_{rank}.npz")
        for a, b in zip(weights, expected_weights):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        history = json.loads((run / f"history_{rank}.json").read_text())
        assert sorted(history) == sorted(expected_history)
        for key, values in expected_history.items():
            np.testing.assert_allclose(history[key], values, rtol=1e-5, atol=1e-6, err_msg=f"rank {rank} {key}")


def test_a_custom_train_step_gets_averaged_gradients_too(run):
    reference = _load(run / "weights_0.npz")
    for rank in (0, 1):
        for a, b in zip(_load(run / f"custom_{rank}.npz"), reference):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_only_rank_0_prints(run):
    assert "loss" in (run / "stdout_0.txt").read_text()
    assert (run / "stdout_1.txt").read_text() == ""
