"""Plain `{name: tensor}` state dicts of torchkeras models, in Keras's layout or in torch's.

Keys are torchkeras's own `state_dict()` keys: attribute paths of the layers (`conv1.kernel`,
`encoder.dense_1.bias`) and, inside a `Sequential`, positions (`0.kernel`, `3.moving_mean`), never
Keras's process-wide auto-names. Trainable weights and non-trainable ones (moving statistics) are both
there; values are detached, contiguous copies on the model's device.

`layout="keras"` (the default) keeps Keras's shapes: a Dense kernel is `(in, out)`, a Conv2D kernel
`(kh, kw, in, out)`. `layout="torch"` renames and transposes, explicitly and only for the layers that
have an exact `torch.nn` counterpart, so the dict loads into the same architecture written with
`torch.nn` (same submodule names):

| torchkeras layer | Keras weight -> torch key | transform |
| --- | --- | --- |
| Dense | `kernel` (in, out) -> `weight` (out, in); `bias` -> `bias` | transpose |
| Conv1D/2D/3D | `kernel` (k..., in/groups, out) -> `weight` (out, in/groups, k...) | move the last two axes first |
| Conv1D/2D/3DTranspose | `kernel` (k..., out, in) -> `weight` (in, out, k...) | move the last two axes first |
| Embedding | `embeddings` -> `weight` | none |
| BatchNormalization | `gamma`, `beta`, `moving_mean`, `moving_variance` -> `weight`, `bias`, `running_mean`, `running_var` | none |
| LayerNormalization | `gamma`, `beta` -> `weight`, `bias` | none |

Any other layer that holds weights refuses the torch layout with a `ValueError` naming it (no silent
guess: an LSTM's fused kernels, for one, do not map one-to-one onto `torch.nn.LSTM`'s).
"""

import torch

_LAYOUTS = ("keras", "torch")


def _check_layout(layout):
    if layout not in _LAYOUTS:
        raise ValueError(f"Invalid value for argument `layout`. Expected one of {list(_LAYOUTS)}. "
                         f"Received: layout={layout!r}")


def _check_model(model, function):
    from torchkeras.layers.layer import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"`{function}` expects a torchkeras model or layer. Received: "
                        f"{type(model).__module__}.{type(model).__name__}")


def _kernel_to_torch(kernel):
    """(k..., a, b) -> (b, a, k...): Keras HWIO-style kernels to torch's OIHW-style weights."""
    rank = kernel.dim()
    return kernel.permute(rank - 1, rank - 2, *range(rank - 2))


def _kernel_from_torch(weight):
    """(b, a, k...) -> (k..., a, b): the inverse of `_kernel_to_torch`."""
    rank = weight.dim()
    return weight.permute(*range(2, rank), 1, 0)


def _identity(tensor):
    return tensor


def _rules():
    """`[(layer class, {keras weight name: (torch name, to_torch, from_torch)})]`."""
    from torchkeras.layers.convolutional.base_conv import BaseConv
    from torchkeras.layers.convolutional.base_conv_transpose import BaseConvTranspose
    from torchkeras.layers.core.dense import Dense
    from torchkeras.layers.core.embedding import Embedding
    from torchkeras.layers.normalization.batch_normalization import BatchNormalization
    from torchkeras.layers.normalization.layer_normalization import LayerNormalization

    bias = ("bias", _identity, _identity)
    kernel = ("weight", _kernel_to_torch, _kernel_from_torch)
    return [
        (Dense, {"kernel": ("weight", torch.t, torch.t), "bias": bias}),
        (BaseConv, {"kernel": kernel, "bias": bias}),
        (BaseConvTranspose, {"kernel": kernel, "bias": bias}),
        (Embedding, {"embeddings": ("weight", _identity, _identity)}),
        (BatchNormalization, {"gamma": ("weight", _identity, _identity), "beta": bias,
                              "moving_mean": ("running_mean", _identity, _identity),
                              "moving_variance": ("running_var", _identity, _identity)}),
        (LayerNormalization, {"gamma": ("weight", _identity, _identity), "beta": bias}),
    ]


def _rule_for(layer, rules):
    for cls, rule in rules:
        if type(layer) is cls or (isinstance(layer, cls) and type(layer).__module__.startswith("torchkeras.")):
            return rule
    return None


def _weight_entries(model):
    """`{state_dict key: (layer, keras weight name)}` for every weight the model's state dict holds."""
    from torchkeras.layers.layer import Layer

    entries = {}
    for prefix, module in model.named_modules(remove_duplicate=False):
        if not isinstance(module, Layer):
            continue
        for variable in module._own_weights():
            entries[f"{prefix}.{variable._attr}" if prefix else variable._attr] = (module, variable.name)
    return entries


def _torch_names(model, function):
    """`{torchkeras key: (torch key, to_torch, from_torch)}`; raises if a weight has no torch rule."""
    if not model.built:
        raise ValueError(f"`{function}(..., layout='torch')` needs a built model; model '{model.name}' is "
                         "not built. Call it on data or `build(input_shape)` first.")
    rules = _rules()
    names, refused = {}, {}
    for key, (layer, weight_name) in _weight_entries(model).items():
        rule = _rule_for(layer, rules)
        if rule is None or weight_name not in rule:
            refused[key.rpartition(".")[0] or "<root>"] = f"{type(layer).__name__} '{layer.name}'"
            continue
        torch_name, to_torch, from_torch = rule[weight_name]
        head, _, _ = key.rpartition(".")
        names[key] = (f"{head}.{torch_name}" if head else torch_name, to_torch, from_torch)
    if refused:
        listing = ", ".join(f"`{path}` ({what})" for path, what in refused.items())
        raise ValueError(
            f"`layout='torch'` has no exact torch.nn weight layout for these layers of model '{model.name}': "
            f"{listing}. Supported: Dense, Conv1D-3D, Conv1D-3DTranspose, Embedding, BatchNormalization, "
            "LayerNormalization. Use `layout='keras'` (Keras's shapes) for the others."
        )
    return names


def _copy(tensor):
    return tensor.detach().clone(memory_format=torch.contiguous_format)


def to_torch_state_dict(model, layout="keras"):
    """Returns the model's weights as a plain `{name: tensor}` dict (see the module docstring).

    Args:
        model: A torchkeras model or layer.
        layout: `"keras"` (Keras's shapes, torchkeras's `state_dict()` keys) or `"torch"` (the weights
            of the layers that have a `torch.nn` counterpart renamed and transposed to its layout).

    Returns:
        A dict of detached, contiguous tensor copies, in `state_dict()` order.

    Raises:
        TypeError: `model` is not a torchkeras layer.
        ValueError: An unknown `layout`; for `"torch"`, an unbuilt model or a layer without a rule.
    """
    _check_model(model, "to_torch_state_dict")
    _check_layout(layout)
    state = model.state_dict()
    if layout == "keras":
        return {key: _copy(value) for key, value in state.items()}
    names = _torch_names(model, "to_torch_state_dict")
    result = {}
    for key, value in state.items():
        if key in names:
            torch_key, to_torch, _ = names[key]
            result[torch_key] = _copy(to_torch(value))
        else:
            result[key] = _copy(value)
    return result


def load_torch_state_dict(model, state_dict, layout="keras", strict=True):
    """Loads a dict written by `to_torch_state_dict` (or by hand, in the same key scheme) into `model`.

    Every key and shape is checked before anything is assigned: with `strict=True` a missing key, an
    unexpected key or a wrong shape raises one `ValueError` listing every problem, and the model is left
    untouched. With `strict=False` missing and unexpected keys are allowed (wrong shapes never are).

    Args:
        model: A torchkeras model or layer (with `layout="keras"` it may be unbuilt: its lazy weights
            take the shapes of the dict, as with `load_state_dict`).
        state_dict: A dict of tensors (numpy arrays are accepted).
        layout: The layout the dict is in: `"keras"` or `"torch"`.
        strict: Whether the keys must match exactly.

    Returns:
        The `(missing_keys, unexpected_keys)` named tuple of `torch.nn.Module.load_state_dict`, keys
        named as in `state_dict`'s layout.

    Raises:
        TypeError: `model` is not a torchkeras layer, or `state_dict` is not a dict.
        ValueError: An unknown `layout`, or the dict does not fit the model.
    """
    _check_model(model, "load_torch_state_dict")
    _check_layout(layout)
    if not isinstance(state_dict, dict):
        raise TypeError(f"`load_torch_state_dict` expects a dict of tensors. Received: {type(state_dict).__name__}")
    state_dict = {key: torch.as_tensor(value) for key, value in state_dict.items()}
    expected = model.state_dict()
    names = _torch_names(model, "load_torch_state_dict") if layout == "torch" else {}
    to_file_key = {key: names[key][0] if key in names else key for key in expected}
    from_file_key = {file_key: key for key, file_key in to_file_key.items()}

    converted, problems = {}, []
    missing = [to_file_key[key] for key in expected if to_file_key[key] not in state_dict]
    unexpected = [key for key in state_dict if key not in from_file_key]
    if strict:
        problems += [f"missing key `{key}`" for key in missing]
        problems += [f"unexpected key `{key}`" for key in unexpected]
    for file_key, value in state_dict.items():
        key = from_file_key.get(file_key)
        if key is None:
            continue
        file_shape = tuple(value.shape)
        if key in names:
            value = names[key][2](value)
        target = expected[key]
        lazy = isinstance(target, torch.nn.parameter.UninitializedTensorMixin)
        if not lazy and tuple(value.shape) != tuple(target.shape):
            problems.append(f"`{file_key}` has shape {file_shape}, the model expects "
                            f"{tuple(names[key][1](target).shape) if key in names else tuple(target.shape)}")
        converted[key] = value
    if problems:
        listing = "\n".join(f"- {p}" for p in problems)
        raise ValueError(f"The state dict does not fit model '{model.name}' (layout={layout!r}, "
                         f"{len(problems)} problems); nothing was loaded:\n{listing}")
    result = model.load_state_dict(converted, strict=False)
    return type(result)(missing, unexpected)
