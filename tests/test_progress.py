"""Progress output of `predict()` and `Progbar`, byte for byte as Keras 3 writes it (fake clock)."""

import re
import types

import numpy as np
import pytest

import torchkeras as keras
from torchkeras.models import progress
from torchkeras.models.progress import PredictProgress, Progbar

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = "━" * 20


@pytest.fixture
def clock(monkeypatch):
    """Each `time.time()` call advances 15 ms."""
    state = {"t": 1000.0, "step": 0.015}

    def fake_time():
        state["t"] += state["step"]
        return state["t"]

    monkeypatch.setattr(progress, "time", types.SimpleNamespace(time=fake_time))
    return state


def visible(text):
    """What a terminal shows: the last \\r-separated segment of each line, without ANSI styles."""
    text = ANSI.sub("", text).replace("\b", "")
    return [line.split("\r")[-1] for line in text.split("\n")]


# The expected strings below were produced by Keras 3.15's own `keras.utils.Progbar`, driven the way its
# `ProgbarLogger` drives it in `predict()`, under the same fake clock.


def test_verbose_1_single_step_exact_bytes(clock, capsys):
    bar = PredictProgress(1, verbose=1)
    bar.update(1)
    out = capsys.readouterr().out
    # Keras rewrites the line in place ("\b" * previous width, then "\r") and ends with the elapsed time.
    assert out == (
        "\r\x1b[1m1/1\x1b[0m \x1b[32m" + BAR + "\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 15ms/step"
        + "\b" * 37
        + "\r\x1b[1m1/1\x1b[0m \x1b[32m" + BAR + "\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 30ms/step\n"
    )
    assert visible(out) == ["1/1 " + BAR + " 0s 30ms/step", ""]


def test_verbose_auto_is_1(clock, capsys):
    bar = PredictProgress(1, verbose="auto")
    bar.update(1)
    assert visible(capsys.readouterr().out) == ["1/1 " + BAR + " 0s 30ms/step", ""]


def test_verbose_1_several_steps(clock, capsys):
    clock["step"] = 0.1  # every update is past Keras's 0.05 s refresh interval
    bar = PredictProgress(3, verbose=1)
    for step in (1, 2, 3):
        bar.update(step)
    back = "\b" * 38
    assert capsys.readouterr().out == (
        "\r\x1b[1m1/3\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m 100ms/step"
        + back
        + "\r\x1b[1m2/3\x1b[0m \x1b[32m━━━━━━━━━━━━━\x1b[0m\x1b[37m━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m 100ms/step"
        + back
        + "\r\x1b[1m3/3\x1b[0m \x1b[32m" + BAR + "\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 100ms/step"
        + back
        + "\r\x1b[1m3/3\x1b[0m \x1b[32m" + BAR + "\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 150ms/step\n"
    )


def test_verbose_2_prints_one_line(clock, capsys):
    bar = PredictProgress(3, verbose=2)
    for step in (1, 2, 3):
        bar.update(step)
    assert capsys.readouterr().out == "3/3 - 0s - 5ms/step\n"


def test_verbose_0_prints_nothing(clock, capsys):
    bar = PredictProgress(5, verbose=0)
    for step in range(1, 6):
        bar.update(step)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("verbose", [3, -1, "yes", None, True, 1.5])
def test_invalid_verbose_raises(verbose):
    with pytest.raises(ValueError, match=re.escape(f"Received: verbose={verbose!r}")):
        PredictProgress(1, verbose)


def test_progbar_metrics_and_eta(clock, capsys):
    clock["step"] = 2.0
    bar = Progbar(10, verbose=1, stateful_metrics=["acc"])
    bar.update(1, [("loss", 0.5), ("acc", 0.25)])
    bar.update(2, [("loss", 0.3), ("acc", 0.0001)])
    bar.update(10, [("loss", 0.1), ("acc", 0.75)])
    assert capsys.readouterr().out == (
        "\r\x1b[1m 1/10\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m18s\x1b[0m 2s/step"
        " - loss: 0.5000 - acc: 0.2500"
        + "\b" * 67
        + "\r\x1b[1m 2/10\x1b[0m \x1b[32m━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m16s\x1b[0m 2s/step"
        " - loss: 0.4000 - acc: 1.0000e-04"
        + "\b" * 71
        + "\r\x1b[1m10/10\x1b[0m \x1b[32m" + BAR + "\x1b[0m\x1b[37m\x1b[0m \x1b[1m6s\x1b[0m 444ms/step"
        " - loss: 0.1000 - acc: 0.7500  \n"
    )


def test_progbar_unknown_target(clock, capsys):
    bar = Progbar(None, verbose=1)
    bar.update(7)
    assert capsys.readouterr().out == "\r      7/Unknown \x1b[1m0s\x1b[0m 2ms/step"


def test_predict_verbose_levels(capsys):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    x = np.zeros((5, 4), "float32")
    model.predict(x, batch_size=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.predict(x, batch_size=2, verbose=2)
    assert re.fullmatch(r"3/3 - \d+s - \d+(s|ms|us)/step\n", capsys.readouterr().out)
    model.predict(x, batch_size=2)
    lines = visible(capsys.readouterr().out)
    assert lines[-1] == ""
    # Keras pads a final line shorter than the update before it with spaces (timing decides which).
    assert re.fullmatch(r"3/3 ━{20} \d+s \d+(s|ms|us)/step *", lines[-2])
    with pytest.raises(ValueError, match="Received: verbose=7"):
        model.predict(x, verbose=7)
