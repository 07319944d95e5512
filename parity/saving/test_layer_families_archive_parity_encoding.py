"""`.keras` archives both ways for ReversibleEmbedding, CategoryEncoding and Discretization: see
`test_layer_families_archive_parity.py` and `archive_helpers.py` for what each case checks. The
ReversibleEmbedding layers are called both ways on their shared weights in one functional model; the adapted
Discretization layers are adapted by real Keras on fixed data, so the boundaries in Keras's archive (its
config: Keras saves no variables for the layer) are Keras's own."""

import contextlib
import types

import keras
import keras.src.layers.preprocessing.discretization as keras_discretization
import numpy as np

from parity.saving import archive_helpers as H

L = keras.layers


class _NoDataset:
    pass


@contextlib.contextmanager
def _keras_adapt_without_tensorflow():
    """Keras's `Discretization.adapt` asks `isinstance(data, tf.data.Dataset)` and so needs TensorFlow,
    which is not installed here: a stand-in whose Dataset nothing is an instance of lets Keras's own adapt
    code run unchanged on arrays."""
    original = keras_discretization.tf
    keras_discretization.tf = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=_NoDataset),
                                                    is_tensor=lambda x: False)
    try:
        yield
    finally:
        keras_discretization.tf = original


def _adapted(data, **kwargs):
    layer = L.Discretization(**kwargs)
    with _keras_adapt_without_tensorflow():
        layer.adapt(data)
    return layer


def reversible_embedding_lm():
    # A tiny language model: tied embeddings (mask_zero, soft-capped logits) and untied ones, each layer
    # called forward on token ids and in reverse on hidden states.
    ids = keras.Input((6,), dtype="int32", name="ids")
    tokens = L.ReversibleEmbedding(16, 8, mask_zero=True, logit_soft_cap=5.0, name="tokens")
    hidden = tokens(ids)
    hidden = L.Dense(8, activation="tanh", name="mix")(hidden)
    logits = tokens(hidden, reverse=True)
    untied = L.ReversibleEmbedding(12, 4, tie_weights=False, reverse_dtype="float32",
                                   embeddings_initializer="glorot_uniform", name="untied")
    side = L.Dense(4, name="side")(untied(ids))
    side_logits = untied(side, reverse=True)
    return keras.Model(ids, [logits, side_logits], name="reversible_embedding_lm")


def category_encoding_model():
    ids = keras.Input((5,), dtype="int32", name="ids")
    one = keras.Input((1,), dtype="int32", name="one")
    weights = keras.Input((5,), name="weights")
    multi_hot = L.CategoryEncoding(10, name="multi_hot")(ids)  # the default output_mode
    one_hot = L.CategoryEncoding(10, output_mode="one_hot", name="one_hot")(one)
    counts = L.CategoryEncoding(12, output_mode="count", name="counts")(ids)
    weighted = L.CategoryEncoding(10, output_mode="count", name="weighted")(ids, count_weights=weights)
    sequence = L.CategoryEncoding(10, output_mode="one_hot", name="sequence_one_hot")(ids)
    h = L.Concatenate(name="concat")([multi_hot, one_hot, counts, weighted])
    out = L.Dense(3, name="head")(h)
    seq_out = L.Dense(2, name="seq_head")(sequence)
    return keras.Model([ids, one, weights], [out, seq_out], name="category_encoding_model")


def discretization_model():
    rng = np.random.default_rng(11)
    x = keras.Input((4,), name="x")
    bins = _adapted((rng.standard_normal((200, 4)) * 1.5).astype("float32"), num_bins=5, name="adapted_int")
    ids = bins(x)
    embedded = L.Flatten(name="flatten")(L.Embedding(5, 3, name="bin_embedding")(ids))
    one_hot = L.Flatten(name="flatten_one_hot")(
        L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0], output_mode="one_hot", name="given_one_hot")(x))
    counts = _adapted(rng.uniform(-2, 2, size=(64, 4)).astype("float32"), num_bins=3, epsilon=0.05,
                      output_mode="count", name="adapted_count")(x)
    encoded = L.CategoryEncoding(5, output_mode="multi_hot", name="bins_multi_hot")(ids)
    h = L.Concatenate(name="concat")([embedded, one_hot, counts, encoded])
    return keras.Model(x, L.Dense(2, name="head")(h), name="discretization_model")


def sequential_encoding():
    return keras.Sequential([
        keras.Input((3,), name="x"),
        L.Discretization(bin_boundaries=[-0.5, 0.5], output_mode="multi_hot", name="bins"),
        L.Dense(2, name="head"),
    ], name="sequential_encoding")


CASES = {builder.__name__: builder for builder in [
    reversible_embedding_lm, category_encoding_model, discretization_model, sequential_encoding,
]}

(test_keras_archive_loads_in_torchkeras_and_back, test_model_config_matches_keras_both_ways,
 _fitted) = H.make_tests(CASES)


def test_adapted_boundaries_and_shared_weights_come_from_keras_archive(tmp_path_factory):
    """The adapted boundaries torchkeras reads are Keras's; the shared embeddings are one weight."""
    keras_model, keras_path, _ = _fitted("discretization_model", tmp_path_factory)
    model = H.load_keras_archive(keras_path)
    for name in ("adapted_int", "adapted_count"):
        expected = keras_model.get_layer(name).bin_boundaries
        assert model.get_layer(name).bin_boundaries == expected and len(expected) >= 2
        assert model.get_layer(name).weights == []
    keras_model, keras_path, _ = _fitted("reversible_embedding_lm", tmp_path_factory)
    model = H.load_keras_archive(keras_path)
    assert [w.path for w in model.get_layer("tokens").weights] == ["tokens/embeddings"]
    assert [w.path for w in model.get_layer("untied").weights] == ["untied/embeddings", "untied/reverse_embeddings"]
    for name in ("tokens", "untied"):
        for a, b in zip(keras_model.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(b, a)
