"""`run_layer_test`: the contract every torchkeras layer passes.

It checks, for one layer class and constructor arguments: the config round trip (also through
`serialize_keras_object`), an explicit `build`, a lazy first call, weight counts and shapes,
`get_weights`/`set_weights`, the `state_dict` round trip (into a built and into an unbuilt layer),
output shape and dtype (and values when given), the training-mode call, a backward pass reaching
every trainable weight, masking support, and a float64 dtype policy.
"""

import numpy as np
import torch

from torchkeras import backend
from torchkeras.saving import serialization


def _make_input(shape, dtype, seed=1337):
    generator = torch.Generator().manual_seed(seed)
    if backend.is_float_dtype(dtype):
        return torch.randn(shape, generator=generator).to(backend.to_torch_dtype(dtype))
    if dtype == "bool":
        return torch.randint(0, 2, shape, generator=generator).bool()
    return torch.randint(0, 10, shape, generator=generator).to(backend.to_torch_dtype(dtype))


def _shapes(data):
    if isinstance(data, (list, tuple)):
        return [tuple(x.shape) for x in data]
    return tuple(data.shape)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _check(condition, message):
    if not condition:
        raise AssertionError(message)


def _allclose(a, b, atol, rtol, what):
    for x, y in zip(_as_list(a), _as_list(b)):
        x = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float64)
        y = y.detach().cpu().double().numpy() if isinstance(y, torch.Tensor) else np.asarray(y, np.float64)
        _check(x.shape == y.shape, f"{what}: shapes differ, {x.shape} vs {y.shape}")
        np.testing.assert_allclose(x, y, atol=atol, rtol=rtol, err_msg=what)


def run_layer_test(layer_cls, init_kwargs, input_shape=None, input_dtype="float32", input_data=None,
                   call_kwargs=None, expected_output_shape=None, expected_output_dtype=None,
                   expected_output=None, expected_num_trainable_weights=None,
                   expected_num_non_trainable_weights=None, expected_num_losses=None, supports_masking=None,
                   expected_mask_shape=None, custom_objects=None, run_training_check=True,
                   run_float64_check=True, deterministic=True, atol=1e-6, rtol=1e-6):
    """Runs the layer contract; raises `AssertionError` naming the first broken check.

    Args:
        layer_cls: The layer class.
        init_kwargs: Constructor arguments.
        input_shape: Input shape (a tuple, or a list of tuples for multi-input layers); random data of
            `input_dtype` is made from it unless `input_data` is given.
        call_kwargs: Extra call arguments.
        expected_output_shape, expected_output_dtype, expected_output: What the call must return.
        expected_num_trainable_weights, expected_num_non_trainable_weights: Weight counts once built.
        expected_num_losses: Number of `layer.losses` after a call.
        supports_masking: Expected value of `layer.supports_masking`.
        expected_mask_shape: Shape of the output's `_keras_mask`, when the layer produces a mask.
        run_training_check: Also call with `training=True` and run a backward pass.
        run_float64_check: Also build the layer with `dtype="float64"` and check weights and outputs.
        deterministic: Whether two calls on the same data must agree (False for noise layers in training).
    """
    call_kwargs = dict(call_kwargs or {})
    if input_data is None:
        if input_shape is None:
            raise ValueError("run_layer_test needs `input_shape` or `input_data`.")
        if isinstance(input_shape, list):
            input_data = [_make_input(s, input_dtype, seed=i) for i, s in enumerate(input_shape)]
        else:
            input_data = _make_input(input_shape, input_dtype)
    elif isinstance(input_data, (list, tuple)):
        input_data = [backend.convert_to_tensor(x) for x in input_data]
    else:
        input_data = backend.convert_to_tensor(input_data)
    input_shape = _shapes(input_data)

    # 1. Config round trip, directly and through Keras's serialization format.
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    _check(isinstance(config, dict), f"get_config() must return a dict, got {type(config)}")
    revived = layer_cls.from_config(config)
    _check(revived.get_config() == config, f"from_config(get_config()) changed the config:\n{config}\n"
                                           f"{revived.get_config()}")
    serialized = serialization.serialize_keras_object(layer)
    revived = serialization.deserialize_keras_object(serialized, custom_objects=custom_objects)
    _check(type(revived) is layer_cls, f"deserialize gave {type(revived)}, expected {layer_cls}")
    _check(revived.get_config() == config, "serialize/deserialize round trip changed the config")
    if supports_masking is not None:
        _check(layer.supports_masking == supports_masking,
               f"supports_masking is {layer.supports_masking}, expected {supports_masking}")

    # 2. Unbuilt: no weights yet, as in Keras.
    if not layer.built:
        _check(layer.weights == [], f"an unbuilt layer has weights: {layer.weights}")

    # 3. Explicit build.
    built_layer = layer_cls(**init_kwargs)
    if not built_layer.built:
        built_layer.build(input_shape)
    _check(built_layer.built, "build() did not set `built`")
    _check_weight_counts(built_layer, expected_num_trainable_weights, expected_num_non_trainable_weights,
                         "after build()")
    if expected_output_shape is not None:
        shape_in = ([(None,) + tuple(s[1:]) for s in input_shape] if isinstance(input_shape, list)
                    else (None,) + tuple(input_shape[1:]))
        shape_out = built_layer.compute_output_shape(shape_in)
        expected_symbolic = _with_unknown_batch(expected_output_shape)
        _check(_normalize(shape_out) == _normalize(expected_symbolic),
               f"compute_output_shape({shape_in}) = {shape_out}, expected {expected_symbolic}")

    # 4. Lazy first call.
    lazy_layer = layer_cls(**init_kwargs)
    output = lazy_layer(input_data, **call_kwargs)
    _check(lazy_layer.built, "calling the layer did not build it")
    _check_weight_counts(lazy_layer, expected_num_trainable_weights, expected_num_non_trainable_weights,
                         "after the first call")
    for variable in lazy_layer.weights:
        _check(variable.path.startswith(lazy_layer.name + "/"),
               f"weight path {variable.path} does not start with the layer name {lazy_layer.name}")
    if expected_output_shape is not None:
        _check(_normalize(_shapes(output)) == _normalize(expected_output_shape),
               f"output shape {_shapes(output)}, expected {expected_output_shape}")
    if expected_output_dtype is not None:
        for out in _as_list(output):
            _check(backend.standardize_dtype(out.dtype) == expected_output_dtype,
                   f"output dtype {out.dtype}, expected {expected_output_dtype}")
    if expected_output is not None:
        _allclose(output, expected_output, atol, rtol, "output differs from expected_output")
    if expected_mask_shape is not None:
        mask = getattr(output, "_keras_mask", None)
        _check(mask is not None, "the layer produced no mask")
        _check(tuple(mask.shape) == tuple(expected_mask_shape),
               f"mask shape {tuple(mask.shape)}, expected {expected_mask_shape}")
    if expected_num_losses is not None:
        _check(len(lazy_layer.losses) == expected_num_losses,
               f"{len(lazy_layer.losses)} losses, expected {expected_num_losses}")
    if deterministic:
        _allclose(lazy_layer(input_data, **call_kwargs), output, atol, rtol, "a second call differs")

    # 5. get_weights / set_weights, and the state_dict round trips.
    weights = lazy_layer.get_weights()
    _check(len(weights) == len(lazy_layer.weights), "get_weights() and weights differ in length")
    if weights:
        built_layer.set_weights(weights)
        for a, b in zip(built_layer.get_weights(), weights):
            np.testing.assert_array_equal(a, b)
        _allclose(built_layer(input_data, **call_kwargs), output, atol, rtol,
                  "set_weights(get_weights()) changed the output")
    state = lazy_layer.state_dict()
    unbuilt = layer_cls(**init_kwargs)
    result = unbuilt.load_state_dict(state)
    _check(not result.missing_keys and not result.unexpected_keys,
           f"load_state_dict into an unbuilt layer: {result}")
    _allclose(unbuilt(input_data, **call_kwargs), output, atol, rtol,
              "an unbuilt layer loaded from state_dict gives another output")
    _check(list(unbuilt.state_dict()) == list(state), "state_dict keys differ after the round trip")

    # 6. Training mode and a backward pass reaching every trainable weight.
    if run_training_check:
        train_layer = layer_cls(**init_kwargs)
        data = input_data
        if any(x.is_floating_point() for x in _as_list(data)):
            data = [x.clone().requires_grad_(x.is_floating_point()) for x in _as_list(data)]
            data = data if isinstance(input_data, (list, tuple)) else data[0]
        out = train_layer(data, training=True, **call_kwargs)
        floats = [o for o in _as_list(out) if o.is_floating_point()]
        if floats and (train_layer.trainable_weights or any(
                x.requires_grad for x in _as_list(data))):
            sum(o.float().sum() for o in floats).backward()
            for variable in train_layer.trainable_weights:
                _check(variable.value.grad is not None, f"no gradient reached {variable.path}")

    # 7. A float64 policy: float64 weights, float64 floating outputs.
    if run_float64_check:
        kwargs = dict(init_kwargs, dtype="float64")
        layer64 = layer_cls(**kwargs)
        data64 = [x.double() if x.is_floating_point() else x for x in _as_list(input_data)]
        out64 = layer64(data64 if isinstance(input_data, (list, tuple)) else data64[0], **call_kwargs)
        for variable in layer64.weights:
            if backend.is_float_dtype(variable.dtype):
                _check(variable.dtype == "float64", f"{variable.path} is {variable.dtype} under float64")
        for out in _as_list(out64):
            if out.is_floating_point():
                _check(out.dtype == torch.float64, f"float64 policy gave output dtype {out.dtype}")
    return lazy_layer


def _check_weight_counts(layer, trainable, non_trainable, when):
    if trainable is not None:
        _check(len(layer.trainable_weights) == trainable,
               f"{len(layer.trainable_weights)} trainable weights {when}, expected {trainable}")
    if non_trainable is not None:
        _check(len(layer.non_trainable_weights) == non_trainable,
               f"{len(layer.non_trainable_weights)} non-trainable weights {when}, expected {non_trainable}")


def _with_unknown_batch(shape):
    if isinstance(shape, list):
        return [_with_unknown_batch(s) for s in shape]
    return (None,) + tuple(shape[1:])


def _normalize(shape):
    if isinstance(shape, list) or (isinstance(shape, tuple) and shape and isinstance(shape[0], tuple)):
        return [tuple(s) for s in shape]
    return tuple(shape)
