"""The layers defined by Keras's application modules (`keras.applications.convnext`,
`keras.applications.inception_resnet_v2`): the layer contract, golden values, the configs Keras writes
for them (module path and registered name) and StochasticDepth's training behaviour.

torch only; `parity/applications/` compares whole application models against real Keras."""

import json

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.applications import CustomScaleLayer, LayerScale, StochasticDepth
from torchkeras.saving import serialization
from torchkeras.testing import run_layer_test

CONVNEXT = "keras.src.applications.convnext"
INCEPTION_RESNET_V2 = "keras.src.applications.inception_resnet_v2"


# ------------------------------------------------------------------------------------------ contract


@pytest.mark.parametrize("input_shape", [(2, 4), (2, 3, 5, 4)])
def test_layer_scale_contract(input_shape):
    run_layer_test(LayerScale, {"init_values": 0.5, "projection_dim": 4}, input_shape=input_shape,
                   expected_output_shape=input_shape, expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=0, supports_masking=False)


@pytest.mark.parametrize("rate", [0.0, 0.25])
def test_stochastic_depth_contract(rate):
    run_layer_test(StochasticDepth, {"drop_path_rate": rate}, input_shape=(3, 2, 2, 4),
                   expected_output_shape=(3, 2, 2, 4), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=False)


@pytest.mark.parametrize("input_shape, output_shape", [
    ([(2, 3, 3, 4), (2, 3, 3, 4)], (2, 3, 3, 4)),
    ([(2, 5), (2, 5)], (2, 5)),
])
def test_custom_scale_layer_contract(input_shape, output_shape):
    run_layer_test(CustomScaleLayer, {"scale": 0.17}, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)


# ---------------------------------------------------------------------------------------- golden values


def test_layer_scale_weight_and_values():
    layer = LayerScale(0.25, 3, name="scale")
    x = torch.tensor([[1.0, -2.0, 4.0], [8.0, 0.5, -1.0]])
    torch.testing.assert_close(layer(x), x * 0.25)
    (gamma,) = layer.weights
    assert tuple(gamma.shape) == (3,) and gamma.trainable
    assert gamma.path == f"scale/{gamma.name}" and gamma.name.startswith("variable")  # unnamed, as in Keras
    assert list(layer.state_dict()) == ["gamma"]
    layer.set_weights([np.array([1.0, 2.0, 3.0], np.float32)])
    torch.testing.assert_close(layer(x), torch.tensor([[1.0, -4.0, 12.0], [8.0, 1.0, -3.0]]))
    # The gradient of sum(x * gamma) with respect to gamma is the column sum of x.
    layer(x).sum().backward()
    torch.testing.assert_close(layer.gamma.grad, torch.tensor([9.0, -1.5, 3.0]))


def test_layer_scale_broadcasts_a_size_one_last_axis_and_rejects_others():
    layer = LayerScale(2.0, 3)
    torch.testing.assert_close(layer(torch.ones(2, 1)), torch.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="projection_dim=3"):
        LayerScale(2.0, 3)(torch.ones(2, 4))
    with pytest.raises(ValueError, match="projection_dim=3"):
        LayerScale(2.0, 3)(torchkeras.Input((5, 4)))


def test_custom_scale_layer_values():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = torch.tensor([[10.0, -10.0], [0.5, 2.0]])
    torch.testing.assert_close(CustomScaleLayer(0.1)([a, b]), torch.tensor([[2.0, 1.0], [3.05, 4.2]]))
    torch.testing.assert_close(CustomScaleLayer(1.0)((a, b)), a + b)


def test_mixed_policy_outputs_compute_dtype():
    x = torch.randn(2, 4)
    out = LayerScale(0.5, 4, dtype="mixed_float16")(x)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out.float(), x * 0.5, atol=1e-3, rtol=1e-3)
    layer = LayerScale(0.5, 4, dtype="mixed_float16")
    layer.build((None, 4))
    assert layer.weights[0].dtype == "float32"


# -------------------------------------------------------------------------------------- configs


def test_configs_are_keras_configs():
    base = {"trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                         "config": {"name": "float32"}, "registered_name": None}}
    assert LayerScale(1e-6, 8, name="ls").get_config() == dict(
        base, name="ls", init_values=1e-6, projection_dim=8)
    assert StochasticDepth(0.1, name="sd").get_config() == dict(base, name="sd", drop_path_rate=0.1)
    assert CustomScaleLayer(0.17, name="cs").get_config() == dict(base, name="cs", scale=0.17)


@pytest.mark.parametrize("layer, module", [
    (LayerScale(1e-6, 8), CONVNEXT),
    (StochasticDepth(0.1), CONVNEXT),
    (CustomScaleLayer(0.2), INCEPTION_RESNET_V2),
])
def test_serialized_by_keras_module_path(layer, module):
    serialized = serialization.serialize_keras_object(layer)
    class_name = type(layer).__name__
    assert (serialized["module"], serialized["class_name"], serialized["registered_name"]) == (
        module, class_name, class_name)
    revived = serialization.deserialize_keras_object(serialized)
    assert type(revived) is type(layer) and revived.get_config() == layer.get_config()


def test_deserializes_a_keras_written_entry():
    # The entry as Keras 3 writes it in an archive's config.json (ConvNeXt's first block).
    entry = {"module": CONVNEXT, "class_name": "LayerScale", "registered_name": "LayerScale",
             "config": {"name": "convnext_tiny_stage_0_block_0_layer_scale", "trainable": True,
                        "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                  "config": {"name": "float32"}, "registered_name": None},
                        "init_values": 1e-06, "projection_dim": 96},
             "build_config": {"input_shape": [None, 8, 8, 96]}}
    layer = serialization.deserialize_keras_object(entry)
    assert isinstance(layer, LayerScale) and layer.built
    assert layer.name == "convnext_tiny_stage_0_block_0_layer_scale"
    torch.testing.assert_close(layer.gamma.detach(), torch.full((96,), 1e-6))


def test_functional_model_archive_round_trip(tmp_path):
    inputs = torchkeras.Input((4, 4, 6))
    x = torchkeras.layers.Dense(6)(inputs)
    x = LayerScale(0.5, 6)(x)
    x = StochasticDepth(0.2)(x)
    outputs = CustomScaleLayer(0.3)([inputs, x])
    model = torchkeras.Model(inputs, outputs)
    model.layers[2].set_weights([np.linspace(-1, 1, 6).astype(np.float32)])
    path = tmp_path / "m.keras"
    model.save(str(path))
    loaded = torchkeras.saving.load_model(str(path))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    # As JSON: build configs read back from config.json as lists, as in Keras.
    assert json.loads(json.dumps(loaded.get_config())) == json.loads(json.dumps(model.get_config()))
    x = torch.randn(3, 4, 4, 6)
    model.eval(), loaded.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


# ---------------------------------------------------------------------------------- StochasticDepth


def test_stochastic_depth_is_identity_at_inference():
    x = torch.randn(4, 3, 3, 2)
    layer = StochasticDepth(0.9)
    assert layer(x) is x
    assert layer(x, training=False) is x
    torch.testing.assert_close(StochasticDepth(0.0)(x, training=True), x)


def test_stochastic_depth_drops_whole_samples_in_training():
    torch.manual_seed(0)
    rate = 0.3
    x = torch.rand(4000, 2, 3) + 1.0  # no zeros of its own
    out = StochasticDepth(rate)(x, training=True)
    dropped = (out == 0).flatten(1).all(dim=1)
    kept = ~dropped
    # Each sample is either zeroed everywhere or kept everywhere, scaled by 1 / (1 - rate).
    assert torch.equal(dropped | kept, torch.ones(4000, dtype=torch.bool))
    assert not (out == 0).flatten(1).any(dim=1)[kept].any()
    torch.testing.assert_close(out[kept], x[kept] / (1 - rate))
    # The drop fraction is the rate (binomial std over 4000 samples is about 0.007).
    assert abs(dropped.float().mean().item() - rate) < 0.03
    # torch's global RNG drives it: the same seed gives the same paths.
    torch.manual_seed(5)
    first = StochasticDepth(rate)(x, training=True)
    torch.manual_seed(5)
    torch.testing.assert_close(StochasticDepth(rate)(x, training=True), first)


def test_stochastic_depth_follows_the_model_training_flag():
    torch.manual_seed(1)
    inputs = torchkeras.Input((3,))
    model = torchkeras.Model(inputs, StochasticDepth(0.5)(inputs))
    x = torch.ones(256, 3)
    assert torch.equal(model(x), x)
    out = model(x, training=True)
    assert set(out.unique().tolist()) == {0.0, 2.0}


def test_stochastic_depth_gradient_is_masked():
    torch.manual_seed(2)
    x = torch.ones(64, 5, requires_grad=True)
    out = StochasticDepth(0.5)(x, training=True)
    out.sum().backward()
    torch.testing.assert_close(x.grad, out.detach())  # d out / d x is the mask / keep_prob


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.1", True, None])
def test_stochastic_depth_rejects_bad_rates(rate):
    with pytest.raises(ValueError, match=r"drop_path_rate.*\[0, 1\)"):
        StochasticDepth(rate)


@pytest.mark.parametrize("projection_dim", [0, -3, 2.5, "8", True, None])
def test_layer_scale_rejects_bad_projection_dims(projection_dim):
    with pytest.raises(ValueError, match="projection_dim"):
        LayerScale(0.1, projection_dim)


@pytest.mark.parametrize("kwargs", [{"init_values": "big", "projection_dim": 3},
                                    {"init_values": None, "projection_dim": 3}])
def test_layer_scale_rejects_bad_init_values(kwargs):
    with pytest.raises(TypeError, match="init_values"):
        LayerScale(**kwargs)


def test_custom_scale_layer_rejects_bad_arguments():
    with pytest.raises(TypeError, match="scale"):
        CustomScaleLayer("0.1")
    with pytest.raises(ValueError, match="list of two"):
        CustomScaleLayer(0.1)(torch.ones(2, 3))
    with pytest.raises(ValueError, match="list of two"):
        CustomScaleLayer(0.1)([torch.ones(2, 3)] * 3)
    with pytest.raises(ValueError, match="do not broadcast"):
        CustomScaleLayer(0.1)([torchkeras.Input((3,)), torchkeras.Input((4,))])


def test_stochastic_depth_builds_on_its_first_call_and_records_no_training_default():
    # As in Keras: built (with a build config) on its first call, unlike Dropout; `training` defaults
    # to None, so a functional config records no `training` argument for it.
    layer = StochasticDepth(0.1)
    assert not layer.built
    inputs = torchkeras.Input((3, 5))
    model = torchkeras.Model(inputs, layer(inputs))
    assert layer.built and layer.get_build_config() == {"input_shape": (None, 3, 5)}
    (entry,) = [e for e in model.get_config()["layers"] if e["class_name"] == "StochasticDepth"]
    assert entry["inbound_nodes"][0]["kwargs"] == {}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_stochastic_depth_keeps_the_input_dtype_in_training(dtype):
    torch.manual_seed(3)
    x = torch.ones(64, 3, dtype=getattr(torch, dtype))
    out = StochasticDepth(0.5, dtype=dtype)(x, training=True)
    assert out.dtype == x.dtype and set(out.unique().tolist()) == {0.0, 2.0}


def test_model_compiles_without_graph_breaks():
    inputs = torchkeras.Input((4, 4, 6))
    x = torchkeras.layers.Dense(6)(inputs)
    x = LayerScale(0.5, 6)(x)
    x = StochasticDepth(0.2)(x)
    model = torchkeras.Model(inputs, CustomScaleLayer(0.3)([inputs, x]))
    model.eval()
    x = torch.randn(2, 4, 4, 6)
    compiled = torch.compile(model, backend="eager", fullgraph=True)  # fullgraph: a graph break raises
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))
    torch.manual_seed(0)
    out = torch.compile(StochasticDepth(0.5), backend="eager", fullgraph=True)(torch.ones(256, 2), training=True)
    assert set(out.unique().tolist()) == {0.0, 2.0}


def test_a_users_unregistered_class_of_the_same_name_is_not_taken_for_keras_s():
    # Keras writes `module: None` for a class defined in a script: only `custom_objects` can supply it.
    config = {"module": None, "class_name": "LayerScale", "registered_name": None,
              "config": {"init_values": 0.1, "projection_dim": 4, "name": "mine"}}
    with pytest.raises(TypeError, match="Could not locate class 'LayerScale'"):
        torchkeras.saving.deserialize_keras_object(config)
