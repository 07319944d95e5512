"""Merging layers and their functional forms: torchkeras vs real Keras."""

import numpy as np
import pytest
import torch

from parity.harness import LAYER_ATOL, LAYER_RTOL, assert_close, check_layer_parity, keras

import torchkeras

RNG = np.random.default_rng(0)


def data(*shapes):
    return [RNG.standard_normal(s).astype("float32") for s in shapes]


ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]

SHAPES = [
    [(3, 4), (3, 4)],
    [(2, 3, 4), (2, 3, 4)],
    [(2, 1, 4), (2, 3, 1)],  # size-1 axes broadcast
    [(2, 4), (2, 3, 4)],  # different ranks: axes inserted after the batch axis
    [(2, 3, 4), (2, 1)],
    [(2, 5, 1, 3), (2, 3)],
]


@pytest.mark.parametrize("class_name", ELEMENTWISE)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_elementwise(device, class_name, shapes):
    check_layer_parity(class_name, {"name": "merge"}, data(*shapes), device=device)


@pytest.mark.parametrize("class_name", [c for c in ELEMENTWISE if c != "Subtract"])
@pytest.mark.parametrize("shapes", [[(2, 3, 4)] * 3, [(2, 3, 4), (2, 4), (2, 1, 1)], [(3, 2)]], ids=str)
def test_elementwise_many_inputs(device, class_name, shapes):
    check_layer_parity(class_name, {"name": "merge"}, data(*shapes), device=device)


@pytest.mark.parametrize("class_name", ELEMENTWISE)
def test_compute_output_shape(class_name):
    for shapes in [[(None, 1, 4), (None, 3, 1)], [(None, 4), (None, 3, 4)], [(5, 2), (None, 2)]]:
        assert (getattr(torchkeras.layers, class_name)().compute_output_shape(shapes)
                == getattr(keras.layers, class_name)().compute_output_shape(shapes))


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(3, 2), (3, 5)]),
    (1, [(2, 3, 4), (2, 1, 4), (2, 5, 4)]),
    (-2, [(2, 3, 4), (2, 2, 4)]),
    (2, [(2, 3, 4, 5), (2, 3, 1, 5)]),
    (0, [(2, 3), (4, 3)]),
])
def test_concatenate(device, axis, shapes):
    check_layer_parity("Concatenate", {"axis": axis, "name": "concat"}, data(*shapes), device=device)
    assert (torchkeras.layers.Concatenate(axis=axis).compute_output_shape(shapes)
            == keras.layers.Concatenate(axis=axis).compute_output_shape(shapes))


@pytest.mark.parametrize("kwargs, shapes", [
    ({"axes": 1}, [(3, 4), (3, 4)]),
    ({"axes": -1}, [(3, 4), (3, 4)]),
    ({"axes": 1, "normalize": True}, [(3, 4), (3, 4)]),
    ({"axes": (2, 2)}, [(2, 3, 4), (2, 5, 4)]),
    ({"axes": (1, 2)}, [(2, 3, 4), (2, 5, 3)]),
    ({"axes": [2, 1], "normalize": True}, [(2, 3, 4), (2, 4, 5)]),
    ({"axes": (-1, -2)}, [(2, 3, 4), (2, 4, 5)]),
    ({"axes": 1}, [(2, 3, 4), (2, 3)]),
    ({"axes": (2, 1)}, [(2, 3, 4), (2, 4)]),
    ({"axes": (1, 2)}, [(2, 4), (2, 3, 4)]),
    ({"axes": (3, 1), "normalize": True}, [(2, 3, 4, 5), (2, 5, 6, 7)]),
    ({"axes": (1, 3)}, [(2, 3, 4, 5), (2, 6, 7, 3)]),
    ({"axes": 2}, [(2, 3, 4, 5), (2, 3, 4)]),
])
def test_dot(device, kwargs, shapes):
    check_layer_parity("Dot", {**kwargs, "name": "dot"}, data(*shapes), device=device)
    shapes_none = [(None,) + s[1:] for s in shapes]
    assert (torchkeras.layers.Dot(**kwargs).compute_output_shape(shapes_none)
            == keras.layers.Dot(**kwargs).compute_output_shape(shapes_none))


def test_dot_normalize_zero_vector(device):
    x = [np.zeros((2, 3), "float32"), np.ones((2, 3), "float32")]
    check_layer_parity("Dot", {"axes": 1, "normalize": True, "name": "dot"}, x, device=device)


@pytest.mark.parametrize("name, kwargs, shapes", [
    ("add", {}, [(2, 3), (2, 3), (2, 3)]),
    ("subtract", {}, [(2, 3, 4), (2, 4)]),
    ("multiply", {}, [(2, 3), (2, 3)]),
    ("average", {}, [(2, 3), (2, 1)]),
    ("maximum", {}, [(2, 3), (2, 3)]),
    ("minimum", {}, [(2, 3), (2, 3)]),
    ("concatenate", {"axis": 1}, [(2, 3, 4), (2, 2, 4)]),
    ("concatenate", {}, [(2, 3), (2, 2)]),
    ("dot", {"axes": (1, 1)}, [(2, 3, 4), (2, 3, 5)]),
    ("dot", {"axes": 1, "normalize": True}, [(2, 3), (2, 3)]),
    ("dot", {}, [(2, 3), (2, 3)]),
])
def test_functional_forms(device, name, kwargs, shapes):
    arrays = data(*shapes)
    expected = getattr(keras.layers, name)(list(arrays), **kwargs)
    received = getattr(torchkeras.layers, name)([torch.as_tensor(a).to(device) for a in arrays], **kwargs)
    assert_close([expected.detach().cpu().numpy()], [received.detach().cpu().numpy()], LAYER_ATOL,
                 LAYER_RTOL, f"layers.{name}")


def _masked(arrays, masks, device):
    out = []
    for a, m in zip(arrays, masks):
        t = torch.as_tensor(a).to(device)
        if m is not None:
            t._keras_mask = torch.as_tensor(m).to(device)
        out.append(t)
    return out


MASKS = [
    [np.array([[True, False, True], [False, False, True]]), np.array([[False, True, True], [False, True, False]])],
    [np.array([[True, False, True], [False, False, True]]), None],
    [None, np.array([[False, True, True], [False, True, False]])],
]


@pytest.mark.parametrize("class_name, kwargs", [
    ("Add", {}), ("Subtract", {}), ("Multiply", {}), ("Average", {}), ("Maximum", {}), ("Minimum", {}),
    ("Concatenate", {}), ("Concatenate", {"axis": 1}), ("Dot", {"axes": 2}),
])
@pytest.mark.parametrize("masks", MASKS, ids=["both", "first", "second"])
def test_masks(device, class_name, kwargs, masks):
    arrays = data((2, 3, 4), (2, 3, 4))
    keras_layer = getattr(keras.layers, class_name)(**kwargs)
    tk_layer = getattr(torchkeras.layers, class_name)(**kwargs)
    expected = keras_layer(_masked(arrays, masks, "cpu"))
    received = tk_layer(_masked(arrays, masks, device))
    assert_close([expected.detach().cpu().numpy()], [received.detach().cpu().numpy()], LAYER_ATOL,
                 LAYER_RTOL, f"{class_name} output with masks")
    keras_mask = getattr(expected, "_keras_mask", None)
    tk_mask = getattr(received, "_keras_mask", None)
    assert (keras_mask is None) == (tk_mask is None), f"{class_name}: mask {keras_mask} vs {tk_mask}"
    if keras_mask is not None:
        np.testing.assert_array_equal(tk_mask.cpu().numpy(), keras_mask.cpu().numpy())


@pytest.mark.parametrize("class_name, shapes", [
    ("Add", [(2, 3), (2, 4)]),
    ("Multiply", [(2, 3), (3, 3)]),
    ("Concatenate", [(2, 3, 4), (2, 5, 6)]),
    ("Dot", [(2, 3), (2, 4)]),
])
def test_both_reject_bad_shapes(class_name, shapes):
    arrays = data(*shapes)
    with pytest.raises(ValueError):
        getattr(keras.layers, class_name)(**({"axes": 1} if class_name == "Dot" else {}))(arrays)
    with pytest.raises(ValueError):
        getattr(torchkeras.layers, class_name)(**({"axes": 1} if class_name == "Dot" else {}))(arrays)
