"""`Identity`: returns its inputs unchanged; a placeholder layer."""

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Identity")
class Identity(Layer):
    """Identity layer: returns its `inputs` argument (a tensor or a structure of tensors) as output.

    Useful as a placeholder when no operation is to be performed. Masks pass through.

    Input shape:
        Arbitrary.

    Output shape:
        The input shape.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
