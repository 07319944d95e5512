"""`Add` and `add`: element-wise sum of a list of inputs."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge


@keras_export("keras.layers.Add")
class Add(Merge):
    """Performs element-wise addition.

    It takes as input a list of tensors, all of the same shape (or broadcastable, the batch axis
    excepted), and returns a single tensor of the broadcast shape.

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of tensors `(batch_size, ...)` of broadcastable shapes.

    Output shape:
        The broadcast shape of the inputs.

    Example:

    >>> x1 = torch.ones(2, 3)
    >>> x2 = torch.full((2, 3), 2.0)
    >>> torchkeras.layers.Add()([x1, x2])
    tensor([[3., 3., 3.],
            [3., 3., 3.]])
    """

    def _merge_function(self, inputs, masks=None):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.add(output, x)
        return output


@keras_export("keras.layers.add")
def add(inputs, **kwargs):
    """Functional interface to the `Add` layer: `Add(**kwargs)(inputs)`.

    Args:
        inputs: A list of input tensors with the same (broadcastable) shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the sum of the inputs.
    """
    return Add(**kwargs)(inputs)
