"""Dtype policies on torch.autocast: mixed policies compute in half precision with float32 variables, a
plain-policy layer inside a mixed one runs with autocast off, and float32 models never touch autocast."""

import pytest
import torch

import torchkeras as keras
from torchkeras import dtype_policies, layers

MIXED = ["mixed_float16", "mixed_bfloat16"]
HALF = {"mixed_float16": torch.float16, "mixed_bfloat16": torch.bfloat16}


@pytest.fixture(autouse=True)
def float32_afterwards():
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


class AutocastProbe(layers.Layer):
    """Records whether autocast was on, and the dtype its input arrived in, when it ran."""

    def call(self, inputs):
        self.autocast_enabled = torch.is_autocast_enabled("cpu")
        self.input_dtype_seen = inputs.dtype
        return inputs * 2.0


def test_seed_mixed_precision_model():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ], name="mlp_mixed")
    first = model.layers[0]
    assert repr(first.dtype_policy) == '<DTypePolicy "mixed_float16">'
    assert first.variable_dtype == "float32" and first.compute_dtype == "float16"
    assert first.dtype == "float32"  # Keras: a layer's `dtype` is its variable dtype
    assert model.layers[-1].compute_dtype == "float32"
    assert {w.dtype for w in model.weights} == {"float32"}
    assert all(p.dtype == torch.float32 for p in model.parameters())

    hidden = []
    model.layers[1].register_forward_hook(lambda module, args, out: hidden.append(out.dtype))
    outputs = model(torch.randn(3, 784))
    assert hidden == [torch.float16]
    assert outputs.dtype == torch.float32
    torch.testing.assert_close(outputs.sum(-1), torch.ones(3))

    keras.mixed_precision.set_global_policy("float32")
    assert keras.mixed_precision.global_policy().name == "float32"
    assert layers.Dense(2).dtype_policy.name == "float32"


@pytest.mark.parametrize("policy", MIXED)
@pytest.mark.parametrize("make, shape", [
    (lambda p: layers.Dense(4, dtype=p), (2, 8)),
    (lambda p: layers.Conv2D(3, 3, dtype=p), (1, 6, 6, 2)),
    (lambda p: layers.LSTM(3, dtype=p), (2, 5, 4)),
    (lambda p: layers.GRU(3, dtype=p), (2, 5, 4)),
    (lambda p: layers.BatchNormalization(dtype=p), (4, 8)),
    (lambda p: layers.LayerNormalization(dtype=p), (4, 8)),
    (lambda p: layers.GroupNormalization(groups=2, dtype=p), (4, 8)),
    (lambda p: layers.RMSNormalization(dtype=p), (4, 8)),
    (lambda p: layers.Softmax(dtype=p), (4, 8)),
    (lambda p: layers.Embedding(10, 4, dtype=p), None),
], ids=["dense", "conv2d", "lstm", "gru", "batch_norm", "layer_norm", "group_norm", "rms_norm", "softmax",
        "embedding"])
def test_mixed_layers_compute_in_half_precision_with_float32_weights(make, shape, policy):
    layer = make(policy)
    x = torch.randint(0, 10, (2, 3)) if shape is None else torch.randn(shape)
    outputs = layer(x)
    assert outputs.dtype == HALF[policy]
    assert all(p.dtype == torch.float32 for p in layer.parameters())
    assert torch.isfinite(outputs.float()).all()


@pytest.mark.parametrize("policy", MIXED)
def test_multi_head_attention_under_mixed_policy_eager_and_symbolic(policy):
    keras.mixed_precision.set_global_policy(policy)
    inputs = keras.Input((5, 8))
    symbolic = layers.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)
    assert symbolic.dtype == policy.removeprefix("mixed_")
    model = keras.Model(inputs, symbolic)
    outputs = model(torch.randn(2, 5, 8))
    assert outputs.dtype == HALF[policy]
    assert outputs.shape == (2, 5, 8)


def test_float32_layer_inside_mixed_layer_runs_without_autocast():
    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mixed_probe = AutocastProbe(dtype="mixed_bfloat16")
            self.plain_probe = AutocastProbe(dtype="float32")

        def call(self, inputs):
            self.autocast_enabled = torch.is_autocast_enabled("cpu")
            return self.plain_probe(self.mixed_probe(inputs))

    outer = Outer(dtype="mixed_bfloat16")
    outputs = outer(torch.randn(2, 3))
    assert outer.autocast_enabled and outer.mixed_probe.autocast_enabled
    assert outer.mixed_probe.input_dtype_seen == torch.bfloat16
    assert not outer.plain_probe.autocast_enabled
    assert outer.plain_probe.input_dtype_seen == torch.float32
    # A custom layer hands back its compute dtype, as Keras does.
    assert outputs.dtype == torch.bfloat16
    assert dtype_policies.AUTOCAST_STATE.current is None
    assert not torch.is_autocast_enabled("cpu")


def test_autocast_state_restored_after_an_error():
    class Failing(layers.Layer):
        def call(self, inputs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        Failing(dtype="mixed_bfloat16")(torch.randn(2, 3))
    assert dtype_policies.AUTOCAST_STATE.current is None
    assert not torch.is_autocast_enabled("cpu")


def test_float32_models_never_enter_the_autocast_path(monkeypatch):
    inputs = keras.Input((4,))
    outputs = layers.Dense(2)(layers.Dense(3, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)
    sequential = keras.Sequential([layers.Dense(3), AutocastProbe()])
    sequential(torch.randn(1, 4))

    def fail(*args, **kwargs):
        raise AssertionError("the float32 hot path entered the autocast path")

    monkeypatch.setattr(dtype_policies, "call_under_policy", fail)
    assert model(torch.randn(2, 4)).dtype == torch.float32
    assert sequential(torch.randn(2, 4)).dtype == torch.float32
    # A user's own torch.autocast around a float32 model is left alone.
    with torch.autocast("cpu", dtype=torch.bfloat16):
        sequential(torch.randn(2, 4))
    assert sequential.layers[-1].autocast_enabled


def test_functional_fast_path_under_mixed_policies():
    inputs = keras.Input((6,))
    hidden = layers.Dense(5, activation="relu", dtype="mixed_bfloat16")(inputs)
    head = layers.Dense(3, dtype="float32")
    model = keras.Model(inputs, head(layers.Dense(4, dtype="float32")(hidden)))
    assert model.layers[1] not in model._direct_layers  # mixed: must go through Layer.__call__
    x = torch.randn(2, 6)
    expected = model.layers[3](model.layers[2](model.layers[1](x)))
    torch.testing.assert_close(model(x), expected)

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = keras.Input((6,))
    probe = AutocastProbe(dtype="float32")
    mixed_model = keras.Model(inputs, probe(layers.Dense(4)(inputs)))
    assert mixed_model._direct_layers == ()
    outputs = mixed_model(x)
    assert not probe.autocast_enabled and probe.input_dtype_seen == torch.float32
    assert outputs.dtype == torch.float32  # a model returns what its last layer produced


def test_policy_change_after_wiring_is_honoured():
    inputs = keras.Input((6,))
    dense = layers.Dense(4)
    model = keras.Model(inputs, dense(inputs))
    x = torch.randn(2, 6)
    assert model(x).dtype == torch.float32
    dense.dtype_policy = "mixed_bfloat16"
    assert model(x).dtype == torch.bfloat16


@pytest.mark.parametrize("policy", MIXED)
def test_gradients_reach_float32_weights(policy):
    model = keras.Sequential([layers.Dense(8, activation="relu", dtype=policy),
                              layers.Dense(2, dtype="float32")])
    loss = model(torch.randn(4, 3)).square().mean()
    loss.backward()
    for p in model.parameters():
        assert p.dtype == torch.float32 and p.grad is not None and p.grad.dtype == torch.float32
        assert torch.isfinite(p.grad).all()


def test_batch_normalization_statistics_in_float32_under_mixed_float16():
    layer = layers.BatchNormalization(momentum=0.0, dtype="mixed_float16")
    x = (torch.randn(64, 4) * 300 + 1000)  # the variance overflows float16
    layer(x, training=True)
    x16 = x.half().float()
    torch.testing.assert_close(layer.moving_mean, x16.mean(0))
    torch.testing.assert_close(layer.moving_variance, x16.var(0, unbiased=False), rtol=1e-4, atol=1e-2)
    assert layer.moving_mean.dtype == torch.float32


def test_policy_names_and_errors():
    for name, compute in [("float32", "float32"), ("float16", "float16"), ("bfloat16", "bfloat16"),
                          ("float64", "float64"), ("mixed_float16", "float16"),
                          ("mixed_bfloat16", "bfloat16")]:
        policy = keras.DTypePolicy(name)
        assert (policy.name, policy.compute_dtype) == (name, compute)
        assert policy.variable_dtype == ("float32" if name.startswith("mixed") else compute)
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        keras.DTypePolicy("mixed_float8")
    with pytest.raises(ValueError, match="mixed_float16"):
        layers.Dense(2, dtype="int32")
    with pytest.raises(ValueError, match="float32"):
        keras.mixed_precision.set_global_policy("float31")
    assert keras.mixed_precision.global_policy().name == "float32"  # a failed set changes nothing


def test_global_policy_entry_points():
    assert keras.mixed_precision.Policy is keras.DTypePolicy
    assert keras.mixed_precision.DTypePolicy is keras.DTypePolicy
    keras.config.set_dtype_policy("mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "mixed_bfloat16"
    dense = layers.Dense(2)
    assert (dense.dtype_policy.name, dense.compute_dtype, dense.variable_dtype) == (
        "mixed_bfloat16", "bfloat16", "float32")
    keras.config.set_dtype_policy(keras.DTypePolicy("float32"))
    assert layers.Dense(2).dtype_policy.name == "float32"


@pytest.mark.parametrize("dtype", ["mixed_float16", keras.DTypePolicy("mixed_bfloat16"), torch.float64])
def test_policy_in_config_round_trip(dtype):
    layer = layers.Dense(2, dtype=dtype)
    config = layer.get_config()
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                               "config": {"name": layer.dtype_policy.name}, "registered_name": None}
    restored = layers.Dense.from_config(config)
    assert restored.dtype_policy == layer.dtype_policy


def test_loss_scale_optimizer_dynamic_scaling():
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0,
                                                    dynamic_growth_steps=2)
    assert keras.mixed_precision.LossScaleOptimizer is keras.optimizers.LossScaleOptimizer
    w = torch.nn.Parameter(torch.ones(2))
    assert float(optimizer.scale_loss(torch.tensor(1.0))) == 8.0
    optimizer.apply([torch.tensor([8.0, 16.0])], [w])  # unscaled: [1, 2]
    torch.testing.assert_close(w.detach(), torch.tensor([0.9, 0.8]))
    assert (float(optimizer.dynamic_scale), int(optimizer.step_counter)) == (8.0, 1)
    optimizer.apply([torch.tensor([8.0, 16.0])], [w])  # second finite step: the scale doubles
    assert (float(optimizer.dynamic_scale), int(optimizer.step_counter)) == (16.0, 0)
    before = w.detach().clone()
    optimizer.apply([torch.tensor([float("nan"), 1.0])], [w])  # skipped, halved
    torch.testing.assert_close(w.detach(), before)
    assert (float(optimizer.dynamic_scale), int(optimizer.step_counter)) == (8.0, 0)
    assert int(optimizer.iterations) == 2
    assert float(optimizer.scale_loss(torch.tensor(1.0))) == 8.0

    # torch-style loop: scale_loss, backward, step.
    w.grad = None
    optimizer.scale_loss((w * torch.tensor([1.0, 1.0])).sum()).backward()
    optimizer.step()
    torch.testing.assert_close(w.detach(), before - 0.1)


def test_loss_scale_optimizer_arguments_and_config():
    with pytest.raises(TypeError, match="inner_optimizer"):
        keras.optimizers.LossScaleOptimizer(torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1))
    with pytest.raises(ValueError, match="clipnorm"):
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic_growth_steps"):
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), dynamic_growth_steps=0)
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3), initial_scale=4.0,
                                                    dynamic_growth_steps=10)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, keras.optimizers.LossScaleOptimizer)
    assert isinstance(restored.inner_optimizer, keras.optimizers.Adam)
    assert (restored.initial_scale, restored.dynamic_growth_steps) == (4.0, 10)


def test_fit_under_mixed_float16_wraps_the_optimizer():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1, dtype="float32")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    x = torch.randn(64, 4)
    y = x.sum(1, keepdims=True)
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # A float16 overflow at the initial scale of 2**15 skips that step and halves the scale.
    skipped = 16 - int(model.optimizer.iterations)
    assert 0 <= skipped < 8
    assert float(model.optimizer.dynamic_scale) == 2.0**15 / 2**skipped
    assert all(p.dtype == torch.float32 for p in model.parameters())

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)  # bfloat16 needs none


@pytest.mark.parametrize("policy, variable_dtype", [("float64", torch.float64), ("mixed_bfloat16", torch.float32),
                                                     ("bfloat16", torch.bfloat16)])
def test_state_dict_loaded_before_the_build_lands_in_the_variable_dtype(policy, variable_dtype):
    source = layers.Dense(2)
    source(torch.randn(1, 3))
    layer = layers.Dense(2, dtype=policy)
    layer.load_state_dict(source.state_dict())
    assert layer.kernel.dtype == variable_dtype and layer.bias.dtype == variable_dtype
    torch.testing.assert_close(layer.kernel.double(), source.kernel.detach().to(variable_dtype).double())
    assert layer(torch.randn(4, 3)).dtype == HALF.get(policy, variable_dtype)


def test_policy_set_on_an_unbuilt_layer_moves_its_lazy_weights():
    layer = layers.Dense(2)
    layer.dtype_policy = "float64"
    layer.load_state_dict({"kernel": torch.ones(3, 2), "bias": torch.zeros(2)})
    assert layer.kernel.dtype == torch.float64
    assert layer(torch.ones(1, 3, dtype=torch.float64)).tolist() == [[3.0, 3.0]]


def test_integer_inputs_promote_in_dense_and_are_refused_by_convolutions():
    dense = layers.Dense(2, kernel_initializer="ones")
    torch.testing.assert_close(dense(torch.tensor([[1, 2, 3]])), torch.tensor([[6.0, 6.0]]))
    assert layers.Dense(2, dtype="mixed_bfloat16")(torch.tensor([[1, 2, 3]])).dtype == torch.bfloat16
    # Through a functional model's fast forward too.
    inputs = keras.Input((3,), dtype="int64")
    model = keras.Model(inputs, layers.Dense(2, kernel_initializer="ones")(inputs))
    torch.testing.assert_close(model(torch.tensor([[1, 2, 3]])), torch.tensor([[6.0, 6.0]]))
    with pytest.raises(TypeError, match=r"Layer 'conv2d\w*' \(of type Conv2D\) expects floating inputs. "
                                        r"Received: inputs with dtype int64"):
        layers.Conv2D(2, 3)(torch.randint(0, 4, (1, 5, 5, 1)))
    embedding = layers.Embedding(10, 3)  # indices stay integers
    assert embedding(torch.tensor([[1, 2]])).dtype == torch.float32


@pytest.mark.parametrize("policy", MIXED)
def test_mixed_models_compile_without_graph_breaks_and_export(policy):
    keras.mixed_precision.set_global_policy(policy)
    inputs = keras.Input((8,))
    hidden = layers.LayerNormalization()(layers.Dense(16, activation="relu")(inputs))
    model = keras.Model(inputs, layers.Dense(4, activation="softmax", dtype="float32")(hidden))
    keras.mixed_precision.set_global_policy("float32")
    x = torch.randn(4, 8)
    expected = model(x)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0
    exported = torch.export.export(model, (x,)).module()
    received = exported(x)
    assert received.dtype == torch.float32
    torch.testing.assert_close(received, expected)


def test_loss_scale_state_survives_a_keras_archive(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1, dtype="float32")])
    keras.mixed_precision.set_global_policy("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    x = torch.randn(48, 4)
    model.fit(x, x.sum(1, keepdims=True), epochs=1, batch_size=16, verbose=0)
    assert model.get_compile_config()["optimizer"]["class_name"] == "Adam"  # Keras's: the unwrapped one
    model.save(tmp_path / "m.keras")
    saved_state = model.optimizer.inner_optimizer.variables
    keras.mixed_precision.set_global_policy("mixed_float16")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(restored.optimizer, keras.optimizers.LossScaleOptimizer)
    assert int(restored.optimizer.step_counter) == int(model.optimizer.step_counter) > 0
    assert float(restored.optimizer.dynamic_scale) == float(model.optimizer.dynamic_scale)
    assert len(restored.optimizer.inner_optimizer.variables) == len(saved_state)
    for saved, loaded in zip(saved_state, restored.optimizer.inner_optimizer.variables):
        torch.testing.assert_close(loaded, saved, rtol=0, atol=0)

    # Loaded where the model compiles without loss scaling (a float32 global policy: a Sequential's own
    # policy does not survive its config, as in Keras), the inner Adam state still loads.
    keras.mixed_precision.set_global_policy("float32")
    with pytest.warns(UserWarning, match="only the state of its inner optimizer is loaded"):
        plain = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(plain.optimizer, keras.optimizers.Adam)
    assert len(plain.optimizer.variables) == len(saved_state)
    for saved, loaded in zip(saved_state, plain.optimizer.variables):
        torch.testing.assert_close(loaded, saved, rtol=0, atol=0)
