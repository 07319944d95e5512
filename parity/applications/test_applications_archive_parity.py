"""`keras.applications` models as `.keras` archives, both ways, with real Keras.

For every application family that Keras's torch backend builds: Keras builds the model at a small input
(`weights=None`: random kernels; biases, normalization statistics and scales moved off their initial
values so that none is trivial), saves `k.keras`; torchkeras loads it, the model config (every layer's,
nested models' too) equals Keras's as JSON, predictions on a fixed batch agree within DESIGN.md's
whole-model bound. Then torchkeras moves its weights again, saves `t.keras`, Keras loads it: each layer's
config and the model config equal exactly (types included), predictions agree again.

Measured on CPU: every case within 1e-5 of Keras (most within 3e-6). Heavier members of the families
(ResNet101/152, DenseNet169/201, EfficientNetB1-B7, EfficientNetV2B1-S/M/L, ConvNeXt Small-XLarge, VGG19,
NASNetLarge) load too but are left out for time; where their logits grow large (EfficientNetV2L, NASNetLarge)
the difference grows with them, and Keras float32 is as far from a float64 Keras run as torchkeras is.
"""

import functools

import keras
import numpy as np
import pytest

import torchkeras
from parity.harness import MODEL_ATOL, assert_close, available_devices
from parity.saving.archive_helpers import (assert_configs_equal, assert_layer_configs_equal, jsonable,
                                           keras_predict, load_keras_archive, perturb_weights,
                                           save_torchkeras_archive, torchkeras_predict)

A = keras.applications
BATCH = 4


def _top(**kwargs):
    """A classifier head with few classes, returning logits (a stricter check than softmax)."""
    return dict(include_top=True, classes=5, classifier_activation=None, **kwargs)


def _small_convnext_with_stochastic_depth():
    # Keras's ConvNeXt constructors all pass drop_path_rate=0; its builder is the only way Keras makes
    # StochasticDepth layers (rates 0 .. 0.5 over the blocks, the first block using `Activation`).
    from keras.src.applications.convnext import ConvNeXt

    return ConvNeXt(depths=[2, 1, 1, 1], projection_dims=[8, 16, 16, 24], drop_path_rate=0.5,
                    name="convnext_stochastic", weights=None, input_shape=(32, 32, 3),
                    **_top())


def _small_nasnet(skip_reduction):
    # NASNetLarge and NASNetMobile are this builder with 4032 / 1056 penultimate filters, 6 / 4 blocks,
    # 96 / 32 stem filters and skip_reduction True / False: the same cells, here narrow and one block
    # deep. NASNetLarge itself (85M weights) costs about a minute here; at full width its logits reach
    # ~150, where float32 rounding alone (Keras's and torchkeras's alike, measured against a float64
    # Keras run) is ~2e-4, above the absolute bound.
    from keras.src.applications.nasnet import NASNet

    return NASNet(input_shape=(32, 32, 3), penultimate_filters=96, num_blocks=1, stem_block_filters=8,
                  skip_reduction=skip_reduction, weights=None, default_size=32,
                  name=f"nasnet_skip_reduction_{skip_reduction}".lower(), **_top())


# name -> (builder, pixel inputs in [0, 255] for models that preprocess them, else standard normal)
CASES = {
    "MobileNet": (functools.partial(A.MobileNet, weights=None, input_shape=(32, 32, 3), **_top()), False),
    "MobileNetV2": (functools.partial(A.MobileNetV2, weights=None, input_shape=(32, 32, 3),
                                      include_top=False, pooling="max"), False),
    "MobileNetV3Small": (functools.partial(A.MobileNetV3Small, weights=None, input_shape=(32, 32, 3),
                                           **_top()), True),
    "MobileNetV3Large": (functools.partial(A.MobileNetV3Large, weights=None, input_shape=(32, 32, 3),
                                           include_top=False, pooling="avg"), True),
    "ResNet50": (functools.partial(A.ResNet50, weights=None, input_shape=(32, 32, 3), **_top()), False),
    "ResNet50V2": (functools.partial(A.ResNet50V2, weights=None, input_shape=(32, 32, 3),
                                     include_top=False, pooling="avg"), False),
    "DenseNet121": (functools.partial(A.DenseNet121, weights=None, input_shape=(32, 32, 3), **_top()),
                    False),
    "VGG16": (functools.partial(A.VGG16, weights=None, input_shape=(32, 32, 3), include_top=False,
                                pooling="max"), False),
    "Xception": (functools.partial(A.Xception, weights=None, input_shape=(71, 71, 3), **_top()), False),
    "InceptionV3": (functools.partial(A.InceptionV3, weights=None, input_shape=(75, 75, 3), **_top()),
                    False),
    "InceptionResNetV2": (functools.partial(A.InceptionResNetV2, weights=None, input_shape=(75, 75, 3),
                                            **_top()), False),
    "EfficientNetB0": (functools.partial(A.EfficientNetB0, weights=None, input_shape=(32, 32, 3),
                                         **_top()), True),
    "EfficientNetV2B0": (functools.partial(A.EfficientNetV2B0, weights=None, input_shape=(32, 32, 3),
                                           **_top()), True),
    "ConvNeXtTiny": (functools.partial(A.ConvNeXtTiny, weights=None, input_shape=(32, 32, 3), **_top()),
                     True),
    "ConvNeXt_stochastic_depth": (_small_convnext_with_stochastic_depth, True),
    "NASNet_large_topology": (functools.partial(_small_nasnet, skip_reduction=True), False),
}

# Constructors that Keras's torch backend refuses: their test checks that Keras still refuses, then skips.
REFUSED_BY_KERAS = {
    "NASNetMobile": functools.partial(A.NASNetMobile, weights=None, input_shape=(32, 32, 3), **_top()),
}


def perturb(model, seed):
    """Moves every vector weight (biases, BatchNormalization gamma/beta/moving statistics, LayerScale,
    Normalization statistics) off its initial value; kernels keep their random initialization."""
    perturb_weights(model, seed, vectors_only=True, noise=0.1)


_ARCHIVES = {}


def keras_archive(name, tmp_path_factory):
    """Keras builds the case and saves `k.keras`, once per session: (model, path, inputs, outputs)."""
    if name not in _ARCHIVES:
        build, pixels = CASES[name]
        keras.utils.set_random_seed(0)
        model = build()
        perturb(model, seed=1)
        path = tmp_path_factory.mktemp(name) / "k.keras"
        model.save(path)
        rng = np.random.default_rng(2)
        shape = (BATCH,) + tuple(model.inputs[0].shape[1:])
        x = (rng.uniform(0, 255, shape) if pixels else rng.standard_normal(shape)).astype(np.float32)
        _ARCHIVES[name] = model, path, x, keras_predict(model, x)
    return _ARCHIVES[name]


def max_difference(expected, received):
    return max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
               for a, b in zip(expected, received))


@pytest.mark.parametrize("name", list(REFUSED_BY_KERAS))
def test_application_refused_by_keras_on_torch(name):
    with pytest.raises(ValueError, match="not available with the torch backend") as error:
        REFUSED_BY_KERAS[name]()
    # Its cells are covered by NASNet_large_topology; when Keras builds it, move it to CASES.
    pytest.skip(f"Keras's torch backend refuses {name}: {error.value}")


@pytest.mark.parametrize("name", list(CASES))
def test_application_archive_both_ways(name, device, tmp_path, tmp_path_factory):
    keras_model, keras_path, x, keras_outputs = keras_archive(name, tmp_path_factory)
    if device == available_devices()[-1]:
        del _ARCHIVES[name]  # the last device's test: free the model (live models slow every gc pass)
    expected = keras_outputs

    # Keras's archive -> torchkeras. The model config holds every layer's config (nested models'
    # too); compared as JSON, since Keras's freshly built model has tuples where its archive has lists.
    # (The exact, typed comparison is the torchkeras -> Keras one below, against Keras's loaded model.)
    model = load_keras_archive(keras_path)
    assert isinstance(model, torchkeras.Model) and not isinstance(model, keras.Model), type(model)
    assert_configs_equal(jsonable(keras_model.get_config()), jsonable(model.get_config()),
                         f"{name} (Keras -> torchkeras, as JSON)")
    received = torchkeras_predict(model, x, device)
    print(f"{name} [{device}]: Keras -> torchkeras max |diff| {max_difference(expected, received):.2e} "
          f"(outputs up to {max(float(np.max(np.abs(v))) for v in expected):.2e})")
    assert_close(expected, received, MODEL_ATOL, 0, f"{name}: Keras archive -> torchkeras")

    # torchkeras's archive (weights moved again, so the check cannot pass by accident) -> Keras.
    perturb(model, seed=3)
    model.to(device)
    path = tmp_path / "t.keras"
    save_torchkeras_archive(model, path)
    loaded = keras.saving.load_model(path)
    assert_layer_configs_equal(model, loaded, f"{name} (torchkeras -> Keras)")
    assert_configs_equal(model.get_config(), loaded.get_config(), f"{name} (torchkeras -> Keras)")
    expected, received = keras_predict(loaded, x), torchkeras_predict(model, x, device)
    assert max_difference(keras_outputs, expected) > 1e-3, \
        f"{name}: moving the weights did not change the outputs; the check below would mean nothing"
    print(f"{name} [{device}]: torchkeras -> Keras max |diff| {max_difference(expected, received):.2e}")
    assert_close(expected, received, MODEL_ATOL, 0, f"{name}: torchkeras archive -> Keras")
