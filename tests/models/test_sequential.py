"""Sequential: seed 001's MLP, lazy and eager building, list-like editing, state, predict."""

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers


def make_mlp(name="mlp_sequential"):
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(256, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name=name,
    )


def test_seed_mlp_builds_at_once_with_keras_parameter_counts():
    model = make_mlp()
    assert model.built and len(model.layers) == 3
    assert [layer.count_params() for layer in model.layers] == [200_960, 16_448, 650]
    assert model.count_params() == 218_058
    assert len(model.weights) == 6 and len(model.trainable_weights) == 6
    assert model.weights[0].path == f"mlp_sequential/{model.layers[0].name}/kernel"
    assert model.output_shape == (None, 10) and model.input_shape == (None, 784)
    probabilities = model(np.random.rand(5, 784).astype("float32"))
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(5))


def test_freezing_a_layer_moves_its_weights():
    model = make_mlp()
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model.layers[0].trainable = True
    assert len(model.trainable_weights) == 6


def test_unbuilt_sequential_explains_how_to_build():
    model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not model.built and model.weights == []
    with pytest.raises(ValueError, match="not yet been built.*build"):
        model.summary()
    with pytest.raises(ValueError, match="isn't built.*build"):
        model.count_params()
    with pytest.raises(ValueError, match="must provide an `input_shape`"):
        model.build()
    with pytest.raises(ValueError, match="tuple of integers"):
        model.build(784)


def test_explicit_build_like_seed_002():
    model = keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    model.build(input_shape=(None, 784))
    assert model.built and model.count_params() == 784 * 512 + 512 + 512 * 10 + 10
    assert model.get_config()["layers"][0]["class_name"] == "InputLayer"


def test_lazy_sequential_builds_on_first_call_for_any_batch_size():
    model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    assert tuple(model(torch.randn(7, 3)).shape) == (7, 2)
    assert model.built and model.input_shape == (None, 3)
    assert tuple(model(torch.randn(2, 3)).shape) == (2, 2)


def test_pop_and_add_like_a_list():
    model = make_mlp()
    head = model.pop()
    assert isinstance(head, layers.Dense) and len(model.layers) == 2 and model.output_shape == (None, 64)
    model.add(layers.Dense(10, activation="softmax"))
    assert len(model.layers) == 3 and model.layers[-1].built and model.count_params() == 218_058
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        model.add(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(3, name=model.layers[0].name))
    with pytest.raises(ValueError, match="no layers"):
        keras.Sequential().pop()


def test_legacy_input_shape_argument_on_the_first_layer():
    model = keras.Sequential([layers.Dense(8, input_shape=(3,)), layers.Dense(1)])
    assert model.built and model.input_shape == (None, 3)


def test_shape_errors_name_the_layer_when_building():
    with pytest.raises(ValueError, match=r"Layer 'bad_reshape'.*cannot take inputs of shape \(None, 4, 2\)"):
        keras.Sequential([keras.Input(shape=(4, 2)), _NeedsRank2(name="bad_reshape")])


class _NeedsRank2(layers.Layer):
    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], 3)


def test_state_dict_keys_do_not_depend_on_auto_names():
    first, second = make_mlp("a"), make_mlp("b")
    assert [layer.name for layer in first.layers] != [layer.name for layer in second.layers]
    assert list(first.state_dict()) == list(second.state_dict()) == [
        "0.kernel", "0.bias", "1.kernel", "1.bias", "2.kernel", "2.bias"]
    second.load_state_dict(first.state_dict())
    x = torch.randn(3, 784)
    torch.testing.assert_close(first(x), second(x))


def test_state_dict_loads_into_an_unbuilt_lazy_sequential():
    source = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    x = torch.randn(3, 5)
    expected = source(x)
    target = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    target.load_state_dict(source.state_dict())
    torch.testing.assert_close(target(x), expected)


def test_get_and_set_weights_between_models():
    source, target = make_mlp("src"), make_mlp("dst")
    target.set_weights(source.get_weights())
    x = np.random.rand(4, 784).astype("float32")
    np.testing.assert_array_equal(source.predict(x, verbose=0), target.predict(x, verbose=0))


def test_get_layer_by_name_and_index():
    model = make_mlp()
    first = model.layers[0]
    assert model.get_layer(first.name) is first and model.get_layer(index=-1) is model.layers[-1]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 7"):
        model.get_layer(index=7)
    with pytest.raises(ValueError, match="either a layer name or layer index"):
        model.get_layer()


def test_predict_batches_returns_numpy_in_inference_mode():
    model = make_mlp()
    x = np.random.rand(70, 784).astype("float32")
    out = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 10)
    with torch.no_grad():
        np.testing.assert_allclose(out, model(torch.from_numpy(x)).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        model.predict(x, batch_size=0)


def test_config_round_trip_rebuilds_the_same_architecture():
    model = make_mlp()
    clone = keras.Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config() and clone.built
    clone.set_weights(model.get_weights())
    x = torch.randn(2, 784)
    torch.testing.assert_close(clone(x), model(x))


def test_compiled_training_step_has_no_graph_breaks():
    model = make_mlp()
    x, y = torch.randn(8, 784), torch.randint(0, 10, (8,))

    def train_step(x, y):
        probabilities = model(x, training=True)
        loss = torch.nn.functional.nll_loss(torch.log(probabilities), y)
        loss.backward()
        return loss

    explanation = torch._dynamo.explain(train_step)(x, y)
    assert explanation.graph_break_count == 0
    assert all(w.value.grad is not None for w in model.trainable_weights)


def test_deepcopy_and_torch_save_of_a_whole_model():
    import copy
    import io

    model = make_mlp()
    x = torch.randn(2, 784)
    clone = copy.deepcopy(model)
    torch.testing.assert_close(clone(x), model(x))
    assert clone.layers[0].kernel is not model.layers[0].kernel
    assert clone.weights[0].value is clone.layers[0].kernel
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(restored(x), model(x))
    with pytest.raises(ValueError, match="axis -1"):
        restored(torch.randn(2, 5))
