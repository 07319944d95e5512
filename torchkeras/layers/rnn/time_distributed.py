"""`TimeDistributed`: applies a layer to every temporal slice of an input."""

import operator

import numpy as np
import torch

from torchkeras.api_export import keras_export
from torchkeras.layers import call_context
from torchkeras.layers.core.lambda_layer import Lambda
from torchkeras.layers.input_spec import assert_input_compatibility
from torchkeras.layers.core.wrapper import Wrapper
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization.batch_normalization import BatchNormalization
from torchkeras.layers.normalization.spectral_normalization import SpectralNormalization

# Layers whose training-mode call couples the samples of a batch or changes state once per call: run
# once per timestep (as Keras does) they give other results than run once on all timesteps together.
_COUPLED_IN_TRAINING = (BatchNormalization, SpectralNormalization)

# Recorded torch operators that act element by element (with broadcasting), hence sample by sample.
_ELEMENTWISE_OPERATORS = frozenset({
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
    operator.pow, operator.neg, operator.pos, operator.abs, operator.lt, operator.le, operator.gt,
    operator.ge, operator.and_, operator.or_, operator.xor, operator.invert,
})


@keras_export("keras.layers.TimeDistributed")
class TimeDistributed(Wrapper):
    """Applies a layer to every temporal slice of an input.

    Every input must be at least 3D; axis 1 is the temporal axis. The same layer (the same weights)
    is applied to each of the `timesteps` slices `inputs[:, t]`. For a batch of 32 videos of 10
    frames of 128x128 RGB images, `TimeDistributed(Conv2D(64, 3))` on `(32, 10, 128, 128, 3)` gives
    `(32, 10, 126, 126, 64)`.

    Keras runs the wrapped layer's `call` once per timestep. torchkeras folds the timesteps into the
    batch axis (one call on `(batch * timesteps, ...)`, same result, much faster) whenever every layer
    inside is known to treat samples independently in the current mode, and otherwise steps through
    time as Keras does: in training with `BatchNormalization` (per-timestep batch statistics, one
    moving-average update per timestep), `SpectralNormalization`, a dropout whose `noise_shape`
    fixes the batch axis, or a stateful layer; and, in every mode, with `Lambda` layers, torch
    operations other than element-wise operators, and layers defined outside torchkeras, whose
    behaviour it cannot know.

    As in Keras, the wrapped layer's `call` runs directly, not its `__call__`: its own activity
    regularizer is not applied and it reads no mask from its inputs (it gets the `mask` argument
    only). Floating inputs are cast to its compute dtype (Keras would instead promote dtypes inside
    the call when the two layers' policies differ). Torch hooks registered on it do run.

    Args:
        layer: A `keras.layers.Layer` instance (a model too).

    Call arguments:
        inputs: Input tensor of shape `(batch, timesteps, ...)`.
        training: Python boolean, passed to the wrapped layer if its `call` takes it.
        mask: Optional boolean tensor of shape `(batch, timesteps, ...)`; by default the input's own
            mask. Its timestep slices are passed to the wrapped layer if its `call` takes `mask`. The
            output carries the input's mask, as in Keras.

    Input shape:
        N-D tensor `(batch, timesteps, ...)` with N >= 3.

    Output shape:
        `(batch, timesteps, ...)`, the trailing axes being those of the wrapped layer's output.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self._folds = {}  # training flag -> whether the timesteps may be folded into the batch

    def _get_child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                f"received: {_as_shape(input_shape)}"
            )
        return (input_shape[0], *input_shape[2:])

    def compute_output_shape(self, input_shape):
        child_input_shape = self._get_child_input_shape(input_shape)
        child_output_shape = self.layer.compute_output_shape(child_input_shape)
        return (child_output_shape[0], input_shape[1], *child_output_shape[1:])

    def build(self, input_shape):
        child_input_shape = self._get_child_input_shape(input_shape)
        if not self.layer.built:
            self.layer.build(child_input_shape)
            self.layer.built = True
        self._folds = {}

    def call(self, inputs, training=None, mask=None):
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(
                f"TimeDistributed layer '{self.name}' expects a single tensor of shape (batch, timesteps, "
                f"...). Received: inputs of type {type(inputs).__name__}"
            )
        if inputs.dim() < 3:
            raise ValueError(
                f"TimeDistributed layer '{self.name}' expects inputs with at least 3 dimensions "
                f"(batch, timesteps, ...). Received: inputs.shape={tuple(inputs.shape)}"
            )
        layer = self.layer
        kwargs = {}
        if layer._call_has_training_arg:
            kwargs["training"] = training
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            if not layer._call_has_mask_arg:
                mask = None
        if layer.autocast and inputs.is_floating_point() and inputs.dtype is not layer._compute_torch_dtype:
            inputs = inputs.to(layer._compute_torch_dtype)  # what the wrapped layer's own call expects
        check = layer._input_check
        context = call_context.CONTEXT
        outer_training = context.training
        context.training = training  # for the wrapped layer's sublayers (e.g. those of a model)
        try:
            if self._can_fold(bool(training)):
                batch, steps = inputs.shape[0], inputs.shape[1]
                x = inputs.flatten(0, 1)
                if check is not None and not check(x):
                    assert_input_compatibility(layer._input_spec, x, layer.name)
                if mask is not None:
                    kwargs["mask"] = mask.flatten(0, 1)
                outputs = torch.nn.Module.__call__(layer, x, **kwargs)
                return outputs.unflatten(0, (batch, steps))
            outputs = []
            for step in range(inputs.shape[1]):
                x = inputs[:, step]
                if check is not None and not check(x):
                    assert_input_compatibility(layer._input_spec, x, layer.name)
                if mask is not None:
                    kwargs["mask"] = mask[:, step]
                outputs.append(torch.nn.Module.__call__(layer, x, **kwargs))
            return torch.stack(outputs, dim=1)
        finally:
            context.training = outer_training

    def _check_mask(self, inputs, mask):
        """The mask as a tensor on the inputs' device, once its shape is checked as Keras does."""
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(np.asarray(mask), device=inputs.device)
        if mask.dim() < 2:
            raise ValueError(
                "The `mask` passed to the `TimeDistributed` layer must be at least 2D (e.g., "
                f"`(batch_size, timesteps)`), but it has {mask.dim()} dimension(s) with shape "
                f"{tuple(mask.shape)}."
            )
        if mask.shape[0] != inputs.shape[0] or mask.shape[1] != inputs.shape[1]:
            raise ValueError(
                f"The `mask` passed to the `TimeDistributed` layer has a shape {tuple(mask.shape)} that is "
                f"incompatible with the input shape {tuple(inputs.shape)}. The first two dimensions of "
                "the mask (batch size and timesteps) must match the input's first two dimensions. "
                f"Expected mask shape prefix: ({inputs.shape[0]}, {inputs.shape[1]})."
            )
        return mask

    def _can_fold(self, training):
        """Whether one call on `(batch * timesteps, ...)` gives what one call per timestep gives."""
        folds = self._folds.get(training)
        if folds is None:
            folds = all(_treats_samples_independently(layer, training)
                        for layer in self.layer._flatten_layers())
            self._folds[training] = folds
        return folds


def _treats_samples_independently(layer, training):
    """Whether `layer`'s own computation is sample by sample (its sublayers are checked separately)."""
    from torchkeras.graph.torch_op import TorchOp

    if isinstance(layer, TorchOp):
        return layer.function in _ELEMENTWISE_OPERATORS
    if not type(layer).__module__.startswith("torchkeras.") or isinstance(layer, Lambda):
        return False
    if getattr(layer, "stateful", False):
        return False
    if training:
        if isinstance(layer, _COUPLED_IN_TRAINING):
            return False
        noise_shape = getattr(layer, "noise_shape", None)
        if noise_shape is not None and noise_shape[0] is not None:
            return False
    return True


def _as_shape(shape):
    return tuple(shape) if isinstance(shape, (tuple, list, torch.Size)) else shape
