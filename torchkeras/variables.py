"""`Variable`: Keras's view of one weight of a layer.

The tensor itself is an ordinary `torch.nn.Parameter` (trainable weights) or buffer (weights created with
`trainable=False`, such as moving statistics) registered on the layer, so `state_dict`, `.to(device)`,
optimizers and `torch.compile` see plain torch. A `Variable` adds Keras's API on top: `.path`
(`"dense/kernel"`), `.name`, `.shape` (a tuple), `.dtype` (a Keras string), `.trainable`, `.numpy()`,
`.assign()`. It also works inside torch functions and numpy (`torch.matmul(x, v)`, `np.asarray(v)`), the
way Keras's torch-backend variables do.
"""

import numpy as np
import torch

from torchkeras import backend


class Variable:
    """One weight of a layer, as Keras presents it.

    Args:
        owner: The layer (`nn.Module`) the tensor is registered on.
        attr: The attribute name of the parameter or buffer on `owner`.
        name: Keras's name for the weight (`"kernel"`).
        path: Keras's path (`"dense/kernel"`).
        trainable: Whether the weight was created trainable.
        regularizer: Optional callable adding a loss for this weight.
        constraint: Optional callable applied to the weight after optimizer updates.
    """

    __slots__ = ("_owner", "_attr", "name", "path", "_trainable", "regularizer", "constraint")

    def __init__(self, owner, attr, name, path, trainable, regularizer=None, constraint=None):
        self._owner = owner
        self._attr = attr
        self.name = name
        self.path = path
        self._trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def value(self):
        """The live torch tensor (`nn.Parameter` or buffer)."""
        owner = self._owner
        tensor = owner._parameters.get(self._attr)
        return tensor if tensor is not None else owner._buffers[self._attr]

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def ndim(self):
        return self.value.dim()

    @property
    def dtype(self):
        return backend.standardize_dtype(self.value.dtype)

    @property
    def device(self):
        return self.value.device

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        tensor = self.value
        if isinstance(tensor, torch.nn.Parameter):
            tensor.requires_grad_(self._trainable and self._owner.trainable)

    def numpy(self):
        """A copy of the value as a numpy array (never a view of the live weight, as in Keras)."""
        return backend.convert_to_numpy(self.value)

    def assign(self, value):
        """Copies `value` (array, tensor or number) into the weight in place; shapes must match."""
        tensor = self.value
        new = backend.convert_to_tensor(value, dtype=tensor.dtype)
        if tuple(new.shape) != tuple(tensor.shape):
            raise ValueError(
                f"Cannot assign a value of shape {tuple(new.shape)} to variable `{self.path}` of shape "
                f"{tuple(tensor.shape)}."
            )
        with torch.no_grad():
            tensor.copy_(new)
        return self

    def assign_add(self, value):
        return self.assign(self.value.detach() + backend.convert_to_tensor(value, dtype=self.value.dtype))

    def assign_sub(self, value):
        return self.assign(self.value.detach() - backend.convert_to_tensor(value, dtype=self.value.dtype))

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        args = [a.value if isinstance(a, Variable) else a for a in args]
        kwargs = {k: v.value if isinstance(v, Variable) else v for k, v in (kwargs or {}).items()}
        return func(*args, **kwargs)

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={np.array2string(self.numpy(), threshold=6)}>"
        )

    def __len__(self):
        return len(self.value)

    def __getitem__(self, key):
        return self.value[key]


def _forward_operator(name):
    def operator(self, *others):
        return getattr(self.value, name)(*(o.value if isinstance(o, Variable) else o for o in others))

    operator.__name__ = name
    return operator


for _op in (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__matmul__", "__rmatmul__", "__pow__", "__rpow__", "__neg__", "__abs__", "__lt__", "__le__",
    "__gt__", "__ge__",
):
    setattr(Variable, _op, _forward_operator(_op))
