"""Keras dtype policies: the dtype variables are stored in and the dtype the math runs in.

`"mixed_float16"` stores variables in float32 and computes in float16. This module is the one place that
knows what a policy name means, and the one place that turns policies into `torch.autocast` scopes: a
layer with a mixed policy runs its call under autocast for its inputs' device with its compute dtype; a
layer with a plain policy called inside a mixed one runs with autocast off.
"""

import torch

from torchkeras import backend
from torchkeras.api_export import keras_export

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_PLAIN = ("float16", "bfloat16", "float32", "float64")
_VALID_NAMES = _PLAIN + tuple(_MIXED)


@keras_export("keras.DTypePolicy", "keras.dtype_policies.DTypePolicy")
class DTypePolicy:
    """A dtype policy for a layer.

    Args:
        name: One of `"float32"`, `"float16"`, `"bfloat16"`, `"float64"`, `"mixed_float16"`,
            `"mixed_bfloat16"`. `None` takes the global policy's name.
    """

    def __init__(self, name=None):
        if name is None:
            name = global_policy().name
        if not isinstance(name, str) or name not in _VALID_NAMES and not _is_plain_dtype(name):
            raise ValueError(
                f"Cannot convert {name!r} to a dtype policy. Valid policies are {list(_VALID_NAMES)} or "
                f"a floating dtype name. Received: name={name!r}"
            )
        self._name = name
        if name in _MIXED:
            self._compute_dtype, self._variable_dtype = _MIXED[name], "float32"
        else:
            dtype = backend.standardize_dtype(name)
            self._compute_dtype = self._variable_dtype = dtype
        self._compute_torch_dtype = backend.to_torch_dtype(self._compute_dtype)

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def compute_torch_dtype(self):
        return self._compute_torch_dtype

    @property
    def is_mixed(self):
        return self._name in _MIXED

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


def _is_plain_dtype(name):
    try:
        return backend.is_float_dtype(name)
    except ValueError:
        return False


_GLOBAL_POLICY = None


@keras_export("keras.config.dtype_policy", "keras.mixed_precision.global_policy")
def global_policy():
    """The policy layers take when they are created without `dtype=`."""
    global _GLOBAL_POLICY
    if _GLOBAL_POLICY is None:
        _GLOBAL_POLICY = DTypePolicy(backend.floatx())
    return _GLOBAL_POLICY


@keras_export("keras.config.set_dtype_policy", "keras.mixed_precision.set_global_policy")
def set_global_policy(policy):
    """Sets the global policy from a name, a `DTypePolicy` or `None` (back to `floatx()`)."""
    global _GLOBAL_POLICY
    _GLOBAL_POLICY = None if policy is None else get(policy)


def get(identifier):
    """Resolves a policy name, a `DTypePolicy`, a torch/numpy dtype, a Keras config dict, or `None`."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        if identifier.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy"):
            raise ValueError(
                f"Expected a DTypePolicy config dict. Received: {identifier!r}"
            )
        return DTypePolicy.from_config(identifier["config"])
    if isinstance(identifier, torch.dtype):
        identifier = backend.standardize_dtype(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(backend.standardize_dtype(identifier))
    except ValueError:
        raise ValueError(
            f"Cannot interpret `dtype` as a dtype policy. Expected a policy name, a DTypePolicy or a "
            f"floating dtype. Received: dtype={identifier!r}"
        ) from None


class _AutocastState:
    """The autocast scope torchkeras opened around the call running now: `(device_type, torch dtype)`
    for a mixed layer, or `None` outside any mixed layer (and inside a plain layer nested in one).

    Plain module-level state (not thread-local), as `call_context`, keeps `torch.compile` free of graph
    breaks."""

    __slots__ = ("current",)

    def __init__(self):
        self.current = None


AUTOCAST_STATE = _AutocastState()


def cast_floats(structure, dtype):
    """`structure` (a tensor, or a list, tuple or dict of them) with its floating tensors cast to `dtype`,
    masks kept; the same object when nothing needed a cast."""
    if isinstance(structure, torch.Tensor):
        if structure.dtype is not dtype and structure.is_floating_point():
            mask = getattr(structure, "_keras_mask", None)
            structure = structure.to(dtype)
            if mask is not None:
                structure._keras_mask = mask
        return structure
    if isinstance(structure, (list, tuple)):
        cast = [cast_floats(x, dtype) for x in structure]
        if all(a is b for a, b in zip(cast, structure)):
            return structure
        if type(structure) in (list, tuple):
            return type(structure)(cast)
        return type(structure)(*cast)  # a namedtuple
    if isinstance(structure, dict):
        cast = {k: cast_floats(v, dtype) for k, v in structure.items()}
        return structure if all(cast[k] is v for k, v in structure.items()) else cast
    return structure


def call_under_policy(layer, module_call, inputs, args, kwargs):
    """Runs `module_call(*args, **kwargs)` (the layer's torch call) in the autocast scope its policy asks
    for. `Layer.__call__` comes here only when the layer's policy is mixed or a mixed scope is open.

    A mixed layer (with `autocast=True`) opens `torch.autocast(<device>, dtype=compute dtype)` (unless the
    same scope is open already) and hands back its floating outputs in the compute dtype, as Keras does
    (ops on autocast's float32 list otherwise leave them in float32). Models hand back what their last
    layers produced (a `dtype="float32"` head stays float32). Any other layer called inside a mixed scope
    runs with autocast off, its floating inputs already cast to its compute dtype at the boundary."""
    policy = layer._dtype_policy
    outer = AUTOCAST_STATE.current
    if policy.is_mixed and layer.autocast:
        dtype = policy.compute_torch_dtype
        device = backend.first_device(inputs)
        device_type = device.type if device is not None else (outer[0] if outer is not None else "cpu")
        state = (device_type, dtype)
        AUTOCAST_STATE.current = state
        try:
            if device_type == "meta" or (outer == state and torch.is_autocast_enabled(device_type)):
                # Autocast does not act on meta tensors (shape-only runs): those get their weights
                # in the compute dtype from `run_on_meta` instead.
                outputs = module_call(*args, **kwargs)
            else:
                with torch.autocast(device_type, dtype=dtype):
                    outputs = module_call(*args, **kwargs)
        finally:
            AUTOCAST_STATE.current = outer
        if layer._casts_outputs_to_compute_dtype:
            outputs = cast_floats(outputs, dtype)
        return outputs
    if outer is None or outer[0] == "meta":
        return module_call(*args, **kwargs)
    AUTOCAST_STATE.current = None
    try:
        with torch.autocast(outer[0], enabled=False):
            return module_call(*args, **kwargs)
    finally:
        AUTOCAST_STATE.current = outer
