"""Discretization: contract, golden bucketing and adapt results (Keras's docstring examples, quantiles
checked by hand), adapt on arrays, tensors and batches, output modes and dtypes, config, no weights, and
the errors users meet."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.layers.preprocessing.discretization import Discretization
from torchkeras.testing import run_layer_test

DATA = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])


@pytest.mark.parametrize("mode, output_shape, dtype", [
    ("int", (2, 4), "int32"),
    ("one_hot", (2, 4, 4), "float32"),
    ("multi_hot", (2, 4), "float32"),
    ("count", (2, 4), "float32"),
])
def test_contract(mode, output_shape, dtype):
    run_layer_test(Discretization, {"bin_boundaries": [0.0, 1.0, 2.0], "output_mode": mode}, input_shape=(2, 4),
                   expected_output_shape=output_shape, expected_output_dtype=dtype,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   run_training_check=False)  # bucketing has no gradient (nor in Keras)


def test_golden_docstring_examples():
    layer = Discretization(bin_boundaries=[0., 1., 2.])
    assert layer(DATA).tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]]
    adapted = Discretization(num_bins=4, epsilon=0.01)
    adapted.adapt(DATA)
    assert adapted(DATA).tolist() == [[0, 2, 3, 2], [1, 3, 3, 1]]
    # What Keras 3.15 learns from this data (its boundaries are float32 values written as Python floats).
    assert adapted.bin_boundaries == [0.0, 0.5, 1.2999999523162842]


def test_adapt_quantiles_by_hand():
    # 0..99 with epsilon 0.01 keeps every value; 4 bins cut at the 25th, 50th and 75th values.
    layer = Discretization(num_bins=4)
    layer.adapt(np.arange(100, dtype="float32"))
    np.testing.assert_allclose(layer.bin_boundaries, [24.0, 49.0, 74.0], atol=1e-4)
    # The same values in shuffled batches give the same summary.
    batches = np.random.default_rng(0).permutation(100).astype("float32").reshape(4, 25)
    batched = Discretization(num_bins=4)
    batched.adapt(list(batches))
    np.testing.assert_allclose(batched.bin_boundaries, [24.0, 49.0, 74.0], atol=0.5)


def test_adapt_inputs():
    rng = np.random.default_rng(1)
    batches = [rng.normal(size=(20, 3)).astype("float32") for _ in range(3)]
    from_list = Discretization(num_bins=5)
    from_list.adapt(batches)
    from_generator = Discretization(num_bins=5)
    from_generator.adapt(b for b in batches)
    from_loader = Discretization(num_bins=5)
    from_loader.adapt(torch.utils.data.DataLoader(torch.as_tensor(np.concatenate(batches)), batch_size=20))
    assert from_list.bin_boundaries == from_generator.bin_boundaries == from_loader.bin_boundaries
    assert len(from_list.bin_boundaries) == 4
    one_step = Discretization(num_bins=5)
    one_step.adapt(batches, steps=1)
    first = Discretization(num_bins=5)
    first.adapt(torch.as_tensor(batches[0]))
    assert one_step.bin_boundaries == first.bin_boundaries
    # adapt() starts over each time.
    first.adapt(batches[1])
    again = Discretization(num_bins=5)
    again.adapt(batches[1])
    assert first.bin_boundaries == again.bin_boundaries
    # Fewer distinct points than bins: the summary's points become the boundaries.
    tiny = Discretization(num_bins=10)
    tiny.adapt(np.array([3.0, 1.0, 2.0]))
    assert tiny.bin_boundaries == [1.0, 2.0]


def test_output_modes_golden():
    x = torch.tensor([[-1.0, 0.5, 0.7], [2.0, 2.0, 2.0]])
    kwargs = {"bin_boundaries": [0.0, 1.0]}
    assert Discretization(**kwargs)(x).tolist() == [[0, 1, 1], [2, 2, 2]]
    assert Discretization(output_mode="multi_hot", **kwargs)(x).tolist() == [[1, 1, 0], [0, 0, 1]]
    assert Discretization(output_mode="count", **kwargs)(x).tolist() == [[1, 2, 0], [0, 0, 3]]
    assert Discretization(output_mode="one_hot", **kwargs)(x[:, :1]).tolist() == [[1, 0, 0], [0, 0, 1]]
    # A value equal to a boundary goes to the bin on its right; integer inputs and boundaries work too.
    assert Discretization(bin_boundaries=[1, 3])(torch.tensor([0, 1, 2, 3, 4])).tolist() == [0, 1, 1, 2, 2]
    assert Discretization(bin_boundaries=[])(torch.tensor([-5.0, 5.0])).tolist() == [0, 0]


def test_dtypes():
    x = torch.tensor([[0.1, 0.5]], dtype=torch.float64)
    # Floating inputs are bucketed in float32 (floatx), whatever the policy: 0.1 equals float32(0.1).
    assert Discretization(bin_boundaries=[0.1], dtype="float64")(x).tolist() == [[1, 1]]
    assert Discretization(bin_boundaries=[0.1], dtype="float64")(x).dtype == torch.int32
    assert Discretization(bin_boundaries=[0.1], output_mode="one_hot", dtype="float64")(x).dtype == torch.float64
    mixed = Discretization(bin_boundaries=[0.1], output_mode="count", dtype="mixed_float16")
    assert mixed(x).dtype == torch.float16
    assert mixed.get_config()["dtype"] == "float32"  # Keras writes the variable dtype


def test_no_weights_and_device_buffer():
    layer = Discretization(bin_boundaries=[0.0, 1.0])
    layer(torch.zeros(2, 2))
    assert layer.weights == [] and list(layer.state_dict()) == []
    layer.bin_boundaries = [5.0]  # Keras's from_config sets them like this
    assert layer(torch.tensor([4.0, 6.0])).tolist() == [0, 1]


def test_config_after_adapt():
    layer = Discretization(num_bins=3, epsilon=0.05, output_mode="one_hot", name="disc")
    assert layer.get_config() == {"bin_boundaries": None, "num_bins": 3, "epsilon": 0.05, "output_mode": "one_hot",
                                  "sparse": False, "name": "disc", "dtype": "float32"}
    layer.adapt(DATA)
    config = layer.get_config()
    assert config["num_bins"] == 3 and len(config["bin_boundaries"]) == 2
    revived = Discretization.from_config(config)
    assert revived.get_config() == config
    torch.testing.assert_close(revived(DATA), layer(DATA))


def test_functional_model():
    inputs = torchkeras.Input((4,))
    layer = Discretization(num_bins=4, output_mode="count", name="disc")
    layer.adapt(DATA)
    out = layer(inputs)
    assert (out.shape, out.dtype) == ((None, 4), "float32")
    assert Discretization(bin_boundaries=[0.0])(inputs).dtype == "int32"
    model = torchkeras.Model(inputs, out)
    revived = torchkeras.Model.from_config(model.get_config())
    torch.testing.assert_close(revived(DATA), model(DATA))
    assert revived.get_layer("disc").bin_boundaries == layer.bin_boundaries


def test_errors():
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()
    with pytest.raises(ValueError, match="should not be set"):
        Discretization(num_bins=3, bin_boundaries=[0.0])
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="output_mode"):
        Discretization(num_bins=2, output_mode="tf_idf")
    with pytest.raises(ValueError, match="sparse=True"):
        Discretization(num_bins=2, sparse=True)
    with pytest.raises(ValueError, match="increasing order"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="list of numbers"):
        Discretization(bin_boundaries=["a"])
    with pytest.raises(ValueError, match="epsilon"):
        Discretization(num_bins=2, epsilon=0)
    with pytest.raises(TypeError):
        Discretization(num_bins=2, trainable=False)  # not an argument of Keras's Discretization either
    with pytest.raises(ValueError, match="use `num_bins` instead"):
        Discretization(bin_boundaries=[0.0]).adapt(DATA)
    with pytest.raises(ValueError, match="num_bins` >= 1"):
        Discretization(num_bins=0).adapt(DATA)
    with pytest.raises(ValueError, match="call `adapt"):
        Discretization(num_bins=3)(torch.zeros(2))
    with pytest.raises(TypeError, match="expects numbers"):
        Discretization(num_bins=3).adapt([{"a": 1}])
