"""`Sequential`: a plain stack of layers, one input and one output."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.core.input_layer import InputLayer
from torchkeras.layers.layer import Layer
from torchkeras.layers import call_context
from torchkeras.models.model import Model
from torchkeras.saving import serialization


@keras_export("keras.Sequential", "keras.models.Sequential")
class Sequential(Model):
    """A linear stack of layers.

    Layers are registered as submodules `"0"`, `"1"`, ... (as in `torch.nn.Sequential`), so `state_dict`
    keys (`"0.kernel"`) do not depend on the layers' auto-generated names.

    Args:
        layers: Optional list of layers; it may start with `keras.Input(shape=...)`, which builds every
            layer at once.
        trainable: Whether the model's weights are trained.
        name: The model's name.

    Call arguments:
        inputs: A tensor or array of the first layer's input shape.
        training: Optional bool for layers that behave differently in training (Dropout, ...).
    """

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        object.__setattr__(self, "_input_layer", None)
        self._output_shapes = []
        self._symbolic_nodes = []
        self._symbolic_outputs = []
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(
                    f"`Sequential` expects a list of layers. Received: layers={layers!r}"
                )
            for layer in layers:
                self.add(layer, rebuild=False)
            if self._input_layer is not None:
                self._build_from_input_layer()

    @property
    def layers(self):
        """The layers, without the `InputLayer` (as Keras lists them)."""
        return list(self._modules.values())

    @property
    def _layers(self):
        return list(self._modules.values())

    @property
    def input_shape(self):
        if self._build_shapes is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self._build_shapes

    @property
    def output_shape(self):
        if not self._output_shapes:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self._output_shapes[-1]

    def add(self, layer, rebuild=True):
        """Appends a layer (or `keras.Input(...)` as the first element) to the stack."""
        if getattr(layer, "_is_keras_symbolic", False):
            history = layer._keras_history.operation if layer._keras_history else None
            if not isinstance(history, InputLayer):
                raise ValueError(
                    "Only a `keras.Input(...)` tensor can be added to a Sequential model. Received a "
                    f"symbolic tensor produced by {history!r}"
                )
            layer = history
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        if isinstance(layer, InputLayer):
            if self._modules or self._input_layer is not None:
                raise ValueError(
                    f"Sequential model '{self.name}' already has layers; an `Input` or `InputLayer` "
                    f"must come first. Received: {layer.name}"
                )
            object.__setattr__(self, "_input_layer", layer)
        else:
            if any(existing is layer for existing in self._modules.values()):
                raise ValueError(f"Layer '{layer.name}' is already in Sequential model '{self.name}'.")
            names = [existing.name for existing in self._modules.values()]
            if layer.name in names:
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. Name "
                    f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                    "argument to pass a unique name."
                )
            self._modules[str(len(self._modules))] = layer
            if len(self._modules) == 1 and self._input_layer is None and layer._batch_input_shape:
                # Keras 2 style `Dense(256, input_shape=(784,))` as the first layer.
                object.__setattr__(self, "_input_layer", InputLayer(batch_shape=layer._batch_input_shape))
        if rebuild and self._input_layer is not None:
            self._build_from_input_layer()
        elif rebuild:
            self.built = False

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._modules:
            raise ValueError(f"There are no layers in Sequential model '{self.name}' to remove.")
        layer = self._modules.pop(str(len(self._modules) - 1))
        self._output_shapes = self._output_shapes[: len(self._modules)]
        if self._symbolic_nodes and self._symbolic_nodes[-1].operation is layer:
            layer._inbound_nodes = [n for n in layer._inbound_nodes if n is not self._symbolic_nodes[-1]]
            self._symbolic_nodes.pop()
            self._symbolic_outputs.pop()
        if rebuild and self._input_layer is not None:
            self._build_from_input_layer()
        return layer

    def _build_from_input_layer(self):
        if self._modules:
            self.build(self._input_layer.batch_shape)

    def build(self, input_shape=None):
        """Builds every layer for inputs of `input_shape` (batch axis included, e.g. `(None, 784)`)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"You must provide an `input_shape` argument to build Sequential model "
                    f"'{self.name}', e.g. `model.build(input_shape=(None, 784))`, or start the model "
                    "with `keras.Input(shape=...)`."
                )
            input_shape = self._input_layer.batch_shape
        if not isinstance(input_shape, (list, tuple)) or not all(
            d is None or isinstance(d, int) for d in input_shape
        ):
            raise ValueError(
                f"Sequential model '{self.name}' expects `input_shape` to be a tuple of integers or None "
                f"including the batch axis, e.g. (None, 784). Received: input_shape={input_shape!r}"
            )
        shape = tuple(input_shape)
        if self._input_layer is None or tuple(self._input_layer.batch_shape) != shape:
            # As Keras does: a built Sequential starts with an InputLayer, which its config records.
            object.__setattr__(self, "_input_layer", InputLayer(batch_shape=shape))
        self._forget_symbolic_calls()
        # Calling the layers on the Input builds them and records the graph, so that `layer.output`
        # and sub-model slicing work on a Sequential as on a functional model.
        tensor = self._input_layer.output
        outputs = []
        for layer in self._modules.values():
            try:
                with call_context.building_on(None):
                    tensor = layer(tensor)
            except ValueError as error:
                raise ValueError(
                    f"Layer '{layer.name}' of Sequential model '{self.name}' cannot take inputs of "
                    f"shape {getattr(tensor, 'shape', tensor)}: {error}"
                ) from error
            outputs.append(tensor)
            self._symbolic_nodes.append(layer._inbound_nodes[-1])
        self._symbolic_outputs = outputs
        self._output_shapes = [_shape_of(t) for t in outputs]

    def _forget_symbolic_calls(self):
        """Drops the nodes an earlier build recorded, so a rebuilt model's layers have one call each."""
        for node in getattr(self, "_symbolic_nodes", []):
            node.operation._inbound_nodes = [n for n in node.operation._inbound_nodes if n is not node]
        self._symbolic_nodes = []
        self._symbolic_outputs = []

    @property
    def inputs(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return [self._input_layer.output]

    @property
    def outputs(self):
        if not self._symbolic_outputs:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return [self._symbolic_outputs[-1]]

    def _maybe_build(self, args, kwargs):
        # Built by a first call on data: the batch size of that batch is not part of the model.
        shape = tuple(args[0].shape) if args and hasattr(args[0], "shape") else None
        if shape is None:
            raise ValueError(f"Sequential model '{self.name}' expects a single tensor input.")
        self.build((None,) + shape[1:])

    def call(self, inputs, training=None, mask=None):
        if mask is not None and isinstance(inputs, torch.Tensor):
            inputs = inputs.view_as(inputs)  # a view, so the caller's tensor keeps its own mask
            inputs._keras_mask = mask
        outputs = inputs
        for layer in self._modules.values():
            outputs = layer(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._modules.values():
            shape = layer.compute_output_shape(shape)
        return shape

    def _summary_rows(self):
        """(layer, output shape) pairs for `summary()`."""
        return list(zip(self._modules.values(), self._output_shapes))

    def get_config(self):
        layers = []
        if self._input_layer is not None:
            layers.append(serialization.serialize_keras_object(self._input_layer))
        layers.extend(serialization.serialize_keras_object(layer) for layer in self._modules.values())
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": Layer.get_config(self)["dtype"],
            "layers": layers,
        }
        if self._build_shapes is not None:
            config["build_input_shape"] = self._build_shapes
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer_configs = config.pop("layers")
        build_input_shape = config.pop("build_input_shape", None)
        config.pop("dtype", None)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in layer_configs:
            model.add(
                serialization.deserialize_keras_object(layer_config, custom_objects=custom_objects),
                rebuild=False,
            )
        if model._input_layer is not None:
            model._build_from_input_layer()
        elif build_input_shape is not None:
            model.build(build_input_shape)
        return model


def _shape_of(tensor):
    if isinstance(tensor, (list, tuple)):
        return [_shape_of(t) for t in tensor]
    return tensor.shape
