"""Shared machinery of the `.keras` archive parity tests (test_layer_families_archive_parity*.py).

Each case is a small model that real Keras builds, compiles, fits for one short epoch on tiny generated
data and saves as a `.keras` archive. torchkeras loads the archive; predictions agree within DESIGN.md's
whole-model bound on every device; torchkeras saves the model (with its weights moved off Keras's values,
so the check cannot pass by accident) and real Keras loads that archive; predictions agree again. Model
configs and every layer's `get_config()` are compared both ways.

`load_keras_archive` and `save_torchkeras_archive` are the only places that know how torchkeras reads and
writes `.keras` files (`torchkeras.saving.load_model`, `Model.save`).
"""

import json

import keras
import numpy as np
import torch

import torchkeras
from parity.harness import MODEL_ATOL, assert_close

BATCH = 8


def load_keras_archive(path):
    """A `.keras` file (written by real Keras) as a torchkeras model."""
    return torchkeras.saving.load_model(str(path))


def save_torchkeras_archive(model, path):
    """Writes a torchkeras model to a `.keras` file that real Keras loads."""
    model.save(str(path))


# ---------------------------------------------------------------------------------------------- data


def _structure(model):
    structure = getattr(model, "_inputs_struct", None)
    if structure is None:
        structure = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return structure


def _sample(tensor, rng):
    shape = (BATCH,) + tuple(tensor.shape[1:])
    if "int" in str(tensor.dtype):
        return rng.integers(0, 10, size=shape).astype(str(tensor.dtype))
    return rng.standard_normal(shape).astype(np.float32)


def make_inputs(keras_model, seed=0):
    rng = np.random.default_rng(seed)
    structure = _structure(keras_model)
    if isinstance(structure, dict):
        return {key: _sample(t, rng) for key, t in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_sample(t, rng) for t in structure]
    return _sample(structure, rng)


def make_targets(keras_model, x, seed=1):
    """Random regression targets shaped like the model's outputs on `x` (this builds a lazy model)."""
    rng = np.random.default_rng(seed)
    outputs = [rng.standard_normal(tuple(v.shape)).astype(np.float32) for v in keras_predict(keras_model, x)]
    return outputs if len(outputs) > 1 else outputs[0]


def _flat_outputs(outputs):
    if isinstance(outputs, dict):
        return [outputs[key] for key in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [v for item in outputs for v in _flat_outputs(item)]
    return [outputs]


def keras_predict(keras_model, x):
    return [keras.ops.convert_to_numpy(v) for v in _flat_outputs(keras_model(x, training=False))]


def torchkeras_predict(model, x, device):
    def to_device(v):
        if isinstance(v, dict):
            return {key: to_device(item) for key, item in v.items()}
        if isinstance(v, (list, tuple)):
            return [to_device(item) for item in v]
        return torch.from_numpy(v).to(device)

    model.to(device).eval()
    with torch.no_grad():
        outputs = model(to_device(x))
    return [v.detach().cpu().numpy() for v in _flat_outputs(outputs)]


def config_differences(expected, received, path="config"):
    """Paths at which two configs differ, with both values (empty when equal)."""
    if isinstance(expected, dict) and isinstance(received, dict):
        out = []
        for key in list(expected) + [k for k in received if k not in expected]:
            if key not in received or key not in expected:
                out.append(f"{path}[{key!r}]: {expected.get(key, '<missing>')!r} vs "
                           f"{received.get(key, '<missing>')!r}")
            else:
                out += config_differences(expected[key], received[key], f"{path}[{key!r}]")
        return out
    if (isinstance(expected, (list, tuple)) and isinstance(received, (list, tuple))
            and isinstance(expected, tuple) == isinstance(received, tuple)  # Keras's TrackedList is a list
            and len(expected) == len(received)):
        return [d for i, (a, b) in enumerate(zip(expected, received))
                for d in config_differences(a, b, f"{path}[{i}]")]
    return [] if expected == received and type(expected) is type(received) else [
        f"{path}: {expected!r} ({type(expected).__name__}) vs {received!r} ({type(received).__name__})"]


def assert_configs_equal(expected, received, what):
    differences = config_differences(expected, received)
    if differences:
        raise AssertionError(f"{what}: config differs (expected vs received):\n  " + "\n  ".join(differences[:20]))


def jsonable(config):
    """A config as it reads back from an archive's config.json (tuples become lists)."""
    return json.loads(json.dumps(config))


def perturb_weights(model, seed=3, vectors_only=False, noise=0.05):
    """Moves every floating weight of a model (torchkeras or Keras) off its current value: scaled by
    0.8 to 1.2 plus normal noise of std `noise`; variances are only scaled, by 0.5 to 1.5, so they stay
    positive. With `vectors_only`, kernels (anything not 1D) keep their values: perturbing them too blows
    up activations in deep networks without normalization."""
    rng = np.random.default_rng(seed)
    new = []
    for variable, value in zip(model.weights, model.get_weights()):
        if value.dtype.kind != "f" or (vectors_only and value.ndim != 1):
            new.append(value)
        elif "variance" in variable.path:
            new.append((value * rng.uniform(0.5, 1.5, value.shape)).astype(value.dtype))
        else:
            new.append((value * rng.uniform(0.8, 1.2, value.shape)
                        + rng.normal(0.0, noise, value.shape)).astype(value.dtype))
    model.set_weights(new)


# -------------------------------------------------------------------------------------------- checks


def _layer_names(model):
    """`model.layers` by name, nested models' too (Keras lists layers only, not operations)."""
    containers = dict(_all_layers(model, with_operations=True), **{"": model})
    return {name: [sub.name for sub in layer.layers] for name, layer in containers.items() if hasattr(layer, "layers")}


def _all_layers(model, with_operations=False):
    """Every layer of a model, nested models' layers included, keyed by their path of names; without
    operations (recorded torch or Keras ops, which `model.layers` of a Keras model does not list)."""
    from torchkeras.graph.torch_op import TorchOp

    found = {}

    def visit(layer, prefix):
        for sub in getattr(layer, "layers", []):
            if isinstance(sub, TorchOp) and not with_operations:
                continue
            key = f"{prefix}{sub.name}"
            found[key] = sub
            visit(sub, key + "/")

    visit(model, "")
    return found


def assert_layer_configs_equal(reference, other, what):
    """Every layer's `get_config()` equal (types included), layer by layer, matched by name."""
    reference_layers, other_layers = _all_layers(reference), _all_layers(other)
    assert sorted(reference_layers) == sorted(other_layers), f"{what}: layer names differ"
    differences = []
    for name, layer in reference_layers.items():
        differences += [f"{name} ({type(layer).__name__}): {d}"
                        for d in config_differences(layer.get_config(), other_layers[name].get_config())]
    if differences:
        raise AssertionError(f"{what}: get_config differs (reference vs other):\n  " + "\n  ".join(differences))


def fitted_keras_archive(build, directory):
    """Builds the case in real Keras, fits one short epoch, saves `k.keras`; returns (model, path, x)."""
    keras.utils.set_random_seed(0)
    keras_model = build()
    # A model without `keras.Input` (a lazy Sequential) says what it takes through `build.sample_inputs`.
    x = build.sample_inputs() if hasattr(build, "sample_inputs") else make_inputs(keras_model)
    y = make_targets(keras_model, x)
    keras_model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    keras_model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    path = directory / "k.keras"
    keras_model.save(path)
    return keras_model, path, x


def check_keras_to_torchkeras(keras_model, keras_path, x, device, what):
    """Keras's archive -> torchkeras: each layer's config equal to what Keras itself reads from the file,
    predictions equal to the fitted Keras model's."""
    model = load_keras_archive(keras_path)
    assert isinstance(model, torchkeras.Model) and not isinstance(model, keras.Model), type(model)
    assert_layer_configs_equal(keras.saving.load_model(keras_path), model, f"{what} (Keras -> torchkeras)")
    assert_close(keras_predict(keras_model, x), torchkeras_predict(model, x, device), MODEL_ATOL, 0,
                 f"{what}: Keras archive -> torchkeras")
    return model


def check_torchkeras_to_keras(model, directory, x, device, what):
    """torchkeras's archive (weights moved off Keras's values first) -> Keras: each layer's config, and
    predictions."""
    perturb_weights(model)
    model.to(device)
    path = directory / "t.keras"
    save_torchkeras_archive(model, path)
    keras_model = keras.saving.load_model(path)
    assert_layer_configs_equal(model, keras_model, f"{what} (torchkeras -> Keras)")
    assert_close(keras_predict(keras_model, x), torchkeras_predict(model, x, device), MODEL_ATOL, 0,
                 f"{what}: torchkeras archive -> Keras")
    return keras_model


def check_model_configs(keras_model, keras_path, directory, what):
    """The model's config (graph, node arguments, build configs) both ways: torchkeras's model loaded from
    Keras's archive has the fitted model's config (as JSON) and exactly the config Keras reads from that
    archive; Keras reads back exactly torchkeras's config from torchkeras's archive."""
    model = load_keras_archive(keras_path)
    assert _layer_names(model) == _layer_names(keras_model), f"{what}: `model.layers` differs"
    assert_configs_equal(jsonable(keras_model.get_config()), jsonable(model.get_config()), f"{what} (as JSON)")
    assert_configs_equal(keras.saving.load_model(keras_path).get_config(), model.get_config(),
                         f"{what} (Keras -> torchkeras)")
    path = directory / "t.keras"
    save_torchkeras_archive(model, path)
    assert_configs_equal(model.get_config(), keras.saving.load_model(path).get_config(),
                         f"{what} (torchkeras -> Keras)")


# --------------------------------------------------------------------------------------------- tests


def make_tests(cases, xfail_archive=None, xfail_config=None):
    """The two tests of a test module: (archive both ways, per device) and (model configs both ways).

    Args:
        cases: {name: builder}, each builder returning an uncompiled real-Keras model.
        xfail_archive: {name: reason} for cases whose archive test is a known failure (strict).
        xfail_config: {name: reason} for cases whose model-config test is a known failure (strict); cases
            in `xfail_archive` are added.
    """
    import pytest

    xfail_archive = dict(xfail_archive or {})
    xfail_config = dict(xfail_archive, **(xfail_config or {}))
    fitted = {}

    def fit(name, tmp_path_factory):
        if name not in fitted:
            fitted[name] = fitted_keras_archive(cases[name], tmp_path_factory.mktemp(name))
        return fitted[name]

    def params(xfails):
        return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=xfails[name])) if name in xfails
                else name for name in cases]

    @pytest.mark.parametrize("case", params(xfail_archive))
    def test_keras_archive_loads_in_torchkeras_and_back(case, device, tmp_path, tmp_path_factory):
        keras_model, keras_path, x = fit(case, tmp_path_factory)
        model = check_keras_to_torchkeras(keras_model, keras_path, x, device, case)
        check_torchkeras_to_keras(model, tmp_path, x, device, case)

    @pytest.mark.parametrize("case", params(xfail_config))
    def test_model_config_matches_keras_both_ways(case, tmp_path, tmp_path_factory):
        keras_model, keras_path, _ = fit(case, tmp_path_factory)
        check_model_configs(keras_model, keras_path, tmp_path, case)

    return test_keras_archive_loads_in_torchkeras_and_back, test_model_config_matches_keras_both_ways, fit


def check_training_call(keras_path, x, device, what):
    """One `training=True` call on the model each side loads from Keras's archive: outputs equal, and so
    is every weight afterwards (moving statistics updated with the same momentum, spectral-norm vectors)."""
    keras_model = keras.saving.load_model(keras_path)
    model = load_keras_archive(keras_path).to(device)
    loaded = keras_model.get_weights()
    expected = [keras.ops.convert_to_numpy(v) for v in _flat_outputs(keras_model(x, training=True))]
    assert any(not np.array_equal(a, b) for a, b in zip(loaded, keras_model.get_weights())), \
        f"{what}: the training call changed no state, so the check below would mean nothing"
    inputs = [torch.from_numpy(v).to(device) for v in x] if isinstance(x, list) else torch.from_numpy(x).to(device)
    received = [v.detach().cpu().numpy() for v in _flat_outputs(model(inputs, training=True))]
    assert_close(expected, received, MODEL_ATOL, 0, f"{what}: training=True outputs")
    assert_close(keras_model.get_weights(), model.get_weights(), MODEL_ATOL, 0,
                 f"{what}: weights after a training=True call")
