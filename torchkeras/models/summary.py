"""`print_summary`: Keras 3's `model.summary()` table, drawn with plain strings.

Keras renders its summary through `rich` (a `rich.table.Table` with `show_lines=True` and the `HEAVY_HEAD`
box). torchkeras does not depend on `rich`, so this module re-implements the small part of rich's layout that
the summary uses: the column-width arithmetic of `Table._calculate_column_widths` (including
`ratio_reduce`), rich's word wrapping (`divide_line`) with its `"ellipsis"` overflow inside cells, and the
console's cropping of lines wider than the terminal. The printed text is character for character what
Keras 3.15 prints to a non-terminal (or passes to `print_fn`). The one difference: on a colour terminal rich
also emits ANSI styles (bold headers, coloured numbers); torchkeras prints the plain text.

Like Keras, the default table width is `min(88, terminal columns - 4)` (`min(108, ...)` with a
"Connected to" column, plus 12 with `show_trainable=True`): set `COLUMNS` or pass `line_length` for a
fixed layout.

Models describe their rows with `model._summary_rows()`: a list of `(layer, output_shape)` pairs, or
`(layer, output_shape, connected_to)` triples where `connected_to` is a list of strings such as
`"dense[0][0]"`. Any row with a (non-None) third element selects Keras's four-column functional layout
with its "Connected to" column; two-element rows give the three-column layout that Keras uses for
Sequential models and for functional models that are a plain chain.
"""

import math
import os
import re
import shutil
import sys
import unicodedata

__all__ = ["print_summary", "count_params", "weight_memory_size", "readable_memory_size"]

# Bits per scalar, as `keras.src.utils.dtype_utils.DTYPE_TO_SIZE`.
_DTYPE_TO_SIZE = {
    **{f"float{i}": i for i in (16, 32, 64)},
    **{f"int{i}": i for i in (8, 16, 32, 64)},
    **{f"uint{i}": i for i in (8, 16, 32, 64)},
    "bfloat16": 16,
    "bool": 1,
}

# rich.box.HEAVY_HEAD, as drawn by a table with show_lines=True.
_TOP = ("┏", "━", "┳", "┓")
_HEAD_ROW = ("┃", "┃", "┃")
_HEAD_SEP = ("┡", "━", "╇", "┩")
_ROW = ("│", "│", "│")
_ROW_SEP = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")


# --------------------------------------------------------------------------------------------- counting


def _variable_key(variable):
    value = getattr(variable, "value", variable)
    return id(value)


def _unique(weights):
    seen, unique = set(), []
    for w in weights:
        key = _variable_key(w)
        if key not in seen:
            seen.add(key)
            unique.append(w)
    return unique


def count_params(weights):
    """Number of scalars in `weights`, each distinct variable counted once."""
    return int(sum(math.prod(w.shape) for w in _unique(weights)))


def _dtype_name(dtype):
    if not isinstance(dtype, str):
        dtype = str(dtype)
    return dtype.replace("torch.", "")


def weight_memory_size(weights):
    """Bytes taken by `weights` (each distinct variable once), from their dtypes, as Keras computes it."""
    total_bits = 0
    for w in _unique(weights):
        dtype = _dtype_name(w.dtype)
        bits = _DTYPE_TO_SIZE.get(dtype)
        if bits is None:
            raise ValueError(f"Invalid dtype: {dtype}")
        total_bits += math.prod(w.shape) * bits
    return total_bits / 8


def readable_memory_size(weight_memory_size):
    """`851.79 KB`-style text for a byte count (1 KB = 1024 bytes), as Keras writes it."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    scale = 1024
    for unit in units:
        if weight_memory_size / scale < 1:
            return "{:.2f} {}".format(weight_memory_size, unit)
        weight_memory_size /= scale
    return "{:.2f} {}".format(weight_memory_size, units[-1])


# ------------------------------------------------------------------------------- rich's text layout


def _char_width(char):
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cell_len(text):
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _set_cell_size(text, width):
    """Crops or pads `text` to exactly `width` terminal cells (rich.cells.set_cell_size)."""
    length = _cell_len(text)
    if length == width:
        return text
    if length < width:
        return text + " " * (width - length)
    out, used = [], 0
    for char in text:
        w = _char_width(char)
        if used + w > width:
            break
        out.append(char)
        used += w
    return "".join(out) + " " * (width - used)


def _chop_cells(text, width):
    lines, current, used = [], [], 0
    for char in text:
        w = _char_width(char)
        if used + w > width and current:
            lines.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += w
    lines.append("".join(current))
    return lines


_WORD = re.compile(r"\s*\S+\s*")


def _divide_line(text, width, fold):
    """Offsets at which rich breaks `text` to fit `width` (rich._wrap.divide_line)."""
    breaks = []
    offset = 0
    position = 0
    match = _WORD.match(text, position)
    while match is not None:
        start, end = match.span()
        word = match.group(0)
        word_length = _cell_len(word.rstrip())
        if width - offset >= word_length:
            offset += _cell_len(word)
        elif word_length > width:
            if fold:
                pieces = _chop_cells(word, width)
                for index, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if index == len(pieces) - 1:
                        offset = _cell_len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = _cell_len(word)
        elif offset and start:
            breaks.append(start)
            offset = _cell_len(word)
        match = _WORD.match(text, end)
    return breaks


def _truncate(line, width, overflow):
    if _cell_len(line) > width:
        if overflow == "ellipsis":
            return _set_cell_size(line, width - 1) + "…"
        return _set_cell_size(line, width)
    return line


def _wrap(text, width, justify="default", overflow="fold"):
    """Lines of `text` wrapped to `width` cells as rich's `Text.wrap` does."""
    lines = []
    for paragraph in text.split("\n"):
        offsets = _divide_line(paragraph, width, fold=overflow == "fold")
        bounds = [0] + offsets + [len(paragraph)]
        pieces = [paragraph[a:b] for a, b in zip(bounds, bounds[1:])] or [""]
        for piece in pieces:
            length = len(piece)
            if length > width:  # rstrip_end: drop trailing whitespace beyond the width
                stripped = piece.rstrip()
                whitespace = length - len(stripped)
                piece = piece[: length - min(whitespace, length - width)]
            if justify == "left":
                piece = _truncate(piece, width, overflow)
                piece += " " * max(0, width - _cell_len(piece))
            elif justify in ("center", "right"):
                piece = _truncate(piece.rstrip(), width, overflow)
                gap = width - _cell_len(piece)
                left = gap // 2 if justify == "center" else gap
                piece = " " * left + piece + " " * (gap - left)
            lines.append(_truncate(piece, width, overflow))
    return lines


def _render_cell(text, width, justify):
    """A table cell (padding 1 each side) as lines exactly `width` cells wide."""
    inner = width - 2
    if inner <= 0:
        return [_set_cell_size(" ", width)] if width > 0 else [""]
    lines = _wrap(text, inner, justify=justify, overflow="ellipsis")
    return [_set_cell_size(" " + _set_cell_size(line, inner) + " ", width) for line in lines]


# --------------------------------------------------------------------- rich's column-width arithmetic


def _ratio_reduce(total, ratios, maximums, values):
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    total_remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * total_remaining / total_ratio))
            result.append(value - distributed)
            total_remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _ratio_distribute(total, ratios):
    total_ratio = sum(ratios)
    if total_ratio <= 0:
        return [0] * len(ratios)
    total_remaining = total
    result = []
    for ratio in ratios:
        distributed = math.ceil(ratio * total_remaining / total_ratio) if total_ratio > 0 else total_remaining
        result.append(distributed)
        total_ratio -= ratio
        total_remaining -= distributed
    return result


def _table_widths(column_widths, table_width):
    """Cell widths (padding included, borders excluded) of a rich Table of fixed-width columns."""
    extra = len(column_widths) + 1
    max_width = table_width - extra

    def measure(width, limit):
        if limit < 1:
            return 0
        return min(width + 2, limit)

    widths = [measure(w, max_width) or 1 for w in column_widths]
    total = sum(widths)
    if total > max_width:
        widths = _ratio_reduce(total - max_width, [1] * len(widths), widths, widths)
        total = sum(widths)
        widths = [measure(w, limit) for w, limit in zip(column_widths, widths)]
    if total < max_width:
        pads = _ratio_distribute(max_width - total, widths)
        widths = [w + p for w, p in zip(widths, pads)]
    return widths


def _render_table(header, alignment, column_widths, line_length, rows):
    widths = _table_widths(column_widths, line_length)

    def rule(chars):
        left, fill, cross, right = chars
        return left + cross.join(fill * w for w in widths) + right

    def body(cells, chars, bottom=False):
        # rich aligns header cells to the bottom of the row and body cells to the top.
        left, middle, right = chars
        rendered = [_render_cell(text, w, justify) for text, w, justify in zip(cells, widths, alignment)]
        height = max(len(lines) for lines in rendered)
        padded = []
        for lines, w in zip(rendered, widths):
            blank = [" " * w] * (height - len(lines))
            padded.append(blank + lines if bottom else lines + blank)
        return [left + middle.join(parts) + right for parts in zip(*padded)]

    lines = [rule(_TOP)]
    lines.extend(body(header, _HEAD_ROW, bottom=True))
    lines.append(rule(_HEAD_SEP))
    for index, row in enumerate(rows):
        if index:
            lines.append(rule(_ROW_SEP))
        lines.extend(body(row, _ROW))
    lines.append(rule(_BOTTOM))
    return lines


def _is_jupyter():
    import builtins

    get_ipython = getattr(builtins, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        ipython = get_ipython()
    except Exception:  # pragma: no cover - defensive
        return False
    shell = ipython.__class__.__name__
    return bool(
        "google.colab" in str(ipython.__class__)
        or os.getenv("DATABRICKS_RUNTIME_VERSION")
        or shell == "ZMQInteractiveShell"
    )


def _console_width():
    """The width rich's Console would use: JUPYTER_COLUMNS/115 in notebooks, COLUMNS, the tty, or 80."""
    if _is_jupyter():
        columns = os.environ.get("JUPYTER_COLUMNS")
        return int(columns) if columns is not None and columns.isdigit() else 115
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns) or 80
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


# --------------------------------------------------------------------------------- model description


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def format_output_shape(shape):
    """Keras's text for an output shape: `(None, 256)`, `[(None, 8), (None, 3)]`, or `?` if unknown."""
    if shape is None:
        return "?"
    if isinstance(shape, str):
        return shape
    if hasattr(shape, "__iter__") and type(shape).__name__ == "Size":
        shape = tuple(shape)
    if _is_shape(shape):
        return _format_shape(shape)

    flat = []

    def convert(value):
        if _is_shape(value):
            text = _format_shape(value)
            flat.append(text)
            return text
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, tuple):
            return tuple(convert(v) for v in value)
        text = str(value)
        flat.append(text)
        return text

    structure = convert(shape)
    if len(flat) == 1:
        return flat[0]
    return str(structure).replace("'", "")


def _summary_rows(model):
    """`(layer, output_shape, connected_to_or_None)` for the model's top-level layers."""
    rows_method = getattr(model, "_summary_rows", None)
    if rows_method is not None:
        rows = []
        for row in rows_method():
            row = tuple(row)
            if len(row) == 2:
                rows.append((row[0], row[1], None))
            elif len(row) == 3:
                rows.append((row[0], row[1], row[2]))
            else:
                raise ValueError(
                    f"`_summary_rows()` of model '{getattr(model, 'name', model)}' must give "
                    f"(layer, output_shape) or (layer, output_shape, connected_to) rows. Received: {row!r}"
                )
        return rows
    return [(layer, _guess_output_shape(layer), None) for layer in getattr(model, "layers", [])]


def _guess_output_shape(layer):
    """Output shape of a layer outside a Sequential/functional graph: from its build shape, else None."""
    build_shapes = getattr(layer, "_build_shapes", None)
    if build_shapes is None:
        return None
    try:
        if isinstance(build_shapes, dict):
            return layer.compute_output_shape(**build_shapes)
        return layer.compute_output_shape(build_shapes)
    except Exception:
        return None


def _nested_layers(layer):
    """(sublayer, output_shape) pairs of a nested model, in `layer.layers` order."""
    sublayers = list(getattr(layer, "layers", None) or [])
    shapes = {}
    if hasattr(layer, "_summary_rows"):
        try:
            for row in layer._summary_rows():
                shapes[id(row[0])] = row[1]
        except Exception:
            shapes = {}
    return [(sub, shapes[id(sub)] if id(sub) in shapes else _guess_output_shape(sub)) for sub in sublayers]


def get_layer_index_bound_by_layer_name(layers, layer_range=None):
    """`[first, last + 1]` indices of the layers named (as regexes) by `layer_range`, as in Keras."""
    if layer_range is not None:
        if len(layer_range) != 2:
            raise ValueError(
                "layer_range must be a list or tuple of length 2. Received: "
                f"layer_range = {layer_range} of length {len(layer_range)}"
            )
        if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
            raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    else:
        return [0, len(layers)]

    lower_index = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper_index = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower_index or not upper_index:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower_index) > max(upper_index):
        return [min(upper_index), max(lower_index) + 1]
    return [min(lower_index), max(upper_index) + 1]


def _param_text(layer):
    if not hasattr(layer, "built"):
        return "0"
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _trainable_text(layer):
    if len(getattr(layer, "weights", None) or []) > 0:
        return "Y" if layer.trainable else "N"
    return "-"


# -------------------------------------------------------------------------------------- entry point


def summary_text(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                 layer_range=None):
    """The text `print_summary` prints (ending with a newline)."""
    rows = _summary_rows(model)
    sequential_like = all(connections is None for _, _, connections in rows)

    if sequential_like:
        default_line_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_line_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    positions = list(positions)
    if show_trainable:
        default_line_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")

    default_line_length = min(default_line_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_line_length
    column_widths = []
    current = 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        column_widths.append(width)
        current += width

    def fields(layer, output_shape, connections, prefix=""):
        row = [f"{prefix}{layer.name} ({layer.__class__.__name__})", format_output_shape(output_shape),
               _param_text(layer)]
        if not sequential_like:
            row.append(", ".join(str(c) for c in connections) if connections else "-")
        if show_trainable:
            row.append(_trainable_text(layer))
        return row

    def layer_rows(layer, output_shape, connections, nested_level=0):
        prefix = "   " * nested_level + "└ " if nested_level else ""
        out = [fields(layer, output_shape, connections, prefix)]
        if expand_nested and getattr(layer, "layers", None):
            for sub, sub_shape in _nested_layers(layer):
                out.extend(layer_rows(sub, sub_shape, None, nested_level + 1))
        return out

    bounds = get_layer_index_bound_by_layer_name([row[0] for row in rows], layer_range)
    table_rows = []
    for layer, output_shape, connections in rows[bounds[0]: bounds[1]]:
        table_rows.extend(layer_rows(layer, output_shape, connections))

    trainable = list(model.trainable_weights)
    non_trainable = list(model.non_trainable_weights)
    trainable_count = count_params(trainable)
    non_trainable_count = count_params(non_trainable)
    trainable_size = weight_memory_size(trainable)
    non_trainable_size = weight_memory_size(non_trainable)

    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    optimizer_built = bool(optimizer is not None and getattr(optimizer, "built", False))
    optimizer_count = optimizer_size = 0
    if optimizer_built:
        optimizer_variables = list(optimizer.variables)
        optimizer_count = count_params(optimizer_variables)
        optimizer_size = weight_memory_size(optimizer_variables)

    total_count = trainable_count + non_trainable_count + optimizer_count
    total_size = trainable_size + non_trainable_size + optimizer_size

    console_width = _console_width()
    lines = _wrap(f'Model: "{model.name}"', console_width)
    # rich crops every printed line to the console width.
    lines.extend(_set_cell_size(line, console_width) if _cell_len(line) > console_width else line
                 for line in _render_table(header, alignment, column_widths, line_length, table_rows))
    footer = [
        f" Total params: {total_count:,} ({readable_memory_size(total_size)})",
        f" Trainable params: {trainable_count:,} ({readable_memory_size(trainable_size)})",
        f" Non-trainable params: {non_trainable_count:,} ({readable_memory_size(non_trainable_size)})",
    ]
    if optimizer_built:
        footer.append(f" Optimizer params: {optimizer_count:,} ({readable_memory_size(optimizer_size)})")
    for line in footer:
        lines.extend(_wrap(line, console_width))
    return "".join(line + "\n" for line in lines)


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints a summary of `model` exactly as Keras 3 does.

    Args:
        model: A built torchkeras model.
        line_length: Total width of the table; defaults to `min(88, terminal columns - 4)` (108 with a
            "Connected to" column; 12 more with `show_trainable`).
        positions: Relative right edges of the columns, e.g. `[0.45, 0.80, 1.0]`.
        print_fn: Called once with the whole summary text (ending in a newline), as Keras does;
            defaults to writing to `sys.stdout`.
        expand_nested: Also list the layers of nested models, prefixed with `└ `.
        show_trainable: Add a "Trainable" column (`Y`, `N`, or `-` for layers without weights).
        layer_range: Two layer names (or regexes): print only the layers from the first match of the
            first to the last match of the second.
    """
    text = summary_text(model, line_length=line_length, positions=positions, expand_nested=expand_nested,
                        show_trainable=show_trainable, layer_range=layer_range)
    if print_fn is not None:
        print_fn(text)
        return
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(text.encode(encoding, errors="replace").decode(encoding))
    sys.stdout.flush()
