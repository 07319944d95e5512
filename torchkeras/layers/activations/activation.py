"""`Activation`: applies an activation function to its input."""

from torchkeras import activations
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Activation")
class Activation(Layer):
    """Applies an activation function to an output.

    Args:
        activation: Activation function name (`"relu"`, ...), a callable, or `None` (linear).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        Arbitrary.

    Output shape:
        Same shape as the input.

    Example:

    >>> layer = torchkeras.layers.Activation("relu")
    >>> layer(torch.tensor([-3.0, -1.0, 0.0, 2.0]))
    tensor([0., 0., 0., 2.])
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
