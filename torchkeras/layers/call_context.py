"""State shared by nested layer calls: the `training` flag passed down, the name scope that gives
weights their Keras paths (`sequential/dense/kernel`), and the device new weights are created on.

Plain module-level state (not thread-local) keeps `torch.compile` free of graph breaks.
"""

import contextlib

import torch


class _CallContext:
    __slots__ = ("training", "scope", "device", "policy_epoch")

    def __init__(self):
        self.training = None
        self.scope = []
        self.device = None
        self.policy_epoch = 0  # bumped whenever a layer's dtype policy changes


CONTEXT = _CallContext()


@contextlib.contextmanager
def name_scope(name):
    """Weights created inside get `name/` (and the enclosing scopes) prefixed to their path."""
    CONTEXT.scope.append(name)
    try:
        yield
    finally:
        CONTEXT.scope.pop()


def current_scope():
    return list(CONTEXT.scope)


@contextlib.contextmanager
def building_on(device):
    """Weights built inside are created on `device` (the first input's), never on the meta device."""
    previous = CONTEXT.device
    if device is not None and device.type != "meta":
        CONTEXT.device = device
    try:
        yield
    finally:
        CONTEXT.device = previous


def weight_device():
    return CONTEXT.device if CONTEXT.device is not None else torch.device("cpu")
