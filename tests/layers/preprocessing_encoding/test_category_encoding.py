"""CategoryEncoding: contract, the golden examples of Keras's docstring, Keras's rank rules, count weights,
dtypes, the functional API, config, and the errors users meet."""

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.layers.preprocessing.category_encoding import CategoryEncoding
from torchkeras.testing import run_layer_test


@pytest.mark.parametrize("mode, input_shape, output_shape", [
    ("one_hot", (3,), (3, 10)),
    ("one_hot", (3, 1), (3, 10)),
    ("one_hot", (2, 4), (2, 4, 10)),
    ("multi_hot", (2, 4), (2, 10)),
    ("count", (2, 4), (2, 10)),
])
def test_contract(mode, input_shape, output_shape):
    run_layer_test(CategoryEncoding, {"num_tokens": 10, "output_mode": mode}, input_shape=input_shape,
                   input_dtype="int64", expected_output_shape=output_shape, expected_output_dtype="float32",
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_golden_docstring_examples():
    one_hot = CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot([3, 2, 0, 1]).numpy(), np.eye(4)[[3, 2, 0, 1]])
    multi_hot = CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    np.testing.assert_array_equal(multi_hot([[0, 1], [0, 0], [1, 2], [3, 1]]).numpy(),
                                  [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    count = CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(count([[0, 1], [0, 0], [1, 2], [3, 1]], count_weights=weights).numpy(),
                               [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]], rtol=1e-6)
    np.testing.assert_array_equal(count([[0, 1, 1], [3, 3, 3]]).numpy(), [[1, 2, 0, 0], [0, 0, 0, 3]])


def test_rank_rules():
    layer = {mode: CategoryEncoding(5, output_mode=mode) for mode in ("one_hot", "multi_hot", "count")}
    scalar = torch.tensor(3)
    # A scalar is one sample of one value.
    assert layer["one_hot"](scalar).tolist() == [[0, 0, 0, 1, 0]]
    assert layer["multi_hot"](scalar).tolist() == [0, 0, 0, 1, 0]
    assert layer["count"](scalar).tolist() == [0, 0, 0, 1, 0]
    # A 1-D input is one sample for multi_hot / count, a batch of values for one_hot.
    assert layer["count"](torch.tensor([1, 1, 4])).tolist() == [0, 2, 0, 0, 1]
    assert layer["one_hot"](torch.tensor([1, 4])).shape == (2, 5)
    # one_hot encodes on a last axis of size 1, appends an axis otherwise (any rank).
    assert layer["one_hot"](torch.zeros(2, 3, 1, dtype=torch.int64)).shape == (2, 3, 5)
    assert layer["one_hot"](torch.zeros(2, 3, 2, dtype=torch.int64)).shape == (2, 3, 2, 5)
    # multi_hot / count of rank-3 inputs reduce axis 1, as Keras's call does.
    x = torch.tensor([[[0, 1], [2, 1], [2, 1]]])  # (1, 3, 2)
    counts = layer["count"](x)
    assert counts.shape == (1, 2, 5) == layer["count"].compute_output_shape((1, 3, 2))
    assert counts.tolist() == [[[1, 0, 2, 0, 0], [0, 3, 0, 0, 0]]]
    assert layer["multi_hot"](x).tolist() == [[[1, 0, 1, 0, 0], [0, 1, 0, 0, 0]]]
    for mode, shapes in {"one_hot": [((), (1, 5)), ((4,), (4, 5)), ((None, 1), (None, 5))],
                         "count": [((), (5,)), ((4,), (5,)), ((None, 3), (None, 5))]}.items():
        for input_shape, expected in shapes:
            assert layer[mode].compute_output_shape(input_shape) == expected


def test_index_values():
    layer = CategoryEncoding(4, output_mode="one_hot")
    # Negative values encode to zeros (Keras's torch backend); floats are truncated.
    assert layer(torch.tensor([-1, 2])).tolist() == [[0, 0, 0, 0], [0, 0, 1, 0]]
    assert layer(torch.tensor([2.9, 0.2])).tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
    for mode in ("one_hot", "multi_hot", "count"):
        with pytest.raises(ValueError, match=r"smaller than the number of tokens \(4\)"):
            CategoryEncoding(4, output_mode=mode)(torch.tensor([[1, 4]]))


def test_dtypes():
    x = torch.tensor([[1, 2, 2]])
    assert CategoryEncoding(3, dtype="float64")(x).dtype == torch.float64
    # The output is in the variable dtype, float32 under a mixed policy ...
    assert CategoryEncoding(3, dtype="mixed_float16")(x).dtype == torch.float32
    # ... but count weights are cast to the compute dtype, and the counts follow them.
    weighted = CategoryEncoding(3, output_mode="count", dtype="mixed_float16")(x, count_weights=[[1.0, 2.0, 3.0]])
    assert weighted.dtype == torch.float16 and weighted.tolist() == [[0.0, 1.0, 5.0]]
    # Large floating indices are not rounded through a float16 compute dtype.
    big = CategoryEncoding(3000, output_mode="one_hot", dtype="mixed_float16")(torch.tensor([2049.0]))
    assert big.argmax().item() == 2049


def test_functional_model_with_count_weights():
    ids = torchkeras.Input((3,), dtype="int32")
    weights = torchkeras.Input((3,))
    out = CategoryEncoding(4, output_mode="count", name="ce")(ids, count_weights=weights)
    assert out.shape == (None, 4)
    model = torchkeras.Model([ids, weights], out)
    result = model([torch.tensor([[1, 1, 3]], dtype=torch.int32), torch.tensor([[0.5, 0.25, 2.0]])])
    assert result.tolist() == [[0.0, 0.75, 0.0, 2.0]]
    revived = torchkeras.Model.from_config(model.get_config())
    assert revived.get_config() == model.get_config()


def test_config():
    layer = CategoryEncoding(num_tokens=6, output_mode="binary", name="ce")
    config = layer.get_config()
    assert config["num_tokens"] == 6 and config["output_mode"] == "multi_hot" and "sparse" not in config
    assert CategoryEncoding.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match=">= 1"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="integer"):
        CategoryEncoding(2.5)
    with pytest.raises(ValueError, match="output_mode"):
        CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="sparse=True"):
        CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3, output_mode="multi_hot")(torch.tensor([[1]]), count_weights=[[1.0]])
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3, output_mode="one_hot")(torchkeras.Input((2,)), count_weights=torchkeras.Input((2,)))
    with pytest.raises(ValueError, match="shape of the inputs"):
        CategoryEncoding(3, output_mode="count")(torch.tensor([[1, 2]]), count_weights=[[1.0, 2.0, 3.0]])
