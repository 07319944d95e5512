"""`model_to_dot` and `plot_model`: a model's graph drawn with pydot and Graphviz, as Keras draws it.

The nodes, labels (name and class, activation, input/output shapes, output dtype, trainable) and edges are
those of Keras 3's `keras.utils.model_to_dot`. `pydot` builds the graph and Graphviz's `dot` program renders
it; neither is reimplemented here. `plot_model` writes its file atomically: the image is rendered in
memory, written to a temporary file beside the target, then renamed over it, so a failed plot never leaves
a half-written file or destroys an existing one.
"""

import contextlib
import errno
import html
import io
import os
import shutil
import stat
import sys
import uuid

from torchkeras.api_export import keras_export

_RANKDIRS = ("TB", "LR", "BT", "RL")
# Formats written without Graphviz: the dot source itself.
_SOURCE_FORMATS = ("dot", "gv")
_PYDOT_INSTALL = "install it with `pip install pydot`"
_GRAPHVIZ_INSTALL = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/"
)


def _import_pydot():
    """The pydot module (or one of its older forks, as Keras accepts), or None."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def _require_pydot(caller):
    pydot = _import_pydot()
    if pydot is None:
        raise ImportError(
            f"`{caller}` needs the `pydot` package, which is not installed: {_PYDOT_INSTALL}. "
            "(Rendering images also needs the Graphviz `dot` program.)"
        )
    return pydot


def check_pydot():
    """Returns True if pydot is available."""
    return _import_pydot() is not None


def _dot_program():
    return shutil.which("dot")


def check_graphviz():
    """Returns True if both pydot and Graphviz's `dot` program are available."""
    return check_pydot() and _dot_program() is not None


def _graphviz_missing_error():
    return ImportError(
        "`plot_model` needs the Graphviz `dot` program to render images, and it was not found on the PATH: "
        f"{_GRAPHVIZ_INSTALL}. (pydot is installed. To write the graph without Graphviz, plot to a `.dot` "
        "file.)"
    )


# ---------------------------------------------------------------------------------------------- structure


def _is_functional(model):
    from torchkeras.models.functional import Functional

    return isinstance(model, Functional)


def _is_sequential(model):
    from torchkeras.models.sequential import Sequential

    return isinstance(model, Sequential)


def _map_structure(fn, structure):
    from torchkeras.graph.node import map_structure

    return map_structure(fn, structure)


def _node_tensors(layer, attribute):
    """What Keras's `layer.input` / `layer.output` give: the tensors of the layer's first call, one
    tensor when there is one, else a list."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        raise ValueError(f"Layer {layer.name} has no inbound nodes.")
    tensors = getattr(nodes[0], attribute)
    return tensors[0] if len(tensors) == 1 else list(tensors)


def _sequential_hints(model):
    """(input shape, output shape, dtype) of each layer of a built Sequential model, whose layers are
    built from shapes rather than called on symbolic tensors."""
    hints = {}
    shape = model._build_shapes
    for layer, output_shape in zip(model.layers, model._output_shapes):
        hints[id(layer)] = (shape, output_shape, layer.compute_dtype)
        shape = output_shape
    return hints


# ---------------------------------------------------------------------------------------------- labels


def get_layer_activation_name(layer):
    activation = layer.activation
    if hasattr(activation, "name"):
        return activation.name
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{key}: {value}" for key, value in shape.items())
    else:
        text = f"{shape}"
    return text.replace("}", "").replace("{", "")


def make_layer_label(layer, show_layer_names, show_layer_activations, show_dtype, show_shapes,
                     show_trainable, hints=None):
    """The HTML-like Graphviz label Keras draws for `layer`."""
    from torchkeras.graph.torch_op import TorchOp

    class_name = type(layer).__name__
    hint = (hints or {}).get(id(layer))
    escape = html.escape

    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    colspan_max = sum(int(x) for x in (show_dtype, show_trainable))
    if show_shapes:
        colspan_max += 2
    colspan = max(1, colspan_max)

    if show_layer_names:
        title = f"<b>{escape(layer.name)}</b> ({escape(class_name)})"
    elif isinstance(layer, TorchOp):
        # Keras shows an op's class (`Add`, `Matmul`); a recorded torch op shows which op it is.
        title = f"<b>{escape(class_name)}</b> ({escape(layer.op_name)})"
    else:
        title = f"<b>{escape(class_name)}</b>"
    table += (
        f'<tr><td colspan="{colspan}" bgcolor="black">'
        f'<font point-size="16" color="white">{title}</font></td></tr>'
    )
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (
            f'<tr><td bgcolor="white" colspan="{colspan}">'
            '<font point-size="14">'
            f"Activation: <b>{escape(get_layer_activation_name(layer))}</b>"
            "</font></td></tr>"
        )

    cols = []
    if show_shapes:
        input_shape = output_shape = None
        try:
            input_shape = _map_structure(lambda t: t.shape, _node_tensors(layer, "input_tensors"))
            output_shape = _map_structure(lambda t: t.shape, _node_tensors(layer, "output_tensors"))
        except (ValueError, AttributeError):
            if hint is not None:
                input_shape, output_shape = hint[0], hint[1]
        if class_name != "InputLayer":
            cols.append(
                '<td bgcolor="white"><font point-size="14">'
                f"Input shape: <b>{escape(_format_shape(input_shape))}</b>"
                "</font></td>"
            )
        cols.append(
            '<td bgcolor="white"><font point-size="14">'
            f"Output shape: <b>{escape(_format_shape(output_shape))}</b>"
            "</font></td>"
        )
    if show_dtype:
        dtype = None
        try:
            dtype = _map_structure(lambda t: t.dtype, _node_tensors(layer, "output_tensors"))
        except (ValueError, AttributeError):
            if hint is not None:
                dtype = hint[2]
        cols.append(
            '<td bgcolor="white"><font point-size="14">'
            f"Output dtype: <b>{escape(str(dtype or '?'))}</b>"
            "</font></td>"
        )
    if show_trainable and hasattr(layer, "trainable") and layer.weights:
        if layer.trainable:
            cols.append(
                '<td bgcolor="forestgreen"><font point-size="14" color="white">'
                "<b>Trainable</b></font></td>"
            )
        else:
            cols.append(
                '<td bgcolor="firebrick"><font point-size="14" color="white">'
                "<b>Non-trainable</b></font></td>"
            )
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    table += "</table>>"
    return table


def make_node(pydot, layer, hints=None, **kwargs):
    node = pydot.Node(str(id(layer)), label=make_layer_label(layer, hints=hints, **kwargs))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def add_edge(pydot, dot, src, dst):
    src_id, dst_id = str(id(src)), str(id(dst))
    if not dot.get_edge(src_id, dst_id):
        edge = pydot.Edge(src_id, dst_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _is_nested_model(layer):
    return _is_functional(layer) or _is_sequential(layer)


def _resolve_source(source, output_index):
    """The real layer inside nested models that produces output `output_index` of `source`."""
    while _is_nested_model(source):
        if _is_functional(source):
            source, _, output_index = source.outputs[output_index]._keras_history
        else:
            if not source.layers:
                break
            source, output_index = source.layers[-1], 0
    return source


def _resolve_destination(destination, input_index):
    """The real layer inside nested models that receives input `input_index` of `destination`."""
    while _is_nested_model(destination):
        if _is_functional(destination):
            inputs = destination.inputs
            destination = inputs[min(input_index, len(inputs) - 1)]._keras_history.operation
        else:
            if not destination.layers:
                break
            destination, input_index = destination.layers[0], 0
    return destination


# ---------------------------------------------------------------------------------------------- API


@keras_export("keras.utils.model_to_dot")
def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Converts a model to a `pydot.Dot` graph, as Keras does.

    Args:
        model: A built model (Sequential, functional or subclassed).
        show_shapes: Whether to display input/output shapes.
        show_dtype: Whether to display output dtypes.
        show_layer_names: Whether to display layer names.
        rankdir: Graphviz `rankdir`: `"TB"` (vertical), `"LR"` (horizontal), `"BT"` or `"RL"`.
        expand_nested: Whether to expand nested functional and Sequential models into clusters.
        dpi: Image resolution in dots per inch.
        subgraph: Whether to return a `pydot.Cluster` (used for nested models).
        show_layer_activations: Whether to display the activation of layers that have one.
        show_trainable: Whether to display whether each layer with weights is trainable.
        splines: How edges are drawn: `"ortho"` (default), `"curved"`, `"polyline"`, `"spline"`,
            `"line"`.

    Returns:
        A `pydot.Dot`, or a `pydot.Cluster` when `subgraph=True`. A subclassed model is a single node,
        as in Keras.
    """
    if not getattr(model, "built", False):
        raise ValueError(
            f"This model ('{getattr(model, 'name', model)}') has not yet been built, so it has no graph to "
            "draw. Build it first: start it with `keras.Input(shape=...)`, call `model.build(input_shape)`, "
            "or call the model on a batch of data."
        )
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"Invalid value for argument `rankdir`. Expected one of {list(_RANKDIRS)}. "
            f"Received: rankdir={rankdir!r}"
        )
    pydot = _require_pydot("model_to_dot")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")

    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")

    label_options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }

    hints = None
    if _is_sequential(model):
        layers = model.layers
        hints = _sequential_hints(model)
    elif not _is_functional(model):
        # A subclassed model is a single node, as in Keras.
        dot.add_node(make_node(pydot, model, **label_options))
        return dot
    else:
        layers = model._operations  # operations (`x + y`, Keras's mask ops) are nodes too, as in Keras

    # Nodes.
    for layer in layers:
        if expand_nested and _is_nested_model(layer):
            dot.add_subgraph(
                model_to_dot(
                    layer,
                    show_shapes,
                    show_dtype,
                    show_layer_names,
                    rankdir,
                    expand_nested,
                    subgraph=True,
                    show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable,
                )
            )
        else:
            dot.add_node(make_node(pydot, layer, hints=hints, **label_options))

    # Edges.
    if _is_sequential(model):
        # One edge between consecutive layers; the edge into the Sequential itself comes from the model
        # that contains it.
        for source, destination in zip(layers[:-1], layers[1:]):
            if expand_nested:
                source = _resolve_source(source, 0)
                destination = _resolve_destination(destination, 0)
            add_edge(pydot, dot, source, destination)
        return dot

    in_model = set(model._graph_nodes)
    for layer in layers:
        for inbound_node in layer._inbound_nodes:
            if inbound_node not in in_model:
                continue
            for input_index, input_tensor in enumerate(inbound_node.input_tensors):
                history = input_tensor._keras_history
                if history is None or history.operation is None:
                    continue
                source = history.operation
                if not expand_nested:
                    add_edge(pydot, dot, source, layer)
                    continue
                add_edge(
                    pydot,
                    dot,
                    _resolve_source(source, history.tensor_index),
                    _resolve_destination(layer, input_index),
                )
    return dot


def _output_format(to_file):
    _, extension = os.path.splitext(to_file)
    if not extension:
        return "png"  # as Keras: no extension means a PNG image
    return extension[1:].lower()


def _render(dot, fmt):
    """The file's bytes: the dot source for `.dot`, else Graphviz's rendering (through pydot)."""
    if fmt in _SOURCE_FORMATS:
        return dot.to_string().encode("utf-8")
    if _dot_program() is None:
        raise _graphviz_missing_error()
    captured = io.StringIO()
    try:
        # pydot prints Graphviz's stdout/stderr when it fails; keep them for the error message instead.
        with contextlib.redirect_stdout(captured):
            data = dot.create(prog="dot", format=fmt)
    except OSError as error:
        if error.errno == errno.ENOENT or "not found" in str(error):
            raise _graphviz_missing_error() from error
        raise
    except AssertionError as error:
        raise RuntimeError(
            f"Graphviz `dot` failed to render the model graph as {fmt!r}: {error}\n{captured.getvalue()}"
        ) from error
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data


def _atomic_write(path, data):
    """Writes `data` to `path` through a temporary file in the same folder and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@keras_export("keras.utils.plot_model")
def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Draws a model's graph to an image file, as Keras's `plot_model` does.

    The format follows the file's extension: `.png` (also the default without extension), `.svg`,
    `.pdf`, `.jpg`, ... (any Graphviz output format), or `.dot` for the Graphviz source, which needs no
    Graphviz install. The file is replaced atomically: a failed plot leaves an existing file untouched.

    Args:
        model: A built model.
        to_file: Path of the file to write.
        show_shapes: Whether to display input/output shapes.
        show_dtype: Whether to display output dtypes.
        show_layer_names: Whether to display layer names (Keras 3 defaults to `False`).
        rankdir: `"TB"` (vertical), `"LR"` (horizontal), `"BT"` or `"RL"`.
        expand_nested: Whether to expand nested models into clusters.
        dpi: Image resolution in dots per inch.
        show_layer_activations: Whether to display layers' activations.
        show_trainable: Whether to display whether each layer is trainable.
        splines: How edges are drawn (`"ortho"` by default).

    Returns:
        An IPython display object for the image when IPython is installed (not for PDF or dot files),
        else None.

    Raises:
        ImportError: pydot is not installed, or Graphviz's `dot` program is missing (the message says
            which and how to install it).
        ValueError: An unbuilt model, an invalid `rankdir`, or an output format Graphviz doesn't know.
    """
    if not getattr(model, "built", False):
        raise ValueError(
            f"This model ('{getattr(model, 'name', model)}') has not yet been built, so it has no graph to "
            "plot. Build it first: start it with `keras.Input(shape=...)`, call `model.build(input_shape)`, "
            "or call the model on a batch of data."
        )
    to_file = os.fspath(to_file)
    if isinstance(to_file, bytes):
        to_file = os.fsdecode(to_file)
    fmt = _output_format(to_file)
    pydot = _require_pydot("plot_model")
    known = set(getattr(pydot.Dot(), "formats", ())) | set(_SOURCE_FORMATS)
    if fmt not in known:
        raise ValueError(
            f"Cannot write a model plot in format {fmt!r}: the file extension must be one of "
            f"{sorted(known)} (e.g. `.png`, `.svg`, `.pdf`, or `.dot` for the Graphviz source). "
            f"Received: to_file={to_file!r}"
        )
    if fmt not in _SOURCE_FORMATS and _dot_program() is None:
        raise _graphviz_missing_error()
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")

    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    _atomic_write(to_file, _render(dot, fmt))

    if fmt in ("pdf",) + _SOURCE_FORMATS or "IPython" not in sys.modules:
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    if fmt == "svg":
        return display.SVG(filename=to_file)
    if fmt in ("png", "gif", "jpg", "jpeg", "jpe"):
        return display.Image(filename=to_file, format="png" if fmt == "png" else
                             "gif" if fmt == "gif" else "jpeg")
    return None
