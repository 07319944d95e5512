"""Prints a `ParityReport`: a `rich` table when `rich` is installed, aligned plain text otherwise."""

import importlib.util

_COLUMNS = ("#", "layer", "class", "output shape", "max abs diff", "max rel diff", "bound", "result")


def _number(value):
    return "inf" if value == float("inf") else f"{value:.2e}"


def _cells(index, row, first):
    result = "ok" if row.passed else "FAIL"
    if row is first:
        result += "  <- first divergence"
    if row.note:
        result += f" ({row.note})"
    return (str(index), row.name, row.class_name, str(row.shape), _number(row.max_abs), _number(row.max_rel),
            _number(row.bound), result)


def _rows(report):
    first = report.first_divergence
    rows = [_cells(i, row, first) for i, row in enumerate(report.layers, 1)]
    rows += [_cells("out", row, None) for row in report.outputs]
    return rows


def _plain(rows, stream):
    widths = [max(len(_COLUMNS[i]), *(len(r[i]) for r in rows)) for i in range(len(_COLUMNS))]
    line = "  ".join(name.ljust(w) for name, w in zip(_COLUMNS, widths))
    print(line, file=stream)
    print("-" * len(line), file=stream)
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), file=stream)


def _rich(rows, stream, title):
    from rich.console import Console
    from rich.table import Table

    if title:
        print(title, file=stream)
    table = Table()
    for name in _COLUMNS:
        table.add_column(name, justify="right" if "diff" in name or name == "bound" else "left",
                         no_wrap=True)
    for row in rows:
        style = None if not row[-1].startswith("FAIL") else "bold red"
        table.add_row(*row, style=style)
    # Wide enough that no cell is cut: the table goes to files and CI logs as well as terminals.
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(_COLUMNS)]
    Console(file=stream, width=sum(widths) + 3 * len(widths) + 1).print(table)


def summary_lines(report):
    """The bound and verdict lines printed under the table."""
    lines = [
        f"Bounds: model outputs max|diff| <= {report.atol:g}; each layer max|diff| <= {report.layer_atol:g} + "
        f"{report.layer_rtol:g} * max|Keras output of that layer|",
        "(layer outputs are computed end to end, each side from its own upstream layers; "
        "max rel diff = max abs diff / max|Keras output|; float16/bfloat16 outputs: 1e-2 + 1e-2 * max|output|).",
    ]
    first = report.first_divergence
    bad_outputs = [row for row in report.outputs if not row.passed]
    if report.passed:
        lines.append(f"PASS: {len(report.layers)} layer outputs and {len(report.outputs)} model output(s) "
                     "match Keras.")
    elif first is not None:
        lines.append(f"FAIL: first diverging layer '{first.name}' ({first.class_name}): max abs diff "
                     f"{_number(first.max_abs)} > bound {_number(first.bound)}"
                     + (f" ({first.note})" if first.note else "") + ".")
    else:
        lines.append(f"FAIL: {len(bad_outputs)} model output(s) exceed the bound (every layer within its own).")
    return lines


def have_rich():
    return importlib.util.find_spec("rich") is not None


def print_report(report, stream, title=""):
    """Writes the table and the verdict to `stream`."""
    rows = _rows(report)
    if have_rich():
        _rich(rows, stream, title)
    else:
        if title:
            print(title, file=stream)
        _plain(rows, stream)
    for line in summary_lines(report):
        print(line, file=stream)
