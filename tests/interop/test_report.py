"""The parity report's table, with `rich` and in plain text: every row, the bound, the first divergence."""

import io

import pytest

from torchkeras.cli import report as report_lib
from torchkeras.interop.parity import ParityReport, Row, compare_arrays


def _report(fail_at=None):
    layers = []
    for index, name in enumerate(["conv", "bn", "dense"]):
        failed = fail_at is not None and index >= fail_at
        layers.append(Row(name, "Layer", (2, 3), 1e-3 if failed else 1e-7, 1e-3 if failed else 1e-7, 2e-5,
                          not failed))
    outputs = [Row("dense", "output", (2, 3), 1e-7, 1e-7, 1e-4, fail_at is None)]
    return ParityReport(layers, outputs, 1e-4, 1e-5, 1e-5, 2, 0)


@pytest.mark.parametrize("rich", [True, False])
def test_table_marks_the_first_divergence(monkeypatch, rich):
    if rich:
        pytest.importorskip("rich")
    monkeypatch.setattr(report_lib, "have_rich", lambda: rich)
    stream = io.StringIO()
    report_lib.print_report(_report(fail_at=1), stream, title="Parity of m.keras")
    out = stream.getvalue()
    assert out.startswith("Parity of m.keras\n")
    for cell in ("conv", "bn", "dense", "max abs diff", "max rel diff", "1.00e-03", "2.00e-05"):
        assert cell in out
    assert out.count("<- first divergence") == 1
    marked = next(line for line in out.splitlines() if "<- first divergence" in line)
    assert " bn " in marked and "FAIL" in marked
    assert "FAIL: first diverging layer 'bn' (Layer): max abs diff 1.00e-03 > bound 2.00e-05." in out
    assert "…" not in out  # nothing cut off


def test_pass_verdict_and_bounds_line(monkeypatch):
    monkeypatch.setattr(report_lib, "have_rich", lambda: False)
    stream = io.StringIO()
    report_lib.print_report(_report(), stream)
    out = stream.getvalue()
    assert "PASS: 3 layer outputs and 1 model output(s) match Keras." in out
    assert "model outputs max|diff| <= 0.0001; each layer max|diff| <= 1e-05 + 1e-05 * max|Keras output" in out


def test_compare_arrays_bound_scales_with_the_layer_output():
    big = [[1000.0, -2000.0]]
    max_abs, max_rel, bound, passed, note = compare_arrays(big, [[1000.01, -2000.0]], 1e-5, 1e-5)
    assert bound == pytest.approx(1e-5 + 1e-5 * 2000) and passed and note == ""
    assert max_abs == pytest.approx(0.01, rel=1e-6) and max_rel == pytest.approx(0.01 / 2000, rel=1e-6)
    assert not compare_arrays(big, [[1000.1, -2000.0]], 1e-5, 1e-5)[3]
    assert not compare_arrays([[1.0, 2.0]], [[1.0, 2.0, 3.0]], 1e-5, 1e-5)[3]  # shape
    assert compare_arrays([[float("nan"), 1.0]], [[float("nan"), 1.0]], 1e-5, 1e-5)[3]  # NaN at the same place
    assert not compare_arrays([[float("nan"), 1.0]], [[0.0, 1.0]], 1e-5, 1e-5)[3]
    import numpy as np

    result = compare_arrays(np.zeros(2, "int32"), np.zeros(2, "int64"), 1e-5, 1e-5)
    assert not result[3] and "dtype int32 in Keras, int64 in torchkeras" in result[4]
