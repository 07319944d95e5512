"""`Model`: a `Layer` that users train and inspect: `summary()`, `predict()`, `get_layer()`."""

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


@keras_export("keras.Model", "keras.models.Model")
class Model(Layer):
    """A layer with the model API on top; subclass it and write `call()`, as in Keras.

    Args:
        name: The model's name.
        trainable: Whether its weights are trained.
        dtype: Dtype policy for the model.
    """

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

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on model '{self.name}', but the model isn't built. "
                "Build it first: start it with `keras.Input(shape=...)`, call `model.build(input_shape)`, "
                "or call the model on a batch of data."
            )
        return super().count_params()

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Runs the model in inference mode on `x` in batches and returns numpy arrays.

        Args:
            x: Numpy array, torch tensor, or a list/dict of them for several inputs.
            batch_size: Samples per batch; 32 by default.
            verbose: `"auto"`, 0 (silent), 1 or 2: print one progress line per call.
        """
        from torchkeras.models.progress import PredictProgress

        if batch_size is None:
            batch_size = 32
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"Argument `batch_size` must be a positive integer. Received: batch_size={batch_size}")
        inputs = _to_tensors(x)
        count = _num_samples(inputs)
        steps_total = max(1, -(-count // batch_size))
        progress = PredictProgress(steps_total, verbose)
        device = _model_device(self)
        outputs = []
        with torch.no_grad():
            for step in range(steps_total):
                batch = _slice(inputs, step * batch_size, (step + 1) * batch_size, device)
                outputs.append(_to_numpy(self(batch, training=False)))
                progress.update(step + 1)
        return _concatenate(outputs)

    def predict_on_batch(self, x):
        with torch.no_grad():
            return _to_numpy(self(_slice(_to_tensors(x), None, None, _model_device(self)), training=False))


def _to_tensors(x):
    if isinstance(x, dict):
        return {k: _to_tensors(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_to_tensors(v) for v in x]
    return backend.convert_to_tensor(x)


def _num_samples(inputs):
    if isinstance(inputs, dict):
        inputs = list(inputs.values())
    if isinstance(inputs, list):
        sizes = {_num_samples(v) for v in inputs}
        if len(sizes) != 1:
            raise ValueError(f"All inputs must have the same number of samples. Received sizes: {sorted(sizes)}")
        return sizes.pop()
    if inputs.dim() == 0:
        raise ValueError(f"Expected inputs with a batch axis. Received a scalar of shape {tuple(inputs.shape)}")
    return inputs.shape[0]


def _slice(inputs, start, stop, device):
    if isinstance(inputs, dict):
        return {k: _slice(v, start, stop, device) for k, v in inputs.items()}
    if isinstance(inputs, list):
        return [_slice(v, start, stop, device) for v in inputs]
    return inputs[start:stop].to(device)


def _to_numpy(outputs):
    if isinstance(outputs, dict):
        return {k: _to_numpy(v) for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [_to_numpy(v) for v in outputs]
    return outputs.detach().cpu().numpy()


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, dict):
        return {k: np.concatenate([b[k] for b in batches]) for k in first}
    if isinstance(first, list):
        return [np.concatenate([b[i] for b in batches]) for i in range(len(first))]
    return np.concatenate(batches)


def _model_device(model):
    for tensor in model.parameters():
        if not isinstance(tensor, torch.nn.parameter.UninitializedParameter):
            return tensor.device
    return torch.device("cpu")
