"""The Layer base: lazy weights on torch's lazy modules, Keras's weight API, calls, config."""

import numpy as np
import pytest
import torch
from torch.nn.parameter import UninitializedParameter

import torchkeras as keras
from torchkeras import layers
from torchkeras.saving import deserialize_keras_object, register_keras_serializable, serialize_keras_object


class Scale(layers.Layer):
    """A user layer written the Keras way: weights only in build(), none declared."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class ResBlock(layers.Layer):
    """Seed 000: a sublayer created in build() only when the shape asks for it."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.main = layers.Dense(units)
        self.project = None

    def build(self, input_shape):
        if input_shape[-1] != self.units:
            self.project = layers.Dense(self.units, use_bias=False)

    def call(self, inputs):
        shortcut = inputs if self.project is None else self.project(inputs)
        return self.main(inputs) + shortcut


class RecordsTraining(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs


class Outer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = RecordsTraining()

    def call(self, inputs):
        return self.inner(inputs)


def test_weights_are_lazy_torch_parameters_until_the_first_call():
    dense = layers.Dense(256, activation="relu")
    assert dense.weights == [] and not dense.built
    assert isinstance(dense.kernel, UninitializedParameter) and dense.has_uninitialized_params()
    y = dense(np.random.rand(32, 784).astype("float32"))
    assert tuple(y.shape) == (32, 256) and dense.built
    assert [(w.path, w.shape, w.dtype) for w in dense.weights] == [
        (f"{dense.name}/kernel", (784, 256), "float32"), (f"{dense.name}/bias", (256,), "float32")]
    assert type(dense.kernel) is torch.nn.Parameter and not dense.has_uninitialized_params()
    assert type(dense) is layers.Dense


def test_explicit_build_and_glorot_uniform_bounds():
    torch.manual_seed(0)
    dense = layers.Dense(300)
    dense.build((None, 200))
    limit = np.sqrt(6 / (200 + 300))
    kernel = dense.kernel.detach().numpy()
    assert dense.built and kernel.shape == (200, 300)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    np.testing.assert_array_equal(dense.bias.detach().numpy(), np.zeros(300))


def test_dense_math_matches_numpy_on_rank_3_inputs():
    dense = layers.Dense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    out = dense(x).detach().numpy()
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, np.maximum(x @ kernel + bias, 0), atol=1e-6)


def test_load_state_dict_into_unbuilt_builtin_layer():
    source = layers.Dense(4)
    x = torch.randn(2, 3)
    expected = source(x)
    target = layers.Dense(4)
    target.load_state_dict(source.state_dict())
    assert tuple(target.kernel.shape) == (3, 4)  # materialised by torch's lazy load hook
    torch.testing.assert_close(target(x), expected)


def test_load_state_dict_into_unbuilt_user_layer_is_applied_at_build():
    source = Scale()
    x = torch.randn(2, 3)
    source(x)
    source.set_weights([np.array([1.0, 2.0, 3.0], "float32"), np.array(5.0, "float32")])
    target = Scale()
    result = target.load_state_dict(source.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(target(x), x * torch.tensor([1.0, 2.0, 3.0]))
    assert float(target.count) == 5.0


def test_state_dict_keys_follow_attribute_names_once():
    layer = Scale()
    layer(torch.ones(1, 2))
    assert list(layer.state_dict()) == ["w", "count"]
    assert [w.name for w in layer.weights] == ["scale", "count"]


def test_non_trainable_weights_are_buffers_carried_by_state_dict():
    layer = Scale()
    layer(torch.ones(1, 2))
    assert [w.name for w in layer.trainable_weights] == ["scale"]
    assert [w.name for w in layer.non_trainable_weights] == ["count"]
    assert "count" in dict(layer.named_buffers()) and "count" in layer.state_dict()


def test_sublayers_created_in_build_are_tracked_with_paths():
    block = ResBlock(4, name="block")
    block(torch.randn(2, 3))
    paths = [w.path for w in block.weights]
    assert paths[:2] == [f"block/{block.main.name}/kernel", f"block/{block.main.name}/bias"]
    assert paths[2] == f"block/{block.project.name}/kernel"
    assert block.count_params() == 3 * 4 + 4 + 3 * 4
    same = ResBlock(4)
    same(torch.randn(2, 4))
    assert same.project is None and len(same.weights) == 2


def test_state_dict_of_build_created_sublayer_loads_into_unbuilt_block():
    source = ResBlock(4)
    x = torch.randn(2, 3)
    expected = source(x)
    target = ResBlock(4)
    result = target.load_state_dict(source.state_dict())
    assert not result.unexpected_keys
    torch.testing.assert_close(target(x), expected)


def test_trainable_setter_freezes_recursively_and_keeps_weight_order():
    block = ResBlock(4)
    block(torch.randn(2, 3))
    order = [w.path for w in block.weights]
    assert len(block.trainable_weights) == 3
    block.main.trainable = False
    assert len(block.trainable_weights) == 1 and len(block.non_trainable_weights) == 2
    assert not block.main.kernel.requires_grad and block.project.kernel.requires_grad
    block.trainable = False
    assert block.trainable_weights == [] and not block.project.kernel.requires_grad
    assert [w.path for w in block.weights] == order
    block.trainable = True
    assert len(block.trainable_weights) == 3 and block.main.kernel.requires_grad


def test_set_weights_rejects_bad_lists_and_leaves_layer_unchanged():
    dense = layers.Dense(2)
    dense(torch.ones(1, 3))
    before = dense.get_weights()
    with pytest.raises(ValueError, match="weight list of length 1"):
        dense.set_weights([before[0]])
    with pytest.raises(ValueError, match=r"not compatible with provided weight shape \(3,\)"):
        dense.set_weights([np.ones((3, 2)), np.ones(3)])
    for a, b in zip(dense.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="list of arrays"):
        dense.set_weights(np.ones(3))


def test_count_params_of_unbuilt_layer_explains_how_to_build():
    with pytest.raises(ValueError, match="isn't built.*build"):
        layers.Dense(2).count_params()


def test_input_rank_and_size_are_checked_with_the_layer_name():
    dense = layers.Dense(3, name="head")
    with pytest.raises(ValueError, match="head.*min_ndim=2, found ndim=1"):
        dense(torch.ones(4))
    dense(torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"head.*axis -1 .* value 4.*\(2, 5\)"):
        dense(torch.ones(2, 5))


def test_inputs_may_be_numpy_arrays_python_numbers_and_lists():
    layer = Scale(factor=2.0)
    out = layer(np.array([[1.0, 2.0]], dtype="float32"))
    np.testing.assert_allclose(out.detach().numpy(), [[2.0, 4.0]])
    assert float(RecordsTraining()(3.0)) == 3.0  # a Python number becomes a float32 scalar tensor
    out = layer(np.array([[1.0, 2.0]], dtype="float64"))  # cast to the compute dtype, as in Keras
    assert out.dtype == torch.float32


def test_training_flows_to_sublayers_and_defaults_to_inference():
    outer = Outer()
    x = torch.ones(1, 2)
    outer(x)
    outer(x, training=True)
    outer.inner(x, training=False)
    assert outer.inner.seen == [False, True, False]
    outer.train()  # torch's mode is the fallback when no call says otherwise
    outer(x)
    outer.eval()
    outer(x)
    assert outer.inner.seen[-2:] == [True, False]


def test_auto_names_are_unique_per_class_and_explicit_names_kept():
    first, second = layers.Dense(1), layers.Dense(1)
    assert first.name != second.name and first.name.startswith("dense")
    assert layers.Dense(1, name="digit").name == "digit"
    assert Scale().name.startswith("scale")


def test_unknown_constructor_keyword_is_rejected():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense.*unitz"):
        layers.Dense(2, unitz=3)


def test_invalid_units_message_names_the_value():
    with pytest.raises(ValueError, match="Received: units=0"):
        layers.Dense(0)


def test_regularizer_losses():
    dense = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5), kernel_initializer="ones",
                         activity_regularizer=keras.regularizers.L1(0.1))
    out = dense(torch.ones(4, 3))
    losses = dense.losses
    assert len(losses) == 2
    values = sorted(float(v.detach()) for v in losses)
    # kernel: 0.5 * sum(1^2 over 6) = 3; activity: 0.1 * sum(|3| over 4x2) / batch 4 = 0.6
    np.testing.assert_allclose(values, [0.1 * float(out.detach().abs().sum()) / 4, 3.0], rtol=1e-6)


def test_variable_view_behaves_like_keras_and_like_a_tensor():
    dense = layers.Dense(2, kernel_initializer="ones", name="proj")
    dense(torch.ones(1, 3))
    kernel = dense.weights[0]
    assert (kernel.path, kernel.name, kernel.shape, kernel.dtype, kernel.trainable) == (
        "proj/kernel", "kernel", (3, 2), "float32", True)
    assert kernel.value is dense.kernel
    np.testing.assert_array_equal(np.asarray(kernel), np.ones((3, 2)))
    torch.testing.assert_close(torch.matmul(torch.ones(1, 3), kernel), torch.full((1, 2), 3.0))
    kernel.assign(np.full((3, 2), 2.0))
    assert float(dense.kernel.sum()) == 12.0
    with pytest.raises(ValueError, match="Cannot assign a value of shape"):
        kernel.assign(np.ones(3))
    assert "proj/kernel" in repr(kernel)


def test_config_round_trip_and_registered_user_layer():
    registered = register_keras_serializable(package="Tests")(Scale)
    layer = registered(factor=3.0, name="s")
    config = serialize_keras_object(layer)
    assert config["registered_name"] == "Tests>Scale"
    revived = deserialize_keras_object(config)
    assert type(revived) is Scale and revived.factor == 3.0 and revived.name == "s"


def test_compute_output_shape_without_a_formula_runs_on_meta_tensors():
    block = ResBlock(5)
    block.build((None, 3))
    assert block.compute_output_shape((None, 3)) == (None, 5)
    assert block.main.built  # the default build ran `call` on shapes to build sublayers
    assert all(w.value.device.type == "cpu" for w in block.weights)


def test_plain_torch_tools_work_on_a_built_layer():
    dense = layers.Dense(4, activation="relu")
    x = torch.randn(3, 5)
    dense(x)
    explanation = torch._dynamo.explain(dense)(x)
    assert explanation.graph_break_count == 0
    exported = torch.export.export(dense, (x,))
    torch.testing.assert_close(exported.module()(x), dense(x))


def test_activity_loss_is_normalised_by_batch_size_and_safe_on_edge_cases():
    layer = layers.ActivityRegularization(l1=0.1)
    layer(torch.zeros(0, 3))
    assert [float(v) for v in layer.losses] == [0.0]
    layer(torch.tensor(2.0))
    np.testing.assert_allclose([float(v) for v in layer.losses], [0.2], rtol=1e-6)
    layer(torch.full((4, 2), -1.0))
    np.testing.assert_allclose([float(v) for v in layer.losses], [0.1 * 8 / 4], rtol=1e-6)


def test_image_data_format_default_and_validation():
    assert keras.backend.image_data_format() == "channels_last"
    assert keras.backend.standardize_data_format("Channels_First") == "channels_first"
    with pytest.raises(ValueError, match="Received: data_format=nchw"):
        keras.backend.standardize_data_format("nchw")


class Doubles(layers.Layer):
    def call(self, inputs):
        return inputs * 2


class Triples(Doubles):
    def call(self, inputs):
        return inputs * 3


class TorchStyle(layers.Layer):
    def forward(self, inputs):
        return inputs + 1


class TorchStyleChild(TorchStyle):
    def call(self, inputs):  # never reached: the parent's torch-style forward is what runs
        return inputs * 100


def test_the_most_derived_call_runs_and_torch_style_forward_is_respected():
    x = torch.ones(1, 2)
    assert float(Doubles()(x).sum()) == 4.0
    assert float(Triples()(x).sum()) == 6.0
    assert float(TorchStyle()(x).sum()) == 4.0
    assert float(TorchStyleChild()(x).sum()) == 4.0


def test_building_a_built_layer_again_creates_no_second_set_of_weights():
    dense = layers.Dense(3)
    dense.build((None, 4))
    kernel = dense.kernel
    dense.build((None, 4))
    assert dense.kernel is kernel and len(dense.weights) == 2 and list(dense.state_dict()) == ["kernel", "bias"]


def test_unnamed_weights_in_one_build_stay_distinct():
    class TwoUnnamed(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(2,), initializer="zeros")
            self.b = self.add_weight(shape=(2,), initializer="ones")

        def call(self, inputs):
            return inputs + self.a + self.b

    layer = TwoUnnamed()
    layer(torch.zeros(1, 2))
    assert [w.name for w in layer.weights] == ["variable", "variable"]
    assert list(layer.state_dict()) == ["a", "b"]
    assert float(layer(torch.zeros(1, 2)).sum()) == 2.0


def test_get_weights_returns_copies_not_views_of_the_live_weights():
    dense = layers.Dense(2)
    dense.build((None, 3))
    snapshot = dense.get_weights()[0]
    before = snapshot.copy()
    with torch.no_grad():
        dense.kernel.add_(1.0)
    np.testing.assert_array_equal(snapshot, before)


def test_bfloat16_weights_come_out_as_numpy_arrays_and_go_back_in():
    # numpy has no bfloat16: as in Keras, the arrays use ml_dtypes' (float32 without ml_dtypes).
    layer = keras.layers.Dense(3, dtype="bfloat16")
    layer.build((None, 4))
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(4, 3), (3,)]
    other = keras.layers.Dense(3, dtype="bfloat16")
    other.build((None, 4))
    other.set_weights(weights)
    assert torch.equal(other.kernel, layer.kernel) and other.kernel.dtype == torch.bfloat16
