"""Live Keras objects to torchkeras and back: the config in Keras's format, then every weight copied.

Both sides are rebuilt from Keras's own config (`serialize_keras_object`), so names, shapes and the
weight order are Keras's. Weights are paired by position in `layer.weights` (Keras's order: own
trainable, own non-trainable, then sublayers', the order `get_weights()` uses); every pair is checked for
variable name, shape and dtype before any value is copied, so a model that does not fit is left untouched
and one `ValueError` lists every mismatch.
"""

import numpy as np
import torch

from torchkeras.interop._keras import describe, import_keras, is_keras_object


def _torchkeras_layer_class():
    from torchkeras.layers.layer import Layer

    return Layer


def _register_functional():
    # `keras.src.models.functional.Functional` is registered when its module is imported.
    import torchkeras.models.functional  # noqa: F401


def _keras_value(variable):
    """A Keras variable's value as a torch tensor (bfloat16 kept)."""
    value = variable.value
    if isinstance(value, torch.Tensor):
        return value.detach()
    keras = import_keras()
    array = keras.ops.convert_to_numpy(value)
    if array.dtype.name == "bfloat16":
        return torch.from_numpy(np.ascontiguousarray(array).view(np.uint16).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.array(array))


def _keras_dtype(variable):
    dtype = variable.dtype
    return dtype if isinstance(dtype, str) else str(dtype)


def pair_weights(keras_object, torchkeras_object):
    """Pairs the two objects' weights in Keras's order, checking each pair.

    Args:
        keras_object: A built Keras layer or model.
        torchkeras_object: The torchkeras layer or model with the same config.

    Returns:
        A list of `(keras_variable, torchkeras_variable)` pairs.

    Raises:
        ValueError: The weights differ in number, name, shape or dtype (every mismatch is listed).
    """
    keras_weights = list(keras_object.weights)
    tk_weights = list(torchkeras_object.weights)
    problems = []
    if len(keras_weights) != len(tk_weights):
        problems.append(f"Keras has {len(keras_weights)} weights, torchkeras {len(tk_weights)}"
                        + ("" if getattr(torchkeras_object, "built", True) else
                           " (the torchkeras object is not built)"))
    for index in range(max(len(keras_weights), len(tk_weights))):
        kv = keras_weights[index] if index < len(keras_weights) else None
        tv = tk_weights[index] if index < len(tk_weights) else None
        if kv is None or tv is None:
            present = kv if tv is None else tv
            side = "Keras" if tv is None else "torchkeras"
            problems.append(f"weight {index}: `{present.path}` {tuple(present.shape)} only in {side}")
            continue
        wrong = []
        if kv.name != tv.name:
            wrong.append(f"name {kv.name!r} vs {tv.name!r}")
        if tuple(kv.shape) != tuple(tv.shape):
            wrong.append(f"shape {tuple(kv.shape)} vs {tuple(tv.shape)}")
        if _keras_dtype(kv) != tv.dtype:
            wrong.append(f"dtype {_keras_dtype(kv)} vs {tv.dtype}")
        if wrong:
            problems.append(f"weight {index}: Keras `{kv.path}`, torchkeras `{tv.path}`: " + ", ".join(wrong))
    if problems:
        listing = "\n".join(f"- {p}" for p in problems)
        raise ValueError(
            f"The weights of Keras {describe(keras_object)} do not fit torchkeras "
            f"{describe(torchkeras_object)} ({len(problems)} mismatches); nothing was copied:\n{listing}"
        )
    return list(zip(keras_weights, tk_weights))


def _default_device(keras_object):
    for variable in keras_object.weights:
        value = variable.value
        if isinstance(value, torch.Tensor):
            return value.device
    return torch.device("cpu")


def from_keras(keras_model, custom_objects=None, device=None, safe_mode=True):
    """Returns the torchkeras equivalent of a live Keras model or layer, with its weights.

    The torchkeras object is rebuilt from Keras's config (`keras.saving.serialize_keras_object`):
    Sequential, Functional (nested models and shared layers included) or a single layer. Then every weight
    (moving statistics included) is copied in Keras's weight order, after checking names, shapes and
    dtypes.

    Args:
        keras_model: A `keras.Model` or `keras.layers.Layer`.
        custom_objects: Optional dict of torchkeras classes or functions for the custom names in the
            config (a custom Keras layer needs its torchkeras port here).
        device: Where the torchkeras model lives. Defaults to the device of the Keras weights (the torch
            backend's device), CPU for other backends.
        safe_mode: Whether to refuse serialized Python lambdas (`Lambda` layers), as Keras's loaders do.

    Returns:
        A torchkeras layer or model, weights equal to the Keras ones.

    Raises:
        TypeError: `keras_model` is not a Keras layer or model.
        ValueError: The rebuilt model's weights do not fit (every mismatch is listed).
    """
    if not is_keras_object(keras_model):
        hint = (" It is already a torchkeras object." if isinstance(keras_model, _torchkeras_layer_class())
                else "")
        raise TypeError(
            "`from_keras` expects a Keras model or layer (`keras.Model`, `keras.layers.Layer`). "
            f"Received: {describe(keras_model)}.{hint}"
        )
    keras = import_keras()
    from torchkeras.saving import serialization

    _register_functional()
    config = keras.saving.serialize_keras_object(keras_model)
    model = serialization.deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
    if not isinstance(model, _torchkeras_layer_class()):
        raise TypeError(
            f"The config of {describe(keras_model)} did not rebuild a torchkeras layer; it gave "
            f"{describe(model)}. Pass the torchkeras class in `custom_objects`."
        )
    model.to(torch.device(device) if device is not None else _default_device(keras_model))
    pairs = pair_weights(keras_model, model)
    with torch.no_grad():
        for kv, tv in pairs:
            tv.value.copy_(_keras_value(kv).to(device=tv.value.device, dtype=tv.value.dtype))
    return model


def to_keras(model, custom_objects=None, safe_mode=True):
    """Returns the real Keras equivalent of a torchkeras model or layer, with its weights.

    The Keras object is rebuilt from the torchkeras config (`torchkeras.saving.serialize_keras_object`,
    Keras's format) with `keras.saving.deserialize_keras_object`; then every weight is copied in Keras's
    weight order after checking names, shapes and dtypes. Keras decides where its copy lives (its torch
    backend's device).

    Args:
        model: A torchkeras `Model` or `Layer`.
        custom_objects: Optional dict of Keras classes or functions for the custom names in the config.
        safe_mode: Whether Keras refuses serialized Python lambdas.

    Returns:
        A `keras.Model` or `keras.layers.Layer`, weights equal to the torchkeras ones.

    Raises:
        TypeError: `model` is not a torchkeras layer or model.
        ImportError: Keras is not installed.
        ValueError: The Keras rebuild's weights do not fit (every mismatch is listed).
    """
    if not isinstance(model, _torchkeras_layer_class()):
        hint = " It is already a Keras object." if is_keras_object(model) else ""
        raise TypeError(
            "`to_keras` expects a torchkeras model or layer (`torchkeras.Model`, `torchkeras.layers.Layer`). "
            f"Received: {describe(model)}.{hint}"
        )
    keras = import_keras()
    from torchkeras.saving import serialization

    config = serialization.serialize_keras_object(model)
    keras_model = keras.saving.deserialize_keras_object(config, custom_objects=custom_objects,
                                                        safe_mode=safe_mode)
    pairs = pair_weights(keras_model, model)
    on_torch = keras.backend.backend() == "torch"
    for kv, tv in pairs:
        value = tv.value.detach()
        if on_torch:
            kv.assign(value.to(kv.value.device))
        elif value.dtype == torch.bfloat16:
            import ml_dtypes

            kv.assign(value.cpu().view(torch.uint16).numpy().view(ml_dtypes.bfloat16))
        else:
            kv.assign(value.cpu().numpy())
    return keras_model
