"""`RepeatVector`: repeats a `(batch, features)` input `n` times along a new axis 1."""

from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.RepeatVector")
class RepeatVector(Layer):
    """Repeats the input n times.

    The output is an expanded view of the input (no copy): its `n` rows share memory, so write to a
    clone of it rather than in place.

    Args:
        n: Positive integer, the repetition factor.

    Input shape:
        2-D tensor `(batch_size, features)`.

    Output shape:
        3-D tensor `(batch_size, n, features)`.

    Example:

    >>> RepeatVector(3)(torch.zeros(2, 32)).shape
    torch.Size([2, 3, 32])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`. Received: n={n!r} (of type {type(n)})")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
