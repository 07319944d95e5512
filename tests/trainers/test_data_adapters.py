"""Data adapters and epoch iteration: what `fit`/`evaluate`/`predict` accept and how batches come out."""

import warnings

import numpy as np
import pytest
import torch

from torchkeras.trainers import data_adapters
from torchkeras.trainers.data_adapters import (
    ArrayDataAdapter,
    GeneratorDataAdapter,
    TorchDataLoaderAdapter,
    class_weight_to_sample_weights,
    get_data_adapter,
    pack_x_y_sample_weight,
    train_validation_split,
    unpack_x_y_sample_weight,
)
from torchkeras.trainers.epoch_iterator import EpochIterator


def batches(adapter):
    return list(adapter.get_iterator())


def test_unpack_and_pack_follow_keras():
    x, y, w = np.zeros(2), np.ones(2), np.full(2, 3.0)
    assert unpack_x_y_sample_weight(x) == (x, None, None)
    assert unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    with pytest.raises(ValueError, match="Received a tuple of 4 elements"):
        unpack_x_y_sample_weight((x, y, w, w))
    assert pack_x_y_sample_weight(x) is x
    assert pack_x_y_sample_weight([x, x]) == ([x, x],)
    assert pack_x_y_sample_weight(x, y) == (x, y)


def test_array_batches_are_slices_of_one_conversion():
    x = np.arange(10 * 3, dtype=np.float64).reshape(10, 3)
    y = np.arange(10)
    adapter = ArrayDataAdapter(x, y, batch_size=4)
    assert adapter.num_batches == 3 and adapter.batch_size == 4
    assert adapter.has_partial_batch and adapter.partial_batch_size == 2
    out = batches(adapter)
    assert [tuple(b[0].shape) for b in out] == [(4, 3), (4, 3), (2, 3)]
    # float64 becomes float32 (Keras's floatx cast); integer targets keep their dtype.
    assert out[0][0].dtype == torch.float32 and out[0][1].dtype == torch.int64
    np.testing.assert_array_equal(torch.cat([b[0] for b in out]).numpy(), x.astype(np.float32))
    np.testing.assert_array_equal(torch.cat([b[1] for b in out]).numpy(), y)


def test_float32_numpy_memory_is_shared_not_copied():
    x = np.ones((8, 2), dtype=np.float32)
    first = batches(ArrayDataAdapter(x, batch_size=8))[0]
    x[0, 0] = 5.0
    assert first[0, 0].item() == 5.0


def test_structures_dicts_lists_and_sample_weights():
    x = {"a": np.zeros((6, 2), "float32"), "b": np.ones((6, 1), "float32")}
    y = [np.zeros(6), np.ones((6, 1))]
    adapter = ArrayDataAdapter(x, y, sample_weight=np.arange(6.0), batch_size=4)
    bx, by, bw = batches(adapter)[0]
    assert set(bx) == {"a", "b"} and tuple(bx["b"].shape) == (4, 1)
    assert isinstance(by, list) and len(by) == 2
    # One sample-weight array for several outputs is repeated for each output, as Keras does.
    assert isinstance(bw, list) and len(bw) == 2
    np.testing.assert_array_equal(bw[1].numpy(), [0, 1, 2, 3])


def test_torch_tensors_accepted():
    x = torch.randn(5, 3, dtype=torch.float64)
    (bx,) = batches(ArrayDataAdapter(x, batch_size=5))[0:1]
    assert bx.dtype == torch.float32


def test_shuffle_matches_a_dataloader_over_a_random_sampler():
    # Keras's torch backend iterates a DataLoader over a RandomSampler: same draws, same order.
    n, batch_size = 23, 5
    torch.manual_seed(123)
    loader = torch.utils.data.DataLoader(range(n), batch_size=batch_size, shuffle=True)
    expected = [b.tolist() for b in loader]
    after_loader = torch.rand(1)
    torch.manual_seed(123)
    adapter = ArrayDataAdapter(np.arange(n), batch_size=batch_size, shuffle=True)
    received = [b.tolist() for b in batches(adapter)]
    assert received == expected
    assert torch.rand(1).item() == after_loader.item()  # the global stream advanced the same way


def test_shuffle_batch_keeps_batches_together():
    adapter = ArrayDataAdapter(np.arange(12), batch_size=4, shuffle="batch")
    for index, batch in enumerate(batches(adapter)):
        assert sorted(batch.tolist()) == list(range(4 * index, 4 * index + 4))


def test_class_weight_becomes_sample_weight():
    np.testing.assert_allclose(class_weight_to_sample_weights(np.array([0, 1, 2, 1]), {1: 2.0, 2: 0.5}).numpy(),
                               [1, 2, 0.5, 2])
    one_hot = np.eye(3)[[2, 0]]
    np.testing.assert_allclose(class_weight_to_sample_weights(one_hot, {2: 3.0}).numpy(), [3, 1])
    column = np.array([[1.0], [0.0]])
    np.testing.assert_allclose(class_weight_to_sample_weights(column, {1: 4.0}).numpy(), [4, 1])
    _, _, w = batches(ArrayDataAdapter(np.zeros((3, 2)), np.array([0, 1, 1]), class_weight={1: 5.0}, batch_size=3))[0]
    np.testing.assert_allclose(w.numpy(), [1, 5, 5])
    with pytest.raises(ValueError, match="must be a dict"):
        class_weight_to_sample_weights(np.zeros(2), [1.0, 2.0])
    with pytest.raises(ValueError, match="both `class_weight` and `sample_weight`"):
        ArrayDataAdapter(np.zeros((2, 1)), np.zeros(2), sample_weight=np.ones(2), class_weight={0: 1.0})
    with pytest.raises(ValueError, match="single output"):
        ArrayDataAdapter(np.zeros((2, 1)), [np.zeros(2), np.zeros(2)], class_weight={0: 1.0})


def test_cardinality_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"'x' sizes: 10.*'y' sizes: 9"):
        ArrayDataAdapter(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match=r"'x' sizes: 4, 5"):
        ArrayDataAdapter([np.zeros((4, 2)), np.zeros((5, 2))])


def test_bad_values_raise_clear_errors():
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        ArrayDataAdapter(np.zeros((3, 1)), batch_size=0)
    with pytest.raises(ValueError, match="Received: batch_size=2.5"):
        ArrayDataAdapter(np.zeros((3, 1)), batch_size=2.5)
    with pytest.raises(ValueError, match="scalar"):
        ArrayDataAdapter(np.float32(3.0))
    with pytest.raises(ValueError, match="numeric arrays"):
        ArrayDataAdapter(np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"Unrecognized data type.*Received: x of type str"):
        get_data_adapter("not data")
    with pytest.raises(ValueError, match="Expected `y` to be an array"):
        get_data_adapter(np.zeros((2, 1)), "labels")
    with pytest.raises(ValueError, match=r'`shuffle` must be a bool or "batch"'):
        ArrayDataAdapter(np.zeros((3, 1)), shuffle="yes")


def test_batch_size_from_steps():
    adapter = ArrayDataAdapter(np.zeros((10, 1)), steps=3)
    assert adapter.batch_size == 4 and adapter.num_batches == 3


def test_validation_split_takes_the_end():
    x, y = np.arange(10).reshape(10, 1), np.arange(10)
    (tx, ty, tw), (vx, vy, vw) = train_validation_split((x, y, None), 0.2)
    np.testing.assert_array_equal(ty, np.arange(8))
    np.testing.assert_array_equal(vy, [8, 9])
    assert tw is None and vw is None
    with pytest.raises(ValueError, match="not sufficient to split"):
        train_validation_split((np.zeros((1, 1)), None, None), 0.5)
    with pytest.raises(ValueError, match="only supported for arrays"):
        train_validation_split((iter([1]), None, None), 0.5)
    with pytest.raises(ValueError, match="validation_split=1.5"):
        train_validation_split((x, y, None), 1.5)


class _Pairs(torch.utils.data.Dataset):
    def __init__(self, n):
        self.x = torch.arange(n * 2, dtype=torch.float64).reshape(n, 2)
        self.y = torch.arange(n)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_dataloader_batches_as_tuples_with_float32():
    loader = torch.utils.data.DataLoader(_Pairs(7), batch_size=3)
    adapter = get_data_adapter(loader)
    assert isinstance(adapter, TorchDataLoaderAdapter)
    assert adapter.num_batches == 3 and adapter.partial_batch_size == 1
    out = batches(adapter)
    assert isinstance(out[0], tuple) and out[0][0].dtype == torch.float32
    with pytest.raises(ValueError, match="`y` should not be passed"):
        get_data_adapter(loader, np.zeros(7))
    with pytest.raises(ValueError, match="class_weight"):
        get_data_adapter(loader, class_weight={0: 1.0})
    with pytest.warns(UserWarning, match="will be ignored"):
        get_data_adapter(loader, shuffle=True)


def test_dataset_is_batched_with_batch_size():
    adapter = get_data_adapter(_Pairs(10), batch_size=4, shuffle=False)
    out = batches(adapter)
    assert [len(b[1]) for b in out] == [4, 4, 2]
    assert out[0][1].tolist() == [0, 1, 2, 3]


def test_generator_is_read_once_and_first_batch_is_kept():
    def gen():
        for i in range(3):
            yield np.full((2, 1), i, "float32"), np.zeros(2)

    adapter = get_data_adapter(gen())
    assert isinstance(adapter, GeneratorDataAdapter) and adapter.is_one_shot
    first = adapter.first_batch()
    assert first[0][0, 0].item() == 0
    assert [b[0][0, 0].item() for b in batches(adapter)] == [0, 1, 2]
    assert batches(adapter) == []
    with pytest.raises(ValueError, match="must yield tuples"):
        get_data_adapter(x for x in [np.zeros(2)])
    with pytest.raises(ValueError, match="at least one batch"):
        get_data_adapter(x for x in [])


def test_epoch_iterator_steps_per_epoch_continues_between_epochs():
    iterator = EpochIterator(np.arange(10), batch_size=2, steps_per_epoch=2)
    first = [b.tolist() for _, b in iterator]
    second = [b.tolist() for _, b in iterator]
    assert first == [[0, 1], [2, 3]] and second == [[4, 5], [6, 7]]
    with pytest.warns(UserWarning, match="ran out of data"):
        third = [b.tolist() for _, b in iterator]
    assert third == [[8, 9]]  # Keras ends the epoch when the pass is used up
    assert [b.tolist() for _, b in iterator] == [[0, 1], [2, 3]]


def test_epoch_iterator_steps_beyond_the_data_warn():
    iterator = EpochIterator(np.arange(4), batch_size=2, steps_per_epoch=5)
    with pytest.warns(UserWarning, match="ran out of data"):
        steps = [step for step, _ in iterator]
    assert steps == [0, 1]
    assert iterator.num_batches == 5


def test_epoch_iterator_generator_without_length():
    def gen():
        for i in range(3):
            yield (np.full((1, 1), i, "float32"),)

    iterator = EpochIterator(gen())
    assert iterator.num_batches is None
    assert [step for step, _ in iterator] == [0, 1, 2]
    assert not iterator.exhausted
    with pytest.warns(UserWarning, match="ran out of data"):
        assert [step for step, _ in iterator] == []
    assert iterator.exhausted


def test_epoch_iterator_generator_with_steps():
    def gen():
        i = 0
        while True:
            yield (np.full((1, 1), i, "float32"),)
            i += 1

    iterator = EpochIterator(gen(), steps_per_epoch=2)
    assert [b[0][0, 0].item() for _, b in iterator] == [0, 1]
    assert [b[0][0, 0].item() for _, b in iterator] == [2, 3]


def test_epoch_iterator_rejects_bad_steps():
    with pytest.raises(ValueError, match="Received: 0"):
        EpochIterator(np.zeros(2), steps_per_epoch=0)


def test_no_warning_for_a_plain_epoch():
    iterator = EpochIterator(np.zeros((5, 1)), batch_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [s for s, _ in iterator] == [0, 1, 2]
        assert [s for s, _ in iterator] == [0, 1, 2]


def test_map_structure_keeps_none():
    assert data_adapters.map_structure(lambda v: v + 1, (1, None, [2])) == (2, None, [3])
