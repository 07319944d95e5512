"""The layer contract (`run_layer_test`) for the random image augmentation layers: config round trips,
lazy and explicit builds (no weights), state dicts, output shapes and dtypes, a training call with a
backward pass, and a float64 policy."""

import pytest

from torchkeras import layers
from torchkeras.testing import run_layer_test

CASES = [
    (layers.RandomFlip, {}),
    (layers.RandomFlip, {"mode": "vertical", "seed": 1}),
    (layers.RandomFlip, {"mode": "horizontal", "data_format": "channels_first"}),
    (layers.RandomRotation, {"factor": 0.2}),
    (layers.RandomRotation, {"factor": (-0.3, 0.1), "fill_mode": "constant", "fill_value": 1.0,
                             "interpolation": "nearest", "seed": 2}),
    (layers.RandomZoom, {"height_factor": 0.2}),
    (layers.RandomZoom, {"height_factor": (-0.2, 0.3), "width_factor": 0.4, "fill_mode": "wrap",
                         "data_format": "channels_first"}),
    (layers.RandomTranslation, {"height_factor": 0.2, "width_factor": (-0.1, 0.3), "fill_mode": "nearest"}),
    (layers.RandomContrast, {"factor": 0.3, "value_range": (-3, 3)}),
    (layers.RandomContrast, {"factor": (0.1, 0.5), "seed": 3, "data_format": "channels_first"}),
    (layers.RandomBrightness, {"factor": 0.2, "value_range": (-3, 3)}),
    (layers.RandomBrightness, {"factor": (-0.5, 0.1), "value_range": [1, 0], "seed": 4}),
]


@pytest.mark.parametrize("layer_cls, kwargs", CASES, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CASES)])
def test_contract(layer_cls, kwargs):
    run_layer_test(
        layer_cls, kwargs, input_shape=(2, 5, 6, 3), expected_output_shape=(2, 5, 6, 3),
        expected_output_dtype="float32", expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0, supports_masking=False,
        deterministic=True,  # inference calls are the identity
    )


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"height": 3, "width": 4, "seed": 1}, (2, 5, 6, 3), (2, 3, 4, 3)),
    ({"height": 8, "width": 4}, (2, 5, 6, 3), (2, 8, 4, 3)),  # larger than the input: crop and resize
    ({"height": 3, "width": 2, "data_format": "channels_first"}, (2, 3, 5, 6), (2, 3, 3, 2)),
])
def test_random_crop_contract(kwargs, input_shape, output_shape):
    run_layer_test(
        layers.RandomCrop, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
        expected_output_dtype="float32", expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0, supports_masking=False, deterministic=True,
    )
