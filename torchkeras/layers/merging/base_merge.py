"""`Merge`: the shared base of the element-wise merge layers (`Add`, `Multiply`, ...).

Inputs are a list of tensors. Non-batch axes broadcast as in NumPy (right-aligned, size-1 axes stretch);
inputs of lower rank get size-1 axes inserted right after the batch axis, as Keras does. Masks of the
inputs (`tensor._keras_mask`) are combined with a logical OR when every input has one.
"""

import torch

from torchkeras.layers.layer import Layer


def _describe(layer):
    return f"layer '{layer.name}' ({type(layer).__name__})"


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


class Merge(Layer):
    """Generic merge layer for element-wise merge functions; subclasses define `_merge_function`.

    Args:
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    _creates_masks = False  # merging only combines the masks its inputs carry

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    # ------------------------------------------------------------------ to override

    def _merge_function(self, inputs, masks=None):
        """Merges a list of tensors of broadcastable shapes; `masks` is `None` or a list (entries may
        be `None`) of the inputs' masks."""
        raise NotImplementedError

    # ------------------------------------------------------------------ shapes

    def _check_list_of_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or _is_shape(input_shape) and input_shape:
            raise ValueError(
                f"A merge layer should be called on a list of inputs ({_describe(self)}). "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )
        if len(input_shape) < 1:
            raise ValueError(
                f"A merge layer should be called on a list of at least 1 input ({_describe(self)}). "
                f"Received {len(input_shape)} inputs. Full input_shape received: {input_shape}"
            )
        for shape in input_shape:
            if shape is not None and not _is_shape(shape):
                raise ValueError(
                    f"A merge layer should be called on a list of tensors ({_describe(self)}). "
                    f"Received: input_shape={input_shape}"
                )

    def _compute_elemwise_op_output_shape(self, shape1, shape2):
        """The broadcast shape of two shapes without their batch axis (right-aligned), or `None`."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        output_shape = list(shape1[: -len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1:
                output_shape.append(i)
            else:
                if i != j:
                    raise ValueError(
                        f"Inputs have incompatible shapes ({_describe(self)}). "
                        f"Received shapes {tuple(shape1)} and {tuple(shape2)}"
                    )
                output_shape.append(i)
        return tuple(output_shape)

    def _broadcast_non_batch(self, input_shape):
        output_shape = None if input_shape[0] is None else tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = self._compute_elemwise_op_output_shape(
                output_shape, None if shape is None else tuple(shape[1:]))
        return output_shape

    def build(self, input_shape):
        # Used purely for shape validation, as in Keras.
        self._check_list_of_shapes(input_shape)
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes ({_describe(self)}). "
                f"Received tensors with shapes {list(input_shape)}"
            )
        self._broadcast_non_batch(input_shape)
        # Inputs of different ranks get size-1 axes inserted after the batch axis.
        self._reshape_required = not (None not in input_shape and len(set(map(len, input_shape))) == 1)

    def compute_output_shape(self, input_shape):
        self._check_list_of_shapes(input_shape)
        output_shape = self._broadcast_non_batch(input_shape)
        if output_shape is None:
            return None
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch,) + tuple(output_shape)

    # ------------------------------------------------------------------ call

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A merge layer should be called on a list of inputs ({_describe(self)}). "
                f"Received: inputs={inputs} (not a list of tensors)"
            )

    def _expand_ranks(self, inputs, masks):
        """Inserts size-1 axes after the batch axis of lower-rank inputs (their masks are dropped, as
        Keras's reshaped copies carry none)."""
        max_ndim = max(x.ndim for x in inputs)
        expanded, kept_masks = [], []
        for index, x in enumerate(inputs):
            missing = max_ndim - x.ndim
            if missing:
                x = x.reshape(x.shape[:1] + (1,) * missing + x.shape[1:])
            expanded.append(x)
            kept_masks.append(None if masks is None or missing else masks[index])
        if masks is None or all(m is None for m in kept_masks):
            kept_masks = None
        return expanded, kept_masks

    def call(self, inputs, mask=None):
        self._check_inputs(inputs)
        if self._reshape_required:
            inputs, mask = self._expand_ranks(inputs, mask)
        return self._merge_function(inputs, mask)

    def _apply_merge_op_and_or_mask(self, op_fn, inputs, masks):
        """Merges with a binary `op_fn` (no identity element: `maximum`, `minimum`): a masked value
        never wins over an unmasked one, as in Keras."""
        output = inputs[0]
        if masks is None:
            for x in inputs[1:]:
                output = op_fn(output, x)
            return output
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = mask.unsqueeze(-1).expand(x.shape)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = torch.where(mask, x, output)
            if output_mask is not None:
                output = torch.where(output_mask, output, x)
            if mask is not None and output_mask is not None:
                output_mask = torch.logical_or(output_mask, mask)
            else:
                output_mask = None
            output = op_fn(output, x)
        return output

    # ------------------------------------------------------------------ masks

    def _check_masks(self, inputs, mask):
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list ({_describe(self)}). Received: mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list ({_describe(self)}). Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length ({_describe(self)}). "
                f"Received: inputs of length {len(inputs)}, and mask of length {len(mask)}"
            )

    def compute_mask(self, inputs, previous_mask):
        """The OR of the inputs' masks when every input has one, else `None`."""
        if previous_mask is None:
            return None
        self._check_masks(inputs, previous_mask)
        if any(m is None for m in previous_mask):
            return None
        output_mask = previous_mask[0]
        for m in previous_mask[1:]:
            output_mask = torch.logical_or(output_mask, m)
        return output_mask
