"""The functional API: seed 001's functional models (MLP, two-headed, shared layers, the siamese exercise),
slicing, nesting, state, shape errors, torch ops on symbolic tensors, and torch tooling (fx, compile,
export). Torch only."""

import time

import numpy as np
import pytest
import torch

import torchkeras as keras
from torchkeras import layers


@pytest.fixture(autouse=True)
def fresh_names():
    """Start every test from Keras's first auto-names (`dense`, `dense_1`, ...), as a fresh process."""
    keras.backend.clear_session()
    yield
    keras.backend.clear_session()


def make_functional_mlp(name="mlp_functional"):
    inputs = keras.Input(shape=(784,), name="pixels")
    h = layers.Dense(256, activation="relu")(inputs)
    h = layers.Dense(64, activation="relu")(h)
    outputs = layers.Dense(10, activation="softmax")(h)
    return keras.Model(inputs=inputs, outputs=outputs, name=name)


def make_sequential_mlp():
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(256, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="mlp_sequential",
    )


def make_two_headed(dict_outputs=False):
    img_in = keras.Input(shape=(784,), name="pixels")
    meta_in = keras.Input(shape=(8,), name="metadata")
    x = layers.Dense(256, activation="relu")(img_in)
    x = layers.Dense(64, activation="relu")(x)
    m = layers.Dense(16, activation="relu")(meta_in)
    merged = layers.concatenate([x, m])
    digit_out = layers.Dense(10, activation="softmax", name="digit")(merged)
    hard_out = layers.Dense(1, activation="sigmoid", name="is_hard")(merged)
    outputs = {"digit": digit_out, "is_hard": hard_out} if dict_outputs else [digit_out, hard_out]
    return keras.Model(inputs=[img_in, meta_in], outputs=outputs, name="two_headed_mlp")


def make_siamese():
    left = keras.Input(shape=(784,), name="left")
    right = keras.Input(shape=(784,), name="right")
    enc1 = layers.Dense(256, activation="relu", name="enc_dense_1")
    enc2 = layers.Dense(64, activation="relu", name="enc_dense_2")

    def encode(x):
        return enc2(enc1(x))

    merged = layers.concatenate([encode(left), encode(right)])
    out = layers.Dense(1, activation="sigmoid", name="same_digit")(merged)
    return keras.Model(inputs=[left, right], outputs=out, name="siamese_mlp"), enc1, enc2


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda text, *args, **kwargs: lines.append(text))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ the MLP


def test_seed_functional_mlp_counts_and_matches_the_sequential():
    model = make_functional_mlp()
    assert model.built and model.name == "mlp_functional"
    assert [layer.name for layer in model.layers] == ["pixels", "dense", "dense_1", "dense_2"]
    assert type(model.layers[0]).__name__ == "InputLayer"
    assert [layer.count_params() for layer in model.layers] == [0, 200_960, 16_448, 650]
    assert model.count_params() == 218_058
    assert len(model.weights) == 6 and len(model.trainable_weights) == 6
    assert len(model.non_trainable_weights) == 0
    assert model.input_shape == (None, 784) and model.output_shape == (None, 10)
    assert model.input_names == ["pixels"] and model.output_names == ["dense_2"]
    assert model.layers[1].output.shape == (None, 256)

    sequential = make_sequential_mlp()
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    assert np.abs(sequential.predict(x, verbose=0) - model.predict(x, verbose=0)).max() > 1e-4
    sequential.set_weights(model.get_weights())
    np.testing.assert_allclose(sequential.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6,
                               atol=1e-7)
    probabilities = model(torch.from_numpy(x))
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(5))


def test_functional_forward_is_the_hand_written_computation():
    model = make_functional_mlp()
    x = torch.randn(3, 784)
    k1, b1, k2, b2, k3, b3 = [torch.as_tensor(w) for w in model.get_weights()]
    expected = torch.softmax(torch.relu(torch.relu(x @ k1 + b1) @ k2 + b2) @ k3 + b3, dim=-1)
    torch.testing.assert_close(model(x), expected, atol=1e-6, rtol=1e-5)


def test_freezing_a_functional_layer():
    model = make_functional_mlp()
    model.layers[1].trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model.layers[1].trainable = True
    assert len(model.trainable_weights) == 6


# ------------------------------------------------------------------------------------------ two heads


def test_two_headed_layers_follow_keras_order_with_output_shapes():
    model = make_two_headed()
    listing = [(layer.name, type(layer).__name__, layer.output.shape) for layer in model.layers]
    assert listing == [
        ("pixels", "InputLayer", (None, 784)),
        ("dense", "Dense", (None, 256)),
        ("metadata", "InputLayer", (None, 8)),
        ("dense_1", "Dense", (None, 64)),
        ("dense_2", "Dense", (None, 16)),
        ("concatenate", "Concatenate", (None, 80)),
        ("digit", "Dense", (None, 10)),
        ("is_hard", "Dense", (None, 1)),
    ]
    assert model.input_names == ["pixels", "metadata"]
    assert model.output_names == ["digit", "is_hard"]
    assert model.output_shape == [(None, 10), (None, 1)]
    assert model.count_params() == 200_960 + 16_448 + 144 + 810 + 81


def test_two_headed_call_with_list_or_dict_inputs():
    model = make_two_headed()
    pixels, metadata = torch.rand(6, 784), torch.rand(6, 8)
    by_position = model([pixels, metadata])
    by_name = model({"metadata": metadata, "pixels": pixels})
    assert isinstance(by_position, list) and isinstance(by_name, list)
    assert [tuple(o.shape) for o in by_position] == [(6, 10), (6, 1)]
    for a, b in zip(by_position, by_name):
        torch.testing.assert_close(a, b)

    # the same numbers by hand
    dense, dense_1, dense_2, digit, is_hard = (model.get_layer(n) for n in
                                               ("dense", "dense_1", "dense_2", "digit", "is_hard"))
    merged = torch.cat([dense_1(dense(pixels)), dense_2(metadata)], dim=-1)
    torch.testing.assert_close(by_position[0], digit(merged))
    torch.testing.assert_close(by_position[1], is_hard(merged))

    predicted = model.predict({"pixels": pixels.numpy(), "metadata": metadata.numpy()}, batch_size=4,
                              verbose=0)
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(6, 10), (6, 1)]
    np.testing.assert_allclose(predicted[0], by_position[0].detach().numpy(), rtol=1e-6, atol=1e-7)


def test_dict_outputs_come_back_as_a_dict():
    model = make_two_headed(dict_outputs=True)
    outputs = model([torch.rand(2, 784), torch.rand(2, 8)])
    assert isinstance(outputs, dict) and list(outputs) == ["digit", "is_hard"]
    assert tuple(outputs["digit"].shape) == (2, 10) and tuple(outputs["is_hard"].shape) == (2, 1)
    predicted = model.predict({"pixels": np.random.rand(3, 784).astype("float32"),
                               "metadata": np.random.rand(3, 8).astype("float32")}, verbose=0)
    assert isinstance(predicted, dict) and predicted["is_hard"].shape == (3, 1)


def test_two_headed_summary_shows_connections():
    text = summary_text(make_two_headed())
    assert 'Model: "two_headed_mlp"' in text and "Connected to" in text
    for needle in ("pixels (InputLayer)", "dense_1[0][0]", "dense_2[0][0]", "concatenate[0][0]",
                   "(None, 80)", "Total params: 218,443"):
        assert needle in text, text


# ------------------------------------------------------------------------------------- shared layers


def test_shared_layer_has_one_set_of_weights():
    shared = layers.Dense(64, activation="relu")
    a = shared(keras.Input(shape=(784,), name="left"))
    b = shared(keras.Input(shape=(784,), name="right"))
    assert len(shared.weights) == 2 and a.shape == b.shape == (None, 64)
    assert len(shared._inbound_nodes) == 2


def test_gradients_from_both_call_sites_accumulate_into_one_kernel():
    torch.manual_seed(0)
    shared = layers.Dense(5, activation="tanh", name="shared")
    left, right = keras.Input(shape=(7,), name="left"), keras.Input(shape=(7,), name="right")
    model = keras.Model([left, right], layers.add([shared(left), shared(right)]))
    assert len(model.trainable_weights) == 2
    xl, xr = torch.randn(4, 7), torch.randn(4, 7)
    weights = torch.randn(4, 5)  # a loss that is not symmetric in the two sites

    (model([xl, xr]) * weights).sum().backward()
    through_model = shared.kernel.grad.clone()

    per_site = []
    for x in (xl, xr):
        shared.kernel.grad = None
        (shared(x) * weights).sum().backward()
        per_site.append(shared.kernel.grad.clone())
    assert (per_site[0] - per_site[1]).abs().max() > 1e-3  # the sum below is not a doubled single site
    torch.testing.assert_close(through_model, per_site[0] + per_site[1])


def test_seed_siamese_exercise():
    siamese, enc1, enc2 = make_siamese()
    assert siamese.count_params() == 217_537
    assert len(siamese.trainable_weights) == 6
    assert enc1.kernel is siamese.get_layer("enc_dense_1").kernel
    assert enc2.bias is siamese.get_layer("enc_dense_2").bias
    assert [layer.name for layer in siamese.layers] == [
        "left", "right", "enc_dense_1", "enc_dense_2", "concatenate", "same_digit"]
    text = summary_text(siamese)
    assert "Total params: 217,537" in text and text.count("200,960") == 1

    rng = np.random.default_rng(0)
    batch = {"left": rng.random((16, 784), dtype=np.float32), "right": rng.random((16, 784), dtype=np.float32)}
    p = siamese.predict(batch, verbose=0)
    assert p.shape == (16, 1) and (p > 0).all() and (p < 1).all()

    # identical pairs go through identical embeddings: the concatenation is [e, e]
    same = siamese.predict({"left": batch["left"], "right": batch["left"]}, verbose=0)
    e = enc2(enc1(torch.from_numpy(batch["left"])))
    by_hand = siamese.get_layer("same_digit")(torch.cat([e, e], dim=-1))
    np.testing.assert_allclose(same, by_hand.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_output_of_a_layer_called_twice_is_ambiguous():
    siamese, enc1, _ = make_siamese()
    with pytest.raises(ValueError, match="enc_dense_1.*multiple inbound nodes.*get_output_at"):
        siamese.get_layer("enc_dense_1").output
    with pytest.raises(ValueError, match="multiple inbound nodes"):
        enc1.input
    assert enc1.get_output_at(0).shape == enc1.get_output_at(1).shape == (None, 256)
    assert enc1.get_output_at(0) is not enc1.get_output_at(1)


# ---------------------------------------------------------------------------------------------- slicing


def test_feature_extractor_slice_shares_weights_without_copy():
    model = make_functional_mlp()
    extractor = keras.Model(model.inputs, model.layers[1].output)
    assert [layer.name for layer in extractor.layers] == ["pixels", "dense"]
    assert extractor.layers[1] is model.layers[1]
    assert list(extractor.parameters())[0] is model.layers[1].kernel
    assert all(a is b for a, b in zip(extractor.parameters(), list(model.parameters())[:2]))
    assert extractor.count_params() == 200_960 and extractor.output_shape == (None, 256)

    x = torch.rand(4, 784)
    torch.testing.assert_close(extractor(x), model.layers[1](x), rtol=0, atol=0)
    deeper = keras.Model(model.inputs, model.layers[2].output)
    torch.testing.assert_close(deeper(x), model.layers[2](model.layers[1](x)), rtol=0, atol=0)

    # training the slice trains the full model
    with torch.no_grad():
        model.layers[1].kernel.add_(1.0)
    torch.testing.assert_close(extractor(x), model.layers[1](x), rtol=0, atol=0)


def test_intermediate_tensor_as_model_input():
    model = make_functional_mlp()
    tail = keras.Model(model.layers[1].output, model.outputs[0])
    h = torch.rand(3, 256)
    torch.testing.assert_close(tail(h), model.layers[3](model.layers[2](h)))


def test_a_single_output_given_as_a_list_comes_back_as_a_tensor():
    model = make_functional_mlp()
    same = keras.Model(model.inputs, model.outputs)  # `model.outputs` is a list of one
    out = same(torch.rand(3, 784))
    assert isinstance(out, torch.Tensor)


# ---------------------------------------------------------------------------------------------- nesting


def test_nested_functional_and_sequential_models():
    inner = make_functional_mlp()
    head = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)], name="head_seq")
    image = keras.Input(shape=(784,), name="image")
    outer = keras.Model(image, head(inner(image)), name="outer")
    assert [layer.name for layer in outer.layers] == ["image", "mlp_functional", "head_seq"]
    assert outer.count_params() == 218_058 + 10 * 8 + 8 + 8 * 3 + 3
    assert list(outer.state_dict()) == [
        "mlp_functional.dense.kernel", "mlp_functional.dense.bias",
        "mlp_functional.dense_1.kernel", "mlp_functional.dense_1.bias",
        "mlp_functional.dense_2.kernel", "mlp_functional.dense_2.bias",
        "head_seq.0.kernel", "head_seq.0.bias", "head_seq.1.kernel", "head_seq.1.bias",
    ]
    assert outer.get_layer("mlp_functional") is inner
    x = torch.rand(4, 784)
    torch.testing.assert_close(outer(x), head(inner(x)))
    assert "mlp_functional (Functional)" in summary_text(outer)

    # the same code again loads the nested state dict
    keras.backend.clear_session()
    inner2 = make_functional_mlp()
    head2 = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)], name="head_seq")
    image2 = keras.Input(shape=(784,), name="image")
    outer2 = keras.Model(image2, head2(inner2(image2)), name="outer")
    outer2.load_state_dict(outer.state_dict())
    torch.testing.assert_close(outer2(x), outer(x))


def test_nested_multi_input_multi_output_model():
    two_headed = make_two_headed()
    pixels, metadata = keras.Input(shape=(784,), name="p"), keras.Input(shape=(8,), name="m")
    digit, hard = two_headed([pixels, metadata])
    assert digit.shape == (None, 10) and hard.shape == (None, 1)
    outer = keras.Model([pixels, metadata], layers.concatenate([digit, hard]), name="outer")
    x = [torch.rand(2, 784), torch.rand(2, 8)]
    torch.testing.assert_close(outer(x), torch.cat(two_headed(x), dim=-1))


def test_nested_model_with_dict_outputs():
    two_headed = make_two_headed(dict_outputs=True)
    pixels, metadata = keras.Input(shape=(784,), name="p"), keras.Input(shape=(8,), name="m")
    outputs = two_headed([pixels, metadata])
    assert isinstance(outputs, dict)
    outer = keras.Model([pixels, metadata], outputs["is_hard"], name="outer")
    x = [torch.rand(2, 784), torch.rand(2, 8)]
    torch.testing.assert_close(outer(x), two_headed(x)["is_hard"])


# ---------------------------------------------------------------------------------------------- state


def test_state_dict_keys_are_model_local_so_twins_load_each_other():
    first = make_functional_mlp("a")
    second = make_functional_mlp("b")  # its layers are dense_3, dense_4, dense_5 process-wide
    assert [layer.name for layer in second.layers[1:]] == ["dense_3", "dense_4", "dense_5"]
    assert list(first.state_dict()) == list(second.state_dict()) == [
        "dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias", "dense_2.kernel", "dense_2.bias"]
    x = torch.rand(3, 784)
    assert not torch.allclose(first(x), second(x))
    second.load_state_dict(first.state_dict())
    torch.testing.assert_close(first(x), second(x), rtol=0, atol=0)


def test_state_dict_round_trip_of_the_two_headed_model():
    source = make_two_headed()
    target = make_two_headed()
    assert list(source.state_dict()) == list(target.state_dict())
    target.load_state_dict(source.state_dict())
    x = [torch.rand(2, 784), torch.rand(2, 8)]
    for a, b in zip(source(x), target(x)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


# ------------------------------------------------------------------------------------------- errors


def test_shape_error_raises_on_the_wiring_line():
    dense = layers.Dense(64, name="encoder")
    dense(keras.Input(shape=(784,)))
    with pytest.raises(ValueError, match=r"'encoder'.*784.*\(None, 100\)"):
        dense(keras.Input(shape=(100,)))


def test_bad_inputs_name_the_model_and_what_was_expected():
    model = make_two_headed()
    with pytest.raises(ValueError, match=r"two_headed_mlp.*expects 2 input.*\['pixels', 'metadata'\].*1"):
        model([torch.rand(2, 784)])
    with pytest.raises(ValueError, match=r"two_headed_mlp.*expects 2 input"):
        model(torch.rand(2, 784))
    with pytest.raises(ValueError, match=r"two_headed_mlp.*keyed by \['pixels', 'metadata'\].*"
                                         r"\['metadata', 'pixel'\]"):
        model({"pixel": torch.rand(2, 784), "metadata": torch.rand(2, 8)})
    with pytest.raises(ValueError, match=r"two_headed_mlp.*keyed by"):
        model({"pixels": torch.rand(2, 784), "metadata": torch.rand(2, 8), "extra": torch.rand(2, 1)})
    with pytest.raises(ValueError, match=r"'pixels' of model 'two_headed_mlp' expects shape \(None, 784\)"
                                         r".*\(2, 28, 28\)"):
        model([torch.rand(2, 28, 28), torch.rand(2, 8)])


def test_graph_construction_errors():
    x = keras.Input(shape=(4,), name="x")
    other = keras.Input(shape=(4,), name="other")
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(x, layers.add([x, other]))
    with pytest.raises(TypeError, match="symbolic tensors"):
        keras.Model(x, torch.zeros(2, 4))
    with pytest.raises(ValueError, match='name "same" is used 2 times'):
        keras.Model(x, layers.Dense(2, name="same")(layers.Dense(2, name="same")(x)))


# ------------------------------------------------------------------------------ torch ops on symbols


def test_operators_and_torch_functions_are_recorded():
    x = keras.Input(shape=(16,), name="x")
    y = keras.Input(shape=(16,), name="y")
    total = x + y
    doubled = x * 2
    first = x[:, 0]
    grid = x.reshape(-1, 4, 4)
    joined = torch.cat([total, doubled], dim=1)
    rectified = torch.relu(joined - 1.0)
    assert (total.shape, doubled.shape, first.shape, grid.shape, joined.shape, rectified.shape) == (
        (None, 16), (None, 16), (None,), (None, 4, 4), (None, 32), (None, 32))
    model = keras.Model([x, y], [total, doubled, first, grid, joined, rectified], name="ops")

    a, b = torch.randn(3, 16), torch.randn(3, 16)
    expected = [a + b, a * 2, a[:, 0], a.reshape(-1, 4, 4), torch.cat([a + b, a * 2], dim=1),
                torch.relu(torch.cat([a + b, a * 2], dim=1) - 1.0)]
    for got, want in zip(model([a, b]), expected):
        torch.testing.assert_close(got, want, rtol=0, atol=0)

    code = model.graph_module.code
    for fragment in ("x + y", "x * 2", "x.reshape(-1, 4, 4)", "torch.cat(", "torch.relu("):
        assert fragment in code, code
    text = summary_text(model)
    for name in ("add (TorchOp)", "multiply (TorchOp)", "get_item (TorchOp)", "reshape (TorchOp)",
                 "cat (TorchOp)", "relu (TorchOp)", "subtract (TorchOp)"):
        assert name in text, text


def test_torch_ops_mix_with_layers_and_train():
    x = keras.Input(shape=(8,), name="x")
    h = layers.Dense(8, name="h")(x)
    out = layers.Dense(1, name="out")(torch.tanh(h) + x)
    model = keras.Model(x, out)
    data = torch.randn(5, 8)
    hk, hb, ok, ob = [torch.as_tensor(w) for w in model.get_weights()]
    torch.testing.assert_close(model(data), (torch.tanh(data @ hk + hb) + data) @ ok + ob)
    model(data).sum().backward()
    assert model.get_layer("h").kernel.grad is not None


def test_symbolic_tensors_refuse_python_control_flow():
    x = keras.Input(shape=(3,))
    with pytest.raises(TypeError, match="bool"):
        bool(x > 0)
    with pytest.raises(ValueError, match=r"Cannot apply `add`.*\(None, 3\).*\(None, 4\)"):
        x + keras.Input(shape=(4,))


# ------------------------------------------------------------------------------------- torch tooling


def _dropout_mlp():
    inputs = keras.Input(shape=(32,), name="pixels")
    h = layers.Dense(16, activation="relu")(inputs)
    h = layers.Dropout(0.5)(h)
    h = layers.Dense(8, activation="relu")(h)
    return keras.Model(inputs, torch.softmax(layers.Dense(4)(h), dim=-1), name="small")


def test_fx_symbolic_trace_keeps_layers_as_leaves():
    model = _dropout_mlp().eval()
    traced = torch.fx.symbolic_trace(model)
    targets = [node.target for node in traced.graph.nodes if node.op == "call_module"]
    assert targets == ["dense", "dropout", "dense_1", "dense_2"]
    x = torch.rand(2, 32)
    torch.testing.assert_close(traced(x), model(x))
    assert "self.dense(" in model.graph_module.code and "torch.softmax(" in model.graph_module.code


def test_fx_symbolic_trace_of_a_multi_input_model():
    model = make_two_headed().eval()
    traced = torch.fx.symbolic_trace(model)
    x = [torch.rand(2, 784), torch.rand(2, 8)]
    for a, b in zip(traced(x), model(x)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_torch_compile_fullgraph_without_graph_breaks(mode):
    torch._dynamo.reset()
    model = _dropout_mlp()
    getattr(model, mode)()
    x = torch.rand(4, 32)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(x)
    assert tuple(out.shape) == (4, 4)
    if mode == "eval":
        torch.testing.assert_close(out, model(x))
    else:
        out.sum().backward()
        assert model.layers[1].kernel.grad is not None
    torch._dynamo.reset()


def test_torch_export():
    model = make_two_headed().eval()
    x = (torch.rand(3, 784), torch.rand(3, 8))
    exported = torch.export.export(model, (list(x),))
    for a, b in zip(exported.module()(list(x)), model(list(x))):
        torch.testing.assert_close(a, b)


def test_deepcopy_keeps_the_graph_working():
    import copy

    model = make_functional_mlp()
    clone = copy.deepcopy(model)
    x = torch.rand(2, 784)
    torch.testing.assert_close(clone(x), model(x))
    assert clone.layers[1] is not model.layers[1]
    with torch.no_grad():
        clone.layers[1].kernel.zero_()
    assert not torch.allclose(clone(x), model(x))


# --------------------------------------------------------------------------------------- large graph


def test_wiring_a_300_layer_graph_builds_and_runs():
    start = time.perf_counter()
    inputs = keras.Input(shape=(16,), name="x")
    h = inputs
    for _ in range(100):
        h = layers.add([h, layers.Activation("relu")(layers.Dense(16)(h))])
    model = keras.Model(inputs, h, name="deep")
    elapsed = time.perf_counter() - start
    print(f"wiring a 300-layer Dense/Activation/add graph took {elapsed:.3f} s")
    assert len(model.layers) == 301
    assert [name for name, _ in model.named_children()][:4] == ["x", "dense", "activation", "add"]
    out = model(torch.rand(2, 16))
    assert tuple(out.shape) == (2, 16) and torch.isfinite(out).all()


def test_torch_save_of_a_functional_model_regenerates_its_forward():
    import io

    model = make_two_headed()
    x = [torch.rand(2, 784), torch.rand(2, 8)]
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    for a, b in zip(restored(x), model(x)):
        torch.testing.assert_close(a, b)
    assert list(restored.state_dict()) == list(model.state_dict())


def test_auto_named_lambda_layer_wires_and_runs():
    # The auto-name `lambda` is a Python keyword; the generated forward must still parse.
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, layers.Lambda(lambda t: t * 2)(inputs))
    x = torch.ones(2, 3)
    torch.testing.assert_close(model(x), 2 * x)
    assert "lambda" in [layer.name for layer in model.layers]
