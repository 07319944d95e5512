import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.rnn.time_distributed import TimeDistributed
from torchkeras.saving import serialization
from torchkeras.testing import run_layer_test


class _TimeDistributedDense(TimeDistributed):
    """`run_layer_test` builds several layers from one set of arguments: each gets its own Dense (with
    the wrapper's dtype policy, as a user would give it)."""

    def __init__(self, layer=None, **kwargs):
        super().__init__(layer if layer is not None else layers.Dense(2, dtype=kwargs.get("dtype")), **kwargs)


class _TimeDistributedBatchNorm(TimeDistributed):
    def __init__(self, layer=None, **kwargs):
        inner = layer if layer is not None else layers.BatchNormalization(dtype=kwargs.get("dtype"))
        super().__init__(inner, **kwargs)


class _PerStepSum(layers.Layer):
    """A layer defined outside torchkeras: TimeDistributed cannot know it is per sample, so it steps."""

    def call(self, inputs):
        return inputs.sum(dim=-1, keepdim=True) + inputs.shape[0]  # depends on the batch size it sees


def _seeded(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_contract_dense():
    run_layer_test(
        _TimeDistributedDense, {}, input_shape=(3, 4, 5), expected_output_shape=(3, 4, 2),
        expected_num_trainable_weights=2, expected_num_non_trainable_weights=0, supports_masking=True,
        custom_objects={"_TimeDistributedDense": _TimeDistributedDense},
    )


def test_contract_batch_normalization():
    run_layer_test(
        _TimeDistributedBatchNorm, {}, input_shape=(3, 4, 5), expected_output_shape=(3, 4, 5),
        expected_num_trainable_weights=2, expected_num_non_trainable_weights=2, supports_masking=True,
        custom_objects={"_TimeDistributedBatchNorm": _TimeDistributedBatchNorm},
    )


def test_dense_golden_values():
    dense = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    layer = TimeDistributed(dense)
    x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    out = layer(x)
    expected = x.sum(-1, keepdim=True).expand(2, 3, 2)
    torch.testing.assert_close(out, expected)
    assert [w.path for w in layer.weights] == [f"{layer.name}/{dense.name}/kernel", f"{layer.name}/{dense.name}/bias"]
    assert layer.weights[0].value is dense.kernel


def test_weight_paths_and_state_dict():
    layer = TimeDistributed(layers.Dense(3, name="proj"), name="td")
    layer.build((None, 4, 5))
    assert [w.path for w in layer.weights] == ["td/proj/kernel", "td/proj/bias"]
    assert list(layer.state_dict()) == ["layer.kernel", "layer.bias"]
    assert layer.layer.get_build_config() == {"input_shape": (None, 5)}


def test_prebuilt_layer_keeps_its_weights():
    dense = layers.Dense(3, name="prebuilt")
    dense.build((None, 5))
    kernel = dense.kernel
    layer = TimeDistributed(dense)
    layer(torch.ones(2, 4, 5))
    assert layer.weights[0].value is kernel
    assert [w.path for w in layer.weights] == ["prebuilt/kernel", "prebuilt/bias"]


def test_conv2d_on_video():
    conv = layers.Conv2D(4, 3)
    layer = TimeDistributed(conv)
    x = _seeded(2, 3, 8, 8, 2)
    out = layer(x)
    assert out.shape == (2, 3, 6, 6, 4)
    for t in range(3):
        torch.testing.assert_close(out[:, t], conv(x[:, t]))
    assert layer.compute_output_shape((None, 3, 8, 8, 2)) == (None, 3, 6, 6, 4)


def test_compute_output_shape_unknown_time():
    layer = TimeDistributed(layers.Dense(7))
    assert layer.compute_output_shape((None, None, 5)) == (None, None, 7)
    assert layer.compute_output_shape((4, 10, 3, 5)) == (4, 10, 3, 7)


def test_functional_and_symbolic():
    inputs = torchkeras.Input((6, 5))
    outputs = TimeDistributed(layers.Dense(3))(inputs)
    assert outputs.shape == (None, 6, 3)
    model = torchkeras.Model(inputs, outputs)
    x = _seeded(2, 6, 5)
    torch.testing.assert_close(model(x), model.layers[1](x))


def test_wraps_sequential_and_functional_models():
    seq = torchkeras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    layer = TimeDistributed(seq)
    x = _seeded(3, 5, 6)
    out = layer(x)
    assert out.shape == (3, 5, 2)
    torch.testing.assert_close(out[:, 2], seq(x[:, 2]))
    assert len(layer.weights) == 4

    inner_in = torchkeras.Input((6,))
    inner = torchkeras.Model(inner_in, layers.Dense(3)(layers.Dense(4)(inner_in)))
    layer = TimeDistributed(inner)
    out = layer(x)
    assert out.shape == (3, 5, 3)
    torch.testing.assert_close(out[:, 4], inner(x[:, 4]))


def test_training_reaches_dropout():
    layer = TimeDistributed(layers.Dropout(0.5))
    x = torch.ones(4, 6, 50)
    assert torch.equal(layer(x), x)
    out = layer(x, training=True)
    values = set(out.unique().tolist())
    assert values <= {0.0, 2.0} and values == {0.0, 2.0}
    # Inside a model in torch's train mode, `training` defaults to True and is passed down.
    inputs = torchkeras.Input((6, 50))
    model = torchkeras.Model(inputs, TimeDistributed(layers.Dropout(0.5))(inputs))
    model.train()
    assert set(model(x).unique().tolist()) == {0.0, 2.0}
    model.eval()
    assert torch.equal(model(x), x)


def test_batch_normalization_statistics_are_per_timestep_in_training():
    bn = layers.BatchNormalization(momentum=0.5)
    layer = TimeDistributed(bn)
    x = _seeded(8, 3, 2) * torch.tensor([1.0, 5.0]) + torch.tensor([[[0.0, 0.0], [3.0, 3.0], [-2.0, 1.0]]])
    out = layer(x, training=True)
    for t in range(3):
        step = x[:, t]
        expected = (step - step.mean(0)) / torch.sqrt(step.var(0, unbiased=False) + 1e-3)
        torch.testing.assert_close(out[:, t], expected, atol=1e-5, rtol=1e-5)
    # Three moving-average updates, one per timestep, as Keras does.
    moving = torch.zeros(2)
    for t in range(3):
        moving = moving * 0.5 + x[:, t].mean(0) * 0.5
    torch.testing.assert_close(bn.moving_mean, moving, atol=1e-6, rtol=1e-6)
    assert not layer._can_fold(True) and layer._can_fold(False)
    # Inference uses the moving statistics: folding the timesteps gives the same values.
    out = layer(x)
    torch.testing.assert_close(out, bn(x.reshape(24, 2)).reshape(8, 3, 2))


def test_unknown_layers_step_through_time():
    layer = TimeDistributed(_PerStepSum())
    x = torch.zeros(2, 3, 4)
    out = layer(x)
    assert out.shape == (2, 3, 1)
    assert torch.all(out == 2)  # the batch size seen by each call is 2, not 6
    lam = TimeDistributed(layers.Lambda(lambda t: t - t.mean(0), name="center"))
    x = _seeded(4, 3, 2)
    torch.testing.assert_close(lam(x), x - x.mean(0, keepdim=True))


def test_dropout_with_batch_shared_noise_steps_in_training():
    layer = TimeDistributed(layers.Dropout(0.5, noise_shape=(1, 40)))
    layer.build((None, 3, 40))
    assert not layer._can_fold(True) and layer._can_fold(False)
    out = layer(torch.ones(2, 3, 40), training=True)
    for t in range(3):
        assert torch.equal(out[0, t], out[1, t])  # one draw shared by the batch at each timestep
    assert not all(torch.equal(out[0, 0], out[0, t]) for t in (1, 2))  # a new draw per timestep


def test_mask_passes_through_and_reaches_inner_layer():
    x = torch.ones(2, 3, 4)
    x[0, 2] = 0.0
    masked = layers.Masking()(x)
    layer = TimeDistributed(layers.Dense(2))
    out = layer(masked)
    assert torch.equal(out._keras_mask, masked._keras_mask)

    seen = []

    def record(inputs, mask=None):
        seen.append(None if mask is None else mask.clone())
        return inputs * 2

    lam = TimeDistributed(layers.Lambda(record, mask=lambda inputs, mask: mask, name="record"))
    out = lam(masked)
    assert torch.equal(out, masked * 2)
    assert len(seen) == 3  # a Lambda steps through time: one call per timestep, as Keras
    assert [m.tolist() for m in seen] == [[True, True], [True, True], [False, True]]
    assert torch.equal(out._keras_mask, masked._keras_mask)


def test_mask_folded_into_the_batch():
    x = _seeded(3, 4, 5, 2)
    mask = torch.rand(3, 4, 5, generator=torch.Generator().manual_seed(1)) > 0.3
    mask[..., 0] = True
    layer = TimeDistributed(layers.GlobalAveragePooling1D())
    out = layer(x, mask=mask)
    assert layer._can_fold(False)
    expected = (x * mask[..., None]).sum(2) / mask.sum(2, keepdim=True)
    torch.testing.assert_close(out, expected)
    assert out._keras_mask is mask


def test_explicit_mask_errors():
    layer = TimeDistributed(layers.Dense(2))
    x = torch.ones(2, 3, 4)
    with pytest.raises(ValueError, match="must be at least 2D"):
        layer(x, mask=torch.ones(2, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"Expected mask shape prefix: \(2, 3\)"):
        layer(x, mask=torch.ones(3, 3, dtype=torch.bool))
    out = layer(x, mask=np.ones((2, 3), dtype=bool))  # a numpy mask is accepted
    assert out._keras_mask.shape == (2, 3)


def test_argument_errors():
    with pytest.raises(ValueError, match="keras.layers.Layer` instance. Received: 'dense'"):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match="Layer` instance"):
        TimeDistributed(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match=r"at least 3 dimensions, received: \(2, 3\)"):
        TimeDistributed(layers.Dense(2))(torch.ones(2, 3))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(layers.Dense(2)).compute_output_shape((None, 3))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(layers.Dense(2))(torchkeras.Input((3,)))
    built = TimeDistributed(layers.Dense(2))
    built(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match=r"inputs.shape=\(2, 3\)"):
        built(torch.ones(2, 3))
    with pytest.raises(ValueError, match="dense"):
        built(torch.ones(2, 3, 5))  # the wrapped layer's input spec names the mismatch
    with pytest.raises(TypeError, match="single tensor"):
        built.call([torch.ones(2, 3, 4)])


def test_config_round_trip_with_nested_layer():
    layer = TimeDistributed(layers.Dense(3, activation="relu", name="inner"), name="td")
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype", "layer"]
    assert config["layer"]["class_name"] == "Dense"
    revived = TimeDistributed.from_config(config)
    assert revived.get_config() == config
    assert isinstance(revived.layer, layers.Dense) and revived.layer.name == "inner"
    layer.build((None, 2, 4))
    revived = serialization.deserialize_keras_object(serialization.serialize_keras_object(layer))
    assert type(revived) is TimeDistributed and revived.layer.built
    revived.set_weights(layer.get_weights())
    x = _seeded(2, 2, 4)
    torch.testing.assert_close(revived(x), layer(x))


def test_inside_sequential_summary_and_params():
    model = torchkeras.Sequential([torchkeras.Input((5, 4)), TimeDistributed(layers.Dense(3)), layers.Flatten()])
    assert model.count_params() == 15
    assert model(torch.ones(2, 5, 4)).shape == (2, 15)


def test_backward_and_torch_hooks():
    dense = layers.Dense(2)
    layer = TimeDistributed(dense)
    calls = []
    dense.register_forward_hook(lambda module, args, output: calls.append(tuple(args[0].shape)))
    x = _seeded(3, 4, 5).requires_grad_()
    layer(x).sum().backward()
    assert calls == [(12, 5)]  # folded: one call on (batch * timesteps, features)
    assert dense.kernel.grad is not None and x.grad is not None


def test_torch_compile_matches_eager():
    layer = TimeDistributed(layers.Dense(3))
    x = _seeded(2, 4, 5)
    expected = layer(x)
    compiled = torch.compile(layer, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x), expected)


def test_inputs_are_cast_to_the_wrapped_layers_dtype():
    dense = layers.Dense(2)  # float32
    layer = TimeDistributed(dense, dtype="float64")
    x = _seeded(2, 3, 4).double()
    out = layer(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, dense(x.float()))
