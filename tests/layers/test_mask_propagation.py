"""Masks end to end, with values small enough to check by hand: creation (Embedding, Masking), pass-through,
consumption (masked pooling, merging, Softmax, BatchNormalization), and masks through functional models,
Sequential models and nested models."""

import pytest
import torch

import torchkeras
from torchkeras import layers


def _masked(x, mask):
    x = x.clone()
    x._keras_mask = mask
    return x


IDS = torch.tensor([[3, 1, 0, 0], [2, 0, 5, 0]], dtype=torch.int32)
ID_MASK = [[True, True, False, False], [True, False, True, False]]


def _embedding():
    # Row i of the table is [i, 10 * i]: outputs can be checked by hand.
    table = torch.tensor([[float(i), 10.0 * i] for i in range(10)])
    layer = layers.Embedding(10, 2, mask_zero=True, embeddings_initializer=lambda shape, dtype=None: table)
    layer.build((None, 4))
    return layer


def test_embedding_and_masking_create_masks():
    out = _embedding()(IDS)
    assert out._keras_mask.tolist() == ID_MASK
    assert out._keras_mask.dtype == torch.bool

    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    masked = layers.Masking()(x)
    assert masked._keras_mask.tolist() == [[True, False, True]]
    assert torch.equal(masked, x)  # masked steps are already zero
    masked = layers.Masking(mask_value=3.0)(torch.tensor([[[3.0, 3.0], [3.0, 1.0]]]))
    assert masked._keras_mask.tolist() == [[False, True]]
    assert masked.tolist() == [[[0.0, 0.0], [3.0, 1.0]]]


@pytest.mark.parametrize("layer", [
    layers.Dense(3), layers.Activation("relu"), layers.ReLU(), layers.Dropout(0.5), layers.LayerNormalization(),
    layers.BatchNormalization(), layers.GaussianNoise(0.1), layers.Identity(), layers.UnitNormalization(),
])
def test_layers_that_pass_the_mask_on(layer):
    x = _masked(torch.randn(2, 4, 2), torch.tensor(ID_MASK))
    assert layer.supports_masking
    assert layer(x)._keras_mask.tolist() == ID_MASK
    assert layer(x, training=True)._keras_mask.tolist() == ID_MASK


@pytest.mark.parametrize("layer", [
    layers.Flatten(), layers.Reshape((8,)), layers.Permute((2, 1)), layers.Conv1D(2, 2), layers.GlobalMaxPooling1D(),
    layers.GlobalAveragePooling1D(), layers.MaxPooling1D(2), layers.EinsumDense("abc,cd->abd", (None, 3)),
    layers.Lambda(lambda t: t * 2.0, name="twice"), layers.RMSNormalization(),
])
def test_layers_that_drop_the_mask(layer):
    x = _masked(torch.randn(2, 4, 2), torch.tensor(ID_MASK))
    assert getattr(layer(x), "_keras_mask", None) is None


def test_global_average_pooling1d_masked_mean():
    x = torch.tensor([[[1.0], [2.0], [30.0]], [[4.0], [50.0], [6.0]]])
    mask = torch.tensor([[True, True, False], [True, False, True]])
    out = layers.GlobalAveragePooling1D()(_masked(x, mask))
    assert out.tolist() == [[1.5], [5.0]]
    assert getattr(out, "_keras_mask", None) is None
    # GlobalMaxPooling1D does not take masks, as in Keras: the masked 30 and 50 win.
    assert layers.GlobalMaxPooling1D()(_masked(x, mask)).tolist() == [[30.0], [50.0]]


def test_merge_masks():
    a = torch.tensor([[[1.0], [2.0]]])
    b = torch.tensor([[[10.0], [-20.0]]])
    mask_a, mask_b = torch.tensor([[True, False]]), torch.tensor([[False, False]])
    added = layers.Add()([_masked(a, mask_a), _masked(b, mask_b)])
    assert added.tolist() == [[[11.0], [-18.0]]]
    assert added._keras_mask.tolist() == [[True, False]]  # OR of the masks
    assert getattr(layers.Add()([_masked(a, mask_a), b]), "_keras_mask", None) is None  # one unmasked input
    # Maximum: a masked value never wins over an unmasked one.
    out = layers.Maximum()([_masked(a, mask_a), _masked(b, torch.tensor([[False, True]]))])
    assert out.tolist() == [[[1.0], [-20.0]]]
    assert out._keras_mask.tolist() == [[True, True]]
    # Multiply: masked values count as 1; a position masked everywhere is 0.
    out = layers.Multiply()([_masked(a, mask_a), _masked(b, torch.tensor([[True, False]]))])
    assert out.tolist() == [[[10.0], [0.0]]]


def test_concatenate_masks():
    a = _masked(torch.zeros(1, 2, 3), torch.tensor([[True, False]]))
    b = torch.zeros(1, 2, 1)  # unmasked: counts as valid everywhere
    out = layers.Concatenate()([a, b])
    assert out._keras_mask.tolist() == [[True, True]]  # any over the concatenated features
    out = layers.Concatenate(axis=1)([a, torch.zeros(1, 3, 3)])
    assert out._keras_mask.tolist() == [[True, False, True, True, True]]
    assert getattr(layers.Concatenate()([torch.zeros(1, 2, 3), b]), "_keras_mask", None) is None


def test_softmax_and_batch_normalization_consume_masks():
    x = torch.tensor([[1.0, 2.0, 3.0]])
    out = layers.Softmax()(x, mask=torch.tensor([[True, True, False]]))
    expected = torch.softmax(torch.tensor([1.0, 2.0]), 0)
    torch.testing.assert_close(out[0, :2], expected)
    assert out[0, 2] == 0.0

    bn = layers.BatchNormalization(momentum=0.0, center=False, scale=False)
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    bn(_masked(x, torch.tensor([[True, True, False]])), training=True)
    torch.testing.assert_close(bn.moving_mean, torch.tensor([2.0]), atol=1e-5, rtol=1e-5)  # the 100 is left out
    torch.testing.assert_close(bn.moving_variance, torch.tensor([1.0]), atol=1e-5, rtol=1e-5)


def _pooled_model(nested):
    inputs = torchkeras.Input((4,), dtype="int32")
    embedding = _embedding()
    if nested:
        inner_in = torchkeras.Input((4,), dtype="int32")
        x = torchkeras.Model(inner_in, embedding(inner_in), name="inner")(inputs)
    else:
        x = embedding(inputs)
    dense = layers.Dense(2, kernel_initializer="identity", name="d")(x)
    return torchkeras.Model(inputs, [dense, layers.GlobalAveragePooling1D(name="gap")(dense)])


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_functional_model_masks(nested, dtype):
    model = _pooled_model(nested)
    dense, pooled = model(IDS.to(dtype))
    assert dense._keras_mask.tolist() == ID_MASK  # the mask survives to the model's output
    assert getattr(pooled, "_keras_mask", None) is None
    assert pooled.tolist() == [[2.0, 20.0], [3.5, 35.0]]  # means of ids [3, 1] and [2, 5]


def test_sequential_masks():
    model = torchkeras.Sequential([torchkeras.Input((4,), dtype="int32"), _embedding(),
                                   layers.Dense(2, kernel_initializer="identity"), layers.GlobalAveragePooling1D()])
    assert model(IDS).tolist() == [[2.0, 20.0], [3.5, 35.0]]
    model = torchkeras.Sequential([_embedding(), layers.Dropout(0.5)])  # built on the first call
    assert model(IDS)._keras_mask.tolist() == ID_MASK
    assert model(IDS, training=True)._keras_mask.tolist() == ID_MASK


def test_sequential_inside_functional():
    inner = torchkeras.Sequential([_embedding(), layers.Dense(2, kernel_initializer="identity")])
    inputs = torchkeras.Input((4,), dtype="int32")
    x = inner(inputs)
    model = torchkeras.Model(inputs, [x, layers.GlobalAveragePooling1D()(x)])
    out, pooled = model(IDS)
    assert out._keras_mask.tolist() == ID_MASK
    assert pooled.tolist() == [[2.0, 20.0], [3.5, 35.0]]


def test_masked_input_tensor_reaches_the_model():
    inputs = torchkeras.Input((3, 1))
    dense = layers.Dense(1, kernel_initializer="ones")(inputs)
    model = torchkeras.Model(inputs, layers.GlobalAveragePooling1D()(dense))
    x = _masked(torch.tensor([[[1.0], [2.0], [9.0]]]), torch.tensor([[True, True, False]]))
    assert model(x).tolist() == [[1.5]]
    assert model(x.clone()).tolist() == [[4.0]]  # a clone carries no mask
