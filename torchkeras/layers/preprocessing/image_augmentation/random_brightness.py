"""`RandomBrightness`: adds a random offset to every pixel of an image, in training."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import (
    BaseImageAugmentationLayer,
    check_value_range,
)


@keras_export("keras.layers.RandomBrightness")
class RandomBrightness(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly adjusts brightness during training.

    In training, each image gets an offset `delta * (high - low)` with `delta` drawn uniformly in
    `[factor[0], factor[1]]`, added to every pixel; the result is clipped to `value_range = (low, high)`.
    Outputs keep the input's dtype (integer images get an integer offset, truncated toward zero as
    Keras casts it). At inference the layer returns its input unchanged (floating inputs cast to the
    compute dtype, integer ones kept), as Keras does.

    Args:
        factor: A number in `[-1, 1]` or a pair `(lower, upper)`: `delta = -1` makes the image black,
            `delta = 1` fully white. A single number `f` gives `(-f, f)`.
        value_range: The `(low, high)` range of the input values, `(0, 255)` by default; kept sorted.
        seed: Optional integer: the layer then draws from its own `torch.Generator` (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.
        **kwargs: Base layer keyword arguments, such as `name`, `dtype` and `data_format`.

    Call arguments:
        inputs: Image tensor, 3D (unbatched) or 4D (batched), of any numeric dtype.
        training: Whether to adjust the brightness (training) or return the input (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)`.

    Output shape:
        Same as input.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self._set_seed(seed)
        self.value_range = sorted(check_value_range(self._what, value_range))

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"rgb_delta": (batch, 1, 1, 1) or (1, 1, 1)}`, float32, in input units (zeros at inference)."""
        images = self._images_of(data)
        if images.dim() == 3:
            delta_shape = (1, 1, 1)
        elif images.dim() == 4:
            delta_shape = (images.shape[0], 1, 1, 1)
        else:
            raise ValueError(
                f"{self._what}: expected the input image to be rank 3 or 4. "
                f"Received inputs.shape={tuple(images.shape)}"
            )
        if not training:
            return {"rgb_delta": torch.zeros(delta_shape, device=images.device)}
        rgb_delta = self._uniform(delta_shape, self.factor[0], self.factor[1], images.device,
                                  self._generator(images.device, seed))
        return {"rgb_delta": rgb_delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        rgb_delta = self._to_tensor(transformation["rgb_delta"], images)
        low, high = self.value_range
        if images.is_floating_point():
            # Keras adds in place, into the caller's tensor; here the input is left alone.
            return torch.clamp(images + rgb_delta.to(images.dtype), low, high)
        # Integers: Keras adds in the image dtype, so a uint8 sum wraps around before the clip; the sum is
        # taken in int64 here and clipped, then cast back (equal to Keras's wherever Keras doesn't wrap).
        total = images.to(torch.int64) + rgb_delta.to(torch.int64)
        return torch.clamp(total, low, high).to(images.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
