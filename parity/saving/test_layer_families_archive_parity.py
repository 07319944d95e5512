"""`.keras` archives both ways, one small fitted model per layer family (issue 8).

For every layer family, real Keras builds a small model with non-default constructor arguments, fits it for
one short epoch and saves it; torchkeras loads the archive and its predictions agree within 1e-4 on every
device; torchkeras saves the model (weights moved off Keras's values) and real Keras loads that archive,
predictions agreeing again. Model configs and each layer's `get_config()` are compared both ways. The
machinery is in `archive_helpers.py`; the recurrent and attention families are in
`test_layer_families_archive_parity_sequence.py`.
"""

import keras
import numpy as np
import pytest

from parity.saving import archive_helpers as H

L = keras.layers

pytestmark = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")


# ---------------------------------------------------------------------------------------------- core


def core_dense_einsum():
    x = keras.Input((6,), name="x")
    seq = keras.Input((4, 6), name="seq")
    a = L.Dense(5, activation="relu", use_bias=False, kernel_initializer="he_normal",
                kernel_regularizer=keras.regularizers.L2(1e-3), name="dense_relu")(x)
    a = L.Dense(4, activation="tanh", bias_initializer=keras.initializers.Constant(0.1),
                kernel_constraint=keras.constraints.MaxNorm(2.0), bias_constraint="non_neg",
                activity_regularizer="l1", name="dense_tanh")(a)
    a = L.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c", activation="sigmoid", name="einsum_2d")(a)
    a = L.Identity(name="identity")(a)
    a = L.Dense(3, trainable=False, name="dense_frozen")(a)
    b = L.Dense(3, name="dense_rank3")(seq)  # acts on the last axis
    b = L.EinsumDense("abc,cde->abde", output_shape=(4, 2, 3), bias_axes="de", name="einsum_4d")(b)
    b = L.EinsumDense("abcd,cd->ab", output_shape=(4,), name="einsum_contract")(b)
    return keras.Model([x, seq], [a, b], name="core_dense_einsum")


def core_embedding():
    ids = keras.Input((5,), dtype="int32", name="ids")
    e = L.Embedding(10, 4, embeddings_initializer=keras.initializers.RandomNormal(stddev=0.3),
                    embeddings_regularizer="l2", name="embedding")(ids)
    e = L.Flatten(name="flatten")(e)
    return keras.Model(ids, L.Dense(2, name="head")(e), name="core_embedding")


def core_masking_lstm():
    x = keras.Input((6, 3), name="x")
    m = L.Masking(mask_value=0.5, name="masking")(x)
    return keras.Model(x, L.LSTM(3, name="lstm")(m), name="core_masking_lstm")


def core_embedding_mask_zero_rnn():
    ids = keras.Input((6,), dtype="int32", name="ids")
    e = L.Embedding(10, 4, mask_zero=True, name="embedding")(ids)
    return keras.Model(ids, L.GRU(3, name="gru")(e), name="core_embedding_mask_zero")


def config_objects():
    # Initializers (seeded), regularizers and constraints with arguments, on layers of every family that
    # takes them: their configs must survive the archive both ways, and fitting applies the constraints.
    I, R, C = keras.initializers, keras.regularizers, keras.constraints
    x = keras.Input((5, 4), name="x")
    img = keras.Input((6, 6, 2), name="img")
    ids = keras.Input((3,), dtype="int32", name="ids")
    h = L.Dense(4, kernel_initializer=I.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=3),
                bias_initializer=I.TruncatedNormal(0.1, 0.2, seed=4),
                kernel_regularizer=R.OrthogonalRegularizer(0.01, "rows"),
                kernel_constraint=C.MinMaxNorm(0.1, 2.0, rate=0.5, axis=0), name="dense")(x)
    h = L.LSTM(3, return_sequences=True, kernel_initializer=I.GlorotNormal(seed=1),
               recurrent_initializer=I.Orthogonal(0.5, seed=2), bias_initializer=I.RandomUniform(-0.1, 0.1, seed=5),
               recurrent_regularizer=R.L1(0.01), recurrent_constraint=C.UnitNorm(axis=1), bias_constraint=C.NonNeg(),
               activity_regularizer=R.L2(1e-4), name="lstm")(h)
    h = L.GRU(3, return_sequences=True, kernel_initializer=I.HeUniform(seed=6),
              recurrent_initializer=I.Identity(gain=0.5), bias_regularizer=R.L1L2(0.01, 0.01), name="gru")(h)
    h = L.SimpleRNN(3, return_sequences=True, recurrent_initializer=I.LecunNormal(seed=7), name="simple_rnn")(h)
    h = L.PReLU(alpha_regularizer=R.L2(0.01), alpha_constraint=C.NonNeg(), name="prelu")(h)
    h = L.LayerNormalization(gamma_constraint=C.MaxNorm(3.0, axis=0), beta_regularizer=R.L1(0.001), name="ln")(h)
    h = L.BatchNormalization(gamma_regularizer=R.L2(0.01), beta_constraint=C.NonNeg(),
                             moving_mean_initializer=I.Constant(0.2), name="bn")(h)
    h = L.MultiHeadAttention(2, 2, kernel_regularizer=R.L2(0.01), bias_constraint=C.NonNeg(),
                             kernel_initializer=I.HeNormal(seed=8), name="mha")(h, h)
    i = L.Conv2D(3, 3, kernel_initializer=I.LecunUniform(seed=9), kernel_constraint=C.MaxNorm(2.0, axis=[0, 1, 2]),
                 name="conv")(img)
    i = L.DepthwiseConv2D(3, depthwise_regularizer=R.L2(0.01), depthwise_constraint=C.NonNeg(), name="depthwise")(i)
    i = L.SeparableConv2D(2, 1, pointwise_initializer=I.Ones(), pointwise_regularizer=R.L1(0.01),
                          depthwise_constraint=C.UnitNorm(), name="separable")(i)
    e = L.Embedding(10, 3, embeddings_constraint=C.UnitNorm(axis=1),
                    embeddings_initializer=I.RandomNormal(0.0, 0.5, seed=10), name="embedding")(ids)
    e = L.EinsumDense("abc,cd->abd", (3, 2), bias_axes="d", kernel_regularizer=R.L2(0.01),
                      kernel_constraint=C.NonNeg(), name="einsum")(e)
    return keras.Model([x, img, ids], [h, i, e], name="config_objects")


def sequential_lazy():
    # No Input: Keras builds it during fit and saves its build input shape.
    return keras.Sequential([L.Dense(4, activation="elu", name="d1"), L.LayerNormalization(name="ln"),
                             L.Dense(2, name="d2")], name="sequential_lazy")


sequential_lazy.sample_inputs = lambda: np.random.default_rng(0).standard_normal((H.BATCH, 5)).astype(np.float32)


def sequential_cnn():
    return keras.Sequential([
        keras.Input((8, 8, 3), name="image"),
        L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        L.BatchNormalization(name="bn"),
        L.MaxPooling2D(name="pool"),
        L.Dropout(0.25, name="drop"),
        L.Flatten(name="flatten"),
        L.Dense(3, activation="softmax", name="probs"),
    ], name="sequential_cnn")


def nested_shared():
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, L.Dense(3, activation="relu", name="inner_dense")(inner_in), name="inner")
    head = keras.Sequential([L.Dense(2, name="head_dense")], name="head")
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = L.Dense(4, name="shared")
    merged = L.Add(name="add")([inner(shared(a)), inner(shared(b))])
    return keras.Model([a, b], head(merged), name="nested_shared")


def deep_nesting():
    # A functional block inside a Sequential used twice inside a functional model, inside another one;
    # a frozen layer in a nested Sequential.
    block_in = keras.Input((4,), name="block_in")
    block = keras.Model(block_in, L.Dense(4, activation="relu", name="block_dense")(
        L.BatchNormalization(name="block_bn")(block_in)), name="block")
    frozen = keras.Sequential([L.Dense(4, name="f1"), L.Dense(4, trainable=False, name="f2")], name="frozen")
    inner = keras.Sequential([keras.Input((4,)), block, L.Dropout(0.1, name="drop"), frozen], name="inner")
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    ya, yb = inner(a), inner(b)
    mid = keras.Model([a, b], [L.Add(name="add")([ya, yb]), ya], name="mid")
    outer = keras.Sequential([keras.Input((4,), name="outer_in"), L.Dense(4, name="pre"), L.Identity(name="id")],
                             name="outer")
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    summed, first = mid([outer(x), y])
    return keras.Model([x, y], [L.Dense(2, name="head")(summed), first], name="deep_nesting")


# --------------------------------------------------------------------------------------- activations


# Every Keras activation that takes a tensor alone (`glu` halves the last axis, `threshold` needs arguments).
ACTIVATION_NAMES = ["gelu", "hard_sigmoid", "swish", "silu", "selu", "softplus", "mish", "hard_silu", "relu6",
                    "log_softmax", "softmax", "celu", "sparsemax", "sparse_plus", "squareplus", "soft_shrink",
                    "hard_shrink", "tanh_shrink", "hard_tanh", "log_sigmoid", "sparse_sigmoid", "softsign",
                    "exponential", "elu", "leaky_relu", "relu", "sigmoid", "tanh", "linear"]


def activations():
    x = keras.Input((4, 6), name="x")
    h = L.Dense(6, name="dense")(x)
    outs = [
        L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2, name="relu")(h),
        L.LeakyReLU(negative_slope=0.2, name="leaky")(h),
        L.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1], name="prelu")(h),
        L.ELU(alpha=0.5, name="elu")(h),
        L.Softmax(axis=1, name="softmax")(h),
    ] + [L.Activation(name, name=f"activation_{name}")(h) for name in ACTIVATION_NAMES]
    return keras.Model(x, L.Concatenate(name="cat")(outs), name="activations")


# ------------------------------------------------------------------------------------------- merging


def merging():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    s = keras.Input((3, 4), name="s")
    t = keras.Input((5, 4), name="t")
    da = L.Dense(4, name="da")(a)
    db = L.Dense(4, name="db")(b)
    outs = [
        L.Add(name="add")([da, db, a]),
        L.Subtract(name="subtract")([da, db]),
        L.Multiply(name="multiply")([da, db]),
        L.Average(name="average")([da, db, b]),
        L.Maximum(name="maximum")([da, db]),
        L.Minimum(name="minimum")([da, db]),
        L.Dot(axes=1, normalize=True, name="cosine")([da, db]),
        L.Concatenate(axis=-1, name="cat_last")([da, db]),
    ]
    flat = L.Concatenate(name="cat_all")(outs)
    seq = L.Concatenate(axis=1, name="cat_time")([s, L.Dense(4, name="dt")(t)])
    dot = L.Dot(axes=(2, 2), name="dot_22")([s, t])
    return keras.Model([a, b, s, t], [flat, seq, dot], name="merging")


# ------------------------------------------------------------------------------------- convolutional


def conv1d():
    x = keras.Input((12, 3), name="x")
    h = L.Conv1D(4, 3, strides=2, padding="same", name="strided_same")(x)
    h = L.Conv1D(4, 3, dilation_rate=2, padding="causal", activation="relu", name="causal_dilated")(h)
    h = L.Conv1D(4, 2, groups=2, use_bias=False, name="grouped")(h)
    h = L.DepthwiseConv1D(3, depth_multiplier=2, dilation_rate=2, padding="same", name="depthwise")(h)
    h = L.SeparableConv1D(4, 3, depth_multiplier=2, padding="same", dilation_rate=2, name="separable")(h)
    h = L.Conv1DTranspose(3, 3, strides=2, padding="same", name="transpose_same")(h)
    h = L.Conv1DTranspose(2, 3, strides=2, output_padding=1, name="transpose_output_padding")(h)
    cf = L.Conv1D(3, 3, data_format="channels_first", padding="same", name="channels_first")(h)
    return keras.Model(x, [h, cf], name="conv1d")


def conv2d():
    x = keras.Input((9, 9, 3), name="x")
    h = L.Conv2D(4, 3, strides=2, padding="same", name="strided_same")(x)
    h = L.Conv2D(4, (2, 3), dilation_rate=(1, 2), padding="same", activation="relu", name="dilated")(h)
    h = L.Conv2D(6, 1, groups=2, name="grouped")(h)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", name="depthwise")(h)
    h = L.SeparableConv2D(5, 3, padding="same", depthwise_initializer="he_uniform", name="separable")(h)
    h = L.Conv2DTranspose(3, 3, strides=2, padding="same", name="transpose_same")(h)
    h = L.Conv2DTranspose(2, (3, 2), strides=(2, 1), output_padding=(1, 0), name="transpose_output_padding")(h)
    h = L.Conv2DTranspose(2, 3, dilation_rate=2, name="transpose_dilated")(h)
    return keras.Model(x, h, name="conv2d")


def conv2d_channels_first():
    x = keras.Input((3, 8, 7), name="x")
    kw = {"data_format": "channels_first"}
    h = L.Conv2D(4, 3, strides=2, padding="same", name="conv", **kw)(x)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise", **kw)(h)
    h = L.SeparableConv2D(4, 3, padding="same", name="separable", **kw)(h)
    h = L.Conv2DTranspose(3, 3, strides=2, padding="same", name="transpose", **kw)(h)
    h = L.BatchNormalization(axis=1, name="bn")(h)
    h = L.MaxPooling2D(2, name="pool", **kw)(h)
    return keras.Model(x, L.Flatten(name="flatten", **kw)(h), name="conv2d_channels_first")


def conv3d():
    x = keras.Input((5, 6, 6, 2), name="x")
    h = L.Conv3D(3, 3, strides=(1, 2, 2), padding="same", name="strided_same")(x)
    h = L.Conv3D(3, (1, 2, 2), dilation_rate=(1, 1, 2), activation="relu", name="dilated")(h)
    h = L.Conv3DTranspose(2, (2, 3, 3), strides=2, padding="same", name="transpose")(h)
    cf = L.Conv3D(2, 2, data_format="channels_first", name="channels_first")(h)
    cft = L.Conv3DTranspose(2, 2, strides=2, data_format="channels_first", name="transpose_channels_first")(cf)
    return keras.Model(x, [h, cft], name="conv3d")


def conv_variants():
    x = keras.Input((10, 9, 4), name="x")
    cf = keras.Input((4, 9, 10), name="cf")
    v = keras.Input((4, 5, 6, 3), name="v")
    s = keras.Input((11, 4), name="s")
    outs = [
        L.Conv2D(3, 4, strides=3, padding="same", name="even_kernel_stride3")(x),
        L.Conv2DTranspose(3, 4, strides=2, padding="same", output_padding=1, name="transpose_same_op")(x),
        L.DepthwiseConv2D((2, 3), strides=(2, 1), padding="same", data_format="channels_first",
                          name="depthwise_cf")(cf),
        L.SeparableConv2D(2, 3, strides=2, depth_multiplier=3, data_format="channels_first", name="sep_cf")(cf),
        L.Conv3D(2, 2, strides=2, padding="same", data_format="channels_first", name="conv3d_cf_same")(v),
        L.Conv1DTranspose(3, 3, strides=2, padding="same", data_format="channels_first", name="t1d_cf")(s),
        L.SeparableConv1D(3, 2, strides=2, data_format="channels_first", name="sep1d_cf")(s),
        L.DepthwiseConv1D(2, strides=2, padding="same", data_format="channels_first", name="dw1d_cf")(s),
        L.Conv1D(3, 3, padding="causal", kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.02),
                 activity_regularizer="l2", name="causal_regularized")(s),
        L.Conv2D(4, 3, groups=2, padding="same", data_format="channels_first", name="grouped_cf")(cf),
    ]
    return keras.Model([x, cf, v, s], outs, name="conv_variants")


# ------------------------------------------------------------------------------------------- pooling


def pooling1d():
    x = keras.Input((11, 3), name="x")
    h = L.Conv1D(4, 2, name="conv")(x)
    outs = [
        L.MaxPooling1D(3, strides=2, padding="same", name="max_same")(h),
        L.AveragePooling1D(3, strides=2, padding="same", name="avg_same")(h),
        L.AveragePooling1D(2, name="avg_valid")(h),
        L.MaxPooling1D(2, data_format="channels_first", name="max_channels_first")(h),
        L.GlobalMaxPooling1D(keepdims=True, name="gmax")(h),
        L.GlobalAveragePooling1D(name="gavg")(h),
        L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True, name="gavg_channels_first")(h),
        L.AdaptiveAveragePooling1D(4, name="adaptive_avg")(h),
        L.AdaptiveMaxPooling1D(3, name="adaptive_max")(h),
    ]
    return keras.Model(x, outs, name="pooling1d")


def pooling2d():
    x = keras.Input((9, 8, 2), name="x")
    h = L.Conv2D(3, 2, name="conv")(x)
    outs = [
        L.MaxPooling2D((3, 2), strides=(2, 1), padding="same", name="max_same")(h),
        L.AveragePooling2D(3, strides=2, padding="same", name="avg_same")(h),
        L.AveragePooling2D((2, 3), name="avg_valid")(h),
        L.MaxPooling2D(2, data_format="channels_first", name="max_channels_first")(h),
        L.GlobalMaxPooling2D(keepdims=True, name="gmax")(h),
        L.GlobalAveragePooling2D(name="gavg")(h),
        L.GlobalMaxPooling2D(data_format="channels_first", name="gmax_channels_first")(h),
        L.AdaptiveAveragePooling2D((2, 3), name="adaptive_avg")(h),
        L.AdaptiveMaxPooling2D(3, name="adaptive_max")(h),
    ]
    return keras.Model(x, outs, name="pooling2d")


def pooling3d():
    x = keras.Input((6, 7, 5, 2), name="x")
    h = L.Conv3D(2, 2, name="conv")(x)
    outs = [
        L.MaxPooling3D(2, strides=(1, 2, 2), padding="same", name="max_same")(h),
        L.AveragePooling3D((2, 3, 2), padding="same", name="avg_same")(h),
        L.AveragePooling3D(2, name="avg_valid")(h),
        L.GlobalMaxPooling3D(name="gmax")(h),
        L.GlobalAveragePooling3D(keepdims=True, name="gavg")(h),
        L.AdaptiveAveragePooling3D((2, 2, 3), name="adaptive_avg")(h),
        L.AdaptiveMaxPooling3D(2, name="adaptive_max")(h),
    ]
    return keras.Model(x, outs, name="pooling3d")


def pool_reshape_variants():
    v_in = keras.Input((4, 6, 5, 3), name="v")
    i_in = keras.Input((3, 7, 6), name="i")
    v = L.Conv3D(4, 1, data_format="channels_first", name="conv3d_cf")(v_in)
    i = L.Conv2D(3, 1, data_format="channels_first", name="conv2d_cf")(i_in)
    outs = [
        L.AveragePooling3D(2, strides=(1, 2, 2), padding="same", data_format="channels_first", name="avg3d_cf")(v),
        L.MaxPooling3D((2, 2, 1), data_format="channels_first", name="max3d_cf")(v),
        L.GlobalAveragePooling3D(data_format="channels_first", name="gavg3d_cf")(v),
        L.AveragePooling2D(3, strides=2, padding="same", data_format="channels_first", name="avg2d_cf")(i),
        L.AdaptiveAveragePooling2D((2, 4), data_format="channels_first", name="adaptive_cf")(i),
        L.AdaptiveMaxPooling3D((1, 2, 3), data_format="channels_first", name="adaptive3d_cf")(v),
        L.ZeroPadding3D(1, data_format="channels_first", name="pad3d_cf")(v),
        L.Cropping3D(((0, 1), (1, 1), (2, 0)), data_format="channels_first", name="crop3d_cf")(v),
        L.UpSampling2D(2, interpolation="bilinear", data_format="channels_first", name="bilinear_cf")(i),
        L.UpSampling2D(3, interpolation="bicubic", name="bicubic")(i),
        L.Flatten(data_format="channels_first", name="flatten3d_cf")(v),
    ]
    return keras.Model([v_in, i_in], outs, name="pool_reshape_variants")


# ------------------------------------------------------------------------------------- normalization


def normalization():
    x = keras.Input((5, 6), name="x")
    h = L.Dense(6, name="dense")(x)
    outs = [
        L.BatchNormalization(momentum=0.5, epsilon=1e-2, name="bn")(h),
        L.BatchNormalization(axis=1, center=False, momentum=0.7, name="bn_axis1")(h),
        L.BatchNormalization(scale=False, beta_initializer="ones", name="bn_no_scale")(h),
        L.BatchNormalization(trainable=False, moving_variance_initializer=keras.initializers.Constant(2.0),
                             name="bn_frozen")(h),  # inference mode even in training
        L.LayerNormalization(axis=[1, 2], epsilon=1e-5, name="ln_two_axes")(h),
        L.LayerNormalization(center=False, gamma_initializer="random_uniform", name="ln_no_center")(h),
        L.LayerNormalization(rms_scaling=True, name="ln_rms")(h),
        L.GroupNormalization(groups=3, epsilon=1e-4, name="gn")(h),
        L.GroupNormalization(groups=-1, center=False, name="gn_instance")(h),
        L.RMSNormalization(epsilon=1e-5, name="rms")(h),
        L.UnitNormalization(axis=[1, 2], name="unit")(h),
        L.SpectralNormalization(L.Dense(6, name="sn_dense"), power_iterations=2, name="sn")(h),
    ]
    return keras.Model(x, outs, name="normalization")


def spectral_conv():
    x = keras.Input((6, 6, 2), name="x")
    h = L.SpectralNormalization(L.Conv2D(3, 3, name="sn_conv"), name="sn")(x)
    return keras.Model(x, L.BatchNormalization(momentum=0.5, name="bn")(h), name="spectral_conv")


def norm_variants():
    x = keras.Input((4, 5, 6), name="x")
    h = L.Conv2D(6, 1, name="conv")(x)
    outs = [
        L.BatchNormalization(axis=2, momentum=0.6, name="bn_axis2")(h),
        L.BatchNormalization(renorm=True, renorm_momentum=0.9, renorm_clipping={"rmax": 2.0, "rmin": 0.5, "dmax": 1.0},
                             name="bn_renorm")(h),
        L.LayerNormalization(epsilon=0.1, name="ln_big_epsilon")(h),
        L.LayerNormalization(axis=[-2, -1], scale=False, beta_initializer="ones", name="ln_no_scale")(h),
        L.GroupNormalization(groups=2, axis=1, name="gn_axis1")(h),
        L.GroupNormalization(groups=3, scale=False, gamma_regularizer=None, name="gn_no_scale")(h),
        L.RMSNormalization(axis=[2, 3], name="rms_two_axes")(h),
        L.UnitNormalization(axis=-1, name="unit_last")(h),
        L.SpectralNormalization(L.Conv2D(2, 2, name="sn_conv2"), power_iterations=3, name="sn")(h),
    ]
    return keras.Model(x, outs, name="norm_variants")


# ----------------------------------------------------------------------------------------- reshaping


def reshaping1d():
    x = keras.Input((6, 3), name="x")
    h = L.Dense(3, name="dense")(x)
    outs = [
        L.ZeroPadding1D((1, 2), name="pad")(h),
        L.ZeroPadding1D(2, data_format="channels_first", name="pad_channels_first")(h),
        L.Cropping1D((2, 1), name="crop")(h),
        L.UpSampling1D(3, name="up")(h),
        L.Flatten(name="flatten")(h),
        L.Reshape((-1, 2), name="reshape")(h),
        L.Permute((2, 1), name="permute")(h),
        L.RepeatVector(3, name="repeat")(L.Flatten(name="flatten_2")(h)),
    ]
    return keras.Model(x, outs, name="reshaping1d")


def reshaping2d():
    x = keras.Input((5, 6, 2), name="x")
    h = L.Conv2D(3, 1, name="conv")(x)
    outs = [
        L.ZeroPadding2D(((1, 0), (2, 1)), name="pad")(h),
        L.ZeroPadding2D(1, data_format="channels_first", name="pad_channels_first")(h),
        L.Cropping2D(((1, 0), (0, 2)), name="crop")(h),
        L.Cropping2D(1, data_format="channels_first", name="crop_channels_first")(h),
        L.UpSampling2D((2, 1), name="up_nearest")(h),
        L.UpSampling2D(2, interpolation="bilinear", name="up_bilinear")(h),
        L.UpSampling2D(2, data_format="channels_first", name="up_channels_first")(h),
        L.Flatten(data_format="channels_first", name="flatten_channels_first")(h),
        L.Permute((3, 1, 2), name="permute")(h),
    ]
    return keras.Model(x, outs, name="reshaping2d")


def reshaping3d():
    x = keras.Input((4, 5, 3, 2), name="x")
    h = L.Conv3D(2, 1, name="conv")(x)
    outs = [
        L.ZeroPadding3D(((1, 0), (0, 1), (2, 1)), name="pad")(h),
        L.Cropping3D(((1, 0), (1, 2), (0, 1)), name="crop")(h),
        L.UpSampling3D((1, 2, 2), name="up")(h),
        L.UpSampling3D(2, data_format="channels_first", name="up_channels_first")(h),
        L.Reshape((4, 30), name="reshape")(h),
    ]
    return keras.Model(x, outs, name="reshaping3d")


# ------------------------------------------------------------------------------------ regularization


def regularization():
    x = keras.Input((6, 4), name="x")
    img = keras.Input((4, 4, 3), name="img")
    vol = keras.Input((3, 3, 3, 2), name="vol")
    h = L.Dense(4, name="dense")(x)
    h = L.Dropout(0.3, noise_shape=(None, 1, 4), seed=1, name="dropout")(h)
    h = L.SpatialDropout1D(0.2, seed=2, name="spatial1d")(h)
    h = L.GaussianNoise(0.1, seed=3, name="gaussian_noise")(h)
    h = L.GaussianDropout(0.2, seed=4, name="gaussian_dropout")(h)
    h = L.AlphaDropout(0.2, seed=5, name="alpha_dropout")(h)
    h = L.ActivityRegularization(l1=0.01, l2=0.02, name="activity")(h)
    i = L.Conv2D(2, 1, name="conv2d")(img)
    i = L.SpatialDropout2D(0.3, data_format="channels_first", name="spatial2d")(i)
    v = L.Conv3D(2, 1, name="conv3d")(vol)
    v = L.SpatialDropout3D(0.3, name="spatial3d")(v)
    return keras.Model([x, img, vol], [h, i, v], name="regularization")


CASES = {builder.__name__: builder for builder in [
    core_dense_einsum, core_embedding, core_masking_lstm, core_embedding_mask_zero_rnn, config_objects,
    sequential_cnn, sequential_lazy, nested_shared, deep_nesting, activations, merging, conv1d, conv2d,
    conv2d_channels_first, conv3d, conv_variants, pooling1d, pooling2d, pooling3d, pool_reshape_variants,
    normalization, spectral_conv, norm_variants, reshaping1d, reshaping2d, reshaping3d, regularization,
]}

(test_keras_archive_loads_in_torchkeras_and_back, test_model_config_matches_keras_both_ways,
 _fitted) = H.make_tests(CASES)


@pytest.mark.parametrize("case", ["normalization", "spectral_conv", "conv2d_channels_first", "norm_variants"])
def test_training_call_updates_state_as_keras(case, device, tmp_path_factory):
    _, keras_path, x = _fitted(case, tmp_path_factory)
    H.check_training_call(keras_path, x, device, case)


def test_fit_moved_batch_norm_statistics(tmp_path_factory):
    # The normalization case means something only if fitting moved the moving statistics off their
    # initial values, so that the archive carries training-updated state.
    keras_model, _, _ = _fitted("normalization", tmp_path_factory)
    for name in ["bn", "bn_axis1", "bn_no_scale"]:
        layer = keras_model.get_layer(name)
        mean = keras.ops.convert_to_numpy(layer.moving_mean)
        variance = keras.ops.convert_to_numpy(layer.moving_variance)
        assert np.abs(mean).min() > 1e-4 and np.abs(variance - 1).min() > 1e-4, name
