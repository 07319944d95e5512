"""`Multiply` and `multiply`: element-wise product of a list of inputs."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge


@keras_export("keras.layers.Multiply")
class Multiply(Merge):
    """Performs element-wise multiplication.

    It takes as input a list of tensors of the same (broadcastable) shape and returns their product.
    With masks, masked values count as 1 in the product, and when every input is masked, positions
    masked in all inputs are 0 in the output (Keras's rule).

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of tensors `(batch_size, ...)` of broadcastable shapes.

    Output shape:
        The broadcast shape of the inputs.

    Example:

    >>> torchkeras.layers.Multiply()([torch.tensor([[2.0, 3.0]]), torch.tensor([[4.0, 5.0]])])
    tensor([[ 8., 15.]])
    """

    def _merge_function(self, inputs, masks=None):
        if masks is None:
            output = inputs[0]
            for x in inputs[1:]:
                output = torch.multiply(output, x)
            return output
        has_output_mask = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = mask.unsqueeze(-1).expand(x.shape)
                x = torch.where(mask, x, 1)  # masked values are neutral in the product
                if has_output_mask:
                    output_mask = mask if output_mask is None else torch.logical_or(output_mask, mask)
            output = x if output is None else torch.multiply(output, x)
        if has_output_mask:
            output = torch.where(output_mask, output, 0)
        return output


@keras_export("keras.layers.multiply")
def multiply(inputs, **kwargs):
    """Functional interface to the `Multiply` layer: `Multiply(**kwargs)(inputs)`.

    Args:
        inputs: A list of input tensors with the same (broadcastable) shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the element-wise product of the inputs.
    """
    return Multiply(**kwargs)(inputs)
