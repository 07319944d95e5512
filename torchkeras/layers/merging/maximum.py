"""`Maximum` and `maximum`: element-wise maximum of a list of inputs."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge


@keras_export("keras.layers.Maximum")
class Maximum(Merge):
    """Computes the element-wise maximum of a list of inputs.

    It takes as input a list of tensors of the same (broadcastable) shape and returns a single tensor.
    With masks, a masked value never wins over an unmasked one (Keras's rule).

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of tensors `(batch_size, ...)` of broadcastable shapes.

    Output shape:
        The broadcast shape of the inputs.

    Example:

    >>> torchkeras.layers.Maximum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
    tensor([[3., 5.]])
    """

    def _merge_function(self, inputs, masks=None):
        return self._apply_merge_op_and_or_mask(torch.maximum, inputs, masks)


@keras_export("keras.layers.maximum")
def maximum(inputs, **kwargs):
    """Functional interface to the `Maximum` layer: `Maximum(**kwargs)(inputs)`.

    Args:
        inputs: A list of input tensors with the same (broadcastable) shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the element-wise maximum of the inputs.
    """
    return Maximum(**kwargs)(inputs)
