"""Object config (de)serialization in exactly Keras 3's dict format.

Mirrors `keras/src/saving/serialization_lib.py`. A serialized object is

    {"module": "keras.layers", "class_name": "Dense", "config": {...},
     "registered_name": None}

plus `"build_config"` / `"compile_config"` when the object provides them.
No pickle is used; Python lambdas are only ever loaded with `safe_mode=False`.
"""

import codecs
import inspect
import marshal
import threading
import types
import warnings

import numpy as np
import torch

from torchkeras import api_export
from torchkeras import backend
from torchkeras.saving import object_registration

PLAIN_TYPES = (str, int, float, bool)

# Keras modules whose built-in functions are serialized by bare name.
BUILTIN_MODULES = (
    "activations",
    "constraints",
    "initializers",
    "losses",
    "metrics",
    "optimizers",
    "regularizers",
)

NON_MODELING_APIS = frozenset(
    {
        "keras.backend.clear_session",
        "keras.config.enable_unsafe_deserialization",
        "keras.models.load_model",
        "keras.models.model_from_json",
        "keras.models.save_model",
        "keras.saving.deserialize_keras_object",
        "keras.saving.load_model",
        "keras.saving.load_weights",
        "keras.saving.register_keras_serializable",
        "keras.saving.save_model",
        "keras.saving.save_weights",
        "keras.saving.serialize_keras_object",
        "keras.utils.clear_session",
        "keras.utils.deserialize_keras_object",
        "keras.utils.get_file",
        "keras.utils.register_keras_serializable",
        "keras.utils.serialize_keras_object",
    }
)

_STATE = threading.local()


class SafeModeScope:
    """Scope propagating the `safe_mode` flag to nested deserialization calls.

    Args:
        safe_mode: Boolean, whether to refuse unsafe content (lambdas).
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.original_value = in_safe_mode()
        _STATE.safe_mode = self.safe_mode
        return self

    def __exit__(self, *args, **kwargs):
        _STATE.safe_mode = self.original_value


def enable_unsafe_deserialization():
    """Disables safe mode globally (in this thread), allowing lambdas to load."""
    _STATE.safe_mode = False


def in_safe_mode():
    """The safe mode set by an enclosing `SafeModeScope`, or `None`."""
    return getattr(_STATE, "safe_mode", None)


class ObjectSharingScope:
    """Scope to detect and reuse objects shared between several configs."""

    def __enter__(self):
        _STATE.id_to_obj_map = {}
        _STATE.id_to_config_map = {}
        return self

    def __exit__(self, *args, **kwargs):
        _STATE.id_to_obj_map = None
        _STATE.id_to_config_map = None


def get_shared_object(obj_id):
    """Retrieves an object previously seen during deserialization."""
    id_to_obj_map = getattr(_STATE, "id_to_obj_map", None)
    if id_to_obj_map is not None:
        return id_to_obj_map.get(obj_id, None)
    return None


def record_object_after_serialization(obj, config):
    """Call after serializing an object, to keep track of its config."""
    if config["module"] == "__main__":
        config["module"] = None  # Keras writes None when there is no module.
    id_to_config_map = getattr(_STATE, "id_to_config_map", None)
    if id_to_config_map is None:
        return
    obj_id = int(id(obj))
    if obj_id not in id_to_config_map:
        id_to_config_map[obj_id] = config
    else:
        config["shared_object_id"] = obj_id
        id_to_config_map[obj_id]["shared_object_id"] = obj_id


def record_object_after_deserialization(obj, obj_id):
    """Call after deserializing an object, to reuse it later in the scope."""
    id_to_obj_map = getattr(_STATE, "id_to_obj_map", None)
    if id_to_obj_map is not None:
        id_to_obj_map[obj_id] = obj


def _public_name(cls):
    """Returns `(module, name)` of a torchkeras built-in, or `None`."""
    module = api_export.builtin_module_of(cls)
    if module is None:
        return None
    name = getattr(cls, "__name__", None)
    if api_export.BUILTIN_OBJECTS.get((module, name)) is cls:
        return module, name
    for (mod, key_name), obj in api_export.BUILTIN_OBJECTS.items():
        if obj is cls and mod == module:
            return module, key_name
    return None


def _func_dump(func):
    """Serializes a Python function's code as Keras does: `(code, defaults, closure)`."""
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = None
    if func.__closure__:
        closure = tuple(c.cell_contents for c in func.__closure__)
    return code, func.__defaults__, closure


def _func_load(code, defaults=None, closure=None):
    """Rebuilds a function from `_func_dump` output. Only called outside safe mode."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
        if isinstance(defaults, list):
            defaults = tuple(defaults)

    def make_cell(value):
        return (lambda: value).__closure__[0]

    if closure is not None:
        closure = tuple(make_cell(value) for value in closure)
    raw_code = codecs.decode(code.encode("ascii"), "base64")
    code = marshal.loads(raw_code)
    return types.FunctionType(
        code, globals(), name=code.co_name, argdefs=defaults, closure=closure
    )


def serialize_keras_object(obj):
    """Returns the config dict of an object, in Keras 3's format.

    Plain Python values pass through; lists and tuples are serialized item by
    item (keeping their type); numpy arrays and torch tensors become Keras's
    `__numpy__` / `__tensor__` dicts; a `torch.dtype` becomes its Keras name.

    Args:
        obj: The object to serialize.

    Returns:
        A Python structure (usually a dict) that `deserialize_keras_object`
        turns back into the object.
    """
    if obj is None:
        return obj
    if isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        config_arr = [serialize_keras_object(x) for x in obj]
        return tuple(config_arr) if isinstance(obj, tuple) else config_arr
    if isinstance(obj, dict):
        return serialize_dict(obj)

    # Special cases.
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, torch.Size):
        return list(obj)
    if isinstance(obj, torch.dtype):
        return backend.standardize_dtype(obj)
    if isinstance(obj, torch.Tensor):
        tensor = obj.detach().cpu()
        return {
            "class_name": "__tensor__",
            "config": {
                "value": tensor.tolist(),
                "dtype": backend.standardize_dtype(tensor.dtype),
            },
        }
    if type(obj).__module__ == np.__name__:
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {
                "class_name": "__numpy__",
                "config": {
                    "value": obj.tolist(),
                    "dtype": backend.standardize_dtype(obj.dtype),
                },
            }
        # numpy scalars / 0-d arrays are treated as plain values.
        return obj.item()
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            source = repr(obj)
        warnings.warn(
            "The object being serialized includes a `lambda`. This is unsafe. "
            "In order to reload the object, you will have to pass "
            "`safe_mode=False` to the loading function. Please avoid using "
            "`lambda` and use named Python functions instead. This is the "
            f"`lambda` being serialized: {source}",
            stacklevel=2,
        )
        return {"class_name": "__lambda__", "config": {"value": _func_dump(obj)}}

    from torchkeras.graph.keras_op import KerasOp

    if isinstance(obj, KerasOp):  # written as the Keras operation it stands for
        return obj.serialize()

    inner_config = _get_class_or_fn_config(obj)
    config = serialize_with_public_class(obj.__class__, inner_config)
    get_build_and_compile_config(obj, config)
    record_object_after_serialization(obj, config)
    return config


def get_build_and_compile_config(obj, config):
    """Adds `build_config` / `compile_config` to `config` when `obj` has them."""
    if hasattr(obj, "get_build_config"):
        build_config = obj.get_build_config()
        if build_config is not None:
            config["build_config"] = serialize_dict(build_config)
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = serialize_dict(compile_config)


def serialize_with_public_class(cls, inner_config=None):
    """Wraps `inner_config` with the module / class name Keras writes for `cls`."""
    public = _public_name(cls)
    if public is None:
        return {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": inner_config,
            "registered_name": object_registration.get_registered_name(cls),
        }
    module, name = public
    return {
        "module": module,
        "class_name": name,
        "config": inner_config,
        # Keras gives a class outside its public API (module "keras.src...") its class name here.
        "registered_name": name if module.startswith("keras.src.") else None,
    }


def serialize_with_public_fn(fn, config, fn_module_name=None):
    """Function config of the form Keras's module-level `deserialize` builds."""
    if fn_module_name:
        return {
            "module": fn_module_name,
            "class_name": "function",
            "config": config,
            "registered_name": config,
        }
    module = api_export.builtin_module_of(fn)
    if module is not None:
        return {
            "module": module,
            "class_name": "function",
            "config": config,
            "registered_name": config,
        }
    return {
        "module": fn.__module__,
        "class_name": "function",
        "config": config,
        "registered_name": object_registration.get_registered_name(fn),
    }


def _get_class_or_fn_config(obj):
    """Returns the object's config depending on its type."""
    if isinstance(obj, types.FunctionType):
        return object_registration.get_registered_name(obj)
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(
                f"The `get_config()` method of {obj!r} should return a dict. "
                f"Received: {config!r}"
            )
        return serialize_dict(config)
    if hasattr(obj, "__name__"):
        return object_registration.get_registered_name(obj)
    raise TypeError(
        f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be "
        "serializable, a class must implement the `get_config()` method."
    )


def serialize_dict(obj):
    """Serializes every value of a dict."""
    return {key: serialize_keras_object(value) for key, value in obj.items()}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Returns the object described by a Keras 3 config.

    Classes are resolved, in order, from `custom_objects`, the active custom
    object scope, the global registry (`register_keras_serializable`), then
    torchkeras's built-ins (by Keras module and class name).

    Args:
        config: The config (usually a dict from `serialize_keras_object`).
        custom_objects: Optional dict mapping names (class names or
            registered names) to classes or functions.
        safe_mode: Boolean. When `True` (default), serialized Python lambdas
            are refused, since loading them executes arbitrary code.
        **kwargs: `module_objects`, a dict of module-level objects, used by
            the module `deserialize` functions (`activations.deserialize`...).

    Returns:
        The deserialized object.
    """
    safe_scope_arg = in_safe_mode()
    safe_mode = safe_scope_arg if safe_scope_arg is not None else safe_mode

    module_objects = kwargs.pop("module_objects", None)
    if kwargs:
        raise TypeError(
            "deserialize_keras_object() got unexpected keyword arguments. "
            f"Received: {sorted(kwargs)}"
        )
    # Later entries win in a dict merge: the explicit argument goes last.
    custom_objects = {
        **object_registration.GLOBAL_CUSTOM_OBJECTS,
        **object_registration._scope_dict(),
        **(custom_objects or {}),
    }

    if config is None:
        return None

    if isinstance(config, str) and custom_objects.get(config) is not None:
        # Plain functions saved by name by legacy formats.
        return custom_objects[config]

    if isinstance(config, (list, tuple)):
        return [
            deserialize_keras_object(x, custom_objects=custom_objects, safe_mode=safe_mode)
            for x in config
        ]

    if module_objects is not None:
        inner_config, fn_module_name, has_custom_object = None, None, False
        if isinstance(config, dict):
            if "config" in config:
                inner_config = config["config"]
            if "class_name" not in config:
                raise ValueError(
                    "Unknown `config` as a `dict`: expected a `class_name` key. "
                    f"Received: config={config}"
                )
            if custom_objects and (
                config["class_name"] in custom_objects
                or config.get("registered_name") in custom_objects
                or (isinstance(inner_config, str) and inner_config in custom_objects)
            ):
                has_custom_object = True
            elif config["class_name"] == "function":
                fn_module_name = config.get("module")
                if fn_module_name == "builtins":
                    config = config["config"]
                else:
                    config = config.get("registered_name") or config["config"]
            else:
                if "module" in config and config["module"] is None:
                    raise TypeError(
                        f"Cannot deserialize object of type `{config['class_name']}`. "
                        f"If `{config['class_name']}` is a custom class, pass it in "
                        "`custom_objects` or register it with the "
                        "`@torchkeras.saving.register_keras_serializable()` decorator."
                    )
                config = config["class_name"]

        if not has_custom_object:
            if not isinstance(config, str) or config not in module_objects:
                # Unknown to this module: hand it back (the caller decides).
                return config
            obj = module_objects[config]
            if isinstance(obj, types.FunctionType):
                return deserialize_keras_object(
                    serialize_with_public_fn(obj, config, fn_module_name),
                    custom_objects=custom_objects,
                    safe_mode=safe_mode,
                )
            return deserialize_keras_object(
                serialize_with_public_class(obj, inner_config=inner_config),
                custom_objects=custom_objects,
                safe_mode=safe_mode,
            )

    if isinstance(config, PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: expected a dict. Received: config={config!r}")

    if "class_name" not in config or "config" not in config:
        return {
            key: deserialize_keras_object(value, custom_objects=custom_objects, safe_mode=safe_mode)
            for key, value in config.items()
        }

    class_name = config["class_name"]
    inner_config = config["config"] if config["config"] is not None else {}

    # Special cases.
    if class_name == "__tensor__":
        return torch.as_tensor(
            np.array(inner_config["value"]), dtype=backend.to_torch_dtype(inner_config["dtype"])
        )
    if class_name == "__numpy__":
        return np.array(inner_config["value"], dtype=inner_config["dtype"])
    if class_name == "__bytes__":
        return inner_config["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(
            *(
                deserialize_keras_object(
                    inner_config[key], custom_objects=custom_objects, safe_mode=safe_mode
                )
                for key in ("start", "stop", "step")
            )
        )
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a Python lambda. This carries a "
                "potential risk of arbitrary code execution and thus it is "
                "disallowed by default. If you trust the source of the artifact, "
                "you can override this error by passing `safe_mode=False` to the "
                "loading function, or calling "
                "`torchkeras.saving.enable_unsafe_deserialization()`."
            )
        return _func_load(inner_config["value"])
    if class_name in ("__keras_tensor__", "__typespec__"):
        raise TypeError(
            f"Cannot deserialize a `{class_name}` entry outside of a model config. "
            f"Received: config={config}"
        )

    module = config.get("module", None)
    registered_name = config.get("registered_name", class_name)

    if class_name == "function":
        fn_name = inner_config
        if not isinstance(fn_name, str):
            raise TypeError(
                "Expected 'config' to be a non-empty str for a function "
                f"class_name. Received: config={config}"
            )
        return _retrieve_class_or_fn(
            fn_name, registered_name, module, "function", config, custom_objects
        )

    if not isinstance(inner_config, dict):
        raise TypeError(
            f"Expected 'config' to be a dict for {class_name}. Received: "
            f"config={config}"
        )
    if "shared_object_id" in config:
        obj = get_shared_object(config["shared_object_id"])
        if obj is not None:
            return obj

    from torchkeras.graph import keras_ops

    if keras_ops.is_op_config(config):
        # A Keras operation (`keras.src.ops.numpy.Add`), not the layer of the same class name.
        from torchkeras.graph.keras_op import KerasOp

        return KerasOp.from_serialized(config)

    cls = _retrieve_class_or_fn(
        class_name, registered_name, module, "class", config, custom_objects
    )
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(
            f"Unable to reconstruct an instance of '{class_name}' because the "
            f"class is missing a `from_config()` method. Full object config: {config}"
        )

    with object_registration.CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
        try:
            instance = cls.from_config(inner_config)
        except TypeError as e:
            # The cause first and the config cut short: a model's config can be megabytes, and the
            # cause of a failure deep inside it is repeated at every enclosing level.
            raise TypeError(
                f"{cls.__name__} {inner_config.get('name', '')!r} could not be deserialized: {e}\n"
                "(A custom class must deserialize the layers, models, etc. that its `get_config()` "
                f"returns in its own `from_config()`.) Config: {_abbreviated(config)}"
            ) from e
        build_config = config.get("build_config", None)
        if (
            build_config
            and hasattr(instance, "build_from_config")
            and not getattr(instance, "built", False)
        ):
            instance.build_from_config(build_config)
        compile_config = config.get("compile_config", None)
        if compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)

    if "shared_object_id" in config:
        record_object_after_deserialization(instance, config["shared_object_id"])
    return instance


def _exact_builtin(module, name):
    return api_export.BUILTIN_OBJECTS.get((module, name))


def _retrieve_class_or_fn(name, registered_name, module, obj_type, full_config, custom_objects):
    # 1-3. custom_objects argument, custom object scope, global registry (merged
    # by the caller with that precedence).
    keys = [name] if obj_type == "function" else [registered_name, name]
    for key in keys:
        if key is not None and key in custom_objects:
            return custom_objects[key]

    # 4. torchkeras built-ins, by Keras module and name.
    if module is None or module == "keras" or module.startswith("keras."):
        api_name = f"{module}.{name}"
        if api_name in NON_MODELING_APIS:
            raise ValueError(
                f"Cannot deserialize `{api_name}` because it is not a modeling "
                "function. Non-modeling APIs are disallowed during deserialization "
                "for security."
            )
        obj = _exact_builtin(module, name)
        if obj is not None:
            return obj
        if obj_type == "class" or module != "builtins":
            obj = api_export.get_builtin(module, name)
            if obj is not None:
                return obj
    if obj_type == "function" and module == "builtins":
        # Keras writes built-in functions as {"module": "builtins", "config": name}.
        for mod in BUILTIN_MODULES:
            obj = _exact_builtin(f"keras.{mod}", name)
            if obj is not None:
                return obj
        if ">" not in name:
            # Keras <= 3.6 saved custom functions by bare name.
            suffix = f">{name}"
            for custom_name, custom_object in custom_objects.items():
                if custom_name.endswith(suffix):
                    return custom_object

    raise TypeError(
        f"Could not locate {obj_type} '{name}' (module: {module!r}, "
        f"registered_name: {full_config.get('registered_name')!r}). If it is a "
        "custom object, pass it in `custom_objects` (e.g. "
        f"`custom_objects={{'{name}': {name}}}`) or decorate it with "
        "`@torchkeras.saving.register_keras_serializable()` and make sure it is "
        f"imported before loading. Config: {_abbreviated(full_config)}"
    )


def _abbreviated(config, limit=600):
    """`repr(config)`, cut to `limit` characters for an error message."""
    text = repr(config)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"
