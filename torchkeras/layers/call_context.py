"""State shared by nested layer calls: the `training` flag passed down, the name scope that gives
weights their Keras paths (`sequential/dense/kernel`), and the device new weights are created on.

Plain module-level state (not thread-local) keeps `torch.compile` free of graph breaks.
"""

import contextlib
import threading

import torch


class _CallContext:
    __slots__ = ("training", "explicit_training", "scope", "device", "policy_epoch", "skip_initializers")

    def __init__(self):
        self.training = None
        # The `training` of the enclosing calls when it was asked for (an argument, or torch's train()
        # mode); `None` when it only comes from eval() mode, Keras's `training=None`. A `training` recorded
        # in a functional graph (`Dropout(0.5)(x, training=True)`) yields to an asked-for one, as in Keras.
        self.explicit_training = None
        self.scope = []
        self.device = None
        self.policy_epoch = 0  # bumped whenever a layer's dtype policy changes
        self.skip_initializers = None  # id of a thread whose new weights come from a file next


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


@contextlib.contextmanager
def initializers_skipped():
    """Weights this thread creates inside are left uninitialized (`torch.empty`): for models rebuilt
    from a file whose every weight is checked and loaded right after (`load_model`), so no time or memory
    goes into initial values that would be overwritten. Other threads keep initializing theirs."""
    previous = CONTEXT.skip_initializers
    CONTEXT.skip_initializers = threading.get_ident()
    try:
        yield
    finally:
        CONTEXT.skip_initializers = previous


def skipping_initializers():
    """Whether weights created now, in this thread, are left uninitialized (see `initializers_skipped`)."""
    owner = CONTEXT.skip_initializers
    return owner is not None and owner == threading.get_ident()


def recorded_training(recorded):
    """The `training` a functional graph's call passes where the graph recorded one: the enclosing
    call's, if it was asked for, else the recorded value (Keras's functional `operation_fn`)."""
    explicit = CONTEXT.explicit_training
    return recorded if explicit is None else explicit
