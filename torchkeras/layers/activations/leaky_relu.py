"""`LeakyReLU`: `x` for `x >= 0`, `negative_slope * x` otherwise."""

import warnings

import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.LeakyReLU")
class LeakyReLU(Layer):
    """Leaky version of a Rectified Linear Unit activation layer.

    Formula:

    ```
    f(x) = negative_slope * x  if x < 0
    f(x) = x                   if x >= 0
    ```

    Args:
        negative_slope: Float >= 0, the slope for negative inputs. Defaults to `0.3`. The legacy
            keyword `alpha` is accepted (with a deprecation warning), as in Keras.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        Arbitrary.

    Output shape:
        Same shape as the input.

    Example:

    >>> layer = torchkeras.layers.LeakyReLU(negative_slope=0.5)
    >>> layer(torch.tensor([-3.0, -1.0, 0.0, 2.0]))
    tensor([-1.5000, -0.5000,  0.0000,  2.0000])
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                f"Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope
        self._slope = float(negative_slope)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return F.leaky_relu(inputs, self._slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
