"""`model_to_dot` / `plot_model`: Keras's nodes, labels and edges; files written atomically; clear errors
when pydot or Graphviz is missing."""

import os
import re
import shutil
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import torchkeras as keras
from torchkeras import layers
from torchkeras.utils import model_to_dot, plot_model

try:
    import pydot
except ImportError:  # the tests that need it skip; the "pydot missing" test still runs
    pydot = None

needs_pydot = pytest.mark.skipif(pydot is None, reason="pydot is not installed (`pip install pydot`)")
needs_graphviz = pytest.mark.skipif(
    pydot is None or shutil.which("dot") is None,
    reason="Graphviz's `dot` program is not installed (`apt-get install graphviz`, see https://graphviz.org/"
    "download/), so images cannot be rendered; the dot-source tests still run",
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------- models


def two_headed():
    """Seed 001's multi-input, two-headed model."""
    pixels = keras.Input(shape=(784,), name="pixels")
    metadata = keras.Input(shape=(8,), name="metadata")
    x = layers.Dense(256, activation="relu", name="dense")(pixels)
    x = layers.Dense(64, activation="relu", name="dense_1")(x)
    m = layers.Dense(16, activation="relu", name="dense_2")(metadata)
    merged = layers.concatenate([x, m], name="concatenate")
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    is_hard = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return keras.Model(inputs=[pixels, metadata], outputs=[digit, is_hard], name="two_headed")


TWO_HEADED_EDGES = {
    ("pixels", "dense"),
    ("dense", "dense_1"),
    ("metadata", "dense_2"),
    ("dense_1", "concatenate"),
    ("dense_2", "concatenate"),
    ("concatenate", "digit"),
    ("concatenate", "is_hard"),
}


def siamese():
    left = keras.Input(shape=(784,), name="left")
    right = keras.Input(shape=(784,), name="right")
    enc1 = layers.Dense(256, activation="relu", name="enc_dense_1")
    enc2 = layers.Dense(64, activation="relu", name="enc_dense_2")
    merged = layers.concatenate([enc2(enc1(left)), enc2(enc1(right))], name="merged")
    out = layers.Dense(1, activation="sigmoid", name="same_digit")(merged)
    return keras.Model(inputs=[left, right], outputs=out, name="siamese_mlp")


def mlp(name="mlp_sequential"):
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(256, activation="relu", name="hidden_1"),
            layers.Dense(64, activation="relu", name="hidden_2"),
            layers.Dense(10, activation="softmax", name="probs"),
        ],
        name=name,
    )


# ---------------------------------------------------------------------------------------------- helpers


def _all_nodes(graph):
    nodes = [n for n in graph.get_nodes() if n.get("label")]
    for sub in graph.get_subgraphs():
        nodes += _all_nodes(sub)
    return nodes


def _all_edges(graph):
    edges = list(graph.get_edges())
    for sub in graph.get_subgraphs():
        edges += _all_edges(sub)
    return edges


def _name(label):
    return re.search(r"<b>(.*?)</b> \(", label).group(1)


def labels_by_name(graph):
    """{layer name: label}; fails if two nodes show the same name."""
    result = {}
    for node in _all_nodes(graph):
        name = _name(node.get("label"))
        assert name not in result, f"two nodes named {name}"
        result[name] = node.get("label")
    return result


def edge_names(graph):
    ids = {node.get_name(): _name(node.get("label")) for node in _all_nodes(graph)}
    edges = [(ids[e.get_source()], ids[e.get_destination()]) for e in _all_edges(graph)]
    assert len(edges) == len(set(edges)), f"duplicate edges: {edges}"
    return set(edges)


def cell(text, value):
    return f"{text}: <b>{value}</b>"


# ---------------------------------------------------------------------------------------------- graph


@needs_pydot
def test_two_headed_nodes_labels_and_edges():
    model = two_headed()
    dot = model_to_dot(model, show_shapes=True, show_dtype=True)
    labels = labels_by_name(dot)
    assert list(labels) == [layer.name for layer in model.layers]
    assert set(labels) == {"pixels", "metadata", "dense", "dense_1", "dense_2", "concatenate", "digit",
                           "is_hard"}
    classes = {name: re.search(r"</b> \((\w+)\)", label).group(1) for name, label in labels.items()}
    assert classes == {"pixels": "InputLayer", "metadata": "InputLayer", "dense": "Dense", "dense_1": "Dense",
                       "dense_2": "Dense", "concatenate": "Concatenate", "digit": "Dense", "is_hard": "Dense"}
    # An InputLayer shows only its output shape; other layers show input and output shapes.
    assert cell("Output shape", "(None, 784)") in labels["pixels"]
    assert "Input shape" not in labels["pixels"]
    assert cell("Output shape", "(None, 8)") in labels["metadata"]
    assert cell("Input shape", "(None, 784)") in labels["dense"]
    assert cell("Output shape", "(None, 256)") in labels["dense"]
    assert cell("Input shape", "(None, 256)") in labels["dense_1"]
    assert cell("Output shape", "(None, 64)") in labels["dense_1"]
    assert cell("Input shape", "[(None, 64), (None, 16)]") in labels["concatenate"]
    assert cell("Output shape", "(None, 80)") in labels["concatenate"]
    assert cell("Output shape", "(None, 10)") in labels["digit"]
    assert cell("Output shape", "(None, 1)") in labels["is_hard"]
    for label in labels.values():
        assert cell("Output dtype", "float32") in label
        assert "Activation" not in label and "Trainable" not in label
    assert edge_names(dot) == TWO_HEADED_EDGES
    assert all(edge.get("penwidth") == "2" for edge in dot.get_edges())


@needs_pydot
def test_two_headed_keras_graph_attributes_and_exact_label():
    dot = model_to_dot(two_headed(), show_shapes=True, show_dtype=True)
    source = dot.to_string()
    for attribute in ("rankdir=TB;", "concentrate=true;", "dpi=200;", "splines=ortho;", "node [shape=record];"):
        assert attribute in source
    # Keras 3.15's exact label for `dense` with shapes and dtype.
    assert labels_by_name(dot)["dense"] == (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        '<tr><td colspan="3" bgcolor="black"><font point-size="16" color="white"><b>dense</b> (Dense)'
        "</font></td></tr><tr>"
        '<td bgcolor="white"><font point-size="14">Input shape: <b>(None, 784)</b></font></td>'
        '<td bgcolor="white"><font point-size="14">Output shape: <b>(None, 256)</b></font></td>'
        '<td bgcolor="white"><font point-size="14">Output dtype: <b>float32</b></font></td>'
        "</tr></table>>"
    )


@needs_pydot
def test_labels_follow_the_show_options():
    model = two_headed()
    plain = model_to_dot(model)
    for label in (n.get("label") for n in _all_nodes(plain)):
        assert "shape" not in label and "dtype" not in label
    assert 'colspan="1"' in labels_by_name(plain)["dense"]

    nameless = model_to_dot(model, show_layer_names=False)
    text = " ".join(n.get("label") for n in _all_nodes(nameless))
    assert "<b>Dense</b>" in text and "<b>InputLayer</b>" in text and "pixels" not in text

    model.get_layer("dense_1").trainable = False
    rich = labels_by_name(model_to_dot(model, show_layer_activations=True, show_trainable=True))
    assert cell("Activation", "relu") in rich["dense"]
    assert cell("Activation", "softmax") in rich["digit"]
    assert cell("Activation", "sigmoid") in rich["is_hard"]
    assert "Activation" not in rich["concatenate"] and "Activation" not in rich["pixels"]
    assert "<b>Trainable</b>" in rich["dense"]
    assert "<b>Non-trainable</b>" in rich["dense_1"]
    # Layers without weights show no trainable cell.
    assert "rainable" not in rich["concatenate"] and "rainable" not in rich["pixels"]


@needs_pydot
def test_rankdir_and_invalid_arguments():
    model = two_headed()
    assert "rankdir=LR;" in model_to_dot(model, rankdir="LR").to_string()
    with pytest.raises(ValueError, match="rankdir.*Received: rankdir='XY'"):
        model_to_dot(model, rankdir="XY")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model_to_dot(model, show_everything=True)
    with pytest.raises(ValueError, match="layer_range"):
        model_to_dot(model, layer_range=["dense", "digit"])


@needs_pydot
def test_siamese_shared_layers_are_one_node_with_edges_from_both_inputs():
    dot = model_to_dot(siamese(), show_shapes=True)
    labels = labels_by_name(dot)
    assert sorted(labels) == sorted(["left", "right", "enc_dense_1", "enc_dense_2", "merged", "same_digit"])
    assert edge_names(dot) == {
        ("left", "enc_dense_1"),
        ("right", "enc_dense_1"),
        ("enc_dense_1", "enc_dense_2"),
        ("enc_dense_2", "merged"),
        ("merged", "same_digit"),
    }
    # As Keras: a shared layer's shapes are those of its first call.
    assert cell("Input shape", "(None, 784)") in labels["enc_dense_1"]
    assert cell("Input shape", "[(None, 64), (None, 64)]") in labels["merged"]


@needs_pydot
def test_torch_op_nodes():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(4,), name="b")
    total = a + b
    out = layers.Dense(2, name="out")(total * 2.0)
    model = keras.Model([a, b], out)
    add_name, mul_name = total._keras_history.operation.name, model._operations[-2].name
    dot = model_to_dot(model, show_shapes=True)
    labels = labels_by_name(dot)
    assert f"<b>{add_name}</b> (TorchOp)" in labels[add_name]
    assert cell("Input shape", "[(None, 4), (None, 4)]") in labels[add_name]
    assert edge_names(dot) == {("a", add_name), ("b", add_name), (add_name, mul_name), (mul_name, "out")}
    nameless = " ".join(n.get("label") for n in _all_nodes(model_to_dot(model, show_layer_names=False)))
    assert "<b>TorchOp</b> (add)" in nameless and "<b>TorchOp</b> (multiply)" in nameless


@needs_pydot
def test_sequential_is_a_chain_without_input_layer():
    model = mlp()
    dot = model_to_dot(model, show_shapes=True, show_dtype=True)
    labels = labels_by_name(dot)
    assert list(labels) == ["hidden_1", "hidden_2", "probs"]
    assert cell("Input shape", "(None, 784)") in labels["hidden_1"]
    assert cell("Output shape", "(None, 256)") in labels["hidden_1"]
    assert cell("Input shape", "(None, 64)") in labels["probs"]
    assert cell("Output shape", "(None, 10)") in labels["probs"]
    assert cell("Output dtype", "float32") in labels["probs"]
    assert edge_names(dot) == {("hidden_1", "hidden_2"), ("hidden_2", "probs")}


@needs_pydot
def test_expand_nested_sequential_is_a_cluster():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")],
                             name="inner_seq")
    x = keras.Input((4,), name="outer_in")
    y = layers.Dense(1, name="c")(inner(x))
    outer = keras.Model(x, y, name="outer")

    collapsed = model_to_dot(outer, show_shapes=True)
    labels = labels_by_name(collapsed)
    assert sorted(labels) == ["c", "inner_seq", "outer_in"]
    assert "<b>inner_seq</b> (Sequential)" in labels["inner_seq"]
    assert cell("Output shape", "(None, 2)") in labels["inner_seq"]
    assert edge_names(collapsed) == {("outer_in", "inner_seq"), ("inner_seq", "c")}

    expanded = model_to_dot(outer, expand_nested=True, show_shapes=True)
    (cluster,) = expanded.get_subgraphs()
    assert cluster.get_name() == "cluster_inner_seq"
    assert cluster.get("label") == "inner_seq" and cluster.get("style") == "dashed"
    assert sorted(_name(n.get("label")) for n in _all_nodes(cluster)) == ["a", "b"]
    assert sorted(labels_by_name(expanded)) == ["a", "b", "c", "outer_in"]
    assert edge_names(expanded) == {("outer_in", "a"), ("a", "b"), ("b", "c")}
    assert "subgraph cluster_inner_seq" in expanded.to_string()


@needs_pydot
def test_expand_nested_functional_points_at_its_input_layers():
    i = keras.Input((4,), name="inner_in")
    inner = keras.Model(i, layers.Dense(3, name="inner_dense")(i), name="inner_model")
    x = keras.Input((4,), name="outer_in")
    y = layers.Dense(4, name="pre")(x)
    y = layers.Dense(1, name="post")(inner(y))
    outer = keras.Model(x, y)
    expanded = model_to_dot(outer, expand_nested=True)
    assert edge_names(expanded) == {
        ("outer_in", "pre"), ("pre", "inner_in"), ("inner_in", "inner_dense"), ("inner_dense", "post"),
    }
    assert edge_names(model_to_dot(outer)) == {("outer_in", "pre"), ("pre", "inner_model"),
                                               ("inner_model", "post")}


@needs_pydot
def test_subclassed_model_is_one_node_as_in_keras():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub_model")
            self.hidden = layers.Dense(3, name="hidden")
            self.out = layers.Dense(1, name="out")

        def call(self, x):
            return self.out(self.hidden(x))

    model = Sub()
    with pytest.raises(ValueError, match="not yet been built"):
        model_to_dot(model)
    model(np.zeros((2, 5), "float32"))
    dot = model_to_dot(model, show_shapes=True)
    labels = labels_by_name(dot)
    assert list(labels) == ["sub_model"]
    assert "<b>sub_model</b> (Sub)" in labels["sub_model"]
    assert not dot.get_edges()


@needs_pydot
def test_unbuilt_sequential_raises():
    model = keras.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        model_to_dot(model)
    with pytest.raises(ValueError, match="not yet been built"):
        plot_model(model, "never.png")


# ---------------------------------------------------------------------------------------------- files


@needs_graphviz
def test_png_is_written(tmp_path):
    path = tmp_path / "two_headed.png"
    plot_model(two_headed(), to_file=str(path), show_shapes=True, show_layer_names=True, show_dtype=True)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    # No extension: a PNG, as in Keras.
    plot_model(two_headed(), to_file=tmp_path / "no_extension")
    assert (tmp_path / "no_extension").read_bytes().startswith(PNG_MAGIC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no_extension", "two_headed.png"]


@needs_graphviz
def test_svg_is_valid_xml_with_the_layer_names(tmp_path):
    path = tmp_path / "model.svg"
    model = two_headed()
    plot_model(model, to_file=path, show_shapes=True, show_layer_names=True, rankdir="LR")
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t for t in root.itertext())
    for layer in model.layers:
        assert layer.name in text
    assert "(None, 784)" in text


@needs_graphviz
def test_pdf_and_replacing_an_existing_file(tmp_path):
    path = tmp_path / "model.pdf"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    assert plot_model(mlp(), to_file=path) is None
    assert path.read_bytes().startswith(b"%PDF")
    assert (os.stat(path).st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["model.pdf"]


@needs_pydot
def test_dot_file_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    path = tmp_path / "model.dot"
    plot_model(two_headed(), to_file=path, show_layer_names=True, rankdir="LR")
    source = path.read_text()
    assert source.startswith("digraph") and "rankdir=LR;" in source and "<b>is_hard</b>" in source
    parsed = pydot.graph_from_dot_data(source)[0]
    assert edge_names(parsed) == TWO_HEADED_EDGES


@needs_pydot
def test_missing_graphviz_is_a_clear_import_error_and_touches_nothing(tmp_path, monkeypatch):
    path = tmp_path / "model.png"
    path.write_bytes(b"precious")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    with pytest.raises(ImportError, match="Graphviz") as info:
        plot_model(two_headed(), to_file=path)
    message = str(info.value)
    assert "`dot`" in message and "apt-get install graphviz" in message and "graphviz.org" in message
    assert "pydot is installed" in message
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["model.png"]


@needs_pydot
def test_invalid_extension_raises_and_touches_nothing(tmp_path):
    path = tmp_path / "model.xyz"
    path.write_bytes(b"precious")
    with pytest.raises(ValueError, match="Received: to_file="):
        plot_model(two_headed(), to_file=path)
    assert path.read_bytes() == b"precious"
    with pytest.raises(ValueError, match="Received: rankdir="):
        plot_model(two_headed(), to_file=tmp_path / "x.dot", rankdir="sideways")
    assert [p.name for p in tmp_path.iterdir()] == ["model.xyz"]


@needs_graphviz
def test_graphviz_failure_leaves_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.png"
    path.write_bytes(b"precious")

    def failing_create(self, *args, **kwargs):
        print("Error: simulated Graphviz crash")
        raise AssertionError('"dot" with args [...] returned code: 1')

    monkeypatch.setattr(pydot.Dot, "create", failing_create)
    with pytest.raises(RuntimeError, match="Graphviz `dot` failed") as info:
        plot_model(two_headed(), to_file=path)
    assert "simulated Graphviz crash" in str(info.value)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["model.png"]


@needs_graphviz
def test_failure_while_writing_removes_the_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.png"
    path.write_bytes(b"precious")

    def failing_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        plot_model(two_headed(), to_file=path)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["model.png"]


def test_missing_pydot_is_a_clear_import_error(tmp_path, monkeypatch):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import pydot` raise ImportError
    model = two_headed()
    with pytest.raises(ImportError, match=r"`model_to_dot` needs the `pydot` package.*pip install pydot"):
        model_to_dot(model)
    path = tmp_path / "model.png"
    path.write_bytes(b"precious")
    with pytest.raises(ImportError, match=r"`plot_model` needs the `pydot` package.*pip install pydot"):
        plot_model(model, to_file=path)
    assert path.read_bytes() == b"precious"


def test_exported_as_keras_utils():
    import torchkeras.utils as utils

    assert keras.utils is utils
    assert utils.plot_model is plot_model and utils.model_to_dot is model_to_dot


def test_keras_signatures_and_defaults():
    import inspect

    to_dot = inspect.signature(model_to_dot).parameters
    assert list(to_dot)[:11] == ["model", "show_shapes", "show_dtype", "show_layer_names", "rankdir",
                                 "expand_nested", "dpi", "subgraph", "show_layer_activations",
                                 "show_trainable", "splines"]
    assert to_dot["show_layer_names"].default is True and to_dot["rankdir"].default == "TB"
    assert to_dot["dpi"].default == 200 and to_dot["splines"].default == "ortho"
    plot = inspect.signature(plot_model).parameters
    assert list(plot)[:11] == ["model", "to_file", "show_shapes", "show_dtype", "show_layer_names", "rankdir",
                               "expand_nested", "dpi", "show_layer_activations", "show_trainable", "splines"]
    assert plot["to_file"].default == "model.png"
    assert plot["show_layer_names"].default is False  # Keras 3's default for plot_model
