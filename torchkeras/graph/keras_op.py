"""`KerasOp`: a Keras `ops` operation (`Add`, `NotEqual`, `Mean(axis=1)`, ...) as a functional graph node.

Loading a Keras functional config creates one for each operation node of the config (see `keras_ops` for
the supported operations). Like a recorded `TorchOp`, it is a plain `call_function` in the generated
`torch.fx` code: `not_equal(ids, 0)`, `mean(x, axis=1, keepdims=False)`. Its config is Keras's, so the
model saves back to the config it was loaded from.
"""

import functools

from torchkeras.graph import keras_ops
from torchkeras.graph.node import flatten, is_symbolic
from torchkeras.graph.torch_op import TorchOp, _record
from torchkeras.saving import serialization
from torchkeras.utils import naming


def _call_value(value):
    """A config value as the torch function takes it: JSON's lists become tuples."""
    if isinstance(value, list):
        return tuple(_call_value(item) for item in value)
    return value


class KerasOp(TorchOp):
    """A Keras operation, computed by the torch function `keras_ops` gives for its class.

    Args:
        class_name: The Keras class (`"NotEqual"`, `"Mean"`).
        config: Its constructor arguments (without `name`), as in Keras's config.
        name: The operation's name; by default Keras's auto-name (`not_equal`, `not_equal_1`).
        module: Optional module the config gives (`"keras.src.ops.numpy"`), checked against the class.

    Raises:
        ValueError: When the operation is not supported, or its config does not fit its constructor.
    """

    def __init__(self, class_name, config=None, name=None, module=None):
        where = f" (operation '{name}')" if name else ""
        spec = keras_ops.get_spec(class_name, module, where=where)
        keras_config = spec.full_config(dict(config or {}), where=where)
        bound = {key: _call_value(value) for key, value in keras_config.items()}
        if bound.get("dtype") is not None:
            bound["dtype"] = keras_ops.torch_dtype(bound["dtype"])
        self._keras_class_name = spec.class_name  # the spec is looked up by name: pickles as a name
        self.keras_config = keras_config
        self._bound_kwargs = bound
        auto_named = name is None
        super().__init__(function=spec.function, name=naming.auto_name(spec.op_name) if auto_named else name)
        self._auto_named = auto_named

    @property
    def spec(self):
        """The operation's `keras_ops.OpSpec`."""
        return keras_ops.KERAS_OPS[self._keras_class_name]

    @property
    def op_name(self):
        return self.spec.op_name

    @property
    def bound_kwargs(self):
        return self._bound_kwargs

    @property
    def traceable_function(self):
        return self.spec.traceable

    def __call__(self, *args, **kwargs):
        if any(is_symbolic(value) for value in flatten((args, kwargs))):
            return _record(self, functools.partial(self.spec.function, **self._bound_kwargs), args, kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        return self.spec.function(*args, **kwargs, **self._bound_kwargs)

    def get_config(self):
        return {"name": self.name, **self.keras_config}

    def get_build_config(self):
        return None  # Keras writes no build config for an operation

    def serialize(self):
        """The operation as Keras writes it in a functional config's `layers`."""
        return keras_op_config(self.spec, self.get_config())

    @classmethod
    def from_serialized(cls, data):
        """A `KerasOp` from a serialized operation (`{"module", "class_name", "config", ...}`)."""
        config = dict(data.get("config") or {})
        name = config.pop("name", None)
        if name is None:
            name = data.get("name")
        return cls(data["class_name"], config, name=name, module=data.get("module"))

    def __repr__(self):
        return f"<KerasOp {self.spec.class_name} name={self.name}>"


def keras_op_config(spec, config):
    """`{"module", "class_name", "config", "registered_name"}` as Keras serializes an operation."""
    return {
        "module": spec.module,
        "class_name": spec.class_name,
        "config": serialization.serialize_dict(config),
        "registered_name": spec.class_name,
    }

