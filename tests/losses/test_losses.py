"""Loss classes and functions: small hand-checked values, clipping, logits, labels, errors (torch only)."""

import math
import warnings

import pytest
import torch
import torch.nn.functional as F

from torchkeras import losses

EPS = 1e-7


def test_regression_losses_by_hand():
    y_true = torch.tensor([[1.0, 0.0, 1.0]])
    y_pred = torch.tensor([[0.9, 0.1, 0.8]])
    assert losses.MeanSquaredError()(y_true, y_pred).item() == pytest.approx(0.02, rel=1e-5)
    assert losses.MeanAbsoluteError()(y_true, y_pred).item() == pytest.approx(0.4 / 3, rel=1e-5)
    # MAPE floors |y_true| at epsilon: the zero target contributes 0.1 / 1e-7.
    assert losses.mean_absolute_percentage_error(y_true, y_pred).item() == pytest.approx(
        100 * (0.1 + 0.1 / EPS + 0.2) / 3, rel=1e-5
    )
    expected_msle = ((math.log(1.9) - math.log(2)) ** 2 + math.log(1.1) ** 2 + (math.log(1.8) - math.log(2)) ** 2) / 3
    assert losses.MeanSquaredLogarithmicError()(y_true, y_pred).item() == pytest.approx(expected_msle, rel=1e-5)
    errors = [-0.1, 0.1, -0.2]
    assert losses.LogCosh()(y_true, y_pred).item() == pytest.approx(
        sum(math.log(math.cosh(e)) for e in errors) / 3, rel=1e-4
    )


def test_huber_branches_and_delta():
    y_true = torch.zeros(1, 3)
    y_pred = torch.tensor([[0.5, 2.0, -3.0]])
    # 0.5 * 0.25, then delta * |x| - 0.5 * delta**2 = 1.5 and 2.5.
    assert losses.Huber()(y_true, y_pred).item() == pytest.approx((0.125 + 1.5 + 2.5) / 3)
    # delta=2: 0.125, 0.5 * 4 = 2 (at the boundary), 2 * 3 - 2 = 4.
    assert losses.huber(y_true, y_pred, delta=2.0).item() == pytest.approx((0.125 + 2.0 + 4.0) / 3)
    # A tensor delta takes the explicit formula; same numbers.
    assert losses.huber(y_true, y_pred, delta=torch.tensor(2.0)).item() == pytest.approx((0.125 + 2.0 + 4.0) / 3)


def test_cosine_similarity_and_zero_vectors():
    y_true = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    y_pred = torch.tensor([[2.0, 0.0], [1.0, 1.0]])
    assert losses.cosine_similarity(y_true, y_pred).tolist() == pytest.approx([-1.0, 0.0])
    assert losses.CosineSimilarity(axis=0, reduction=None)(y_true, y_pred).tolist() == pytest.approx(
        [-2 / math.sqrt(5), 0.0]
    )


def test_hinge_converts_binary_labels():
    y_pred = torch.tensor([[0.3, -0.4]])
    binary = torch.tensor([[1.0, 0.0]])
    signed = torch.tensor([[1.0, -1.0]])
    assert losses.hinge(binary, y_pred).item() == pytest.approx((0.7 + 0.6) / 2)
    assert losses.hinge(signed, y_pred).item() == losses.hinge(binary, y_pred).item()
    assert losses.squared_hinge(binary, y_pred).item() == pytest.approx((0.49 + 0.36) / 2)
    # Labels that are not all 0 / 1 are used as they are.
    assert losses.hinge(torch.tensor([[0.5, 0.0]]), y_pred).item() == pytest.approx((0.85 + 1.0) / 2)
    one_hot = torch.tensor([[0.0, 1.0, 0.0]])
    scores = torch.tensor([[0.2, 0.5, 0.9]])
    assert losses.categorical_hinge(one_hot, scores).item() == pytest.approx(0.9 - 0.5 + 1)


def test_kl_divergence_and_poisson():
    p = torch.tensor([[0.5, 0.5]])
    q = torch.tensor([[0.9, 0.1]])
    assert losses.KLDivergence()(p, q).item() == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5), rel=1e-5)
    assert losses.kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-7)
    assert losses.Poisson()(torch.tensor([[2.0]]), torch.tensor([[3.0]])).item() == pytest.approx(
        3 - 2 * math.log(3 + EPS), rel=1e-6
    )


def test_binary_crossentropy_probabilities_logits_and_clipping():
    y_true = torch.tensor([[1.0, 0.0]])
    probs = torch.tensor([[0.8, 0.3]])
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert losses.BinaryCrossentropy()(y_true, probs).item() == pytest.approx(expected, rel=1e-6)
    logits = torch.logit(probs)
    assert losses.BinaryCrossentropy(from_logits=True)(y_true, logits).item() == pytest.approx(expected, rel=1e-5)
    # A confident wrong probability is clipped to [1e-7, 1 - 1e-7] (float32: 1 - 1.19e-7), and the clip
    # stops the gradient.
    wrong = torch.tensor([[0.0, 1.0]], requires_grad=True)
    loss = losses.BinaryCrossentropy()(y_true, wrong)
    upper = float(torch.tensor(1 - EPS, dtype=torch.float32))
    assert loss.item() == pytest.approx((-math.log(EPS) - math.log(1 - upper)) / 2, rel=1e-5)
    loss.backward()
    assert torch.all(wrong.grad == 0)
    # Logits have no such floor.
    far = torch.tensor([[-40.0, 40.0]])
    assert losses.BinaryCrossentropy(from_logits=True)(y_true, far).item() == pytest.approx(40.0)


def test_binary_crossentropy_label_smoothing_and_axis():
    y_true = torch.tensor([[1.0, 0.0]])
    probs = torch.tensor([[0.8, 0.3]])
    smoothed = torch.tensor([[0.9, 0.1]])  # label_smoothing=0.2 moves labels towards 0.5
    expected = F.binary_cross_entropy(probs, smoothed).item()
    assert losses.BinaryCrossentropy(label_smoothing=0.2)(y_true, probs).item() == pytest.approx(expected, rel=1e-6)
    y3 = torch.rand(2, 3, 4).round()
    p3 = torch.rand(2, 3, 4) * 0.9 + 0.05
    assert losses.binary_crossentropy(y3, p3, axis=1).shape == (2, 4)
    # (N,) labels meet (N, 1) predictions through the class (not through the function).
    col = losses.BinaryCrossentropy(reduction=None)(torch.tensor([1.0, 0.0]), torch.tensor([[0.8], [0.3]]))
    assert col.tolist() == pytest.approx([-math.log(0.8), -math.log(0.7)], rel=1e-6)


def test_categorical_crossentropy():
    y_true = torch.tensor([[0.0, 1.0, 0.0]])
    probs = torch.tensor([[0.2, 0.5, 0.3]])
    assert losses.CategoricalCrossentropy()(y_true, probs).item() == pytest.approx(-math.log(0.5), rel=1e-6)
    # Unnormalised probabilities are divided by their sum first.
    assert losses.categorical_crossentropy(y_true, probs * 4).item() == pytest.approx(-math.log(0.5), rel=1e-6)
    logits = torch.tensor([[1.0, 2.0, 0.5]])
    expected = -torch.log_softmax(logits, -1)[0, 1].item()
    assert losses.CategoricalCrossentropy(from_logits=True)(y_true, logits).item() == pytest.approx(expected, rel=1e-6)
    # label_smoothing=0.3: targets [0.1, 0.8, 0.1].
    smooth = -(0.1 * math.log(0.2) + 0.8 * math.log(0.5) + 0.1 * math.log(0.3))
    assert losses.CategoricalCrossentropy(label_smoothing=0.3)(y_true, probs).item() == pytest.approx(smooth, rel=1e-6)
    # The clip: a zero probability on the true class costs -log(1e-7).
    assert losses.categorical_crossentropy(y_true, torch.tensor([[1.0, 0.0, 0.0]])).item() == pytest.approx(
        -math.log(EPS), rel=1e-3
    )
    # axis=1 on channels-first scores.
    scores = torch.randn(2, 3, 5)
    labels = F.one_hot(torch.randint(0, 3, (2, 5)), 3).permute(0, 2, 1).float()
    out = losses.categorical_crossentropy(labels, scores, from_logits=True, axis=1)
    assert torch.allclose(out, F.cross_entropy(scores, labels.argmax(1), reduction="none"), atol=1e-6)


def test_categorical_crossentropy_warns_on_a_single_class():
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        losses.categorical_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


def test_sparse_categorical_crossentropy_label_shapes_and_logits():
    logits = torch.randn(4, 5)
    labels = torch.tensor([0, 3, 1, 4])
    expected = F.cross_entropy(logits, labels, reduction="none")
    scce = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    for y_true in (labels, labels[:, None], labels.float(), labels.to(torch.int32), labels.tolist()):
        assert torch.allclose(scce(y_true, logits), expected, atol=1e-6)
    probs = torch.softmax(logits, -1)
    assert torch.allclose(losses.sparse_categorical_crossentropy(labels, probs), expected, atol=1e-5)
    # Class axis 1 (channels first), labels (N, T).
    scores = torch.randn(2, 5, 7)
    targets = torch.randint(0, 5, (2, 7))
    out = losses.sparse_categorical_crossentropy(targets, scores, from_logits=True, axis=1)
    assert torch.allclose(out, F.cross_entropy(scores, targets, reduction="none"), atol=1e-6)
    # A single example: y_pred of rank 1.
    single = losses.sparse_categorical_crossentropy(torch.tensor(2), logits[0], from_logits=True)
    assert single.item() == pytest.approx(F.cross_entropy(logits[:1], torch.tensor([2])).item(), rel=1e-6)


def test_sparse_categorical_crossentropy_ignore_class():
    logits = torch.randn(4, 3)
    labels = torch.tensor([0, -1, 2, -1])
    per_entry = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, ignore_class=-1)
    assert per_entry[1].item() == 0.0 and per_entry[3].item() == 0.0
    assert per_entry._keras_mask.tolist() == [True, False, True, False]
    valid = F.cross_entropy(logits[[0, 2]], labels[[0, 2]])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert loss(labels, logits).item() == pytest.approx(valid.item(), rel=1e-6)
    # Probabilities: the ignored rows are zeroed before the normalisation, yet no NaN reaches the gradient.
    probs = torch.softmax(logits, -1).requires_grad_(True)
    out = losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, probs)
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(probs.grad).all()
    assert torch.all(probs.grad[[1, 3]] == 0)


def test_focal_crossentropies_reduce_to_crossentropy():
    y_true = torch.tensor([[1.0, 0.0, 1.0]])
    probs = torch.tensor([[0.7, 0.2, 0.6]])
    bce = losses.binary_crossentropy(y_true, probs).item()
    assert losses.binary_focal_crossentropy(y_true, probs, gamma=0.0).item() == pytest.approx(bce, rel=1e-6)
    focal = losses.binary_focal_crossentropy(y_true, probs, gamma=2.0).item()
    by_hand = -(0.3**2 * math.log(0.7) + 0.2**2 * math.log(0.8) + 0.4**2 * math.log(0.6)) / 3
    assert focal == pytest.approx(by_hand, rel=1e-6)
    balanced = losses.binary_focal_crossentropy(y_true, probs, apply_class_balancing=True, alpha=0.25).item()
    by_hand = -(0.25 * 0.3**2 * math.log(0.7) + 0.75 * 0.2**2 * math.log(0.8) + 0.25 * 0.4**2 * math.log(0.6)) / 3
    assert balanced == pytest.approx(by_hand, rel=1e-6)
    one_hot = torch.tensor([[0.0, 1.0, 0.0]])
    p = torch.tensor([[0.2, 0.5, 0.3]])
    cfce = losses.categorical_focal_crossentropy(one_hot, p, alpha=1.0, gamma=0.0).item()
    assert cfce == pytest.approx(-math.log(0.5), rel=1e-6)
    assert losses.categorical_focal_crossentropy(one_hot, p).item() == pytest.approx(
        0.25 * 0.5**2 * -math.log(0.5), rel=1e-6
    )


def test_generalized_crossentropy():
    probs = torch.tensor([[0.25, 0.75], [0.5, 0.5]])
    labels = torch.tensor([1, 0])
    out = losses.categorical_generalized_cross_entropy(labels, probs, q=0.5)
    assert out.tolist() == pytest.approx([(1 - 0.75**0.5) / 0.5, (1 - 0.5**0.5) / 0.5], rel=1e-6)
    assert losses.CategoricalGeneralizedCrossEntropy(q=0.5)(labels, probs).item() == pytest.approx(
        out.mean().item(), rel=1e-6
    )


def test_dice_and_tversky():
    y_true = torch.tensor([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
    y_pred = torch.tensor([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
    per_image = losses.Dice(axis=(1, 2, 3), reduction=None)(y_true, y_pred)
    # Image 1: 1 - 2 * 1 / (2 + 2); image 2: 1 - 2 * 0.4 / (2 + 1.3).
    assert per_image.tolist() == pytest.approx([0.5, 1 - 0.8 / 3.3], rel=1e-5)
    assert losses.Dice()(y_true, y_pred).item() == pytest.approx(1 - 2 * 1.4 / (4 + 3.3), rel=1e-5)
    tv = losses.Tversky(alpha=0.5, beta=0.5, axis=[1, 2, 3], reduction=None)(y_true, y_pred)
    assert tv.tolist() == pytest.approx(per_image.tolist(), rel=1e-5)
    # alpha weighs sum((1 - y_pred) * y_true), beta sum(y_pred * (1 - y_true)) (Keras's naming).
    tp, fp, fn = 1.4, 4 - 1.4, 3.3 - 1.4
    assert losses.tversky(y_true, y_pred, alpha=0.2, beta=0.8).item() == pytest.approx(
        1 - tp / (tp + 0.2 * fp + 0.8 * fn), rel=1e-5
    )


def test_ctc_matches_torch_and_checks_ranks():
    logits = torch.randn(2, 6, 4)
    labels = torch.tensor([[1, 2, 0], [3, 0, 0]])
    out = losses.ctc(labels, logits)
    expected = F.ctc_loss(logits.log_softmax(-1).transpose(0, 1), labels, torch.tensor([6, 6]), torch.tensor([2, 1]),
                          reduction="none")
    assert torch.allclose(out, expected, atol=1e-5)
    assert losses.CTC()(labels, logits).item() == pytest.approx(expected.mean().item(), rel=1e-5)
    with pytest.raises(ValueError, match=r"y_true.shape=\(2, 3, 1\)"):
        losses.ctc(labels[..., None], logits)
    with pytest.raises(ValueError, match=r"y_pred.shape=\(2, 6\)"):
        losses.ctc(labels, logits[..., 0])


def test_circle_loss_masks_zero_entries():
    embeddings = F.normalize(torch.randn(6, 4), dim=-1)
    labels = torch.tensor([0, 0, 1, 1, 2, 3])  # classes 2 and 3 have no positive pair
    out = losses.circle(labels, embeddings)
    assert out.shape == (6,)
    assert out[4].item() == 0.0 and out[5].item() == 0.0
    assert out._keras_mask.tolist() == (out > 0).tolist()
    mean_over_nonzero = out[out > 0].mean().item()
    assert losses.Circle()(labels, embeddings).item() == pytest.approx(mean_over_nonzero, rel=1e-5)


@pytest.mark.parametrize(
    "fn, y_true, y_pred, match",
    [
        (losses.mean_squared_error, torch.zeros(2, 3), torch.zeros(2, 4),
         r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)"),
        (losses.huber, torch.zeros(2, 3), torch.zeros(3, 3), "huber"),
        (losses.hinge, torch.zeros(2, 3), torch.zeros(2, 2), "hinge"),
        (losses.dice, torch.zeros(2, 3), torch.zeros(2, 2), "dice"),
        (losses.categorical_crossentropy, torch.zeros(2, 3), torch.zeros(2, 4), "must have the same shape"),
        (losses.binary_crossentropy, torch.zeros(2), torch.zeros(2, 1), "must have the same shape"),
        (losses.sparse_categorical_crossentropy, torch.zeros(3, dtype=torch.long), torch.zeros(2, 4),
         r"target.shape=\(3,\), output.shape=\(2, 4\)"),
    ],
)
def test_shape_errors_name_both_shapes(fn, y_true, y_pred, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        with pytest.raises(ValueError, match=match):
            fn(y_true, y_pred)


def test_argument_errors():
    with pytest.raises(ValueError, match="`axis` must be of type `int`"):
        losses.categorical_crossentropy(torch.ones(2, 3), torch.ones(2, 3), axis=True)
    with pytest.raises(ValueError, match="label_smoothing=1.5"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="label_smoothing='0.1'"):
        losses.CategoricalCrossentropy(label_smoothing="0.1")
    with pytest.raises(ValueError, match="q=1.0"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)
    with pytest.raises(ValueError, match="ignore_class='pad'"):
        losses.SparseCategoricalCrossentropy(ignore_class="pad")
    with pytest.raises(TypeError, match="`fn` must be a callable"):
        losses.LossFunctionWrapper("mse")
    with pytest.raises(TypeError, match="Expected a tensor"):
        losses.mean_squared_error(torch.zeros(2), {"not": "a tensor"})


def test_numpy_and_list_inputs_and_device_following():
    import numpy as np

    out = losses.MeanSquaredError()(np.array([[1.0, 2.0]]), [[1.0, 4.0]])
    assert out.dtype == torch.float32 and out.item() == pytest.approx(2.0)
    # A float64 numpy array stays float64 in the functions, as in Keras.
    assert losses.mean_absolute_error(np.zeros((1, 2)), np.ones((1, 2))).dtype == torch.float64
