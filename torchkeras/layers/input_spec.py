"""`InputSpec`: what a layer accepts (rank, sizes of given axes), checked on every call."""

from torchkeras.api_export import keras_export


@keras_export("keras.InputSpec", "keras.layers.InputSpec")
class InputSpec:
    """Specifies the rank, dtype and shape of every input to a layer.

    Args:
        dtype: Expected dtype of the input.
        shape: Expected shape, `None` entries matching anything.
        ndim: Expected rank.
        max_ndim: Largest accepted rank.
        min_ndim: Smallest accepted rank.
        axes: Dict mapping axis indices to expected sizes.
        allow_last_axis_squeeze: Whether a trailing axis of size 1 may be missing or extra.
        name: Expected name of the input (functional models).
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (ValueError, TypeError):
            raise TypeError(
                f"Argument `axes` must be a dict with integer keys. Received: axes={axes}"
            ) from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(
                    f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}"
                )

    def get_config(self):
        return {
            "dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim, "axes": self.axes,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises a `ValueError` naming the layer if `inputs` (a tensor or list of tensors) break `input_spec`."""
    if not input_spec:
        return
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if len(specs) != len(flat):
        raise ValueError(
            f"Layer '{layer_name}' expects {len(specs)} input(s), but it received {len(flat)} input "
            f"tensors. Inputs received: {flat}"
        )
    for index, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None or x is None:
            continue
        shape = tuple(x.shape)
        rank = len(shape)
        prefix = f"Input {index} of layer '{layer_name}' is incompatible with the layer:"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and rank != spec.ndim:
            raise ValueError(f"{prefix} expected ndim={spec.ndim}, found ndim={rank}. "
                             f"Full shape received: {shape}")
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(f"{prefix} expected max_ndim={spec.max_ndim}, found ndim={rank}. "
                             f"Full shape received: {shape}")
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(f"{prefix} expected min_ndim={spec.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {shape}")
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if axis >= rank or axis < -rank or shape[axis] not in (size, None):
                raise ValueError(
                    f"{prefix} expected axis {axis} of input shape to have value {size}, but received "
                    f"input with shape {shape}"
                )
        if spec.shape is not None:
            for expected, received in zip(spec.shape, shape):
                if expected is not None and received is not None and expected != received:
                    raise ValueError(f"{prefix} expected shape={spec.shape}, found shape={shape}")
