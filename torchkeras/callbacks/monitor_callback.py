"""`MonitorCallback`: the base of callbacks that watch one logged quantity (`val_loss`, ...)."""

import operator
import warnings

from torchkeras.callbacks.callback import Callback


def _learning_rate(optimizer):
    """The optimizer's current learning rate as a float (a `torch.optim` optimizer: its first group's)."""
    import torch

    if isinstance(optimizer, torch.optim.Optimizer) and not hasattr(optimizer, "learning_rate"):
        return float(optimizer.param_groups[0]["lr"])
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    value = optimizer.learning_rate
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().item()
    return float(value)


def _set_learning_rate(optimizer, value):
    """Sets the learning rate (of every param group of a `torch.optim` optimizer)."""
    import torch

    if isinstance(optimizer, torch.optim.Optimizer) and not hasattr(optimizer, "learning_rate"):
        for group in optimizer.param_groups:
            group["lr"] = value
        return
    optimizer.learning_rate = value


class MonitorCallback(Callback):
    """Base class for callbacks that monitor a quantity and compare it to the best seen so far.

    Args:
        monitor: Quantity to be monitored.
        mode: One of `{"auto", "min", "max"}`. In `"auto"` mode the direction is inferred from the name
            of the monitored quantity: `loss` is minimized, a compiled metric follows its direction.
        baseline: Floating point initial "best" value of the metric to be monitored.
        min_delta: Minimum change in the monitored quantity to qualify as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ["auto", "min", "max"]:
            warnings.warn(
                f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = operator.lt
            if hasattr(self.model, "metrics"):
                from torchkeras.trainers.compile_utils import CompileMetrics, MetricsList

                all_metrics = []
                for m in self.model.metrics:
                    if isinstance(m, (CompileMetrics, MetricsList)):
                        all_metrics.extend(m.metrics)
                for m in all_metrics:
                    if m.name == metric_name and hasattr(m, "_direction"):
                        self.monitor_op = operator.gt if m._direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but Keras isn't "
                    "able to automatically determine whether that metric should be maximized or minimized. "
                    "Pass `mode='max'` in order to monitor based on the highest metric value, or pass "
                    "`mode='min'` in order to use the lowest value."
                )
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
