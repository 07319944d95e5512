"""`Reshape`: reshapes the non-batch dimensions to `target_shape` (one entry may be -1)."""

import math

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


def _validate_target_shape(target_shape):
    unknown = 0
    for dim in target_shape:
        if dim is None:
            unknown += 1
            continue
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(
                "Each dimension in `target_shape` must be an integer (or -1 for a single unknown "
                f"dimension). Received: target_shape={target_shape}."
            )
        if dim < -1:
            raise ValueError(
                "Each dimension in `target_shape` must be a non-negative integer, or `-1` for a single "
                f"unknown dimension. Received: target_shape={target_shape}."
            )
        if dim == -1:
            unknown += 1
    if unknown > 1:
        raise ValueError(
            "There must be at most one unknown dimension (-1) in `target_shape`. "
            f"Received: target_shape={target_shape}."
        )


def compute_reshape_output_shape(input_shape, target_shape):
    """Keras's rule: resolves the -1 of `target_shape` from `input_shape` (non-batch dimensions), or
    leaves it `None` when an input size is unknown; raises when the sizes cannot match."""
    target_shape = tuple(-1 if d is None else d for d in target_shape)
    input_shape = tuple(input_shape)
    if None in input_shape:
        return tuple(None if d == -1 else d for d in target_shape)
    input_size = math.prod(input_shape)
    if -1 not in target_shape:
        if input_size != math.prod(target_shape):
            raise ValueError(
                "The total size of the tensor must be unchanged. Received: "
                f"input_shape={input_shape}, target_shape={target_shape}"
            )
        return target_shape
    known = math.prod(d for d in target_shape if d != -1)
    if known == 0 or input_size % known != 0:
        raise ValueError(
            "The total size of the tensor must be unchanged, however, the input size cannot by "
            "divided by the specified dimensions in target_shape. Received: "
            f"input_shape={input_shape}, target_shape={target_shape}"
        )
    return tuple(input_size // known if d == -1 else d for d in target_shape)


@keras_export("keras.layers.Reshape")
class Reshape(Layer):
    """Layer that reshapes inputs into the given shape.

    The output is a view of the input when torch can make one (as `torch.reshape`).

    Args:
        target_shape: Target shape, a tuple of integers without the batch dimension. One entry may be
            -1: its size is inferred from the input size and the other entries.

    Input shape:
        Arbitrary, but with a number of elements per sample compatible with `target_shape`.

    Output shape:
        `(batch_size, *target_shape)`.

    Example:

    >>> Reshape((-1, 2, 2))(torch.zeros(5, 12)).shape
    torch.Size([5, 3, 2, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise TypeError(
                f"Argument `target_shape` must be a tuple of integers. Received: target_shape={target_shape!r}"
            ) from None
        _validate_target_shape(target_shape)
        self.target_shape = target_shape
        self._torch_shape = tuple(-1 if d is None else d for d in target_shape)
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        try:
            return inputs.reshape((inputs.shape[0],) + self._torch_shape)
        except RuntimeError:
            # Keras's error for incompatible sizes; also resolves -1 for an empty batch.
            resolved = self._resolve(tuple(inputs.shape[1:]))
            return inputs.reshape((inputs.shape[0],) + resolved)

    def _resolve(self, input_shape):
        try:
            return compute_reshape_output_shape(input_shape, self.target_shape)
        except ValueError as error:
            raise ValueError(f"Input of layer '{self.name}' cannot be reshaped: {error}") from None

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return (input_shape[0], *self._resolve(input_shape[1:]))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config
