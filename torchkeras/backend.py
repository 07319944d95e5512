"""Dtype names and conversions shared by every module: Keras speaks strings ("float32"), torch speaks
`torch.dtype`s. Everything public in torchkeras reports Keras strings."""

import numpy as np
import torch

_FLOATX = "float32"

_TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "uint8": torch.uint8,
    "uint16": torch.uint16,
    "uint32": torch.uint32,
    "uint64": torch.uint64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_KERAS_NAMES = {v: k for k, v in _TORCH_DTYPES.items()}
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int64"}


_IMAGE_DATA_FORMAT = "channels_last"


def image_data_format():
    """The default `data_format` of image layers, `"channels_last"` unless set otherwise."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = standardize_data_format(data_format)


def standardize_data_format(data_format):
    """`"channels_last"` / `"channels_first"` from a user value; `None` takes `image_data_format()`."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in {"channels_first", "channels_last"}:
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return value


def floatx():
    """The default float dtype name, `"float32"`."""
    return _FLOATX


def standardize_dtype(dtype):
    """Returns the Keras name (`"float32"`) of a dtype given as a string, torch dtype or numpy dtype.

    `None` gives `floatx()`.
    """
    if dtype is None:
        return _FLOATX
    if isinstance(dtype, torch.dtype):
        name = _KERAS_NAMES.get(dtype)
    elif isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
        name = name if name in _TORCH_DTYPES else None
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
        name = name if name in _TORCH_DTYPES else None
    if name is None:
        raise ValueError(
            f"Invalid dtype. Expected one of {sorted(_TORCH_DTYPES)} (a string, torch.dtype or numpy "
            f"dtype). Received: dtype={dtype!r}"
        )
    return name


def to_torch_dtype(dtype):
    """Returns the `torch.dtype` for a Keras dtype name (or anything `standardize_dtype` accepts)."""
    return _TORCH_DTYPES[standardize_dtype(dtype)]


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def convert_to_tensor(x, dtype=None):
    """Converts numpy arrays, Python numbers and lists to a torch tensor; torch tensors pass through.

    Python floats and float64 numpy arrays become `floatx()` unless `dtype` says otherwise, as in Keras.
    """
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(to_torch_dtype(dtype))
    if isinstance(x, np.ndarray) and x.dtype.name == "bfloat16":  # ml_dtypes' bfloat16 (Keras's arrays)
        return torch.as_tensor(x.astype(np.float32)).to(to_torch_dtype(dtype or "bfloat16"))
    if dtype is None:
        array = np.asarray(x)
        if array.dtype == np.float64:
            dtype = _FLOATX
        elif array.dtype.kind == "f":
            dtype = array.dtype.name
        elif array.dtype.kind in "iub":
            dtype = array.dtype.name if array.dtype.kind != "u" or array.dtype.name == "uint8" else "int64"
        else:
            raise TypeError(
                f"Expected a torch tensor, numpy array or Python number. Received: {type(x).__name__} "
                f"with dtype {array.dtype}"
            )
        return torch.as_tensor(array, dtype=to_torch_dtype(dtype))
    return torch.as_tensor(np.asarray(x), dtype=to_torch_dtype(dtype))


def convert_to_numpy(tensor):
    """A copy of a torch tensor as a numpy array, as Keras's torch backend makes it: bfloat16 (which numpy
    lacks) as `ml_dtypes.bfloat16`, or float32 where ml_dtypes is not installed."""
    tensor = tensor.detach()
    if tensor.dtype == torch.bfloat16:
        array = tensor.to(device="cpu", dtype=torch.float32).numpy()
        try:
            import ml_dtypes
        except ImportError:
            return array
        return array.astype(ml_dtypes.bfloat16)
    if tensor.device.type == "cpu":
        return tensor.numpy().copy()  # `.numpy()` of a CPU tensor shares its memory
    return tensor.cpu().numpy()


def clear_session():
    """Resets Keras's automatic layer names (`dense`, `dense_1`, ...), as `keras.backend.clear_session()`."""
    from torchkeras.utils import naming

    naming.reset_uids()


def first_device(structure):
    """The device of the first tensor in `structure` (a tensor, or nested lists, tuples and dicts), or
    None when it holds no tensor."""
    if isinstance(structure, torch.Tensor):
        return structure.device
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        for item in structure:
            device = first_device(item)
            if device is not None:
                return device
    return None
