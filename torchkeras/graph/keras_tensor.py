"""`KerasTensor`: a symbolic tensor (shape, dtype, name, no data) that records what is done to it.

Calling a layer on a KerasTensor records a `Node`. Python operators (`x + y`, `x[:, 0]`), tensor methods
(`x.reshape(...)`) and torch functions (`torch.cat([x, y], 1)`, `torch.relu(x)`) on KerasTensors are
recorded too, as `TorchOp` layers, so no Lambda layer is needed for them.
"""

import collections
import operator

import torch

from torchkeras import backend

KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])


class KerasTensor:
    """A symbolic tensor.

    Args:
        shape: Shape tuple including the batch axis, `None` for unknown sizes, e.g. `(None, 784)`.
        dtype: Keras dtype name.
        name: Optional name.
    """

    _is_keras_symbolic = True

    def __init__(self, shape, dtype="float32", name=None, sparse=False):
        self.shape = tuple(shape)
        self.dtype = backend.standardize_dtype(dtype)
        self.name = name
        self.sparse = sparse
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no value, so it cannot be used as a Python bool (in `if`, `and`, "
            f"`while`). Received: {self!r}. Put data-dependent control flow in a layer's `call()`."
        )

    def __len__(self):
        if self.shape and self.shape[0] is not None:
            return self.shape[0]
        raise TypeError(f"len() of a KerasTensor with an unknown first dimension: {self!r}")

    def __iter__(self):
        raise TypeError(f"A KerasTensor cannot be iterated over: {self!r}. Index it instead: x[:, 0].")

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        from torchkeras.graph.torch_op import record_torch_op

        return record_torch_op(func, args, kwargs or {})

    def __getattr__(self, name):
        if name.startswith("_") or not callable(getattr(torch.Tensor, name, None)):
            raise AttributeError(f"'KerasTensor' object has no attribute '{name}'")
        from torchkeras.graph.torch_op import record_tensor_method

        def method(*args, **kwargs):
            return record_tensor_method(name, self, args, kwargs)

        return method

    @property
    def T(self):
        return self.transpose(-2, -1) if self.ndim == 2 else self.permute(*reversed(range(self.ndim)))


def _operator(fn, reflected=False):
    def apply(self, *others):
        from torchkeras.graph.torch_op import record_torch_op

        args = (others[0], self) if reflected else (self, *others)
        return record_torch_op(fn, args, {})

    apply.__name__ = fn.__name__
    return apply


for _name, _fn in [
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul), ("truediv", operator.truediv),
    ("floordiv", operator.floordiv), ("mod", operator.mod), ("pow", operator.pow),
    ("matmul", operator.matmul), ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
]:
    setattr(KerasTensor, f"__{_name}__", _operator(_fn))
    setattr(KerasTensor, f"__r{_name}__", _operator(_fn, reflected=True))
for _name, _fn in [
    ("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs), ("invert", operator.invert),
    ("lt", operator.lt), ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge),
    ("getitem", operator.getitem),
]:
    setattr(KerasTensor, f"__{_name}__", _operator(_fn))
# `==` keeps Python identity semantics (tensors are used as dict keys and compared by identity);
# use torch.eq(x, y) for an element-wise comparison.
KerasTensor.__hash__ = object.__hash__
