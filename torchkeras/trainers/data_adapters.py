"""What `fit`, `evaluate` and `predict` accept, turned into batches of torch tensors, as Keras's
`keras/src/trainers/data_adapters` does it.

- Arrays (numpy arrays, torch tensors, anything with `__array__`, and lists/tuples/dicts of them):
  `ArrayDataAdapter`. The data is converted to torch once (numpy memory is shared, not copied; floats
  other than float32 become float32, as Keras casts to `floatx()`), then each batch is a slice (or, when
  shuffling, a gather) of those tensors: no per-step numpy work.
- `torch.utils.data.DataLoader`: `TorchDataLoaderAdapter`, batches as the loader gives them.
- A map-style or iterable `torch.utils.data.Dataset` (each item `x`, `(x, y)` or `(x, y, sample_weight)`):
  batched by a `DataLoader` made with `batch_size` and `shuffle`.
- A Python generator yielding `(x,)`, `(x, y)` or `(x, y, sample_weight)` batches:
  `GeneratorDataAdapter`.

Shuffling draws from torch's global generator exactly as Keras's torch backend does (it iterates a
`DataLoader` over a `RandomSampler`), so `torch.manual_seed` gives both the same batch order.
"""

import itertools
import math
import types
import warnings

import numpy as np
import torch

from torchkeras import backend
from torchkeras.api_export import keras_export

__all__ = [
    "ArrayDataAdapter",
    "DataAdapter",
    "GeneratorDataAdapter",
    "TorchDataLoaderAdapter",
    "class_weight_to_sample_weights",
    "get_data_adapter",
    "pack_x_y_sample_weight",
    "train_validation_split",
    "unpack_x_y_sample_weight",
]


# ---------------------------------------------------------------------------------------- structures


def flatten(structure):
    """Leaves of nested lists, tuples and dicts (dicts in insertion order); `None` is a leaf."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """`fn` applied to every leaf except `None`, keeping lists, tuples and dicts around them."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return None if structure is None else fn(structure)


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))


@keras_export("keras.utils.unpack_x_y_sample_weight")
def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`,
    with `None` for what is missing (Keras's `keras.utils.unpack_x_y_sample_weight`)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`. "
        f"Received a tuple of {len(data)} elements: {_describe(data)}"
    )


@keras_export("keras.utils.pack_x_y_sample_weight")
def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch tuple `fit` uses: `x` (or `(x,)` for a list/tuple `x`), `(x, y)` or `(x, y, sw)`."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return x, y
    return x, y, sample_weight


def _describe(structure):
    """A short description of a data structure for error messages (types and shapes, no values)."""
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in structure.items()) + "}"
    if isinstance(structure, (list, tuple)):
        inner = ", ".join(_describe(v) for v in structure)
        return f"[{inner}]" if isinstance(structure, list) else f"({inner}{',' if len(structure) == 1 else ''})"
    shape = getattr(structure, "shape", None)
    if shape is not None:
        return f"{type(structure).__name__}(shape={tuple(shape)})"
    return type(structure).__name__


# ---------------------------------------------------------------------------------------- conversions


def is_array_like(value):
    """Whether `value` can be sliced along its first axis as an array (numpy, torch, `__array__`)."""
    if value is None or isinstance(value, (np.ndarray, torch.Tensor)):
        return True
    if isinstance(value, (str, bytes, dict, list, tuple)) or not hasattr(value, "__array__"):
        return False
    return True


def _to_torch(value, name):
    """A whole array as a CPU-or-device torch tensor; floats become float32 (Keras's floatx cast)."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        array = np.asarray(value)
        if array.dtype == object or array.dtype.kind in "USV":
            raise ValueError(
                f"Expected numeric arrays in `{name}`. Received an array of dtype {array.dtype} "
                f"and shape {array.shape}."
            )
        if not array.flags.writeable or not array.flags.c_contiguous and not array.flags.f_contiguous:
            array = np.array(array)
        tensor = torch.from_numpy(array)
    if tensor.dim() == 0:
        raise ValueError(
            f"Expected arrays with a batch axis in `{name}`. Received a scalar (shape ())."
        )
    if tensor.is_floating_point() and tensor.dtype is not backend.to_torch_dtype(backend.floatx()):
        tensor = tensor.to(backend.to_torch_dtype(backend.floatx()))
    return tensor


def _num_samples(tensor):
    return int(tensor.shape[0])


def check_data_cardinality(named_structures):
    """Raises a `ValueError` naming the sizes when x, y and sample_weight disagree on sample counts."""
    sizes = {}
    for name, structure in named_structures:
        leaves = [leaf for leaf in flatten(structure) if leaf is not None]
        if leaves:
            sizes[name] = [_num_samples(leaf) for leaf in leaves]
    distinct = {n for values in sizes.values() for n in values}
    if len(distinct) > 1:
        detail = ", ".join(f"'{name}' sizes: {', '.join(map(str, values))}" for name, values in sizes.items())
        raise ValueError(
            "Data cardinality is ambiguous: all arrays must contain the same number of samples. "
            f"Received: {detail}"
        )


def class_weight_to_sample_weights(y, class_weight):
    """Per-sample weights from `class_weight` ({class index: weight}), as Keras derives them: the class
    of a sample is `argmax(y)` for one-hot targets, else `round(y)`; unlisted classes weigh 1."""
    if not isinstance(class_weight, dict):
        raise ValueError(
            "Argument `class_weight` must be a dict mapping class indices (integers) to weights "
            f"(floats). Received: class_weight={class_weight!r}"
        )
    y = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    labels = y.detach()
    if labels.dim() > 1:
        labels = labels.argmax(dim=-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    if labels.dim() > 1:
        raise ValueError(
            "`class_weight` needs one class per sample: targets of shape (samples,), (samples, 1) or "
            f"one-hot (samples, classes). Received targets of shape {tuple(y.shape)}"
        )
    labels = torch.round(labels.to(torch.float64)).to(torch.int64).cpu()
    weights = torch.ones(labels.shape[0], dtype=backend.to_torch_dtype(backend.floatx()))
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = float(weight)
    return weights


def train_validation_split(arrays, validation_split):
    """`(train, validation)`: the LAST `validation_split` fraction of every array is the validation
    part, taken before any shuffling (as Keras does)."""
    flat = flatten(arrays)
    unsplittable = sorted({type(t).__name__ for t in flat if not is_array_like(t)})
    if unsplittable:
        raise ValueError(
            "Argument `validation_split` is only supported for arrays (numpy arrays, torch tensors). "
            f"Received data of type(s) {unsplittable}; pass `validation_data` instead."
        )
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(
            "Argument `validation_split` must be a float in [0, 1). "
            f"Received: validation_split={validation_split!r}"
        )
    leaves = [t for t in flat if t is not None]
    if not leaves:
        return arrays, arrays
    arrays = map_structure(lambda t: t if isinstance(t, torch.Tensor) else np.asarray(t), arrays)
    batch_dim = int(np.shape(leaves[0])[0]) if not isinstance(leaves[0], torch.Tensor) else leaves[0].shape[0]
    split_at = int(math.floor(batch_dim * (1.0 - validation_split)))
    if split_at == 0 or split_at == batch_dim:
        raise ValueError(
            f"Training data contains {batch_dim} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={validation_split}`. "
            "Either provide more data, or a different value for the `validation_split` argument."
        )
    train = map_structure(lambda t: t[:split_at], arrays)
    validation = map_structure(lambda t: t[split_at:], arrays)
    return train, validation


def _draw_seed():
    """One int64 from torch's global generator, as a `DataLoader` iterator or `RandomSampler` draws it."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


def _to_device(structure, device):
    if device is None:
        return structure
    if isinstance(structure, torch.Tensor):
        return structure if structure.device == device else structure.to(device, non_blocking=True)
    if isinstance(structure, (list, tuple, dict)):
        return map_structure(lambda t: _to_device_leaf(t, device), structure)
    return structure


def _to_device_leaf(value, device):
    if isinstance(value, torch.Tensor):
        return value if value.device == device else value.to(device, non_blocking=True)
    if isinstance(value, np.ndarray):
        tensor = _to_torch(value, "data") if value.ndim else torch.as_tensor(value)
        return tensor.to(device)
    return value


# ---------------------------------------------------------------------------------------- adapters


class DataAdapter:
    """Base class: yields one epoch of batches as structures of torch tensors on a device."""

    def get_iterator(self, device=None):
        """An iterator over one pass of the data; batches are `x`, `(x,)`, `(x, y)` or `(x, y, sw)`."""
        raise NotImplementedError

    @property
    def num_batches(self):
        """Batches per pass, or `None` when unknown."""
        return None

    @property
    def batch_size(self):
        return None

    @property
    def has_partial_batch(self):
        return None

    @property
    def partial_batch_size(self):
        return None

    @property
    def is_one_shot(self):
        """Whether the data can be read only once (a generator)."""
        return False

    def first_batch(self, device=None):
        """One batch to build a model from; reading it uses up no data of the epochs."""
        return next(iter(self.get_iterator(device)), None)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


class ArrayDataAdapter(DataAdapter):
    """Batches from in-memory arrays: numpy arrays, torch tensors, or lists/tuples/dicts of them.

    Args:
        x: Input arrays.
        y: Optional target arrays.
        sample_weight: Optional per-sample weights: one array, or one per output in the structure of `y`.
        batch_size: Samples per batch; by default `ceil(samples / steps)` when `steps` is given, else 32.
        steps: Optional number of batches per epoch (only used to derive `batch_size`).
        shuffle: `True` to shuffle the samples each pass, `"batch"` to shuffle within batches only.
        class_weight: Optional dict {class index: weight} turned into sample weights (one output only).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None):
        for name, structure in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            bad = [leaf for leaf in flatten(structure) if not is_array_like(leaf)]
            if bad:
                raise ValueError(
                    f"Expected `{name}` to be an array (numpy array or torch tensor) or a list/dict of "
                    f"arrays. Received: {name}={_describe(structure)}"
                )
        x = map_structure(lambda t: _to_torch(t, "x"), x)
        y = map_structure(lambda t: _to_torch(t, "y"), y)
        sample_weight = map_structure(lambda t: _to_torch(t, "sample_weight"), sample_weight)
        check_data_cardinality((("x", x), ("y", y), ("sample_weight", sample_weight)))

        if sample_weight is not None:
            if class_weight is not None:
                raise ValueError(
                    "You cannot pass both `class_weight` and `sample_weight` at the same time. "
                    f"Received: class_weight={class_weight!r} and a sample_weight"
                )
            if is_nested(y):
                if is_nested(sample_weight):
                    if not _same_structure(y, sample_weight):
                        raise ValueError(
                            "You should provide one `sample_weight` array per output in `y`. The two "
                            f"structures did not match: y={_describe(y)}, "
                            f"sample_weight={_describe(sample_weight)}"
                        )
                else:
                    shape = tuple(sample_weight.shape)
                    if not (len(shape) == 1 or len(shape) == 2 and shape[1] == 1):
                        raise ValueError(
                            "For a model with multiple outputs, a single `sample_weight` array must have "
                            "one scalar weight per sample (shape `(samples,)`). Pass one array per "
                            f"output for other shapes. Received: sample_weight of shape {shape}"
                        )
                    sample_weight = map_structure(lambda _: sample_weight, y)
        if class_weight is not None:
            if y is None:
                raise ValueError("Argument `class_weight` needs targets `y`. Received: y=None")
            if is_nested(y):
                leaves = [leaf for leaf in flatten(y) if leaf is not None]
                if len(leaves) != 1:
                    raise ValueError(
                        "`class_weight` is only supported for models with a single output. Received "
                        f"targets y={_describe(y)}"
                    )
                sample_weight = map_structure(lambda t: class_weight_to_sample_weights(t, class_weight), y)
            else:
                sample_weight = class_weight_to_sample_weights(y, class_weight)

        if shuffle not in (True, False, "batch") and not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f'Argument `shuffle` must be a bool or "batch". Received: shuffle={shuffle!r}')
        self._inputs = pack_x_y_sample_weight(x, y, sample_weight)
        self._leaves = [leaf for leaf in flatten(self._inputs)]
        if all(leaf is None for leaf in self._leaves):
            raise ValueError("Expected input data `x`. Received: x=None")
        num_samples = next(_num_samples(leaf) for leaf in self._leaves if leaf is not None)
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0):
            raise ValueError(f"Argument `steps` must be a positive integer. Received: steps={steps!r}")
        if batch_size is None:
            batch_size = int(math.ceil(num_samples / steps)) if steps else 32
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(
                f"Argument `batch_size` must be a positive integer. Received: batch_size={batch_size!r}"
            )
        batch_size = int(batch_size)
        self._num_samples = num_samples
        self._batch_size = batch_size
        self._size = int(math.ceil(num_samples / batch_size))
        self._partial_batch_size = num_samples % batch_size
        self._shuffle = "batch" if shuffle == "batch" else bool(shuffle)
        self._device_cache = {}

    @property
    def num_samples(self):
        return self._num_samples

    def _leaves_on(self, device):
        """The leaves moved to `device` once per pass target: a CUDA run copies the data once, not per
        batch, when it fits comfortably (the whole dataset under 1 GiB); otherwise batches move."""
        if device is None or device.type == "cpu":
            return self._leaves
        if device not in self._device_cache:
            size = sum(leaf.numel() * leaf.element_size() for leaf in self._leaves if leaf is not None)
            if size <= 1 << 30:
                self._device_cache[device] = [None if leaf is None else leaf.to(device) for leaf in self._leaves]
            else:
                self._device_cache[device] = None
        return self._device_cache[device] or self._leaves

    def first_batch(self, device=None):
        # Keras builds a model from the first batch of a fresh `DataLoader` iterator: the same draws.
        _draw_seed()
        if self._shuffle is True:
            _draw_seed()
        elif self._shuffle == "batch":
            torch.randperm(min(self._batch_size, self._num_samples))
        return next(self._iterate(device, shuffle=False), None)

    def get_iterator(self, device=None):
        # As Keras's torch backend: iterating a `DataLoader` draws its base seed first, then its
        # `RandomSampler` draws the permutation's seed. Same draws, same batch order.
        _draw_seed()
        return self._iterate(device)

    def _iterate(self, device, shuffle=True):
        leaves = self._leaves_on(device)
        structure = self._inputs
        permutation = None
        shuffle = self._shuffle if shuffle else False
        if shuffle is True:
            generator = torch.Generator()
            generator.manual_seed(_draw_seed())
            permutation = torch.randperm(self._num_samples, generator=generator)
        single = len(leaves) == 1 and not is_nested(structure)
        two = isinstance(structure, tuple) and len(structure) == 2 and not is_nested(structure[0]) \
            and not is_nested(structure[1])
        batch_size, total = self._batch_size, self._num_samples
        for index in range(self._size):
            start, stop = index * batch_size, min((index + 1) * batch_size, total)
            if shuffle == "batch":
                indices = torch.randperm(stop - start) + start
            elif permutation is not None:
                indices = permutation[start:stop]
            else:
                indices = None
            if indices is None:
                batch = [None if leaf is None else leaf[start:stop] for leaf in leaves]
            else:
                batch = [None if leaf is None else leaf[indices.to(leaf.device)] for leaf in leaves]
            if device is not None:
                batch = [None if t is None else (t if t.device == device else t.to(device, non_blocking=True))
                         for t in batch]
            if single:
                yield batch[0]
            elif two:
                yield batch[0], batch[1]
            else:
                yield _unflatten_as(structure, batch)

    @property
    def num_batches(self):
        return self._size

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def has_partial_batch(self):
        return self._partial_batch_size > 0

    @property
    def partial_batch_size(self):
        return self._partial_batch_size or None


class TorchDataLoaderAdapter(DataAdapter):
    """Batches from a `torch.utils.data.DataLoader`, moved to the model's device."""

    def __init__(self, dataloader):
        if not isinstance(dataloader, torch.utils.data.DataLoader):
            raise ValueError(
                "Expected a `torch.utils.data.DataLoader`. "
                f"Received: {type(dataloader).__name__}"
            )
        self._dataloader = dataloader
        self._batch_size = dataloader.batch_size
        self._num_batches = None
        self._partial_batch_size = None
        try:
            self._num_batches = len(dataloader)
            if self._batch_size is not None:
                self._partial_batch_size = len(dataloader.dataset) % self._batch_size
        except TypeError:  # an IterableDataset without `__len__`
            pass

    def get_iterator(self, device=None):
        for batch in self._dataloader:
            yield _to_device(_convert_batch(batch), device)

    @property
    def num_batches(self):
        return self._num_batches

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def has_partial_batch(self):
        return None if self._partial_batch_size is None else self._partial_batch_size > 0

    @property
    def partial_batch_size(self):
        return self._partial_batch_size or None


class GeneratorDataAdapter(DataAdapter):
    """Batches from a Python generator yielding `(x,)`, `(x, y)` or `(x, y, sample_weight)` tuples.

    A generator can be read once: every pass continues where the previous one stopped.
    """

    def __init__(self, generator):
        first = list(itertools.islice(generator, 1))
        if not first:
            raise ValueError(
                "When passing a Python generator to a model, the generator must yield at least one "
                "batch. Received an empty generator."
            )
        if not isinstance(first[0], tuple):
            raise ValueError(
                "When passing a Python generator to a model, the generator must yield tuples: "
                "(inputs,) or (inputs, targets) or (inputs, targets, sample_weights). "
                f"Received: {_describe(first[0])}"
            )
        self._first = first[0]
        self._iterator = itertools.chain(first, generator)

    def first_batch(self, device=None):
        return _to_device(_convert_batch(self._first), device)

    def get_iterator(self, device=None):
        for batch in self._iterator:
            yield _to_device(_convert_batch(batch), device)

    @property
    def is_one_shot(self):
        return True


def _convert_batch(batch):
    """A batch from a loader or generator with every array as a torch tensor (floats as float32)."""
    if isinstance(batch, list):
        batch = tuple(batch)  # `default_collate` turns `(x, y)` items into a list `[x, y]`

    def convert(value):
        if isinstance(value, torch.Tensor):
            if value.is_floating_point() and value.dtype is not torch.float32 and value.dtype in (
                    torch.float64, torch.float16, torch.bfloat16):
                return value.to(torch.float32)
            return value
        if is_array_like(value):
            return _to_torch(value, "data")
        if isinstance(value, (int, float, bool)):
            return torch.as_tensor(value)
        return value

    return map_structure(convert, batch)


def _same_structure(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return not is_nested(a) and not is_nested(b)


def _unflatten_as(structure, leaves):
    iterator = iter(leaves)

    def build(node):
        if isinstance(node, list):
            return [build(item) for item in node]
        if isinstance(node, tuple):
            return tuple(build(item) for item in node)
        if isinstance(node, dict):
            return {key: build(item) for key, item in node.items()}
        return next(iterator)

    return build(structure)


def _is_torch_dataloader(x):
    return isinstance(x, torch.utils.data.DataLoader)


def _is_torch_dataset(x):
    return isinstance(x, (torch.utils.data.Dataset, torch.utils.data.IterableDataset))


def _raise_unsupported_argument(argument, description, kind):
    raise ValueError(
        f"When providing `x` as a {kind}, `{argument}` should not be passed. Instead, {description} "
        f"should be included as part of the {kind}."
    )


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None, shuffle=False,
                     class_weight=None):
    """The adapter for `x`: arrays, a `DataLoader`, a torch `Dataset`, or a Python generator."""
    if isinstance(x, DataAdapter):
        return x
    arrays = (x, y, sample_weight)
    if x is not None and all(is_array_like(leaf) for leaf in flatten(arrays)):
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, class_weight=class_weight,
                                shuffle=shuffle, batch_size=batch_size, steps=steps_per_epoch)
    if _is_torch_dataloader(x) or _is_torch_dataset(x):
        kind = "torch DataLoader" if _is_torch_dataloader(x) else "torch Dataset"
        if y is not None:
            _raise_unsupported_argument("y", "the targets", kind)
        if sample_weight is not None:
            _raise_unsupported_argument("sample_weight", "the sample weights", kind)
        if class_weight is not None:
            raise ValueError(
                f"Argument `class_weight` is not supported for {kind} inputs: make the dataset return "
                f"(inputs, targets, sample_weights) instead. Received: class_weight={class_weight!r}"
            )
        if _is_torch_dataloader(x):
            if shuffle:
                warnings.warn(
                    "`shuffle=True` was passed, but will be ignored since the data `x` was provided as "
                    "a torch DataLoader. The DataLoader is expected to already be shuffled.",
                    stacklevel=3,
                )
            return TorchDataLoaderAdapter(x)
        iterable = isinstance(x, torch.utils.data.IterableDataset)
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(
                f"Argument `batch_size` must be a positive integer. Received: batch_size={batch_size!r}"
            )
        loader = torch.utils.data.DataLoader(
            x, batch_size=batch_size or 32, shuffle=bool(shuffle) and not iterable)
        return TorchDataLoaderAdapter(loader)
    if isinstance(x, types.GeneratorType):
        if y is not None:
            _raise_unsupported_argument("y", "the targets", "generator")
        if sample_weight is not None:
            _raise_unsupported_argument("sample_weight", "the sample weights", "generator")
        if class_weight is not None:
            raise ValueError(
                "Argument `class_weight` is not supported for Python generator inputs. "
                f"Received: class_weight={class_weight!r}"
            )
        if shuffle:
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was provided as a "
                "generator. The generator is expected to yield already-shuffled data.",
                stacklevel=3,
            )
        return GeneratorDataAdapter(x)
    for name, structure in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if (name != "x" or is_nested(x)) and not all(is_array_like(leaf) for leaf in flatten(structure)):
            raise ValueError(
                f"Expected `{name}` to be an array (numpy array or torch tensor) or a list/dict of arrays. "
                f"Received: {name}={_describe(structure)}"
            )
    raise ValueError(
        "Unrecognized data type: expected numpy arrays or torch tensors (or lists/dicts of them), a "
        "`torch.utils.data.DataLoader` or `Dataset`, or a Python generator. "
        f"Received: x of type {type(x).__name__}"
    )
