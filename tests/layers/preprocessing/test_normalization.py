"""Normalization: contract, adapt (arrays, tensors, batches, DataLoader), given mean/variance, weights,
config, state_dict, and the errors users meet."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.testing import run_layer_test

RNG = np.random.default_rng(0)
DATA = (RNG.normal(size=(12, 4, 5)) * 3.0 + 2.0).astype("float32")


@pytest.mark.parametrize("kwargs, input_shape", [
    (dict(), (3, 5)),
    (dict(axis=1), (2, 3, 4)),
    (dict(axis=(1, 2)), (2, 3, 4)),
    (dict(axis=None, invert=True), (2, 3)),
])
def test_normalization_contract_adapt_mode(kwargs, input_shape):
    layer = run_layer_test(layers.Normalization, kwargs, input_shape=input_shape,
                           expected_output_shape=input_shape, expected_output_dtype="float32",
                           expected_num_trainable_weights=0, expected_num_non_trainable_weights=3,
                           supports_masking=True)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]


@pytest.mark.parametrize("kwargs, input_shape", [
    (dict(mean=1.0, variance=4.0), (3, 5)),
    (dict(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 2.0, 3.0, 4.0]), (2, 3, 4)),
    (dict(axis=None, mean=0.5, variance=2.0, invert=True), (2, 3)),
])
def test_normalization_contract_given_mean_and_variance(kwargs, input_shape):
    run_layer_test(layers.Normalization, kwargs, input_shape=input_shape, expected_output_shape=input_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_normalization_golden_adapt_examples():
    # The examples of Keras's docstring, checked by hand: mean 3, (biased) variance 2.
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float32"))
    np.testing.assert_allclose(layer(np.array([1.0, 2.0, 3.0], "float32")).numpy(),
                               [-2 / np.sqrt(2), -1 / np.sqrt(2), 0.0], rtol=1e-6)
    data = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]], "float32")
    layer = layers.Normalization(axis=-1)
    layer.adapt(data)
    np.testing.assert_allclose(layer(data[:1]).numpy(), [[-1.0, -1.0, -1.0]], rtol=1e-6)
    inverse = layers.Normalization(axis=-1, invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse(np.array([[1.0, 2.0, 3.0]], "float32")).numpy(), [[2.0, 10.0, 8.0]],
                               rtol=1e-6)


def test_normalization_golden_given_mean_and_variance():
    layer = layers.Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(layer(np.array([[1.0], [2.0], [3.0]], "float32")).numpy(),
                               [[-2 / np.sqrt(2)], [-1 / np.sqrt(2)], [0.0]], rtol=1e-6)
    # A mean/variance of lower rank than the kept axes aligns with them from the right.
    layer = layers.Normalization(axis=(1, 2), mean=[0.0, 10.0], variance=[1.0, 4.0])
    out = layer(np.full((1, 3, 2), 10.0, "float32")).numpy()
    np.testing.assert_allclose(out, np.tile([10.0, 0.0], (1, 3, 1)))
    assert tuple(layer.mean.shape) == (1, 3, 2)  # Keras's broadcast constant


def test_normalization_standard_deviation_is_floored_at_keras_epsilon():
    layer = layers.Normalization(mean=0.0, variance=0.0)
    np.testing.assert_allclose(layer(np.array([[1e-7, 2e-7]], "float32")).numpy(), [[1.0, 2.0]], rtol=1e-5)


def test_normalization_unadapted_is_the_identity_as_in_keras():
    np.testing.assert_array_equal(layers.Normalization()(DATA).numpy(), DATA)


def test_normalization_weights_are_keras_weights():
    layer = layers.Normalization(axis=(1, 2), name="norm")
    layer.adapt(DATA)
    assert [(w.path, w.shape, w.dtype, w.trainable) for w in layer.weights] == [
        ("norm/mean", (4, 5), "float32", False),
        ("norm/variance", (4, 5), "float32", False),
        ("norm/count", (), "int32", False),
    ]
    assert list(layer.state_dict()) == ["mean", "variance", "count"]
    np.testing.assert_allclose(layer.get_weights()[0], DATA.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], DATA.var(axis=0), rtol=1e-5)
    assert layer.get_weights()[2] == 0  # Keras never updates `count`
    assert layer.count_params() == 41


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), None])
def test_normalization_adapt_on_batches_matches_the_whole_array(axis):
    whole = layers.Normalization(axis=axis)
    whole.adapt(DATA)
    batched = layers.Normalization(axis=axis)
    batched.adapt([DATA[:3], DATA[3:4], DATA[4:]])
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    from_tensor = layers.Normalization(axis=axis)
    from_tensor.adapt(torch.from_numpy(DATA))
    for a, b in zip(whole.get_weights(), from_tensor.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_normalization_adapt_on_generators_labelled_batches_and_a_dataloader():
    reference = layers.Normalization()
    reference.adapt(DATA)
    labelled = layers.Normalization()
    labelled.adapt((DATA[i:i + 5], np.zeros(len(DATA[i:i + 5]))) for i in range(0, 12, 5))
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(DATA), torch.zeros(12))
    loader = layers.Normalization()
    loader.adapt(torch.utils.data.DataLoader(dataset, batch_size=5))
    for layer in (labelled, loader):
        for a, b in zip(reference.get_weights(), layer.get_weights()):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_normalization_adapt_integer_data_and_integer_inputs():
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([0, 2, 4], "int64"))
    np.testing.assert_allclose(layer.get_weights()[:2], [2.0, 8.0 / 3.0], rtol=1e-6)
    out = layer(torch.tensor([2, 4], dtype=torch.int32))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), [0.0, 2.0 / np.sqrt(8.0 / 3.0)], rtol=1e-6)


def test_normalization_adapt_after_build_and_set_weights_take_effect():
    layer = layers.Normalization()
    layer.build((None, 5))
    layer.adapt(DATA[:, 0, :])
    np.testing.assert_allclose(layer(DATA[:, 0, :]).numpy().mean(axis=0), np.zeros(5), atol=1e-5)
    layer.set_weights([np.full(5, 1.0, "float32"), np.full(5, 4.0, "float32"), np.array(0, "int32")])
    np.testing.assert_allclose(layer(np.full((1, 5), 3.0, "float32")).numpy(), np.ones((1, 5)))


def test_normalization_state_dict_into_an_unbuilt_layer_and_a_functional_model():
    adapted = layers.Normalization(axis=(1, 2))
    adapted.adapt(DATA)
    fresh = layers.Normalization(axis=(1, 2))
    fresh.load_state_dict(adapted.state_dict())
    assert fresh.count.dtype == torch.int32
    np.testing.assert_array_equal(fresh(DATA).numpy(), adapted(DATA).numpy())
    x = torchkeras.Input((4, 5))
    model = torchkeras.Model(x, adapted(x))
    np.testing.assert_array_equal(model(torch.from_numpy(DATA)).numpy(), adapted(DATA).numpy())


def test_normalization_mixed_policy_keeps_float32_weights():
    layer = layers.Normalization(dtype="mixed_float16")
    layer.adapt(DATA)
    assert [w.dtype for w in layer.weights] == ["float32", "float32", "int32"]
    assert layer(DATA).dtype == torch.float16
    constant = layers.Normalization(mean=1.0, variance=1.0, dtype="mixed_bfloat16")
    assert constant(DATA).dtype == torch.bfloat16


def test_normalization_config_as_keras_writes_it():
    layer = layers.Normalization(axis=[1, 2], mean=np.array([1.0, 2.0]), variance=np.array([3.0, 4.0]))
    config = layer.get_config()
    assert config["axis"] == (1, 2) and config["invert"] is False
    assert config["mean"] == [1.0, 2.0] and config["variance"] == [3.0, 4.0]
    assert layers.Normalization.from_config(dict(config, axis=[1, 2])).get_config() == config
    adapt_config = layers.Normalization(axis=None).get_config()
    assert adapt_config["axis"] == () and adapt_config["mean"] is None and adapt_config["variance"] is None


def test_normalization_constructor_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="must have the same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="rank of `mean` must be less than or equal"):
        layers.Normalization(mean=[[1.0]], variance=[[1.0]])
    with pytest.raises(TypeError, match="argument `axis`"):
        layers.Normalization(axis="last")
    with pytest.raises(ValueError, match="duplicates"):
        layers.Normalization(axis=(1, 1))
    with pytest.raises(TypeError, match="argument `mean`"):
        layers.Normalization(mean="a", variance="b")


def test_normalization_build_errors():
    with pytest.raises(ValueError, match=r"range \[-ndim, ndim\)"):
        layers.Normalization(axis=3)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="must have a known shape"):
        layers.Normalization(axis=1).build((None, None))
    with pytest.raises(ValueError, match="needs the input shape"):
        layers.Normalization().build(None)
    with pytest.raises(ValueError, match="does not broadcast"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.ones((2, 3), "float32"))


def test_normalization_adapt_errors():
    layer = layers.Normalization()
    layer.adapt(DATA)
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.ones((3, 4, 6), "float32"))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.ones((3, 5), "float32"))
    with pytest.raises(ValueError, match="yielded a batch with incompatible shape"):
        layer.adapt([DATA, np.ones((2, 4, 6), "float32")])
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])
    with pytest.raises(TypeError, match="`.shape` attribute"):
        layers.Normalization().adapt([1.0, 2.0])
    with pytest.raises(TypeError, match="Unsupported data type"):
        layers.Normalization().adapt(3.0)
    with pytest.raises(ValueError, match="only applies to a layer created without them"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(DATA)
