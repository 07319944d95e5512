"""`CategoryEncoding`: integer features to one-hot, multi-hot or count vectors of a known vocabulary size."""

import numbers

import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer

_SMALL_INTEGERS = (torch.bool, torch.uint8, torch.int8, torch.int16)


def encoded_shape(input_shape, output_mode, depth):
    """The shape `encode_categorical` gives inputs of `input_shape` (Keras's eager behaviour): a scalar is
    one sample; `one_hot` appends the depth axis (replacing a last axis of size 1); `multi_hot` and
    `count` reduce axis 1 of inputs of rank >= 2 (axis 0 of rank-1 inputs) and append the depth axis."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        shape = (1,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            shape = shape[:-1]
        return shape + (depth,)
    if len(shape) == 1:
        return (depth,)
    return (shape[0],) + shape[2:] + (depth,)


def list_to_tensor(inputs):
    """Python (nested) lists of numbers as one tensor, as Keras's `convert_to_tensor` makes them; a list
    of tensors is stacked."""
    if any(isinstance(x, torch.Tensor) for x in inputs):
        return torch.stack([x if isinstance(x, torch.Tensor) else backend.convert_to_tensor(x) for x in inputs])
    return backend.convert_to_tensor(inputs)


def _one_hot(indices, depth, dtype, layer_name):
    """Keras's torch `one_hot`: indices truncated to integers; negative ones give a row of zeros; one
    `>= depth` is an error."""
    indices = indices.long()
    try:
        encoded = F.one_hot(torch.clamp(indices, min=0), depth)
    except RuntimeError:  # on CPU; CUDA reports out-of-range indices with a device-side assert
        raise ValueError(
            f"Layer '{layer_name}' received indices outside [0, {depth}): every input value must be "
            f"smaller than the number of tokens ({depth}). Received: values in [{int(indices.min())}, "
            f"{int(indices.max())}]"
        ) from None
    encoded = encoded * (indices >= 0).unsqueeze(-1)
    return encoded.to(dtype)


def encode_categorical(inputs, output_mode, depth, dtype, layer_name, count_weights=None):
    """Keras's `numerical_utils.encode_categorical_inputs` on the torch backend (dense outputs).

    Args:
        inputs: Integer (or truncated floating) indices.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"` or `"count"`.
        depth: The number of classes, the size of the last output axis.
        dtype: The torch dtype of the outputs (of `count` outputs: the dtype of `count_weights` if given).
        layer_name: Named in error messages.
        count_weights: Optional per-value weights summed in `count` mode, broadcastable to `inputs`.
    """
    if output_mode == "int":
        return inputs.to(dtype)
    if inputs.dim() == 0:
        inputs = inputs.unsqueeze(-1)
    reduction_axis = 1 if inputs.dim() > 1 else 0
    if output_mode == "multi_hot":
        return torch.amax(_one_hot(inputs.to(torch.int32), depth, dtype, layer_name), dim=reduction_axis)
    if output_mode == "one_hot":
        if inputs.dim() > 1 and inputs.shape[-1] == 1:
            inputs = inputs.reshape(inputs.shape[:-1])
        return _one_hot(inputs, depth, dtype, layer_name)
    if count_weights is not None:
        dtype = count_weights.dtype
    encoded = _one_hot(inputs, depth, dtype, layer_name)
    if count_weights is not None:
        weights = count_weights.unsqueeze(-1)
        try:
            broadcast = torch.broadcast_shapes(tuple(weights.shape), tuple(encoded.shape))
        except RuntimeError:
            broadcast = None
        if broadcast != tuple(encoded.shape):
            raise ValueError(
                f"Layer '{layer_name}': `count_weights` must have the shape of the inputs (or broadcast "
                f"to it). Received: count_weights.shape={tuple(count_weights.shape)} for inputs.shape="
                f"{tuple(inputs.shape)}"
            )
        encoded = encoded * weights
    sum_dtype = torch.int32 if encoded.dtype in _SMALL_INTEGERS else encoded.dtype
    return torch.sum(encoded, dim=reduction_axis).to(sum_dtype)


@keras_export("keras.layers.CategoryEncoding")
class CategoryEncoding(Layer):
    """A preprocessing layer which encodes integer features.

    It condenses integer inputs into a categorical encoding when the total number of tokens is known in
    advance. Only dense outputs are supported (as on Keras's torch backend).

    Args:
        num_tokens: The total number of tokens the layer supports. Input values must lie in
            `0 <= value < num_tokens`: larger values are an error; negative values (as in Keras's torch
            backend) encode to zeros.
        output_mode: `"one_hot"`, `"multi_hot"` or `"count"`; `"binary"` is an old name of
            `"multi_hot"`. Defaults to `"multi_hot"`.
            - `"one_hot"`: encodes each element into an array of `num_tokens` size with a 1 at the
                element index. If the last dimension is size 1, encodes on that dimension, otherwise
                appends a new dimension.
            - `"multi_hot"`: encodes each sample into a single array of `num_tokens` size with a 1 for
                each token present in the sample. The sample dimension is axis 1 (axis 0 of 1-D inputs),
                the last axis of the usual `(batch, sample_length)` inputs.
            - `"count"`: like `"multi_hot"`, but counts how often each token appears in the sample.
        sparse: Must be `False`: torch tensors here are dense.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A tensor of integer inputs, usually 1-D or 2-D. (For higher ranks, `multi_hot` and
            `count` reduce axis 1, as Keras's call does, whatever Keras's `compute_output_shape` says.)
        count_weights: A tensor of the shape of `inputs` with the weight of each value, summed in
            `"count"` mode; not allowed in the other modes.

    Output shape:
        `one_hot`: `inputs.shape + (num_tokens,)` (a last axis of size 1 replaced; a scalar gives
        `(1, num_tokens)`). `multi_hot` and `count`: `(batch_size, num_tokens)` for `(batch_size, n)`
        inputs, `(num_tokens,)` for 1-D or scalar inputs. The dtype is the layer's variable dtype
        (`float32` by default), or that of `count_weights` (the compute dtype) when given.
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                "Unknown arg for output_mode: expected one of 'one_hot', 'multi_hot' or 'count'. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not known "
                "beforehand, use the IntegerLookup layer instead."
            )
        if not isinstance(num_tokens, numbers.Integral) or isinstance(num_tokens, bool):
            raise ValueError(f"`num_tokens` must be an integer. Received: num_tokens={num_tokens!r}")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError(
                "`sparse=True` is not supported: torchkeras's CategoryEncoding returns dense torch "
                "tensors (Keras's torch backend does not support sparse outputs either). Received: "
                "sparse=True"
            )
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        # Indices are never cast to a floating compute dtype (float16 would round large ones).
        self.autocast = False

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], (list, tuple)):  # one input: a list of values, not of inputs
            args = (list_to_tensor(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. Received "
                    f"`count_weights={count_weights}`."
                )
            count_weights = backend.convert_to_tensor(count_weights, dtype=self.compute_dtype)
            count_weights = count_weights.to(inputs.device)
        return encode_categorical(inputs, self.output_mode, self.num_tokens,
                                  backend.to_torch_dtype(self.dtype), self.name, count_weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        from torchkeras.graph.keras_tensor import KerasTensor

        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. Received "
                             f"`count_weights={count_weights}`.")
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config
