"""`Lambda`: wraps an arbitrary expression (a Python function of the inputs) as a layer."""

import inspect
import types

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.saving import serialization


def _is_python_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _first_leaf(structure):
    """The first entry of a (nested) shape structure: the batch size, as Keras's `tree.flatten()[0]`."""
    while isinstance(structure, (list, tuple, dict)):
        if not structure:
            return None
        structure = next(iter(structure.values())) if isinstance(structure, dict) else structure[0]
    return structure


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


@keras_export("keras.layers.Lambda")
class Lambda(Layer):
    """Wraps arbitrary expressions as a `Layer` object.

    Best suited for simple operations or quick experiments; prefer subclassing `Layer` otherwise.
    Lambda layers are saved by serializing the Python bytecode of a lambda, which is non-portable and
    unsafe: such a config only loads with `safe_mode=False` (or after
    `torchkeras.saving.enable_unsafe_deserialization()`). Named functions are saved by name and
    must be registered or passed in `custom_objects` to load.

    Args:
        function: The function to evaluate; takes the input tensor (or structure) as first argument.
            If it accepts `mask` or `training` arguments, they are passed.
        output_shape: Expected output shape. A tuple without the batch dimension (the input's batch
            size is prepended), a list of such tuples for several outputs, or a function of the full
            input shape. By default it is inferred by running `function` on shape-only tensors.
        mask: `None` (no masking: the input mask stops here), a callable with `compute_mask`'s
            signature `(inputs, mask)`, or a tensor returned as the output mask whatever the input.
        arguments: Optional dict of keyword arguments passed to `function`.

    Example:

    >>> layer = Lambda(lambda x: x ** 2)
    >>> layer(torch.tensor([[2.0]]))
    tensor([[4.]])
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Argument `function` of Lambda layer '{self.name}' must be callable. "
                f"Received: function={function!r}"
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"Argument `arguments` of Lambda layer '{self.name}' must be a dict or None. "
                f"Received: arguments={arguments!r}"
            )
        self.arguments = arguments or {}
        self.function = function
        self.supports_masking = mask is not None
        self.mask = mask
        self._output_shape = output_shape
        try:
            function_args = inspect.getfullargspec(function).args
        except TypeError:  # some builtins have no inspectable signature
            function_args = []
        self._fn_expects_training_arg = "training" in function_args
        self._fn_expects_mask_arg = "mask" in function_args
        self._plain_call = not (self.arguments or self._fn_expects_mask_arg or self._fn_expects_training_arg)

    def call(self, inputs, mask=None, training=None):
        if self._plain_call:
            return self.function(inputs)
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    @property
    def _creates_masks(self):
        return self.mask is not None

    def compute_mask(self, inputs, previous_mask=None):
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            try:
                return super().compute_output_shape(input_shape)
            except Exception as error:
                raise NotImplementedError(
                    "We could not automatically infer the shape of the Lambda's output. Please "
                    f"specify the `output_shape` argument for this Lambda layer ('{self.name}'). "
                    f"Running the function on shape-only tensors failed with: {error}"
                ) from error
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        # A shape without the batch dimension: the input's batch size goes first.
        batch_size = _first_leaf(input_shape)
        if _is_shape(self._output_shape):
            return (batch_size,) + tuple(self._output_shape)
        return type(self._output_shape)((batch_size,) + tuple(s) for s in self._output_shape)

    # ------------------------------------------------------------------ config

    @staticmethod
    def _serialize_function_to_config(fn):
        if _is_python_lambda(fn):
            loaded = getattr(fn, "_torchkeras_lambda_config", None)
            if loaded is not None:
                # Loaded from a config: give back those exact bytes (re-marshalling a loaded code
                # object gives other bytes for the same code).
                return {"class_name": "__lambda__", "config": dict(loaded)}
            code, defaults, closure = serialization._func_dump(fn)
            return {
                "class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure},
            }
        if callable(fn):
            return serialization.serialize_keras_object(fn)
        raise ValueError(
            f"Invalid input type for serialization. Received: {fn} of type {type(fn)}."
        )

    def get_config(self):
        config = {"function": self._serialize_function_to_config(self.function)}
        if self._output_shape is not None:
            if callable(self._output_shape):
                config["output_shape"] = self._serialize_function_to_config(self._output_shape)
            else:
                config["output_shape"] = self._output_shape
        if self.mask is not None:
            if callable(self.mask):
                config["mask"] = self._serialize_function_to_config(self.mask)
            else:
                config["mask"] = serialization.serialize_keras_object(self.mask)
        config["arguments"] = serialization.serialize_keras_object(self.arguments)
        return {**super().get_config(), **config}

    @staticmethod
    def _raise_for_lambda_deserialization(safe_mode):
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
                "lambda. This carries a potential risk of arbitrary code execution and thus it is "
                "disallowed by default. If you trust the source of the artifact, you can override "
                "this error by passing `safe_mode=False` to the loading function, or calling "
                "`torchkeras.saving.enable_unsafe_deserialization()`."
            )

    @classmethod
    def _load_function(cls, fn_config, safe_mode, custom_objects):
        if isinstance(fn_config, dict) and fn_config.get("class_name") == "__lambda__":
            cls._raise_for_lambda_deserialization(safe_mode)
            inner = fn_config["config"]
            defaults = inner.get("defaults")
            if isinstance(defaults, list):  # a config read back from JSON
                defaults = tuple(defaults)
            fn = serialization._func_load(inner["code"], defaults=defaults, closure=inner.get("closure"))
            fn._torchkeras_lambda_config = dict(inner)
            return fn
        return serialization.deserialize_keras_object(fn_config, custom_objects=custom_objects,
                                                      safe_mode=safe_mode)

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuilds the layer; refuses lambda bytecode unless safe mode is off.

        `safe_mode=None` takes the enclosing deserialization scope's value, and an unset scope counts
        as safe: a direct `from_config` never runs bytecode silently.
        """
        effective = safe_mode if safe_mode is not None else serialization.in_safe_mode()
        safe_mode = effective is not False
        config = dict(config)
        config["function"] = cls._load_function(config["function"], safe_mode, custom_objects)
        if "output_shape" in config:
            output_shape = config["output_shape"]
            if isinstance(output_shape, dict):
                output_shape = cls._load_function(output_shape, safe_mode, custom_objects)
            if isinstance(output_shape, list) and all(isinstance(e, (int, type(None))) for e in output_shape):
                output_shape = tuple(output_shape)
            config["output_shape"] = output_shape
        if isinstance(config.get("mask"), dict):
            config["mask"] = cls._load_function(config["mask"], safe_mode, custom_objects)
        if "arguments" in config:
            config["arguments"] = serialization.deserialize_keras_object(
                config["arguments"], custom_objects=custom_objects, safe_mode=safe_mode)
        return super().from_config(config)
