"""`Subtract` and `subtract`: `inputs[0] - inputs[1]`."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge, _describe


@keras_export("keras.layers.Subtract")
class Subtract(Merge):
    """Performs element-wise subtraction.

    It takes as input a list of exactly two tensors of the same (broadcastable) shape and returns a
    single tensor, `inputs[0] - inputs[1]`.

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of two tensors `(batch_size, ...)` of broadcastable shapes.

    Output shape:
        The broadcast shape of the inputs.

    Example:

    >>> torchkeras.layers.Subtract()([torch.tensor([[5.0, 3.0]]), torch.tensor([[1.0, 4.0]])])
    tensor([[ 4., -1.]])
    """

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs ({_describe(self)}). "
                f"Received: input_shape={list(input_shape)}"
            )

    def _merge_function(self, inputs, masks=None):
        if len(inputs) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs ({_describe(self)}). "
                f"Received: {len(inputs)} inputs"
            )
        return torch.subtract(inputs[0], inputs[1])


@keras_export("keras.layers.subtract")
def subtract(inputs, **kwargs):
    """Functional interface to the `Subtract` layer: `Subtract(**kwargs)(inputs)`.

    Args:
        inputs: A list of exactly two input tensors.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, `inputs[0] - inputs[1]`.
    """
    return Subtract(**kwargs)(inputs)
