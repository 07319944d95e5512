"""Keras's progress bar (`keras.utils.Progbar`) and the per-call line `predict()` prints.

`Progbar` mirrors `keras/src/utils/progbar.py` of Keras 3 byte for byte: the same ANSI escapes (bold
counter, green/white bar of `━`), the same `\\b...\\r` in-place rewrite (Keras rewrites in place whenever
stdout is a tty, inside IPython, or on any POSIX system), the same ETA / elapsed / `ms/step` formatting.
"""

import math
import os
import sys
import time

import numpy as np

__all__ = ["Progbar", "PredictProgress"]


def _print_msg(message, line_break=True):
    message = str(message)
    if line_break:
        message += "\n"
    try:
        sys.stdout.write(message)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(message.encode(encoding, errors="ignore").decode(encoding))
    sys.stdout.flush()


def _check_verbose(verbose):
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(
            f'Invalid value for argument `verbose`. Expected "auto", 0, 1 or 2. Received: verbose={verbose!r}'
        )
    return int(verbose)


class Progbar:
    """Displays a progress bar, as `keras.utils.Progbar`.

    Args:
        target: Total number of steps expected, None if unknown.
        width: Progress bar width on screen.
        verbose: Verbosity mode, 0 (silent), 1 (verbose), 2 (semi-verbose: one line when finished).
        interval: Minimum visual progress update interval (in seconds).
        stateful_metrics: Names of metrics shown as-is rather than averaged over steps.
        stateless_metrics: Names of metrics averaged over steps (the others are shown as-is). At most
            one of `stateful_metrics` and `stateless_metrics` may be given.
        unit_name: Display name for step counts (usually "step" or "sample").
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. "
                f"Received: stateful_metrics={stateful_metrics}, stateless_metrics={stateless_metrics}"
            )
        self.target = target
        self.width = width
        self.verbose = _check_verbose(verbose)
        self.interval = interval
        self.unit_name = unit_name
        if stateful_metrics is not None:
            self.stateful_metrics = set(stateful_metrics)
            self.stateless_metrics = None
        elif stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set()
            self.stateless_metrics = None

        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or "posix" in sys.modules
            or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_at_epoch_start = self._start
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Updates the progress bar.

        Args:
            current: Index of current step.
            values: List of `(name, value_for_last_step)` pairs.
            finalize: Whether this is the last update; defaults to `current >= self.target`.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target

        values = values or []
        for k, v in values:
            if k not in self._values_order:
                self._values_order.append(k)
            if self.stateful_metrics is not None:
                stateless = k not in self.stateful_metrics
            else:
                stateless = k in self.stateless_metrics
            if stateless:
                if finalize:
                    self._values[k] = [v, 1]
                else:
                    value_base = max(current - self._seen_so_far, 1)
                    if k not in self._values:
                        self._values[k] = [v * value_base, value_base]
                    else:
                        self._values[k][0] += v * value_base
                        self._values[k][1] += value_base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current

        message = ""
        special_char_len = 0
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return

            if self._dynamic_display:
                message += "\b" * self._prev_total_width
                message += "\r"
            else:
                message += "\n"

            if self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                bar = (f"%{numdigits}d/%d") % (current, self.target)
                bar = f"\x1b[1m{bar}\x1b[0m "
                special_char_len += 8
                prog = float(current) / self.target
                prog_width = int(self.width * prog)
                if prog_width > 0:
                    bar += f"\33[32m{'━' * prog_width}\x1b[0m"
                    special_char_len += 9
                bar += f"\33[37m{'━' * (self.width - prog_width)}\x1b[0m"
                special_char_len += 9
            else:
                bar = "%7d/Unknown" % current
            message += bar

            if self.target is not None and self.target > 0 and not finalize:
                eta = time_per_unit * (self.target - current)
                if eta > 3600:
                    eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
                elif eta > 60:
                    eta_format = "%d:%02d" % (eta // 60, eta % 60)
                else:
                    eta_format = "%ds" % eta
                info = f" \x1b[1m{eta_format}\x1b[0m"
            else:
                info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
            special_char_len += 8

            info += self._format_time(time_per_unit, self.unit_name)

            for k in self._values_order:
                info += f" - {k}:"
                if isinstance(self._values[k], list):
                    avg_values, count = self._values[k]
                    if not isinstance(avg_values, float):
                        avg_values = np.mean(avg_values)
                    avg = avg_values / max(1, count)
                    if abs(avg) > 1e-3:
                        info += f" {avg:.4f}"
                    else:
                        info += f" {avg:.4e}"
                else:
                    info += f" {self._values[k]}"
            message += info

            total_width = len(bar) + len(info) - special_char_len
            if self._prev_total_width > total_width:
                message += " " * (self._prev_total_width - total_width)
            if finalize:
                message += "\n"

            _print_msg(message, line_break=False)
            self._prev_total_width = total_width

        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                count = f"%{numdigits}d/%d" % (current, self.target)
                info = f"{count} - {now - self._start:.0f}s"
                info += f" -{self._format_time(time_per_unit, self.unit_name)}"
                for k in self._values_order:
                    info += f" - {k}:"
                    avg_values, count = self._values[k]
                    if not isinstance(avg_values, float):
                        avg_values = np.mean(avg_values)
                    avg = avg_values / max(1, count)
                    if avg > 1e-3:
                        info += f" {avg:.4f}"
                    else:
                        info += f" {avg:.4e}"
                info += "\n"
                _print_msg(info, line_break=False)

        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _format_time(self, time_per_unit, unit_name):
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current, now):
        if current:
            if self._time_after_first_step is not None and current > 1:
                time_per_unit = (now - self._time_after_first_step) / (current - 1)
            else:
                time_per_unit = (now - self._start) / current
            if current == 1:
                self._time_after_first_step = now
            return time_per_unit
        return 0


class PredictProgress:
    """What `Model.predict` prints, as Keras's `ProgbarLogger`: nothing for `verbose=0`; for 1/"auto" a
    bar rewritten in place after each batch and a final `1/1 ━━━━━━━━━━━━━━━━━━━━ 0s 15ms/step` line; for
    2 only the final `1/1 - 0s - 15ms/step` line.

    Args:
        total_steps: Number of batches the call will run.
        verbose: `"auto"`, 0, 1 or 2.
    """

    def __init__(self, total_steps, verbose="auto"):
        self.verbose = _check_verbose(verbose)
        self.total_steps = total_steps
        self._finished = False
        self.progbar = Progbar(target=total_steps, verbose=self.verbose, unit_name="step",
                               stateless_metrics=set()) if self.verbose else None

    def update(self, step):
        """Reports that `step` batches (1-based) are done; the last step prints the final line."""
        if self.progbar is None or self._finished:
            return
        if self.verbose == 1:
            self.progbar.update(step, None, finalize=False)
        if self.total_steps is not None and step >= self.total_steps:
            self.finalize()

    def finalize(self):
        """Prints the final line (once), as Keras does at the end of `predict()`."""
        if self.progbar is None or self._finished:
            return
        self._finished = True
        target = self.total_steps if self.total_steps is not None else self.progbar._seen_so_far
        self.progbar.target = target
        self.progbar.update(target, None, finalize=True)
