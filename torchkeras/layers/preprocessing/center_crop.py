"""`CenterCrop`: crops the central window of images, resizing images smaller than the target."""

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.resizing import (check_bounding_boxes, check_image_rank, check_image_size,
                                                      image_output_shape, resize_images)


@keras_export("keras.layers.CenterCrop")
class CenterCrop(Layer):
    """A preprocessing layer which crops the central portion of images to a target size.

    The window starts at `(input_height - height) // 2` (and likewise for the width), so when the
    difference is odd the extra row or column is dropped at the bottom or right. If an image is smaller
    than the target in either dimension, it is instead resized (bilinear, as `keras.utils.smart_resize`)
    so as to return the largest centered window with the target aspect ratio. The output is in the
    compute dtype (integer images are cast), as in Keras.

    Args:
        height: Integer, the height of the output.
        width: Integer, the width of the output.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        bounding_box_format: Kept in the config, as in Keras; bounding boxes themselves are not
            supported yet.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        data: Images, or a dict with `"images"` and optionally `"labels"` (passed through) and
            `"segmentation_masks"` (cropped like the images).
        training: Ignored (the layer acts the same in training and inference); in Keras's signature.

    Input shape:
        3D (unbatched) or 4D (batched) tensor: `(..., height, width, channels)` in `"channels_last"`
        format, `(..., channels, height, width)` in `"channels_first"` format.

    Output shape:
        3D or 4D tensor: `(..., target_height, target_width, channels)`, or
        `(..., channels, target_height, target_width)` in `"channels_first"` format.
    """

    def __init__(self, height, width, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = check_image_size("CenterCrop", height, width)
        self.data_format = backend.standardize_data_format(data_format)
        self.bounding_box_format = bounding_box_format

    def _crop(self, images):
        check_image_rank(self, images)
        images = images.to(self._compute_torch_dtype)
        if self.data_format == "channels_first":
            height, width = images.shape[-2], images.shape[-1]
        else:
            height, width = images.shape[-3], images.shape[-2]
        h_diff, w_diff = height - self.height, width - self.width
        if h_diff < 0 or w_diff < 0:
            return resize_images(images, (self.height, self.width), "bilinear", crop_to_aspect_ratio=True,
                                 data_format=self.data_format)
        top, left = h_diff // 2, w_diff // 2
        if self.data_format == "channels_first":
            return images[..., top:top + self.height, left:left + self.width]
        return images[..., top:top + self.height, left:left + self.width, :]

    def call(self, data, training=True):
        # `training` is only Keras's signature (its functional configs record it): nothing depends on it.
        if isinstance(data, dict):
            check_bounding_boxes(self, data)
            outputs = dict(data)
            outputs["images"] = self._crop(data["images"])
            if "segmentation_masks" in data:
                outputs["segmentation_masks"] = self._crop(data["segmentation_masks"])
            return outputs
        return self._crop(data)

    def compute_output_shape(self, input_shape):
        return image_output_shape("CenterCrop", input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "height": self.height, "width": self.width})
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
