"""The layer of `keras.applications.inception_resnet_v2`: `CustomScaleLayer`.

Keras defines it in `keras/src/applications/inception_resnet_v2.py` and archives name it by that
module (`{"module": "keras.src.applications.inception_resnet_v2", "class_name": "CustomScaleLayer",
"registered_name": "CustomScaleLayer"}`); it is registered here under the same path.
"""

import numbers

from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer


def _broadcast(shape1, shape2):
    """NumPy broadcasting of two shapes (`None` for unknown sizes); `None` if they do not broadcast."""
    shape1, shape2 = tuple(shape1), tuple(shape2)
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    shape2 = (1,) * (len(shape1) - len(shape2)) + shape2
    out = []
    for a, b in zip(shape1, shape2):
        if a == 1:
            out.append(b)
        elif b == 1 or a == b:
            out.append(a)
        elif a is None or b is None:
            out.append(a if b is None else b)
        else:
            return None
    return tuple(out)


@keras_export("keras.src.applications.inception_resnet_v2.CustomScaleLayer")
class CustomScaleLayer(Layer):
    """Adds a scaled residual to a shortcut: `inputs[0] + inputs[1] * scale`.

    InceptionResNetV2 joins each Inception-ResNet block's shortcut and residual branches with it.

    Args:
        scale: Float, the factor applied to the residual `inputs[1]`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A list of two tensors of broadcastable shapes, `[shortcut, residual]`.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(scale, numbers.Real) or isinstance(scale, bool):
            raise TypeError(
                f"Invalid value for argument `scale` of CustomScaleLayer layer '{self.name}'. "
                f"Expected a float. Received: scale={scale!r}"
            )
        self.scale = scale

    def _check_inputs(self, inputs, what):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"CustomScaleLayer layer '{self.name}' expects a list of two {what} "
                f"([shortcut, residual]). Received: {inputs!r}"
            )

    def call(self, inputs):
        self._check_inputs(inputs, "tensors")
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape, "shapes")
        shape = _broadcast(*input_shape)
        if shape is None:
            raise ValueError(
                f"CustomScaleLayer layer '{self.name}': the shapes of its two inputs do not broadcast. "
                f"Received: input_shape={input_shape}"
            )
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config
