"""Metric state reduced across processes (what `fit` does under DDP) equals the state of one metric that
saw all the data."""

import json
import multiprocessing
import socket

import numpy as np
import pytest
import torch

from torchkeras import metrics

RNG = np.random.default_rng(0)
N = 12
BINARY = (RNG.integers(0, 2, size=(N, 3)).astype(np.float32), RNG.uniform(size=(N, 3)).astype(np.float32))
CATEGORICAL = (np.eye(4, dtype=np.float32)[RNG.integers(0, 4, size=N)],
               RNG.uniform(size=(N, 4)).astype(np.float32))
REGRESSION = (RNG.normal(size=(N, 2)).astype(np.float32), RNG.normal(size=(N, 2)).astype(np.float32))
LABELS = (RNG.integers(0, 3, size=N), RNG.integers(0, 3, size=N))
WEIGHTS = RNG.uniform(0, 2, size=N).astype(np.float32)

FACTORIES = [
    (lambda: metrics.Mean(), "values"),
    (lambda: metrics.Sum(), "values"),
    (lambda: metrics.MeanSquaredError(), REGRESSION),
    (lambda: metrics.RootMeanSquaredError(), REGRESSION),
    (lambda: metrics.R2Score(), REGRESSION),
    (lambda: metrics.CategoricalAccuracy(), CATEGORICAL),
    (lambda: metrics.CategoricalCrossentropy(), CATEGORICAL),
    (lambda: metrics.Precision(thresholds=[0.3, 0.6]), BINARY),
    (lambda: metrics.Recall(top_k=1), CATEGORICAL),
    (lambda: metrics.AUC(), BINARY),
    (lambda: metrics.AUC(multi_label=True, curve="PR"), BINARY),
    (lambda: metrics.SensitivityAtSpecificity(0.5), BINARY),
    (lambda: metrics.F1Score(average="weighted"), CATEGORICAL),
    (lambda: metrics.MeanIoU(3), LABELS),
]


def _update(metric, data, rows, weighted):
    weights = WEIGHTS[rows] if weighted else None
    if isinstance(data, str):
        metric.update_state(REGRESSION[0][rows], sample_weight=weights)
    else:
        if isinstance(metric, metrics.MeanIoU) and weights is not None:
            weights = np.round(weights).astype(np.int32)
        metric.update_state(data[0][rows], data[1][rows], sample_weight=weights)


def _combine(states, aggregations):
    """What `all_reduce` does with the states of several processes."""
    combined = []
    for tensors, aggregation in zip(zip(*states), aggregations):
        if aggregation == "sum":
            combined.append(sum(tensors))
        elif aggregation == "mean":
            combined.append(sum(tensors) / len(tensors))
        else:  # "only_first_replica" and "none": the first process's value
            combined.append(tensors[0])
    return combined


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("factory, data", FACTORIES, ids=[f().__class__.__name__ + str(i)
                                                          for i, (f, _) in enumerate(FACTORIES)])
def test_states_of_two_ranks_combine_to_the_state_of_one(factory, data, weighted):
    rank0, rank1, whole = factory(), factory(), factory()
    _update(rank0, data, slice(0, 5), weighted)  # uneven shards, as the last batch of an epoch can be
    _update(rank1, data, slice(5, N), weighted)
    _update(whole, data, slice(0, N), weighted)
    assert rank0.state_aggregations() == ["sum"] * len(rank0.state_tensors())
    combined = _combine([rank0.state_tensors(), rank1.state_tensors()], rank0.state_aggregations())
    with torch.no_grad():
        for tensor, value in zip(rank0.state_tensors(), combined):
            tensor.copy_(value)  # in place, as `all_reduce` writes the result
    np.testing.assert_allclose(rank0.result().numpy(), whole.result().numpy(), rtol=1e-5, atol=1e-6)


def test_all_reduce_state_without_a_process_group_does_nothing():
    m = metrics.Mean()
    m.update_state([1.0, 2.0])
    m.all_reduce_state()
    assert float(m.result()) == 1.5


class _Custom(metrics.Metric):
    """One variable of each aggregation."""

    def __init__(self):
        super().__init__(name="custom")
        self.total = self.add_variable((), "zeros", name="total")
        self.avg = self.add_variable((2,), "zeros", aggregation="mean", name="avg")
        self.first = self.add_variable((), "zeros", aggregation="only_first_replica", name="first")
        self.own = self.add_variable((), "zeros", aggregation="none", name="own")

    def update_state(self, x):
        self.total.assign_add(x)
        self.avg.assign_add([x, 2 * x])
        self.first.assign(x)
        self.own.assign(x)

    def result(self):
        return torch.stack([self.total.value, *self.avg.value, self.first.value, self.own.value])


def _distributed_data():
    rng = np.random.default_rng(0)
    return rng.integers(0, 2, size=(10, 3)).astype(np.float32), rng.uniform(size=(10, 3)).astype(np.float32)


def _feed(auc, precision, mean, iou, y_true, y_pred):
    for m in (auc, precision):
        m.update_state(y_true, y_pred)
    mean.update_state(y_pred)
    iou.update_state(y_true.astype(np.int64), (y_pred > 0.5).astype(np.int64))


def _worker(rank, port, out):
    """One process of a world of two: half the data each, then `all_reduce_state()`."""
    import torch.distributed as dist

    try:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
        y_true, y_pred = _distributed_data()
        rows = slice(0, 4) if rank == 0 else slice(4, 10)
        auc, precision, mean, iou = metrics.AUC(), metrics.Precision(), metrics.Mean(), metrics.MeanIoU(2)
        _feed(auc, precision, mean, iou, y_true[rows], y_pred[rows])
        custom = _Custom()
        custom.update_state(float(rank + 1))
        for m in (auc, precision, mean, iou, custom):
            m.all_reduce_state()
        lazy = metrics.R2Score()
        if rank == 0:
            lazy.update_state(y_true[:2], y_pred[:2])
        try:
            lazy.all_reduce_state()
            error = None
        except ValueError as e:
            error = str(e)
        results = {"auc": auc.result().item(), "precision": precision.result().item(),
                   "mean": mean.result().item(), "iou": iou.result().item(),
                   "custom": custom.result().tolist(), "error": error}
        dist.barrier()  # neither rank tears gloo down while the other still talks to it
        dist.destroy_process_group()
    except Exception as e:  # reported by the parent
        results = {"exception": repr(e)}
    with open(out, "w") as f:
        json.dump(results, f)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                    reason="needs torch.distributed with gloo")
def test_all_reduce_state_across_two_processes(tmp_path):
    # Forked, the workers start without importing torch and torchkeras again.
    context = multiprocessing.get_context("fork")
    port = _free_port()
    outs = [str(tmp_path / f"rank{r}.json") for r in range(2)]
    procs = [context.Process(target=_worker, args=(r, port, outs[r])) for r in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        if proc.is_alive():
            proc.kill()
            pytest.fail("a worker process hung")
    results = [json.loads(open(out).read()) for out in outs]

    y_true, y_pred = _distributed_data()
    auc, precision, mean, iou = metrics.AUC(), metrics.Precision(), metrics.Mean(), metrics.MeanIoU(2)
    _feed(auc, precision, mean, iou, y_true, y_pred)
    for rank, result in enumerate(results):
        assert "exception" not in result, result
        for name, metric in (("auc", auc), ("precision", precision), ("mean", mean), ("iou", iou)):
            assert result[name] == pytest.approx(metric.result().item(), rel=1e-6), (rank, name)
        # total: 1 + 2 summed; avg: ([1, 2] + [2, 4]) / 2; first: rank 0's 1; own: the process's own.
        assert result["custom"] == [3.0, 1.5, 3.0, 1.0, float(rank + 1)]
        assert "processes hold different numbers of state variables" in result["error"]
