"""`TorchOp`: a torch function, operator or tensor method recorded on symbolic tensors.

`x + y`, `x[:, 0]`, `x.reshape(-1, 4)` and `torch.cat([a, b], 1)` on KerasTensors each become a `TorchOp`
node in the functional graph. In the generated `torch.fx` code a `TorchOp` is a plain `call_function`
(or `call_method`), so it costs what the torch call costs.
"""

import operator

import torch

from torchkeras.graph.node import Node, flatten, is_symbolic, map_structure, symbolic_outputs, to_meta
from torchkeras.layers.layer import Layer
from torchkeras.utils import naming

_FILL_A, _FILL_B = 83, 89

_OPERATOR_NAMES = {
    operator.add: "add", operator.sub: "subtract", operator.mul: "multiply", operator.truediv: "true_divide",
    operator.floordiv: "floor_divide", operator.mod: "mod", operator.pow: "power",
    operator.matmul: "matmul", operator.neg: "negative", operator.pos: "positive",
    operator.abs: "absolute", operator.getitem: "get_item", operator.lt: "less",
    operator.le: "less_equal", operator.gt: "greater", operator.ge: "greater_equal",
    operator.and_: "logical_and", operator.or_: "logical_or", operator.xor: "logical_xor",
    operator.invert: "invert",
}


class TorchOp(Layer):
    """A recorded torch function (`function`) or tensor method (`method`, a name) with its fixed
    non-tensor arguments. It has no weights.

    Args:
        function: The torch function or operator, or `None` for a tensor method.
        method: Name of the tensor method, or `None`.
    """

    def __init__(self, function=None, method=None, **kwargs):
        if (function is None) == (method is None):
            raise ValueError("TorchOp needs exactly one of `function` and `method`.")
        self.function = function
        self.method = method
        auto_named = "name" not in kwargs
        kwargs.setdefault("name", naming.auto_name(self.op_name))
        super().__init__(**kwargs)
        self._auto_named = auto_named
        self.built = True

    @property
    def bound_kwargs(self):
        """Keyword arguments the generated code passes besides the recorded ones (see `KerasOp`)."""
        return {}

    @property
    def traceable_function(self):
        """`function` as the generated code calls it where `torch.fx.symbolic_trace` may run it."""
        return self.function

    @property
    def op_name(self):
        if self.method is not None:
            return self.method
        return _OPERATOR_NAMES.get(self.function, getattr(self.function, "__name__", "torch_op"))

    def call(self, *args, **kwargs):
        if self.method is not None:
            return getattr(args[0], self.method)(*args[1:], **kwargs)
        return self.function(*args, **kwargs)

    def get_config(self):
        """Raises: a recorded torch call has no config of its own. A functional model's config writes the
        calls that a Keras operation computes as that operation (`torch_to_keras`); this error is for the
        others."""
        target = self.method or getattr(self.function, "__name__", repr(self.function))
        if self.method is None and getattr(self.function, "__module__", None):
            module = self.function.__module__
            module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional",
                      "torch._C._VariableFunctions": "torch"}.get(module, module)
            target = f"{module}.{target}"
        raise ValueError(
            f"The functional graph records the torch operation `{target}` (node '{self.name}') with "
            "arguments no Keras operation takes, or that no Keras operation computes: Keras could not "
            "rebuild it from a saved model. Python operators and the torch functions with a Keras "
            "counterpart (`torch.cat`, `torch.mean`, `x.reshape`, ...; see "
            "`torchkeras.graph.torch_to_keras`) are saved as Keras operations; otherwise use a Keras layer "
            "(for example `keras.layers.Add` for `x + y`) or a registered custom layer where the model "
            "must be saved."
        )


def record_torch_op(function, args, kwargs):
    """Records `function(*args, **kwargs)` on symbolic tensors and returns symbolic outputs."""
    return _record(TorchOp(function=function), function, args, kwargs)


def record_tensor_method(name, tensor, args, kwargs):
    """Records `tensor.<name>(*args, **kwargs)` and returns symbolic outputs."""
    op = TorchOp(method=name)
    return _record(op, lambda t, *a, **k: getattr(t, name)(*a, **k), (tensor, *args), kwargs)


def _record(op, fn, args, kwargs):
    try:
        with torch.no_grad():
            first = fn(*map_structure(lambda v: to_meta(v, _FILL_A), args),
                       **map_structure(lambda v: to_meta(v, _FILL_A), kwargs))
            second = fn(*map_structure(lambda v: to_meta(v, _FILL_B), args),
                        **map_structure(lambda v: to_meta(v, _FILL_B), kwargs))
    except Exception as error:
        shapes = [v.shape for v in flatten((args, kwargs)) if is_symbolic(v)]
        raise ValueError(
            f"Cannot apply `{op.op_name}` to symbolic inputs of shapes {shapes}: {error}"
        ) from error
    outputs = symbolic_outputs(first, second)
    Node(op, args, kwargs, outputs)
    return outputs
