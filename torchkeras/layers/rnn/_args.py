"""Argument checks shared by the recurrent cells and layers (messages name the argument and the value)."""

import numbers


def check_units(units, layer_name):
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `units` of {layer_name}, expected a positive integer. "
            f"Received: units={units!r}"
        )
    return int(units)


def check_rate(rate, name, layer_name):
    """A dropout rate in [0, 1]. (Keras silently clips out-of-range rates; torchkeras says so instead.)"""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
        raise ValueError(
            f"Invalid value for argument `{name}` of {layer_name}. Expected a float in [0, 1]. "
            f"Received: {name}={rate!r}"
        )
    return float(rate)


def check_seed(seed, layer_name):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(
            f"Invalid value for argument `seed` of {layer_name}. Expected None or an integer. "
            f"Received: seed={seed!r}"
        )
    return seed


def check_use_cudnn(use_cudnn):
    if use_cudnn not in ("auto", True, False) or (use_cudnn != "auto" and not isinstance(use_cudnn, bool)):
        raise ValueError(
            "Invalid valid received for argument `use_cudnn`. Expected one of {'auto', True, False}. "
            f"Received: use_cudnn={use_cudnn!r}"
        )
    return use_cudnn
