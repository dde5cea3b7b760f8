"""Parity of ptjax.optim.lr_scheduler with torch: every scheduler's lr (and momentum/beta1)
sequence over two param groups, the parameters the optimizer reaches under it, state_dict,
the step-order warning, errors; and the Optax schedule functions of ptjax.optim.schedules
against torch's sequences."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from helpers import assert_close

import ptjax
from ptjax.optim import schedules, transforms

STEPS = 30


def _opt(lib, params, name="SGD", **kw):
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9, **kw)
    return getattr(lib.optim, name)(groups, lr=0.1, **kw)


def _snapshot(sched, opt) -> list:
    out = [float(x) for x in sched.get_last_lr()]
    for g in opt.param_groups:
        out.append(float(g["lr"]))
        if "momentum" in g:
            out.append(float(g["momentum"]))
        if "betas" in g:
            out.append(float(g["betas"][0]))
    return out


def _run(lib, make_sched, opt_name="SGD", steps=STEPS, metrics=None):
    params = [lib.ones(3, requires_grad=True), lib.ones(2, requires_grad=True)]
    opt = _opt(lib, params, opt_name)
    sched = make_sched(lib.optim.lr_scheduler, opt)
    seq = [_snapshot(sched, opt)]
    for k in range(steps):
        for i, p in enumerate(params):
            p.grad = lib.full(tuple(p.shape), 0.5 + 0.1 * i + 0.01 * k)
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        seq.append(_snapshot(sched, opt))
    return seq, params, sched


def _check(make_sched, opt_name="SGD", steps=STEPS, metrics=None):
    t_seq, t_params, t_sched = _run(torch, make_sched, opt_name, steps, metrics)
    p_seq, p_params, p_sched = _run(ptjax, make_sched, opt_name, steps, metrics)
    # the schedules are the same Python-float arithmetic as torch's: equal to the last bit
    for k, (a, b) in enumerate(zip(t_seq, p_seq)):
        assert a == b, f"step {k}: torch {a} vs ptjax {b}"
    for t, p in zip(t_params, p_params):
        assert_close(p, t)
    return t_sched, p_sched


SCHEDULERS = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 0.99),
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 8, 8, 20], gamma=0.3),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=12),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=17, power=1.7),
    "CosineAnnealingLR-past-T_max": lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001
    ),
    "CosineAnnealingWarmRestarts-T_mult-1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5),
    "CyclicLR-triangular": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.3], step_size_up=3, step_size_down=5, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97, base_momentum=0.7
    ),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, step_size_up=4, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"
    ),
    "OneCycleLR-cos": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
    "OneCycleLR-linear-3phase": lambda S, o: S.OneCycleLR(
        o, max_lr=0.8, epochs=3, steps_per_epoch=10, anneal_strategy="linear", three_phase=True
    ),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(
        o, max_lr=0.8, total_steps=STEPS, pct_start=0.5, cycle_momentum=False
    ),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o,
        [S.LinearLR(o, 0.1, total_iters=5), S.ExponentialLR(o, 0.9), S.StepLR(o, 3)],
        milestones=[5, 12],
    ),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=4), S.ExponentialLR(o, gamma=0.9)]
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_sequence(name):
    _check(SCHEDULERS[name])


@pytest.mark.parametrize(
    "name", ["CyclicLR-triangular", "OneCycleLR-cos", "OneCycleLR-linear-3phase"]
)
def test_momentum_cycling_with_adam_betas(name):
    _check(SCHEDULERS[name], opt_name="Adam")


LOSSES = [
    *np.linspace(1.0, 0.5, 6),
    0.5,
    0.5001,
    0.4999,
    0.52,
    0.51,
    0.49,
    0.4899,
    0.55,
    0.56,
    0.57,
    0.3,
    0.31,
    0.32,
    0.33,
    0.34,
    0.35,
    0.2999,
    0.29,
    0.36,
    0.37,
    0.38,
    0.39,
    0.4,
    0.41,
]

PLATEAU = {
    "min-rel": {"patience": 2},
    "min-abs-cooldown": {"patience": 1, "threshold": 0.005, "threshold_mode": "abs", "cooldown": 2},
    "max-rel": {"mode": "max", "patience": 1, "factor": 0.5},
    "max-abs": {"mode": "max", "patience": 0, "threshold_mode": "abs", "factor": 0.7},
    "min_lr-list": {"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.001]},
    "eps": {"patience": 0, "factor": 0.9, "eps": 0.006},
}


@pytest.mark.parametrize("case", list(PLATEAU))
def test_reduce_lr_on_plateau(case):
    kw = PLATEAU[case]
    _check(lambda S, o: S.ReduceLROnPlateau(o, **kw), steps=len(LOSSES), metrics=LOSSES)


def test_scheduler_with_adam_trajectory():
    _check(lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=STEPS), opt_name="Adam")


def test_state_dict_matches_torch_and_resumes():
    def make(S, o):
        return S.StepLR(o, step_size=3, gamma=0.5)

    t_sched, p_sched = _check(make, steps=7)
    t_sd, p_sd = t_sched.state_dict(), p_sched.state_dict()
    assert t_sd == p_sd
    # a fresh scheduler loading the state continues torch's sequence
    params = [ptjax.ones(3, requires_grad=True), ptjax.ones(2, requires_grad=True)]
    opt = _opt(ptjax, params)
    fresh = make(ptjax.optim.lr_scheduler, opt)
    fresh.load_state_dict(p_sd)
    for g, lr in zip(opt.param_groups, p_sched.get_last_lr()):
        g["lr"] = lr
    for _ in range(5):
        opt.step()
        fresh.step()
        t_sched.optimizer.step()
        t_sched.step()
        assert fresh.get_last_lr() == t_sched.get_last_lr()


def test_nested_state_dict_matches_torch():
    t_sched, p_sched = _check(SCHEDULERS["SequentialLR"], steps=8)
    assert t_sched.state_dict() == p_sched.state_dict()
    t_sched, p_sched = _check(lambda S, o: S.ReduceLROnPlateau(o), steps=5, metrics=LOSSES)
    assert t_sched.state_dict() == p_sched.state_dict()


def test_lambda_state_dict_keeps_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate**e

    _, p_sched = _check(lambda S, o: S.LambdaLR(o, [Decay(), lambda e: 1.0]), steps=3)
    sd = p_sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]


def test_closed_form_with_epoch_argument():
    for lib in (torch, ptjax):
        p = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(5)
        assert sched.get_last_lr() == [0.1 * 0.5**2]


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in rec if issubclass(w.category, UserWarning)]


def test_warns_when_scheduler_steps_before_optimizer():
    def wrong(lib):
        p = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1)
        return lambda: sched.step()

    def right(lib):
        p = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1)

        def run():
            p.grad = lib.ones(1)
            opt.step()
            sched.step()

        return run

    t_msgs, p_msgs = _warnings_of(wrong(torch)), _warnings_of(wrong(ptjax))
    assert len(p_msgs) == 1 and "before `optimizer.step()`" in p_msgs[0]
    assert p_msgs == t_msgs
    assert _warnings_of(right(ptjax)) == [] == _warnings_of(right(torch))


def test_get_lr_outside_step_warns():
    for lib in (torch, ptjax):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        with pytest.warns(UserWarning, match="please use `get_last_lr"):
            sched.get_lr()


def test_tensor_lr_is_filled_in_place():
    p = ptjax.zeros(1, requires_grad=True)
    lr = ptjax.tensor(0.1)
    opt = ptjax.optim.SGD([p], lr=lr)
    sched = ptjax.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    p.grad = ptjax.ones(1)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert float(lr) == pytest.approx(0.05)


# -- errors ----------------------------------------------------------------------------------------


def _same_error(fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as p_err:
        fn(ptjax)
    assert type(p_err.value) is type(t_err.value), (p_err.value, t_err.value)
    assert str(p_err.value) == str(t_err.value)


def _sgd(lib, **kw):
    return lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, **kw)


def _S(lib):
    return lib.optim.lr_scheduler


ERRORS = {
    "not an optimizer": lambda lib: _S(lib).StepLR(object(), 3),
    "resume without initial_lr": lambda lib: _S(lib).StepLR(_sgd(lib), 3, last_epoch=4),
    "constant factor": lambda lib: _S(lib).ConstantLR(_sgd(lib), factor=1.5),
    "linear start": lambda lib: _S(lib).LinearLR(_sgd(lib), start_factor=0),
    "linear end": lambda lib: _S(lib).LinearLR(_sgd(lib), end_factor=2),
    "lambda count": lambda lib: _S(lib).LambdaLR(_sgd(lib), [lambda e: 1, lambda e: 1]),
    "multiplicative not callable": lambda lib: _S(lib).MultiplicativeLR(_sgd(lib), 0.5),
    "plateau factor": lambda lib: _S(lib).ReduceLROnPlateau(_sgd(lib), factor=1.0),
    "plateau mode": lambda lib: _S(lib).ReduceLROnPlateau(_sgd(lib), mode="mid"),
    "plateau threshold mode": lambda lib: _S(lib).ReduceLROnPlateau(_sgd(lib), threshold_mode="x"),
    "plateau min_lrs": lambda lib: _S(lib).ReduceLROnPlateau(_sgd(lib), min_lr=[0.1, 0.2]),
    "warm T_0": lambda lib: _S(lib).CosineAnnealingWarmRestarts(_sgd(lib), T_0=0),
    "warm T_mult": lambda lib: _S(lib).CosineAnnealingWarmRestarts(_sgd(lib), T_0=2, T_mult=0),
    "warm negative epoch": lambda lib: _S(lib).CosineAnnealingWarmRestarts(_sgd(lib), 2).step(-1),
    "cyclic mode": lambda lib: _S(lib).CyclicLR(_sgd(lib, momentum=0.9), 0.1, 1, mode="x"),
    "cyclic no momentum": lambda lib: _S(lib).CyclicLR(
        lib.optim.Adagrad([lib.zeros(1, requires_grad=True)]), 0.1, 1
    ),
    "cyclic base_lr count": lambda lib: _S(lib).CyclicLR(_sgd(lib), [0.1, 0.2], 1),
    "onecycle no total": lambda lib: _S(lib).OneCycleLR(_sgd(lib), 1.0),
    "onecycle total": lambda lib: _S(lib).OneCycleLR(_sgd(lib), 1.0, total_steps=0),
    "onecycle epochs": lambda lib: _S(lib).OneCycleLR(_sgd(lib), 1.0, epochs=0, steps_per_epoch=2),
    "onecycle pct": lambda lib: _S(lib).OneCycleLR(_sgd(lib), 1.0, total_steps=5, pct_start=1.5),
    "onecycle anneal": lambda lib: _S(lib).OneCycleLR(
        _sgd(lib), 1.0, total_steps=5, anneal_strategy="x"
    ),
    "onecycle past total": lambda lib: [
        s.step()
        for s in [_S(lib).OneCycleLR(_sgd(lib, momentum=0.9), 1.0, total_steps=3)]
        for _ in range(4)
    ],
    "sequential milestones": lambda lib: (
        lambda o: _S(lib).SequentialLR(o, [_S(lib).StepLR(o, 2), _S(lib).StepLR(o, 3)], [])
    )(_sgd(lib)),
    "sequential empty": lambda lib: _S(lib).SequentialLR(_sgd(lib), [], []),
    "chained plateau": lambda lib: _S(lib).ChainedScheduler([_S(lib).ReduceLROnPlateau(_sgd(lib))]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(ERRORS[case])


# -- Optax schedule functions ---------------------------------------------------------------------


def _torch_lrs(make_sched, steps=STEPS, key="lr"):
    """torch's value of ``key`` for the first param group at optimizer steps 0..steps-1."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = make_sched(torch.optim.lr_scheduler, opt)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            out.append(opt.param_groups[0][key])
            opt.step()
            sched.step()
    return np.array(out)


SCHEDULE_FNS = {
    "lambda": (
        lambda S, o: S.LambdaLR(o, lambda e: 1 / (1 + e)),
        schedules.lambda_lr(0.1, lambda e: 1 / (1 + e)),
    ),
    "multiplicative": (
        lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95),
        schedules.multiplicative_lr(0.1, lambda e: 0.95),
    ),
    "step": (lambda S, o: S.StepLR(o, 4, 0.5), schedules.step_lr(0.1, 4, 0.5)),
    "multi_step": (
        lambda S, o: S.MultiStepLR(o, [3, 8, 8], 0.3),
        schedules.multi_step_lr(0.1, [3, 8, 8], 0.3),
    ),
    "constant": (lambda S, o: S.ConstantLR(o, 0.25, 6), schedules.constant_lr(0.1, 0.25, 6)),
    "linear": (
        lambda S, o: S.LinearLR(o, 0.2, 0.9, 12),
        schedules.linear_lr(0.1, 0.2, 0.9, 12),
    ),
    "exponential": (lambda S, o: S.ExponentialLR(o, 0.93), schedules.exponential_lr(0.1, 0.93)),
    "polynomial": (
        lambda S, o: S.PolynomialLR(o, 17, 1.7),
        schedules.polynomial_lr(0.1, 17, 1.7),
    ),
    "cosine-past-T_max": (
        lambda S, o: S.CosineAnnealingLR(o, 7, 0.01),
        schedules.cosine_annealing_lr(0.1, 7, 0.01),
    ),
    "warm-restarts": (
        lambda S, o: S.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
        schedules.cosine_annealing_warm_restarts(0.1, 3, 2, 0.001),
    ),
    "cyclic": (
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, 3, 5, mode="triangular2"),
        schedules.cyclic_lr(0.01, 0.1, 3, 5, mode="triangular2"),
    ),
    "cyclic-exp": (
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, 4, mode="exp_range", gamma=0.97),
        schedules.cyclic_lr(0.01, 0.1, 4, mode="exp_range", gamma=0.97),
    ),
    "one_cycle": (
        lambda S, o: S.OneCycleLR(o, 1.0, total_steps=STEPS),
        schedules.one_cycle_lr(1.0, STEPS),
    ),
    "one_cycle-3phase-linear": (
        lambda S, o: S.OneCycleLR(
            o, 1.0, total_steps=STEPS, anneal_strategy="linear", three_phase=True
        ),
        schedules.one_cycle_lr(1.0, STEPS, anneal_strategy="linear", three_phase=True),
    ),
    "sequential": (
        lambda S, o: S.SequentialLR(
            o, [S.LinearLR(o, 0.1, total_iters=5), S.ExponentialLR(o, 0.9)], [5]
        ),
        schedules.sequential_lr(
            [schedules.linear_lr(0.1, 0.1, total_iters=5), schedules.exponential_lr(0.1, 0.9)],
            [5],
        ),
    ),
    "chained": (
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 4), S.ExponentialLR(o, 0.9)]),
        schedules.chained_lr(
            0.1, [schedules.constant_lr(0.1, 0.5, 4), schedules.exponential_lr(0.1, 0.9)]
        ),
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULE_FNS))
def test_optax_schedule_functions(name):
    make, fn = SCHEDULE_FNS[name]
    expected = _torch_lrs(make)
    counts = jnp.arange(STEPS)
    got = np.array([float(fn(c)) for c in counts[:3]] + list(jax.jit(jax.vmap(fn))(counts)[3:]))
    # closed forms against torch's recursive updates: equal up to float64 rounding
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("make", "fn"),
    [
        (
            lambda S, o: S.CyclicLR(o, 0.01, 0.1, 3, 5),
            schedules.cyclic_momentum(0.8, 0.9, 3, 5),
        ),
        (
            lambda S, o: S.OneCycleLR(o, 1.0, total_steps=STEPS, three_phase=True),
            schedules.one_cycle_momentum(STEPS, three_phase=True),
        ),
    ],
    ids=["cyclic", "one_cycle"],
)
def test_optax_momentum_schedules(make, fn):
    expected = _torch_lrs(make, key="momentum")
    got = np.array(jax.vmap(fn)(jnp.arange(STEPS)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", ["min-rel", "min-abs-cooldown", "max-rel", "min_lr-list"])
def test_optax_reduce_lr_on_plateau(case):
    kw = dict(PLATEAU[case])
    if isinstance(kw.get("min_lr"), list):
        kw["min_lr"] = kw["min_lr"][0]
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    tx = transforms.sgd(lr=schedules.reduce_lr_on_plateau(0.1, **kw))
    params = jnp.zeros(1)
    state = tx.init(params)
    update = jax.jit(lambda g, s, p, v: tx.update(g, s, p, value=v))
    for loss in LOSSES:
        sched.step(loss)
        _, state = update(jnp.ones(1), state, params, loss)
        # the lr the next update will use
        assert float(state.hyperparams_states["lr"].lr) == opt.param_groups[0]["lr"]
