"""Parity harness: the same layer in real Keras (torch backend) and in torchkeras, weights moved both
ways, outputs compared within DESIGN.md's bounds on every available device.

Real Keras runs on the torch backend in this process (`KERAS_BACKEND=torch` is set before it is imported),
so both sides share one device. On CUDA, TF32 is switched off so the bounds mean something.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import torchkeras  # noqa: E402

LAYER_ATOL = 1e-5
LAYER_RTOL = 1e-5
MODEL_ATOL = 1e-4

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def available_devices():
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _to_numpy(x):
    if isinstance(x, (list, tuple)):
        return [_to_numpy(v) for v in x]
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    if isinstance(x, torch.Tensor):
        return torchkeras.backend.convert_to_numpy(x)  # bfloat16 too
    return keras.ops.convert_to_numpy(x)


def _to_device(x, device):
    if isinstance(x, (list, tuple)):
        return [_to_device(v, device) for v in x]
    return torch.as_tensor(np.asarray(x)).to(device)


def _flat(x):
    return [v for item in x for v in _flat(item)] if isinstance(x, (list, tuple)) else [x]


def assert_close(expected, received, atol, rtol, what):
    """Compares position by position; the message gives the worst absolute and relative difference."""
    expected, received = _flat(expected), _flat(received)
    if len(expected) != len(received):
        raise AssertionError(f"{what}: {len(expected)} outputs in Keras, {len(received)} in torchkeras")
    for index, (a, b) in enumerate(zip(expected, received)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise AssertionError(f"{what}[{index}]: shape {a.shape} in Keras, {b.shape} in torchkeras")
        if a.dtype != b.dtype:
            raise AssertionError(f"{what}[{index}]: dtype {a.dtype} in Keras, {b.dtype} in torchkeras")
        np.testing.assert_allclose(b.astype(np.float64), a.astype(np.float64), atol=atol, rtol=rtol,
                                   err_msg=f"{what}[{index}] (torchkeras vs Keras)")


def make_layer_pair(class_name, init_kwargs, keras_module=None, torchkeras_module=None):
    """Constructs `class_name(**init_kwargs)` in Keras and in torchkeras."""
    keras_cls = getattr(keras_module or keras.layers, class_name)
    torchkeras_cls = getattr(torchkeras_module or torchkeras.layers, class_name)
    return keras_cls(**init_kwargs), torchkeras_cls(**init_kwargs)


def random_weights_like(weights, seed):
    """Fresh random arrays shaped like `weights` (positive where a variance is expected)."""
    rng = np.random.default_rng(seed)
    out = []
    for w in weights:
        w = np.asarray(w)
        if w.dtype.kind == "f":
            out.append(rng.uniform(0.1, 1.0, size=w.shape).astype(w.dtype) * rng.choice([-1, 1], size=w.shape)
                       .astype(w.dtype))
        else:
            out.append(w.copy())
        if w.dtype.kind == "f" and np.all(w >= 0) and np.any(w > 0):  # e.g. moving variance, keep positive
            out[-1] = np.abs(out[-1])
    return out


def check_layer_parity(class_name, init_kwargs, inputs, device="cpu", call_kwargs=None, training=False,
                       compare_config=True, atol=LAYER_ATOL, rtol=LAYER_RTOL, keras_module=None,
                       torchkeras_module=None):
    """Builds the layer on both sides, moves weights Keras -> torchkeras and back, compares outputs.

    Args:
        class_name: Layer class name, the same in `keras.layers` and `torchkeras.layers`.
        init_kwargs: Constructor arguments for both (give an explicit `name` to compare configs).
        inputs: Numpy array or list of arrays.
        device: `"cpu"` or `"cuda"`; Keras runs wherever its torch backend puts tensors.
        call_kwargs: Extra call arguments for both sides.
        training: Value of the `training` call argument.
        compare_config: Whether `get_config()` must be equal on both sides.

    Returns:
        The (keras_layer, torchkeras_layer) pair, weights equal, for further checks.
    """
    call_kwargs = dict(call_kwargs or {})
    keras_layer, tk_layer = make_layer_pair(class_name, init_kwargs, keras_module, torchkeras_module)
    if compare_config:
        keras_config, tk_config = keras_layer.get_config(), tk_layer.get_config()
        if keras_config != tk_config:
            raise AssertionError(f"{class_name} get_config differs:\nKeras:      {keras_config}\n"
                                 f"torchkeras: {tk_config}")
    if training:
        call_kwargs["training"] = True
    keras_inputs = inputs if not isinstance(inputs, (list, tuple)) else list(inputs)
    expected = _to_numpy(keras_layer(keras_inputs, **call_kwargs))
    tk_layer.to(device)
    received = tk_layer(_to_device(inputs, device), **call_kwargs)
    keras_weights = keras_layer.get_weights()
    if len(keras_weights) != len(tk_layer.weights):
        raise AssertionError(f"{class_name}: Keras has {len(keras_weights)} weights "
                             f"{[w.path for w in keras_layer.weights]}, torchkeras "
                             f"{[w.path for w in tk_layer.weights]}")
    for kw, tw in zip(keras_layer.weights, tk_layer.weights):
        if tuple(kw.shape) != tw.shape or kw.name != tw.name:
            raise AssertionError(f"{class_name}: weight {kw.path} {tuple(kw.shape)} in Keras, "
                                 f"{tw.path} {tw.shape} in torchkeras")

    # Keras -> torchkeras
    tk_layer.set_weights(keras_weights)
    received = _to_numpy(tk_layer(_to_device(inputs, device), **call_kwargs))
    assert_close(expected, received, atol, rtol, f"{class_name} output (Keras -> torchkeras weights)")

    # torchkeras -> Keras, with fresh weights so the check cannot pass by accident
    if keras_weights:
        tk_layer.set_weights(random_weights_like(keras_weights, seed=7))
        keras_layer.set_weights(tk_layer.get_weights())
        expected = _to_numpy(keras_layer(keras_inputs, **call_kwargs))
        received = _to_numpy(tk_layer(_to_device(inputs, device), **call_kwargs))
        assert_close(expected, received, atol, rtol, f"{class_name} output (torchkeras -> Keras weights)")
    return keras_layer, tk_layer
