"""`BaseAdaptivePooling`: the shared body of AdaptiveAverage/AdaptiveMaxPooling1D/2D/3D.

The windows are torch's adaptive pooling windows (`start = floor(i * n / out)`,
`end = ceil((i + 1) * n / out)`), which is what Keras's torch backend runs; output sizes that do not
divide the input give overlapping windows of unequal sizes. `channels_last` inputs are pooled through a
permuted view and permuted back, with no layout copy.
"""

import torch.nn.functional as F

from torchkeras import backend
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.pooling.base_pooling import TO_CHANNELS_FIRST, TO_CHANNELS_LAST

_ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
_ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_NAMES = {1: "an integer or tuple of 1 integer", 2: "an integer or (height, width) tuple",
          3: "an integer or (depth, height, width) tuple"}


def standardize_output_size(output_size, n):
    """`output_size` as a tuple of `n` positive ints; `TypeError`/`ValueError` as Keras raises them."""
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        values = (output_size,) * n
    elif isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            error = ValueError if n == 1 else TypeError  # as in Keras
            raise error(f"`output_size` must be {_NAMES[n]}. Received: {output_size} of type "
                        f"{type(output_size)}")
        values = tuple(output_size)
    else:
        raise TypeError(f"`output_size` must be {_NAMES[n]}. Received: {output_size} of type "
                        f"{type(output_size)}")
    if any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in values):
        raise ValueError(f"`output_size` must hold positive integers. Received: output_size={output_size}")
    return values


class BaseAdaptivePooling(Layer):
    """Base class shared by all adaptive pooling layers; `mode` is `"average"` or `"max"`."""

    _mode = None

    def __init__(self, output_size, data_format=None, pool_dimensions=None, **kwargs):
        super().__init__(**kwargs)
        n = pool_dimensions if pool_dimensions is not None else len(output_size)
        self.output_size = standardize_output_size(output_size, n)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=n + 2)
        self._rank = n
        self._channels_last = self.data_format == "channels_last"
        self._pool = (_ADAPTIVE_MAX if self._mode == "max" else _ADAPTIVE_AVG)[n]

    def call(self, inputs):
        rank = self._rank
        x = inputs.permute(TO_CHANNELS_FIRST[rank]) if self._channels_last else inputs
        outputs = self._pool(x, self.output_size)
        return outputs.permute(TO_CHANNELS_LAST[rank]) if self._channels_last else outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._channels_last:
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class BaseAdaptiveAveragePooling(BaseAdaptivePooling):
    """Base class for adaptive average pooling in 1D, 2D, and 3D."""

    _mode = "average"


class BaseAdaptiveMaxPooling(BaseAdaptivePooling):
    """Base class for adaptive max pooling in 1D, 2D, and 3D."""

    _mode = "max"
