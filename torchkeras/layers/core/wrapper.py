"""`Wrapper`: the base class of layers that wrap another layer (`TimeDistributed`, `SpectralNormalization`)."""

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.Wrapper")
class Wrapper(Layer):
    """Abstract base class of layers that take another layer and augment it.

    Subclass it to write a wrapper; it is not a layer to use on its own. The wrapped layer is a sublayer
    (its weights are the wrapper's, after the wrapper's own), is built with the wrapper's input shape
    unless the subclass builds it otherwise, and is serialized in the config under `"layer"`.

    Args:
        layer: The `keras.layers.Layer` instance to wrap.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure wrapped "
                "layer is a valid Keras layer."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True

    def get_config(self):
        from torchkeras.saving import serialization

        return {**super().get_config(), "layer": serialization.serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from torchkeras.saving import serialization

        config = dict(config)
        layer = serialization.deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return super().from_config(dict(config, layer=layer))
