"""`Resizing`: resizes images to a fixed height and width, as `keras.ops.image.resize` on the torch backend."""

import numbers

import torch
import torch.nn.functional as F

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer

# Keras's names -> `F.interpolate` modes (keras/src/backend/torch/image.py). "nearest" is torch's
# "nearest-exact" (half-pixel centers), not torch's legacy "nearest".
_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_LANCZOS = ("lanczos3", "lanczos5")
_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def check_image_size(layer_name, height, width):
    for argument, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(
                f"Invalid value for argument `{argument}` of layer {layer_name}. Expected a positive "
                f"integer. Received: {argument}={value!r}"
            )
    return int(height), int(width)


def check_image_rank(layer, images):
    if images.dim() not in (3, 4):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects images of rank 3 (single image) or "
            f"4 (batch of images). Received: data.shape={tuple(images.shape)}"
        )


def image_output_shape(layer_name, input_shape, height, width, data_format):
    """`input_shape` with its height and width replaced (3D unbatched or 4D batched shapes)."""
    input_shape = list(input_shape)
    if len(input_shape) not in (3, 4) or any(isinstance(d, (list, tuple)) for d in input_shape):
        raise ValueError(
            f"{layer_name} expects an input shape of rank 3 (unbatched) or 4 (batched). Received: "
            f"input_shape={tuple(input_shape)}"
        )
    first = len(input_shape) - 3 + (1 if data_format == "channels_first" else 0)
    input_shape[first] = height
    input_shape[first + 1] = width
    return tuple(input_shape)


def resize_images(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
                  pad_to_aspect_ratio=False, fill_value=0.0, data_format="channels_last"):
    """`keras.ops.image.resize` of Keras's torch backend, operation for operation.

    Images of rank 3 or 4 in any dtype: other than float32/float64 they are resized in float32 and cast
    back (integers rounded first, and uint8 bicubic results clipped to [0, 255]).
    """
    squeeze = images.dim() == 3
    if squeeze:
        images = images.unsqueeze(0)
    out_dtype = images.dtype
    need_cast = out_dtype not in (torch.float32, torch.float64)
    if need_cast:
        images = images.to(torch.float32)
    channels_last = data_format == "channels_last"
    if channels_last:
        images = images.permute(0, 3, 1, 2)
    target_height, target_width = size
    height, width = images.shape[-2], images.shape[-1]

    if crop_to_aspect_ratio:
        # The largest centered window with the target aspect ratio.
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        top = int(float(height - crop_height) / 2)
        left = int(float(width - crop_width) / 2)
        images = images[:, :, top:top + crop_height, left:left + crop_width]
    elif pad_to_aspect_ratio:
        # Keras pads `start` rows (or columns) on both sides, so an odd difference leaves the padded
        # image one short of the exact aspect ratio.
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        top = int(float(pad_height - height) / 2)
        left = int(float(pad_width - width) / 2)
        batch, channels = images.shape[0], images.shape[1]
        if top > 0:
            fill = torch.full((batch, channels, top, width), fill_value, dtype=images.dtype, device=images.device)
            images = torch.cat([fill, images, fill], dim=2)
        if left > 0:
            fill = torch.full((batch, channels, height, left), fill_value, dtype=images.dtype,
                              device=images.device)
            images = torch.cat([fill, images, fill], dim=3)

    smooth = interpolation in ("bilinear", "bicubic")
    resized = F.interpolate(images, size=(target_height, target_width), mode=_INTERPOLATIONS[interpolation],
                            align_corners=False if smooth else None, antialias=bool(antialias) and smooth)
    if interpolation == "bicubic" and out_dtype == torch.uint8:
        resized = resized.clamp(min=0, max=255)
    if channels_last:
        resized = resized.permute(0, 2, 3, 1)
    if squeeze:
        resized = resized.squeeze(0)
    if need_cast:
        if out_dtype in _INTEGER_DTYPES:
            resized = torch.round(resized)
        resized = resized.to(out_dtype)
    return resized


def check_bounding_boxes(layer, data):
    if "bounding_boxes" in data:
        raise NotImplementedError(
            f"Layer '{layer.name}' ({type(layer).__name__}) got a dict with 'bounding_boxes': torchkeras "
            "does not transform bounding boxes yet. Pass images (and 'labels' / 'segmentation_masks') only."
        )
    if "images" not in data:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) got a dict without an 'images' key. Received "
            f"keys: {sorted(data)}"
        )


@keras_export("keras.layers.Resizing")
class Resizing(Layer):
    """A preprocessing layer which resizes images to a target height and width.

    It reproduces `keras.ops.image.resize` on Keras's torch backend: `F.interpolate` with half-pixel
    centers (`align_corners=False`; `"nearest"` is torch's `"nearest-exact"`). Input pixel values can be
    of any range and dtype; the output has the input's dtype (integer images are resized in float32,
    rounded and cast back; floating inputs are first cast to the compute dtype, as for any layer).

    Args:
        height: Integer, the height of the output.
        width: Integer, the width of the output.
        interpolation: `"bilinear"` (default), `"nearest"` or `"bicubic"`. (`"lanczos3"` and
            `"lanczos5"` do not exist on Keras's torch backend; torchkeras refuses them at
            construction.)
        crop_to_aspect_ratio: If `True`, resize without aspect ratio distortion: the largest centered
            window of the image with the target aspect ratio is resized.
        pad_to_aspect_ratio: If `True`, resize without aspect ratio distortion by padding the short side
            evenly with `fill_value` first.
        fill_mode: Only `"constant"` is supported (the padding of `pad_to_aspect_ratio`).
        fill_value: Float, the padding value when `pad_to_aspect_ratio=True`.
        antialias: Whether to use an antialiasing filter when downsampling (bilinear and bicubic only).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: Kept in the config, as in Keras; bounding boxes themselves are not
            supported yet.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        data: Images, or a dict with `"images"` and optionally `"labels"` (passed through) and
            `"segmentation_masks"` (resized with nearest interpolation).
        training: Ignored (the layer acts the same in training and inference); in Keras's signature.

    Input shape:
        3D (unbatched) or 4D (batched) tensor: `(..., height, width, channels)` in `"channels_last"`
        format, `(..., channels, height, width)` in `"channels_first"` format.

    Output shape:
        3D or 4D tensor: `(..., target_height, target_width, channels)`, or
        `(..., channels, target_height, target_width)` in `"channels_first"` format.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = check_image_size("Resizing", height, width)
        if interpolation in _LANCZOS:
            raise ValueError(
                "Resizing with Lanczos interpolation is not supported by the PyTorch backend. "
                f"Received: interpolation={interpolation}."
            )
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"Invalid value for argument `interpolation` of layer Resizing. Expected one of "
                f"{tuple(_INTERPOLATIONS)}. Received: interpolation={interpolation!r}"
            )
        if fill_mode != "constant":
            raise ValueError(
                "Invalid value for argument `fill_mode` of layer Resizing. Only `'constant'` is supported. "
                f"Received: fill_mode={fill_mode!r}"
            )
        if pad_to_aspect_ratio and crop_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = backend.standardize_data_format(data_format)
        self.bounding_box_format = bounding_box_format

    def _resize(self, images, interpolation):
        check_image_rank(self, images)
        return resize_images(images, (self.height, self.width), interpolation, self.antialias,
                             self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value,
                             self.data_format)

    def call(self, data, training=True):
        # `training` is only Keras's signature (its functional configs record it): nothing depends on it.
        if isinstance(data, dict):
            check_bounding_boxes(self, data)
            outputs = dict(data)
            outputs["images"] = self._resize(data["images"], self.interpolation)
            if "segmentation_masks" in data:
                outputs["segmentation_masks"] = self._resize(data["segmentation_masks"], "nearest")
            return outputs
        return self._resize(data, self.interpolation)

    def compute_output_shape(self, input_shape):
        return image_output_shape("Resizing", input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({
            "data_format": self.data_format,
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        })
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
