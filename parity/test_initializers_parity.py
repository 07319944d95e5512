import math
import os

import numpy as np
import pytest
import torch

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from torchkeras import initializers  # noqa: E402
from torchkeras import saving  # noqa: E402

NON_DEFAULT = {
    "Constant": {"value": 3.5},
    "Identity": {"gain": 1.0},
    "RandomNormal": {"mean": 1.0, "stddev": 2.0, "seed": 3},
    "RandomUniform": {"minval": -2.0, "maxval": 1.0, "seed": 3},
    "TruncatedNormal": {"mean": -1.0, "stddev": 0.5, "seed": 3},
    "VarianceScaling": {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform", "seed": 3},
    "GlorotUniform": {"seed": 3},
    "GlorotNormal": {"seed": 3, "input_axes": [0], "output_axes": [1]},
    "HeUniform": {"seed": 3},
    "HeNormal": {"seed": 3},
    "LecunUniform": {"seed": 3},
    "LecunNormal": {"seed": 3},
    "Orthogonal": {"gain": 2.0, "seed": 3},
    "STFT": {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True},
    "Zeros": {},
    "Ones": {},
}


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
@pytest.mark.parametrize("use_kwargs", [False, True])
def test_config_matches_keras(name, use_kwargs):
    kwargs = NON_DEFAULT[name] if use_kwargs else {}
    ours = getattr(initializers, name)(**kwargs)
    theirs = getattr(keras.initializers, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    keras_config = keras.saving.serialize_keras_object(theirs)
    assert saving.serialize_keras_object(ours) == keras_config
    assert initializers.serialize(ours) == keras.initializers.serialize(theirs)
    back = initializers.deserialize(keras_config)
    assert type(back) is type(ours) and back.get_config() == ours.get_config()
    # And the other way round: Keras accepts our configs.
    assert keras.initializers.deserialize(initializers.serialize(ours)).get_config() == theirs.get_config()


def test_names_match_keras():
    keras_names = {n for n in dir(keras.initializers) if not n.startswith("_") and n not in ("get", "serialize", "deserialize")}
    ours = {n for n in keras_names if hasattr(initializers, n)}
    assert ours == keras_names
    from keras.src.initializers import ALL_OBJECTS_DICT

    assert set(ALL_OBJECTS_DICT) <= set(initializers.ALL_OBJECTS_DICT)


def _to_numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize(
    "name, kwargs, shape, dtype",
    [
        ("Zeros", {}, (3, 4), "float32"),
        ("Ones", {}, (3, 4), "int32"),
        ("Constant", {"value": 0.3}, (2, 5), "float32"),
        ("Constant", {"value": 2}, (2, 5), "float64"),
        ("Identity", {}, (3, 5), "float32"),
        ("Identity", {"gain": 2.5}, (4, 2), "float32"),
        ("STFT", {}, (16, 1, 9), "float32"),
        ("STFT", {"side": "imag", "window": "hamming", "scaling": "spectrum"}, (15, 1, 8), "float32"),
        ("STFT", {"window": "blackman", "periodic": True}, (12, 1, 7), "float32"),
        ("STFT", {"window": "bartlett", "scaling": None}, (9, 1, 5), "float32"),
        ("STFT", {"window": None}, (8, 1, 5), "float64"),
        ("STFT", {"window": [0.5, 1.0, 1.0, 0.5]}, (4, 1, 3), "float32"),
    ],
)
def test_deterministic_values_equal_keras(name, kwargs, shape, dtype):
    ours = getattr(initializers, name)(**kwargs)(shape, dtype=dtype)
    theirs = _to_numpy(getattr(keras.initializers, name)(**kwargs)(shape, dtype=dtype))
    assert str(ours.dtype).replace("torch.", "") == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs)


SHAPE = (3, 3, 64, 128)  # fan_in 576, fan_out 1152, 73728 samples


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomNormal", {"mean": 0.5, "stddev": 2.0}),
        ("RandomUniform", {"minval": -0.3, "maxval": 0.7}),
        ("TruncatedNormal", {"mean": 1.0, "stddev": 0.5}),
        ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"}),
        ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "truncated_normal"}),
        ("GlorotUniform", {}),
        ("GlorotNormal", {}),
        ("HeUniform", {}),
        ("HeNormal", {}),
        ("LecunUniform", {}),
        ("LecunNormal", {}),
        ("Orthogonal", {"gain": 1.5}),
    ],
)
def test_distributions_match_keras(name, kwargs):
    ours = getattr(initializers, name)(seed=11, **kwargs)(SHAPE).numpy().astype("float64")
    theirs = _to_numpy(getattr(keras.initializers, name)(seed=11, **kwargs)(SHAPE)).astype("float64")
    assert ours.shape == theirs.shape
    std = theirs.std()
    n = theirs.size
    assert abs(ours.mean() - theirs.mean()) < 6 * std / math.sqrt(n)
    assert ours.std() == pytest.approx(std, rel=0.02)
    # Quantiles (robust to Keras's rare out-of-range truncated-normal draws).
    for q in (0.001, 0.05, 0.5, 0.95, 0.999):
        assert np.quantile(ours, q) == pytest.approx(np.quantile(theirs, q), abs=0.05 * std)
    if "Uniform" in name:
        assert ours.min() >= theirs.min() - 0.01 * std and ours.max() <= theirs.max() + 0.01 * std
        assert ours.min() == pytest.approx(theirs.min(), abs=0.01 * std)
        assert ours.max() == pytest.approx(theirs.max(), abs=0.01 * std)


def test_orthogonal_shapes_match_keras_properties():
    for shape in [(5, 8), (8, 5), (2, 3, 4)]:
        ours = initializers.Orthogonal(seed=1)(shape).reshape(-1, shape[-1])
        theirs = torch.as_tensor(_to_numpy(keras.initializers.Orthogonal(seed=1)(shape))).reshape(-1, shape[-1])
        gram = (lambda m: m @ m.T) if ours.shape[0] < ours.shape[1] else (lambda m: m.T @ m)
        np.testing.assert_allclose(gram(ours).numpy(), gram(theirs).numpy(), atol=1e-5)


def test_seeded_calls_repeat_like_keras():
    k = keras.initializers.GlorotUniform(seed=5)
    assert np.array_equal(_to_numpy(k((4, 4))), _to_numpy(k((4, 4))))
    ours = initializers.GlorotUniform(seed=5)
    assert torch.equal(ours((4, 4)), ours((4, 4)))
