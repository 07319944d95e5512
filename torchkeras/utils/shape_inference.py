"""Output shapes without real compute: run a layer's `call` on meta tensors.

Unknown sizes (`None`) are filled with two different sizes in two runs, as Keras's torch backend does;
an output size that differs between the runs is unknown (`None`) too.
"""

import torch
from torch.func import functional_call
from torch.nn.parameter import is_lazy

_FILL_A, _FILL_B = 83, 89


def _meta_inputs(shape, fill, dtype):
    if isinstance(shape, dict):
        return {k: _meta_inputs(v, fill, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and not all(d is None or isinstance(d, int) for d in shape):
        return [_meta_inputs(s, fill, dtype) for s in shape]
    return torch.empty([fill if d is None else d for d in shape], device="meta", dtype=dtype)


def _output_shapes(outputs):
    if isinstance(outputs, torch.Tensor):
        return tuple(outputs.shape)
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_output_shapes(o) for o in outputs)
    if isinstance(outputs, dict):
        return {k: _output_shapes(v) for k, v in outputs.items()}
    return outputs


def _merge(a, b):
    if isinstance(a, dict):
        return {k: _merge(a[k], b[k]) for k in a}
    if isinstance(a, list) or (isinstance(a, tuple) and a and not isinstance(a[0], (int, type(None)))):
        return type(a)(_merge(x, y) for x, y in zip(a, b))
    return tuple(x if x == y else None for x, y in zip(a, b))


def run_on_meta(layer, args, kwargs=None):
    """Calls `layer` with every weight and buffer swapped for a meta tensor of the same shape."""
    # Uninitialized (lazy) weights belong to sublayers not built yet; they build during this run.
    state, seen = {}, set()
    for prefix, module in layer.named_modules():
        # torch.autocast does not act on meta tensors: a mixed-policy layer's floating weights stand in
        # already cast to its compute dtype, as autocast would hand them to its ops.
        policy = getattr(module, "_dtype_policy", None)
        cast = policy.compute_torch_dtype if policy is not None and policy.is_mixed else None
        prefix = prefix + "." if prefix else ""
        for store in (module._parameters, module._buffers):
            for name, t in store.items():
                if t is None or is_lazy(t) or id(t) in seen:
                    continue
                seen.add(id(t))
                dtype = cast if cast is not None and t.is_floating_point() else t.dtype
                state[prefix + name] = torch.empty_like(t, device="meta", dtype=dtype)
    return functional_call(layer, state, tuple(args), kwargs or {}, strict=False)


def infer_output_shape(layer, input_shape, dtype=None):
    """The output shape(s) of `layer` for `input_shape`, with `None` for sizes that follow unknown ones."""
    dtype = dtype or layer._dtype_policy.compute_torch_dtype
    with torch.no_grad():
        first = _output_shapes(run_on_meta(layer, (_meta_inputs(input_shape, _FILL_A, dtype),)))
        if not _has_unknown(input_shape):
            return first
        second = _output_shapes(run_on_meta(layer, (_meta_inputs(input_shape, _FILL_B, dtype),)))
    return _merge(first, second)


def _has_unknown(shape):
    if isinstance(shape, dict):
        return any(_has_unknown(s) for s in shape.values())
    if isinstance(shape, (list, tuple)):
        return any(d is None or (not isinstance(d, int) and _has_unknown(d)) for d in shape)
    return shape is None


def infer_output_spec(layer, args, kwargs):
    """KerasTensors for the outputs of `layer(*args, **kwargs)` where some arguments are KerasTensors."""
    from torchkeras.graph.node import map_structure, symbolic_outputs, to_meta

    with torch.no_grad():
        runs = [
            run_on_meta(layer, map_structure(lambda v: to_meta(v, fill), args),
                        map_structure(lambda v: to_meta(v, fill), kwargs))
            for fill in (_FILL_A, _FILL_B)
        ]
    return symbolic_outputs(*runs)
