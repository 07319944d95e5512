"""`RandomFlip`: flips images horizontally and/or vertically at random, in training."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import (
    BaseImageAugmentationLayer,
    check_choice,
)

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


@keras_export("keras.layers.RandomFlip")
class RandomFlip(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly flips images during training.

    In training, each image is flipped with probability 1/2 according to `mode`. As in Keras,
    `"horizontal_and_vertical"` draws once per image and flips both axes together (a 180 degree turn)
    or neither. At inference the layer returns its input, cast to the compute dtype (float32 by default,
    integer images included).

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (top-bottom) or `"horizontal_and_vertical"`
            (default).
        seed: Optional integer: the layer then draws from its own `torch.Generator` (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Image tensor, 3D (unbatched) or 4D (batched), of any range and numeric dtype.
        training: Whether to flip (training) or return the input (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` (channels first with
        `data_format="channels_first"`).

    Output shape:
        Same as input.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_seed(seed)
        self.mode = check_choice(self._what, "mode", mode, MODES)

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"flips": bool tensor (batch, 1, 1, 1) or (1, 1, 1), "input_shape": the images' shape}`."""
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(images.shape)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        generator = self._generator(images.device, seed)
        flips = self._uniform(flips_shape, 0.0, 1.0, images.device, generator) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def transform_images(self, images, transformation, training=True):
        images = self._cast_to_compute_dtype(images)
        if training and transformation is not None:
            return self._flip_inputs(images, transformation)
        return images

    def _flip_inputs(self, inputs, transformation):
        flips = self._to_tensor(transformation["flips"], inputs)
        unbatched = inputs.dim() == 3
        if unbatched:
            inputs = inputs.unsqueeze(0)
        horizontal_axis, vertical_axis = (-2, -3) if self.data_format == "channels_last" else (-1, -2)
        outputs = inputs
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            outputs = torch.where(flips, torch.flip(outputs, (horizontal_axis,)), outputs)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            outputs = torch.where(flips, torch.flip(outputs, (vertical_axis,)), outputs)
        return outputs.squeeze(0) if unbatched else outputs

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode, "data_format": self.data_format})
        return config
