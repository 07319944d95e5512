"""`Normalization`: `(inputs - mean) / sqrt(variance)` with a mean and variance given or learned by `adapt`."""

import itertools
import math
import numbers

import numpy as np
import torch
from torch.nn.parameter import UninitializedBuffer, is_lazy

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers import call_context
from torchkeras.layers.layer import Layer

_EPSILON = 1e-7  # keras.backend.epsilon(): the standard deviation is at least this


def _standardize_axis(axis):
    if axis is None:
        return ()
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, (list, tuple)) and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
        axis = tuple(int(a) for a in axis)
        if len(set(axis)) != len(axis):
            raise ValueError(f"Argument `axis` of Normalization has duplicates. Received: axis={axis}")
        return axis
    raise TypeError(
        "Invalid value for argument `axis` of Normalization. Expected an int, a tuple/list of ints, or "
        f"None. Received: axis={axis!r}"
    )


def _check_numeric(argument, value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
    try:
        kind = np.asarray(value).dtype.kind
    except (TypeError, ValueError):
        kind = None
    if kind not in ("i", "u", "f"):
        raise TypeError(
            f"Invalid value for argument `{argument}` of Normalization. Expected a number or a list/array "
            f"of numbers. Received: {argument}={value!r}"
        )


def _extract_batch(batch):
    """The inputs of a batch: `x` of `(x, y)` or `(x, y, sample_weight)`, as in Keras. A list whose first
    item is an array counts too (what a torch `DataLoader` over a `TensorDataset` yields)."""
    if isinstance(batch, tuple) or (isinstance(batch, list) and batch and hasattr(batch[0], "shape")):
        return batch[0]
    return batch


def _mean_and_variance(x, axes):
    """`keras.ops.mean` and `keras.ops.var` (no Bessel correction) of a torch tensor over `axes`, with the
    dtypes Keras's torch backend gives them: computed in at least float32, the mean handed back in the
    input's floating dtype (float32 for integers), the variance likewise."""
    floating = x.is_floating_point()
    result_dtype = x.dtype if floating else torch.float32
    if axes == ():
        return x, torch.zeros_like(x, dtype=result_dtype)
    compute_dtype = x.dtype if x.dtype == torch.float64 else torch.float32
    x = x.to(compute_dtype)
    mean = torch.mean(x, axes).to(result_dtype)
    variance = torch.var(x, dim=axes, correction=0).to(result_dtype)
    return mean, variance


@keras_export("keras.layers.Normalization")
class Normalization(Layer):
    """A preprocessing layer that normalizes continuous features: `(inputs - mean) / sqrt(variance)`.

    The mean and variance are either given to the constructor (the layer then has no weights and its
    config holds them) or learned from data with `adapt()` (they are then the non-trainable weights
    `mean` and `variance`, beside an integer `count` that Keras keeps for compatibility and never
    updates). A layer that is neither adapted nor given values normalizes with mean 0 and variance 1,
    as in Keras. The standard deviation is floored at `1e-7` (`keras.backend.epsilon()`).

    Args:
        axis: Integer, tuple of integers, or None. The axis or axes that have a separate mean and
            variance for each index in the shape. For inputs of shape `(None, 5)` and `axis=1`, the
            layer tracks 5 separate means and variances for the last axis. `None` normalizes all
            elements by a scalar mean and variance. Defaults to `-1`. (For batched scalar inputs whose
            only axis is the batch axis, the default normalizes each batch index separately; pass
            `axis=None` there.)
        mean: The mean value(s) to use. They broadcast to the shape of the kept axes, aligned from the
            right; `mean` and `variance` are given together.
        variance: The variance value(s) to use, like `mean`.
        invert: If `True`, applies the inverse transformation `mean + inputs * sqrt(variance)`, turning a
            normalized input back into its original form.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        Arbitrary; the kept axes must have known sizes when the layer is built.

    Output shape:
        Same as the input shape, in the compute dtype (integer inputs are cast).

    Example:

    >>> layer = Normalization(axis=None)
    >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float32"))
    >>> layer(np.array([1.0, 2.0, 3.0], dtype="float32"))
    tensor([-1.4142, -0.7071,  0.0000])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _standardize_axis(axis)
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        self._keep_axis = None
        self._reduce_axis = None
        self._broadcast_shape = None
        self._mean_and_var_shape = None

        if (mean is not None) != (variance is not None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            _check_numeric("mean", mean)
            _check_numeric("variance", variance)
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same shape. "
                    f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    "The rank of `mean` must be less than or equal to the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}"
                )
        else:
            self._declare_weight("mean", trainable=False)
            self._declare_weight("variance", trainable=False)
            self.register_buffer("count", UninitializedBuffer(dtype=torch.int32))

    def _redeclare_lazy_weights(self):
        super()._redeclare_lazy_weights()
        count = self._buffers.get("count")
        if count is not None and is_lazy(count) and count.dtype != torch.int32:
            self._buffers["count"] = UninitializedBuffer(dtype=torch.int32)

    @property
    def adapt_mean(self):
        """The learned mean (Keras's attribute name for the `mean` weight)."""
        return self._buffers.get("mean") if self.input_mean is None else None

    @property
    def adapt_variance(self):
        """The learned variance (Keras's attribute name for the `variance` weight)."""
        return self._buffers.get("variance") if self.input_mean is None else None

    def build(self, input_shape):
        if input_shape is None:
            raise ValueError(
                f"Normalization layer '{self.name}' needs the input shape to build. Call "
                "`build(input_shape)` with a shape, `adapt(data)`, or call the layer on data."
            )
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). "
                f"Received inputs with ndim={ndim}, while axis={self.axis}"
            )
        self._build_input_shape = input_shape
        # The kept axes, sorted (the weights follow the input's axis order).
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    "All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={input_shape}, with unknown axis at index {d}"
                )
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = [input_shape[d] if d in keep else 1 for d in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[d] for d in keep)

        if self.input_mean is None:
            self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                            trainable=False)
            self.add_weight(name="variance", shape=self._mean_and_var_shape, initializer="ones",
                            trainable=False)
            # Never updated; Keras keeps it for older saved models, and so it is in Keras's files.
            self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros", trainable=False)
        else:
            # Constants in the compute dtype, shaped to broadcast against the inputs (Keras's
            # `layer.mean` / `layer.variance`); the config holds the values, so they are not saved.
            dtype, device = self._compute_torch_dtype, call_context.weight_device()
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                self.register_buffer(name, self._broadcast_constant(value, name).to(device, dtype),
                                     persistent=False)

    def _broadcast_constant(self, value, argument):
        """A constructor `mean` / `variance` broadcast to `_broadcast_shape`: a scalar everywhere,
        otherwise its dimensions matched to the kept axes from the right."""
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().to(torch.float64)
        else:
            tensor = torch.as_tensor(np.asarray(value, dtype=np.float64))
        ndim = len(self._broadcast_shape)
        expanded_shape = [1] * ndim
        for i in range(1, tensor.dim() + 1):
            expanded_shape[self._keep_axis[-i]] = tensor.shape[-i]
        try:
            return torch.broadcast_to(tensor.reshape(expanded_shape), self._broadcast_shape).contiguous()
        except RuntimeError:
            raise ValueError(
                f"The `{argument}` of Normalization layer '{self.name}' (shape {tuple(tensor.shape)}) "
                f"does not broadcast to the kept axes {self.axis} of inputs of shape "
                f"{self._build_input_shape}: its dimensions are matched to the kept axes from the right "
                f"and must equal their sizes {self._mean_and_var_shape} or be 1."
            ) from None

    def adapt(self, data):
        """Computes the mean and variance of `data` and stores them in the layer's weights.

        The statistics are computed separately for each index of the kept `axis` (over every other axis).
        Builds the layer from the data's shape if it is not built.

        Args:
            data: A numpy array, a torch tensor, or an iterable of batches (a list of arrays, a
                generator, a torch `DataLoader`; `(x, y)` batches count by `x`). An iterable must be
                batched: each element is taken to be a batch, and the statistics are combined across
                batches exactly as Keras combines them.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer '{self.name}' was given `mean` and `variance` in its constructor; "
                "`adapt()` only applies to a layer created without them."
            )
        if isinstance(data, (np.ndarray, torch.Tensor)):
            input_shape = tuple(data.shape)
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            data_iter = iter(data)
            first_batch = next(data_iter, None)
            if first_batch is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one batch. Pass "
                    "a non-empty iterable of arrays or tensors, e.g. layer.adapt([x]) or "
                    "layer.adapt(list_of_batches)."
                )
            first_batch = _extract_batch(first_batch)
            if getattr(first_batch, "shape", None) is None:
                raise TypeError(
                    "adapt() expects an iterable that yields arrays or tensors with a `.shape` attribute "
                    f"(e.g. numpy arrays or torch tensors). Got an element of type "
                    f"{type(first_batch).__name__}."
                )
            input_shape = tuple(first_batch.shape)
            data = itertools.chain([first_batch], data_iter)
        else:
            raise TypeError(
                f"Unsupported data type: {type(data)}. `adapt` supports `np.ndarray`, torch tensors and "
                "iterables of batches (e.g. list, generator, torch DataLoader)."
            )

        if not self.built:
            self.build(input_shape)
        else:
            self._check_adapt_shape(input_shape, "adapt() is being called with data with an incompatible "
                                                 f"shape, data.shape={input_shape}")

        with torch.no_grad():
            if isinstance(data, np.ndarray):
                total_mean = np.mean(data, axis=self._reduce_axis)
                total_var = np.var(data, axis=self._reduce_axis)
            elif isinstance(data, torch.Tensor):
                total_mean, total_var = _mean_and_variance(data.detach(), self._reduce_axis)
            else:
                total_mean, total_var = self._combine_batches(data)
            mean, variance = self._buffers["mean"], self._buffers["variance"]
            mean.copy_(backend.convert_to_tensor(total_mean, dtype=mean.dtype))
            variance.copy_(backend.convert_to_tensor(total_var, dtype=variance.dtype))

    def _combine_batches(self, batches):
        """The mean and variance over every batch, combined batch by batch with Keras's weights and its
        lack-of-fit sum of squares formula (the same float32 operations, in the same order)."""
        dtype = self._compute_torch_dtype
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            batch = backend.convert_to_tensor(_extract_batch(batch), dtype=dtype).detach()
            self._check_adapt_shape(tuple(batch.shape), "adapt() yielded a batch with incompatible shape. "
                                                        f"Expected {self._build_input_shape}, got "
                                                        f"{tuple(batch.shape)}.")
            if total_mean is None:
                # float32 whatever the compute dtype, as Keras's `ops.zeros` (floatx).
                total_mean = torch.zeros(self._mean_and_var_shape, dtype=torch.float32, device=batch.device)
                total_var = torch.zeros(self._mean_and_var_shape, dtype=torch.float32, device=batch.device)
            batch_mean, batch_var = _mean_and_variance(batch, self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_total_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = ((total_var + (total_mean - new_total_mean) ** 2) * existing_weight
                         + (batch_var + (batch_mean - new_total_mean) ** 2) * batch_weight)
            total_mean = new_total_mean
        return total_mean, total_var

    def _check_adapt_shape(self, shape, message):
        built_shape = self._build_input_shape
        if len(shape) != len(built_shape) or any(shape[d] != built_shape[d] for d in self._keep_axis):
            raise ValueError(f"Normalization layer '{self.name}' was built with input_shape={built_shape}, "
                             f"but {message}")

    def call(self, inputs):
        dtype = self._compute_torch_dtype
        mean, variance = self.mean, self.variance
        if self.input_mean is None:
            mean = mean.reshape(self._broadcast_shape)
            variance = variance.reshape(self._broadcast_shape)
        if mean.dtype != dtype:
            mean, variance = mean.to(dtype), variance.to(dtype)
        inputs = inputs.to(dtype)
        std = torch.clamp_min(torch.sqrt(variance), _EPSILON)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "invert": self.invert,
            "mean": _to_list(self.input_mean),
            "variance": _to_list(self.input_variance),
        })
        return config


def _to_list(value):
    """`np.array(value).tolist()`, as Keras writes `mean` and `variance` (None stays None)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.array(value).tolist()
