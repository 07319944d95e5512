"""`Concatenate` and `concatenate`: joins a list of inputs along one axis."""

import numbers

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge, _describe, _is_shape


@keras_export("keras.layers.Concatenate")
class Concatenate(Merge):
    """Concatenates a list of inputs along `axis`.

    The inputs must have the same shape except along the concatenation axis. With masks, an unmasked
    input counts as all-valid; the output mask is the concatenation of the inputs' masks (reduced over
    the last axis, as Keras does).

    Args:
        axis: Integer, the axis along which to concatenate. Defaults to `-1`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of tensors of the same rank, equal in every axis but `axis`.

    Output shape:
        The common shape, with `axis` the sum of the inputs' sizes along it.

    Example:

    >>> x = torch.arange(4.0).reshape(2, 2)
    >>> torchkeras.layers.Concatenate(axis=1)([x, 10 * x])
    tensor([[ 0.,  1.,  0., 10.],
            [ 2.,  3., 20., 30.]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(
                f"Invalid value for argument `axis` of Concatenate layer '{self.name}'. Expected an "
                f"integer. Received: axis={axis}"
            )
        self.axis = axis
        self.supports_masking = True
        self._reshape_required = False

    def _check_shapes_list(self, input_shape):
        if (not isinstance(input_shape, (list, tuple)) or not input_shape
                or not isinstance(input_shape[0], (tuple, list)) or _is_shape(input_shape)):
            raise ValueError(
                "A `Concatenate` layer should be called on a list of at least 1 input "
                f"({_describe(self)}). Received: input_shape={input_shape}"
            )

    def build(self, input_shape):
        # Used purely for shape validation, as in Keras.
        self._check_shapes_list(input_shape)
        if all(shape is None for shape in input_shape):
            return
        err_msg = (
            "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
            f"axis ({_describe(self)}, axis={self.axis}). Received: input_shape={list(input_shape)}"
        )
        reduced = []
        for shape in input_shape:
            shape = list(shape)
            if not -len(shape) <= self.axis < len(shape):
                raise ValueError(
                    f"Invalid axis {self.axis} for a `Concatenate` layer ({_describe(self)}) on inputs "
                    f"of rank {len(shape)}. Received: input_shape={list(input_shape)}"
                )
            del shape[self.axis]
            reduced.append(tuple(shape))
        if len(set(map(len, reduced))) != 1:
            raise ValueError(err_msg)
        for dims in zip(*reduced):
            if len({d for d in dims if d is not None}) > 1:
                raise ValueError(err_msg)

    def call(self, inputs, mask=None):
        self._check_inputs(inputs)
        return torch.cat(inputs, dim=self.axis)

    def _merge_function(self, inputs, masks=None):
        return torch.cat(inputs, dim=self.axis)

    def compute_output_shape(self, input_shape):
        self._check_shapes_list(input_shape)
        output_shape = list(input_shape[0])
        for shape in input_shape[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        return tuple(output_shape)

    def compute_mask(self, inputs, previous_mask):
        if previous_mask is None:
            return None
        self._check_masks(inputs, previous_mask)
        if all(m is None for m in previous_mask):
            return None
        masks = []
        for x, m in zip(inputs, previous_mask):
            if m is None:
                masks.append(torch.ones_like(x, dtype=torch.bool))  # an unmasked input is all valid
            elif m.ndim < x.ndim:
                masks.append(m.unsqueeze(-1).expand(x.shape))
            else:
                masks.append(m)
        return torch.cat(masks, dim=self.axis).any(dim=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


@keras_export("keras.layers.concatenate")
def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to the `Concatenate` layer: `Concatenate(axis=axis, **kwargs)(inputs)`.

    Args:
        inputs: A list of input tensors.
        axis: Concatenation axis. Defaults to `-1`.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the concatenation of the inputs along `axis`.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
