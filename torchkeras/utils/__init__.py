"""Keras's `keras.utils` names that torchkeras provides."""

from torchkeras.saving.object_registration import (  # noqa: F401
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from torchkeras.saving.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401
from torchkeras.utils.model_visualization import model_to_dot, plot_model  # noqa: F401
