"""Registry of custom objects for (de)serialization, as in `keras.saving`.

Mirrors `keras/src/saving/object_registration.py`: a global registry filled by
`register_keras_serializable`, plus a thread-local `CustomObjectScope`.
"""

import inspect
import threading

GLOBAL_CUSTOM_OBJECTS = {}
GLOBAL_CUSTOM_NAMES = {}

_SCOPE_STATE = threading.local()


def _scope_dict():
    """The custom objects of the innermost active `CustomObjectScope` (a dict)."""
    return getattr(_SCOPE_STATE, "custom_objects", None) or {}


class CustomObjectScope:
    """Exposes custom classes/functions to deserialization internals.

    Under `with custom_object_scope(objects_dict)`, `deserialize_keras_object`
    (and everything built on it) can resolve the custom objects by name.

    Args:
        custom_objects: Dictionary of `{str: object}` pairs, where the `str`
            key is the object name.
    """

    def __init__(self, custom_objects):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(
                "Argument `custom_objects` must be a dict of {name: object}. "
                f"Received: custom_objects={custom_objects!r}"
            )
        self.custom_objects = custom_objects or {}
        self.backup = None

    def __enter__(self):
        self.backup = dict(_scope_dict())
        _SCOPE_STATE.custom_objects = dict(self.custom_objects)
        return self

    def __exit__(self, *args, **kwargs):
        _SCOPE_STATE.custom_objects = dict(self.backup or {})


# Alias.
custom_object_scope = CustomObjectScope


def get_custom_objects():
    """Returns a live reference to the global dictionary of custom objects.

    Objects made visible with `custom_object_scope()` are not added to this
    dictionary.

    Returns:
        Global dictionary mapping registered names (`"package>name"`) to
        classes or functions.
    """
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Registers an object with the serialization framework.

    The object is registered under the key `"package>name"`, where `name`
    defaults to the object's `__name__`.

    Args:
        package: The package that this class belongs to, used for the key
            `"package>name"`. Must not contain `">"`.
        name: The name to serialize this class under in this package. If
            `None`, the object's `__name__` is used.

    Returns:
        A decorator that registers the decorated class or function.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            "Invalid value for argument `package`: expected a string without "
            f"the character '>'. Received: package={package!r}"
        )
    if name is not None and (not isinstance(name, str) or ">" in name):
        raise ValueError(
            "Invalid value for argument `name`: expected None or a string "
            f"without the character '>'. Received: name={name!r}"
        )

    def decorator(arg):
        """Registers a class or function with the serialization framework."""
        class_name = name if name is not None else arg.__name__
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError(
                "Cannot register a class that does not have a get_config() "
                f"method. Received: {arg!r}"
            )
        GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj):
    """Returns the name registered to an object.

    Args:
        obj: The object to look up.

    Returns:
        The registered name (`"package>name"`), or the object's `__name__`
        if it is not registered.
    """
    try:
        if obj in GLOBAL_CUSTOM_NAMES:
            return GLOBAL_CUSTOM_NAMES[obj]
    except TypeError:  # unhashable object
        pass
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Returns the object registered under `name`, or `None`.

    Lookup order: the active custom object scope, the global registry,
    `custom_objects`, then `module_objects` (as in Keras).

    Args:
        name: The name to look up.
        custom_objects: Optional dict of user-provided custom objects.
        module_objects: Optional dict of module-level objects.

    Returns:
        The class or function associated with `name`, or `None`.
    """
    scope = _scope_dict()
    if name in scope:
        return scope[name]
    if name in GLOBAL_CUSTOM_OBJECTS:
        return GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None
