"""Eager per-op cost of ptjax against PyTorch for small tensors.

    python benchmarks/op_overhead.py [--n 2000] [--repeat 5]

Each case runs the same small computation ``n`` times in torch and in ptjax and reports the
best of ``repeat`` runs in microseconds per call, and the ratio ptjax / torch. JAX dispatches
asynchronously, so each ptjax run ends by waiting for its last result: the figure is
throughput, as a user's loop sees it. Times are process CPU time (all threads), which stays
meaningful on a machine shared with other work; ``--wall`` uses wall-clock time instead.
The last column times each op as a bare ``jax.jit`` call: the dispatch cost every eager ptjax
op pays at least.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import torch

import ptjax


def _cases(lib):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((16, 16)).astype(np.float32)
    b = rng.standard_normal((16, 16)).astype(np.float32)
    m = rng.standard_normal((64, 64)).astype(np.float32)
    x, y, mm = lib.tensor(a), lib.tensor(b), lib.tensor(m)
    w = lib.tensor(a, requires_grad=True)
    # the same unary op in both libraries: relu once ptjax has it
    unary = getattr(lib, "relu" if hasattr(ptjax, "relu") else "sigmoid")

    def backward():
        w.grad = None
        (w * y).sum().backward()
        return w.grad

    return {
        "add tensor+tensor": lambda: x + y,
        "add tensor+scalar": lambda: x + 2.0,
        "mul": lambda: x * y,
        "matmul 64x64": lambda: mm @ mm,
        "sum": lambda: x.sum(),
        "relu (or sigmoid)": lambda: unary(x),
        "reshape/view": lambda: x.view(256),
        "index x[0]": lambda: x[0],
        "mul+sum+backward": backward,
    }


def _jax_cases():
    """The same ops as bare ``jax.jit`` calls: the dispatch floor an eager ptjax op sits on."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((16, 16)).astype(np.float32))
    y = jnp.asarray(rng.standard_normal((16, 16)).astype(np.float32))
    mm = jnp.asarray(rng.standard_normal((64, 64)).astype(np.float32))
    add, mul, matmul = jax.jit(jnp.add), jax.jit(jnp.multiply), jax.jit(jnp.matmul)
    total, relu = jax.jit(jnp.sum), jax.jit(jax.nn.relu)
    view = jax.jit(lambda v: v.reshape(256))
    first = jax.jit(lambda v: v[0])
    return {
        "add tensor+tensor": lambda: add(x, y),
        "add tensor+scalar": lambda: add(x, 2.0),
        "mul": lambda: mul(x, y),
        "matmul 64x64": lambda: matmul(mm, mm),
        "sum": lambda: total(x),
        "relu (or sigmoid)": lambda: relu(x),
        "reshape/view": lambda: view(x),
        "index x[0]": lambda: first(x),
    }


def _sync(out) -> None:
    if isinstance(out, ptjax.Tensor):
        out._value.block_until_ready()
    elif hasattr(out, "block_until_ready"):
        out.block_until_ready()


def _time(fn, n: int, repeat: int, sync, clock) -> float:
    for _ in range(min(n, 50)):  # warm-up: compile and fill caches
        sync(fn())
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        for _ in range(n):
            out = fn()
        sync(out)
        best = min(best, (clock() - t0) / n)
    return best * 1e6


def main(argv=None) -> list:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000, help="calls per timed run")
    p.add_argument("--repeat", type=int, default=5, help="timed runs; the best is reported")
    p.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = p.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time
    torch.set_num_threads(1)
    t_cases, p_cases, j_cases = _cases(torch), _cases(ptjax), _jax_cases()
    rows = []
    print(f"{'op':<22}{'torch us':>10}{'ptjax us':>10}{'ratio':>8}{'jax.jit us':>12}")
    for name in t_cases:
        t_us = _time(t_cases[name], args.n, args.repeat, lambda o: None, clock)
        p_us = _time(p_cases[name], args.n, args.repeat, _sync, clock)
        j_us = _time(j_cases[name], args.n, args.repeat, _sync, clock) if name in j_cases else None
        rows.append((name, t_us, p_us, j_us))
        floor = f"{j_us:>12.2f}" if j_us is not None else f"{'-':>12}"
        print(f"{name:<22}{t_us:>10.2f}{p_us:>10.2f}{p_us / t_us:>8.2f}{floor}")
    return rows


if __name__ == "__main__":
    main()
