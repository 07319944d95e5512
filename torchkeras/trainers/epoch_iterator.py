"""`EpochIterator`: one epoch of `(step, batch)` pairs over a data adapter, as Keras's
`keras/src/trainers/epoch_iterator.py` steps through data.

With `steps_per_epoch`, an epoch stops after that many batches and the next epoch continues from where
it stopped (a fresh pass starts only when the data is used up), as in Keras. When the data runs out
before `steps_per_epoch` batches, the epoch ends early with Keras's warning.
"""

import warnings

from torchkeras.trainers import data_adapters


class EpochIterator:
    """Yields `(step, batch)` for one epoch each time it is iterated.

    Args:
        x, y, sample_weight, batch_size, shuffle, class_weight: As for `fit`.
        steps_per_epoch: Optional number of batches per epoch.
        device: The device the batches are moved to (the model's).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None, shuffle=False,
                 class_weight=None, device=None):
        if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool) or not isinstance(
                steps_per_epoch, int) or steps_per_epoch <= 0):
            raise ValueError(
                "Argument `steps_per_epoch` (or `steps`) must be a positive integer or None. "
                f"Received: {steps_per_epoch!r}"
            )
        self.steps_per_epoch = steps_per_epoch
        self.device = device
        self.data_adapter = data_adapters.get_data_adapter(
            x, y, sample_weight=sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
            shuffle=shuffle, class_weight=class_weight)
        self._num_batches = self.data_adapter.num_batches
        self._current_iterator = None
        self._steps_seen = 0
        self.exhausted = False  # a one-shot source (generator) has nothing left

    def _interrupted_warning(self):
        warnings.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches.",
            stacklevel=3,
        )

    def reset(self):
        self._current_iterator = None
        self._num_batches = self.data_adapter.num_batches
        self._steps_seen = 0

    def _new_iterator(self):
        self._steps_seen = 0
        return iter(self.data_adapter.get_iterator(self.device))

    def __iter__(self):
        self.data_adapter.on_epoch_begin()
        one_shot = self.data_adapter.is_one_shot
        steps = self.steps_per_epoch or self._num_batches
        if steps:
            if self._current_iterator is None or self.steps_per_epoch is None and not one_shot:
                self._current_iterator = self._new_iterator()
            for step in range(steps):
                if self._num_batches and self._steps_seen >= self._num_batches:
                    if self.steps_per_epoch:
                        self._interrupted_warning()
                    break
                try:
                    batch = next(self._current_iterator)
                except StopIteration:
                    if self._num_batches is None:
                        self._num_batches = self._steps_seen
                    self._interrupted_warning()
                    self._current_iterator = None
                    self.exhausted = one_shot
                    break
                self._steps_seen += 1
                yield step, batch
            if self._num_batches and self._steps_seen >= self._num_batches:
                # The pass is used up: the next epoch starts a fresh one (created now, as Keras does).
                if one_shot:
                    self.exhausted = True
                else:
                    self._current_iterator = self._new_iterator()
        else:
            # Unknown size: the epoch is one pass (a generator continues where it stopped).
            if self._current_iterator is None or not one_shot:
                self._current_iterator = self._new_iterator()
            count = 0
            for batch in self._current_iterator:
                yield count, batch
                count += 1
            if count == 0:
                self.exhausted = True
                self._interrupted_warning()
            elif not one_shot:
                self._num_batches = count
        self.data_adapter.on_epoch_end()

    def first_batch(self):
        """A batch to build the model from, without using up any data (a generator's first batch is
        given again by the first epoch)."""
        return self.data_adapter.first_batch(self.device)

    @property
    def num_batches(self):
        """Batches per epoch: `steps_per_epoch`, else the data's, else `None` until a pass has ended."""
        if self.steps_per_epoch:
            return self.steps_per_epoch
        return self._num_batches
