"""Keras's automatic names: `dense`, `dense_1`, ... counted per prefix for the whole process."""

import collections
import re

_UIDS = collections.defaultdict(int)


def to_snake_case(name):
    """`"BatchNormalization"` -> `"batch_normalization"`, exactly as Keras derives default layer names."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def get_uid(prefix=""):
    """Returns 1, 2, 3, ... on successive calls with the same prefix."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def auto_name(prefix):
    """`dense` the first time, then `dense_1`, `dense_2`, ..."""
    uid = get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def reset_uids():
    """Forgets every counter (Keras's `clear_session()` does the same)."""
    _UIDS.clear()
