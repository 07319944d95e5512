"""`RandomTranslation`: shifts images by random offsets, in training."""

import torch

from torchkeras.api_export import keras_export
from torchkeras.layers.preprocessing.image_augmentation import affine
from torchkeras.layers.preprocessing.image_augmentation.base_augmentation import (
    BaseImageAugmentationLayer,
    check_choice,
    check_fill_value,
    parse_factor_pair,
)


@keras_export("keras.layers.RandomTranslation")
class RandomTranslation(BaseImageAugmentationLayer):
    """A preprocessing layer which randomly translates images during training.

    In training, each image is shifted by `dy * height` rows and `dx * width` columns, `dy` and `dx`
    drawn uniformly from the height and width ranges (positive: down and right), points outside the
    input filled according to `fill_mode`. At inference the layer returns its input, cast to the compute
    dtype.

    Args:
        height_factor: A float, fraction of the height, or a pair `(lower, upper)`, in `[-1, 1]`.
            `height_factor=(-0.2, 0.3)` shifts by -20% to +30% of the height; a single value `f` gives
            `(-f, f)`.
        width_factor: The same for the width.
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
        training: Whether to translate (training) or return the input (inference, the default).

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` (channels first with
        `data_format="channels_first"`).

    Output shape:
        Same as input.
    """

    _USE_BASE_FACTOR = False
    _FACTOR_VALIDATION_ERROR = (
        "the `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) "
        "in the range [-1.0, 1.0]. "
    )
    _SUPPORTED_FILL_MODE = affine.FILL_MODES
    _SUPPORTED_INTERPOLATION = affine.INTERPOLATIONS

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._set_factor(height_factor, "height_factor")
        self.width_factor = width_factor
        self.width_lower, self.width_upper = self._set_factor(width_factor, "width_factor")
        what = self._what
        self.fill_mode = check_choice(what, "fill_mode", fill_mode, self._SUPPORTED_FILL_MODE)
        self.interpolation = check_choice(what, "interpolation", interpolation, self._SUPPORTED_INTERPOLATION)
        self.fill_value = check_fill_value(what, fill_value)
        self._set_seed(seed)

    def _set_factor(self, factor, factor_name):
        return parse_factor_pair(self._what, factor, factor_name, self._FACTOR_VALIDATION_ERROR,
                                 lambda number: -1.0 <= number <= 1.0)

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"translations": (batch, 2) float32 pixel shifts (x, y), "input_shape"}` ((1, 2) for a
        single image), as Keras's."""
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(images.shape)
        batch_size = shape[0] if len(shape) == 4 else 1
        height, width = self._image_size(shape)
        generator = self._generator(images.device, seed)
        height_translate = self._uniform((batch_size, 1), self.height_lower, self.height_upper, images.device,
                                         generator) * height
        width_translate = self._uniform((batch_size, 1), self.width_lower, self.width_upper, images.device,
                                        generator) * width
        translations = torch.cat([width_translate, height_translate], dim=1).to(torch.float32)
        return {"translations": translations, "input_shape": shape}

    def _transform_images(self, images, transformation, interpolation):
        unbatched = images.dim() == 3
        if unbatched:
            images = images.unsqueeze(0)
        translations = self._to_tensor(transformation["translations"], images)
        outputs = affine.affine_transform(
            images, self._get_translation_matrix(translations), interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format,
        )
        return outputs.squeeze(0) if unbatched else outputs

    @staticmethod
    def _get_translation_matrix(translations):
        """The `(n, 8)` transforms shifting by `translations[:, 0]` columns and `translations[:, 1]` rows."""
        count = translations.shape[0]
        ones = torch.ones((count, 1), dtype=torch.float32, device=translations.device)
        zeros = torch.zeros((count, 1), dtype=torch.float32, device=translations.device)
        return torch.cat([ones, zeros, -translations[:, 0:1], zeros, ones, -translations[:, 1:], zeros, zeros],
                         dim=1)

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
