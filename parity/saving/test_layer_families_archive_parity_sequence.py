"""`.keras` archives both ways for the recurrent and attention families (issue 8), masks included: see
`test_layer_families_archive_parity.py` and `archive_helpers.py` for what each case checks. The last test
checks that every public layer of torchkeras.layers is in a case of one of the two files."""

import keras
import pytest

from parity.saving import archive_helpers as H

L = keras.layers


# ----------------------------------------------------------------------------------------------- rnn


def rnn_layers():
    x = keras.Input((5, 3), name="x")
    h = L.SimpleRNN(4, activation="relu", use_bias=False, return_sequences=True, go_backwards=True,
                    name="simple_rnn")(x)
    h = L.LSTM(3, return_sequences=True, unit_forget_bias=False, recurrent_activation="hard_sigmoid",
               dropout=0.1, recurrent_dropout=0.1, seed=1, name="lstm")(h)
    h = L.GRU(3, return_sequences=True, activation="relu", name="gru_reset_after")(h)
    last = L.GRU(2, reset_after=False, go_backwards=True, name="gru_reset_before")(h)
    seq, state_h, state_c = L.LSTM(2, return_sequences=True, return_state=True, name="lstm_state")(h)
    gru_seq, gru_state = L.GRU(2, return_state=True, name="gru_state")(seq, initial_state=[state_h])
    states = L.Concatenate(name="states")([last, state_h, state_c, gru_seq, gru_state])
    return keras.Model(x, [seq, states], name="rnn_layers")


def rnn_cells():
    x = keras.Input((4, 3), name="x")
    outs = [
        L.RNN(L.SimpleRNNCell(3, activation="sigmoid", name="simple_cell"), name="rnn_simple")(x),
        L.RNN(L.LSTMCell(2, use_bias=False, name="lstm_cell"), return_sequences=True, name="rnn_lstm")(x),
        L.RNN(L.GRUCell(2, reset_after=False, name="gru_cell"), go_backwards=True, unroll=True,
              name="rnn_gru")(x),
        L.RNN(L.StackedRNNCells([L.LSTMCell(3, name="stacked_lstm"), L.GRUCell(2, name="stacked_gru")],
                                name="stacked"), name="rnn_stacked")(x),
    ]
    return keras.Model(x, outs, name="rnn_cells")


def bidirectional():
    x = keras.Input((5, 3), name="x")
    outs = [
        L.Bidirectional(L.LSTM(2, return_sequences=True, name="lstm"), merge_mode="concat", name="bi_concat")(x),
        L.Bidirectional(L.GRU(2, reset_after=False, name="gru"), merge_mode="sum", name="bi_sum")(x),
        L.Bidirectional(L.SimpleRNN(2, return_sequences=True, name="forward_rnn"), merge_mode="mul",
                        backward_layer=L.SimpleRNN(2, return_sequences=True, go_backwards=True,
                                                   activation="relu", name="backward_rnn"), name="bi_mul")(x),
        L.Bidirectional(L.GRU(2, name="gru_ave"), merge_mode="ave", name="bi_ave")(x),
    ]
    forward, backward = L.Bidirectional(L.LSTM(2, name="lstm_none"), merge_mode=None, name="bi_none")(x)
    return keras.Model(x, outs + [forward, backward], name="bidirectional")


def time_distributed():
    seq = keras.Input((4, 6), name="seq")
    frames = keras.Input((3, 6, 6, 2), name="frames")
    a = L.TimeDistributed(L.Dense(3, activation="relu", name="dense"), name="td_dense")(seq)
    b = L.TimeDistributed(L.Conv2D(2, 3, strides=2, padding="same", name="conv"), name="td_conv")(frames)
    b = L.TimeDistributed(L.BatchNormalization(momentum=0.5, name="bn"), name="td_bn")(b)
    b = L.TimeDistributed(L.MaxPooling2D(name="pool"), name="td_pool")(b)
    b = L.TimeDistributed(L.Flatten(name="flatten"), name="td_flatten")(b)
    return keras.Model([seq, frames], [a, L.LSTM(2, name="lstm")(b)], name="time_distributed")


def conv_lstm():
    x1 = keras.Input((4, 6, 2), name="x1")
    x2 = keras.Input((3, 5, 5, 2), name="x2")
    x2f = keras.Input((3, 2, 5, 4), name="x2f")
    x3 = keras.Input((2, 3, 4, 3, 1), name="x3")
    outs = [
        L.ConvLSTM1D(2, 3, padding="same", return_sequences=True, name="conv_lstm1d")(x1),
        L.ConvLSTM1D(2, 2, dilation_rate=2, go_backwards=True, name="conv_lstm1d_dilated")(x1),
        L.ConvLSTM2D(2, 3, strides=2, padding="same", recurrent_activation="hard_sigmoid",
                     unit_forget_bias=False, name="conv_lstm2d")(x2),
        L.ConvLSTM2D(2, (2, 3), data_format="channels_first", return_sequences=True,
                     name="conv_lstm2d_channels_first")(x2f),
        L.ConvLSTM3D(1, 2, padding="same", name="conv_lstm3d")(x3),
    ]
    return keras.Model([x1, x2, x2f, x3], outs, name="conv_lstm")


def rnn_variants():
    x = keras.Input((5, 3), name="x")
    outs = [
        L.LSTM(3, unroll=True, return_sequences=True, go_backwards=True, name="lstm_unrolled")(x),
        L.GRU(2, reset_after=False, return_sequences=True, go_backwards=True, recurrent_dropout=0.2, name="gru_b")(x),
        L.SimpleRNN(3, dropout=0.3, unroll=True, name="srnn_unrolled")(x),
    ]
    bi = L.Bidirectional(L.LSTM(2, return_state=True, name="lstm_state"), name="bi_state")(x)
    outs += list(bi)
    outs.append(L.TimeDistributed(L.Bidirectional(L.GRU(2, name="g")), name="td_bi")(L.Reshape((5, 3, 1))(x)))
    c = keras.Input((3, 2, 5, 4), name="c")
    seq, h, cs = L.ConvLSTM2D(2, 3, padding="same", data_format="channels_first", return_state=True,
                              return_sequences=True, dropout=0.1, name="convlstm_state")(c)
    outs += [seq, h, cs]
    return keras.Model([x, c], outs, name="rnn_variants")


def rnn_wrappers():
    x = keras.Input((4, 3), name="x")
    c1 = keras.Input((3, 2, 6), name="c1")
    c3 = keras.Input((2, 4, 4, 4, 1), name="c3")
    frames = keras.Input((2, 2, 5, 5), name="frames")
    outs = [
        L.RNN([L.LSTMCell(3, name="cell_a"), L.SimpleRNNCell(2, name="cell_b")], return_sequences=True,
              name="rnn_cell_list")(x),
        L.Bidirectional(L.RNN(L.GRUCell(2, name="gru_cell"), name="rnn_gru"), name="bi_rnn")(x),
        L.ConvLSTM1D(2, 3, data_format="channels_first", padding="same", return_sequences=True,
                     name="conv_lstm1d_channels_first")(c1),
        L.ConvLSTM3D(1, 2, strides=2, name="conv_lstm3d_strided")(c3),
        L.TimeDistributed(L.Conv2D(2, 3, data_format="channels_first", name="conv"), name="td_conv")(frames),
        L.TimeDistributed(L.GlobalAveragePooling2D(data_format="channels_first", name="gap"), name="td_gap")(frames),
    ]
    return keras.Model([x, c1, c3, frames], outs, name="rnn_wrappers")


def masked_variants():
    ids = keras.Input((6,), dtype="int32", name="ids")
    e = L.Embedding(10, 4, mask_zero=True, name="emb")(ids)
    outs = [
        L.Bidirectional(L.LSTM(2, return_sequences=True, name="l"), name="bi")(e),
        L.GlobalAveragePooling1D(name="gap")(e),
        L.Attention(name="att")([e, e]),
        # Its own masked input: Keras's MultiHeadAttention strips the mask off the tensors it is called on
        # (`set_keras_mask(query, None)`), so a layer sharing them that Keras runs later sees no mask.
        L.MultiHeadAttention(2, 2, name="mha")(*[L.Embedding(10, 4, mask_zero=True, name="emb_mha")(ids)] * 2),
        L.TimeDistributed(L.Dense(3, name="d"), name="td")(e),
        L.GRU(2, name="gru")(L.Dense(4, name="dd")(e)),
    ]
    return keras.Model(ids, outs, name="masked_variants")


def masked_merges():
    # A merge's mask reaches a layer that takes it, so Keras writes the mask's computation into the
    # config as operation nodes (`Concatenate`'s: `OnesLike`, `ZerosLike`, `ExpandDims`, `All`, ...).
    a = keras.Input((6,), dtype="int32", name="a")
    b = keras.Input((6,), dtype="int32", name="b")
    ea = L.Embedding(10, 4, mask_zero=True, name="emb_a")(a)
    eb = L.Embedding(10, 4, mask_zero=True, name="emb_b")(b)
    plain = L.Dense(4, name="d")(L.Embedding(10, 4, name="emb_plain")(b))
    outs = [
        L.GlobalAveragePooling1D(name="gap_cat")(L.Concatenate(name="cat")([ea, plain])),
        L.LSTM(2, name="lstm_cat_time")(L.Concatenate(axis=1, name="cat_time")([ea, eb])),
        L.GlobalAveragePooling1D(name="gap_add")(L.Add(name="add")([ea, eb])),
        L.GRU(2, name="gru_max")(L.Maximum(name="max")([ea, plain])),
        L.GlobalAveragePooling1D(name="gap_mul")(L.Multiply(name="mul")([ea, eb])),
    ]
    return keras.Model([a, b], outs, name="masked_merges")


# ----------------------------------------------------------------------------------------- attention


def dot_attention():
    q = keras.Input((4, 6), name="q")
    v = keras.Input((5, 6), name="v")
    k = keras.Input((5, 6), name="k")
    qd = L.Dense(6, name="q_proj")(q)
    outs = [
        L.Attention(use_scale=True, name="scaled")([qd, v, k]),
        L.Attention(score_mode="concat", dropout=0.2, seed=1, name="concat")([qd, v]),
        L.Attention(name="causal")([qd, qd], use_causal_mask=True),
        L.AdditiveAttention(name="additive")([qd, v, k]),
        L.AdditiveAttention(use_scale=False, name="additive_unscaled")([qd, v]),
    ]
    scored, scores = L.Attention(name="with_scores")([qd, v], return_attention_scores=True)
    return keras.Model([q, v, k], outs + [scored, scores], name="dot_attention")


def multi_head_attention():
    q = keras.Input((4, 6), name="q")
    v = keras.Input((5, 3), name="v")
    k = keras.Input((5, 2), name="k")
    v6 = keras.Input((5, 6), name="v6")
    grid = keras.Input((3, 4, 5), name="grid")
    outs = [
        L.MultiHeadAttention(2, 3, value_dim=4, output_shape=5, kernel_initializer="he_normal",
                             bias_initializer=keras.initializers.Constant(0.1), name="mha_qvk")(q, v, k),
        L.MultiHeadAttention(2, 2, use_bias=False, dropout=0.1, name="mha_causal")(q, q, use_causal_mask=True),
        L.MultiHeadAttention(2, 2, attention_axes=(1, 2), name="mha_2d_axes")(grid, grid),
        L.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, name="gqa")(q, v6, v6),
        L.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1, use_bias=False,
                              use_gate=True, sliding_window=2, name="gqa_causal")(q, q, use_causal_mask=True),
    ]
    attended, scores = L.MultiHeadAttention(1, 4, name="mha_scores")(q, q, return_attention_scores=True)
    return keras.Model([q, v, k, v6, grid], outs + [attended, scores], name="multi_head_attention")


def attention_variants():
    q = keras.Input((4, 6), name="q")
    v = keras.Input((5, 6), name="v")
    m = keras.Input((4, 5), dtype="bool", name="m")
    outs = [
        L.MultiHeadAttention(2, 3, name="mha_mask")(q, v, attention_mask=m),
        L.GroupQueryAttention(3, 2, 1, name="gqa_mask")(q, v, attention_mask=m),
    ]
    return keras.Model([q, v, m], outs, name="attention_variants")


CASES = {builder.__name__: builder for builder in [
    rnn_layers, rnn_cells, bidirectional, time_distributed, conv_lstm, rnn_variants, rnn_wrappers, masked_variants,
    masked_merges,
    dot_attention, multi_head_attention, attention_variants,
]}

(test_keras_archive_loads_in_torchkeras_and_back, test_model_config_matches_keras_both_ways,
 _fitted) = H.make_tests(CASES)


def test_training_call_updates_state_as_keras(device, tmp_path_factory):
    _, keras_path, x = _fitted("time_distributed", tmp_path_factory)  # BatchNormalization in TimeDistributed
    H.check_training_call(keras_path, x, device, "time_distributed")


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_every_public_layer_is_in_a_case():
    """Every public layer class of torchkeras.layers is in some case's model (wrapped layers and cells
    included), so a new layer without an archive check fails here. `Lambda` is left out (its config holds
    Python bytecode, which torchkeras does not run), and so are the abstract `Layer` and `Wrapper`."""
    import inspect

    import importlib
    import pathlib

    import torchkeras

    # Every other `test_layer_families_archive_parity_*` module of this folder, each with its `CASES`.
    other_families = [importlib.import_module(f"parity.saving.{path.stem}")
                      for path in sorted(pathlib.Path(__file__).parent.glob("test_layer_families_archive_parity*.py"))
                      if path.stem != pathlib.Path(__file__).stem]

    used = set()

    def visit(layer):
        used.add(type(layer).__name__)
        for sub in list(getattr(layer, "layers", None) or []) + list(getattr(layer, "cells", None) or []):
            visit(sub)
        for attribute in ("layer", "forward_layer", "backward_layer", "cell"):
            sub = getattr(layer, attribute, None)
            if isinstance(sub, keras.layers.Layer):
                visit(sub)

    for builder in [b for module in other_families for b in module.CASES.values()] + list(CASES.values()):
        visit(builder())
    public = {cls.__name__ for name in dir(torchkeras.layers)
              if inspect.isclass(cls := getattr(torchkeras.layers, name)) and issubclass(cls, torchkeras.layers.Layer)}
    assert sorted(public - used - {"Layer", "Wrapper", "Lambda"}) == []
