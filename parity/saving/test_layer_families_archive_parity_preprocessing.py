"""`.keras` archives both ways for the deterministic preprocessing layers (Rescaling, Normalization,
Resizing, CenterCrop): see `test_layer_families_archive_parity.py` and `archive_helpers.py` for what each
case checks. The Normalization layers adapted here are adapted by real Keras on fixed data, so their
`mean` / `variance` weights in Keras's archive are Keras's own statistics."""

import keras
import numpy as np

from parity.saving import archive_helpers as H

L = keras.layers


def _adapt_data(shape, seed, scale=2.0, shift=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(np.float32)


def rescaling_normalization():
    # Rescaling with scalars and per-channel lists; Normalization adapted (per channel, per position, one
    # scalar) and given, inverted too. Values stay near unit scale so that the fit stays tame.
    x = keras.Input((6, 6, 3), name="x")
    h = L.Rescaling(2.0, offset=0.5, name="rescale")(x)
    h = L.Rescaling([0.5, 1.0, 1.5], offset=[0.1, 0.2, 0.3], name="rescale_per_channel")(h)
    adapted = L.Normalization(axis=-1, name="norm_adapted")
    adapted.adapt(_adapt_data((16, 6, 6, 3), seed=1))
    h = adapted(h)
    h = L.Normalization(mean=[0.1, -0.2, 0.3], variance=[1.0, 2.0, 4.0], name="norm_given")(h)
    per_position = L.Normalization(axis=(1, 2), name="norm_two_axes")
    per_position.adapt(_adapt_data((10, 6, 6, 3), seed=2, scale=1.5, shift=-0.5))
    h = per_position(h)
    h = L.Conv2D(4, 3, name="conv")(h)
    flat = L.Flatten(name="flatten")(h)
    scalar = L.Normalization(axis=None, invert=True, name="norm_scalar_invert")
    scalar.adapt(_adapt_data((32, 4), seed=3, scale=0.5, shift=0.5))
    out = scalar(L.Dense(4, name="dense")(flat))
    given = L.Normalization(axis=None, mean=2.0, variance=0.25, name="norm_scalar_given")(out)
    return keras.Model(x, [out, given], name="rescaling_normalization")


def resizing_center_crop():
    x = keras.Input((9, 7, 3), name="x")
    h = L.Conv2D(3, 1, name="conv")(x)  # gradients flow back through every resize during the fit
    outs = [
        L.Resizing(6, 8, name="bilinear")(h),
        L.Resizing(5, 5, interpolation="nearest", crop_to_aspect_ratio=True, name="nearest_crop")(h),
        L.Resizing(7, 4, interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=0.5,
                   name="bicubic_pad")(h),
        L.Resizing(4, 3, antialias=True, name="bilinear_antialias")(h),
        L.Resizing(3, 5, interpolation="bicubic", antialias=True, crop_to_aspect_ratio=True,
                   name="bicubic_antialias_crop")(h),
        L.CenterCrop(4, 5, name="crop")(h),
        L.CenterCrop(12, 6, name="crop_resize_fallback")(h),
    ]
    return keras.Model(x, [L.Flatten(name=f"flat_{i}")(o) for i, o in enumerate(outs)], name="resizing_center_crop")


def resizing_channels_first():
    x = keras.Input((2, 8, 6), name="x")
    kw = {"data_format": "channels_first"}
    h = L.Conv2D(2, 1, name="conv", **kw)(x)
    outs = [
        L.Resizing(5, 9, name="bilinear_cf", **kw)(h),
        L.Resizing(4, 4, interpolation="nearest", pad_to_aspect_ratio=True, name="nearest_pad_cf", **kw)(h),
        L.Resizing(3, 7, interpolation="bicubic", crop_to_aspect_ratio=True, name="bicubic_crop_cf", **kw)(h),
        L.CenterCrop(5, 3, name="crop_cf", **kw)(h),
        L.CenterCrop(9, 9, name="crop_resize_fallback_cf", **kw)(h),
    ]
    return keras.Model(x, [L.Flatten(name=f"flat_{i}")(o) for i, o in enumerate(outs)],
                       name="resizing_channels_first")


def image_pipeline_uint8():
    # A tutorial-style classifier on raw uint8 pixels: Resizing keeps uint8 (rounded), Rescaling casts.
    x = keras.Input((10, 8, 3), dtype="uint8", name="pixels")
    h = L.Resizing(6, 6, name="resize")(x)
    h = L.CenterCrop(4, 4, name="crop")(h)
    h = L.Rescaling(1.0 / 255, name="rescale")(h)
    # ConvNeXt's stem: ImageNet statistics given to the constructor.
    h = L.Normalization(mean=[0.485 * 10, 0.456 * 10, 0.406 * 10],
                        variance=[(0.229 * 10) ** 2, (0.224 * 10) ** 2, (0.225 * 10) ** 2], name="imagenet")(h)
    h = L.Flatten(name="flatten")(h)
    return keras.Model(x, L.Dense(3, activation="softmax", name="probs")(h), name="image_pipeline_uint8")


def sequential_preprocessing():
    norm = L.Normalization(name="norm")
    norm.adapt(_adapt_data((20, 4, 4, 2), seed=4))
    return keras.Sequential([
        keras.Input((8, 8, 2), name="image"),
        L.Rescaling(0.5, offset=0.25, name="rescale"),
        L.Resizing(6, 6, interpolation="bicubic", name="resize"),
        L.CenterCrop(4, 4, name="crop"),
        norm,
        L.Flatten(name="flatten"),
        L.Dense(2, name="head"),
    ], name="sequential_preprocessing")


CASES = {builder.__name__: builder for builder in [
    rescaling_normalization, resizing_center_crop, resizing_channels_first, image_pipeline_uint8,
    sequential_preprocessing,
]}

(test_keras_archive_loads_in_torchkeras_and_back, test_model_config_matches_keras_both_ways,
 _fitted) = H.make_tests(CASES)


def test_adapted_normalization_weights_come_from_keras_archive(tmp_path_factory):
    """The adapted statistics torchkeras reads are Keras's, not zeros and ones."""
    keras_model, keras_path, _ = _fitted("rescaling_normalization", tmp_path_factory)
    model = H.load_keras_archive(keras_path)
    for name in ("norm_adapted", "norm_two_axes", "norm_scalar_invert"):
        expected = keras_model.get_layer(name).get_weights()
        received = model.get_layer(name).get_weights()
        assert [w.dtype for w in received] == [w.dtype for w in expected] == ["float32", "float32", "int32"]
        for a, b in zip(expected, received):
            np.testing.assert_array_equal(b, a)
        assert not np.allclose(expected[0], 0.0) and not np.allclose(expected[1], 1.0)
