import warnings

import numpy as np
import pytest
import torch

from torchkeras import activations
from torchkeras import initializers
from torchkeras import saving
from torchkeras.saving import object_registration
from torchkeras.saving import deserialize_keras_object as deserialize
from torchkeras.saving import serialize_keras_object as serialize


@pytest.fixture(autouse=True)
def clean_registry():
    before = dict(object_registration.GLOBAL_CUSTOM_OBJECTS)
    names = dict(object_registration.GLOBAL_CUSTOM_NAMES)
    yield
    object_registration.GLOBAL_CUSTOM_OBJECTS.clear()
    object_registration.GLOBAL_CUSTOM_OBJECTS.update(before)
    object_registration.GLOBAL_CUSTOM_NAMES.clear()
    object_registration.GLOBAL_CUSTOM_NAMES.update(names)


def test_builtin_class_format():
    assert serialize(initializers.GlorotUniform(seed=3)) == {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 3, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }
    obj = deserialize(serialize(initializers.HeNormal(seed=2)))
    assert isinstance(obj, initializers.HeNormal) and obj.seed == 2


def test_builtin_function_format():
    # Keras 3.15's serialize_keras_object writes built-in functions this way.
    assert serialize(activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"
    }
    assert deserialize(serialize(activations.relu)) is activations.relu
    public = {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": "relu"}
    assert deserialize(public) is activations.relu


def test_plain_values_and_containers():
    for value in [None, 1, 2.5, "a", True]:
        assert serialize(value) == value
    assert serialize((1, [2, (3,)])) == (1, [2, (3,)])
    assert deserialize([1, [2, 3]]) == [1, [2, 3]]
    assert serialize({"a": (1, 2)}) == {"a": (1, 2)}
    assert serialize(np.float32(1.5)) == 1.5
    assert serialize(torch.float16) == "float16"
    assert serialize(b"xy") == {"class_name": "__bytes__", "config": {"value": "xy"}}
    assert deserialize(serialize(b"xy")) == b"xy"
    assert deserialize(serialize(slice(1, None, 2))) == slice(1, None, 2)
    assert deserialize(serialize(...)) is Ellipsis


def test_arrays_and_tensors():
    arr = np.array([[1, 2]], dtype="int32")
    config = serialize(arr)
    assert config == {"class_name": "__numpy__", "config": {"value": [[1, 2]], "dtype": "int32"}}
    back = deserialize(config)
    assert back.dtype == np.int32 and back.tolist() == [[1, 2]]
    tensor = torch.tensor([1.5, 2.0])
    config = serialize(tensor)
    assert config == {"class_name": "__tensor__", "config": {"value": [1.5, 2.0], "dtype": "float32"}}
    back = deserialize(config)
    assert isinstance(back, torch.Tensor) and torch.equal(back, tensor)


def test_register_keras_serializable():
    @saving.register_keras_serializable("my_pkg", name="Foo")
    class MyInit(initializers.Initializer):
        def __init__(self, a=1):
            self.a = a

        def get_config(self):
            return {"a": self.a}

    @saving.register_keras_serializable("my_pkg")
    def my_act(x):
        return x * 2

    assert saving.get_registered_name(MyInit) == "my_pkg>Foo"
    assert saving.get_registered_object("my_pkg>Foo") is MyInit
    assert saving.get_custom_objects()["my_pkg>my_act"] is my_act
    config = serialize(MyInit(3))
    assert config["registered_name"] == "my_pkg>Foo" and config["class_name"] == "MyInit"
    assert config["config"] == {"a": 3}
    obj = deserialize(config)
    assert isinstance(obj, MyInit) and obj.a == 3
    fn_config = serialize(my_act)
    assert fn_config["config"] == "my_pkg>my_act"
    assert deserialize(fn_config) is my_act
    assert activations.get(activations.serialize(my_act)) is my_act
    with pytest.raises(ValueError, match="Received: package='a>b'"):
        saving.register_keras_serializable("a>b")
    with pytest.raises(ValueError, match="get_config"):
        saving.register_keras_serializable()(type("NoConfig", (), {}))


def test_custom_objects_and_scope():
    class Local(initializers.Initializer):
        def get_config(self):
            return {}

    config = serialize(Local())
    assert config["registered_name"] == "Local"
    with pytest.raises(TypeError, match="Local.*custom_objects.*register_keras_serializable"):
        deserialize(config)
    assert isinstance(deserialize(config, custom_objects={"Local": Local}), Local)
    with saving.custom_object_scope({"Local": Local}):
        assert isinstance(deserialize(config), Local)
        assert saving.get_registered_object("Local") is Local
    assert saving.get_registered_object("Local") is None
    # The explicit argument wins over the scope.
    class Other(Local):
        pass

    with saving.CustomObjectScope({"Local": Local}):
        assert type(deserialize(config, custom_objects={"Local": Other})) is Other


def test_unknown_class_error_names_it():
    config = {"module": "my.module", "class_name": "Nope", "config": {}, "registered_name": None}
    with pytest.raises(TypeError, match=r"'Nope'.*my\.module.*custom_objects.*register_keras_serializable"):
        deserialize(config)


def test_build_config_is_applied():
    class Buildable:
        built = False

        def __init__(self, units=1):
            self.units = units
            self.shape = None

        def get_config(self):
            return {"units": self.units}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

        def get_build_config(self):
            return {"input_shape": (None, 4)} if self.shape is None else None

        def build_from_config(self, config):
            self.shape = tuple(config["input_shape"])
            self.built = True

    config = serialize(Buildable(2))
    assert config["build_config"] == {"input_shape": (None, 4)}
    obj = deserialize(config, custom_objects={"Buildable": Buildable})
    assert obj.units == 2 and obj.shape == (None, 4) and obj.built


def test_lambda_refused_in_safe_mode():
    fn = lambda x: x + 1  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = serialize(fn)
    assert config["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="lambda"):
        deserialize(config)
    with pytest.raises(ValueError, match="lambda"):
        deserialize({"outer": config})
    assert deserialize(config, safe_mode=False)(1) == 2


def test_legacy_config_without_module():
    obj = deserialize({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": None}})
    assert isinstance(obj, initializers.RandomUniform) and obj.maxval == 1.0


def test_no_pickle_imported():
    import torchkeras.saving.serialization as module

    assert "pickle" not in vars(module)
