"""Keras dtype policies: the dtype variables are stored in and the dtype the math runs in.

`"mixed_float16"` stores variables in float32 and computes in float16. This module is the one place that
knows what a policy name means.
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
