"""Deterministic initializers: Constant, Zeros, Ones, Identity, STFT."""

import math

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export
from torchkeras.initializers.initializer import Initializer
from torchkeras.initializers.initializer import standardize_shape


@keras_export("keras.initializers.Constant", "keras.initializers.constant")
class Constant(Initializer):
    """Initializer that generates tensors with a constant value.

    Args:
        value: A Python scalar (or 0-d array / tensor).
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = backend.to_torch_dtype(dtype)
        value = torch.as_tensor(np.asarray(self.value) if not isinstance(self.value, torch.Tensor) else self.value)
        return value.to(dtype) * torch.ones(standardize_shape(shape), dtype=dtype)

    def get_config(self):
        from torchkeras.saving import serialization

        return {"value": serialization.serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config):
        from torchkeras.saving import serialization

        if "value" not in config:
            return cls()
        return cls(serialization.deserialize_keras_object(config["value"]))


@keras_export("keras.initializers.Zeros", "keras.initializers.zeros")
class Zeros(Initializer):
    """Initializer that generates tensors initialized to 0."""

    def __call__(self, shape, dtype=None):
        return torch.zeros(standardize_shape(shape), dtype=backend.to_torch_dtype(dtype))


@keras_export("keras.initializers.Ones", "keras.initializers.ones")
class Ones(Initializer):
    """Initializer that generates tensors initialized to 1."""

    def __call__(self, shape, dtype=None):
        return torch.ones(standardize_shape(shape), dtype=backend.to_torch_dtype(dtype))


@keras_export(
    "keras.initializers.Identity",
    "keras.initializers.identity",
    "keras.initializers.IdentityInitializer",
)
class Identity(Initializer):
    """Initializer that generates the identity matrix (2D shapes only).

    Args:
        gain: Multiplicative factor to apply to the identity matrix.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = backend.to_torch_dtype(dtype)
        return (self.gain * torch.eye(*shape, dtype=dtype)).to(dtype)

    def get_config(self):
        # Keras 3.15 writes `{}` (dropping `gain`); a non-default gain is kept
        # here so that it survives a round trip (Keras accepts the key).
        return {} if self.gain == 1.0 else {"gain": self.gain}


def _general_cosine(n, coefficients, periodic):
    """A generalized cosine window of length `n` (float64), as scipy computes it."""
    if n == 1:
        return torch.ones(1, dtype=torch.float64)
    m = n + 1 if periodic else n
    fac = torch.linspace(-math.pi, math.pi, m, dtype=torch.float64)
    w = torch.zeros(m, dtype=torch.float64)
    for k, a in enumerate(coefficients):
        w += a * torch.cos(k * fac)
    return w[:n]


def _bartlett(n, periodic):
    if n == 1:
        return torch.ones(1, dtype=torch.float64)
    m = n + 1 if periodic else n
    i = torch.arange(m, dtype=torch.float64)
    w = torch.where(i <= (m - 1) / 2.0, 2.0 * i / (m - 1), 2.0 - 2.0 * i / (m - 1))
    return w[:n]


_WINDOWS = {
    "hann": lambda n, p: _general_cosine(n, (0.5, 0.5), p),
    "hamming": lambda n, p: _general_cosine(n, (0.54, 0.46), p),
    "blackman": lambda n, p: _general_cosine(n, (0.42, 0.50, 0.08), p),
    "nuttall": lambda n, p: _general_cosine(n, (0.3635819, 0.4891775, 0.1365995, 0.0106411), p),
    "blackmanharris": lambda n, p: _general_cosine(n, (0.35875, 0.48829, 0.14128, 0.01168), p),
    "bartlett": _bartlett,
    "boxcar": lambda n, p: torch.ones(n, dtype=torch.float64),
}
_WINDOW_ALIASES = {
    "hanning": "hann",
    "han": "hann",
    "hamm": "hamming",
    "ham": "hamming",
    "black": "blackman",
    "blk": "blackman",
    "nutl": "nuttall",
    "nut": "nuttall",
    "blackharr": "blackmanharris",
    "bkh": "blackmanharris",
    "bart": "bartlett",
    "brt": "bartlett",
    "box": "boxcar",
    "ones": "boxcar",
    "rect": "boxcar",
    "rectangular": "boxcar",
}


def _get_window(name, n, periodic):
    """The named window of length `n` (float64), matching `scipy.signal.get_window`."""
    key = _WINDOW_ALIASES.get(name, name)
    if key in _WINDOWS:
        return _WINDOWS[key](n, periodic)
    try:
        import scipy.signal
    except ImportError:
        scipy = None
    if scipy is not None:
        return torch.as_tensor(scipy.signal.get_window(name, n, fftbins=periodic), dtype=torch.float64)
    raise ValueError(
        f"Unknown window {name!r}: without scipy installed, expected one of "
        f"{sorted(set(_WINDOWS) | set(_WINDOW_ALIASES))}. Received: window={name!r}"
    )


@keras_export(
    "keras.initializers.STFT",
    "keras.initializers.stft",
    "keras.initializers.STFTInitializer",
)
class STFT(Initializer):
    """Initializer of Conv kernels for the Short-term Fourier Transform (STFT).

    Computes either the real or the imaginary part of the DFT kernel, for a
    kernel shape `(frame_length, 1, fft_length // 2 + 1)`.

    Args:
        side: `"real"` or `"imag"`, the side of the output the kernel
            computes. Defaults to `"real"`.
        window: Name of a window function (as in `scipy.signal.windows`;
            `"hann"`, `"hamming"`, `"blackman"`, `"bartlett"`, `"boxcar"`...
            work without scipy), array-like window values, or `None`.
        scaling: `"density"` (L2) or `"spectrum"` (L1) normalization of the
            window, or `None`.
        periodic: Boolean, whether the window is periodic. Defaults to `False`.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ["real", "imag"]:
            raise ValueError(
                f"Invalid value for argument `side`: expected 'real' or 'imag'. Received: side={side!r}"
            )
        if isinstance(window, str):
            _get_window(window, 1, periodic)  # Raises for an unknown window.
        if scaling is not None and scaling not in ["density", "spectrum"]:
            raise ValueError(
                "Invalid value for argument `scaling`: expected None, 'density' or "
                f"'spectrum'. Received: scaling={scaling!r}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) != 3:
            raise ValueError(
                "STFT initializer expects a shape (frame_length, input_channels, "
                f"fft_length // 2 + 1). Received: shape={shape}"
            )
        dtype = backend.to_torch_dtype(dtype)
        frame_length, _, fft_length = shape

        win = None
        scaling = 1
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = _get_window(win, frame_length, self.periodic)
            win = torch.as_tensor(np.asarray(win) if not isinstance(win, torch.Tensor) else win).to(dtype)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]. "
                    f"Received: window shape={tuple(win.shape)}"
                )
            win = win.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scaling = torch.sqrt(torch.sum(torch.square(win)))
            elif self.scaling == "spectrum":
                scaling = torch.sum(torch.abs(win))

        _fft_length = (fft_length - 1) * 2
        freq = torch.arange(fft_length, dtype=dtype).reshape(1, 1, fft_length) / _fft_length
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        pi = torch.arccos(torch.tensor(-1, dtype=dtype))
        args = ((-2 * time) * freq) * pi
        kernel = torch.cos(args) if self.side == "real" else torch.sin(args)
        kernel = kernel.to(dtype)
        if win is not None:
            kernel = (kernel * win) / scaling
        return kernel

    def get_config(self):
        window = self.window
        if isinstance(window, (np.ndarray, torch.Tensor)):
            window = window.tolist()
        return {
            "side": self.side,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }
