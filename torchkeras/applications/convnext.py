"""The layers of `keras.applications.convnext`: `LayerScale` and `StochasticDepth`.

Keras defines them in `keras/src/applications/convnext.py` and archives name them by that module
(`{"module": "keras.src.applications.convnext", "class_name": "LayerScale",
"registered_name": "LayerScale"}`); they are registered here under the same path.
"""

import numbers

import torch

from torchkeras import initializers
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.utils import naming

_MODULE = "keras.src.applications.convnext"


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@keras_export(f"{_MODULE}.StochasticDepth")
class StochasticDepth(Layer):
    """Stochastic depth: drops whole residual paths, sample by sample, in training.

    In training, each sample of the batch is kept with probability `1 - drop_path_rate` (and scaled by
    `1 / (1 - drop_path_rate)`) or zeroed. At inference the layer returns its input unchanged. Random
    draws come from torch's global RNG (`torch.manual_seed` makes them reproducible); they differ from
    Keras's streams.

    Args:
        drop_path_rate: Float in `[0, 1)`, the probability of dropping a sample's path.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        x: Input tensor, batch axis first.
        training: Whether to drop paths (training) or return the input (inference).
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        if not _is_real(drop_path_rate) or not 0 <= drop_path_rate < 1:
            raise ValueError(
                f"Invalid value for argument `drop_path_rate` of StochasticDepth layer '{self.name}'. "
                f"Expected a float in [0, 1). Received: drop_path_rate={drop_path_rate!r}"
            )
        self.drop_path_rate = drop_path_rate
        # Unlike Dropout, Keras's StochasticDepth is built (and records its build config) on its first
        # call; its `training` defaults to None, so functional configs do not record it.

    def call(self, x, training=None):
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        # Keras's formula, drawn in float32 as Keras does: floor(keep_prob + U[0, 1)) is 1 with
        # probability keep_prob, else 0 (exact in any dtype).
        random_tensor = torch.floor(keep_prob + torch.rand(shape, dtype=torch.float32, device=x.device))
        return (x / keep_prob) * random_tensor.to(x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate})
        return config


@keras_export(f"{_MODULE}.LayerScale")
class LayerScale(Layer):
    """Layer scale: multiplies its input by a learned per-channel vector `gamma`.

    `gamma` has shape `(projection_dim,)` and starts at `init_values`; it multiplies the last axis of
    the input. As in Keras, the weight is created without a name, so its Keras name is
    `variable` (`variable_1`, ... for later ones); its torch attribute is `gamma`.

    Args:
        init_values: Float, the initial value of every entry of `gamma`.
        projection_dim: Positive integer, the size of `gamma` (the input's last axis).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        x: Input tensor whose last axis has size `projection_dim`.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        if not _is_real(init_values):
            raise TypeError(
                f"Invalid value for argument `init_values` of LayerScale layer '{self.name}'. Expected "
                f"a float. Received: init_values={init_values!r}"
            )
        if (isinstance(projection_dim, bool) or not isinstance(projection_dim, numbers.Integral)
                or projection_dim <= 0):
            raise ValueError(
                f"Invalid value for argument `projection_dim` of LayerScale layer '{self.name}'. "
                f"Expected a positive integer. Received: projection_dim={projection_dim!r}"
            )
        self.init_values = init_values
        self.projection_dim = int(projection_dim)

    def _check_last_axis(self, input_shape):
        last = None
        if input_shape is not None and len(input_shape) > 0:
            last = input_shape[-1]
        if last is not None and last not in (1, self.projection_dim):
            raise ValueError(
                f"LayerScale layer '{self.name}' scales a last axis of size "
                f"projection_dim={self.projection_dim}. Received: input_shape={tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_last_axis(input_shape)
        self.gamma = self.add_weight(
            shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values),
            trainable=True, name=naming.auto_name("variable"),
        )

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        self._check_last_axis(input_shape)
        if len(input_shape) == 0:
            return (self.projection_dim,)
        return tuple(input_shape[:-1]) + (self.projection_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config
