"""Losses, as in `keras.losses` (Keras 3.15): `Loss` classes, loss functions, `get` / `serialize` /
`deserialize`.

`model.compile(loss=...)` resolves names through `get`: `get("mse")` and
`get("categorical_crossentropy")` return the functions, `get("MeanSquaredError")` an instance.
"""

import inspect

from torchkeras.api_export import keras_export
from torchkeras.losses.hinge import CategoricalHinge
from torchkeras.losses.hinge import Hinge
from torchkeras.losses.hinge import SquaredHinge
from torchkeras.losses.hinge import categorical_hinge
from torchkeras.losses.hinge import convert_binary_labels_to_hinge
from torchkeras.losses.hinge import hinge
from torchkeras.losses.hinge import squared_hinge
from torchkeras.losses.loss import Loss
from torchkeras.losses.loss import reduce_values
from torchkeras.losses.loss import reduce_weighted_values
from torchkeras.losses.loss import squeeze_or_expand_to_same_rank
from torchkeras.losses.loss import standardize_reduction
from torchkeras.losses.loss_function_wrapper import LossFunctionWrapper
from torchkeras.losses.probabilistic import BinaryCrossentropy
from torchkeras.losses.probabilistic import BinaryFocalCrossentropy
from torchkeras.losses.probabilistic import CategoricalCrossentropy
from torchkeras.losses.probabilistic import CategoricalFocalCrossentropy
from torchkeras.losses.probabilistic import CategoricalGeneralizedCrossEntropy
from torchkeras.losses.probabilistic import KLDivergence
from torchkeras.losses.probabilistic import Poisson
from torchkeras.losses.probabilistic import SparseCategoricalCrossentropy
from torchkeras.losses.probabilistic import binary_crossentropy
from torchkeras.losses.probabilistic import binary_focal_crossentropy
from torchkeras.losses.probabilistic import categorical_crossentropy
from torchkeras.losses.probabilistic import categorical_focal_crossentropy
from torchkeras.losses.probabilistic import categorical_generalized_cross_entropy
from torchkeras.losses.probabilistic import kl_divergence
from torchkeras.losses.probabilistic import poisson
from torchkeras.losses.probabilistic import sparse_categorical_crossentropy
from torchkeras.losses.regression import CosineSimilarity
from torchkeras.losses.regression import Huber
from torchkeras.losses.regression import LogCosh
from torchkeras.losses.regression import MeanAbsoluteError
from torchkeras.losses.regression import MeanAbsolutePercentageError
from torchkeras.losses.regression import MeanSquaredError
from torchkeras.losses.regression import MeanSquaredLogarithmicError
from torchkeras.losses.regression import cosine_similarity
from torchkeras.losses.regression import huber
from torchkeras.losses.regression import log_cosh
from torchkeras.losses.regression import mean_absolute_error
from torchkeras.losses.regression import mean_absolute_percentage_error
from torchkeras.losses.regression import mean_squared_error
from torchkeras.losses.regression import mean_squared_logarithmic_error
from torchkeras.losses.segmentation import Dice
from torchkeras.losses.segmentation import Tversky
from torchkeras.losses.segmentation import dice
from torchkeras.losses.segmentation import tversky
from torchkeras.losses.sequence import CTC
from torchkeras.losses.sequence import ctc
from torchkeras.losses.similarity import Circle
from torchkeras.losses.similarity import circle

# Short aliases (Keras 2 / `keras._legacy` names).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

ALL_OBJECTS = (
    # Base
    Loss,
    LossFunctionWrapper,
    # Probabilistic
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    # Regression
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    # Hinge
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    # Image segmentation
    Dice,
    Tversky,
    # Similarity
    Circle,
    # Sequence
    CTC,
    # Functions
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    dice,
    tversky,
    circle,
    ctc,
    # Keras 3.15 exports these two but leaves them out of its lookup table; torchkeras resolves them.
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)

ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        # Keras 2 names still found in old configs.
        "logcosh": log_cosh,
        "kullback_leibler_divergence": kl_divergence,
    }
)


@keras_export("keras.losses.serialize")
def serialize(loss):
    """Serializes a loss function or `Loss` instance to Keras's config format.

    Args:
        loss: A `Loss` instance or a loss function.

    Returns:
        A config dict (for a built-in function, Keras's
        `{"module": "builtins", "class_name": "function", ...}` form).
    """
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(loss)


@keras_export("keras.losses.deserialize")
def deserialize(name, custom_objects=None):
    """Deserializes a loss from its config (as written by `serialize` or by Keras) or its name.

    Args:
        name: A config dict or a loss name.
        custom_objects: Optional dict mapping names to custom classes or
            functions.

    Returns:
        A `Loss` instance or a loss function.
    """
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        name, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


@keras_export("keras.losses.get")
def get(identifier):
    """Retrieves a loss as a function or a `Loss` instance.

    Args:
        identifier: `None`; a name (`"mse"`, `"categorical_crossentropy"`
            give functions, `"CategoricalCrossentropy"` an instance with the
            default arguments); a config dict
            (`{"class_name": "CategoricalCrossentropy", "config": {...}}`); a
            `Loss` class (instantiated) or instance; or any callable
            `fn(y_true, y_pred)`.

    Returns:
        A loss function or `Loss` instance, or `None` for `None`.

    Raises:
        ValueError: The identifier is not a known loss name, config or
            callable.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier

    if callable(obj):
        if inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Expected None, a loss name (for example "
        "'mse', 'categorical_crossentropy' or 'CategoricalCrossentropy'), a config dict, a `Loss` "
        "class or instance, or a callable `fn(y_true, y_pred)`."
    )
