"""`PReLU`: parametric ReLU with a learned slope `alpha` for negative inputs."""

import torch.nn.functional as F

from torchkeras import constraints, initializers, regularizers
from torchkeras.api_export import keras_export
from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer


@keras_export("keras.layers.PReLU")
class PReLU(Layer):
    """Parametric Rectified Linear Unit activation layer.

    Formula:

    ```
    f(x) = alpha * x  for x < 0
    f(x) = x          for x >= 0
    ```

    where `alpha` is a learned array with the same shape as `x` without the batch axis, except along
    `shared_axes`, where it has size 1.

    Args:
        alpha_initializer: Initializer for the weights. Defaults to `"Zeros"`.
        alpha_regularizer: Regularizer for the weights.
        alpha_constraint: Constraint for the weights.
        shared_axes: The axes (1-based, the batch axis being 0) along which `alpha` is shared. For
            example, for `(batch, height, width, channels)` feature maps, `shared_axes=[1, 2]` gives
            one `alpha` per channel.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        Arbitrary.

    Output shape:
        Same shape as the input.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)
        for axis in self.shared_axes or []:
            if isinstance(axis, bool) or not isinstance(axis, int):
                raise ValueError(
                    "Invalid value for argument `shared_axes` of PReLU layer "
                    f"'{self.name}'. Expected integers. Received: shared_axes={shared_axes}"
                )
        self._declare_weight("alpha")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        param_shape = list(input_shape[1:])
        if self.shared_axes is not None:
            for i in self.shared_axes:
                if not -len(input_shape) < i < len(input_shape) or i == 0:
                    raise ValueError(
                        f"Invalid value for argument `shared_axes` of PReLU layer '{self.name}': "
                        f"axis {i} is out of range (or the batch axis) for inputs of rank "
                        f"{len(input_shape)}. Received: shared_axes={self.shared_axes}, "
                        f"input_shape={input_shape}"
                    )
                param_shape[i - 1] = 1
        for dim in param_shape:
            if dim is None:
                raise ValueError(
                    f"PReLU layer '{self.name}' needs every non-shared axis of its input to have a known "
                    f"size. Received: input_shape={input_shape}, shared_axes={self.shared_axes}"
                )
        self.alpha = self.add_weight(
            shape=param_shape, name="alpha", initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )
        axes = {}
        if self.shared_axes:
            for i in range(1, len(input_shape)):
                if i not in self.shared_axes:
                    axes[i] = input_shape[i]
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs):
        # Keras's relu(x) - alpha * relu(-x): same values and same gradients (also at x == 0).
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config
