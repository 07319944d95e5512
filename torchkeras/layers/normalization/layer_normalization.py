"""`LayerNormalization`: normalise each example over the given axes."""

import warnings

import torch
import torch.nn.functional as F

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization._common import (canonical_axes, check_axis, check_epsilon,
                                                     check_output_shape_axes, stats_dtype)


@keras_export("keras.layers.LayerNormalization")
class LayerNormalization(Layer):
    """Layer normalization: `gamma * (x - mean) / sqrt(var + epsilon) + beta` over `axis`, per example.

    Args:
        axis: Integer or list of integers, the axes to normalize (typically the features axis).
            `gamma` and `beta` have the shape of the input along these axes.
        epsilon: Small positive float added to the variance (Keras's default 1e-3).
        center: Whether to add the offset `beta`.
        scale: Whether to multiply by `gamma`.
        beta_initializer, gamma_initializer: Initializers of `beta` and `gamma`.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Optional constraints.
        rms_scaling: Deprecated in Keras (it scales by the variance, not the RMS; use
            `RMSNormalization`): if `True`, the output is `x / sqrt(var + epsilon) * gamma`, with no
            centering and no `beta`.

    Unlike Keras on the torch backend (which fails there), axes that are not the trailing ones (for
    instance `axis=1` on 4-D inputs) work, with the TensorFlow and JAX backends' semantics.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales "
                "the input by the variance, not the root mean square. To correctly use RMS "
                "Normalization, please use `keras.layers.RMSNormalization` instead."
            )
        super().__init__(**kwargs)
        self.axis = check_axis("LayerNormalization", axis)
        check_epsilon("LayerNormalization", epsilon)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.autocast = False
        if self.scale or self.rms_scaling:
            self._declare_weight("gamma")
        else:
            self.gamma = None
        if self.center and not self.rms_scaling:
            self._declare_weight("beta")
        else:
            self.beta = None
        self._axes = None
        self._trailing = False
        self._normalized_shape = None
        self._broadcast_shape = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        axes = canonical_axes(self.name, self.axis, rank)
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[dim] for dim in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        if any(d is None for d in shape):
            raise ValueError(
                f"The normalized axes of the inputs to LayerNormalization layer '{self.name}' must have "
                f"known sizes. Received: input_shape={input_shape}, axis={self.axis}"
            )
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, trainable=True,
                autocast=False,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, trainable=True,
                autocast=False,
            )
        self._axes = axes
        # gamma/beta are laid out in sorted-axis order; that is the input's order for positive axes.
        self._trailing = axes == list(range(rank - len(axes), rank)) and shape == tuple(
            input_shape[a] for a in axes)
        self._normalized_shape = tuple(input_shape[a] for a in axes)
        self._broadcast_shape = [input_shape[d] if d in axes else 1 for d in range(rank)]
        self._weight_shape = shape

    def call(self, inputs):
        original_dtype = inputs.dtype
        dtype = stats_dtype(inputs.dtype)
        x = inputs.to(dtype) if inputs.dtype != dtype else inputs
        gamma = self.gamma.to(dtype) if self.gamma is not None else None
        beta = self.beta.to(dtype) if self.beta is not None else None
        axes = self._axes
        if self.rms_scaling:
            variance = torch.var(x, dim=axes, keepdim=True, correction=0)
            outputs = x * torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * self._broadcast(gamma)
        elif self._trailing:
            outputs = F.layer_norm(x, self._normalized_shape, gamma, beta, self.epsilon)
        else:
            variance, mean = torch.var_mean(x, dim=axes, keepdim=True, correction=0)
            inv = torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                inv = inv * self._broadcast(gamma)
            res = -mean * inv
            if beta is not None:
                res = res + self._broadcast(beta)
            outputs = x * inv + res
        outputs = outputs.to(original_dtype)
        return outputs.to(self._compute_torch_dtype)

    def _broadcast(self, weight):
        if not self._trailing:
            return weight.reshape(self._broadcast_shape)
        return weight

    def compute_output_shape(self, input_shape):
        return check_output_shape_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config
