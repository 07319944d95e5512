"""The `Loss` base: reductions, sample weights, masks, dtypes, names (torch only, numbers checked by hand)."""

import numpy as np
import pytest
import torch

from torchkeras import losses


class AbsLoss(losses.Loss):
    def call(self, y_true, y_pred):
        return torch.abs(y_true - y_pred)


Y_TRUE = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
Y_PRED = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # per-entry losses 1, 2, 3, 4


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("sum", 10.0),
        ("sum_over_batch_size", 2.5),
        ("mean", 2.5),
        ("mean_with_sample_weight", 2.5),  # no weights: divides by the count
    ],
)
def test_reductions(reduction, expected):
    assert AbsLoss(reduction=reduction)(Y_TRUE, Y_PRED).item() == pytest.approx(expected)


@pytest.mark.parametrize("reduction", [None, "none"])
def test_no_reduction_returns_per_entry_losses(reduction):
    out = AbsLoss(reduction=reduction)(Y_TRUE, Y_PRED)
    assert torch.equal(out, Y_PRED)


def test_sample_weights():
    weights = torch.tensor([[1.0], [0.0]])  # keeps the first row only, broadcast over the columns
    assert AbsLoss(reduction="sum")(Y_TRUE, Y_PRED, sample_weight=weights).item() == 3.0
    assert AbsLoss()(Y_TRUE, Y_PRED, sample_weight=weights).item() == 0.75  # 3 / 4 entries
    # mean_with_sample_weight divides by the sum of the (unbroadcast) weights.
    assert AbsLoss(reduction="mean_with_sample_weight")(Y_TRUE, Y_PRED, sample_weight=weights).item() == 3.0
    # A trailing axis of size 1 is squeezed to meet rank-1 losses: (2, 1) weights on (2,) losses.
    mse = losses.MeanSquaredError(reduction="sum")
    assert mse(Y_TRUE, Y_PRED, sample_weight=[[2.0], [0.0]]).item() == pytest.approx(2 * 2.5)
    assert mse(Y_TRUE, Y_PRED, sample_weight=0.5).item() == pytest.approx(0.5 * (2.5 + 12.5))


def test_sample_weight_of_the_caller_is_not_modified():
    # Keras multiplies the weights by the mask in place; torchkeras leaves the caller's tensor alone.
    weights = torch.tensor([1.0, 2.0])
    y_pred = Y_PRED.clone()
    y_pred._keras_mask = torch.tensor([True, False])
    losses.MeanSquaredError()(Y_TRUE, y_pred, sample_weight=weights)
    assert weights.tolist() == [1.0, 2.0]


def test_mask_on_y_pred_averages_over_valid_entries():
    y_pred = Y_PRED.clone()
    y_pred._keras_mask = torch.tensor([[True, False], [True, True]])
    # Valid losses 1, 3, 4.
    assert AbsLoss()(Y_TRUE, y_pred).item() == pytest.approx(8 / 3)
    assert AbsLoss(reduction="sum")(Y_TRUE, y_pred).item() == 8.0
    assert AbsLoss(reduction="mean_with_sample_weight")(Y_TRUE, y_pred).item() == pytest.approx(8 / 3)
    unreduced = AbsLoss(reduction=None)(Y_TRUE, y_pred)
    assert unreduced.tolist() == [[1.0, 0.0], [3.0, 4.0]]  # the mask only zeroes entries here


def test_fully_masked_batch_is_zero_not_nan():
    y_pred = Y_PRED.clone().requires_grad_(True)
    masked = y_pred * 1
    masked._keras_mask = torch.zeros(2, 2, dtype=torch.bool)
    loss = AbsLoss()(Y_TRUE, masked)
    loss.backward()
    assert loss.item() == 0.0 and torch.all(y_pred.grad == 0)


def test_mask_and_batch_weights_broadcast():
    y_pred = Y_PRED.clone()
    y_pred._keras_mask = torch.tensor([[True, False], [True, True]])
    weights = torch.tensor([[2.0], [1.0]])
    # (2*1 + 3 + 4) / 3 valid entries.
    assert AbsLoss()(Y_TRUE, y_pred, sample_weight=weights).item() == pytest.approx(9 / 3)


def test_scalar_and_empty_losses_pass_through():
    dice = losses.Dice()  # axis=None: one scalar for the whole batch
    assert dice(torch.ones(2, 3), torch.ones(2, 3)).ndim == 0
    empty = losses.MeanSquaredError()(torch.zeros(0, 3), torch.zeros(0, 3))
    assert empty.shape == (0,)


def test_rank_mismatch_is_squeezed_or_expanded():
    mse = losses.MeanSquaredError(reduction=None)
    y_true = torch.tensor([1.0, 2.0, 3.0])
    y_pred = torch.tensor([[1.0], [0.0], [3.0]])
    assert mse(y_true, y_pred).tolist() == [0.0, 4.0, 0.0]
    assert mse(y_pred, y_true).tolist() == [0.0, 4.0, 0.0]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_inputs_are_cast_to_the_loss_dtype(dtype):
    loss = losses.CategoricalCrossentropy(from_logits=True)
    y_true = torch.tensor([[0.0, 1.0]], dtype=dtype)
    y_pred = torch.tensor([[0.5, 1.5]], dtype=dtype, requires_grad=True)
    out = loss(y_true, y_pred)
    assert out.dtype == torch.float32
    out.backward()
    assert y_pred.grad.dtype == dtype
    assert out.item() == pytest.approx(float(np.log1p(np.exp(-1.0))), rel=1e-6)
    assert losses.MeanSquaredError(dtype="float64")(y_true, y_pred).dtype == torch.float64


def test_names():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    first, second = AbsLoss(), AbsLoss()
    assert first.name.startswith("abs_loss") and second.name != first.name
    assert AbsLoss(name="mine").name == "mine"


def test_structures_of_tensors_reach_call():
    class PairLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.abs(y_true["a"] - y_pred[0]) + torch.abs(y_true["b"] - y_pred[1])

    out = PairLoss(reduction="sum")({"a": [1.0, 2.0], "b": [0.0, 0.0]}, (torch.zeros(2), torch.ones(2)))
    assert out.item() == 5.0


def test_invalid_reduction():
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`.*Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_unbroadcastable_sample_weight_is_a_value_error():
    mse = losses.MeanSquaredError()
    with pytest.raises(ValueError, match=r"sample_weight.shape=\(5,\)"):
        mse(torch.zeros(4, 3, 2), torch.ones(4, 3, 2), sample_weight=torch.ones(5))
    # As in Keras, a (batch,) weight is not aligned with the first axis of (batch, steps) losses.
    with pytest.raises(ValueError, match="sample_weight"):
        mse(torch.zeros(4, 3, 2), torch.ones(4, 3, 2), sample_weight=torch.ones(4))


def test_mask_of_the_wrong_shape_is_a_value_error():
    y_pred = torch.ones(4, 3)
    y_pred._keras_mask = torch.ones(4, 3, dtype=torch.bool)  # per entry, but MSE gives one loss per row
    with pytest.raises(ValueError, match=r"mask.shape=\(4, 3\), losses shape=\(4,\)"):
        losses.MeanSquaredError()(torch.zeros(4, 3), y_pred)


def test_base_call_must_be_implemented():
    with pytest.raises(NotImplementedError, match="call"):
        losses.Loss()(Y_TRUE, Y_PRED)


def test_config_round_trip_of_a_subclass():
    loss = AbsLoss(name="abs", reduction="sum")
    assert loss.get_config() == {"name": "abs", "reduction": "sum"}
    again = AbsLoss.from_config(loss.get_config())
    assert again.name == "abs" and again.reduction == "sum"
