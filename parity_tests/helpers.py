"""The parity harness: run the same computation in torch and in ptjax (eager and inside
``jax.jit``) and compare outputs and gradients with torch's own ``assert_close`` defaults.

    check(lambda t, x, y: t.add(x, y, alpha=2), [randn(3, 4), randn(4)])

``fn(lib, *tensors)`` is written once against the torch API; ``lib`` is ``torch`` or ``ptjax``.
Floating inputs require grad; each floating output is backpropagated with the same random
cotangent in both libraries and every input gradient is compared.
"""

from __future__ import annotations

import jax
import numpy as np
import torch

import ptjax

RNG = np.random.default_rng(0)


def randn(*shape, dtype=np.float32, low=None, high=None):
    """Random test data (normal, or uniform in [low, high) when given)."""
    if low is not None:
        return RNG.uniform(low, high, size=shape).astype(dtype)
    return RNG.standard_normal(size=shape).astype(dtype)


def randint(low, high, *shape, dtype=np.int64):
    return RNG.integers(low, high, size=shape).astype(dtype)


def _flat(out):
    if isinstance(out, tuple | list):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, ptjax.Tensor):
        return np.asarray(x._value)
    return np.asarray(x)


def assert_close(actual, expected, *, rtol=None, atol=None, check_dtype=True, msg=""):
    """torch.testing.assert_close on a ptjax result (or array) against a torch result."""
    if isinstance(expected, torch.Tensor):
        a = np.asarray(actual._value) if isinstance(actual, ptjax.Tensor) else np.asarray(actual)
        if check_dtype:
            assert str(a.dtype) == str(expected.dtype).replace("torch.", ""), (
                f"{msg} dtype: ptjax {a.dtype} vs torch {expected.dtype}"
            )
        exp = expected.detach()
        if exp.dtype == torch.bfloat16:
            act = torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
        else:
            act = torch.from_numpy(np.array(a))
        torch.testing.assert_close(
            act,
            exp,
            rtol=rtol,
            atol=atol,
            equal_nan=True,
            check_dtype=check_dtype,
            msg=lambda m: f"{msg}\n{m}",
        )
    else:
        assert actual == expected, f"{msg}: {actual!r} != {expected!r}"


def _is_float(a) -> bool:
    return np.issubdtype(a.dtype, np.inexact) or str(a.dtype) == "bfloat16"


def _run_torch(fn, inputs, grad, cot_seed):
    ts = []
    for a in inputs:
        if isinstance(a, np.ndarray):
            t = torch.from_numpy(a.copy())
            if grad and _is_float(a):
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(a)
    out = fn(torch, *ts)
    outs = _flat(out)
    grads = []
    if grad:
        diff = [
            (o, _cot(o, cot_seed + i))
            for i, o in enumerate(outs)
            if isinstance(o, torch.Tensor) and o.requires_grad
        ]
        leaves = [t for t in ts if isinstance(t, torch.Tensor) and t.requires_grad]
        if diff and leaves:
            gs = torch.autograd.grad(
                [o for o, _ in diff],
                leaves,
                [torch.from_numpy(c) for _, c in diff],
                allow_unused=True,
            )
            grads = [None if g is None else g for g in gs]
    return outs, grads


def _cot(o, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(o.shape)
    dt = str(o.dtype).replace("torch.", "")
    if dt == "bfloat16":
        import ml_dtypes

        return rng.standard_normal(shape).astype(ml_dtypes.bfloat16)
    if dt.startswith("complex"):  # both parts, so a conjugation error cannot hide
        return np.asarray(rng.standard_normal(shape) + 1j * rng.standard_normal(shape), dt)
    return rng.standard_normal(shape).astype(dt)


def _ptjax_fn(fn, inputs, grad, cot_seed, wrap):
    ts = []
    for a in inputs:
        if isinstance(a, np.ndarray | jax.Array):
            t = ptjax.Tensor._make(wrap(a))
            if grad and _is_float(a):
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(a)
    out = fn(ptjax, *ts)
    outs = _flat(out)
    grads = []
    if grad:
        diff = [
            (o, _cot(o, cot_seed + i))
            for i, o in enumerate(outs)
            if isinstance(o, ptjax.Tensor) and o.requires_grad
        ]
        leaves = [t for t in ts if isinstance(t, ptjax.Tensor) and t.requires_grad]
        if diff and leaves:
            gs = ptjax.autograd.grad(
                [o for o, _ in diff],
                leaves,
                [ptjax.tensor(c) for _, c in diff],
                allow_unused=True,
            )
            grads = list(gs)
    return outs, grads


def check(fn, inputs, *, grad=True, jit=True, rtol=None, atol=None, check_dtype=True, compare=None):
    """Compare ``fn(torch, ...)`` with ``fn(ptjax, ...)``: outputs and input gradients,
    eagerly and (if ``jit``) with the whole ptjax computation inside ``jax.jit``.

    ``compare(ptjax_out, torch_out)`` replaces value comparison (for ops whose outputs are
    only defined up to sign, order, or randomness).
    """
    seed = int(RNG.integers(1 << 30))
    t_outs, t_grads = _run_torch(fn, inputs, grad, seed)

    def verify(p_outs, p_grads, where):
        assert len(p_outs) == len(t_outs), f"{where}: {len(p_outs)} outputs vs {len(t_outs)}"
        for k, (p, t) in enumerate(zip(p_outs, t_outs)):
            if compare is not None:
                compare(p, t)
            elif isinstance(t, torch.Tensor):
                assert isinstance(p, ptjax.Tensor | np.ndarray | jax.Array), (
                    f"{where} output {k}: {type(p)}"
                )
                assert tuple(p.shape) == tuple(t.shape), (
                    f"{where} output {k} shape {tuple(p.shape)} vs {tuple(t.shape)}"
                )
                assert_close(
                    p, t, rtol=rtol, atol=atol, check_dtype=check_dtype, msg=f"{where} output {k}"
                )
            else:
                assert p == t, f"{where} output {k}: {p!r} vs {t!r}"
        for k, (p, t) in enumerate(zip(p_grads, t_grads)):
            if t is None:
                assert p is None or np.allclose(_np(p), 0), f"{where} grad {k} should be None"
                continue
            assert p is not None, f"{where} grad {k} is None, torch has one"
            assert_close(
                p,
                t,
                rtol=rtol,
                atol=atol,
                check_dtype=check_dtype,
                msg=f"{where} grad of input {k}",
            )

    p_outs, p_grads = _ptjax_fn(fn, inputs, grad, seed, lambda a: jax.numpy.asarray(a))
    verify(p_outs, p_grads, "eager")
    if not jit:
        return
    arrays = [a for a in inputs if isinstance(a, np.ndarray)]

    def traced(*arrs):
        it = iter(arrs)
        full = [next(it) if isinstance(a, np.ndarray) else a for a in inputs]
        outs, grads = _ptjax_fn(fn, full, grad, seed, lambda a: a)
        return (
            [o._value if isinstance(o, ptjax.Tensor) else o for o in outs],
            [g._value if g is not None else None for g in grads],
        )

    j_outs, j_grads = jax.jit(traced)(*arrays)
    verify(j_outs, [None if g is None else g for g in j_grads], "jit")


def raises(exc, match, fn, *args, **kwargs):
    """Assert that ``fn`` raises ``exc`` whose message contains ``match``."""
    import pytest

    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert match in str(info.value), f"{match!r} not in {str(info.value)!r}"
