"""The functional model's fast forward (layers' `forward` called directly) gives way to the full
`Layer.__call__` path whenever a call needs what `__call__` does: hooks, masks, other dtypes or shapes,
tracing, a changed dtype policy. Each case must give the same answer as the full path."""

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers


def make_model():
    inputs = keras.Input(shape=(6,), name="x")
    hidden = layers.Dense(5, activation="relu", name="hidden")(inputs)
    hidden = layers.Dropout(0.5, name="drop")(hidden)
    outputs = layers.Dense(3, name="out")(hidden)
    return keras.Model(inputs, outputs)


def test_fast_forward_is_used_and_matches_the_full_path():
    model = make_model()
    assert {layer.name for layer in model._direct_layers} == {"hidden", "drop", "out"}
    x = torch.randn(4, 6)
    assert model._can_call_directly((x,))
    torch.testing.assert_close(model(x), model._graph_forward(model, x))


def test_training_reaches_dropout_on_the_fast_path():
    model = make_model()
    torch.manual_seed(0)
    x = torch.randn(64, 6)
    inference = model(x)
    trained = model(x, training=True)
    assert not torch.allclose(inference, trained)
    model.train()
    assert not torch.allclose(model(x), inference)


def test_a_hook_added_later_still_runs():
    model = make_model()
    seen = []
    model.get_layer("hidden").register_forward_hook(lambda module, args, output: seen.append(output.shape))
    x = torch.randn(2, 6)
    assert not model._can_call_directly((x,))
    model(x)
    assert seen == [torch.Size([2, 5])]


def test_other_dtypes_and_wrong_shapes_take_the_checked_path():
    model = make_model()
    out64 = model(np.random.rand(2, 6))  # float64 numpy: cast to float32 by the layers, as in Keras
    assert out64.dtype == torch.float32
    with pytest.raises(ValueError, match="hidden.*axis -1.*value 6"):
        model(torch.randn(2, 7))


def test_masked_inputs_take_the_mask_aware_path():
    inputs = keras.Input(shape=(3, 4))
    outputs = layers.Dense(2)(inputs)
    model = keras.Model(inputs, outputs)
    x = torch.randn(2, 3, 4)
    x._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    assert not model._can_call_directly((x,))
    assert torch.equal(model(x)._keras_mask, x._keras_mask)


def test_models_with_mask_making_layers_never_skip_call():
    inputs = keras.Input(shape=(5,), dtype="int64")
    embedded = layers.Embedding(10, 4, mask_zero=True)(inputs)
    model = keras.Model(inputs, layers.Dense(2)(embedded))
    assert model._direct_forward is None
    out = model(torch.tensor([[1, 2, 0, 0, 0]]))
    assert out._keras_mask.tolist() == [[True, True, False, False, False]]


def test_a_changed_dtype_policy_is_noticed():
    model = make_model()
    x = torch.randn(2, 6)
    expected_shape = model(x).shape
    model.get_layer("hidden").dtype_policy = "float64"
    model.get_layer("hidden").to(torch.float64)
    out = model(x)  # the float64 layer's outputs are cast back by the float32 layers after it
    assert model._direct_forward is None and out.dtype == torch.float32 and out.shape == expected_shape


def test_deepcopy_and_torch_save_keep_the_fast_path():
    import copy
    import io

    model = make_model()
    x = torch.randn(3, 6)
    clone = copy.deepcopy(model)
    assert clone._can_call_directly((x,)) and {l.name for l in clone._direct_layers} == {"hidden", "drop", "out"}
    torch.testing.assert_close(clone(x), model(x))
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    assert restored._can_call_directly((x,))
    torch.testing.assert_close(restored(x), model(x))
