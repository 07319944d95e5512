import math

import pytest
import torch

from torchkeras import initializers

SHAPE = (400, 500)  # 200k samples


def test_deterministic_initializers():
    assert initializers.Zeros()((2, 3)).tolist() == [[0] * 3] * 2
    assert initializers.Ones()((2,), dtype="int32").dtype == torch.int32
    assert initializers.Constant(2.5)((2, 2)).tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert initializers.Identity(gain=2.0)((2, 3)).tolist() == [[2, 0, 0], [0, 2, 0]]
    with pytest.raises(ValueError, match="Received: shape="):
        initializers.Identity()((2, 2, 2))
    assert initializers.Zeros()((2,), dtype=torch.float64).dtype == torch.float64


def test_stft_kernel():
    kernel = initializers.STFT(side="real", window=None)((4, 1, 3))
    # cos(-2 * pi * t * f / 4) for t in 0..3, f in 0..2
    expected = [[math.cos(-2 * math.pi * t_ * f / 4) for f in range(3)] for t_ in range(4)]
    assert torch.allclose(kernel[:, 0, :], torch.tensor(expected), atol=1e-6)
    hann = initializers.STFT(scaling="spectrum")((5, 1, 3))
    window = torch.tensor([0.0, 0.5, 1.0, 0.5, 0.0])
    assert hann[:, 0, 0].tolist() == pytest.approx((window / window.sum()).tolist(), abs=1e-6)
    with pytest.raises(ValueError, match="Received: side="):
        initializers.STFT(side="both")


def test_compute_fans_conv_kernel():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((2, 3, 4), input_axes=[0], output_axes=[1, 2]) == (2, 12)


def test_glorot_uniform_conv_limit():
    torch.manual_seed(0)
    w = initializers.GlorotUniform()((3, 3, 16, 32))
    limit = math.sqrt(6 / (144 + 288))
    assert w.shape == (3, 3, 16, 32) and w.dtype == torch.float32
    assert w.abs().max().item() <= limit
    assert w.abs().max().item() > 0.97 * limit
    assert w.std().item() == pytest.approx(limit / math.sqrt(3), rel=0.03)


@pytest.mark.parametrize(
    "init, mean, std, low, high",
    [
        (initializers.RandomNormal(1.0, 2.0, seed=1), 1.0, 2.0, None, None),
        (initializers.RandomUniform(-1.0, 3.0, seed=1), 1.0, 4 / math.sqrt(12), -1.0, 3.0),
        (initializers.TruncatedNormal(0.5, 1.0, seed=1), 0.5, 0.87962566, -1.5, 2.5),
        (initializers.HeNormal(seed=1), 0.0, math.sqrt(2 / 400), -2 * math.sqrt(2 / 400) / 0.87962566, None),
        (initializers.HeUniform(seed=1), 0.0, math.sqrt(2 / 400), -math.sqrt(6 / 400), math.sqrt(6 / 400)),
        (initializers.LecunNormal(seed=1), 0.0, math.sqrt(1 / 400), None, None),
        (initializers.LecunUniform(seed=1), 0.0, math.sqrt(1 / 400), -math.sqrt(3 / 400), math.sqrt(3 / 400)),
        (initializers.GlorotNormal(seed=1), 0.0, math.sqrt(2 / 900), None, None),
        (initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=1), 0.0, math.sqrt(2 / 500), None, None),
        (initializers.VarianceScaling(3.0, "fan_avg", "uniform", seed=1), 0.0, math.sqrt(3 / 450), -math.sqrt(9 / 450), math.sqrt(9 / 450)),
    ],
)
def test_distribution_moments(init, mean, std, low, high):
    w = init(SHAPE)
    assert w.mean().item() == pytest.approx(mean, abs=5 * std / math.sqrt(w.numel()))
    assert w.std().item() == pytest.approx(std, rel=0.01)
    if low is not None:
        assert w.min().item() >= low - 1e-6 and w.min().item() < low + 0.01 * (abs(low) + std)
    if high is not None:
        assert w.max().item() <= high + 1e-6


def test_truncated_normal_bounds():
    w = initializers.TruncatedNormal(0.0, 1.0, seed=3)((1000, 1000))
    assert w.abs().max().item() <= 2.0
    assert w.abs().max().item() > 1.99


def test_orthogonal():
    q = initializers.Orthogonal(seed=0)((6, 4))
    assert torch.allclose(q.T @ q, torch.eye(4), atol=1e-5)
    q = initializers.Orthogonal(gain=2.0, seed=0)((3, 5))
    assert torch.allclose(q @ q.T, 4 * torch.eye(3), atol=1e-5)
    conv = initializers.Orthogonal(seed=0)((3, 3, 4, 8)).reshape(-1, 8)
    assert torch.allclose(conv.T @ conv, torch.eye(8), atol=1e-5)
    with pytest.raises(ValueError, match="Received: shape="):
        initializers.Orthogonal()((5,))


def test_seeding():
    init = initializers.GlorotUniform(seed=7)
    assert torch.equal(init((3, 4)), init((3, 4)))  # integer seed: same values every call (Keras)
    assert torch.equal(init((3, 4)), initializers.GlorotUniform(seed=7)((3, 4)))
    assert not torch.equal(init((3, 4)), initializers.GlorotUniform(seed=8)((3, 4)))
    unseeded = initializers.RandomNormal()
    torch.manual_seed(1)
    a = unseeded((5,))
    b = unseeded((5,))
    torch.manual_seed(1)
    assert not torch.equal(a, b)
    assert torch.equal(unseeded((5,)), a)  # global RNG drives unseeded initializers
    assert initializers.RandomNormal(seed=0)((2,), dtype="float16").dtype == torch.float16
    with pytest.raises(ValueError, match="Received: dtype="):
        initializers.RandomNormal()((2,), dtype="int32")
    with pytest.raises(ValueError, match="Received: seed="):
        initializers.RandomNormal(seed="abc")


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Received: scale=-1"):
        initializers.VarianceScaling(scale=-1)
    with pytest.raises(ValueError, match="Received: mode='fan_sum'"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="Received: distribution='cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_configs():
    assert initializers.GlorotUniform().get_config() == {"seed": None, "input_axes": None, "output_axes": None}
    assert initializers.RandomNormal(seed=3).get_config() == {"seed": 3, "mean": 0.0, "stddev": 0.05}
    assert initializers.Orthogonal().get_config() == {"seed": None, "gain": 1.0}
    assert initializers.Identity().get_config() == {}
    assert initializers.STFT().get_config() == {"side": "real", "window": "hann", "periodic": False, "scaling": "density"}


def test_get_and_round_trip():
    for name, cls in initializers.ALL_OBJECTS_DICT.items():
        if cls is initializers.Initializer:
            continue
        obj = initializers.get(name)
        assert type(obj) is cls
        again = initializers.deserialize(initializers.serialize(obj))
        assert type(again) is cls and again.get_config() == obj.get_config()
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    inst = initializers.Ones()
    assert initializers.get(inst) is inst
    fn = initializers.get(torch.ones(2, 2))
    assert fn((2, 2)).tolist() == [[1, 1], [1, 1]]
    with pytest.raises(ValueError, match="Expected `shape`"):
        fn((3,))
    config = {"module": "keras.initializers", "class_name": "RandomUniform",
              "config": {"seed": 4, "minval": 0.0, "maxval": 2.0}, "registered_name": None}
    obj = initializers.get(config)
    assert (obj.minval, obj.maxval, obj.seed) == (0.0, 2.0, 4)
    assert initializers.serialize(initializers.Constant(3.0)) == {
        "module": "keras.initializers", "class_name": "Constant", "config": {"value": 3.0}, "registered_name": None
    }


def test_unknown_initializer():
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 'foo'.*glorot_uniform"):
        initializers.get("foo")
