"""Parity of the pooling layers (max/average, global, adaptive; 1D/2D/3D) with real Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import torchkeras  # noqa: E402
from parity.harness import check_layer_parity  # noqa: E402

FORMATS = ["channels_last", "channels_first"]


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _shape(spatial, data_format, batch=2, channels=3):
    spatial = tuple(spatial)
    return (batch,) + spatial + (channels,) if data_format == "channels_last" else (batch, channels) + spatial


def _symbolic(shape):
    return (None,) + tuple(shape[1:])


# (pool_size, strides, padding, spatial sizes): odd and even sizes, strides unlike the pool, padding that
# splits symmetrically and asymmetrically.
POOL_CASES = {
    1: [(2, None, "valid", (6,)), (2, None, "valid", (7,)), (3, 2, "valid", (8,)), (2, 1, "same", (5,)),
        (3, 2, "same", (4,)), (3, 2, "same", (7,)), (4, 3, "same", (9,)), (3, 1, "same", (6,)),
        (5, 2, "same", (3,)), (2, 3, "same", (8,))],
    2: [((2, 2), None, "valid", (4, 6)), ((3, 2), (2, 1), "valid", (7, 5)), ((2, 2), (1, 1), "same", (5, 4)),
        ((3, 3), (2, 2), "same", (6, 7)), ((3, 2), (2, 3), "same", (5, 8)), ((3, 3), 1, "same", (5, 5)),
        ((4, 4), 2, "same", (6, 6))],
    3: [((2, 2, 2), None, "valid", (4, 5, 6)), ((3, 2, 2), (2, 1, 2), "valid", (5, 4, 4)),
        ((2, 2, 2), 1, "same", (3, 4, 3)), ((3, 3, 3), 2, "same", (4, 5, 6)), ((3, 3, 3), 1, "same", (3, 3, 3))],
}


def _pool_params():
    for rank, cases in POOL_CASES.items():
        for mode in ["Max", "Average"]:
            for pool_size, strides, padding, spatial in cases:
                yield f"{mode}Pooling{rank}D", pool_size, strides, padding, spatial


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("class_name, pool_size, strides, padding, spatial", list(_pool_params()))
def test_pooling(device, data_format, class_name, pool_size, strides, padding, spatial):
    kwargs = {"pool_size": pool_size, "strides": strides, "padding": padding, "data_format": data_format,
              "name": "pool"}
    shape = _shape(spatial, data_format)
    check_layer_parity(class_name, kwargs, _x(shape), device=device)
    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**kwargs)
    assert keras_layer.compute_output_shape(_symbolic(shape)) == tk_layer.compute_output_shape(_symbolic(shape))


@pytest.mark.parametrize("class_name", ["MaxPooling2D", "AveragePooling2D"])
def test_pooling_default_config(class_name):
    kwargs = {"pool_size": 2} if class_name.startswith("Average") else {}
    check_layer_parity(class_name, dict(kwargs, name="pool"), _x((1, 4, 4, 2)))


@pytest.mark.parametrize("alias, name", [("MaxPool1D", "MaxPooling1D"), ("MaxPool2D", "MaxPooling2D"),
                                         ("MaxPool3D", "MaxPooling3D"), ("AvgPool1D", "AveragePooling1D"),
                                         ("AvgPool2D", "AveragePooling2D"), ("AvgPool3D", "AveragePooling3D"),
                                         ("GlobalMaxPool1D", "GlobalMaxPooling1D"),
                                         ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
                                         ("GlobalMaxPool3D", "GlobalMaxPooling3D"),
                                         ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
                                         ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
                                         ("GlobalAvgPool3D", "GlobalAveragePooling3D")])
def test_aliases_like_keras(alias, name):
    assert getattr(keras.layers, alias) is getattr(keras.layers, name)
    assert getattr(torchkeras.layers, alias) is getattr(torchkeras.layers, name)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("class_name", [f"Global{m}Pooling{r}D" for m in ["Max", "Average"] for r in (1, 2, 3)])
def test_global_pooling(device, data_format, keepdims, class_name):
    rank = int(class_name[-2])
    kwargs = {"data_format": data_format, "keepdims": keepdims, "name": "global_pool"}
    shape = _shape((5, 4, 3)[:rank], data_format)
    check_layer_parity(class_name, kwargs, _x(shape), device=device)
    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**kwargs)
    assert keras_layer.compute_output_shape(_symbolic(shape)) == tk_layer.compute_output_shape(_symbolic(shape))


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("mask_dtype", ["bool", "float32", "int32"])
def test_global_average_pooling1d_mask(device, data_format, keepdims, mask_dtype):
    x = _x(_shape((6,), data_format, batch=3))
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 1]]).astype(mask_dtype)
    check_layer_parity("GlobalAveragePooling1D", {"data_format": data_format, "keepdims": keepdims,
                                                  "name": "gap"},
                       x, device=device, call_kwargs={"mask": mask})


ADAPTIVE_CASES = {
    1: [(3, (7,)), ((4,), (10,)), (5, (5,)), (4, (3,))],
    2: [(3, (7, 5)), ((2, 3), (5, 7)), ((4, 4), (8, 8)), ((3, 1), (4, 6))],
    3: [(2, (5, 4, 3)), ((1, 2, 3), (4, 5, 7)), ((3, 3, 3), (3, 6, 9))],
}


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("class_name, output_size, spatial", [
    (f"Adaptive{mode}Pooling{rank}D", output_size, spatial)
    for rank, cases in ADAPTIVE_CASES.items() for mode in ["Average", "Max"] for output_size, spatial in cases
])
def test_adaptive_pooling(device, data_format, class_name, output_size, spatial):
    kwargs = {"output_size": output_size, "data_format": data_format, "name": "adaptive_pool"}
    shape = _shape(spatial, data_format)
    check_layer_parity(class_name, kwargs, _x(shape), device=device)
    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**kwargs)
    assert keras_layer.compute_output_shape(_symbolic(shape)) == tk_layer.compute_output_shape(_symbolic(shape))


def test_serialized_config_loads_in_torchkeras():
    for layer in [keras.layers.MaxPooling2D(3, strides=2, padding="same", name="a"),
                  keras.layers.AveragePooling1D(2, name="b"),
                  keras.layers.GlobalAveragePooling3D(keepdims=True, name="c"),
                  keras.layers.AdaptiveMaxPooling2D((2, 3), name="d")]:
        config = layer.get_config()
        tk_layer = getattr(torchkeras.layers, type(layer).__name__).from_config(config)
        assert tk_layer.get_config() == config
