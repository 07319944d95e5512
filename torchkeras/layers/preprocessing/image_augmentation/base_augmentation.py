"""`BaseImageAugmentationLayer`: the shared half of Keras's random image layers (Keras 3's
`BaseImagePreprocessingLayer`), for image tensors.

Each layer splits a training call in two, as Keras does:
- `get_random_transformation(images, training, seed)` draws the random parameters (a dict of tensors with
  Keras's keys and meaning, e.g. RandomRotation's `{"angle", "rotation_matrix", ...}`);
- `transform_images(images, transformation, training)` applies them, deterministically.
Torch's random streams are not Keras's, so draws never match Keras's; the second half does, to the last bit
on CPU: given the transformation a Keras layer drew, `transform_images` returns what Keras's returns.

Randomness: without a seed, draws come from torch's global RNG (`torch.manual_seed` makes them
reproducible); with `seed=`, from the layer's own `torch.Generator` (one per device), so a seeded layer
gives the same sequence of transformations on every run. Under `torch.compile`, which cannot trace an
explicit generator, and on the meta device, draws use the global RNG. The layers hold no weights.

Bounding boxes, labels and segmentation masks (Keras's dict inputs) are not supported: the layers take
image tensors only. `bounding_box_format` is accepted and kept in the config so that archives load.
"""

import numbers

import torch

from torchkeras import backend
from torchkeras.layers.layer import Layer


class UnsupportedOptionError(ValueError, NotImplementedError):
    """An unknown `fill_mode` / `interpolation`: a `ValueError`, and also the `NotImplementedError` that
    Keras raises for it, so code written against either keeps working."""


# The checks below take `what`, the layer as error messages name it ("RandomZoom layer 'random_zoom'").


def check_choice(what, name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise UnsupportedOptionError(
            f"{what}: invalid value for argument `{name}`. Expected one of {choices}. Received: {name}={value!r}"
        )
    return value


def check_seed(what, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(
            f"{what}: invalid value received for argument `seed`. Expected None or an integer. "
            f"Received: seed={seed!r}"
        )
    return None if seed is None else int(seed)


def check_fill_value(what, fill_value):
    if not is_number(fill_value):
        raise ValueError(
            f"{what}: invalid value received for argument `fill_value`. Expected a number. "
            f"Received: fill_value={fill_value!r}"
        )
    return fill_value


def is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_value_range(what, value_range):
    """A `(low, high)` pair of numbers, as RandomBrightness checks it (RandomContrast keeps it as given)."""
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(is_number(v) for v in value_range)):
        raise ValueError(
            f"{what}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return value_range


def parse_factor_pair(what, factor, name, error_msg, in_range):
    """`height_factor` / `width_factor` of RandomZoom and RandomTranslation -> `(lower, upper)`: a number
    `f` gives `(-|f|, |f|)`, a pair is sorted; each value must satisfy `in_range`. `error_msg` is
    Keras's message, completed with what was received."""

    def check(number):
        if not is_number(number) or not in_range(number):
            raise ValueError(f"{what}: {error_msg}Received: {name}={factor}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{what}: {error_msg}Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
    elif is_number(factor):
        check(factor)
        factor = abs(factor)
        lower, upper = -factor, factor
    else:
        raise ValueError(f"{what}: {error_msg}Received: {name}={factor}")
    return lower, upper


class BaseImageAugmentationLayer(Layer):
    """Base class of the random image augmentation layers (Keras's `BaseImagePreprocessingLayer`).

    Subclasses implement `get_random_transformation` and `transform_images` (or `_transform_images`,
    which the base `transform_images` calls in training after casting to the compute dtype).

    Args:
        factor: The layer's `factor`, parsed into `self.factor = (lower, upper)` within
            `_FACTOR_BOUNDS` when `_USE_BASE_FACTOR` (a single number `f` gives
            `(max(-|f|, lower_bound), |f|)`, a pair is sorted).
        bounding_box_format: Kept in the config only (bounding boxes are not supported).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: A 4D `(batch, height, width, channels)` or 3D (single image) tensor (channels first with
            `data_format="channels_first"`), of any floating or integer dtype.
        training: Whether to apply the random transformation (default: inference, see the layer).
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)
    # Whether `call` draws a transformation at inference too (RandomCrop's center crop).
    _transforms_at_inference = False

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = backend.standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(f"{self._what}: this layer does not take a `factor` argument. Received: factor={factor}")
        self._generator_seed = None
        self._generators = {}  # device -> torch.Generator, for a seeded layer
        # No weights; unlike Dropout, Keras builds these on the first call and saves that input shape
        # (`build_config`), so they are not built at construction.

    def _set_factor(self, factor):
        low, high = self._FACTOR_BOUNDS
        error_msg = (
            f"{self._what}: the `factor` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(is_number(f) for f in factor):
                raise ValueError(error_msg)
            # Keras checks only that the interval meets the bounds, not that it lies within them.
            if factor[0] > high or factor[1] < low:
                raise ValueError(error_msg)
            lower, upper = sorted(factor)
        elif is_number(factor):
            if factor < low or factor > high:
                raise ValueError(error_msg)
            factor = abs(factor)
            lower, upper = max(-factor, low), factor
        else:
            raise ValueError(error_msg)
        self.factor = (lower, upper)

    # ------------------------------------------------------------------ randomness

    @property
    def _what(self):
        return f"{type(self).__name__} layer '{self.name}'"

    def _set_seed(self, seed):
        self.seed = check_seed(self._what, seed)
        self._generator_seed = self.seed

    def _generator(self, device, seed=None):
        """The generator a draw uses: `seed` (an int or a `torch.Generator`) when given, else the layer's
        own when it is seeded, else None (torch's global RNG)."""
        if isinstance(seed, torch.Generator):
            return seed
        device = torch.device(device)
        if torch.compiler.is_compiling() or device.type == "meta":
            return None
        if seed is not None:
            return torch.Generator(device=device).manual_seed(check_seed(self._what, seed))
        if self._generator_seed is None:
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(self._generator_seed)
            self._generators[device] = generator
        return generator

    def _uniform(self, shape, minval, maxval, device, generator, dtype=torch.float32):
        """Uniform draws in `[minval, maxval)`, computed as Keras's torch backend computes them."""
        return (maxval - minval) * torch.rand(shape, generator=generator, dtype=dtype, device=device) + minval

    # ------------------------------------------------------------------ the two halves

    def get_random_transformation(self, data, training=True, seed=None):
        """Draws the random parameters for a batch (or a single image); None at inference."""
        return None

    def _transform_images(self, images, transformation, interpolation):
        raise NotImplementedError(f"{type(self).__name__} does not implement `_transform_images`.")

    def transform_images(self, images, transformation, training=True):
        """Applies `transformation` (from `get_random_transformation`) when `training`; casts to the
        compute dtype in any case."""
        images = self._cast_to_compute_dtype(images)
        if training and transformation is not None:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_single_image(self, image, transformation, training=True):
        outputs = self.transform_images(image.unsqueeze(0), transformation, training=training)
        return outputs.squeeze(0)

    # ------------------------------------------------------------------ call

    # `training=True` is Keras's signature default, which Keras records in saved graphs
    # (`"kwargs": {"training": true}`); torchkeras's config loader drops a recorded value equal to the
    # signature default, so it must match. `Layer.__call__` always passes `training` (the argument, the
    # enclosing call's, or the module's train()/eval() mode: eval by default), so this default never
    # applies to a call through `__call__`.
    def call(self, inputs, training=True):
        batched = self._is_batched(inputs)
        if training or self._transforms_at_inference:
            transformation = self.get_random_transformation(inputs, training=training)
        else:
            transformation = None
        if batched:
            return self.transform_images(inputs, transformation, training=training)
        return self.transform_single_image(inputs, transformation, training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config

    # ------------------------------------------------------------------ helpers

    def _images_of(self, data):
        if isinstance(data, dict):
            raise ValueError(
                f"{self._what} takes image tensors only; dict inputs "
                f"(images with labels, bounding boxes or segmentation masks) are not supported in "
                f"torchkeras. Received a dict with keys {sorted(data)}."
            )
        if not isinstance(data, torch.Tensor):
            data = backend.convert_to_tensor(data)
        return data

    def _is_batched(self, images):
        images = self._images_of(images)
        if images.dim() == 3:
            return False
        if images.dim() == 4:
            return True
        raise ValueError(
            f"{self._what}: expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: data.shape={tuple(images.shape)}"
        )

    def _image_size(self, shape):
        """(height, width) of a 3D or 4D image shape in this layer's data format."""
        if self.data_format == "channels_first":
            return shape[-2], shape[-1]
        return shape[-3], shape[-2]

    def _cast_to_compute_dtype(self, images):
        dtype = self._compute_torch_dtype
        return images if images.dtype == dtype else images.to(dtype)

    @staticmethod
    def _to_tensor(value, like):
        """A transformation entry (tensor, array or number) as a tensor on the images' device."""
        if isinstance(value, torch.Tensor):
            return value if value.device == like.device else value.to(like.device)
        return torch.as_tensor(value, device=like.device)
