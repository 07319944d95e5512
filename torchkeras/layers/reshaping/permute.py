"""`Permute`: reorders the non-batch axes of the input (1-based pattern)."""

from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Permute")
class Permute(Layer):
    """Permutes the dimensions of the input according to a given pattern.

    The output is a view of the input (no copy), as `torch.permute` gives.

    Args:
        dims: Tuple of integers, the permutation pattern without the batch dimension. Indexing starts
            at 1: `(2, 1)` swaps the first and second non-batch dimensions.

    Input shape:
        Tensor of rank `len(dims) + 1`.

    Output shape:
        The input shape with the non-batch dimensions reordered by `dims`.

    Example:

    >>> Permute((2, 1))(torch.zeros(2, 10, 64)).shape
    torch.Size([2, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            raise TypeError(
                f"Argument `dims` of Permute layer must be a tuple of integers. Received: dims={dims!r}"
            ) from None
        if any(isinstance(d, bool) or not isinstance(d, int) for d in dims) or sorted(dims) != list(
                range(1, len(dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                f"must be consecutive and start from 1. Received: dims={dims}"
            )
        self.dims = dims
        self._perm = (0,) + dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return inputs.permute(self._perm)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config
