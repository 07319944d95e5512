"""torchkeras optimizers without Keras: hand-checked updates, the Keras API, the torch API, errors."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras import optimizers

ALL_CLASSES = [
    optimizers.SGD, optimizers.Adam, optimizers.AdamW, optimizers.RMSprop, optimizers.Adagrad,
    optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam, optimizers.Ftrl, optimizers.Lion,
]


def _param(*values, dtype=torch.float64):
    return torch.nn.Parameter(torch.tensor(values, dtype=dtype))


def _step(opt, param, *grad):
    param.grad = torch.tensor(grad, dtype=param.dtype)
    opt.step()
    return param.detach().tolist()


# ---------------------------------------------------------------- hand-checked updates


def test_sgd_plain_momentum_and_nesterov_by_hand():
    p = _param(1.0)
    opt = optimizers.SGD(learning_rate=0.5)
    opt.build([p])
    assert _step(opt, p, 0.5) == pytest.approx([0.75])

    p = _param(1.0)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.build([p])
    assert _step(opt, p, 0.5) == pytest.approx([0.95])  # m = -0.05
    assert _step(opt, p, 0.5) == pytest.approx([0.855])  # m = 0.9 * -0.05 - 0.05 = -0.095

    p = _param(1.0)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    opt.build([p])
    assert _step(opt, p, 0.5) == pytest.approx([1 + 0.9 * -0.05 - 0.05])
    assert _step(opt, p, 0.5) == pytest.approx([0.905 + 0.9 * -0.095 - 0.05])


def test_adam_adds_epsilon_the_keras_way():
    # First step: m = 0.1 g, v = 0.001 g^2, alpha = lr * sqrt(0.001) / 0.1.
    # Keras: w -= alpha * m / (sqrt(v) + eps) = lr * sqrt(0.001) g / (sqrt(0.001) |g| + eps).
    # torch's Adam would give lr * g / (|g| + eps / sqrt(0.001)) instead: 0.909 here, not 0.240.
    g, eps, lr = 1e-6, 1e-7, 1.0
    p = _param(0.0)
    opt = optimizers.Adam(learning_rate=lr, epsilon=eps)
    opt.build([p])
    expected = -lr * math.sqrt(0.001) * g / (math.sqrt(0.001) * g + eps)
    assert _step(opt, p, g)[0] == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(-0.240253, rel=1e-5)


def test_adam_amsgrad_keeps_the_largest_velocity():
    p = _param(0.0)
    opt = optimizers.Adam(learning_rate=0.1, amsgrad=True)
    opt.build([p])
    _step(opt, p, 10.0)
    _step(opt, p, 0.0)
    v_hat = opt.state[p]["velocity_hat"].item()
    v = opt.state[p]["velocity"].item()
    assert v_hat == pytest.approx(0.001 * 100) and v == pytest.approx(0.999 * 0.001 * 100)


def test_rmsprop_puts_epsilon_inside_the_square_root():
    g, eps, lr = 1e-3, 1e-7, 0.25  # exact in float32, the dtype of Keras's learning rate
    p = _param(0.0)
    opt = optimizers.RMSprop(learning_rate=lr, epsilon=eps)
    opt.build([p])
    v = 0.1 * g * g
    assert _step(opt, p, g)[0] == pytest.approx(-lr * g / math.sqrt(v + eps), rel=1e-9)

    p = _param(0.0)
    opt = optimizers.RMSprop(learning_rate=lr, epsilon=eps, centered=True)
    opt.build([p])
    average = 0.1 * g
    assert _step(opt, p, g)[0] == pytest.approx(-lr * g / math.sqrt(v + eps - average**2), rel=1e-9)


def test_adagrad_starts_its_accumulator_at_0_1():
    p = _param(1.0)
    opt = optimizers.Adagrad(learning_rate=0.1)
    opt.build([p])
    assert opt.state[p]["accumulator"].item() == pytest.approx(0.1)
    assert _step(opt, p, 1.0)[0] == pytest.approx(1.0 - 0.1 / math.sqrt(1.1 + 1e-7))


def test_adamw_decays_before_the_update_and_respects_exclusions():
    kernel, bias = _param(1.0), _param(1.0)
    opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.1)
    opt.build([("dense/kernel", kernel), ("dense/bias", bias)])
    opt.exclude_from_weight_decay(var_names=["bias"])
    kernel.grad = torch.zeros(1, dtype=torch.float64)
    bias.grad = torch.zeros(1, dtype=torch.float64)
    opt.step()  # zero gradients: Adam moves nothing, only the decay acts
    assert kernel.item() == pytest.approx(1.0 - 1.0 * 0.1 * 0.1, rel=1e-6)
    assert bias.item() == 1.0

    other = _param(2.0)
    opt = optimizers.SGD(learning_rate=0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[other])
    opt.build([other])
    assert _step(opt, other, 0.0) == [2.0]


def test_lion_adadelta_adamax_nadam_ftrl_first_steps_by_hand():
    p = _param(1.0, -1.0)
    opt = optimizers.Lion(learning_rate=0.1)
    opt.build([p])
    assert _step(opt, p, 3.0, -0.5) == pytest.approx([0.9, -0.9])

    p = _param(0.0)
    opt = optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-6)
    opt.build([p])
    acc = 0.05 * 4.0
    assert _step(opt, p, 2.0)[0] == pytest.approx(-math.sqrt(1e-6) / math.sqrt(acc + 1e-6) * 2.0)

    p = _param(0.0)
    opt = optimizers.Adamax(learning_rate=0.1, epsilon=0.0)
    opt.build([p])
    assert _step(opt, p, 2.0)[0] == pytest.approx(-0.1 * 0.2 / (0.1 * 2.0))  # m = 0.2, u = 2

    p = _param(0.0)
    opt = optimizers.Nadam(learning_rate=0.1, epsilon=0.0)
    opt.build([p])
    u1, u2 = 0.9 * (1 - 0.5 * 0.96), 0.9 * (1 - 0.5 * 0.96**2)
    m_hat = u2 * 0.1 / (1 - u1 * u2) + (1 - u1) / (1 - u1)
    assert _step(opt, p, 1.0)[0] == pytest.approx(-0.1 * m_hat / math.sqrt(0.001 / 0.001), rel=1e-6)
    assert opt._global_variables["u_product"].item() == pytest.approx(u1)

    p = _param(0.0)
    opt = optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.5)
    opt.build([p])
    # linear = g = 2 (w = 0); |linear| > l1 so w = (l1 * sign - linear) / (sqrt(accum) / lr).
    assert _step(opt, p, 2.0)[0] == pytest.approx((0.5 - 2.0) / (math.sqrt(4.1) / 0.1), rel=1e-6)


# ---------------------------------------------------------------- Keras API


def test_variables_follow_keras_order():
    a, b = _param(1.0, 2.0), _param(3.0)
    opt = optimizers.Adam(learning_rate=0.01, amsgrad=True)
    assert len(opt.variables) == 2 and not opt.built  # iteration, learning_rate
    opt.build([a, b])
    variables = opt.variables
    assert len(variables) == 2 + 3 * 2
    assert variables[0].dtype == torch.int32 and variables[1].item() == pytest.approx(0.01)
    # momentum, velocity per variable (interleaved), then velocity_hat per variable.
    assert variables[2] is opt.state[a]["momentum"] and variables[3] is opt.state[a]["velocity"]
    assert variables[4] is opt.state[b]["momentum"] and variables[6] is opt.state[a]["velocity_hat"]

    opt = optimizers.SGD(momentum=0.5, use_ema=True, gradient_accumulation_steps=2)
    opt.build([a])
    assert [v is opt.state[a][k] for v, k in zip(opt.variables[2:], ["average", "gradient_accumulator",
                                                                       "momentum"])] == [True] * 3
    opt = optimizers.Nadam()
    opt.build([a])
    assert len(opt.variables) == 5 and opt.variables[-1].item() == 1.0  # u_product last


def test_iterations_learning_rate_and_schedules():
    p = _param(0.0)
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=schedule)
    opt.build([p])
    positions = [_step(opt, p, -1.0)[0] for _ in range(3)]
    # Steps use the schedule at iterations 0, 1, 2 (float32 learning rates).
    expected = np.cumsum([np.float32(0.1), np.float32(0.05), np.float32(0.025)])
    np.testing.assert_allclose(positions, expected, rtol=1e-7)
    assert int(opt.iterations) == 3
    assert float(opt.learning_rate) == pytest.approx(0.0125)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)  # torch tooling sees the live value
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1

    opt = optimizers.Adam()
    assert opt.learning_rate.dtype == torch.float32 and float(opt.learning_rate) == pytest.approx(1e-3)
    opt.learning_rate = 0.5
    assert opt.get_config()["learning_rate"] == 0.5
    opt.learning_rate = schedule
    assert opt.get_config()["learning_rate"]["class_name"] == "ExponentialDecay"
    with pytest.raises(ValueError, match="non-negative"):
        optimizers.Adam().learning_rate = -1.0

    calls = []
    opt = optimizers.SGD(learning_rate=lambda: calls.append(1) or 0.25)
    p = _param(0.0)
    opt.build([p])
    assert _step(opt, p, -1.0) == [0.25] and calls


def test_apply_and_apply_gradients():
    a, b = _param(1.0), _param(2.0)
    opt = optimizers.SGD(learning_rate=0.5)
    assert int(opt.apply_gradients([(torch.tensor([1.0], dtype=torch.float64), a),
                                    (torch.tensor([2.0], dtype=torch.float64), b)])) == 1
    assert (a.item(), b.item()) == (0.5, 1.0)
    opt.apply([np.array([1.0]), np.array([0.0])])  # numpy gradients, variables from build
    assert (a.item(), b.item()) == (0.0, 1.0)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply([None, torch.tensor([1.0], dtype=torch.float64)], [a, b])
    assert b.item() == 0.5
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None, None], [a, b])
    with pytest.raises(ValueError, match="match `optimizer.variables` one-to-one"):
        opt.apply([torch.zeros(1)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([torch.zeros(1)], [_param(0.0)])
    with pytest.raises(ValueError, match="does not match its variable"):
        opt.apply([torch.zeros(2, dtype=torch.float64), None], [a, b])
    with pytest.raises(ValueError, match="must already be built"):
        optimizers.Adam().apply([torch.zeros(1)])


def test_torchkeras_variables_constraints_and_name_exclusion():
    dense = layers.Dense(2, kernel_constraint="non_neg")
    dense.build((None, 3))
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.build(dense.trainable_variables)
    with torch.no_grad():
        dense.kernel.fill_(0.01)
        dense.bias.fill_(1.0)
    loss = -dense(torch.ones(4, 3)).sum()  # pushes both weights up, so the constraint stays inactive
    loss.backward()
    opt.step()
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(kernel, np.float32(0.01) * (1 - np.float32(0.05)) + 0.1 * 4, rtol=1e-6)
    np.testing.assert_allclose(bias, 1.0 + 0.1 * 4, rtol=1e-6)  # excluded from decay by name

    opt.zero_grad()
    assert dense.kernel.grad is None
    (dense(torch.ones(4, 3)).sum() * 100).backward()  # a large step down: the constraint clips at 0
    opt.step()
    assert (dense.get_weights()[0] == 0).all()


class HalfMomentumSGD(optimizers.Optimizer):
    """A Keras-style custom optimizer: `build` + `update_step`."""

    def __init__(self, learning_rate=0.5, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        velocity = self.velocities[self._get_variable_index(variable)]
        self.assign(velocity, 0.5 * velocity - learning_rate * gradient)
        self.assign_add(variable, velocity)


def test_keras_style_custom_optimizer():
    dense = layers.Dense(1, use_bias=False, kernel_initializer="zeros")
    dense.build((None, 1))
    opt = HalfMomentumSGD()
    for _ in range(2):
        opt.apply_gradients([(torch.ones(1, 1), dense.trainable_variables[0])])
    assert dense.get_weights()[0].item() == pytest.approx(-0.5 + (-0.25 - 0.5))
    state = copy.deepcopy(opt.state_dict())
    state["state"][0]["velocity"] = torch.zeros(1, 1)
    opt.load_state_dict(state)
    assert opt.velocities[0].item() == 0.0  # loaded in place: the optimizer's own references stay live
    with pytest.raises(NotImplementedError, match=r"overrides `build\(\)`"):
        opt.add_param_group({"params": [_param(0.0)]})
    with pytest.raises(NotImplementedError, match="update_step"):
        bare = optimizers.Optimizer(learning_rate=0.1)
        bare.apply_gradients([(torch.ones(1), _param(0.0, dtype=torch.float32))])


def test_ema_overwrite_and_finalize():
    p = _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.build([p])
    _step(opt, p, -1.0)  # w = 1, first step: average = w
    _step(opt, p, -1.0)  # w = 2, average = 0.5 * 1 + 0.5 * 2
    assert opt.state[p]["average"].item() == pytest.approx(1.5)
    opt.finalize_variable_values([p])
    assert p.item() == pytest.approx(1.5)

    p = _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    opt.build([p])
    _step(opt, p, -1.0)
    assert p.item() == 1.0
    _step(opt, p, -1.0)
    assert p.item() == pytest.approx(1.5)  # overwritten with the average every 2 iterations


def test_gradient_accumulation_and_loss_scale():
    p = _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    opt.build([p])
    assert _step(opt, p, 1.0) == [0.0] and _step(opt, p, 2.0) == [0.0]
    assert int(opt.iterations) == 0
    assert _step(opt, p, 6.0) == [-3.0]  # the mean of the 3 gradients
    assert int(opt.iterations) == 1 and int(opt._iterations) == 3
    assert opt.state[p]["gradient_accumulator"].item() == 0.0

    p = _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    opt.build([p])
    assert opt.scale_loss(torch.tensor(2.0)).item() == 8.0
    assert _step(opt, p, 8.0) == [-2.0]


def test_gradient_clipping():
    p, q = _param(3.0, 4.0), _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    opt.build([p, q])
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    q.grad = torch.tensor([0.5], dtype=torch.float64)
    opt.step()
    assert p.tolist() == pytest.approx([3.0 - 0.6, 4.0 - 0.8]) and q.item() == pytest.approx(-0.5)

    p, q = _param(0.0, 0.0), _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=2.5)
    opt.build([p, q])
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    q.grad = torch.tensor([0.0], dtype=torch.float64)
    opt.step()  # global norm 5 -> scaled by 0.5
    assert p.tolist() == pytest.approx([-1.5, -2.0])

    p = _param(0.0, 0.0)
    opt = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    opt.build([p])
    assert _step(opt, p, 3.0, -0.25) == pytest.approx([-0.5, 0.25])
    assert p.grad.tolist() == [3.0, -0.25]  # the user's gradients are left alone


def test_config_round_trips():
    for cls in ALL_CLASSES:
        opt = cls(learning_rate=0.01, clipnorm=1.0, name="opt")
        config = opt.get_config()
        assert config["name"] == "opt" and config["learning_rate"] == pytest.approx(0.01)
        assert cls.from_config(config).get_config() == config
        back = optimizers.deserialize(optimizers.serialize(opt))
        assert type(back) is cls and back.get_config() == config
    schedule = optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10)
    opt = optimizers.Adam(learning_rate=schedule)
    back = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(back._learning_rate, optimizers.schedules.CosineDecay)
    assert back.get_config() == {**opt.get_config(), "name": back.name}
    assert optimizers.Adam().name != optimizers.Adam().name  # adam, adam_1, ...
    assert optimizers.RMSprop().name.startswith("rm_sprop")  # Keras's snake_case of the class name


def test_get():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("ADAMW"), optimizers.AdamW)
    opt = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.9}})
    assert isinstance(opt, optimizers.SGD) and opt.momentum == 0.9
    assert optimizers.get(opt) is opt
    plain = torch.optim.SGD([_param(0.0)], lr=0.1)
    assert optimizers.get(plain) is plain
    assert optimizers.get(None) is None
    with pytest.raises(ValueError, match="'adamm'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="not implemented in torchkeras"):
        optimizers.get("adafactor")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    assert torchkeras.optimizers is optimizers


# ---------------------------------------------------------------- torch API


def test_torch_lr_scheduler_drives_the_learning_rate():
    p = _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0)
    opt.build([p])
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    positions = []
    for _ in range(3):
        positions.append(_step(opt, p, -1.0)[0])
        scheduler.step()
    assert positions == [1.0, 1.5, 1.75]
    assert float(opt.learning_rate) == 0.125


def test_param_groups_closure_and_zero_grad():
    a, b = _param(0.0), _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0)
    opt.build([a])
    opt.add_param_group({"params": [b], "lr": 0.5})
    a.grad = torch.tensor([-1.0], dtype=torch.float64)
    b.grad = torch.tensor([-1.0], dtype=torch.float64)
    assert opt.step(closure=lambda: torch.tensor(3.0)).item() == 3.0
    assert (a.item(), b.item()) == (1.0, 0.5)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()  # no gradients: nothing happens, and no iteration is counted
    assert int(opt.iterations) == 1

    a, b = _param(0.0), _param(0.0)
    opt = optimizers.SGD(learning_rate=1.0)
    opt.add_param_group({"params": [b], "lr": 0.25})  # before build; build() then keeps b in its group
    opt.build([a, b])
    assert [len(g["params"]) for g in opt.param_groups] == [1, 1]
    a.grad = torch.tensor([-1.0], dtype=torch.float64)
    b.grad = torch.tensor([-1.0], dtype=torch.float64)
    opt.step()
    assert (a.item(), b.item()) == (1.0, 0.25)

    c = _param(0.0)
    opt = optimizers.Adam(learning_rate=0.1)
    opt.add_param_group({"params": [c]})  # before build: attached at the first step
    c.grad = torch.tensor([1.0], dtype=torch.float64)
    opt.step()
    assert c.item() == pytest.approx(-0.1, rel=1e-5) and "momentum" in opt.state[c]


def test_standard_torch_training_loop():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = optimizers.get("adam")
    opt.learning_rate = 0.05
    opt.build(model.parameters())
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = torch.mean((model(x) - y) ** 2)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 1e-2 * first


def test_sparse_gradients_are_densified():
    embedding = torch.nn.Embedding(5, 2, sparse=True)
    opt = optimizers.SGD(learning_rate=1.0)
    opt.build(embedding.parameters())
    before = embedding.weight.detach().clone()
    embedding(torch.tensor([1, 1, 3])).sum().backward()
    opt.step()
    delta = (before - embedding.weight.detach())[:, 0]
    assert delta.tolist() == [0.0, 2.0, 0.0, 1.0, 0.0]


def test_copy_and_pickle_keep_keras_attributes():
    p = _param(0.0)
    opt = optimizers.Adam(learning_rate=0.1, amsgrad=True)
    opt.build([p])
    _step(opt, p, 1.0)
    clone = copy.deepcopy(opt)
    assert clone.amsgrad and clone.name == opt.name and int(clone.iterations) == 1
    restored = pickle.loads(pickle.dumps(opt))
    assert restored.get_config() == opt.get_config()


def test_float16_and_float64_variables():
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        p = torch.nn.Parameter(torch.ones(3, dtype=dtype))
        opt = optimizers.Adam(learning_rate=0.1)
        opt.build([p])
        p.grad = torch.ones(3, dtype=dtype)
        opt.step()
        assert p.dtype == dtype and opt.state[p]["momentum"].dtype == dtype
        assert p.float().tolist() == pytest.approx([0.9] * 3, rel=1e-2)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optimizers.Adam(learning_rate=-0.1), "non-negative"),
        (lambda: optimizers.Adam(learning_rate=float("nan")), "finite"),
        (lambda: optimizers.Adam(learning_rate="fast"), "learning_rate"),
        (lambda: optimizers.SGD(momentum=1.5), "momentum"),
        (lambda: optimizers.SGD(momentum=-0.1), "momentum"),
        (lambda: optimizers.Lion(beta_1=0.0), "beta_1"),
        (lambda: optimizers.Lion(beta_1=1.5), "beta_1"),
        (lambda: optimizers.AdamW(weight_decay=None), "weight_decay"),
        (lambda: optimizers.Adam(clipnorm=1.0, clipvalue=1.0), "Only one of"),
        (lambda: optimizers.Adam(clipnorm=-1.0), "clipnorm"),
        (lambda: optimizers.Adam(gradient_accumulation_steps=1), "gradient_accumulation_steps"),
        (lambda: optimizers.Adam(use_ema=True, ema_momentum=1.5), "ema_momentum"),
        (lambda: optimizers.Adam(use_ema=True, ema_overwrite_frequency=0.5), "ema_overwrite_frequency"),
        (lambda: optimizers.Adam(loss_scale_factor=0.0), "loss_scale_factor"),
        (lambda: optimizers.Adam(betaa=0.9), "not recognized"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power"),
        (lambda: optimizers.Ftrl(initial_accumulator_value=-1.0), "initial_accumulator_value"),
        (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0), "l1_regularization_strength"),
        (lambda: optimizers.schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5), "decay_steps"),
        (lambda: optimizers.schedules.PiecewiseConstantDecay([1, 2], [0.1]), "boundaries"),
    ],
)
def test_bad_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_misuse_raises_clear_errors():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="optimizer.build"):
        optimizers.Adam(model.parameters())
    with pytest.raises(ValueError, match="no variables to update"):
        optimizers.Adam().step()
    with pytest.raises(ValueError, match="lazy"):
        optimizers.Adam().build(layers.Dense(2).parameters())
    with pytest.raises(TypeError, match="floating point"):
        optimizers.Adam().build([torch.zeros(2, dtype=torch.int64)])
    with pytest.raises(ValueError, match="twice"):
        optimizers.Adam().build([model.weight, model.weight])
    with pytest.raises(TypeError, match="Variable"):
        optimizers.Adam().build(["kernel"])
    with pytest.raises(ValueError, match="before it is built"):
        built = optimizers.Adam()
        built.build(model.parameters())
        optimizers.Adam().load_state_dict(built.state_dict())
    with pytest.raises(ValueError, match="not built|has not yet been built"):
        optimizers.Adam().set_weights([])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="no longer supported"):
            optimizers.Adam(decay=0.1)
