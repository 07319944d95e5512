"""Optimizers against real Keras (torch backend): same initial weights, same gradient sequence, N steps.

Each case runs in float32 (weights within 1e-6 relative of Keras's after every step) and in float64, where
rounding noise is ~1e-16 and the accumulated *displacement* `w - w0` must match Keras's to 1e-9 relative:
a formula that differs from Keras's anywhere (an epsilon moved, a bias correction missed) shows there even
when the weights themselves barely move. The optimizer's own variables (iteration, learning rate, slots, in
Keras's order) are compared too.
"""

import copy
import os

import numpy as np
import pytest
import torch

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from torchkeras import layers  # noqa: E402
from torchkeras import optimizers  # noqa: E402

N_STEPS = 5
SHAPES = [(3, 4), (5,), (2, 3, 2)]
# Per-variable gradient scales: ordinary, tiny (epsilon matters), large (clipping bites).
GRAD_SCALES = [1.0, 1e-4, 10.0]


class Sched:
    """A learning rate schedule to build on each side."""

    def __init__(self, class_name, **kwargs):
        self.class_name, self.kwargs = class_name, kwargs

    def make(self, module):
        return getattr(module.schedules, self.class_name)(**self.kwargs)

    def __repr__(self):
        return f"{self.class_name}({self.kwargs})"


CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": Sched("ExponentialDecay", initial_learning_rate=0.1, decay_steps=2,
                                    decay_rate=0.5, staircase=True), "momentum": 0.9}),
    ("SGD", {"learning_rate": Sched("PiecewiseConstantDecay", boundaries=[1, 3], values=[0.1, 0.05, 0.01])}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.2}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.1, "epsilon": 1e-2}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 2}),
    ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    ("Adam", {"learning_rate": 0.01, "loss_scale_factor": 8.0}),
    ("Adam", {"learning_rate": Sched("CosineDecay", initial_learning_rate=0.0, decay_steps=4, alpha=0.1,
                                     warmup_target=0.05, warmup_steps=2)}),
    ("Adam", {"learning_rate": Sched("PolynomialDecay", initial_learning_rate=0.05, decay_steps=3, power=2.0),
              "weight_decay": 0.5}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.02, "weight_decay": 0.1, "amsgrad": True, "clipnorm": 1.0}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-3}),
    ("RMSprop", {"learning_rate": Sched("InverseTimeDecay", initial_learning_rate=0.01, decay_steps=1,
                                        decay_rate=0.5), "global_clipnorm": 2.0}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 1e-3}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.02, "beta_1": 0.7, "weight_decay": 0.05}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.02, "beta_1": 0.95, "epsilon": 1e-4, "use_ema": True}),
    ("Nadam", {"learning_rate": 0.02, "gradient_accumulation_steps": 2}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.3, "l1_regularization_strength": 0.01,
              "l2_regularization_strength": 0.02, "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.95, "beta_2": 0.98, "weight_decay": 0.1}),
    ("Lion", {"learning_rate": Sched("CosineDecayRestarts", initial_learning_rate=0.01, first_decay_steps=2)}),
]


def _case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items()) if kwargs else name


def _make(module, name, kwargs):
    kwargs = {k: (v.make(module) if isinstance(v, Sched) else v) for k, v in kwargs.items()}
    return getattr(module, name)(**kwargs)


def _data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    inits = [rng.uniform(-1, 1, size=s).astype(dtype) for s in SHAPES]
    grads = []
    for _ in range(N_STEPS):
        step = []
        for shape, scale in zip(SHAPES, GRAD_SCALES):
            g = rng.normal(size=shape) * scale
            g[rng.random(size=shape) < 0.2] = 0.0  # some entries never see a gradient
            step.append(g.astype(dtype))
        grads.append(step)
    return inits, grads


def _run_keras(name, kwargs, inits, grads, dtype):
    opt = _make(keras.optimizers, name, kwargs)
    variables = [keras.Variable(w.copy(), dtype=dtype) for w in inits]
    trajectory = []
    for step_grads in grads:
        opt.apply([torch.as_tensor(g).to(v.value.device) for g, v in zip(step_grads, variables)], variables)
        trajectory.append([v.numpy().copy() for v in variables])
    return trajectory, [keras.ops.convert_to_numpy(v) for v in opt.variables]


def _run_ours(name, kwargs, inits, grads, device, path):
    opt = _make(optimizers, name, kwargs)
    params = [torch.nn.Parameter(torch.as_tensor(w.copy()).to(device)) for w in inits]
    if path == "step":
        opt.build(params)
    trajectory = []
    for step_grads in grads:
        tensors = [torch.as_tensor(g).to(device) for g in step_grads]
        if path == "step":
            for p, g in zip(params, tensors):
                p.grad = g
            opt.step()
        else:
            opt.apply_gradients(zip(tensors, params))
        trajectory.append([p.detach().cpu().numpy().copy() for p in params])
    return trajectory, [v.detach().cpu().numpy() for v in opt.variables]


def _compare(name, kwargs, dtype, device, path):
    inits, grads = _data(dtype)
    theirs, their_vars = _run_keras(name, kwargs, inits, grads, dtype)
    ours, our_vars = _run_ours(name, kwargs, inits, grads, device, path)
    for step, (k_step, o_step) in enumerate(zip(theirs, ours)):
        for index, (k, o, w0) in enumerate(zip(k_step, o_step, inits)):
            what = f"{name} step {step + 1} variable {index}"
            assert o.dtype == k.dtype, what
            if dtype == "float32":
                np.testing.assert_allclose(o, k, rtol=1e-6, atol=1e-7, err_msg=what)
            else:
                k_move, o_move = k - w0, o - w0
                scale = np.abs(k_move).max()
                np.testing.assert_allclose(o_move, k_move, rtol=1e-9, atol=1e-12 * max(scale, 1e-3),
                                           err_msg=what + " (displacement)")
    assert len(our_vars) == len(their_vars), (
        f"{name}: {len(our_vars)} optimizer variables, Keras has {len(their_vars)}"
    )
    for index, (k, o) in enumerate(zip(their_vars, our_vars)):
        what = f"{name} optimizer variable {index}"
        assert o.shape == k.shape, what
        scale = max(np.abs(k).max(), 1e-30) if k.size else 1.0
        rtol, atol = (1e-5, 1e-6 * scale) if dtype == "float32" else (1e-9, 1e-12 * scale)
        np.testing.assert_allclose(o.astype(np.float64), k.astype(np.float64), rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_optimizer_matches_keras_float32(case, device):
    name, kwargs = case
    _compare(name, kwargs, "float32", device, path="step")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_optimizer_matches_keras_float64(case):
    name, kwargs = case
    _compare(name, kwargs, "float64", "cpu", path="apply")


ADAM_CASES = [c for c in CASES if c[0] in ("Adam", "AdamW")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ADAM_CASES, ids=[_case_id(c) for c in ADAM_CASES])
def test_adam_foreach_kernels_match_keras(case, dtype, monkeypatch):
    """Adam's multi-tensor path (used where torch's fused kernel is not available) matches too."""
    monkeypatch.setattr(optimizers.Adam, "use_fused_kernel", False)
    name, kwargs = case
    _compare(name, kwargs, dtype, "cpu", path="step")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_config_matches_keras(case):
    name, kwargs = case
    kwargs = dict(kwargs, name="opt")
    ours, theirs = _make(optimizers, name, kwargs), _make(keras.optimizers, name, kwargs)
    assert ours.get_config() == theirs.get_config()
    # Keras's config (and its serialized form, whose module names Keras's torch backend class) loads here.
    back = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert type(back) is type(ours) and back.get_config() == theirs.get_config()
    # ... and ours loads in Keras.
    again = keras.optimizers.deserialize(optimizers.serialize(ours))
    assert again.get_config() == theirs.get_config()


@pytest.mark.parametrize("name", ["adam", "Adam", "sgd", "rmsprop", "RMSprop", "adamw", "adagrad", "adadelta",
                                  "adamax", "nadam", "ftrl", "lion"])
def test_get_by_name_matches_keras(name):
    ours, theirs = optimizers.get(name), keras.optimizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == {
        k: v for k, v in theirs.get_config().items() if k != "name"
    }


SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 50, 120], "values": [1.0, 0.5, 0.1, 0.01]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 90}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 40, "end_learning_rate": 0.01,
                         "power": 0.5, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 9, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 9, "decay_rate": 0.5, "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 150}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.2}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 100, "warmup_target": 0.2,
                     "warmup_steps": 30, "alpha": 0.05}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 15, "t_mul": 1.0,
                             "m_mul": 0.8, "alpha": 0.1}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 1.5,
                             "m_mul": 0.9}),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_schedule_values_match_keras(name, kwargs):
    ours = getattr(optimizers.schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert optimizers.schedules.serialize(ours) == keras.optimizers.schedules.serialize(theirs)
    back = optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(theirs))
    assert type(back) is type(ours) and back.get_config() == ours.get_config()
    steps = list(range(0, 260, 3)) + [1000, 12345]
    expected = np.array([float(keras.ops.convert_to_numpy(theirs(s))) for s in steps])
    received = np.array([float(ours(s)) for s in steps])
    np.testing.assert_allclose(received, expected, rtol=1e-6, atol=1e-9, err_msg=name)
    # An int32 tensor step (the optimizer's `iterations`) gives the same values.
    received_tensor = np.array([float(ours(torch.tensor(s, dtype=torch.int32))) for s in steps])
    np.testing.assert_array_equal(received_tensor, received)


def _dense_pair(kernel_constraint=None):
    """The same Dense layer in Keras and in torchkeras, built, with equal weights."""
    theirs = keras.layers.Dense(3, kernel_constraint=kernel_constraint)
    theirs.build((None, 4))
    ours = layers.Dense(3, kernel_constraint=kernel_constraint)
    ours.build((None, 4))
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(3,)).astype("float32")]
    theirs.set_weights(weights)
    ours.set_weights(copy.deepcopy(weights))
    return theirs, ours


def test_torchkeras_variables_with_constraint_and_name_exclusion(device):
    """Training a Dense layer through its `Variable`s: the kernel constraint is applied after each update
    and `exclude_from_weight_decay(var_names=["bias"])` spares the bias, as in Keras."""
    theirs, ours = _dense_pair(kernel_constraint="non_neg")
    ours.to(device)
    k_opt = keras.optimizers.AdamW(learning_rate=0.05, weight_decay=0.5)
    k_opt.exclude_from_weight_decay(var_names=["bias"])
    o_opt = optimizers.AdamW(learning_rate=0.05, weight_decay=0.5)
    o_opt.exclude_from_weight_decay(var_names=["bias"])
    rng = np.random.default_rng(2)
    for _ in range(N_STEPS):
        x = rng.normal(size=(8, 4)).astype("float32")
        k_x = torch.as_tensor(x).to(theirs.kernel.value.device)
        k_loss = torch.sum(theirs(k_x) ** 2)
        k_grads = torch.autograd.grad(k_loss, [v.value for v in theirs.trainable_variables])
        k_opt.apply(list(k_grads), theirs.trainable_variables)

        o_loss = torch.sum(ours(torch.as_tensor(x).to(device)) ** 2)
        o_grads = torch.autograd.grad(o_loss, [v.value for v in ours.trainable_variables])
        o_opt.apply_gradients(zip(o_grads, ours.trainable_variables))
    for k, o in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(o, k, rtol=1e-6, atol=1e-7)
    assert (ours.get_weights()[0] >= 0).all()


def test_load_keras_optimizer_variables():
    """`save_own_variables` / `load_own_variables` interchange the optimizer state with real Keras."""
    inits, grads = _data("float32")
    k_opt = keras.optimizers.Adam(learning_rate=0.01, amsgrad=True)
    k_vars = [keras.Variable(w.copy()) for w in inits]
    for step_grads in grads[:3]:
        k_opt.apply([torch.as_tensor(g).to(v.value.device) for g, v in zip(step_grads, k_vars)], k_vars)
    store = {}
    k_opt.save_own_variables(store)

    o_opt = optimizers.Adam(learning_rate=0.5, amsgrad=True)
    params = [torch.nn.Parameter(torch.as_tensor(v.numpy().copy())) for v in k_vars]
    o_opt.build(params)
    o_opt.load_own_variables(store)
    assert int(o_opt.iterations) == 3
    assert float(o_opt.learning_rate) == pytest.approx(0.01)
    for step_grads in grads[3:]:
        k_opt.apply([torch.as_tensor(g).to(v.value.device) for g, v in zip(step_grads, k_vars)], k_vars)
        o_opt.apply([torch.as_tensor(g) for g in step_grads], params)
    for k, o in zip(k_vars, params):
        np.testing.assert_allclose(o.detach().numpy(), k.numpy(), rtol=1e-6, atol=1e-7)
    back = {}
    o_opt.save_own_variables(back)
    k_opt2 = keras.optimizers.Adam(learning_rate=0.5, amsgrad=True)
    k_opt2.build(k_vars)
    k_opt2.load_own_variables(back)
    for k, o in zip(k_opt.variables, k_opt2.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(o), keras.ops.convert_to_numpy(k), rtol=1e-6,
                                   atol=1e-9)
