"""`Model`: a `Layer` that users train and inspect: `summary()`, `get_layer()`, and the training API
(`compile`, `fit`, `evaluate`, `predict`, ...) from `torchkeras.trainers.Trainer`."""

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.trainers.trainer import Trainer


@keras_export("keras.Model", "keras.models.Model")
class Model(Trainer, Layer):
    """A layer with the model API on top; subclass it and write `call()`, as in Keras.

    Args:
        name: The model's name.
        trainable: Whether its weights are trained.
        dtype: Dtype policy for the model.
    """

    _casts_outputs_to_compute_dtype = False

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from torchkeras.models.functional import Functional

            return super().__new__(Functional)  # `Model(inputs, outputs)` is a functional model
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__} is a subclassed model: build it by writing `call()`, or make a "
                "functional model with `keras.Model(inputs, outputs)`. "
                f"Received: {len(args)} positional arguments and keywords {sorted(kwargs)}"
            )
        super().__init__(**kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """As Keras: a functional config (`layers`, `input_layers`, `output_layers`) rebuilds a functional
        model; any other config is passed to the constructor."""
        from torchkeras.models.functional import Functional

        if isinstance(config, dict) and all(key in config for key in ("layers", "input_layers", "output_layers")):
            if cls is Model or issubclass(cls, Functional):
                from torchkeras.models.functional_config import functional_from_config

                return functional_from_config(Functional if cls is Model else cls, config,
                                              custom_objects=custom_objects)
        return super().from_config(config)

    @property
    def _creates_masks(self):
        """Whether any layer inside may attach a mask to outputs of unmasked inputs."""
        return any(module._creates_masks for module in self.modules()
                   if module is not self and isinstance(module, Layer))

    @property
    def layers(self):
        """The model's layers, in the order they are tracked."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """Returns a layer by `name` or by `index` in `model.layers`."""
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        layers = self.layers
        if index is not None:
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has {len(layers)} "
                    "layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints Keras's summary table: each layer's name, type, output shape and parameter count."""
        from torchkeras.models.summary import print_summary

        if not self.built:
            raise ValueError(
                f"This model ('{self.name}') has not yet been built, so it has no weights to summarize. "
                "Build it first: start it with `keras.Input(shape=...)`, call "
                "`model.build(input_shape)` (e.g. `model.build((None, 784))`), or call the model on a "
                "batch of data."
            )
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights to a Keras 3 `.weights.h5` file that real Keras loads
        (`torchkeras.saving.weights_file`). The file is written to a temporary name and renamed."""
        from torchkeras.saving import weights_file

        weights_file.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights from a Keras 3 `.weights.h5` file, a `.keras` archive, or a legacy Keras 2
        `.h5` file (written by Keras or torchkeras). A file that does not fit raises a `ValueError`
        listing every mismatch, before any weight changes.

        Args:
            filepath: Path of the file.
            skip_mismatch: Load what fits and warn about the rest, instead of raising.
            **kwargs: `by_name=True` for a legacy `.h5` file: match layers by name, not by order.
        """
        from torchkeras.saving import legacy_h5, weights_file

        path = str(filepath)
        by_name = kwargs.pop("by_name", None)
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {kwargs}")
        if by_name is not None and (path.endswith(".weights.h5") or not path.endswith((".h5", ".hdf5"))):
            raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}")
        if path.endswith(".keras"):
            from torchkeras.saving import saving_api

            saving_api.load_weights_from_archive(self, filepath, skip_mismatch=skip_mismatch)
        elif path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5"):
            legacy_h5.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=bool(by_name))
        else:
            weights_file.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def save(self, filepath, overwrite=True, **kwargs):
        """Saves the model as a `.keras` archive that Keras 3 loads with `keras.saving.load_model`
        (`torchkeras.saving.save_model`).

        Args:
            filepath: Path ending in `.keras`: config, weights, compile config and optimizer state. A
                `.h5` path writes the legacy Keras 2 format instead, with a warning, as Keras 3 does.
            overwrite: Whether to replace an existing file (False: a `ValueError` if it exists).
            **kwargs: `include_optimizer` for the legacy `.h5` format.
        """
        from torchkeras.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def export(self, filepath, format="torch_export", verbose=None, input_signature=None, dynamic_batch=True):
        """Writes the model, in inference mode, as a `torch.export` archive (`.pt2`) that runs without
        torchkeras: `torch.export.load(filepath).module()(x)`. See `torchkeras.interop.torch_export`.

        Args:
            filepath: Path ending in `.pt2`; written to a temporary file, then renamed.
            format: `"torch_export"`.
            verbose: Whether to print where the archive went and how to load it.
            input_signature: Optional sample inputs (tensors, or objects with `shape`/`dtype`); defaults
                to the model's inputs.
            dynamic_batch: Whether the batch axis stays dynamic.

        Returns:
            The `torch.export.ExportedProgram`.
        """
        from torchkeras.interop.torch_export import export_model

        return export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature,
                            dynamic_batch=dynamic_batch)

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on model '{self.name}', but the model isn't built. "
                "Build it first: start it with `keras.Input(shape=...)`, call `model.build(input_shape)`, "
                "or call the model on a batch of data."
            )
        return super().count_params()
