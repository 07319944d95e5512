"""`RandomRotation`: rotates images by a random angle, in training."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation import affine
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import (
    BaseImageAugmentationLayer,
    check_choice,
    check_fill_value,
)


@keras_export("keras.layers.RandomRotation")
class RandomRotation(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly rotates images during training.

    In training, each image is rotated about its center by an angle drawn uniformly in
    `[factor[0] * 360, factor[1] * 360]` degrees (positive: counter-clockwise), points outside the input
    filled according to `fill_mode`. At inference the layer returns its input, cast to the compute dtype.

    Args:
        factor: A float, fraction of a full turn, or a pair `(lower, upper)`. A single value `f` gives
            the range `[-f, f]`; `factor=(-0.2, 0.3)` rotates by `[-72, 108]` degrees. Values lie in
            `[-1, 1]`.
        fill_mode: How points outside the input are filled: `"reflect"` (default,
            `(d c b a | a b c d | d c b a)`), `"wrap"` (`(a b c d | a b c d | a b c d)`), `"constant"`
            (`(k k k k | a b c d | k k k k)`, `k = fill_value`) or `"nearest"` (`(a a a a | a b c d | d d d d)`).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: Optional integer: the layer then draws from its own `torch.Generator` (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.
        fill_value: The value outside the input when `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Image tensor, 3D (unbatched) or 4D (batched), of any range and numeric dtype.
        training: Whether to rotate (training) or return the input (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` (channels first with
        `data_format="channels_first"`).

    Output shape:
        Same as input.
    """

    _SUPPORTED_FILL_MODE = affine.FILL_MODES
    _SUPPORTED_INTERPOLATION = affine.INTERPOLATIONS

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._set_seed(seed)
        what = self._what
        self.fill_mode = check_choice(what, "fill_mode", fill_mode, self._SUPPORTED_FILL_MODE)
        self.interpolation = check_choice(what, "interpolation", interpolation, self._SUPPORTED_INTERPOLATION)
        self.fill_value = check_fill_value(what, fill_value)

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"angle": (batch,) degrees, "rotation_matrix": (batch, 8) (or (8,) for a single image),
        "image_height", "image_width", "batch_size"}`, as Keras's."""
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(images.shape)
        batch_size = shape[0] if len(shape) == 4 else 1
        image_height, image_width = self._image_size(shape)
        device = images.device
        angle = self._uniform((batch_size,), self.factor[0] * 360.0, self.factor[1] * 360.0, device,
                              self._generator(device, seed))
        zeros = torch.zeros((batch_size,), dtype=torch.float32, device=device)
        rotation_matrix = affine.compute_affine_matrix(
            center_x=0.5, center_y=0.5, angle=angle, translate_x=zeros, translate_y=zeros,
            scale=torch.ones((batch_size,), dtype=torch.float32, device=device), shear_x=zeros,
            shear_y=zeros, height=image_height, width=image_width,
        )
        if len(shape) == 3:
            rotation_matrix = rotation_matrix.squeeze(0)
        return {
            "angle": angle,
            "rotation_matrix": rotation_matrix,
            "image_height": image_height,
            "image_width": image_width,
            "batch_size": batch_size,
        }

    def _transform_images(self, images, transformation, interpolation):
        return affine.affine_transform(
            images, self._to_tensor(transformation["rotation_matrix"], images), interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "factor": self.factor,
            "data_format": self.data_format,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
        })
        return config
