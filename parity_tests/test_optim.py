"""Parity of ptjax.optim with torch.optim: the same initial parameters and the same gradients
every step, every parameter compared after every step; state_dict layout and values; param
groups; resuming from a state_dict (also across libraries); no recompilation when
hyperparameters change; LBFGS on a least-squares problem; errors as torch raises them."""

from __future__ import annotations

import copy
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from helpers import assert_close

import ptjax
from ptjax.optim import transforms

SHAPES = [(3, 4), (5,), ()]
STEPS = 20


def _libs_params(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    pp = [ptjax.tensor(a, requires_grad=True) for a in init]
    return tp, pp


def _set_grads(tp, pp, rng, dtype, skip=()):
    for i, (t, p) in enumerate(zip(tp, pp)):
        if i in skip:
            t.grad, p.grad = None, None
            continue
        g = rng.standard_normal(tuple(t.shape)).astype(dtype)
        t.grad = torch.tensor(g)
        p.grad = ptjax.tensor(g)


def _compare_params(tp, pp, msg):
    for i, (t, p) in enumerate(zip(tp, pp)):
        assert_close(p, t, msg=f"{msg} param {i}")


def _compare_state(t_sd, p_sd):
    """Same torch layout: state indices, keys, tensor dtypes/values; same param_groups."""
    assert t_sd["param_groups"] == p_sd["param_groups"]
    assert set(t_sd["state"]) == set(p_sd["state"])
    for k, ts in t_sd["state"].items():
        ps = p_sd["state"][k]
        assert set(ts) == set(ps), (ts.keys(), ps.keys())
        for key, tv in ts.items():
            pv = ps[key]
            if isinstance(tv, torch.Tensor):
                assert isinstance(pv, ptjax.Tensor), key
                assert_close(pv, tv, msg=f"state {k} {key}")
            elif isinstance(tv, list):
                assert len(tv) == len(pv)
                for a, b in zip(tv, pv):
                    if isinstance(a, torch.Tensor):
                        assert_close(b, a, msg=f"state {k} {key}")
                    else:
                        assert a == b
            else:
                assert tv == pytest.approx(pv), key


def _trajectory(name, kwargs, dtype, steps=STEPS, groups=None, skip_at=None):
    """Run torch and ptjax side by side; return both optimizers and params."""
    tp, pp = _libs_params(SHAPES, dtype)

    def make(lib, params):
        if groups is None:
            return getattr(lib.optim, name)(params, **kwargs)
        gs = [dict(g, params=[params[i] for i in g["params"]]) for g in groups]
        return getattr(lib.optim, name)(gs, **kwargs)

    t_opt, p_opt = make(torch, tp), make(ptjax, pp)
    rng = np.random.default_rng(1)
    for k in range(steps):
        skip = skip_at(k) if skip_at else ()
        _set_grads(tp, pp, rng, dtype, skip)
        t_opt.step()
        p_opt.step()
        _compare_params(tp, pp, f"{name} {kwargs} step {k}")
    return t_opt, p_opt, tp, pp


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True, "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.2}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    ("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)]
)
def test_trajectory(name, kwargs, dtype):
    t_opt, p_opt, _, _ = _trajectory(name, kwargs, dtype)
    _compare_state(t_opt.state_dict(), p_opt.state_dict())


def test_param_groups_with_different_hyperparameters():
    groups = [
        {"params": [0], "lr": 0.05, "betas": (0.8, 0.95), "amsgrad": True},
        {"params": [1, 2], "weight_decay": 0.1},
    ]
    t_opt, p_opt, _, _ = _trajectory("Adam", {"lr": 0.01}, np.float32, groups=groups)
    _compare_state(t_opt.state_dict(), p_opt.state_dict())
    groups = [{"params": [0, 2], "momentum": 0.0}, {"params": [1], "nesterov": True}]
    t_opt, p_opt, _, _ = _trajectory("SGD", {"lr": 0.1, "momentum": 0.9}, np.float64, groups=groups)
    _compare_state(t_opt.state_dict(), p_opt.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad"])
def test_params_without_grad_are_skipped(name):
    kwargs = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {"lr": 0.1}
    # param 1 gets no gradient for the first 5 steps, param 2 never: no update, no state
    t_opt, p_opt, tp, pp = _trajectory(
        name, kwargs, np.float32, steps=10, skip_at=lambda k: (1, 2) if k < 5 else (2,)
    )
    _compare_state(t_opt.state_dict(), p_opt.state_dict())


def test_frozen_parameter_left_alone():
    a = ptjax.ones(3, requires_grad=True)
    frozen = ptjax.ones(3)
    opt = ptjax.optim.Adam([a, frozen], lr=0.1)
    (a * frozen).sum().backward()
    opt.step()
    np.testing.assert_array_equal(frozen.numpy(), np.ones(3, np.float32))
    assert frozen not in opt.state
    assert not np.allclose(a.detach().numpy(), 1)


def _torch_sd_from(p_sd):
    """A ptjax optimizer state_dict with its tensors converted to real torch tensors."""

    def conv(v):
        if isinstance(v, ptjax.Tensor):
            return torch.from_numpy(np.array(v._value))
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    state = {k: {kk: conv(vv) for kk, vv in s.items()} for k, s in p_sd["state"].items()}
    return {"state": state, "param_groups": copy.deepcopy(p_sd["param_groups"])}


RESUME = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("NAdam", {"lr": 0.01}),
]


@pytest.mark.parametrize(("name", "kwargs"), RESUME, ids=[n for n, _ in RESUME])
def test_state_dict_resume_and_cross_library(name, kwargs):
    dtype = np.float32
    tp, pp = _libs_params(SHAPES, dtype)
    t_opt = getattr(torch.optim, name)(tp, **kwargs)
    p_opt = getattr(ptjax.optim, name)(pp, **kwargs)
    rng = np.random.default_rng(3)
    for _ in range(10):
        _set_grads(tp, pp, rng, dtype)
        t_opt.step()
        p_opt.step()
    saved = copy.deepcopy(p_opt.state_dict())
    _compare_state(t_opt.state_dict(), saved)

    # fresh optimizers on copies of the params: ptjax <- ptjax sd, ptjax <- torch sd,
    # torch <- ptjax sd; all continue torch's uninterrupted trajectory
    copies = [ptjax.tensor(np.array(p._value), requires_grad=True) for p in pp]
    resumed = getattr(ptjax.optim, name)(copies, **kwargs)
    resumed.load_state_dict(saved)
    from_torch_params = [ptjax.tensor(np.array(p._value), requires_grad=True) for p in pp]
    from_torch = getattr(ptjax.optim, name)(from_torch_params, **kwargs)
    from_torch.load_state_dict(copy.deepcopy(t_opt.state_dict()))
    to_torch_params = [t.detach().clone().requires_grad_(True) for t in tp]
    to_torch = getattr(torch.optim, name)(to_torch_params, **kwargs)
    to_torch.load_state_dict(_torch_sd_from(saved))

    for k in range(10):
        gs = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        for params in (tp, to_torch_params):
            for t, g in zip(params, gs):
                t.grad = torch.tensor(g)
        for params in (pp, copies, from_torch_params):
            for p, g in zip(params, gs):
                p.grad = ptjax.tensor(g)
        for o in (t_opt, p_opt, resumed, from_torch, to_torch):
            o.step()
        for params in (pp, copies, from_torch_params):
            _compare_params(tp, params, f"resumed step {k}")
        for t, u in zip(tp, to_torch_params):
            torch.testing.assert_close(u, t)
    _compare_state(t_opt.state_dict(), resumed.state_dict())
    _compare_state(t_opt.state_dict(), from_torch.state_dict())


def test_state_dict_layout_and_references():
    p = ptjax.zeros(2, requires_grad=True)
    opt = ptjax.optim.Adam([p], lr=0.1)
    p.grad = ptjax.ones(2)
    opt.step()
    sd = opt.state_dict()
    st = sd["state"][0]
    assert st["step"].dtype == ptjax.float32 and st["step"].dim() == 0
    assert float(st["step"]) == 1.0
    before = np.array(st["exp_avg"]._value)
    opt.step()  # torch updates state in place: a held state_dict sees the new values
    assert float(st["step"]) == 2.0
    assert not np.allclose(np.array(st["exp_avg"]._value), before)
    assert st["exp_avg"] is opt.state[p]["exp_avg"]


def test_changing_hyperparameters_does_not_recompile():
    params = [ptjax.zeros(3, requires_grad=True), ptjax.zeros((), requires_grad=True)]
    tparams = [torch.zeros(3, requires_grad=True), torch.zeros((), requires_grad=True)]
    opt = ptjax.optim.Adam(params, lr=0.1, weight_decay=0.01)
    topt = torch.optim.Adam(tparams, lr=0.1, weight_decay=0.01)
    rng = np.random.default_rng(0)

    def step():
        _set_grads(tparams, params, rng, np.float32)
        opt.step()
        topt.step()
        _compare_params(tparams, params, "hyper edit")

    step()
    step()
    before = transforms.trace_count()
    for o in (opt, topt):
        g = o.param_groups[0]
        g["lr"] = 0.05
        g["betas"] = (0.5, 0.9)
        g["weight_decay"] = 0.2
        g["eps"] = 1e-4
    step()
    sched = ptjax.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.5)
    for _ in range(5):
        step()
        sched.step()
        tsched.step()
    assert transforms.trace_count() == before


def test_sgd_momentum_change_compiles_once_per_program():
    p = ptjax.zeros(3, requires_grad=True)
    opt = ptjax.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):  # first step (buffer = grad) and later steps are two programs
        p.grad = ptjax.ones(3)
        opt.step()
    n = transforms.trace_count()
    for m in (0.5, 0.7, 0.99):
        opt.param_groups[0]["momentum"] = m
        p.grad = ptjax.ones(3)
        opt.step()
    assert transforms.trace_count() == n


def test_tensor_lr():
    tp, pp = _libs_params(SHAPES, np.float32)
    t_opt = torch.optim.SGD(tp, lr=torch.tensor(0.1), momentum=0.9)
    p_opt = ptjax.optim.SGD(pp, lr=ptjax.tensor(0.1), momentum=0.9)
    rng = np.random.default_rng(0)
    for k in range(5):
        _set_grads(tp, pp, rng, np.float32)
        t_opt.step()
        p_opt.step()
        _compare_params(tp, pp, f"tensor lr step {k}")


def test_complex_parameter_adam():
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    t = torch.tensor(a, requires_grad=True)
    p = ptjax.tensor(a, requires_grad=True)
    t_opt, p_opt = torch.optim.Adam([t], lr=0.1), ptjax.optim.Adam([p], lr=0.1)
    for k in range(5):
        g = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
        t.grad, p.grad = torch.tensor(g), ptjax.tensor(g)
        t_opt.step()
        p_opt.step()
        assert_close(p, t, msg=f"complex step {k}")
    _compare_state(t_opt.state_dict(), p_opt.state_dict())


def test_zero_grad():
    p = ptjax.ones(2, requires_grad=True)
    opt = ptjax.optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(2, np.float32))
    opt.zero_grad()
    assert p.grad is None


def test_step_closure_and_hooks():
    p = ptjax.ones(2, requires_grad=True)
    opt = ptjax.optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 2.0 and calls == ["pre", "post"]
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 0.8], rtol=1e-6)
    h1.remove()
    opt.step(closure)
    assert calls == ["pre", "post", "post"]


def test_add_param_group_and_repr():
    tp, pp = _libs_params(SHAPES, np.float32)
    t_opt = torch.optim.SGD(tp[:1], lr=0.1)
    p_opt = ptjax.optim.SGD(pp[:1], lr=0.1)
    t_opt.add_param_group({"params": tp[1:], "lr": 0.01, "momentum": 0.9})
    p_opt.add_param_group({"params": pp[1:], "lr": 0.01, "momentum": 0.9})
    assert repr(t_opt) == repr(p_opt)
    rng = np.random.default_rng(0)
    for k in range(5):
        _set_grads(tp, pp, rng, np.float32)
        t_opt.step()
        p_opt.step()
        _compare_params(tp, pp, f"added group step {k}")
    _compare_state(t_opt.state_dict(), p_opt.state_dict())


def test_named_parameters():
    t = [("w", torch.zeros(2, requires_grad=True)), ("b", torch.zeros(1, requires_grad=True))]
    p = [("w", ptjax.zeros(2, requires_grad=True)), ("b", ptjax.zeros(1, requires_grad=True))]
    t_sd = torch.optim.Adam(t).state_dict()
    p_sd = ptjax.optim.Adam(p).state_dict()
    assert t_sd == {"state": {}, "param_groups": t_sd["param_groups"]}
    assert p_sd["param_groups"] == t_sd["param_groups"]


# -- errors: the same exception type and message as torch ---------------------------------------


def _same_error(fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as p_err:
        fn(ptjax)
    assert type(p_err.value) is type(t_err.value), (p_err.value, t_err.value)
    assert str(p_err.value) == str(t_err.value)


def _p(lib, n=1):
    return [lib.zeros(2, requires_grad=True) for _ in range(n)]


ERRORS = {
    "negative lr": lambda lib: lib.optim.SGD(_p(lib), lr=-0.1),
    "negative lr adam": lambda lib: lib.optim.Adam(_p(lib), lr=-1.0),
    "negative momentum": lambda lib: lib.optim.SGD(_p(lib), momentum=-0.5),
    "negative weight decay": lambda lib: lib.optim.SGD(_p(lib), weight_decay=-1.0),
    "nesterov without momentum": lambda lib: lib.optim.SGD(_p(lib), nesterov=True),
    "nesterov with dampening": lambda lib: lib.optim.SGD(
        _p(lib), momentum=0.9, dampening=0.1, nesterov=True
    ),
    "beta1 >= 1": lambda lib: lib.optim.Adam(_p(lib), betas=(1.0, 0.999)),
    "beta2 < 0": lambda lib: lib.optim.AdamW(_p(lib), betas=(0.9, -0.1)),
    "int betas": lambda lib: lib.optim.Adam(_p(lib), betas=(0, 0.9)),
    "negative eps": lambda lib: lib.optim.Adam(_p(lib), eps=-1e-8),
    "nadam beta": lambda lib: lib.optim.NAdam(_p(lib), betas=(0.9, 1.5)),
    "nadam momentum_decay": lambda lib: lib.optim.NAdam(_p(lib), momentum_decay=-1.0),
    "radam beta": lambda lib: lib.optim.RAdam(_p(lib), betas=(-0.1, 0.9)),
    "adamax beta": lambda lib: lib.optim.Adamax(_p(lib), betas=(0.9, 1.0)),
    "rmsprop alpha": lambda lib: lib.optim.RMSprop(_p(lib), alpha=-0.1),
    "rmsprop momentum": lambda lib: lib.optim.RMSprop(_p(lib), momentum=-0.1),
    "adagrad lr_decay": lambda lib: lib.optim.Adagrad(_p(lib), lr_decay=-0.1),
    "adagrad accumulator": lambda lib: lib.optim.Adagrad(_p(lib), initial_accumulator_value=-1),
    "adadelta rho": lambda lib: lib.optim.Adadelta(_p(lib), rho=1.5),
    "lbfgs lr": lambda lib: lib.optim.LBFGS(_p(lib), lr=-1),
    "empty params": lambda lib: lib.optim.SGD([], lr=0.1),
    "tensor as params": lambda lib: lib.optim.SGD(lib.zeros(2), lr=0.1),
    "param in two groups": lambda lib: (
        lambda ps: lib.optim.SGD([{"params": ps}, {"params": ps[:1]}], lr=0.1)
    )(_p(lib, 2)),
    "non-tensor param": lambda lib: lib.optim.SGD([1.0], lr=0.1),
    "non-leaf param": lambda lib: lib.optim.SGD([_p(lib)[0] * 2], lr=0.1),
    "set of params": lambda lib: lib.optim.SGD([{"params": set(_p(lib))}], lr=0.1),
    "lbfgs groups": lambda lib: lib.optim.LBFGS([{"params": _p(lib)}, {"params": _p(lib)}]),
    "fused and foreach": lambda lib: lib.optim.Adam(_p(lib), fused=True, foreach=True),
    "tensor lr 2 elements": lambda lib: lib.optim.SGD(_p(lib), lr=lib.ones(2)),
    "param_group not a dict": lambda lib: lib.optim.SGD(_p(lib), lr=0.1).add_param_group(_p(lib)),
    "group size mismatch on load": lambda lib: lib.optim.SGD(_p(lib, 2), lr=0.1).load_state_dict(
        lib.optim.SGD(_p(lib), lr=0.1).state_dict()
    ),
    "group count mismatch on load": lambda lib: lib.optim.SGD(_p(lib), lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(ERRORS[case])


def test_differentiable_is_unsupported():
    with pytest.raises(NotImplementedError, match="differentiable"):
        ptjax.optim.Adam(_p(ptjax), differentiable=True)


def test_duplicate_parameter_warns():
    p = ptjax.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ptjax.optim.SGD([p, p], lr=0.1)


# -- LBFGS ----------------------------------------------------------------------------------------


def _lbfgs_problem(lib, dtype, ls, steps=5, **kw):
    rng = np.random.default_rng(0)
    # ill-conditioned least squares, so L-BFGS needs several iterations and its history. In
    # float32 the loss's reductions round differently from torch's and ill-conditioning
    # amplifies that, so float32 gets a milder (but still non-trivial) conditioning.
    spread = 1.5 if dtype == np.float64 else 0.5
    X = (rng.standard_normal((30, 6)) * np.logspace(0, spread, 6)).astype(dtype)
    y = (X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(30)).astype(dtype)
    w = lib.tensor(np.zeros(6, dtype), requires_grad=True)
    b = lib.tensor(np.zeros(1, dtype), requires_grad=True)
    Xt, yt = lib.tensor(X), lib.tensor(y)
    opt = lib.optim.LBFGS([w, b], line_search_fn=ls, **kw)

    def closure():
        opt.zero_grad()
        r = Xt @ w + b - yt
        loss = (r * r).mean()
        loss.backward()
        return loss

    opt._closure = closure
    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return losses, [w, b], opt


@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_lbfgs_least_squares(ls, dtype):
    kw = {"lr": 0.5 if ls is None else 1, "max_iter": 6, "history_size": 4}
    _check_lbfgs(ls, dtype, kw)


@pytest.mark.parametrize(
    "kw",
    [
        {"tolerance_grad": 1e-2, "max_iter": 30},
        {"tolerance_change": 1e-4, "max_iter": 30, "max_eval": 12},
        {"lr": 0.3, "max_iter": 3, "history_size": 2},
    ],
    ids=["tolerance_grad", "tolerance_change-max_eval", "short-history"],
)
def test_lbfgs_options(kw):
    _check_lbfgs("strong_wolfe", np.float64, kw)
    _check_lbfgs(None, np.float64, dict(kw, lr=kw.get("lr", 1) / 2))


def _check_lbfgs(ls, dtype, kw):
    t_losses, t_params, t_opt = _lbfgs_problem(torch, dtype, ls, **kw)
    p_losses, p_params, p_opt = _lbfgs_problem(ptjax, dtype, ls, **kw)
    rtol = 1e-7 if dtype == np.float64 else 1.3e-6
    np.testing.assert_allclose(p_losses, t_losses, rtol=rtol)
    for t, p in zip(t_params, p_params):
        assert_close(p, t)
    ts, ps = t_opt.state[t_params[0]], p_opt.state[p_params[0]]
    assert set(ts) == set(ps)
    if dtype == np.float64:
        # in float32, once converged, the stopping tests compare rounding noise with
        # tolerance_change, so the number of extra evaluations is not reproducible
        assert (ts["func_evals"], ts["n_iter"]) == (ps["func_evals"], ps["n_iter"])
        _compare_state(t_opt.state_dict(), p_opt.state_dict())


# -- the Optax transformations ---------------------------------------------------------------------

OPTAX = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1}, {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True}, {}),
    ("AdamW", {"lr": 0.01}, {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}, {}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1}, {}),
    ("Adadelta", {"lr": 0.5}, {}),
    ("Adamax", {"lr": 0.01}, {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, {}),
    ("RAdam", {"lr": 0.01}, {}),
]


def _optax_kwargs(kwargs):
    kw = dict(kwargs)
    if "betas" in kw:
        kw["beta1"], kw["beta2"] = kw.pop("betas")
    return kw


@pytest.mark.parametrize(("name", "kwargs", "_"), OPTAX, ids=[n for n, _, _ in OPTAX])
def test_optax_transform_matches_torch(name, kwargs, _):
    dtype = np.float32
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    t_opt = getattr(torch.optim, name)(tp, **kwargs)
    tx = getattr(transforms, name.lower())(**_optax_kwargs(kwargs))
    params = {"a": jnp.asarray(init[0]), "b": [jnp.asarray(init[1]), jnp.asarray(init[2])]}
    state = tx.init(params)

    @jax.jit
    def update(params, grads, state):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for k in range(10):
        gs = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if k == 5:  # a hyperparameter edit, as with optax.inject_hyperparams
            state.hyperparams["lr"] = jnp.asarray(kwargs["lr"] / 2, jnp.float64)
            for g in t_opt.param_groups:
                g["lr"] = kwargs["lr"] / 2
        for t, g in zip(tp, gs):
            t.grad = torch.tensor(g)
        t_opt.step()
        grads = {"a": jnp.asarray(gs[0]), "b": [jnp.asarray(gs[1]), jnp.asarray(gs[2])]}
        params, state = update(params, grads, state)
        flat = [params["a"], *params["b"]]
        for i, (t, p) in enumerate(zip(tp, flat)):
            # Optax adds updates to params: p + (new_p - p) rounds once more than torch's
            # in-place update, so allow a couple of float32 ulps
            assert_close(p, t, rtol=3e-6, atol=1e-5, msg=f"{name} step {k} param {i}")


def test_optax_transform_with_schedule():
    tx = transforms.sgd(lr=ptjax.optim.schedules.step_lr(0.1, step_size=2, gamma=0.5))
    params = jnp.zeros(2)
    state = tx.init(params)
    lrs = []
    for _ in range(5):
        updates, state = tx.update(jnp.ones(2), state, params)
        lrs.append(float(-updates[0]))
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.025])


@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_optax_lbfgs_matches_torch(ls):
    # float64: the compiled L-BFGS (lax loops) takes the same iterations and evaluations
    dtype = np.float64
    kw = {"lr": 0.5 if ls is None else 1, "max_iter": 6, "history_size": 4, "line_search_fn": ls}
    kw.pop("line_search_fn")
    _, t_params, t_opt = _lbfgs_problem(torch, dtype, ls, steps=0, **kw)
    kw["line_search_fn"] = ls
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((30, 6)) * np.logspace(0, 1.5, 6)).astype(dtype)
    y = (X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(30)).astype(dtype)
    tx = transforms.lbfgs(**kw)
    params = {"w": jnp.zeros(6, dtype), "b": jnp.zeros(1, dtype)}
    state = tx.init(params)

    def loss_of(p):
        r = jnp.asarray(X) @ p["w"] + p["b"] - jnp.asarray(y)
        return jnp.mean(r * r)

    @jax.jit
    def update(params, state):
        updates, state = tx.update(params, state, params, value_fn=loss_of)
        return optax.apply_updates(params, updates), state

    w, b = t_params
    for k in range(4):
        t_opt.step(t_opt._closure)
        params, state = update(params, state)
        assert_close(params["w"], w, msg=f"step {k}")
        assert_close(params["b"], b, msg=f"step {k}")
        ts = t_opt.state[w]
        inner = state.inner_state
        assert (int(inner.func_evals), int(inner.n_iter)) == (ts["func_evals"], ts["n_iter"])


@pytest.mark.parametrize("name", ["Adam", "NAdam"])
def test_load_state_dict_saved_without_newer_keys(name):
    # older torch versions saved `step` (and NAdam's `mu_product`) as numbers and lacked some
    # group options: both libraries fill them in the same way
    tp, pp = _libs_params(SHAPES, np.float32)
    t_opt, p_opt = getattr(torch.optim, name)(tp, lr=0.01), getattr(ptjax.optim, name)(pp, lr=0.01)
    rng = np.random.default_rng(0)
    _set_grads(tp, pp, rng, np.float32)
    t_opt.step()
    p_opt.step()
    old = _torch_sd_from(p_opt.state_dict())
    for st in old["state"].values():
        for key in ("step", "mu_product"):
            if key in st:
                st[key] = float(st[key])
    for g in old["param_groups"]:
        del g["maximize"], g["decoupled_weight_decay"]
    t_new = getattr(torch.optim, name)([t.detach().clone().requires_grad_() for t in tp])
    p_new = getattr(ptjax.optim, name)(
        [ptjax.tensor(np.array(p._value), requires_grad=True) for p in pp]
    )
    t_new.load_state_dict(copy.deepcopy(old))
    p_new.load_state_dict(copy.deepcopy(old))
    _compare_state(t_new.state_dict(), p_new.state_dict())
    for k in range(3):
        _set_grads(
            t_new.param_groups[0]["params"], p_new.param_groups[0]["params"], rng, np.float32
        )
        t_new.step()
        p_new.step()
        _compare_params(t_new.param_groups[0]["params"], p_new.param_groups[0]["params"], f"{k}")
