"""`RandomContrast`: scales each channel's deviation from its mean by a random factor, in training."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import (
    BaseImageAugmentationLayer,
    check_value_range,
)


@keras_export("keras.layers.RandomContrast")
class RandomContrast(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly adjusts contrast during training.

    In training, each image gets a contrast factor `c` drawn uniformly in `[1 - lower, 1 + upper]`; every
    channel's pixels `x` become `(x - mean) * c + mean` (`mean` of that channel over the image), clipped
    to `value_range`. Integer images come out as float32. At inference the layer returns its input
    unchanged (floating inputs cast to the compute dtype, integer ones kept), as Keras does.

    Args:
        factor: A number in `[0, 1]`, or a pair `(lower, upper)`. As in Keras, a single number `f` gives
            `(lower, upper) = (0, f)`: the contrast factor is drawn in `[1, 1 + f]` (it never lowers the
            contrast); pass `(f, f)` for `[1 - f, 1 + f]`.
        value_range: The `(low, high)` range of the input values, e.g. `(0, 255)` (default) or `(0, 1)`;
            outputs are clipped to it.
        seed: Optional integer: the layer then draws from its own `torch.Generator` (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.
        **kwargs: Base layer keyword arguments, such as `name`, `dtype` and `data_format`.

    Call arguments:
        inputs: Image tensor, 3D (unbatched) or 4D (batched), of any numeric dtype.
        training: Whether to adjust the contrast (training) or return the input (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` (channels first with
        `data_format="channels_first"`).

    Output shape:
        Same as input.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(self._what, value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"contrast_factor": (batch, 1, 1, 1) or (1, 1, 1)}` in the compute dtype (zeros at inference)."""
        images = self._images_of(data)
        factor_shape = self._per_image_shape(images)
        if not training:
            return {"contrast_factor": torch.zeros(factor_shape, device=images.device)}
        return {"contrast_factor": self._uniform(factor_shape, 1.0 - self.factor[0], 1.0 + self.factor[1],
                                                 images.device, self._generator(images.device, seed),
                                                 dtype=self._compute_torch_dtype)}

    def _per_image_shape(self, images):
        if images.dim() == 3:
            return (1, 1, 1)
        if images.dim() == 4:
            return (images.shape[0], 1, 1, 1)
        raise ValueError(
            f"{self._what}: expected the input image to be rank 3 or 4. "
            f"Received inputs.shape={tuple(images.shape)}"
        )

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        contrast_factor = self._to_tensor(transformation["contrast_factor"], images)
        outputs = self._adjust_contrast(images, contrast_factor)
        return torch.clamp(outputs, self.value_range[0], self.value_range[1])

    def _adjust_contrast(self, inputs, contrast_factor):
        height_axis, width_axis = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        # Keras's mean (torch backend) is taken in float32 whatever the input's dtype (float64 too), and
        # returned in the input's floating dtype (float32 for integers).
        result_dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        mean = inputs.to(torch.float32).mean(dim=height_axis, keepdim=True).to(result_dtype)
        mean = mean.to(torch.float32).mean(dim=width_axis, keepdim=True).to(result_dtype)
        return (inputs - mean) * contrast_factor + mean

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
