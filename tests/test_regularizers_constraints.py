import pytest
import torch

from torchkeras import constraints
from torchkeras import regularizers


def test_regularizer_golden_values():
    x = torch.tensor([1.0, -2.0])
    assert regularizers.L2(0.5)(x).item() == pytest.approx(2.5)
    assert regularizers.L1(0.5)(x).item() == pytest.approx(1.5)
    assert regularizers.L1L2(l1=1.0, l2=1.0)(x).item() == pytest.approx(8.0)
    assert regularizers.L1L2()(x).item() == 0.0
    ortho = regularizers.OrthogonalRegularizer(factor=1.0)
    assert ortho(torch.eye(3)).item() == 0.0
    # Two identical rows: |cos| = 1 for the only pair, penalty = factor * 0.5 * 2 / 1.
    assert ortho(torch.tensor([[1.0, 0.0], [2.0, 0.0]])).item() == pytest.approx(1.0)
    cols = regularizers.OrthogonalRegularizer(factor=1.0, mode="columns")
    assert cols(torch.tensor([[1.0, 1.0], [0.0, 0.0]])).item() == pytest.approx(1.0)


def test_regularizer_configs_and_get():
    assert regularizers.L1().get_config() == {"l1": pytest.approx(0.01)}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.OrthogonalRegularizer().get_config()["mode"] == "rows"
    for name in ["l1", "l2", "l1_l2", "l1l2", "L1L2", "orthogonal_regularizer"]:
        reg = regularizers.get(name)
        assert isinstance(reg, regularizers.Regularizer)
        again = regularizers.deserialize(regularizers.serialize(reg))
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 'foo'"):
        regularizers.get("foo")


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "0.1", None])
def test_regularizer_bad_factors(bad):
    with pytest.raises(ValueError, match="Received: factor="):
        regularizers.OrthogonalRegularizer(factor=bad)
    if bad is not None:
        with pytest.raises(ValueError, match="Received: l2="):
            regularizers.L2(bad)
    with pytest.raises(ValueError, match="Received: mode="):
        regularizers.OrthogonalRegularizer(mode="diag")


def test_max_norm_clips_a_known_column():
    w = torch.tensor([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
    out = constraints.MaxNorm(max_value=2)(w)
    assert out[:, 0].tolist() == pytest.approx([1.2, 1.6], rel=1e-6)
    assert out[:, 1].tolist() == pytest.approx([0.3, 0.4], rel=1e-6)
    rows = constraints.MaxNorm(max_value=1, axis=1)(w)
    assert rows[0].tolist() == pytest.approx([3 / 3.0149627, 0.3 / 3.0149627], rel=1e-6)


def test_other_constraints():
    w = torch.tensor([[3.0, -0.3], [4.0, 0.4]])
    assert torch.equal(constraints.NonNeg()(w), torch.tensor([[3.0, 0.0], [4.0, 0.4]]))
    assert constraints.UnitNorm()(w).norm(dim=0).tolist() == pytest.approx([1, 1], rel=1e-6)
    mm = constraints.MinMaxNorm(min_value=1.0, max_value=2.0)(w)
    assert mm.norm(dim=0).tolist() == pytest.approx([2, 1], rel=1e-6)
    half = constraints.MinMaxNorm(min_value=0.0, max_value=1.0, rate=0.5)(w)
    assert half.norm(dim=0)[0].item() == pytest.approx(3.0, rel=1e-6)
    conv = torch.randn(3, 3, 4, 8, generator=torch.Generator().manual_seed(0))
    out = constraints.UnitNorm(axis=[0, 1, 2])(conv)
    assert torch.allclose(out.square().sum((0, 1, 2)), torch.ones(8), atol=1e-5)
    assert constraints.MaxNorm()(torch.zeros(2, 2)).tolist() == [[0, 0], [0, 0]]  # epsilon avoids 0/0


def test_constraint_configs_and_get():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.NonNeg().get_config() == {}
    for name in ["max_norm", "MaxNorm", "min_max_norm", "non_neg", "unit_norm"]:
        c = constraints.get(name)
        again = constraints.deserialize(constraints.serialize(c))
        assert type(again) is type(c) and again.get_config() == c.get_config()
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}}).max_value == 3
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 'foo'"):
        constraints.get("foo")
