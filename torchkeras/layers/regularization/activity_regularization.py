"""`ActivityRegularization`: the identity, adding an L1/L2 penalty on its output to `losses`."""

from torchkeras import regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.ActivityRegularization")
class ActivityRegularization(Layer):
    """Layer that applies an update to the cost function based on input activity.

    Returns its input unchanged; each call records the loss
    `(l1 * sum(abs(x)) + l2 * sum(square(x))) / batch_size` in `layer.losses`, as Keras does with an
    `activity_regularizer`.

    Args:
        l1: L1 regularization factor (non-negative float).
        l2: L2 regularization factor (non-negative float).

    Input shape:
        Arbitrary.

    Output shape:
        Same shape as input.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config
