"""`summary()` and the progress bar, torchkeras against real Keras 3, compared as exact strings.

Keras sizes its summary table as `min(88, terminal columns - 4)` and renders it with `rich`, whose console
width also comes from the terminal. Both read the `COLUMNS` environment variable first, so every test here
pins `COLUMNS` (200 unless a test says otherwise) and captures Keras's text through `print_fn` (Keras then
renders without colours, as it does for any non-terminal stdout).
"""

import io
import os
import types
from contextlib import redirect_stdout

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # pragma: no cover - depends on the environment
    pytest.skip("parity tests need KERAS_BACKEND=torch", allow_module_level=True)

import torchkeras  # noqa: E402
from torchkeras.models import progress as tk_progress  # noqa: E402
from torchkeras.models import summary as tk_summary  # noqa: E402


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def text_of(model, **kwargs):
    calls = []
    model.summary(print_fn=calls.append, **kwargs)
    assert len(calls) == 1
    return calls[0]


def mlp(K, frozen=False):
    model = K.Sequential(
        [
            K.Input(shape=(784,)),
            K.layers.Dense(256, activation="relu", name="dense"),
            K.layers.Dense(64, activation="relu", name="dense_1"),
            K.layers.Dense(10, activation="softmax", name="dense_2"),
        ],
        name="mlp_sequential",
    )
    if frozen:
        model.layers[1].trainable = False
    return model


def nested(K):
    inner = K.Sequential([K.layers.Dense(8, name="in1"), K.layers.Dense(4, name="in2")], name="inner")
    model = K.Sequential(
        [K.Input(shape=(5,)), K.layers.Dense(6, name="first"), inner, K.layers.Dense(2, name="last")],
        name="outer",
    )
    inner.layers[0].trainable = False
    return model


def long_names(K):
    return K.Sequential(
        [
            K.Input(shape=(37,)),
            K.layers.Dense(123456, name="a_layer_with_a_rather_long_name_that_wraps"),
            K.layers.Dense(3, use_bias=False, name="x"),
            K.layers.Dense(7, name="several words in one layer name"),
        ],
        name="a model name with spaces",
    )


MODELS = {
    "mlp": mlp,
    "frozen": lambda K: mlp(K, frozen=True),
    "frozen_model": lambda K: _freeze(mlp(K)),
    "nested": nested,
    "long_names": long_names,
}

OPTIONS = [
    {},
    {"show_trainable": True},
    {"expand_nested": True},
    {"expand_nested": True, "show_trainable": True},
    {"line_length": 40},
    {"line_length": 60, "show_trainable": True},
    {"line_length": 130},
    {"positions": [0.3, 0.6, 1.0]},
    {"positions": [0.2, 0.5, 0.9]},
    {"layer_range": ["dense_1", "dense_2"]},
    {"layer_range": ["last", "first"]},
]


def _freeze(model):
    model.trainable = False
    return model


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_summary_matches_keras(name, options):
    build = MODELS[name]
    try:
        expected = text_of(build(keras), **options)
    except ValueError as error:  # e.g. a layer_range that names layers this model lacks
        with pytest.raises(ValueError, match="layer_range|layer_names|do not match"):
            text_of(build(torchkeras), **options)
        assert "layer" in str(error)
        return
    assert text_of(build(torchkeras), **options) == expected


@pytest.mark.parametrize("columns", ["30", "45", "60", "90"])
@pytest.mark.parametrize("options", [{}, {"show_trainable": True}, {"line_length": 100}])
def test_summary_matches_keras_on_narrow_terminals(monkeypatch, columns, options):
    # The default width follows the terminal; an explicit wider line_length is cropped by rich.
    monkeypatch.setenv("COLUMNS", columns)
    for build in (mlp, long_names):
        try:
            expected = text_of(build(keras), **options)
        except ValueError as error:
            assert "Insufficient console width" in str(error)
            with pytest.raises(ValueError, match="Insufficient console width"):
                text_of(build(torchkeras), **options)
            continue
        assert text_of(build(torchkeras), **options) == expected


def test_summary_to_stdout_matches_keras(capsys):
    mlp(keras).summary()
    expected = capsys.readouterr().out
    mlp(torchkeras).summary()
    assert capsys.readouterr().out == expected


class _KerasFunctionalRows:
    """Presents a real Keras functional model through torchkeras's `_summary_rows()` protocol, to check
    the four-column "Connected to" layout until torchkeras has a functional `Model` of its own."""

    def __init__(self, model):
        self.name = model.name
        self.trainable_weights = model.trainable_weights
        self.non_trainable_weights = model.non_trainable_weights
        self._model = model

    def _summary_rows(self):
        rows = []
        for layer in self._model._operations:
            connections = []
            for node in layer._inbound_nodes:
                for tensor in node.input_tensors:
                    history = tensor._keras_history
                    connections.append(f"{history.operation.name}[{history.node_index}][{history.tensor_index}]")
            rows.append((layer, tuple(layer.output.shape), connections))
        return rows


def functional(K, long=False):
    a = K.Input(shape=(32,), name="in_a" if not long else "first_input_with_a_long_name")
    b = K.Input(shape=(16,), name="in_b")
    x = K.layers.Dense(8, name="d1")(a)
    y = K.layers.Dense(8, name="d2")(b)
    z = K.layers.Concatenate(name="cat")([x, y, a] if long else [x, y])
    out = K.layers.Dense(1, name="out")(z)
    return K.Model([a, b], out, name="func")


@pytest.mark.parametrize("long", [False, True])
@pytest.mark.parametrize("options", [{}, {"show_trainable": True}, {"line_length": 70}])
def test_connected_to_layout_matches_keras(long, options):
    model = functional(keras, long=long)
    model.layers[2].trainable = False
    expected = text_of(model, **options)
    calls = []
    tk_summary.print_summary(_KerasFunctionalRows(model), print_fn=calls.append, **options)
    assert calls == [expected]


def _fake_clock(step):
    state = {"t": 1000.0}

    def fake_time():
        state["t"] += step
        return state["t"]

    return types.SimpleNamespace(time=fake_time)


@pytest.mark.parametrize("step", [0.0004, 0.015, 0.3, 7.0, 4000.0])
@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("target", [1, 3, 50, None])
def test_progbar_matches_keras(monkeypatch, step, verbose, target):
    import keras.src.utils.progbar as keras_progbar

    def drive(module):
        monkeypatch.setattr(module, "time", _fake_clock(step))
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            bar = module.Progbar(target, verbose=verbose, stateful_metrics=["acc"])
            for current in range(1, (target or 4) + 1):
                bar.update(current, [("loss", 1.0 / current), ("acc", 0.0005 * current)])
            bar.update(target or 4, [("loss", 0.1)], finalize=True)
        return buffer.getvalue()

    assert drive(tk_progress) == drive(keras_progbar)


@pytest.mark.parametrize("verbose", ["auto", 0, 1, 2])
def test_predict_progress_matches_keras_progbar_logger(monkeypatch, verbose):
    """`PredictProgress` prints what Keras's `ProgbarLogger` prints around `predict()`."""
    import keras.src.utils.progbar as keras_progbar
    from keras.src.callbacks.progbar_logger import ProgbarLogger

    steps = 4

    def keras_side():
        monkeypatch.setattr(keras_progbar, "time", _fake_clock(0.02))
        logger = ProgbarLogger()
        logger.set_params({"verbose": verbose, "epochs": 1, "steps": steps})
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            if verbose:
                logger.on_predict_begin()
                for batch in range(steps):
                    logger.on_predict_batch_end(batch, {"outputs": None})
                logger.on_predict_end()
        return buffer.getvalue()

    def torchkeras_side():
        monkeypatch.setattr(tk_progress, "time", _fake_clock(0.02))
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            bar = tk_progress.PredictProgress(steps, verbose)
            for step in range(steps):
                bar.update(step + 1)
        return buffer.getvalue()

    assert torchkeras_side() == keras_side()
