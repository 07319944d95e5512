"""`Minimum` and `minimum`: element-wise minimum of a list of inputs."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge


@keras_export("keras.layers.Minimum")
class Minimum(Merge):
    """Computes the element-wise minimum of a list of inputs.

    It takes as input a list of tensors of the same (broadcastable) shape and returns a single tensor.
    With masks, a masked value never wins over an unmasked one (Keras's rule).

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of tensors `(batch_size, ...)` of broadcastable shapes.

    Output shape:
        The broadcast shape of the inputs.

    Example:

    >>> torchkeras.layers.Minimum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
    tensor([[1., 2.]])
    """

    def _merge_function(self, inputs, masks=None):
        return self._apply_merge_op_and_or_mask(torch.minimum, inputs, masks)


@keras_export("keras.layers.minimum")
def minimum(inputs, **kwargs):
    """Functional interface to the `Minimum` layer: `Minimum(**kwargs)(inputs)`.

    Args:
        inputs: A list of input tensors with the same (broadcastable) shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the element-wise minimum of the inputs.
    """
    return Minimum(**kwargs)(inputs)
