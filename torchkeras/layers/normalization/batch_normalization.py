"""`BatchNormalization`: normalise with batch statistics in training, moving statistics in inference."""

import torch
import torch.nn.functional as F

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization._common import check_output_shape_axes, stats_dtype

_KERAS_EPSILON = 1e-7  # `keras.backend.epsilon()`, used by Keras's masked moments


@keras_export("keras.layers.BatchNormalization")
class BatchNormalization(Layer):
    """Layer that normalizes its inputs, as Keras's `BatchNormalization`.

    In training (`training=True`) the output is `gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`
    with the statistics of the current batch, and the moving statistics are updated as
    `moving = moving * momentum + batch_statistic * (1 - momentum)`, using the *biased* batch variance
    (Keras's rule, not torch's). In inference the moving statistics are used instead. A frozen layer
    (`trainable=False`) always runs in inference mode, as in Keras 3.

    Args:
        axis: Integer, the axis that is normalized (typically the features axis); negative counts from
            the end. `axis=1` after a `channels_first` convolution.
        momentum: Momentum for the moving average, in `[0, 1]`.
        epsilon: Small positive float added to the variance.
        center: Whether to add the offset `beta`.
        scale: Whether to multiply by `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
            Initializers of the four weights.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Optional constraints.
        renorm: Whether to use Batch Renormalization (adds `moving_stddev`, `renorm_mean` and
            `renorm_stddev` weights).
        renorm_clipping: Dict with optional keys `"rmax"`, `"rmin"`, `"dmax"`, used with `renorm`.
        renorm_momentum: Momentum of the renorm statistics.
        synchronized: If `True`, the batch statistics are all-reduced across the processes of the
            default `torch.distributed` group when one is initialized (synchronized batch norm); without
            one it has no effect.

    Call arguments:
        inputs: Input tensor of any rank.
        training: Whether to normalize with batch statistics (and update the moving ones).
        mask: Optional boolean tensor of rank `inputs.ndim - 1`; masked-out positions are left out of the
            batch statistics in training.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not hasattr(axis, "__index__"):
            raise TypeError(
                f"Argument `axis` of BatchNormalization must be an integer (Keras 3 normalizes a single "
                f"axis). Received: axis={axis!r}"
            )
        self.axis = int(axis)
        self.synchronized = bool(synchronized)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(
                "Invalid value for argument `momentum` of BatchNormalization. Expected a float in "
                f"[0, 1]. Received: momentum={momentum!r}"
            )
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(
                "Invalid value for argument `epsilon` of BatchNormalization. Expected a positive float. "
                f"Received: epsilon={epsilon!r}"
            )
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

        self.renorm = renorm
        if renorm:
            renorm_clipping = renorm_clipping or {}
            keys = ["rmax", "rmin", "dmax"]
            if set(renorm_clipping) - set(keys):
                raise ValueError(
                    f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
                    f"Supported values: {keys}."
                )
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in keys)
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    "rmax should be greater than rmin in the `renorm_clipping` argument. "
                    f"Received: rmax={rmax}, rmin={rmin}."
                )
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={dmax}."
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum

        if self.scale:
            self._declare_weight("gamma")
        else:
            self.gamma = None
        if self.center:
            self._declare_weight("beta")
        else:
            self.beta = None
        self._declare_weight("moving_mean", trainable=False)
        self._declare_weight("moving_variance", trainable=False)
        if self.renorm:
            for name in ("moving_stddev", "renorm_mean", "renorm_stddev"):
                self._declare_weight(name, trainable=False)
        self._channel_axis = None
        self._reduction_axes = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if self.axis >= rank or self.axis < -rank:
            raise ValueError(
                f"Invalid axis for BatchNormalization layer '{self.name}': axis {self.axis} is out of "
                f"bounds for inputs of rank {rank} (shape {input_shape}). Received: axis={self.axis}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of the inputs to BatchNormalization layer '{self.name}' must have a "
                f"known size. Received: input_shape={input_shape}"
            )
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape, name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint, trainable=True,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape, name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint, trainable=True,
                autocast=False,
            )
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer, trainable=False,
                                           autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        if self.renorm:
            variance_initializer = self.moving_variance_initializer
            mean_initializer = self.moving_mean_initializer

            def moving_stddev_initializer(shape, dtype=None):
                return torch.sqrt(_clone_initializer(variance_initializer)(shape, dtype=dtype))

            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev",
                                                 initializer=moving_stddev_initializer, trainable=False,
                                                 autocast=False)
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer=_clone_initializer(mean_initializer),
                                               trainable=False, autocast=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev",
                                                 initializer=moving_stddev_initializer, trainable=False,
                                                 autocast=False)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        self._channel_axis = self.axis % rank
        self._reduction_axes = [i for i in range(rank) if i != self._channel_axis]

    def call(self, inputs, training=None, mask=None):
        if mask is not None and mask.dim() != inputs.dim() - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        compute_dtype = inputs.dtype
        x = inputs
        dtype = stats_dtype(x.dtype)
        if x.dtype != dtype:
            x = x.to(dtype)  # BN overflows easily in half precision: compute in float32, as Keras
        gamma = self.gamma.to(dtype) if self.gamma is not None else None
        beta = self.beta.to(dtype) if self.beta is not None else None
        channel = self._channel_axis
        rank = x.dim()

        if training and self._trainable:
            simple = not self.renorm and mask is None and rank >= 2 and not self._synchronize()
            if simple:
                # torch's fused kernel normalizes with the biased batch statistics (exactly Keras's
                # output) and hands back the mean and 1/sqrt(var + eps) for the moving update.
                xv = x if channel == 1 else x.movedim(channel, 1)
                out, mean, invstd = torch.native_batch_norm(xv, gamma, beta, None, None, True, 0.0,
                                                            self.epsilon)
                with torch.no_grad():
                    variance = invstd.double().pow(-2).sub(self.epsilon).clamp_min(0.0)
                    self._update_moving(self.moving_mean, mean, self.momentum)
                    self._update_moving(self.moving_variance, variance, self.momentum)
                out = out if channel == 1 else out.movedim(1, channel)
                return out.to(compute_dtype)
            mean, variance = self._moments(x, mask)
            if self.renorm:
                r, d = self._renorm_correction(mean, variance, dtype)
                if gamma is not None:
                    gamma, beta_from_d = r * gamma, d * gamma
                else:
                    gamma, beta_from_d = r, d
                beta = beta_from_d if beta is None else beta_from_d + beta
                self._update_renorm_statistics(mean, variance)
            else:
                with torch.no_grad():
                    self._update_moving(self.moving_mean, mean, self.momentum)
                    self._update_moving(self.moving_variance, variance, self.momentum)
            return _normalize(x, mean, variance, gamma, beta, self.epsilon, channel).to(compute_dtype)

        mean = self.moving_mean.to(dtype)
        variance = self.moving_variance.to(dtype)
        if rank >= 2:
            xv = x if channel == 1 else x.movedim(channel, 1)
            out = F.batch_norm(xv, mean, variance, gamma, beta, False, 0.0, self.epsilon)
            out = out if channel == 1 else out.movedim(1, channel)
            return out.to(compute_dtype)
        return _normalize(x, mean, variance, gamma, beta, self.epsilon, channel).to(compute_dtype)

    # ------------------------------------------------------------------ statistics

    def _synchronize(self):
        if not self.synchronized:
            return False
        distributed = torch.distributed
        return distributed.is_available() and distributed.is_initialized() and distributed.get_world_size() > 1

    def _moments(self, x, mask):
        """Biased mean and variance over every axis but the channel axis (masked as Keras)."""
        axes = self._reduction_axes
        if mask is None:
            if self._synchronize():
                return self._synchronized_moments(x, None)
            if not axes:
                return x, torch.zeros_like(x)
            variance, mean = torch.var_mean(x, dim=axes, correction=0)
            return mean, variance
        weights = mask.unsqueeze(-1).expand(x.shape).to(torch.bool)
        if self._synchronize():
            return self._synchronized_moments(x, weights)
        masked = torch.where(weights, x, torch.zeros((), dtype=x.dtype, device=x.device))
        count = weights.to(x.dtype).sum(dim=axes, keepdim=True)
        mean = masked.sum(dim=axes, keepdim=True) / (count + _KERAS_EPSILON)
        difference = torch.where(weights, x - mean, torch.zeros((), dtype=x.dtype, device=x.device))
        variance = difference.square().sum(dim=axes, keepdim=True) / (count + _KERAS_EPSILON)
        return mean.reshape(-1), variance.reshape(-1)

    def _synchronized_moments(self, x, weights):
        """Global batch statistics: sums, sums of squares and counts all-reduced over the process group."""
        axes = self._reduction_axes
        if weights is None:
            weights = torch.ones_like(x, dtype=torch.bool)
        w = weights.to(x.dtype)
        stats = torch.stack([(x * w).sum(dim=axes), (x * x * w).sum(dim=axes), w.sum(dim=axes)])
        stats = _all_reduce_sum(stats)
        count = stats[2] + _KERAS_EPSILON
        mean = stats[0] / count
        variance = (stats[1] / count - mean.square()).clamp_min(0.0)
        return mean, variance

    @staticmethod
    def _update_moving(variable, value, momentum):
        """`variable = variable * momentum + value * (1 - momentum)`, in place (Keras's formula)."""
        value = value.to(variable.dtype)
        variable.copy_(variable * momentum + value * (1.0 - momentum))

    def _renorm_correction(self, mean, variance, dtype):
        with torch.no_grad():
            stddev = torch.sqrt(variance + self.epsilon)
            renorm_mean = self.renorm_mean.to(mean.dtype)
            renorm_stddev = torch.clamp_min(self.renorm_stddev.to(mean.dtype), self.epsilon ** 0.5)
            r = stddev / renorm_stddev
            d = (mean - renorm_mean) / renorm_stddev
            clipping = self.renorm_clipping or {}
            if clipping.get("rmin") is not None:
                r = torch.clamp_min(r, clipping["rmin"])
            if clipping.get("rmax") is not None:
                r = torch.clamp_max(r, clipping["rmax"])
            if clipping.get("dmax") is not None:
                d = torch.clamp(d, -clipping["dmax"], clipping["dmax"])
        return r.to(dtype), d.to(dtype)

    def _update_renorm_statistics(self, mean, variance):
        with torch.no_grad():
            stddev = torch.sqrt(variance + self.epsilon)
            self._update_moving(self.renorm_mean, mean, self.renorm_momentum)
            self._update_moving(self.renorm_stddev, stddev, self.renorm_momentum)
            self._update_moving(self.moving_mean, mean, self.momentum)
            self._update_moving(self.moving_stddev, stddev, self.momentum)
            new_stddev = self.moving_stddev
            self.moving_variance.copy_(torch.relu(new_stddev * new_stddev - self.epsilon))

    # ------------------------------------------------------------------ shapes and config

    def compute_output_shape(self, input_shape):
        return check_output_shape_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return config


def _normalize(x, mean, variance, gamma, beta, epsilon, channel):
    """Keras's `ops.batch_normalization`: `(x - mean) * (rsqrt(variance + eps) * gamma) + beta`."""
    shape = [1] * x.dim()
    if x.dim():
        shape[channel] = -1
    multiplier = torch.rsqrt(variance + epsilon)
    if gamma is not None:
        multiplier = multiplier * gamma
    out = (x - mean.reshape(shape)) * multiplier.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


def _all_reduce_sum(tensor):
    distributed = torch.distributed
    if hasattr(distributed, "nn") and hasattr(distributed.nn, "all_reduce"):
        return distributed.nn.all_reduce(tensor)  # differentiable: gradients flow to every replica
    tensor = tensor.clone()
    distributed.all_reduce(tensor)
    return tensor


def _clone_initializer(initializer):
    """A fresh copy of a configurable initializer (so that seeded ones draw new values)."""
    if hasattr(initializer, "get_config") and hasattr(type(initializer), "from_config"):
        return type(initializer).from_config(initializer.get_config())
    return initializer
