"""`state_dict()` / `load_state_dict()`: a run stopped, saved, reloaded into fresh objects and resumed ends
bit-identical to a run that never stopped."""

import io

import numpy as np
import pytest
import torch

from torchkeras import optimizers

CASES = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "use_ema": True}),
    ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01}),
    ("Lion", {"learning_rate": 0.01}),
    ("SGD", {"learning_rate": "schedule", "momentum": 0.5}),
]


def _make(name, kwargs):
    kwargs = dict(kwargs)
    if kwargs.get("learning_rate") == "schedule":
        kwargs["learning_rate"] = optimizers.schedules.CosineDecay(0.1, decay_steps=5, warmup_target=0.2,
                                                                   warmup_steps=2)
    return getattr(optimizers, name)(**kwargs)


def _grads(step):
    rng = np.random.default_rng(step)
    return [torch.as_tensor(rng.normal(size=(3, 2)).astype("float32")),
            torch.as_tensor(rng.normal(size=(4,)).astype("float32"))]


def _fresh_params(values):
    return [torch.nn.Parameter(torch.as_tensor(v).clone()) for v in values]


def _run(opt, params, steps):
    for step in steps:
        for p, g in zip(params, _grads(step)):
            p.grad = g
        opt.step()


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_resume_from_state_dict_is_identical(name, kwargs):
    rng = np.random.default_rng(0)
    initial = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(4,)).astype("float32")]

    straight = _fresh_params(initial)
    opt = _make(name, kwargs)
    opt.build(straight)
    _run(opt, straight, range(7))

    first = _fresh_params(initial)
    opt = _make(name, kwargs)
    opt.build(first)
    _run(opt, first, range(3))
    buffer = io.BytesIO()
    torch.save({"params": [p.detach() for p in first], "optimizer": opt.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer)

    resumed = _fresh_params([p.numpy() for p in checkpoint["params"]])
    opt = _make(name, kwargs)
    opt.build(resumed)
    opt.load_state_dict(checkpoint["optimizer"])
    assert int(opt._iterations) == 3
    _run(opt, resumed, range(3, 7))
    for a, b in zip(straight, resumed):
        torch.testing.assert_close(b, a, rtol=0, atol=0)


def test_load_state_dict_updates_slots_in_place():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.Adam()
    opt.build([p])
    momentum = opt.state[p]["momentum"]
    saved = {"state": {0: {"momentum": torch.ones(2), "velocity": torch.ones(2)}},
             "param_groups": [{"lr": 0.5, "params": [0]}],
             "keras_state": {"iterations": torch.tensor(4, dtype=torch.int32), "variables": {}}}
    opt.load_state_dict(saved)
    assert opt.state[p]["momentum"] is momentum and momentum.tolist() == [1.0, 1.0]
    assert opt.variables[2] is momentum
    assert int(opt.iterations) == 4 and float(opt.learning_rate) == 0.5


def test_load_state_dict_from_another_optimizer_raises():
    p = torch.nn.Parameter(torch.zeros(2))
    adam = optimizers.Adam()
    adam.build([p])
    sgd = optimizers.SGD(momentum=0.9)
    sgd.build([torch.nn.Parameter(torch.zeros(2))])
    with pytest.raises(ValueError, match="different optimizer"):
        sgd.load_state_dict(adam.state_dict())
    torch_adam = torch.optim.Adam([p])
    p.grad = torch.ones(2)
    torch_adam.step()
    with pytest.raises(ValueError, match="exp_avg"):
        adam.load_state_dict(torch_adam.state_dict())
