"""`RandomCrop`: crops images to a target size at a random location in training; at inference, takes the
largest centered window of the target aspect ratio, resized to the target size."""

import numbers
import random

import torch
import torch.nn.functional as F

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import BaseImageAugmentationLayer


def _check_size(what, value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(
            f"{what}: invalid value received for argument `{name}`. Expected a positive integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


@keras_export("keras.layers.RandomCrop")
class RandomCrop(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly crops images during training.

    In training, when the input is larger than `(height, width)` on both axes, the layer crops a window
    of that size at a random location, the same for every image of the batch. Otherwise (training on an
    input not larger on both axes) it does what Keras 3.15 does: it takes `(height, width)` pixels (fewer
    where the input ends) from the corner of the largest centered window with the target aspect ratio,
    and resizes them to `(height, width)` when they are fewer.

    At inference it returns the largest centered window of the target aspect ratio, resized (bilinearly)
    to `(height, width)`: Keras's documented behaviour, `keras.preprocessing.image.smart_resize`. Keras
    3.15's own layer skips the crop at inference and returns its input unchanged, contrary to its
    documentation and its `compute_output_shape` (keras-team/keras#21868); torchkeras does not copy that,
    so a model's inference output has the shape its summary shows.

    Outputs are in the compute dtype (float32 by default).

    Args:
        height: Integer, the height of the output.
        width: Integer, the width of the output.
        seed: Optional integer: the layer then draws from its own `torch.Generator` (reproducible);
            without one, from torch's global RNG. As in Keras, a layer built without a seed writes a random
            integer in its config (`seed`), so a layer revived from the config is seeded.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Image tensor, 3D (unbatched) or 4D (batched), of any range and numeric dtype.
        training: Whether to crop at random (training) or at the center (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` (channels first with
        `data_format="channels_first"`).

    Output shape:
        `(..., height, width, channels)` (or `(..., channels, height, width)`).
    """

    _USE_BASE_FACTOR = False
    _transforms_at_inference = True

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, data_format=data_format, **kwargs)
        self.height = _check_size(self._what, height, "height")
        self.width = _check_size(self._what, width, "width")
        self._set_seed(seed)
        if seed is None:
            # Keras's `make_default_seed()`; Python's RNG, so torch's stream (weight init) is untouched.
            self.seed = random.randint(1, int(1e9))
        if self.data_format == "channels_first":
            self.height_axis, self.width_axis = -2, -1
        else:
            self.height_axis, self.width_axis = -3, -2

    def get_random_transformation(self, data, training=True, seed=None):
        """`(h_start, w_start)`: int32 scalar tensors drawn in training, Python ints (the corner of the
        largest centered window with the target aspect ratio) otherwise, as Keras's."""
        images = self._images_of(data)
        self._is_batched(images)  # a clear error for other ranks
        input_height, input_width = images.shape[self.height_axis], images.shape[self.width_axis]
        if training and input_height > self.height and input_width > self.width:
            generator = self._generator(images.device, seed)
            h_start = self._uniform((), 0, float(input_height - self.height + 1), images.device, generator)
            w_start = self._uniform((), 0, float(input_width - self.width + 1), images.device, generator)
            return h_start.to(torch.int32), w_start.to(torch.int32)
        crop_height, crop_width = self._center_window(input_height, input_width)
        return int(float(input_height - crop_height) / 2), int(float(input_width - crop_width) / 2)

    def _center_window(self, input_height, input_width):
        """The size of the largest window with the target aspect ratio (Keras's arithmetic)."""
        crop_height = int(float(input_width * self.height) / self.width)
        crop_height = max(min(input_height, crop_height), 1)
        crop_width = int(float(input_height * self.width) / self.height)
        crop_width = max(min(input_width, crop_width), 1)
        return crop_height, crop_width

    def transform_images(self, images, transformation, training=True):
        """Crops at `transformation` (the center's when None) and resizes to `(height, width)` where the
        window differs. In training the window is `(height, width)` from the offsets (Keras's
        `transform_images`); at inference, the largest window of the target aspect ratio there
        (`smart_resize`)."""
        images = self._cast_to_compute_dtype(images)
        if transformation is None:
            transformation = self.get_random_transformation(images, training=False)
        h_start, w_start = (int(v) for v in transformation)
        if training:
            crop_height, crop_width = self.height, self.width
        else:
            crop_height, crop_width = self._center_window(images.shape[self.height_axis],
                                                          images.shape[self.width_axis])
        index = [slice(None)] * images.dim()
        index[self.height_axis] = slice(h_start, h_start + crop_height)
        index[self.width_axis] = slice(w_start, w_start + crop_width)
        images = images[tuple(index)]
        if images.shape[self.height_axis] != self.height or images.shape[self.width_axis] != self.width:
            images = self._resize(images)
        return images

    def _resize(self, images):
        """Keras's `ops.image.resize(images, (height, width))` on the torch backend: bilinear, no
        antialiasing, computed in float32 (or float64)."""
        dtype = images.dtype
        unbatched = images.dim() == 3
        if unbatched:
            images = images.unsqueeze(0)
        if dtype not in (torch.float32, torch.float64):
            images = images.to(torch.float32)
        if self.data_format == "channels_last":
            images = images.permute(0, 3, 1, 2)
        resized = F.interpolate(images, size=(self.height, self.width), mode="bilinear", align_corners=False,
                                antialias=False)
        if self.data_format == "channels_last":
            resized = resized.permute(0, 2, 3, 1)
        if unbatched:
            resized = resized.squeeze(0)
        return resized.to(dtype)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        output_shape[self.height_axis] = self.height
        output_shape[self.width_axis] = self.width
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed,
                       "data_format": self.data_format})
        return config
