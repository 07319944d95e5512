"""`Average` and `average`: element-wise mean of a list of inputs."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge


@keras_export("keras.layers.Average")
class Average(Merge):
    """Averages a list of inputs element-wise.

    It takes as input a list of tensors of the same (broadcastable) shape and returns their mean,
    `(x1 + x2 + ... + xn) / n`.

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of tensors `(batch_size, ...)` of broadcastable shapes.

    Output shape:
        The broadcast shape of the inputs.

    Example:

    >>> torchkeras.layers.Average()([torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 6.0]])])
    tensor([[2., 4.]])
    """

    def _merge_function(self, inputs, masks=None):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.add(output, x)
        return output / len(inputs)


@keras_export("keras.layers.average")
def average(inputs, **kwargs):
    """Functional interface to the `Average` layer: `Average(**kwargs)(inputs)`.

    Args:
        inputs: A list of input tensors with the same (broadcastable) shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the element-wise mean of the inputs.
    """
    return Average(**kwargs)(inputs)
