"""`ReLU`: rectified linear unit with Keras's `max_value`, `negative_slope` and `threshold`."""

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.ReLU")
class ReLU(Layer):
    """Rectified Linear Unit activation function layer.

    Formula:

    ```
    f(x) = max(x, 0)                                 if threshold == 0 and no max_value
    f(x) = min(x, max_value)                         if x >= threshold
    f(x) = negative_slope * (x - threshold)          otherwise
    ```

    Precisely, as Keras computes it: `x` is zeroed where `x <= threshold` (or `max(x, 0)` when
    `threshold == 0`), clipped to `[0, max_value]`, and `negative_slope * relu(threshold - x)` is
    subtracted.

    Args:
        max_value: Float >= 0, the largest value the output takes; `None` means unbounded.
        negative_slope: Float >= 0, slope below the threshold. Defaults to `0.0`.
        threshold: Float >= 0, the threshold below which values are damped. Defaults to `0.0`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        Arbitrary.

    Output shape:
        Same shape as the input.

    Example:

    >>> layer = torchkeras.layers.ReLU(max_value=6.0, threshold=1.0)
    >>> layer(torch.tensor([-1.0, 0.5, 2.0, 10.0]))
    tensor([0., 0., 2., 6.])
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                "max_value of a ReLU layer cannot be a negative value. "
                f"Received: max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative value. "
                f"Received: negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                "threshold of a ReLU layer cannot be None or a negative value. "
                f"Received: threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True
        # Precomputed dispatch (the same arithmetic as keras.activations.relu, fewest kernels).
        if negative_slope != 0.0 and max_value is None and threshold == 0:
            self._mode = "leaky"
        elif threshold == 0 and negative_slope == 0.0 and max_value is None:
            self._mode = "relu"
        elif threshold == 0 and negative_slope == 0.0 and max_value == 6:
            self._mode = "relu6"
        elif threshold == 0 and negative_slope == 0.0:
            self._mode = "clamp"
        else:
            self._mode = "general"
        self._max_value = None if max_value is None else float(max_value)
        self._negative_slope = float(negative_slope)
        self._threshold = float(threshold)

    def call(self, inputs):
        mode = self._mode
        if mode == "relu":
            return F.relu(inputs)
        if mode == "leaky":
            return F.leaky_relu(inputs, self._negative_slope)
        if mode == "relu6":
            return F.relu6(inputs)
        if mode == "clamp":
            # relu, then clip: also the gradients at exactly 0 and max_value are Keras's.
            return torch.clamp_max(F.relu(inputs), self._max_value)
        # General case, step by step as Keras: threshold (or relu), clip, subtract the negative part.
        if self._threshold != 0.0:
            x = F.threshold(inputs, self._threshold, 0.0)  # x if x > threshold else 0
        elif self._max_value == 6.0:
            x = F.relu6(inputs)
        else:
            x = F.relu(inputs)
        if self._max_value is not None and not (self._threshold == 0.0 and self._max_value == 6.0):
            x = torch.clamp(x, 0.0, self._max_value)
        if self._negative_slope != 0.0:
            x = x - self._negative_slope * F.relu(self._threshold - inputs)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        })
        return config
