"""`GroupNormalization`: normalise each example over groups of channels."""

import torch.nn.functional as F

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization._common import (check_axis, check_epsilon, check_output_shape_axes,
                                                     stats_dtype)


@keras_export("keras.layers.GroupNormalization")
class GroupNormalization(Layer):
    """Group normalization: the channels along `axis` are split into `groups` contiguous groups, and
    each example is normalized over each group (and every non-batch axis), then scaled by `gamma` and
    shifted by `beta` per channel. `groups=1` is layer normalization over all features, `groups=-1`
    (one group per channel) instance normalization.

    Args:
        groups: Positive integer dividing the number of channels, or `-1`.
        axis: Integer, the channels axis.
        epsilon: Small positive float added to the variance.
        center, scale: Whether to use `beta` / `gamma`.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint,
        gamma_constraint: As in `LayerNormalization`.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer (or `-1` "
                f"for instance normalization). Received: groups={groups}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.autocast = False
        self.groups = groups
        self.axis = check_axis("GroupNormalization", axis, allow_list=False)
        check_epsilon("GroupNormalization", epsilon)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        if self.scale:
            self._declare_weight("gamma")
        else:
            self.gamma = None
        if self.center:
            self._declare_weight("beta")
        else:
            self.beta = None
        self._channel_axis = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if self.axis >= rank or self.axis < -rank or self.axis % rank == 0:
            raise ValueError(
                f"Invalid axis for GroupNormalization layer '{self.name}': axis {self.axis} must be a "
                f"non-batch axis of the inputs of shape {input_shape}. Received: axis={self.axis}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                f"received an input with shape {input_shape}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"GroupNormalization: `groups` cannot be more than the number of channels ({dim}). "
                f"Received: groups={self.groups}"
            )
        if dim % self.groups != 0:
            raise ValueError(
                # Keras's own message says it the wrong way round; the channels must divide into the groups.
                f"GroupNormalization: the number of channels ({dim}) must be a multiple of `groups`. "
                f"Received: groups={self.groups}"
            )
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(
                shape=(dim,), name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(dim,), name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, autocast=False,
            )
        self._channel_axis = self.axis % rank

    def call(self, inputs):
        original_dtype = inputs.dtype
        dtype = stats_dtype(inputs.dtype)
        x = inputs.to(dtype) if inputs.dtype != dtype else inputs
        gamma = self.gamma.to(dtype) if self.gamma is not None else None
        beta = self.beta.to(dtype) if self.beta is not None else None
        channel = self._channel_axis
        # Keras splits the channel axis into (groups, channels // groups): torch's group_norm grouping.
        xv = x if channel == 1 else x.movedim(channel, 1)
        outputs = F.group_norm(xv, self.groups, gamma, beta, self.epsilon)
        outputs = outputs if channel == 1 else outputs.movedim(1, channel)
        return outputs.to(original_dtype).to(self._compute_torch_dtype)

    def compute_output_shape(self, input_shape):
        return check_output_shape_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config
