"""`Dot` and `dot`: batch-wise dot product of two tensors along given axes."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.merging.base_merge import Merge, _describe

_EPSILON = 1e-7  # Keras's backend.epsilon()


def _l2_normalize(x, axis):
    """`x / max(||x||, epsilon)` computed exactly as Keras: `x * min(rsqrt(sum(x**2)), 1/epsilon)`."""
    inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.clamp_max(inv_norm, 1.0 / _EPSILON)


class _BatchDotPlan:
    """The reshapes and transposes Keras's `batch_dot` does for inputs of given ranks, found once."""

    __slots__ = ("axes", "x_unsqueeze", "y_unsqueeze", "x_perm", "y_perm", "x_squash", "y_squash",
                 "squeeze_dim")

    def __init__(self, layer, x_ndim, y_ndim):
        if x_ndim < 2 or y_ndim < 2:
            raise ValueError(
                f"Cannot do batch_dot on inputs with rank < 2 ({_describe(layer)}). "
                f"Received inputs of ranks {x_ndim} and {y_ndim}."
            )
        axes = layer.axes
        if isinstance(axes, int):
            axes = [axes % x_ndim, axes % y_ndim] if axes < 0 else [axes, axes]
        else:
            axes = [a % n if a < 0 else a for a, n in zip(axes, (x_ndim, y_ndim))]
        if 0 in axes:
            raise ValueError(
                f"Cannot perform batch_dot over axis 0 ({_describe(layer)}). If your inputs are not "
                f"batched, add a dummy batch dimension to your inputs. Received: axes={layer.axes}"
            )
        if axes[0] >= x_ndim or axes[1] >= y_ndim:
            raise ValueError(
                f"Invalid `axes` for a `Dot` layer ({_describe(layer)}): out of range for inputs of "
                f"ranks {x_ndim} and {y_ndim}. Received: axes={layer.axes}"
            )
        self.axes = tuple(axes)
        a0, a1 = axes
        self.x_unsqueeze = x_ndim == 2
        self.y_unsqueeze = y_ndim == 2
        if self.x_unsqueeze:
            a0 += 1
        x_rank, y_rank = max(x_ndim, 3), max(y_ndim, 3)
        self.x_perm = None
        if a0 != x_rank - 1:  # bring x's reduced axis last
            pattern = list(range(x_rank))
            for i in range(a0, x_rank - 1):
                pattern[i] = pattern[i + 1]
            pattern[-1] = a0
            self.x_perm = tuple(pattern)
        self.y_perm = None
        if a1 != 1:  # bring y's reduced axis to position 1
            pattern = list(range(y_rank))
            for i in range(a1, 1, -1):
                pattern[i] = pattern[i - 1]
            pattern[1] = a1
            self.y_perm = tuple(pattern)
        self.x_squash = x_rank > 3
        self.y_squash = y_rank > 3
        self.squeeze_dim = 1 if x_ndim == 2 else (-1 if y_ndim == 2 else None)

    def __call__(self, x, y):
        if self.x_unsqueeze:
            x = x.unsqueeze(1)
        if self.y_unsqueeze:
            y = y.unsqueeze(2)
        if self.x_perm is not None:
            x = x.permute(self.x_perm)
        if self.y_perm is not None:
            y = y.permute(self.y_perm)
        if self.x_squash:
            x_mid_dims = tuple(x.shape[1:-1])
            x = x.reshape(x.shape[0], -1, x.shape[-1])
        if self.y_squash:
            y_trail_dims = tuple(y.shape[2:])
            y = y.reshape(y.shape[0], y.shape[1], -1)
        result = torch.matmul(x, y)
        if self.x_squash or self.y_squash:
            output_shape = tuple(result.shape)
            if self.x_squash:
                output_shape = output_shape[:1] + x_mid_dims + output_shape[-1:]
            if self.y_squash:
                output_shape = output_shape[:-1] + y_trail_dims
            result = result.reshape(output_shape)
        if self.squeeze_dim is not None:
            result = result.squeeze(self.squeeze_dim)
        return result


@keras_export("keras.layers.Dot")
class Dot(Merge):
    """Computes the dot product between samples in two tensors.

    E.g. for a list of two tensors `a` and `b` of shape `(batch_size, n)`, the output is a tensor of
    shape `(batch_size, 1)` where each entry `i` is the dot product of `a[i]` and `b[i]`. Higher ranks
    follow Keras's `batch_dot`: the reduced axes are removed and the remaining axes of `a` come before
    those of `b` (the batch axis once).

    Args:
        axes: Integer or tuple of two integers, the axis (of each input) along which to take the dot
            product. Negative values count from the end of each input's shape.
        normalize: Whether to L2-normalize the samples along the dot product axis first. If `True`,
            the output is the cosine proximity between the two samples.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of two tensors, each of rank >= 2, with equal sizes along the dot axes.

    Output shape:
        `a.shape` without `axes[0]` followed by `b.shape` without the batch axis and `axes[1]`;
        `(batch_size, 1)` when that leaves a single axis.

    Example:

    >>> a = torch.tensor([[3.0, 4.0]])
    >>> b = torch.tensor([[4.0, 3.0]])
    >>> torchkeras.layers.Dot(axes=1)([a, b])
    tensor([[24.]])
    >>> torchkeras.layers.Dot(axes=1, normalize=True)([a, b])
    tensor([[0.9600]])
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    "Invalid type for argument `axes`: it should be a list or an int. "
                    f"Received: axes={axes}"
                )
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes}"
                )
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True
        self._reshape_required = False
        self._plans = {}

    def _normalized_axes(self, rank1, rank2):
        if isinstance(self.axes, int):
            return [self.axes % rank1, self.axes % rank2] if self.axes < 0 else [self.axes] * 2
        return [a % r if a < 0 else a for a, r in zip(self.axes, (rank1, rank2))]

    def _check_two(self, input_shape):
        if (not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2
                or not isinstance(input_shape[0], (tuple, list))):
            raise ValueError(
                f"A `Dot` layer should be called on a list of 2 inputs ({_describe(self)}). "
                f"Received: input_shape={input_shape}"
            )

    def build(self, input_shape):
        # Shape validation, as in Keras; the batch_dot plan for these ranks is made once here.
        self._check_two(input_shape)
        shape1, shape2 = input_shape
        if shape1 is None or shape2 is None:
            return
        plan = self._plan(len(shape1), len(shape2))
        axes = plan.axes
        d1, d2 = shape1[axes[0]], shape2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"Incompatible input shapes for a `Dot` layer ({_describe(self)}): axis values {d1} "
                f"(at axis {axes[0]}) != {d2} (at axis {axes[1]}). Full input shapes: "
                f"{tuple(shape1)}, {tuple(shape2)}"
            )
        b1, b2 = shape1[0], shape2[0]
        if b1 is not None and b2 is not None and b1 != b2:
            raise ValueError(
                f"Cannot do batch_dot on inputs with different batch sizes ({_describe(self)}). "
                f"Received inputs with shapes {tuple(shape1)} and {tuple(shape2)}."
            )

    def _plan(self, x_ndim, y_ndim):
        plan = self._plans.get((x_ndim, y_ndim))
        if plan is None:
            plan = self._plans[(x_ndim, y_ndim)] = _BatchDotPlan(self, x_ndim, y_ndim)
        return plan

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"A `Dot` layer should be called on exactly 2 inputs ({_describe(self)}). "
                f"Received: {type(inputs).__name__} of "
                f"{len(inputs) if isinstance(inputs, (list, tuple)) else 1} input(s)"
            )
        x1, x2 = inputs
        plan = self._plan(x1.ndim, x2.ndim)
        if self.normalize:
            x1 = _l2_normalize(x1, plan.axes[0])
            x2 = _l2_normalize(x2, plan.axes[1])
        return plan(x1, x2)

    def _merge_function(self, inputs, masks=None):
        return self.call(inputs)

    def compute_output_shape(self, input_shape):
        self._check_two(input_shape)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = self._normalized_axes(len(shape1), len(shape2))
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def compute_mask(self, inputs, previous_mask):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


@keras_export("keras.layers.dot")
def dot(inputs, axes=-1, **kwargs):
    """Functional interface to the `Dot` layer: `Dot(axes=axes, **kwargs)(inputs)`.

    Args:
        inputs: A list of two input tensors.
        axes: Integer or tuple of two integers, the axes of the dot product. Defaults to `-1`.
        normalize: Whether to L2-normalize the samples along the dot axes first (cosine proximity).
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the batch-wise dot product of the inputs.
    """
    return Dot(axes=axes, **kwargs)(inputs)
