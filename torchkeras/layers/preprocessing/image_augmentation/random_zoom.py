"""`RandomZoom`: zooms images in or out by random factors, in training."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation import affine
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import (
    BaseImageAugmentationLayer,
    check_choice,
    check_fill_value,
    parse_factor_pair,
)


@keras_export("keras.layers.RandomZoom")
class RandomZoom(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly zooms images during training.

    In training, each image is zoomed about its center by a factor drawn uniformly in
    `[1 + lower, 1 + upper]` per axis (above 1: zoom out, below 1: zoom in), points outside the input
    filled according to `fill_mode`. At inference the layer returns its input, cast to the compute dtype.

    Args:
        height_factor: A float, fraction of the height, or a pair `(lower, upper)`, in `(-1, 1]`. A
            positive value zooms out, a negative one zooms in: `height_factor=(0.2, 0.3)` zooms out by
            20% to 30%, `(-0.3, -0.2)` zooms in by 20% to 30%. A single value `f` gives `(-f, f)`.
        width_factor: The same for the width, or `None` (default) to zoom both axes by the height's factor
            (keeping the aspect ratio).
        fill_mode: How points outside the input are filled: `"reflect"` (default,
            `(d c b a | a b c d | d c b a)`), `"wrap"`, `"constant"` (with `fill_value`) or `"nearest"`.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: Optional integer: the layer then draws from its own `torch.Generator` (reproducible);
            without one, from torch's global RNG. Random streams differ from Keras's.
        fill_value: The value outside the input when `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Image tensor, 3D (unbatched) or 4D (batched), of any range and numeric dtype.
        training: Whether to zoom (training) or return the input (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` (channels first with
        `data_format="channels_first"`).

    Output shape:
        Same as input.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_VALIDATION_ERROR = (
        "the `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) "
        "in the range (-1.0, 1.0]. "
    )
    _SUPPORTED_FILL_MODE = affine.FILL_MODES
    _SUPPORTED_INTERPOLATION = affine.INTERPOLATIONS

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._set_factor(height_factor, "height_factor")
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._set_factor(width_factor, "width_factor")
        what = self._what
        self.fill_mode = check_choice(what, "fill_mode", fill_mode, self._SUPPORTED_FILL_MODE)
        self.interpolation = check_choice(what, "interpolation", interpolation, self._SUPPORTED_INTERPOLATION)
        self.fill_value = check_fill_value(what, fill_value)
        self._set_seed(seed)

    def _set_factor(self, factor, factor_name):
        return parse_factor_pair(self._what, factor, factor_name, self._FACTOR_VALIDATION_ERROR,
                                 lambda number: -1.0 < number <= 1.0)

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"height_zoom": (batch, 1), "width_zoom": (batch, 1), "input_shape"}` ((1, 1) for a single
        image), as Keras's; `width_zoom` is `height_zoom` when `width_factor` is None."""
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(images.shape)
        zoom_factor_shape = (shape[0], 1) if len(shape) == 4 else (1, 1)
        generator = self._generator(images.device, seed)
        height_zoom = self._uniform(zoom_factor_shape, 1.0 + self.height_lower, 1.0 + self.height_upper,
                                    images.device, generator)
        if self.width_factor is not None:
            width_zoom = self._uniform(zoom_factor_shape, 1.0 + self.width_lower, 1.0 + self.width_upper,
                                       images.device, generator)
        else:
            width_zoom = height_zoom
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": shape}

    def _transform_images(self, images, transformation, interpolation):
        zooms = torch.cat([self._to_tensor(transformation["width_zoom"], images),
                           self._to_tensor(transformation["height_zoom"], images)], dim=1).to(torch.float32)
        unbatched = images.dim() == 3
        if unbatched:
            images = images.unsqueeze(0)
        height, width = self._image_size(images.shape)
        outputs = affine.affine_transform(
            images, self._get_zoom_matrix(zooms, height, width), interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format,
        )
        return outputs.squeeze(0) if unbatched else outputs

    @staticmethod
    def _get_zoom_matrix(zooms, image_height, image_width):
        """The `(n, 8)` transforms scaling about the image center by `zooms[:, 0]` (x) and `zooms[:, 1]`
        (y), in Keras's float32 arithmetic."""
        count = zooms.shape[0]
        # (size - 1) / 2 is exact in float32, so a Python float gives Keras's float32 product.
        x_offset = (image_width - 1.0) / 2.0 * (1.0 - zooms[:, 0:1])
        y_offset = (image_height - 1.0) / 2.0 * (1.0 - zooms[:, 1:])
        zeros = torch.zeros((count, 1), dtype=torch.float32, device=zooms.device)
        return torch.cat([zooms[:, 0:1], zeros, x_offset, zeros, zooms[:, 1:], y_offset, zeros, zeros], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update({
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
            "data_format": self.data_format,
        })
        return config
