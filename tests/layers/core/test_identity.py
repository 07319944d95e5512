import torch

from torchkeras import layers
from torchkeras.testing import run_layer_test


def test_contract():
    for shape in [(2, 3), (2, 3, 4), (1,)]:
        run_layer_test(
            layers.Identity, {}, input_shape=shape, expected_output_shape=shape,
            expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
            supports_masking=True,
        )


def test_returns_inputs_and_keeps_mask():
    layer = layers.Identity()
    assert layer.built
    x = torch.randn(2, 3)
    assert layer(x) is x
    masked = layers.Masking()(torch.tensor([[[1.0], [0.0]]]))
    out = layer(masked)
    assert out._keras_mask.tolist() == [[True, False]]


def test_structures():
    layer = layers.Identity()
    a, b = torch.randn(2, 3), torch.randn(2, 4)
    out = layer([a, b])
    assert out[0] is a and out[1] is b
    assert layer.compute_output_shape([(None, 3), (None, 4)]) == [(None, 3), (None, 4)]
