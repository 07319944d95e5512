"""Golden tests for `Model.summary()` (torch only: the expected text was captured from Keras 3.15)."""

import types

import pytest

import torchkeras as keras
from torchkeras.models import summary as summary_module


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    # Keras sizes the table as min(88, terminal columns - 4): fix the terminal width.
    monkeypatch.setenv("COLUMNS", "200")


def mlp():
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(256, activation="relu", name="dense"),
            keras.layers.Dense(64, activation="relu", name="dense_1"),
            keras.layers.Dense(10, activation="softmax", name="dense_2"),
        ],
        name="mlp_sequential",
    )


def capture(model, **kwargs):
    calls = []
    model.summary(print_fn=calls.append, **kwargs)
    assert len(calls) == 1
    return calls[0]


MLP_SUMMARY = """\
Model: "mlp_sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ dense (Dense)                        │ (None, 256)                 │         200,960 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 64)                  │          16,448 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_2 (Dense)                      │ (None, 10)                  │             650 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 218,058 (851.79 KB)
 Trainable params: 218,058 (851.79 KB)
 Non-trainable params: 0 (0.00 B)
"""


def test_mlp_summary_golden():
    text = capture(mlp())
    assert text.splitlines() == MLP_SUMMARY.splitlines()
    assert text == MLP_SUMMARY
    assert " Total params: 218,058 (851.79 KB)\n" in text
    assert all(len(line) == 88 for line in text.splitlines()[1:10])


def test_summary_prints_to_stdout(capsys):
    mlp().summary()
    assert capsys.readouterr().out == MLP_SUMMARY


def test_print_fn_receives_whole_text_once():
    calls = []
    mlp().summary(print_fn=lambda text, **kwargs: calls.append((text, kwargs)))
    assert calls == [(MLP_SUMMARY, {})]


FROZEN_SHOW_TRAINABLE = """\
Model: "mlp_sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)                          ┃ Output Shape                  ┃        Param # ┃ Traina… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ dense (Dense)                         │ (None, 256)                   │        200,960 │    Y    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│ dense_1 (Dense)                       │ (None, 64)                    │         16,448 │    N    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│ dense_2 (Dense)                       │ (None, 10)                    │            650 │    Y    │
└───────────────────────────────────────┴───────────────────────────────┴────────────────┴─────────┘
 Total params: 218,058 (851.79 KB)
 Trainable params: 201,610 (787.54 KB)
 Non-trainable params: 16,448 (64.25 KB)
"""

FROZEN_LINE_60 = """\
Model: "mlp_sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ dense (Dense)            │ (None, 256)       │   200,960 │
├──────────────────────────┼───────────────────┼───────────┤
│ dense_1 (Dense)          │ (None, 64)        │    16,448 │
├──────────────────────────┼───────────────────┼───────────┤
│ dense_2 (Dense)          │ (None, 10)        │       650 │
└──────────────────────────┴───────────────────┴───────────┘
 Total params: 218,058 (851.79 KB)
 Trainable params: 201,610 (787.54 KB)
 Non-trainable params: 16,448 (64.25 KB)
"""


def test_frozen_layer_splits_trainable_and_non_trainable():
    model = mlp()
    model.layers[1].trainable = False
    assert capture(model, show_trainable=True) == FROZEN_SHOW_TRAINABLE
    assert capture(model, line_length=60) == FROZEN_LINE_60


def test_frozen_model_counts_everything_non_trainable():
    model = mlp()
    model.trainable = False
    text = capture(model)
    assert " Trainable params: 0 (0.00 B)\n" in text
    assert " Non-trainable params: 218,058 (851.79 KB)\n" in text


def test_unbuilt_model_raises():
    model = keras.Sequential([keras.layers.Dense(8, name="d")], name="unbuilt")
    with pytest.raises(ValueError, match="build"):
        model.summary()


def test_default_width_follows_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    lines = capture(mlp()).splitlines()
    assert len(lines[1]) == 56  # min(88, 60 - 4)
    assert lines[4] == "│ dense (Dense)          │ (None, 256)     │   200,960 │"


def test_layer_range():
    text = capture(mlp(), layer_range=["dense_1", "dense_2"])
    assert "dense (Dense)" not in text
    assert "│ dense_1 (Dense)" in text and "│ dense_2 (Dense)" in text
    assert " Total params: 218,058 (851.79 KB)\n" in text  # totals always cover the whole model
    with pytest.raises(ValueError, match="layer_range"):
        capture(mlp(), layer_range=["dense"])
    with pytest.raises(ValueError, match="do not match"):
        capture(mlp(), layer_range=["nope", "dense_2"])


NESTED = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)                          ┃ Output Shape                  ┃        Param # ┃ Traina… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ first (Dense)                         │ (None, 6)                     │             36 │    Y    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│ inner (Sequential)                    │ (None, 4)                     │             92 │    Y    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│    └ in1 (Dense)                      │ (None, 8)                     │             56 │    N    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│    └ in2 (Dense)                      │ (None, 4)                     │             36 │    Y    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│ last (Dense)                          │ (None, 2)                     │             10 │    Y    │
└───────────────────────────────────────┴───────────────────────────────┴────────────────┴─────────┘
 Total params: 138 (552.00 B)
 Trainable params: 82 (328.00 B)
 Non-trainable params: 56 (224.00 B)
"""


def test_expand_nested_sequential():
    inner = keras.Sequential([keras.layers.Dense(8, name="in1"), keras.layers.Dense(4, name="in2")],
                             name="inner")
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(6, name="first"), inner,
                              keras.layers.Dense(2, name="last")], name="outer")
    inner.layers[0].trainable = False
    assert capture(model, expand_nested=True, show_trainable=True) == NESTED
    collapsed = capture(model)
    assert "└" in collapsed  # the table's bottom-left corner
    assert "└ in1" not in collapsed


def test_long_names_wrap_like_rich():
    # Captured from Keras 3.15 (rich 15) with the same model and line_length.
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(2, name="a_rather_long_layer_name with_words")],
        name="wrap",
    )
    lines = capture(model, line_length=40).splitlines()
    assert lines[1:7] == [
        "┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓",
        "┃                 ┃ Output     ┃ Param ┃",  # header cells align to the bottom
        "┃ Layer (type)    ┃ Shape      ┃     # ┃",
        "┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩",
        "│ a_rather_long_… │ (None, 2)  │     8 │",  # body cells to the top; long words get "…"
        "│ with_words      │            │       │",
    ]


class _NoWeights(keras.Layer):
    def call(self, inputs):
        return inputs


class Concatenate(_NoWeights):
    pass


FUNCTIONAL = """\
Model: "func"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ in_a (InputLayer)             │ (None, 32)                │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ in_b (InputLayer)             │ (None, 16)                │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ d1 (Dense)                    │ (None, 8)                 │             264 │ in_a[0][0]                 │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ d2 (Dense)                    │ (None, 8)                 │             136 │ in_b[0][0]                 │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ cat (Concatenate)             │ (None, 16)                │               0 │ d1[0][0], d2[0][0]         │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ out (Dense)                   │ (None, 1)                 │              17 │ cat[0][0]                  │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 417 (1.63 KB)
 Trainable params: 417 (1.63 KB)
 Non-trainable params: 0 (0.00 B)
"""


def test_connected_to_layout_for_three_element_rows():
    from torchkeras.layers.core.input_layer import InputLayer

    in_a = InputLayer(batch_shape=(None, 32), name="in_a")
    in_b = InputLayer(batch_shape=(None, 16), name="in_b")
    d1, d2, out = (keras.layers.Dense(n, name=name) for n, name in ((8, "d1"), (8, "d2"), (1, "out")))
    d1.build((None, 32))
    d2.build((None, 16))
    out.build((None, 16))
    cat = Concatenate(name="cat")
    cat.built = True
    layers = [d1, d2, out]
    weights = [w for layer in layers for w in layer.weights]
    model = types.SimpleNamespace(
        name="func",
        trainable_weights=weights,
        non_trainable_weights=[],
        _summary_rows=lambda: [
            (in_a, (None, 32), []),
            (in_b, (None, 16), []),
            (d1, (None, 8), ["in_a[0][0]"]),
            (d2, (None, 8), ["in_b[0][0]"]),
            (cat, (None, 16), ["d1[0][0]", "d2[0][0]"]),
            (out, (None, 1), ["cat[0][0]"]),
        ],
    )
    calls = []
    summary_module.print_summary(model, print_fn=calls.append)
    assert calls == [FUNCTIONAL]


def test_output_shape_formatting():
    fmt = summary_module.format_output_shape
    assert fmt((None, 256)) == "(None, 256)"
    assert fmt((None,)) == "(None)"  # Keras joins the dims, no trailing comma
    assert fmt([(None, 8), (None, 3)]) == "[(None, 8), (None, 3)]"
    assert fmt({"a": (None, 8), "b": (None, 3)}) == "{a: (None, 8), b: (None, 3)}"
    assert fmt([(None, 8)]) == "(None, 8)"
    assert fmt(None) == "?"


def test_shared_weights_count_once():
    layer = keras.layers.Dense(4, name="shared")
    layer.build((None, 3))
    weights = layer.weights + layer.weights
    assert summary_module.count_params(weights) == 16
    assert summary_module.weight_memory_size(weights) == 64


def test_memory_size_uses_dtype_and_1024():
    readable = summary_module.readable_memory_size
    assert readable(0) == "0.00 B"
    assert readable(1023) == "1023.00 B"
    assert readable(1024) == "1.00 KB"
    assert readable(218058 * 4) == "851.79 KB"
    assert readable(3 * 1024 ** 3) == "3.00 GB"
    half = types.SimpleNamespace(shape=(10, 10), dtype="float16")
    flag = types.SimpleNamespace(shape=(8,), dtype="bool")
    assert summary_module.weight_memory_size([half, flag]) == 201.0
