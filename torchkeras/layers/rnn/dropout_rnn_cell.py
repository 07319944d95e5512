"""`DropoutRNNCell`: Keras's mixin that gives an RNN cell one dropout mask per sequence.

A cell that mixes it in (`class MyCell(Layer, DropoutRNNCell)`) has the attributes `dropout` and
`recurrent_dropout` (rates in `[0, 1]`) and `seed` (`None` or an int), and optionally `dropout_mask_count`
(several independent masks, one per gate, as Keras's `implementation=1` LSTM/GRU cells use). In its
`call` it asks `get_dropout_mask(step_input)` / `get_recurrent_dropout_mask(state)`: the first call of a
sequence draws the mask, later steps get the same one, and the `RNN` layer clears them after the
sequence (`reset_dropout_mask()` / `reset_recurrent_dropout_mask()`), as Keras does.

The masks live in a plain dict (not tensor attributes of the module) so that a `torch.compile`d RNN
loop has no graph breaks. With a `seed`, masks come from the cell's own generator (one per device);
without one, or under `torch.compile`, from torch's global RNG. Keras's and torch's random streams
differ, so masks are equal in distribution to Keras's, not bit for bit.
"""

import torch
import torch.nn.functional as F



def dropout_mask(like, rate, generator=None):
    """A Keras dropout mask shaped like `like`: `1 / (1 - rate)` with probability `1 - rate`, else 0
    (all zeros for `rate >= 1`)."""
    ones = torch.ones_like(like)
    if rate >= 1:
        return torch.zeros_like(like)
    if generator is None:
        return F.dropout(ones, p=float(rate), training=True)
    keep = torch.empty_like(ones).bernoulli_(1.0 - float(rate), generator=generator)
    return keep / (1.0 - float(rate))


class DropoutRNNCell:
    """Mixin holding the dropout masks of an RNN cell: one mask (or `dropout_mask_count` masks) per
    sequence, reused at every timestep.

    This is not a standalone cell; it is mixed into a cell (`class LSTMCell(Layer, DropoutRNNCell)`)
    that defines `dropout`, `recurrent_dropout` (floats in `[0, 1]`) and `seed` (`None` or an int).
    """

    def _dropout_cache(self):
        cache = self.__dict__.get("_rnn_dropout_masks")
        if cache is None:
            cache = {}
            self.__dict__["_rnn_dropout_masks"] = cache
        return cache

    def _dropout_generator(self, device):
        seed = getattr(self, "seed", None)
        if seed is None or torch.compiler.is_compiling():
            return None
        generators = self.__dict__.setdefault("_rnn_dropout_generators", {})
        generator = generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(int(seed))
            generators[device] = generator
        return generator

    def _create_dropout_mask(self, step_input, dropout_rate):
        count = getattr(self, "dropout_mask_count", None)
        generator = self._dropout_generator(step_input.device)
        if count is None:
            return dropout_mask(step_input, dropout_rate, generator)
        return [dropout_mask(step_input, dropout_rate, generator) for _ in range(count)]

    def get_dropout_mask(self, step_input):
        """The input dropout mask of the current sequence (drawn on first use); `None` if `dropout` is 0."""
        cache = self._dropout_cache()
        mask = cache.get("dropout")
        if mask is None and self.dropout > 0:
            mask = self._create_dropout_mask(step_input, self.dropout)
            cache["dropout"] = mask
        return mask

    def get_recurrent_dropout_mask(self, step_input):
        """The recurrent dropout mask of the current sequence; `None` if `recurrent_dropout` is 0."""
        cache = self._dropout_cache()
        mask = cache.get("recurrent_dropout")
        if mask is None and self.recurrent_dropout > 0:
            mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
            cache["recurrent_dropout"] = mask
        return mask

    def reset_dropout_mask(self):
        """Forgets the cached input mask; the `RNN` layer calls it after each sequence."""
        self._dropout_cache().pop("dropout", None)

    def reset_recurrent_dropout_mask(self):
        self._dropout_cache().pop("recurrent_dropout", None)
