"""Parity harness for layers: run a torch module and its ptjax twin on the same weights and
inputs, and compare outputs, input gradients, parameter gradients and buffers.

    check_module(torch.nn.Linear(3, 4), lambda: ptjax.nn.Linear(3, 4), [randn(2, 3)])

``check_module(torch_module, ptjax_module_or_ctor, inputs, ...)``:

- ``torch_module`` is the reference. For every dtype in ``dtypes`` (float32 and float64 by
  default) and every mode in ``modes`` ('train', 'eval') it is deep-copied and cast with
  ``.to(dtype)``; a fresh ptjax module (``ctor()``, or a deep copy of the instance) is cast the
  same way and receives the torch copy's ``state_dict()`` as numpy arrays through
  ``load_state_dict``, so both start from identical parameters and buffers.
- ``inputs`` is a list of positional inputs: numpy float arrays are cast to the dtype and
  require grad (unless ``grad_inputs=False``); integer arrays (class indices, lengths) and
  other Python values pass unchanged. ``kwargs`` are keyword arguments of the call.
- ``forward(module, *inputs, **kwargs)`` replaces ``module(*inputs, **kwargs)`` when given
  (e.g. to pick one output of a tuple, or to call a method other than forward).
- Every floating output (outputs may be nested tuples/lists) is backpropagated with the same
  random cotangent in both libraries; gradients of inputs and of parameters (by name) are
  compared, then every buffer (by name, persistent or not) after the forward.
- With ``jit=True`` the ptjax side also runs inside ``jax.jit``, as one function of (parameter
  arrays, buffer arrays, input arrays) that loads them into the module's tensors, runs the
  forward and the backward on ptjax's tape, and returns outputs, gradients and buffers. It runs
  for the first dtype and every mode (a compilation per configuration is the expensive part).
- ``random_train=True`` is for layers whose training forward is random (dropout): in train mode
  only shapes and dtypes are compared; ``compare(ptjax_out, torch_out, where)`` replaces the
  value comparison of outputs everywhere.
- Tolerances default to torch's ``assert_close`` per dtype; ``rtol``/``atol`` override them
  (say why beside the call).

Returns nothing; raises AssertionError with the place ("float32 eval jit grad of weight") on
the first mismatch.
"""

from __future__ import annotations

import copy

import jax
import numpy as np
import torch
from helpers import RNG, assert_close

import ptjax
from ptjax.bench.backends import training_step  # the step the benchmark times, tested here

__all__ = ["check_module", "to_torch_dtype", "training_step"]


def to_torch_dtype(dtype) -> torch.dtype:
    return {np.float32: torch.float32, np.float64: torch.float64}[np.dtype(dtype).type]


def _flat(out) -> list:
    if isinstance(out, tuple | list):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _is_float_array(a) -> bool:
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def _cast_inputs(inputs, dtype):
    return [a.astype(dtype) if _is_float_array(a) else a for a in inputs]


def _cot(shape, dt, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dt)


def _torch_run(module, inputs, kwargs, forward, grad_inputs, seed):
    ts = []
    for a in inputs:
        if isinstance(a, np.ndarray):
            t = torch.from_numpy(a.copy())
            if grad_inputs and _is_float_array(a):
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(a)
    out = forward(module, *ts, **kwargs)
    outs = _flat(out)
    diff = [
        (o, _cot(tuple(o.shape), str(o.dtype).replace("torch.", ""), seed + i))
        for i, o in enumerate(outs)
        if isinstance(o, torch.Tensor) and o.requires_grad
    ]
    in_leaves = [t for t in ts if isinstance(t, torch.Tensor) and t.requires_grad]
    params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    leaves = in_leaves + [p for _, p in params]
    grads = [None] * len(leaves)
    if diff and leaves:
        grads = torch.autograd.grad(
            [o for o, _ in diff],
            leaves,
            [torch.from_numpy(c) for _, c in diff],
            allow_unused=True,
        )
    n = len(in_leaves)
    buffers = {k: v.detach().clone() for k, v in module.named_buffers()}
    return outs, list(grads[:n]), dict(zip([k for k, _ in params], grads[n:])), buffers


def _ptjax_run(module, inputs, kwargs, forward, grad_inputs, seed, wrap):
    ts = []
    for a in inputs:
        if isinstance(a, np.ndarray | jax.Array):
            t = ptjax.Tensor._make(wrap(a))
            if grad_inputs and np.issubdtype(a.dtype, np.floating):
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(a)
    out = forward(module, *ts, **kwargs)
    outs = _flat(out)
    diff = [
        (o, _cot(tuple(o.shape), o.dtype.name, seed + i))
        for i, o in enumerate(outs)
        if isinstance(o, ptjax.Tensor) and o.requires_grad
    ]
    in_leaves = [t for t in ts if isinstance(t, ptjax.Tensor) and t.requires_grad]
    params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    leaves = in_leaves + [p for _, p in params]
    grads = [None] * len(leaves)
    if diff and leaves:
        grads = ptjax.autograd.grad(
            [o for o, _ in diff],
            leaves,
            [ptjax.Tensor._make(jax.numpy.asarray(c)) for _, c in diff],
            allow_unused=True,
        )
    n = len(in_leaves)
    buffers = dict(module.named_buffers())
    return outs, list(grads[:n]), dict(zip([k for k, _ in params], grads[n:])), buffers


def _value(x):
    if isinstance(x, ptjax.Tensor):
        return x._value
    return x


def _jit_run(module, inputs, kwargs, forward, grad_inputs, seed):
    """The ptjax forward + backward as one jax.jit function of (params, buffers, inputs)."""
    params = list(module.named_parameters())
    buffers = [(n, b) for n, b in module.named_buffers() if b is not None]
    # where each buffer lives, so buffers the forward replaces can be put back afterwards
    owners = {}
    for mod_name, mod in module.named_modules():
        for k, b in mod._buffers.items():
            if b is not None:
                owners[(mod_name + "." if mod_name else "") + k] = (mod, k, b)
    arrays = [a for a in inputs if isinstance(a, np.ndarray)]

    def traced(p_vals, b_vals, in_vals):
        saved_p = [(p, p._val) for _, p in params]
        saved_b = {n: (mod, k, b, b._val) for n, (mod, k, b) in owners.items()}
        try:
            for (_, p), v in zip(params, p_vals):
                p._val = v
            for (_, b), v in zip(buffers, b_vals):
                b._val = v
            it = iter(in_vals)
            full = [next(it) if isinstance(a, np.ndarray) else a for a in inputs]
            outs, g_in, g_par, bufs = _ptjax_run(
                module, full, kwargs, forward, grad_inputs, seed, lambda a: a
            )
            return (
                [_value(o) for o in outs],
                [_value(g) for g in g_in],
                {k: _value(g) for k, g in g_par.items()},
                {k: _value(b) for k, b in bufs.items()},
            )
        finally:
            for p, v in saved_p:
                p._val = v
            for mod, k, b, v in saved_b.values():
                b._val = v
                mod._buffers[k] = b

    return jax.jit(traced)([p._value for _, p in params], [b._value for _, b in buffers], arrays)


def _load_weights(pmodule, tmodule) -> None:
    sd = {k: v.detach().numpy() for k, v in tmodule.state_dict().items()}
    pmodule.load_state_dict(sd)


def check_module(
    torch_module: torch.nn.Module,
    ptjax_module,
    inputs: list,
    *,
    kwargs: dict | None = None,
    forward=None,
    dtypes=(np.float32, np.float64),
    modes=("train", "eval"),
    jit: bool = True,
    grad_inputs: bool = True,
    random_train: bool = False,
    compare=None,
    check_buffers: bool = True,
    rtol=None,
    atol=None,
) -> None:
    """Compare ``ptjax_module`` (an instance or a zero-argument constructor) with
    ``torch_module`` on ``inputs``: outputs, input and parameter gradients, buffers; eagerly and
    inside ``jax.jit``; per dtype and train/eval mode. See the module docstring."""
    kwargs = kwargs or {}
    forward = forward or (lambda m, *xs, **kw: m(*xs, **kw))
    make = (
        ptjax_module
        if callable(ptjax_module) and not isinstance(ptjax_module, ptjax.nn.Module)
        else (lambda: copy.deepcopy(ptjax_module))
    )
    for di, dtype in enumerate(dtypes):
        xs = _cast_inputs(inputs, dtype)
        for mode in modes:
            seed = int(RNG.integers(1 << 30))
            tm = copy.deepcopy(torch_module).to(to_torch_dtype(dtype)).train(mode == "train")
            pm = make().to(ptjax.float64 if dtype == np.float64 else ptjax.float32)
            pm.train(mode == "train")
            _load_weights(pm, tm)
            fresh = copy.deepcopy(pm) if jit and di == 0 else None
            t_out, t_gin, t_gpar, t_buf = _torch_run(tm, xs, kwargs, forward, grad_inputs, seed)
            where = f"{np.dtype(dtype).name} {mode}"
            values = not (random_train and mode == "train")
            res = _ptjax_run(pm, xs, kwargs, forward, grad_inputs, seed, jax.numpy.asarray)
            _verify(
                res,
                (t_out, t_gin, t_gpar, t_buf),
                where + " eager",
                values,
                compare,
                check_buffers,
                rtol,
                atol,
            )
            if fresh is not None:
                res = _jit_run(fresh, xs, kwargs, forward, grad_inputs, seed)
                _verify(
                    res,
                    (t_out, t_gin, t_gpar, t_buf),
                    where + " jit",
                    values,
                    compare,
                    check_buffers,
                    rtol,
                    atol,
                )


def _verify(res, ref, where, values, compare, check_buffers, rtol, atol) -> None:
    p_out, p_gin, p_gpar, p_buf = res
    t_out, t_gin, t_gpar, t_buf = ref
    assert len(p_out) == len(t_out), f"{where}: {len(p_out)} outputs vs torch's {len(t_out)}"
    for k, (p, t) in enumerate(zip(p_out, t_out)):
        if compare is not None:
            compare(p, t, where)
            continue
        if not isinstance(t, torch.Tensor):
            assert p == t, f"{where} output {k}: {p!r} vs {t!r}"
            continue
        assert tuple(p.shape) == tuple(t.shape), (
            f"{where} output {k} shape {tuple(p.shape)} vs {tuple(t.shape)}"
        )
        if values:
            assert_close(p, t, rtol=rtol, atol=atol, msg=f"{where} output {k}")
        else:
            assert str(_value(p).dtype) == str(t.dtype).replace("torch.", ""), where
    if not values:
        return  # random forward: gradients and buffers depend on the draw
    for k, (p, t) in enumerate(zip(p_gin, t_gin)):
        _check_grad(p, t, rtol, atol, f"{where} grad of input {k}")
    assert set(p_gpar) == set(t_gpar), f"{where}: parameters {set(p_gpar)} vs {set(t_gpar)}"
    for name, t in t_gpar.items():
        _check_grad(p_gpar[name], t, rtol, atol, f"{where} grad of {name}")
    if check_buffers:
        assert set(p_buf) == set(t_buf), f"{where}: buffers {set(p_buf)} vs {set(t_buf)}"
        for name, t in t_buf.items():
            assert_close(p_buf[name], t, rtol=rtol, atol=atol, msg=f"{where} buffer {name}")


def _check_grad(p, t, rtol, atol, where) -> None:
    if t is None:
        assert p is None or np.allclose(np.asarray(_value(p)), 0), f"{where}: torch has None"
        return
    assert p is not None, f"{where} is None, torch has one"
    assert_close(p, t, rtol=rtol, atol=atol, msg=where)
