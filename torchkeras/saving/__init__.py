"""Serialization of torchkeras objects in Keras 3's config format (`keras.saving`)."""

from torchkeras.saving.object_registration import CustomObjectScope
from torchkeras.saving.object_registration import custom_object_scope
from torchkeras.saving.object_registration import get_custom_objects
from torchkeras.saving.object_registration import get_registered_name
from torchkeras.saving.object_registration import get_registered_object
from torchkeras.saving.object_registration import register_keras_serializable
from torchkeras.saving.serialization import ObjectSharingScope
from torchkeras.saving.serialization import SafeModeScope
from torchkeras.saving.serialization import deserialize_keras_object
from torchkeras.saving.serialization import enable_unsafe_deserialization
from torchkeras.saving.serialization import serialize_keras_object
from torchkeras.saving.saving_api import load_model
from torchkeras.saving.saving_api import save_model

__all__ = [
    "CustomObjectScope",
    "ObjectSharingScope",
    "SafeModeScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "enable_unsafe_deserialization",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "register_keras_serializable",
    "save_model",
    "serialize_keras_object",
]
