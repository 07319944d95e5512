"""Registry of torchkeras's built-in public objects, keyed the way Keras names them.

`keras_export("keras.layers.Dense")` records a class (or function) under the Keras public path, so that
`deserialize_keras_object` can resolve `{"module": "keras.layers", "class_name": "Dense"}` and so that
`serialize_keras_object` writes the same `module` string real Keras writes.
"""

# (module, name) -> object, e.g. ("keras.layers", "Dense") -> Dense
BUILTIN_OBJECTS = {}
# id(object) -> the module Keras reports for it, e.g. "keras.layers"
BUILTIN_MODULES = {}


def keras_export(*paths):
    """Decorator: register `obj` under each public Keras path (`"keras.layers.Dense"`)."""

    def register(obj):
        for path in paths:
            module, _, name = path.rpartition(".")
            BUILTIN_OBJECTS[(module, name)] = obj
            BUILTIN_MODULES.setdefault(id(obj), module)
        return obj

    return register


def get_builtin(module, name):
    """Looks up a built-in by its Keras module and name; `module=None` matches any module."""
    if module is not None:
        obj = BUILTIN_OBJECTS.get((module, name))
        if obj is not None:
            return obj
        # Keras writes "keras.src.layers.core.dense" style modules in some files; fall back on the name.
    for (key_module, key_name), obj in BUILTIN_OBJECTS.items():
        # The private classes of Keras's applications (`LayerScale`, ...) match by their module only: a
        # user's own class of the same name must not resolve to them.
        if key_name == name and not key_module.startswith("keras.src.applications."):
            return obj
    return None


def builtin_module_of(obj):
    return BUILTIN_MODULES.get(id(obj))
