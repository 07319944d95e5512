"""`SpectralNormalization`: a wrapper that divides a layer's kernel by its spectral norm in training."""

import torch

from torchkeras import initializers
from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.core.wrapper import Wrapper

_KERAS_EPSILON = 1e-7  # `keras.backend.epsilon()`, the bound of Keras's `normalize`


@keras_export("keras.layers.SpectralNormalization")
class SpectralNormalization(Wrapper):
    """Wraps a layer with a `kernel` (or `embeddings`) and constrains its spectral norm, as Keras.

    On every call in training mode, `power_iterations` steps of the power method (starting from the
    non-trainable `vector_u` weight, shape `(1, kernel.shape[-1])`) estimate the largest singular value
    `sigma` of the kernel reshaped to `(-1, kernel.shape[-1])`; `vector_u` and the wrapped layer's kernel
    are then overwritten with the new estimate and `kernel / sigma` (an all-zero kernel is left alone).
    The wrapped layer then runs. In inference the kernel is used as it is.

    Args:
        layer: A torchkeras layer with a `kernel` or `embeddings` weight.
        power_iterations: Positive integer, the number of power-method steps per training call.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations
        self._declare_weight("vector_u", trainable=False)
        self._kernel_attr = None
        self.kernel_shape = None

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.input_spec = InputSpec(min_ndim=1, axes={-1: tuple(input_shape)[-1]})
        for attr in ("kernel", "embeddings"):
            if isinstance(getattr(self.layer, attr, None), torch.Tensor):
                self._kernel_attr = attr
                break
        else:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
            )
        kernel = self.kernel
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]), initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=kernel.dtype,
        )

    @property
    def kernel(self):
        """The wrapped layer's kernel (or embeddings) tensor."""
        if self._kernel_attr is None:
            raise AttributeError(f"Layer '{self.name}' is not built yet: it has no kernel.")
        return getattr(self.layer, self._kernel_attr)

    def _own_weights(self):
        """Keras tracks the wrapped kernel as the wrapper's own trainable weight (`self.kernel =
        layer.kernel`), so `weights` reads `[kernel, vector_u, <the wrapped layer's others>]`."""
        own = super()._own_weights()
        if self._kernel_attr is None:
            return own
        kernel = self.kernel
        tracked = [v for v in self.layer._keras_variables if v.value is kernel]
        return tracked + own

    def call(self, inputs, training=False):
        if training:
            with torch.no_grad():
                kernel = self.kernel
                new_vector_u, new_kernel = self.normalized_weights()
                all_zero = torch.all(kernel == 0)
                # Keras's `cond(all(kernel == 0), keep, normalize)`, without data-dependent control flow.
                self.vector_u.copy_(torch.where(all_zero, self.vector_u, new_vector_u))
                kernel.copy_(torch.where(all_zero, kernel, new_kernel))
        output = self.layer(inputs)
        return output.to(inputs.dtype)

    def normalized_weights(self):
        """The power-method update: `(new vector_u, kernel / sigma)`."""
        kernel = self.kernel
        weights = kernel.reshape(-1, self.kernel_shape[-1])
        vector_u = self.vector_u
        vector_v = None
        for _ in range(self.power_iterations):
            vector_v = _normalize(torch.matmul(vector_u, weights.t()))
            vector_u = _normalize(torch.matmul(vector_v, weights))
        vector_u, vector_v = vector_u.detach(), vector_v.detach()
        sigma = torch.matmul(torch.matmul(vector_v, weights), vector_u.t())
        new_kernel = (kernel / sigma).reshape(self.kernel_shape)
        return vector_u.to(self.vector_u.dtype), new_kernel.to(kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _normalize(x):
    """Keras's `ops.normalize(x, axis=None)`: `x * min(rsqrt(sum(x**2)), 1 / epsilon)`."""
    square_sum = torch.sum(torch.square(x))
    return x * torch.clamp_max(torch.rsqrt(square_sum), 1.0 / _KERAS_EPSILON)
