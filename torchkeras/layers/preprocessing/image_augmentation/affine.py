"""The affine image kernel of Keras's torch backend (`keras.ops.image.affine_transform`), and the affine
matrix of `BaseImagePreprocessingLayer._compute_affine_matrix`.

A transform is Keras's 8-vector `[a0, a1, a2, b0, b1, b2, c0, c1]`: output pixel `(x, y)` samples the input
at `x_in = a0 * x + a1 * y + a2`, `y_in = b0 * x + b1 * y + b2` (`x` is the column, `y` the row). Keras
computes every coordinate, interpolation weight and sum in the same order as here, so outputs agree with
real Keras to the last bit on CPU (`nearest` interpolation depends on it: a coordinate one ulp either side
of `.5` picks another pixel).

Two things differ from Keras's kernel, neither visible in the layers' outputs:
- Keras samples a 3D grid (row, column, channel) and multiplies the projective terms `c0, c1` by the
  channel index; every layer here writes `c0 = c1 = 0`, and this kernel ignores them (it samples 2D,
  one coordinate pair shared by all channels, which is also `channels`-times less work).
- Keras writes into the `transform` tensor it is given (it swaps entries in place), so a transformation
  handed to it twice gives two different results; this kernel never modifies its arguments.
"""

import math

import torch

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _mirror_index(index, size):
    half_period = size - 1  # half-wavelength of the triangular wave
    return torch.abs((index + half_period) % (2 * half_period) - half_period)


def _reflect_index(index, size):
    # `(d c b a | a b c d | d c b a)`: a mirror about the pixel edges, as Keras (and scipy) define it.
    return torch.div(_mirror_index(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")


def _fix_index(index, size, fill_mode):
    """Out-of-bounds indices mapped into `[0, size)` by `fill_mode` (constant mode clamps them; their
    values are replaced by the fill value afterwards)."""
    if fill_mode in ("constant", "nearest"):
        return torch.clamp(index, 0, size - 1)
    if fill_mode == "wrap":
        return index % size
    return _reflect_index(index, size)


def _interpolation_nodes(coordinate, interpolation):
    """`[(index, weight), ...]` per axis: one node (weight None) for nearest, two for bilinear."""
    if interpolation == "nearest":
        return [(torch.round(coordinate).to(torch.int64), None)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    lower_weight = 1 - upper_weight
    index = lower.to(torch.int64)
    return [(index, lower_weight), (index + 1, upper_weight)]


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     data_format="channels_last"):
    """Applies affine transforms to images, as `keras.ops.image.affine_transform` on the torch backend.

    Args:
        images: A 4D `(batch, ...)` or 3D (single image) tensor, in `data_format`.
        transform: A `(batch, 8)` tensor of transforms (or `(8,)` for all images), Keras's
            `[a0, a1, a2, b0, b1, b2, c0, c1]` mapping output pixels to input coordinates; `c0, c1` must
            be 0 (see the module docstring).
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"` or `"reflect"`: how points outside the input are
            filled.
        fill_value: The value outside the input when `fill_mode="constant"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The transformed images, with the shape and dtype of `images`. Coordinates and weights are
        computed in the transform's dtype; integer images are rounded before the cast back, as in Keras.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected one of {INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {FILL_MODES}. "
            f"Received: fill_mode={fill_mode!r}"
        )
    if images.dim() not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={tuple(images.shape)}"
        )
    if transform.dim() not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            "Invalid transform shape: expected (8,) (single transform) or (batch, 8) (batch of "
            f"transforms). Received input with shape: transform.shape={tuple(transform.shape)}"
        )
    unbatched = images.dim() == 3
    if unbatched:
        images = images.unsqueeze(0)
    if transform.dim() == 1:
        transform = transform.unsqueeze(0)
    channels_last = data_format == "channels_last"
    if channels_last:
        batch, height, width, channels = images.shape
    else:
        batch, channels, height, width = images.shape
    if transform.shape[0] not in (1, batch):
        raise ValueError(
            f"Expected one transform per image or a single transform. Received: {transform.shape[0]} "
            f"transforms for {batch} images."
        )

    # Input coordinates of every output pixel, in Keras's order of operations: the matrix product first
    # (row * b1 + column * b0), the offset last.
    dtype, device = transform.dtype, transform.device
    a0, a1, a2, b0, b1, b2 = (transform[:, i].reshape(-1, 1, 1) for i in range(6))
    rows = torch.arange(height, dtype=dtype, device=device).reshape(1, height, 1)
    cols = torch.arange(width, dtype=dtype, device=device).reshape(1, 1, width)
    coordinate_y = (rows * b1 + cols * b0) + b2
    coordinate_x = (rows * a1 + cols * a0) + a2

    is_integer = not (images.is_floating_point() or images.is_complex())
    if is_integer and isinstance(fill_value, float):
        fill_value = int(fill_value)
    # Sample from a (batch, pixels, channels) or (batch, channels, pixels) view; one flat index per pixel.
    if channels_last:
        flat = images.reshape(batch, height * width, channels)
    else:
        flat = images.reshape(batch, channels, height * width)

    def gather(index_y, index_x):
        index = (index_y * width + index_x).expand(batch, height, width).reshape(batch, height * width)
        if channels_last:
            return torch.gather(flat, 1, index.unsqueeze(-1).expand(batch, height * width, channels))
        return torch.gather(flat, 2, index.unsqueeze(1).expand(batch, channels, height * width))

    def per_pixel(tensor):  # (b, height, width) -> broadcastable against the gathered values
        tensor = tensor.expand(batch, height, width).reshape(batch, height * width)
        return tensor.unsqueeze(-1) if channels_last else tensor.unsqueeze(1)

    result = None
    for index_y, weight_y in _interpolation_nodes(coordinate_y, interpolation):
        for index_x, weight_x in _interpolation_nodes(coordinate_x, interpolation):
            values = gather(_fix_index(index_y, height, fill_mode), _fix_index(index_x, width, fill_mode))
            if fill_mode == "constant":
                valid = (index_y >= 0) & (index_y < height) & (index_x >= 0) & (index_x < width)
                values = torch.where(per_pixel(valid), values, fill_value)
            if weight_y is not None:
                values = per_pixel(weight_y * weight_x) * values
            result = values if result is None else result + values
    if is_integer and result.is_floating_point():
        result = torch.round(result)
    result = result.to(images.dtype)
    if channels_last:
        result = result.reshape(batch, height, width, channels)
    else:
        result = result.reshape(batch, channels, height, width)
    return result.squeeze(0) if unbatched else result


def compute_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y,
                          height, width):
    """Keras's `_compute_affine_matrix`: the `(batch, 8)` transform rotating by `angle` degrees about the
    point `(center_x, center_y)` (fractions of the image size), then shearing, scaling and translating.

    `angle`, `translate_*`, `scale` and `shear_*` are `(batch,)` tensors (shears in degrees); the
    arithmetic is Keras's, operation for operation.
    """
    degree_to_radian = torch.tensor(math.pi / 180.0, dtype=torch.float32, device=angle.device)
    angle = angle * degree_to_radian
    shear_x = shear_x * degree_to_radian
    shear_y = shear_y * degree_to_radian
    batch = angle.shape[0]
    width = torch.tensor(width, dtype=angle.dtype, device=angle.device)
    height = torch.tensor(height, dtype=angle.dtype, device=angle.device)
    cx = center_x * (width - 1)
    cy = center_y * (height - 1)
    cos_theta = torch.cos(angle)
    sin_theta = torch.sin(angle)
    shear_x = torch.tan(shear_x)
    shear_y = torch.tan(shear_y)
    a0 = scale * (cos_theta + shear_x * sin_theta)
    a1 = scale * (-sin_theta + shear_x * cos_theta)
    a2 = translate_x + cx - cx * a0 - cy * a1
    b0 = scale * (shear_y * cos_theta + sin_theta)
    b1 = scale * (shear_y * -sin_theta + cos_theta)
    b2 = translate_y + cy - cx * b0 - cy * b1
    zeros = torch.zeros((batch, 2), dtype=torch.float32, device=angle.device)
    return torch.cat([a0[:, None], a1[:, None], a2[:, None], b0[:, None], b1[:, None], b2[:, None], zeros],
                     dim=1)
