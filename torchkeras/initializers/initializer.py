"""The `Initializer` base class."""

from torchkeras.api_export import keras_export


@keras_export("keras.Initializer", "keras.initializers.Initializer")
class Initializer:
    """Initializer base class: all initializers inherit from this class.

    Subclasses implement `__call__(shape, dtype=None)`, returning a CPU
    `torch.Tensor` of that shape and dtype, and optionally `get_config()`.
    """

    def __call__(self, shape, dtype=None):
        """Returns a tensor initialized as specified by the initializer.

        Args:
            shape: Shape of the tensor.
            dtype: Optional dtype (Keras name or `torch.dtype`); defaults to
                `"float32"`.
        """
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self):
        """Returns the initializer's configuration as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Instantiates an initializer from a configuration dictionary.

        Args:
            config: A Python dictionary, the output of `get_config()`.
        """
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"


def standardize_shape(shape, name="shape"):
    """Returns `shape` as a tuple of non-negative Python ints."""
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a tuple of non-negative "
            f"integers. Received: {name}={shape!r}"
        ) from None
    if any(d < 0 for d in shape):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a tuple of non-negative "
            f"integers. Received: {name}={shape!r}"
        )
    return shape
