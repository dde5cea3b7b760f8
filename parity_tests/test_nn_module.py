"""The Module system against torch, side by side: registration, traversal order and names,
state_dict / load_state_dict (errors included), tied weights, printing, hooks, modes,
conversion, containers, Parameter."""

import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
from helpers import assert_close, raises, randn
from nn_helpers import check_module

import ptjax
import ptjax.nn as pnn


def make_net(lib):
    """The same nested model in torch or ptjax: submodules, containers, buffers, tied weights."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = nn.Linear(n, n)
            self.act = nn.ReLU()
            self.register_buffer("running", lib.zeros(n))
            self.register_buffer("scratch", lib.ones(n), persistent=False)
            self.register_buffer("absent", None)

        def forward(self, x):
            return self.act(self.fc(x)) + self.running

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(7, 4)
            self.blocks = nn.ModuleList([Block(4), Block(4)])
            self.heads = nn.ModuleDict({"b": nn.Linear(4, 2), "a": nn.Linear(4, 3, bias=False)})
            self.seq = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Dropout(0.1))
            self.scale = nn.Parameter(lib.ones(1))
            self.plist = nn.ParameterList([nn.Parameter(lib.zeros(2)), nn.Parameter(lib.ones(3))])
            self.decoder = nn.Linear(4, 7, bias=False)
            self.decoder.weight = self.embed.weight  # tied

        def forward(self, idx):
            h = self.embed(idx)
            for b in self.blocks:
                h = b(h)
            h = self.seq(h) * self.scale
            return self.decoder(h), self.heads["a"](h)

    return Net()


def test_traversal_names_and_order_match_torch():
    t, p = make_net(torch), make_net(ptjax)
    for fn in [
        lambda m: [n for n, _ in m.named_parameters()],
        lambda m: [tuple(x.shape) for x in m.parameters()],
        lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
        lambda m: [n for n, _ in m.named_parameters(prefix="model", recurse=True)],
        lambda m: [n for n, _ in m.named_parameters(recurse=False)],
        lambda m: [n for n, _ in m.named_buffers()],
        lambda m: [n for n, _ in m.named_children()],
        lambda m: [n for n, _ in m.named_modules()],
        lambda m: [type(x).__name__ for x in m.modules()],
        lambda m: list(m.state_dict().keys()),
        lambda m: list(m.state_dict(prefix="pre.").keys()),
        lambda m: list(m.state_dict()._metadata.items()),
    ]:
        assert fn(p) == fn(t)
    assert {"embed", "blocks", "scale", "plist", "decoder", "forward"} <= set(dir(p))
    assert "0" not in dir(p.blocks)


def test_repr_identical_to_torch():
    t, p = make_net(torch), make_net(ptjax)
    assert repr(p) == repr(t)
    for mk in [
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3))),
        lambda nn: nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU()]),
        lambda nn: nn.ModuleList(),
        lambda nn: nn.Sequential(OrderedDict(conv=nn.Linear(1, 1), act=nn.LeakyReLU(0.2))),
        lambda nn: nn.ModuleDict({"x": nn.Identity(), "y": nn.Flatten()}),
    ]:
        assert repr(mk(pnn)) == repr(mk(torch.nn))


def test_parameter_containers_repr():
    made = {}
    for lib in (torch, ptjax):
        pl = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(2, 3)), lib.zeros(4), "x"])
        pd = lib.nn.ParameterDict({"b": lib.nn.Parameter(lib.ones(2)), "a": lib.zeros(1)})
        made[lib.__name__] = (pl, pd)
    (ppl, ppd), (tpl, tpd) = made["ptjax"], made["torch"]
    assert repr(ppl) == repr(tpl)
    assert repr(ppd) == repr(tpd)
    assert isinstance(ppl[1], pnn.Parameter)  # plain tensors become Parameters
    assert list(ppd.keys()) == list(tpd.keys()) == ["a", "b"]
    assert [n for n, _ in ppd.named_parameters()] == [n for n, _ in tpd.named_parameters()]
    assert [n for n, _ in ppl.named_parameters()] == [n for n, _ in tpl.named_parameters()]
    assert len(ppl[0:2]) == 2 and ppd.get("zz", 7) == 7
    raises(RuntimeError, "ParameterList should not be called.", ppl)


def test_tied_weights():
    p = make_net(ptjax)
    assert p.decoder.weight is p.embed.weight
    names = [n for n, _ in p.named_parameters()]
    assert "embed.weight" in names and "decoder.weight" not in names  # once in parameters()
    sd = p.state_dict()
    assert "embed.weight" in sd and "decoder.weight" in sd  # twice in state_dict
    t = make_net(torch)
    p.load_state_dict(t.state_dict())
    assert p.decoder.weight is p.embed.weight
    assert_close(p.decoder.weight, t.embed.weight)


def test_load_torch_state_dict_gives_same_outputs_and_grads():
    t, p = make_net(torch), make_net(ptjax)
    t.eval()
    p.eval()
    with torch.no_grad():
        for b in t.blocks:
            b.running.uniform_()
    result = p.load_state_dict(t.state_dict())  # real torch tensors, converted with no torch import
    assert (
        repr(result)
        == repr(torch.nn.Linear(1, 1).load_state_dict(torch.nn.Linear(1, 1).state_dict()))
        == "<All keys matched successfully>"
    )
    idx = np.array([[1, 2, 6], [0, 3, 3]])
    t_out = t(torch.from_numpy(idx))
    p_out = p(ptjax.tensor(idx))
    for a, b in zip(p_out, t_out):
        assert_close(a, b)
    (t_out[0].sum() + t_out[1].square().sum()).backward()
    (p_out[0].sum() + (p_out[1] * p_out[1]).sum()).backward()
    for (name, pp), (_, tp) in zip(p.named_parameters(), t.named_parameters()):
        assert_close(pp.grad, tp.grad, msg=name)


def test_check_module_on_a_model_with_buffers_and_index_inputs():
    check_module(
        make_net(torch),
        lambda: make_net(ptjax),
        [np.array([[1, 2, 6], [0, 3, 3]])],
        random_train=True,
    )


def test_load_state_dict_copies_in_place():
    m = pnn.Linear(3, 2)
    w = m.weight
    version = w._version
    held = w.detach()  # e.g. an optimizer's reference
    new = randn(2, 3)
    m.load_state_dict({"weight": new, "bias": np.zeros(2, np.float32)})
    assert m.weight is w and w.requires_grad and w.is_leaf
    assert np.array_equal(w.detach().numpy(), new)
    assert np.array_equal(held.numpy(), new)  # views of the parameter see the new values
    assert w._version > version
    # dtype and device follow the model, not the checkpoint
    m.load_state_dict({"weight": new.astype(np.float64), "bias": np.zeros(2)})
    assert m.weight.dtype is ptjax.float32


def test_load_state_dict_assign():
    m = pnn.Linear(3, 2)
    old = m.weight
    sd = {"weight": ptjax.tensor(randn(2, 3), dtype=ptjax.float64), "bias": ptjax.zeros(2)}
    m.load_state_dict(sd, assign=True)
    assert m.weight is not old and isinstance(m.weight, pnn.Parameter)
    assert m.weight.dtype is ptjax.float64 and m.weight.requires_grad


def _torch_error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None


def test_load_state_dict_errors_match_torch():
    t, p = make_net(torch), make_net(ptjax)
    sd = {k: v.detach().numpy() for k, v in t.state_dict().items()}
    bad = dict(sd)
    del bad["blocks.0.fc.bias"], bad["scale"]
    bad["blocks.1.extra"] = np.zeros(1, np.float32)
    bad["nothere.weight"] = np.zeros(1, np.float32)
    bad["heads.a.weight"] = np.zeros((3, 5), np.float32)
    t_bad = {k: torch.from_numpy(v) for k, v in bad.items()}
    t_err = _torch_error(lambda: t.load_state_dict(t_bad))
    p_err = _torch_error(lambda: p.load_state_dict(bad))
    assert p_err == t_err
    assert (
        "Missing key(s) in state_dict" in t_err[1]
        and "size mismatch for heads.a.weight" in t_err[1]
    )
    # strict=False: size mismatches still raise; missing/unexpected keys are returned
    del bad["heads.a.weight"], t_bad["heads.a.weight"]
    t_res = t.load_state_dict(t_bad, strict=False)
    p_res = p.load_state_dict(bad, strict=False)
    assert p_res == t_res and repr(p_res) == repr(t_res)
    assert "heads.a.weight" in p_res.missing_keys and "nothere.weight" in p_res.unexpected_keys
    assert _torch_error(lambda: p.load_state_dict([1, 2])) == _torch_error(
        lambda: t.load_state_dict([1, 2])
    )
    assert _torch_error(lambda: p.load_state_dict({**sd, "scale": 3})) == _torch_error(
        lambda: t.load_state_dict({**t.state_dict(), "scale": 3})
    )


def test_state_dict_values_and_keep_vars():
    p = make_net(ptjax)
    sd = p.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["scale"].requires_grad and not isinstance(sd["scale"], pnn.Parameter)
    kv = p.state_dict(keep_vars=True)
    assert kv["scale"] is p.scale
    assert "blocks.0.scratch" not in sd and "blocks.0.absent" not in sd
    # a deep copy of the state_dict is a snapshot
    snap = copy.deepcopy(sd)
    pnn.init.zeros_(p.scale)
    assert snap["scale"].item() == 1.0


def test_registration_errors_match_torch():
    cases = [
        lambda lib: lib.nn.Linear(2, 2).register_buffer("weight", lib.zeros(1)),
        lambda lib: lib.nn.Linear(2, 2).register_buffer("a.b", lib.zeros(1)),
        lambda lib: lib.nn.Linear(2, 2).register_buffer("", lib.zeros(1)),
        lambda lib: lib.nn.Linear(2, 2).register_buffer("x", [1.0]),
        lambda lib: lib.nn.Linear(2, 2).register_parameter("x", lib.zeros(1)),
        lambda lib: lib.nn.Linear(2, 2).register_parameter("a.b", None),
        lambda lib: lib.nn.Linear(2, 2).add_module("x", 3),
        lambda lib: lib.nn.Linear(2, 2).add_module("weight", lib.nn.ReLU()),
        lambda lib: setattr(lib.nn.Linear(2, 2), "weight", lib.zeros(2, 2)),
        lambda lib: setattr(lib.nn.Sequential(lib.nn.ReLU()), "0", lib.zeros(1)),
        lambda lib: lib.nn.Linear(2, 2).nothere,
        lambda lib: lib.nn.Linear(2, 2).get_submodule("a.b"),
        lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2)).get_submodule("0.weight"),
        lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2)).get_parameter("0.nope"),
        lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2)).get_parameter("0.in_features"),
        lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2)).get_buffer("0.weight"),
        lambda lib: lib.nn.Linear(2, 2).train("yes"),
        lambda lib: lib.nn.Linear(2, 2).to(lib.int64),
        lambda lib: lib.nn.Module()(1),
        lambda lib: lib.nn.Module(3),
        lambda lib: lib.nn.Parameter(lib.zeros(2, dtype=lib.int64)),
    ]
    for i, case in enumerate(cases):
        t_err = _torch_error(lambda case=case: case(torch))
        p_err = _torch_error(lambda case=case: case(ptjax))
        assert t_err is not None, i
        assert p_err is not None and p_err[0] is t_err[0], (i, p_err, t_err)
        assert p_err[1] == t_err[1].replace("torch.nn.modules.linear", "ptjax.nn.modules.linear"), (
            i,
            p_err,
            t_err,
        )


def test_setattr_reassignment_semantics():
    for lib in (torch, ptjax):
        m = lib.nn.Linear(2, 2)
        m.bias = None  # allowed: parameter slot set to None
        assert m.bias is None and "bias" in m._parameters
        m.extra = lib.nn.ReLU()
        m.extra = None
        assert m.extra is None
        m.register_buffer("buf", lib.zeros(1))
        m.buf = lib.ones(2)  # assigning a tensor to a buffer name keeps it a buffer
        assert "buf" in m._buffers and tuple(m.buf.shape) == (2,)
        m.b2 = lib.nn.Buffer(lib.ones(1), persistent=False)
        assert "b2" in m._buffers and "b2" not in m.state_dict()
        del m.buf
        assert "buf" not in m._buffers
        m.plain = lib.ones(1)  # a plain tensor attribute is not registered
        assert "plain" not in m.state_dict()


def test_modes_apply_and_requires_grad():
    t, p = make_net(torch), make_net(ptjax)
    t.eval()
    p.eval()
    assert [m.training for m in p.modules()] == [m.training for m in t.modules()]
    assert not any(m.training for m in p.modules())
    p.train()
    assert all(m.training for m in p.modules())
    seen_t, seen_p = [], []
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert p.apply(lambda m: seen_p.append(type(m).__name__)) is p
    assert seen_p == seen_t
    p.requires_grad_(False)
    assert not any(x.requires_grad for x in p.parameters())


def test_zero_grad():
    m = pnn.Linear(2, 2)
    m(ptjax.ones(1, 2)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and (g.numpy() == 0).all()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_dtype_and_device_conversion():
    p = make_net(ptjax)
    w = p.seq[0].weight
    p.seq[0](ptjax.ones(1, 4)).sum().backward()
    assert p.double() is p
    assert p.seq[0].weight is w and w.dtype is ptjax.float64 and w.grad.dtype is ptjax.float64
    assert p.blocks[0].running.dtype is ptjax.float64
    p.to(ptjax.float32)
    assert w.dtype is ptjax.float32
    p.half()
    assert w.dtype is ptjax.float16
    p.bfloat16()
    assert w.dtype is ptjax.bfloat16
    p.float()
    p.to("cpu")
    p.cpu()
    assert w.device.type == "cpu"
    idx = pnn.Module()
    idx.register_buffer("i", ptjax.tensor([1, 2]))
    idx.double()
    assert idx.i.dtype is ptjax.int64  # only floating tensors change dtype
    p.to(ptjax.ones(1, dtype=ptjax.float64))
    assert w.dtype is ptjax.float64
    p.type(ptjax.float32)
    assert w.dtype is ptjax.float32


def test_forward_hooks():
    calls = {}
    for lib in (torch, ptjax):
        m = lib.nn.Linear(2, 2)
        order = []
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        m.register_forward_pre_hook(
            lambda mod, args, order=order: order.append("pre-first"), prepend=True
        )
        h3 = m.register_forward_hook(lambda mod, args, out: out + 1)
        m.register_forward_hook(
            lambda mod, args, kwargs, out, order=order: order.append(("kw", sorted(kwargs))),
            with_kwargs=True,
        )
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: ((args[0] + 0,), kwargs), with_kwargs=True
        )
        x = lib.ones(1, 2)
        with lib.no_grad():
            m.weight.fill_(1.0) if lib is torch else pnn.init.ones_(m.weight)
            m.bias.zero_() if lib is torch else pnn.init.zeros_(m.bias)
        out = m(x)
        h1.remove()
        h3.remove()
        out2 = m(x)
        calls[lib.__name__] = (out.tolist(), out2.tolist(), order)
    assert calls["ptjax"] == calls["torch"]


def test_forward_hook_always_call():
    for lib in (torch, ptjax):

        class Bad(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        seen = []
        m = Bad()
        m.register_forward_hook(lambda mod, a, out, seen=seen: seen.append(out), always_call=True)
        with pytest.raises(ValueError, match="boom"):
            m(1)
        assert seen == [None]


def test_full_backward_hooks_match_torch():
    records = {}
    for lib in (torch, ptjax):
        m = lib.nn.Linear(3, 2)
        with lib.no_grad():
            if lib is torch:
                m.weight.copy_(torch.arange(6.0).reshape(2, 3) / 7)
            else:
                m.load_state_dict({"weight": np.arange(6.0).reshape(2, 3) / 7, "bias": np.zeros(2)})
        log = []

        def pre(mod, grad_output, log=log):
            log.append(("pre", [g.tolist() for g in grad_output]))
            return (grad_output[0] * 2,)

        def hook(mod, grad_input, grad_output, log=log):
            log.append(
                ("full", [g.tolist() for g in grad_input], [g.tolist() for g in grad_output])
            )
            return (grad_input[0] + 1,)

        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(hook)
        x = lib.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
        (m(x) * lib.tensor([[1.0, 3.0]])).sum().backward()
        records[lib.__name__] = (log, x.grad.tolist(), m.weight.grad.tolist())
    p_log, t_log = records["ptjax"], records["torch"]
    assert np.allclose(p_log[1], t_log[1]) and np.allclose(p_log[2], t_log[2])
    assert [e[0] for e in p_log[0]] == [e[0] for e in t_log[0]]
    for pe, te in zip(p_log[0], t_log[0]):
        for pa, ta in zip(pe[1:], te[1:]):
            assert np.allclose(pa, ta)
    raises(
        RuntimeError, "Cannot use both regular backward hooks and full backward hooks", _mixed_hooks
    )


def _mixed_hooks():
    m = pnn.Linear(1, 1)
    m.register_full_backward_hook(lambda *a: None)
    m.register_backward_hook(lambda *a: None)


def test_global_forward_hook():
    seen = []
    h = pnn.modules.module.register_module_forward_hook(
        lambda m, a, o: seen.append(type(m).__name__)
    )
    try:
        pnn.Sequential(pnn.ReLU())(ptjax.ones(1))
    finally:
        h.remove()
    pnn.ReLU()(ptjax.ones(1))
    assert seen == ["ReLU", "Sequential"]


def test_deepcopy_and_pickle():
    # standard layers only: pickle needs importable classes
    p = pnn.Sequential(pnn.Embedding(5, 3), pnn.Linear(3, 5, bias=False))
    p[1].weight = p[0].weight  # tied: both are (5, 3)
    p.register_buffer("steps", ptjax.tensor([3]))
    p[1](ptjax.ones(1, 3)).sum().backward()
    for clone in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert repr(clone) == repr(p)
        assert clone[1].weight is clone[0].weight  # ties survive
        assert clone[0].weight is not p[0].weight
        for (n, a), (_, b) in zip(clone.state_dict().items(), p.state_dict().items()):
            assert np.array_equal(np.asarray(a._value), np.asarray(b._value)), n
        assert isinstance(clone[0].weight, pnn.Parameter) and clone[0].weight.requires_grad


def test_parameter_semantics():
    t = ptjax.tensor([1.0, 2.0])
    p = pnn.Parameter(t)
    assert isinstance(p, ptjax.Tensor) and isinstance(p, pnn.Parameter) and p.requires_grad
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert not pnn.Parameter(t, requires_grad=False).requires_grad
    assert tuple(pnn.Parameter().shape) == (0,)
    q = copy.deepcopy(p)
    assert type(q) is pnn.Parameter and q is not p and q.requires_grad
    p.grad = ptjax.ones(2)
    assert copy.deepcopy(p).grad is None  # torch copies data and requires_grad only
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is pnn.Parameter and r.requires_grad and r.tolist() == [1.0, 2.0]
    assert type(p * 2) is ptjax.Tensor  # ops on parameters give plain tensors
    b = pnn.Buffer(t)
    assert isinstance(b, pnn.Buffer) and not isinstance(t, pnn.Buffer) and b.persistent


def test_sequential_api_matches_torch():
    results = {}
    for lib in (torch, ptjax):
        nn = lib.nn
        s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
        log = [type(s[-1]).__name__, len(s), type(s[1:]).__name__, len(s[::2])]
        s.append(nn.Identity())
        s.insert(1, nn.ELU())
        s.extend([nn.GELU()])
        log.append([type(m).__name__ for m in s])
        popped = s.pop(0)
        log.append((type(popped).__name__, list(s._modules)))
        del s[1]
        log.append(list(s._modules))
        s2 = s + nn.Sequential(nn.ReLU())
        log.append(len(s2))
        s[0] = nn.Softsign()
        log.append(repr(s))
        log.append(repr(s * 2))
        results[lib.__name__] = log
    assert results["ptjax"] == results["torch"]
    raises(IndexError, "index 5 is out of range", lambda: pnn.Sequential(pnn.ReLU())[5])
    raises(
        ValueError,
        "add operator supports only objects of Sequential class",
        lambda: pnn.Sequential() + pnn.ReLU(),
    )


def test_sequential_forward():
    check_module(
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)),
        lambda: pnn.Sequential(pnn.Linear(3, 4), pnn.ReLU(), pnn.Linear(4, 2)),
        [randn(5, 3)],
        modes=("eval",),
    )


def test_modulelist_and_moduledict_api():
    results = {}
    for lib in (torch, ptjax):
        nn = lib.nn
        ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        ml.append(nn.ReLU())
        ml.extend([nn.ReLU(), nn.ReLU()])
        ml.insert(0, nn.Sigmoid())
        log = [repr(ml), len(ml), type(ml[-1]).__name__, type(ml[1:3]).__name__]
        del ml[0]
        ml += [nn.Identity()]
        log.append(list(ml._modules))
        md = nn.ModuleDict([("x", nn.ReLU()), ("y", nn.Tanh())])
        md["z"] = nn.Sigmoid()
        md.update({"w": nn.ELU()})
        log += [list(md.keys()), "x" in md, len(md), type(md.pop("x")).__name__, repr(md)]
        results[lib.__name__] = log
    assert results["ptjax"] == results["torch"]


def test_compile_is_unsupported_and_extra_repr():
    raises(NotImplementedError, "torch.nn.Module.compile", pnn.Linear(1, 1).compile)

    class WithExtra(pnn.Module):
        def extra_repr(self):
            return "a=1,\nb=2"

    assert repr(WithExtra()) == "WithExtra(\n  a=1,\n  b=2\n)"
    assert pnn.Linear(1, 1)._get_name() == "Linear"


def test_state_dict_hooks_and_get_set_extra_state():
    for lib in (torch, ptjax):

        class M(lib.nn.Module):
            def __init__(self, lib=lib):
                super().__init__()
                self.lin = lib.nn.Linear(1, 1)
                self.counter = 5

            def get_extra_state(self):
                return {"counter": self.counter}

            def set_extra_state(self, state):
                self.counter = state["counter"]

        m = M()
        sd = m.state_dict()
        assert sd["_extra_state"] == {"counter": 5}
        m2 = M()
        m2.counter = 0
        m2.load_state_dict(sd)
        assert m2.counter == 5


def test_legacy_warnings_silenced_in_module_tests():
    # state_dict positional args are deprecated in torch too
    m = pnn.Linear(1, 1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m.state_dict(None, "p.")
    assert any(issubclass(x.category, FutureWarning) for x in w)


def test_factory_kwargs_and_unsupported_names():
    for kw in [None, {"dtype": 1}, {"device": "cpu", "factory_kwargs": {"dtype": 2}}]:
        assert pnn.factory_kwargs(kw) == torch.nn.factory_kwargs(kw)
    for bad in [{"dtype": 1, "factory_kwargs": {"dtype": 2}}, {"foo": 1}]:
        assert _torch_error(lambda bad=bad: pnn.factory_kwargs(bad)) == _torch_error(
            lambda bad=bad: torch.nn.factory_kwargs(bad)
        )
    raises(
        NotImplementedError,
        "torch.nn.DataParallel is not supported by ptjax",
        lambda: pnn.DataParallel,
    )
    assert not hasattr(pnn, "NotATorchName")
