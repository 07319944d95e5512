"""`Input` and `InputLayer`: the entry point of a model, and the symbolic tensor `Input` returns."""

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.graph.node import Node
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.InputLayer")
class InputLayer(Layer):
    """The layer behind `keras.Input`: it holds the input's shape and dtype and passes data through.

    Args:
        shape: Shape tuple without the batch axis.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input; defaults to the global float type.
        batch_shape: Shape tuple including the batch axis (instead of `shape` and `batch_size`).
        name: Optional name.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        kwargs.pop("trainable", None)
        super().__init__(name=name, **kwargs)
        if sparse or ragged:
            raise ValueError(
                f"torchkeras inputs are dense tensors. Received: sparse={sparse}, ragged={ragged}"
            )
        if input_tensor is not None:
            raise ValueError("`input_tensor` is not supported; pass `shape` (or `batch_shape`) instead.")
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `shape` and `batch_shape` at the same time. "
                f"Received: shape={shape}, batch_shape={batch_shape}"
            )
        if shape is None and batch_shape is None:
            raise ValueError("You must pass a `shape` argument, e.g. `keras.Input(shape=(784,))`.")
        if shape is not None:
            shape = _validate_shape(shape, "shape")
            batch_shape = (batch_size,) + shape
        self.batch_shape = _validate_shape(batch_shape, "batch_shape")
        self._input_dtype = backend.standardize_dtype(dtype)
        self.optional = optional
        self.built = True
        Node(self, outputs=KerasTensor(self.batch_shape, dtype=self._input_dtype, name=self.name))

    @property
    def dtype(self):
        return self._input_dtype

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            "batch_shape": self.batch_shape, "dtype": self._input_dtype, "sparse": False, "ragged": False,
            "name": self.name, "optional": self.optional,
        }


def _validate_shape(shape, argument):
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"Argument `{argument}` must be a tuple of integers. Received: {argument}={shape}")
    for dim in shape:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 0):
            raise ValueError(
                f"Argument `{argument}` must be a tuple of non-negative integers or None. "
                f"Received: {argument}={shape}"
            )
    return shape


@keras_export("keras.Input", "keras.layers.Input")
def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """Returns a symbolic tensor standing for a model input.

    Args:
        shape: Shape tuple without the batch axis, e.g. `(784,)`.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input; defaults to `"float32"`.
        batch_shape: Shape tuple including the batch axis.
        name: Optional name, used to feed the model by dict.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, ragged=ragged,
                       batch_shape=batch_shape, input_tensor=tensor, optional=optional, name=name)
    return layer.output
