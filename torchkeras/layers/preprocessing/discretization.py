"""`Discretization`: buckets continuous features by ranges, with boundaries given or learned by `adapt`."""

import numbers

import numpy as np
import torch

from torchkeras import backend
from torchkeras import dtype_policies
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.category_encoding import encode_categorical, encoded_shape, list_to_tensor

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _boundaries_tensor(bin_boundaries):
    """The boundaries as Keras's `convert_to_tensor` makes them: int32 when every one is an integer,
    float32 otherwise (an empty list too)."""
    values = list(bin_boundaries)
    if values and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        dtype = torch.int32 if all(-2 ** 31 <= v < 2 ** 31 for v in values) else torch.int64
    else:
        dtype = torch.float32
    return torch.tensor([float(v) if dtype is torch.float32 else int(v) for v in values], dtype=dtype)


@keras_export("keras.layers.Discretization")
class Discretization(Layer):
    """A preprocessing layer which buckets continuous features by ranges.

    Each element of the input is placed into one of several contiguous ranges; the output is the index
    of that range (or an encoding of it, see `output_mode`). The boundaries are given, or learned from
    data with `adapt()` by Keras's approximate-quantile summary (the same numpy computation, so the
    boundaries equal Keras's on the same data). The layer has no weights: its config holds the
    boundaries.

    Args:
        bin_boundaries: A list of bin boundaries, in increasing order. The leftmost and rightmost bins
            extend to `-inf` and `inf`: `bin_boundaries=[0., 1., 2.]` gives the bins `(-inf, 0.)`,
            `[0., 1.)`, `[1., 2.)` and `[2., +inf)`. If set, `adapt()` should not be called.
        num_bins: The number of bins to compute with `adapt()`; `bin_boundaries` is then not set.
        epsilon: Error tolerance of the quantile approximation, a small fraction such as 0.01. Higher
            values give more unequal buckets but use less memory and time.
        output_mode: `"int"` (the bin indices, int32), `"one_hot"`, `"multi_hot"` or `"count"` (encoded
            as in `CategoryEncoding` with `len(bin_boundaries) + 1` tokens, in the compute dtype).
            Defaults to `"int"`.
        sparse: Must be `False`: torch tensors here are dense.
        dtype: The dtype policy; the encoded outputs are in its compute dtype. Floating inputs are
            always bucketed in float32 (`keras.config.floatx()`), as in Keras.
        name: The layer's name.

    Input shape:
        Any tensor of numbers.

    Output shape:
        `"int"`: the input shape. `"one_hot"`: the input shape plus a `num_bins` axis (a last axis of
        size 1 replaced). `"multi_hot"` / `"count"`: axis 1 is reduced, e.g. `(batch_size, num_bins)`
        for `(batch_size, n)` inputs.

    Example:

    >>> layer = Discretization(bin_boundaries=[0., 1., 2.])
    >>> layer(np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]]))
    tensor([[0, 2, 3, 1],
            [1, 3, 2, 1]], dtype=torch.int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError(
                "`sparse=True` is not supported: torchkeras's Discretization returns dense torch tensors "
                "(Keras's torch backend does not support sparse outputs either). Received: sparse=True"
            )
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                "Unknown value for `output_mode` argument of Discretization. Allowed values are: "
                f"{_OUTPUT_MODES}. Received: output_mode={output_mode}"
            )
        if num_bins is not None and (not isinstance(num_bins, numbers.Integral) or isinstance(num_bins, bool)):
            raise ValueError(f"`num_bins` must be an integer. Received: `num_bins={num_bins!r}`")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. "
                f"Received: `num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
            raise ValueError(f"`epsilon` must be a positive number. Received: epsilon={epsilon!r}")
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False  # floating inputs go to float32, not to the compute dtype (see `call`)
        self.register_buffer("_boundaries", torch.zeros(0), persistent=False)
        self.bin_boundaries = bin_boundaries
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    @property
    def bin_boundaries(self):
        return self.__dict__["_bin_boundaries"]

    @bin_boundaries.setter
    def bin_boundaries(self, value):
        if isinstance(value, (np.ndarray, torch.Tensor)):
            value = (value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value).tolist()
        if value is not None:
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
                raise ValueError("`bin_boundaries` of Discretization must be a list of numbers. "
                                 f"Received: bin_boundaries={value!r}")
            if any(b < a for a, b in zip(value, value[1:])):
                raise ValueError("`bin_boundaries` of Discretization must be sorted in increasing order. "
                                 f"Received: bin_boundaries={value!r}")
            old = self._buffers["_boundaries"]
            self._buffers["_boundaries"] = _boundaries_tensor(value).to(old.device)
        self.__dict__["_bin_boundaries"] = value

    @property
    def input_dtype(self):
        return backend.floatx()

    @property
    def output_dtype(self):
        return self.compute_dtype if self.output_mode != "int" else "int32"

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    # ------------------------------------------------------------------ adapt

    def adapt(self, data, steps=None):
        """Computes bin boundaries from quantiles of a dataset (Keras's algorithm).

        Args:
            data: A numpy array or torch tensor (one batch), or an iterable of batches (a list of
                arrays, a generator, a torch `DataLoader`).
            steps: Integer or `None`: the number of batches of an iterable to use (all by default).
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                "use `num_bins` instead."
            )
        if self.num_bins == 0:
            raise ValueError(f"Discretization layer '{self.name}' needs `num_bins` >= 1 to adapt. "
                             "Received: num_bins=0")
        self.reset_state()
        if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, torch.Tensor, str, bytes, dict)):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data):
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        try:
            data = np.array(data).astype("float32")
        except (TypeError, ValueError) as error:
            raise TypeError(f"Discretization.adapt() expects numbers (arrays, tensors or batches of them). "
                            f"Received: {type(data).__name__} ({error})") from None
        summary = summarize(data, self.epsilon)
        self.summary = merge_summaries(summary, self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = get_bin_boundaries(self.summary, self.num_bins).tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    # ------------------------------------------------------------------ call

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], (list, tuple)):  # one input: a list of values, not of inputs
            args = (list_to_tensor(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time or call "
                "`adapt(dataset)` before you can start using the `Discretization` layer."
            )
        if inputs.is_floating_point():
            inputs = inputs.to(torch.float32)
        elif inputs.dtype is torch.bool:
            inputs = inputs.to(torch.uint8)
        boundaries = self._boundaries
        if boundaries.device != inputs.device:
            boundaries = boundaries.to(inputs.device)
        indices = torch.bucketize(inputs.contiguous(), boundaries, right=True, out_int32=True)
        return encode_categorical(indices, self.output_mode, self._depth(),
                                  backend.to_torch_dtype(self.output_dtype), self.name)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        from torchkeras.graph.keras_tensor import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    # ------------------------------------------------------------------ config

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = dtype_policies.get(config["dtype"])
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer's config has both; the constructor takes one, so the boundaries come after.
            bin_boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = bin_boundaries
            return layer
        return cls(**config)


# Keras's approximate quantiles (keras/src/layers/preprocessing/discretization.py), the same numpy
# operations in the same order so that `adapt` gives Keras's boundaries bit for bit.


def summarize(values, epsilon):
    """Reduces a 1-D sequence of values to a summary: a `(2, n)` array of partition values and weights,
    the values taken at intervals of about `len(values) * epsilon` of the sorted input."""
    values = np.reshape(values, [-1])
    values = np.sort(values)
    elements = np.size(values)
    num_buckets = 1.0 / epsilon
    increment = elements / num_buckets
    step = max(increment, 1)
    start = step - 1
    boundaries = values[int(start)::int(step)]
    weights = np.ones_like(boundaries)
    weights = weights * step
    return np.stack([boundaries, weights])


def merge_summaries(prev_summary, next_summary, epsilon):
    """Weighted merge of two summaries, compressed to stay within `epsilon`."""
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return compress_summary(merged, epsilon)


def get_bin_boundaries(summary, num_bins):
    return compress_summary(summary, 1.0 / num_bins)[0, :-1]


def compress_summary(summary, epsilon):
    """Compresses a summary to about `1 / epsilon` points by interpolating its cumulative weights."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    summary = np.stack((new_bins, new_weights))
    return summary.astype("float32")
