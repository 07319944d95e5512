"""Weight regularizers, as in `keras.regularizers` (Keras 3.15). `reg(x)` returns a scalar tensor."""

import inspect
import math
import numbers

import numpy as np
import torch

from torchkeras.api_export import keras_export


def validate_float_arg(value, name):
    """Checks a penalty factor: a finite, non-negative number. Returns it as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def _float32(value):
    # Keras stores these factors as float32 tensors; keep the same rounding.
    return float(np.float32(value))


def _factor(value, x):
    return torch.as_tensor(value, dtype=x.dtype, device=x.device)


@keras_export("keras.Regularizer", "keras.regularizers.Regularizer")
class Regularizer:
    """Regularizer base class: `regularizer(x)` returns a scalar penalty."""

    def __call__(self, x):
        """Computes a regularization penalty from an input tensor."""
        return 0.0

    @classmethod
    def from_config(cls, config):
        """Creates a regularizer from its config (the output of `get_config`)."""
        return cls(**config)

    def get_config(self):
        """Returns the config of the regularizer (a JSON-serializable dict)."""
        raise NotImplementedError(f"{self} does not implement get_config()")

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{self.__class__.__name__}({args})"


@keras_export("keras.regularizers.L1L2", "keras.regularizers.l1_l2")
class L1L2(Regularizer):
    """Applies both L1 and L2 penalties: `l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Args:
        l1: Float, L1 regularization factor. Defaults to 0 (as in Keras 3.15).
        l2: Float, L2 regularization factor. Defaults to 0 (as in Keras 3.15).
    """

    def __init__(self, l1=0.0, l2=0.0):
        l1 = 0.0 if l1 is None else l1
        l2 = 0.0 if l2 is None else l2
        self.l1 = validate_float_arg(l1, name="l1")
        self.l2 = validate_float_arg(l2, name="l2")

    def __call__(self, x):
        regularization = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1 != 0.0:
            regularization = regularization + _factor(self.l1, x) * torch.sum(torch.abs(x))
        if self.l2 != 0.0:
            regularization = regularization + _factor(self.l2, x) * torch.sum(torch.square(x))
        return regularization

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@keras_export("keras.regularizers.L1", "keras.regularizers.l1")
class L1(Regularizer):
    """L1 penalty: `l1 * sum(abs(x))`.

    Args:
        l1: Float, L1 regularization factor. Defaults to 0.01.
    """

    def __init__(self, l1=0.01):
        l1 = 0.01 if l1 is None else l1
        self.l1 = _float32(validate_float_arg(l1, name="l1"))

    def __call__(self, x):
        return _factor(self.l1, x) * torch.sum(torch.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@keras_export("keras.regularizers.L2", "keras.regularizers.l2")
class L2(Regularizer):
    """L2 penalty: `l2 * sum(square(x))`.

    Args:
        l2: Float, L2 regularization factor. Defaults to 0.01.
    """

    def __init__(self, l2=0.01):
        l2 = 0.01 if l2 is None else l2
        self.l2 = validate_float_arg(l2, name="l2")

    def __call__(self, x):
        return _factor(self.l2, x) * torch.sum(torch.square(x))

    def get_config(self):
        return {"l2": self.l2}


def _l2_normalize(x, axis, epsilon=1e-7):
    """`x / max(norm(x), epsilon)` computed as Keras does (`x * min(rsqrt(sum(x**2)), 1/epsilon)`)."""
    inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    inv_norm = torch.minimum(inv_norm, torch.as_tensor(1.0 / epsilon, dtype=x.dtype, device=x.device))
    return x * inv_norm


@keras_export("keras.regularizers.OrthogonalRegularizer", "keras.regularizers.orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Encourages the rows (or columns) of a rank-2 input to be orthogonal.

    The penalty is `factor * 0.5 * sum(|p_ij|) / num_pairs` over the
    off-diagonal dot products `p_ij` of the L2-normalized rows (`"rows"`) or
    columns (`"columns"`).

    Args:
        factor: Float, the regularization factor. Defaults to 0.01.
        mode: `"rows"` or `"columns"`. Defaults to `"rows"`.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _float32(validate_float_arg(factor, name="factor"))
        if mode not in {"rows", "columns"}:
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(inputs.shape)}"
            )
        if self.mode == "rows":
            inputs = _l2_normalize(inputs, axis=1)
            product = inputs @ inputs.T
            size = inputs.shape[0]
        else:
            inputs = _l2_normalize(inputs, axis=0)
            product = inputs.T @ inputs
            size = inputs.shape[1]
        product_no_diagonal = product * (1.0 - torch.eye(size, dtype=inputs.dtype, device=inputs.device))
        num_pairs = size * (size - 1.0) / 2.0
        factor = torch.as_tensor(self.factor, dtype=torch.float32, device=inputs.device)
        return factor * 0.5 * torch.sum(torch.abs(product_no_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

ALL_OBJECTS = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
ALL_OBJECTS_DICT = {
    "Regularizer": Regularizer,
    "regularizer": Regularizer,
    "L1": L1,
    "l1": L1,
    "L2": L2,
    "l2": L2,
    "L1L2": L1L2,
    "l1l2": L1L2,  # Keras's snake_case of "L1L2".
    "l1_l2": L1L2,  # The public alias; Keras 3.15's get() does not accept it.
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


@keras_export("keras.regularizers.serialize")
def serialize(regularizer):
    """Returns the regularizer's Keras config dict."""
    from torchkeras.saving import serialization

    return serialization.serialize_keras_object(regularizer)


@keras_export("keras.regularizers.deserialize")
def deserialize(config, custom_objects=None):
    """Returns a regularizer from its config (or name)."""
    from torchkeras.saving import serialization

    return serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


@keras_export("keras.regularizers.get")
def get(identifier):
    """Retrieves a regularizer.

    Args:
        identifier: `None`, a name (`"l1"`, `"l2"`, `"l1_l2"`,
            `"orthogonal_regularizer"`...), a config dict, a class, an
            instance, or a callable `fn(x) -> scalar`.
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
        f"Could not interpret regularizer identifier: {identifier!r}. Expected None, a "
        f"callable, a config dict, or one of {sorted(ALL_OBJECTS_DICT)}."
    )
