"""ptjax.compile: a compiled training step equals the eager step and torch's step."""

import warnings
import weakref

import numpy as np
import pytest
import torch
from helpers import RNG, assert_close
from nn_helpers import training_step

import ptjax
from ptjax._errors import TracedValueError


def mlp(lib, p_drop=0.0):
    return lib.nn.Sequential(
        lib.nn.Linear(12, 16), lib.nn.ReLU(), lib.nn.Dropout(p_drop), lib.nn.Linear(16, 5)
    )


def _copy_weights(torch_model, pt_model):
    pt_model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})


def _batches(n, batch=8, dtype=np.float32):
    return [
        (RNG.standard_normal((batch, 12)).astype(dtype), RNG.integers(0, 5, batch))
        for _ in range(n)
    ]


def _make(lib, opt_name, double=False):
    model = mlp(lib)
    if double:
        model = model.double()
    if opt_name == "adam":
        opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = lib.optim.SGD(model.parameters(), lr=1e-1, momentum=0.9)
    return model, opt, lib.nn.CrossEntropyLoss()


@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
@pytest.mark.parametrize("double", [False, True])
def test_compiled_step_matches_eager_and_torch(opt_name, double):
    torch.manual_seed(0)
    tm, topt, tcrit = _make(torch, opt_name, double)
    em, eopt, ecrit = _make(ptjax, opt_name, double)
    cm, copt, ccrit = _make(ptjax, opt_name, double)
    _copy_weights(tm, em)
    _copy_weights(tm, cm)
    eager = training_step(em, eopt, ecrit)
    compiled = ptjax.compile(training_step(cm, copt, ccrit))
    tstep = training_step(tm, topt, tcrit)
    dtype = np.float64 if double else np.float32
    for x, y in _batches(4, dtype=dtype):
        tl = tstep(torch.from_numpy(x), torch.from_numpy(y))
        el = eager(ptjax.tensor(x), ptjax.tensor(y))
        cl = compiled(ptjax.tensor(x), ptjax.tensor(y))
        assert_close(el, tl.detach())
        assert_close(cl, tl.detach())
    for (name, tp), (_, ep), (_, cp) in zip(
        tm.named_parameters(), em.named_parameters(), cm.named_parameters()
    ):
        assert_close(ep, tp.detach(), msg=f"eager {name}")
        assert_close(cp, tp.detach(), msg=f"compiled {name}")
        assert_close(cp.grad, tp.grad, msg=f"compiled grad {name}")
    tstate = topt.state_dict()["state"]
    cstate = copt.state_dict()["state"]
    for k, st in tstate.items():
        for key, v in st.items():
            if isinstance(v, torch.Tensor):
                assert_close(cstate[k][key], v, msg=f"optimizer state {k}.{key}")
    # Adam's state is an initialisation, created before the first compile: one program; SGD's
    # momentum buffer is a copy of the first gradient, so its appearance compiles once more
    assert compiled.cache_size == compiled.compile_count == (1 if opt_name == "adam" else 2)


def test_gradients_accumulate_across_compiled_calls():
    tm, pm = mlp(torch), mlp(ptjax)
    _copy_weights(tm, pm)

    def make_step(model, lib):
        def step(x, y):
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            return loss

        return step

    tstep = make_step(tm, torch)
    cstep = ptjax.compile(make_step(pm, ptjax))
    for x, y in _batches(3):
        tstep(torch.from_numpy(x), torch.from_numpy(y))
        cstep(ptjax.tensor(x), ptjax.tensor(y))
    for (name, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
        assert_close(pp.grad, tp.grad, msg=name)


def test_scheduler_changes_lr_without_recompiling():
    model, opt, crit = _make(ptjax, "sgd")
    sched = ptjax.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    tm, topt, tcrit = _make(torch, "sgd")
    _copy_weights(tm, model)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=1, gamma=0.5)
    step = ptjax.compile(training_step(model, opt, crit))
    tstep = training_step(tm, topt, tcrit)
    for x, y in _batches(5):
        cl = step(ptjax.tensor(x), ptjax.tensor(y))
        tl = tstep(torch.from_numpy(x), torch.from_numpy(y))
        sched.step()
        tsched.step()
        assert_close(cl, tl.detach())
    # the lr changed four times; only the momentum buffer's appearance at step 1 recompiled
    assert step.cache_size == 2
    assert opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]


def test_new_batch_size_recompiles_once_and_is_cached():
    model, opt, crit = _make(ptjax, "adam")
    step = ptjax.compile(training_step(model, opt, crit))
    for batch in (8, 8, 4, 4, 8, 4):
        x, y = _batches(1, batch=batch)[0]
        step(ptjax.tensor(x), ptjax.tensor(y))
    # one program per batch size, each compiled once
    assert step.cache_size == step.compile_count == 2


def test_train_eval_switch_recompiles_once():
    model = mlp(ptjax, p_drop=0.5)

    @ptjax.compile
    def forward(x):
        return model(x)

    x = ptjax.tensor(RNG.standard_normal((4, 12)).astype(np.float32))
    forward(x)
    model.eval()
    forward(x)
    forward(x)
    model.train()
    forward(x)
    assert forward.cache_size == 2


def test_dropout_masks_differ_per_step_and_reproduce_from_seed():
    def run():
        ptjax.manual_seed(123)
        model = mlp(ptjax, p_drop=0.5)

        @ptjax.compile
        def forward(x):
            return model(x)

        x = ptjax.ones(2, 12)
        return [forward(x).numpy() for _ in range(3)]

    a, b = run(), run()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], a[1])


def test_compiled_module_dropout_masks_differ_per_call_and_reproduce():
    def run():
        ptjax.manual_seed(7)
        model = ptjax.compile(mlp(ptjax, p_drop=0.5))
        x = ptjax.ones(2, 12)
        return [model(x).detach().numpy() for _ in range(3)]

    a, b = run(), run()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], a[1])


def test_item_inside_compiled_function_names_the_line():
    model = mlp(ptjax)

    @ptjax.compile
    def bad(x):
        loss = model(x).sum()
        return loss.item()  # the offending line

    with pytest.raises(TracedValueError) as info:
        bad(ptjax.ones(2, 12))
    msg = str(info.value)
    assert "Tensor.item()" in msg and "the offending line" in msg and "test_compile.py" in msg


def test_python_if_on_tensor_inside_compiled_function_raises():
    @ptjax.compile
    def branchy(x):
        if x.sum() > 0:
            return x * 2
        return x

    with pytest.raises(TracedValueError, match="torch.where"):
        branchy(ptjax.ones(3))


def test_print_inside_compiled_function_raises():
    @ptjax.compile
    def printy(x):
        print(x)
        return x * 2

    with pytest.raises(TracedValueError, match="print"):
        printy(ptjax.ones(3))


def test_compiled_module_forward_and_backward_match_eager():
    tm, pm = mlp(torch), mlp(ptjax)
    _copy_weights(tm, pm)
    cm = ptjax.compile(pm)
    x = RNG.standard_normal((6, 12)).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_(True)
    px = ptjax.tensor(x, requires_grad=True)
    tout = tm(tx)
    pout = cm(px)
    assert_close(pout, tout.detach())
    cot = RNG.standard_normal(tout.shape).astype(np.float32)
    tout.backward(torch.from_numpy(cot))
    pout.backward(ptjax.tensor(cot))
    assert_close(px.grad, tx.grad)
    for (name, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
        assert_close(pp.grad, tp.grad, msg=name)


def test_recompile_warning_names_the_cause():
    @ptjax.compile
    def f(x):
        return x * 2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 12):
            f(ptjax.ones(n))
    messages = [str(w.message) for w in caught]
    assert any("input shapes/dtypes" in m for m in messages)


def test_state_is_donated_and_other_holders_keep_their_values():
    model, opt, crit = _make(ptjax, "adam")
    step = ptjax.compile(training_step(model, opt, crit))
    batches = [tuple(map(ptjax.tensor, b)) for b in _batches(4)]
    step(*batches[0])
    step(*batches[1])  # now with .grad and optimizer state
    weight = model[0].weight
    # weak references do not keep an array alive, so they see what the step does with it
    old = [weakref.ref(weight._val), weakref.ref(weight.grad._val)]
    old.append(weakref.ref(opt.state[weight]["exp_avg"]._val))
    step(*batches[2])
    for ref in old:
        assert ref() is None or ref().is_deleted()  # the new values reused that memory
    # a tensor sharing the parameter's memory keeps it: a clone stays a snapshot and an
    # alias follows the parameter, as in torch
    snapshot = weight.detach().clone()
    before = snapshot.numpy().copy()
    alias = weight.detach()
    step(*batches[3])
    np.testing.assert_array_equal(snapshot.numpy(), before)
    np.testing.assert_array_equal(alias.numpy(), weight.detach().numpy())
    assert not np.array_equal(weight.detach().numpy(), before)


def test_loaded_state_dict_survives_a_compiled_step():
    model, opt, crit = _make(ptjax, "sgd")
    state = {k: v.clone() for k, v in mlp(ptjax).state_dict().items()}
    model.load_state_dict(state)
    kept = {k: v.numpy().copy() for k, v in state.items()}
    step = ptjax.compile(training_step(model, opt, crit))
    for x, y in _batches(2):
        step(ptjax.tensor(x), ptjax.tensor(y))
    for k, v in state.items():
        np.testing.assert_array_equal(v.numpy(), kept[k], err_msg=k)


def test_first_call_creates_only_the_state_torch_creates():
    # the first call compiles the steady-state program: grads and Adam state are created up
    # front, but only for the parameters that get a gradient, as torch's lazy state would be
    def make(lib):
        used, unused = lib.nn.Linear(12, 5), lib.nn.Linear(12, 5)
        opt = lib.optim.Adam(list(used.parameters()) + list(unused.parameters()), lr=1e-2)
        return used, unused, opt

    tu, tn, topt = make(torch)
    pu, pn, popt = make(ptjax)
    _copy_weights(tu, pu)
    _copy_weights(tn, pn)

    def step(model, opt, lib):
        def run(x, y):
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()  # no zero_grad: gradients accumulate across calls
            opt.step()
            return loss

        return run

    cstep = ptjax.compile(step(pu, popt, ptjax))
    tstep = step(tu, topt, torch)
    for x, y in _batches(3):
        assert_close(
            cstep(ptjax.tensor(x), ptjax.tensor(y)),
            tstep(torch.from_numpy(x), torch.from_numpy(y)).detach(),
        )
        for tp, pp in zip(tu.parameters(), pu.parameters()):
            assert_close(pp.grad, tp.grad)
            assert_close(pp, tp.detach())
        assert all(p.grad is None for p in pn.parameters())
        assert set(popt.state_dict()["state"]) == set(topt.state_dict()["state"]) == {0, 1}
    assert cstep.cache_size == cstep.compile_count == 1


def test_state_created_inside_a_failing_trace_is_removed():
    model, opt, crit = _make(ptjax, "adam")

    @ptjax.compile
    def step(x, y):
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # not allowed inside a compiled function

    x, y = _batches(1)[0]
    with pytest.raises(TracedValueError):
        step(ptjax.tensor(x), ptjax.tensor(y))
    # neither the probe nor the failed trace leaves tracers behind: eager training still works
    assert len(opt.state) == 0 and all(p.grad is None for p in model.parameters())
    training_step(model, opt, crit)(ptjax.tensor(x), ptjax.tensor(y))
    assert len(opt.state) == 4
