"""autocast's casting policy and GradScaler's loss scaling against torch's, on CPU."""

import numpy as np
import pytest
import torch
from helpers import assert_close, randn

import ptjax


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))


def _copy(tm, pm):
    pm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("compiled", [False, True])
def test_autocast_bfloat16_matches_torch(compiled):
    torch.manual_seed(0)
    tm, pm = _model(torch), _model(ptjax)
    _copy(tm, pm)
    x, y = randn(4, 6), np.array([0, 2, 1, 2])

    def run(lib, model, x, y):
        with lib.autocast("cpu", dtype=lib.bfloat16):
            out = model(x)
            loss = lib.nn.functional.cross_entropy(out, y)
        return out, loss

    tout, tloss = run(torch, tm, torch.from_numpy(x), torch.from_numpy(y))

    def step(x, y):
        return run(ptjax, pm, x, y)

    if compiled:
        step = ptjax.compile(step)
    pout, ploss = step(ptjax.tensor(x), ptjax.tensor(y))
    assert pout.dtype is ptjax.bfloat16 and ploss.dtype is ptjax.float32  # torch's policy
    # An output is a sum of terms of order 0.1-1 with bfloat16 hidden activations; two
    # backends may round one activation to neighbouring bfloat16 values (their float32
    # accumulations differ in order, and compiled XLA fuses linear+relu+linear), which moves
    # an output by about one bfloat16 ulp of the terms (~1e-3) however small the sum is:
    # bfloat16's rtol plus that absolute slack.
    assert_close(pout, tout.detach(), atol=1e-3, rtol=1.6e-2)
    # the loss is computed in float32 from bfloat16 logits; both sides round the same logits
    assert_close(ploss, tloss.detach(), rtol=1.6e-2, atol=1e-5)
    if not compiled:
        tloss.backward()
        ploss.backward()
        for (name, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
            # bfloat16 matmuls in the backward: bfloat16's own tolerance, on float32 grads
            assert_close(pp.grad, tp.grad, rtol=1.6e-2, atol=1e-2, msg=name)


def _policy_cases():
    """(name, fn(lib, a, b)) over bfloat16 (4, 6) inputs ``a`` and ``b``."""

    def f(lib):
        return lib.nn.functional

    cls = np.array([0, 1, 2, 3])
    sign = np.sign(np.arange(24).reshape(4, 6) % 3 - 1.0).astype(np.float32)
    return {
        # CPU: float32 in torch's list
        "l1_loss": lambda L, a, b: f(L).l1_loss(a, b),
        "mse_loss": lambda L, a, b: f(L).mse_loss(a, b),
        "smooth_l1_loss": lambda L, a, b: f(L).smooth_l1_loss(a, b),
        "huber_loss": lambda L, a, b: f(L).huber_loss(a, b),
        "kl_div": lambda L, a, b: f(L).kl_div(a, b, reduction="batchmean"),
        "binary_cross_entropy": lambda L, a, b: f(L).binary_cross_entropy(
            L.sigmoid(a), L.sigmoid(b)
        ),
        "bce_with_logits": lambda L, a, b: f(L).binary_cross_entropy_with_logits(a, L.sigmoid(b)),
        "nll_loss": lambda L, a, b: f(L).nll_loss(a, L.tensor(cls)),
        "cross_entropy": lambda L, a, b: f(L).cross_entropy(a, L.tensor(cls)),
        "margin_ranking_loss": lambda L, a, b: f(L).margin_ranking_loss(a, b, L.tensor(sign)),
        "hinge_embedding_loss": lambda L, a, b: f(L).hinge_embedding_loss(a, L.tensor(sign)),
        "soft_margin_loss": lambda L, a, b: f(L).soft_margin_loss(a, L.tensor(sign)),
        "multi_margin_loss": lambda L, a, b: f(L).multi_margin_loss(a, L.tensor(cls)),
        "multilabel_margin_loss": lambda L, a, b: f(L).multilabel_margin_loss(
            a, L.tensor(np.tile(np.array([3, 0, -1, 0, 0, 0]), (4, 1)))
        ),
        "triplet_margin_loss": lambda L, a, b: f(L).triplet_margin_loss(a, b, a + 1),
        "cosine_embedding_loss": lambda L, a, b: f(L).cosine_embedding_loss(a, b, L.ones(4)),
        "poisson_nll_loss": lambda L, a, b: f(L).poisson_nll_loss(a, b.abs()),
        "prod": lambda L, a, b: a.prod(1),
        "cdist": lambda L, a, b: L.cdist(a, b),
        "trace": lambda L, a, b: L.trace(a),
        "max_pool3d": lambda L, a, b: f(L).max_pool3d(a[None, None, None], (1, 2, 2)),
        "avg_pool3d": lambda L, a, b: f(L).avg_pool3d(a[None, None, None], (1, 2, 2)),
        "adaptive_avg_pool3d": lambda L, a, b: f(L).adaptive_avg_pool3d(a[None, None, None], 2),
        "adaptive_max_pool3d": lambda L, a, b: f(L).adaptive_max_pool3d(a[None, None, None], 2),
        "reflect_pad1d": lambda L, a, b: f(L).pad(a[None], (2, 1), mode="reflect"),
        "reflect_pad2d": lambda L, a, b: f(L).pad(a[None], (2, 1, 1, 2), mode="reflect"),
        "replicate_pad1d": lambda L, a, b: f(L).pad(a[None], (2, 1), mode="replicate"),
        "replicate_pad3d": lambda L, a, b: f(L).pad(a[None, None], (1, 1, 1, 1, 1, 1), "replicate"),
        "grid_sample": lambda L, a, b: f(L).grid_sample(
            a[None, None], L.tanh(b).reshape(1, 3, 4, 2), align_corners=False
        ),
        # CPU: the input's dtype (torch's CUDA list has these in float32)
        "softmax": lambda L, a, b: L.softmax(a, -1),
        "log_softmax": lambda L, a, b: L.log_softmax(a, -1),
        "layer_norm": lambda L, a, b: f(L).layer_norm(a, (6,)),
        "group_norm": lambda L, a, b: f(L).group_norm(a, 2),
        "max_pool2d": lambda L, a, b: f(L).max_pool2d(a[None], 2),
        "avg_pool2d": lambda L, a, b: f(L).avg_pool2d(a[None], 2),
        "circular_pad": lambda L, a, b: f(L).pad(a[None], (1, 1), mode="circular"),
        "sum": lambda L, a, b: a.sum(),
        "exp": lambda L, a, b: a.exp(),
        # lower precision
        "mm": lambda L, a, b: L.mm(a.float(), b.float().T),
    }


@pytest.mark.parametrize("name", sorted(_policy_cases()))
def test_autocast_cpu_policy_matches_torch(name):
    fn = _policy_cases()[name]
    an, bn = randn(4, 6), randn(4, 6)
    results = []
    for lib in (torch, ptjax):
        a, b = (lib.tensor(v).to(lib.bfloat16) for v in (an, bn))
        with lib.autocast("cpu", dtype=lib.bfloat16):
            results.append(fn(lib, a, b))
    tout, pout = results
    assert str(pout.dtype) == str(tout.dtype), name
    # both sides compute from the same bfloat16 inputs in the same precision
    assert_close(pout, tout, rtol=1.6e-2, atol=1e-2, msg=name)


_CUDA_FP32 = {
    # torch's documented CUDA float32 list (the CPU torch build here cannot run it)
    "softmax": lambda x: ptjax.softmax(x, -1),
    "log_softmax": lambda x: ptjax.log_softmax(x, -1),
    "softmin": lambda x: ptjax.nn.functional.softmin(x, -1),
    "layer_norm": lambda x: ptjax.nn.functional.layer_norm(x, (6,)),
    "group_norm": lambda x: ptjax.nn.functional.group_norm(x, 2),
    "exp": lambda x: x.exp(),
    "expm1": lambda x: ptjax.expm1(x),
    "log": lambda x: x.abs().log(),
    "log2": lambda x: ptjax.log2(x.abs()),
    "log10": lambda x: ptjax.log10(x.abs()),
    "log1p": lambda x: ptjax.log1p(x.abs()),
    "rsqrt": lambda x: x.abs().rsqrt(),
    "reciprocal": lambda x: x.reciprocal(),
    "tan": lambda x: x.tan(),
    "asin": lambda x: x.asin(),
    "acos": lambda x: ptjax.acos(x),
    "sinh": lambda x: x.sinh(),
    "cosh": lambda x: x.cosh(),
    "erfinv": lambda x: x.erfinv(),
    "pow": lambda x: x.pow(2),
    "__pow__": lambda x: x**2,
    "__rpow__": lambda x: 2**x,
    "__rtruediv__": lambda x: 1 / x,
    "sum": lambda x: x.sum(),
    "cumsum": lambda x: x.cumsum(0),
    "cumprod": lambda x: x.cumprod(0),
    "prod": lambda x: x.prod(),
    "norm": lambda x: x.norm(),
    "softplus": lambda x: ptjax.nn.functional.softplus(x),
    "cosine_similarity": lambda x: ptjax.nn.functional.cosine_similarity(x, x.flip(0)),
    "normalize": lambda x: ptjax.nn.functional.normalize(x),
    "pdist": lambda x: ptjax.nn.functional.pdist(x),
    "cdist": lambda x: ptjax.cdist(x, x),
    "mse_loss": lambda x: ptjax.nn.functional.mse_loss(x, x * 0),
    "bce_with_logits": lambda x: ptjax.nn.functional.binary_cross_entropy_with_logits(x, x),
}


@pytest.mark.parametrize("name", sorted(_CUDA_FP32))
def test_autocast_cuda_policy_float32_ops(name):
    # in (-1, 1) for asin/acos/erfinv; each case does only exact bfloat16 work before its op
    x = ptjax.tensor(randn(4, 6, low=-0.9, high=0.9)).to(ptjax.bfloat16)
    with ptjax.autocast("cuda", dtype=ptjax.bfloat16):
        out = _CUDA_FP32[name](x)
    assert out.dtype is ptjax.float32, name
    # the same op on the float32 input outside autocast
    assert_close(out, torch.from_numpy(_CUDA_FP32[name](x.float()).numpy()), msg=name)


def test_autocast_cuda_policy():
    x = ptjax.tensor(randn(4, 6)).to(ptjax.bfloat16)
    with ptjax.autocast("cuda", dtype=ptjax.bfloat16):
        # CPU-only entries keep the input dtype on CUDA
        assert ptjax.nn.functional.max_pool3d(x[None, None, None], 1).dtype is ptjax.bfloat16
        assert ptjax.trace(x[:4, :4]).dtype is ptjax.bfloat16
        # `tensor / number` is not in the list; `number / tensor` is
        assert (x / 2).dtype is ptjax.bfloat16
        # in-place ops keep their tensor's dtype
        y = x.clone()
        assert y.exp_().dtype is ptjax.bfloat16
        assert_close(y, torch.from_numpy(x.float().numpy()).exp().bfloat16())
        with pytest.raises(RuntimeError, match="binary_cross_entropy is unsafe to autocast"):
            ptjax.nn.functional.binary_cross_entropy(ptjax.sigmoid(x), ptjax.sigmoid(x))


def test_autocast_disabled_region_and_float64_left_alone():
    lin = ptjax.nn.Linear(3, 2)
    x = ptjax.randn(2, 3)
    with ptjax.amp.autocast("cpu"):
        assert lin(x).dtype is ptjax.bfloat16
        with ptjax.autocast("cpu", enabled=False):
            assert lin(x).dtype is ptjax.float32
        lin64 = ptjax.nn.Linear(3, 2).double()
        assert lin64(x.double()).dtype is ptjax.float64
    assert lin(x).dtype is ptjax.float32


def test_grad_scaler_matches_torch_including_skipped_steps():
    torch.manual_seed(0)
    tm, pm = _model(torch), _model(ptjax)
    _copy(tm, pm)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    popt = ptjax.optim.SGD(pm.parameters(), lr=0.1)
    kw = {"init_scale": 2.0**4, "growth_interval": 2}
    tsc = torch.amp.GradScaler("cpu", **kw)
    psc = ptjax.amp.GradScaler("cpu", **kw)
    for i in range(6):
        x, y = randn(4, 6), np.array([0, 2, 1, 2])
        if i == 2:
            x[0, 0] = np.inf  # an overflowing step: skipped, and the scale backs off
        for lib, model, opt, sc in ((torch, tm, topt, tsc), (ptjax, pm, popt, psc)):
            opt.zero_grad()
            xx, yy = (
                (torch.from_numpy(x), torch.from_numpy(y))
                if lib is torch
                else (ptjax.tensor(x), ptjax.tensor(y))
            )
            loss = lib.nn.functional.cross_entropy(model(xx), yy)
            sc.scale(loss).backward()
            sc.step(opt)
            sc.update()
        assert psc.get_scale() == tsc.get_scale(), f"step {i}"
        for (name, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
            assert_close(pp, tp.detach(), msg=f"step {i} {name}")
    assert psc.state_dict() == tsc.state_dict()


def test_grad_scaler_in_a_compiled_step_skips_inf_steps():
    pm = _model(ptjax)
    opt = ptjax.optim.SGD(pm.parameters(), lr=0.1)
    scaler = ptjax.amp.GradScaler("cpu", init_scale=8.0)

    @ptjax.compile
    def step(x, y):
        opt.zero_grad()
        loss = ptjax.nn.functional.cross_entropy(pm(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    y = ptjax.tensor([0, 1])
    step(ptjax.randn(2, 6), y)
    before = [p.detach().clone() for p in pm.parameters()]
    bad = ptjax.randn(2, 6)
    bad[0, 0] = float("inf")
    step(bad, y)
    for b, p in zip(before, pm.parameters()):
        np.testing.assert_array_equal(b.numpy(), p.detach().numpy())
    assert scaler.get_scale() == 4.0
