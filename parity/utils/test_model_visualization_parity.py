"""`model_to_dot` draws the same graph as real Keras: the same node labels (names, classes, shapes, dtypes,
activations, trainable) and the same edges, for the same models with the same layer names."""

import os
import re

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402

import torchkeras  # noqa: E402

pydot = pytest.importorskip("pydot", reason="pydot is not installed (`pip install pydot`)")


def two_headed(k):
    layers = k.layers
    pixels = k.Input(shape=(784,), name="pixels")
    metadata = k.Input(shape=(8,), name="metadata")
    x = layers.Dense(256, activation="relu", name="dense")(pixels)
    x = layers.Dense(64, activation="relu", name="dense_1")(x)
    m = layers.Dense(16, activation="relu", name="dense_2")(metadata)
    merged = layers.concatenate([x, m], name="concatenate")
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    is_hard = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    return k.Model(inputs=[pixels, metadata], outputs=[digit, is_hard], name="two_headed")


def siamese(k):
    layers = k.layers
    left = k.Input(shape=(784,), name="left")
    right = k.Input(shape=(784,), name="right")
    enc1 = layers.Dense(256, activation="relu", name="enc_dense_1")
    enc2 = layers.Dense(64, activation="relu", name="enc_dense_2")
    merged = layers.concatenate([enc2(enc1(left)), enc2(enc1(right))], name="merged")
    out = layers.Dense(1, activation="sigmoid", name="same_digit")(merged)
    return k.Model(inputs=[left, right], outputs=out, name="siamese_mlp")


def mlp(k):
    layers = k.layers
    return k.Sequential(
        [k.Input(shape=(784,)), layers.Dense(256, activation="relu", name="hidden_1"),
         layers.Dense(10, activation="softmax", name="probs")],
        name="mlp",
    )


def nested(k):
    layers = k.layers
    inner = k.Sequential([k.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")], name="inner_seq")
    x = k.Input((4,), name="outer_in")
    return k.Model(x, layers.Dense(1, name="c")(inner(x)), name="outer")


def _nodes(graph):
    nodes = [n for n in graph.get_nodes() if n.get("label")]
    for sub in graph.get_subgraphs():
        nodes += _nodes(sub)
    return nodes


def _edges(graph):
    edges = list(graph.get_edges())
    for sub in graph.get_subgraphs():
        edges += _edges(sub)
    return edges


def describe(dot):
    """Id-free description: {name: label}, {(source, destination)}, graph attributes, clusters."""
    names = {n.get_name(): re.search(r"<b>(.*?)</b> \(", n.get("label")).group(1) for n in _nodes(dot)}
    labels = {names[n.get_name()]: n.get("label") for n in _nodes(dot)}
    edges = sorted((names[e.get_source()], names[e.get_destination()], e.get("penwidth")) for e in _edges(dot))
    clusters = sorted((s.get_name(), s.get("label"), s.get("style")) for s in dot.get_subgraphs())
    return labels, edges, dot.get_attributes(), clusters


@pytest.mark.parametrize("build", [two_headed, siamese, mlp, nested])
@pytest.mark.parametrize(
    "options",
    [
        dict(show_shapes=True, show_dtype=True),
        dict(),
        dict(show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True, rankdir="LR"),
        dict(show_shapes=True, expand_nested=True),
    ],
    ids=["shapes_dtype", "defaults", "everything", "expand_nested"],
)
def test_model_to_dot_matches_keras(build, options):
    theirs = describe(keras.utils.model_to_dot(build(keras), **options))
    ours = describe(torchkeras.utils.model_to_dot(build(torchkeras), **options))
    assert ours[0] == theirs[0]  # node labels, by layer name
    assert ours[1] == theirs[1]  # edges
    assert ours[2] == theirs[2]  # graph attributes
    assert ours[3] == theirs[3]  # clusters


def test_two_headed_node_order_matches_keras():
    theirs = [n.get("label") for n in _nodes(keras.utils.model_to_dot(two_headed(keras), show_shapes=True))]
    ours = [n.get("label") for n in _nodes(torchkeras.utils.model_to_dot(two_headed(torchkeras), show_shapes=True))]
    assert ours == theirs


def test_frozen_layer_label_matches_keras():
    theirs_model, ours_model = two_headed(keras), two_headed(torchkeras)
    theirs_model.get_layer("dense_1").trainable = False
    ours_model.get_layer("dense_1").trainable = False
    theirs = describe(keras.utils.model_to_dot(theirs_model, show_trainable=True))
    ours = describe(torchkeras.utils.model_to_dot(ours_model, show_trainable=True))
    assert ours[0] == theirs[0]
    assert "Non-trainable" in ours[0]["dense_1"]


def test_plot_model_defaults_match_keras():
    import inspect

    ours = inspect.signature(torchkeras.utils.plot_model).parameters
    theirs = inspect.signature(keras.utils.plot_model).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
    ours = inspect.signature(torchkeras.utils.model_to_dot).parameters
    theirs = inspect.signature(keras.utils.model_to_dot).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
