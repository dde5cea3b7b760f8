"""torch.optim.LBFGS's ``step`` as a pure JAX function and an Optax transformation.

One ``update`` is one torch ``step(closure)``: up to ``max_iter`` L-BFGS iterations, each
with torch's fixed step or its strong-Wolfe line search, all as ``lax`` loops so it runs under
``jax.jit``. The objective comes in as the ``value_fn`` extra argument (params -> loss), the
closure's role; parameters are handled as one flat vector, as torch flattens them. The
history is a fixed-size buffer (``history_size`` rows) with a count of valid rows.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["lbfgs", "LBFGSState"]


class LBFGSState(NamedTuple):
    """torch's LBFGS state (``func_evals``, ``n_iter``, ``d``, ``t``, history, ``H_diag``,
    ``prev_flat_grad``, ``prev_loss``, ``al``), with the history as ``(history_size, n)``
    arrays of which the first ``num_old`` rows are in use."""

    func_evals: jax.Array
    n_iter: jax.Array
    d: jax.Array
    t: jax.Array
    old_dirs: jax.Array
    old_stps: jax.Array
    ro: jax.Array
    num_old: jax.Array
    H_diag: jax.Array
    prev_flat_grad: jax.Array
    prev_loss: jax.Array
    al: jax.Array


def _cubic(x1, f1, g1, x2, f2, g2, lo=None, hi=None):
    """Minimizer of the cubic interpolating two points, clipped to [lo, hi] (torch's rule)."""
    if lo is None:
        lo, hi = jnp.minimum(x1, x2), jnp.maximum(x1, x2)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    d2 = jnp.sqrt(jnp.maximum(d2_square, 0))
    pos12 = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    pos21 = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    min_pos = jnp.where(x1 <= x2, pos12, pos21)
    return jnp.where(d2_square >= 0, jnp.minimum(jnp.maximum(min_pos, lo), hi), (lo + hi) / 2.0)


def _strong_wolfe(fg, x, t, d, f, g, gtd, max_ls, c1=1e-4, c2=0.9, tolerance_change=1e-9):
    """torch's strong-Wolfe line search: returns ``(f, g, t, evaluations)``."""
    d_norm = jnp.max(jnp.abs(d))
    f_new, g_new = fg(x + t * d)
    gtd_new = jnp.dot(g_new, d)
    two = lambda a, b: jnp.stack([a, b])  # noqa: E731
    c = {
        "t": t,
        "t_prev": jnp.zeros_like(t),
        "f_prev": f,
        "g_prev": g,
        "gtd_prev": gtd,
        "f_new": f_new,
        "g_new": g_new,
        "gtd_new": gtd_new,
        "ls_iter": jnp.int32(0),
        "evals": jnp.int32(1),
        "status": jnp.int32(0),  # 0 searching, 1 bracket of two points, 2 Wolfe point found
        "bt": two(t, t),
        "bf": two(f, f),
        "bg": two(g, g),
        "bgtd": two(gtd, gtd),
    }

    def bracket_found(c):
        armijo_fail = (c["f_new"] > f + c1 * c["t"] * gtd) | (
            (c["ls_iter"] > 1) & (c["f_new"] >= c["f_prev"])
        )
        wolfe = ~armijo_fail & (jnp.abs(c["gtd_new"]) <= -c2 * gtd)
        status = jnp.where(armijo_fail | (c["gtd_new"] >= 0), 1, 0)
        return jnp.where(wolfe, 2, status).astype(jnp.int32)

    def search_cond(c):
        return (c["status"] == 0) & (c["ls_iter"] < max_ls)

    def search_body(c):
        status = bracket_found(c)

        def stop(c):
            one = status == 2
            c = dict(c, status=status)
            c["bt"] = jnp.where(one, two(c["t"], c["t"]), two(c["t_prev"], c["t"]))
            c["bf"] = jnp.where(one, two(c["f_new"], c["f_new"]), two(c["f_prev"], c["f_new"]))
            c["bg"] = jnp.where(one, two(c["g_new"], c["g_new"]), two(c["g_prev"], c["g_new"]))
            c["bgtd"] = jnp.where(
                one, two(c["gtd_new"], c["gtd_new"]), two(c["gtd_prev"], c["gtd_new"])
            )
            return c

        def advance(c):
            t = c["t"]
            lo, hi = t + 0.01 * (t - c["t_prev"]), t * 10
            t_next = _cubic(
                c["t_prev"], c["f_prev"], c["gtd_prev"], t, c["f_new"], c["gtd_new"], lo, hi
            )
            f_new, g_new = fg(x + t_next * d)
            return dict(
                c,
                t=t_next,
                t_prev=t,
                f_prev=c["f_new"],
                g_prev=c["g_new"],
                gtd_prev=c["gtd_new"],
                f_new=f_new,
                g_new=g_new,
                gtd_new=jnp.dot(g_new, d),
                ls_iter=c["ls_iter"] + 1,
                evals=c["evals"] + 1,
            )

        return jax.lax.cond(status == 0, advance, stop, c)

    c = jax.lax.while_loop(search_cond, search_body, c)
    exhausted = c["ls_iter"] == max_ls
    c["bt"] = jnp.where(exhausted, two(jnp.zeros_like(t), c["t"]), c["bt"])
    c["bf"] = jnp.where(exhausted, two(f, c["f_new"]), c["bf"])
    c["bg"] = jnp.where(exhausted, two(g, c["g_new"]), c["bg"])
    c["bgtd"] = jnp.where(exhausted, two(gtd, c["gtd_new"]), c["bgtd"])

    low = jnp.where(c["bf"][0] <= c["bf"][1], 0, 1).astype(jnp.int32)
    z = {
        "bt": c["bt"],
        "bf": c["bf"],
        "bg": c["bg"],
        "bgtd": c["bgtd"],
        "low": low,
        "high": 1 - low,
        "done": c["status"] == 2,
        "stop": jnp.bool_(False),
        "insuf": jnp.bool_(False),
        "ls_iter": c["ls_iter"],
        "evals": c["evals"],
    }

    def zoom_cond(z):
        return ~z["done"] & ~z["stop"] & (z["ls_iter"] < max_ls)

    def zoom_step(z):
        bt, bf, bgtd = z["bt"], z["bf"], z["bgtd"]
        t = _cubic(bt[0], bf[0], bgtd[0], bt[1], bf[1], bgtd[1])
        bmax, bmin = jnp.max(bt), jnp.min(bt)
        eps = 0.1 * (bmax - bmin)
        near = jnp.minimum(bmax - t, t - bmin) < eps
        at_edge = z["insuf"] | (t >= bmax) | (t <= bmin)
        moved = jnp.where(jnp.abs(t - bmax) < jnp.abs(t - bmin), bmax - eps, bmin + eps)
        t = jnp.where(near & at_edge, moved, t)
        insuf = near & ~at_edge
        f_new, g_new = fg(x + t * d)
        gtd_new = jnp.dot(g_new, d)
        low, high = z["low"], z["high"]

        def put(z, k, t, f, g, gt):
            return dict(
                z,
                bt=z["bt"].at[k].set(t),
                bf=z["bf"].at[k].set(f),
                bg=z["bg"].at[k].set(g),
                bgtd=z["bgtd"].at[k].set(gt),
            )

        def worse(z):
            z = put(z, high, t, f_new, g_new, gtd_new)
            low = jnp.where(z["bf"][0] <= z["bf"][1], 0, 1).astype(jnp.int32)
            return dict(z, low=low, high=1 - low)

        def better(z):
            done = jnp.abs(gtd_new) <= -c2 * gtd
            flip = ~done & (gtd_new * (z["bt"][high] - z["bt"][low]) >= 0)
            moved = put(z, high, z["bt"][low], z["bf"][low], z["bg"][low], z["bgtd"][low])
            z = jax.tree.map(lambda a, b: jnp.where(flip, a, b), moved, z)
            return dict(put(z, low, t, f_new, g_new, gtd_new), done=done)

        fail = (f_new > f + c1 * t * gtd) | (f_new >= bf[low])
        z = jax.lax.cond(fail, worse, better, z)
        return dict(z, insuf=insuf, ls_iter=z["ls_iter"] + 1, evals=z["evals"] + 1)

    def zoom_body(z):
        small = jnp.abs(z["bt"][1] - z["bt"][0]) * d_norm < tolerance_change
        return jax.lax.cond(small, lambda z: dict(z, stop=jnp.bool_(True)), zoom_step, z)

    z = jax.lax.while_loop(zoom_cond, zoom_body, z)
    low = z["low"]
    return z["bf"][low], z["bg"][low], z["bt"][low], z["evals"]


def _direction(g, s, hyper):
    """The L-BFGS direction: history update then the two-loop recursion (torch's order)."""
    size = s.old_dirs.shape[0]
    y = g - s.prev_flat_grad
    step = s.d * s.t
    ys = jnp.dot(y, step)
    keep = ys > 1e-10
    full = s.num_old == size

    def push(buf, row):
        buf = jnp.where(full, jnp.roll(buf, -1, axis=0), buf)
        return buf.at[jnp.where(full, size - 1, s.num_old)].set(row)

    dirs = jnp.where(keep, push(s.old_dirs, y), s.old_dirs)
    stps = jnp.where(keep, push(s.old_stps, step), s.old_stps)
    ro = jnp.where(keep, push(s.ro[:, None], (1.0 / ys)[None])[:, 0], s.ro)
    num_old = jnp.where(keep, jnp.minimum(s.num_old + 1, size), s.num_old)
    h_diag = jnp.where(keep, ys / jnp.dot(y, y), s.H_diag)

    def back(j, c):
        q, al = c
        i = size - 1 - j
        a = jnp.dot(stps[i], q) * ro[i]
        on = i < num_old
        return jnp.where(on, q + (-a) * dirs[i], q), al.at[i].set(jnp.where(on, a, al[i]))

    q, al = jax.lax.fori_loop(0, size, back, (-g, s.al))
    r = q * h_diag

    def fwd(i, r):
        be = jnp.dot(dirs[i], r) * ro[i]
        return jnp.where(i < num_old, r + (al[i] - be) * stps[i], r)

    r = jax.lax.fori_loop(0, size, fwd, r)
    return r, dirs, stps, ro, num_old, h_diag, al


def lbfgs_step(value_fn, x, state: LBFGSState, hyper: dict, *, max_iter, max_eval, line_search):
    """One torch ``LBFGS.step`` on the flat vector ``x``: returns ``(x, state, first_loss)``."""
    dt = x.dtype

    def fg(x):
        f, g = jax.value_and_grad(value_fn)(x)
        return jnp.asarray(f, dt), g

    lr = jnp.asarray(hyper["lr"], dt)
    tol_grad, tol_change = hyper["tolerance_grad"], hyper["tolerance_change"]
    loss, g = fg(x)
    s = state._replace(func_evals=state.func_evals + 1)

    def iterate(s):
        c = {
            "x": x,
            "loss": loss,
            "g": g,
            "s": s,
            "n_iter": jnp.int32(0),
            "evals": jnp.int32(1),
            "stop": jnp.bool_(False),
            "opt": jnp.bool_(False),
        }

        def cond(c):
            return ~c["stop"] & (c["n_iter"] < max_iter)

        def body(c):
            s, g = c["s"], c["g"]
            n_iter = c["n_iter"] + 1
            s = s._replace(n_iter=s.n_iter + 1)
            first = s.n_iter == 1

            def restart(s):
                z = jnp.zeros_like
                return s._replace(
                    d=-g, num_old=z(s.num_old), H_diag=jnp.ones_like(s.H_diag)
                )._replace(old_dirs=z(s.old_dirs), old_stps=z(s.old_stps), ro=z(s.ro))

            def update(s):
                d, dirs, stps, ro, num_old, h_diag, al = _direction(g, s, hyper)
                return s._replace(
                    d=d, old_dirs=dirs, old_stps=stps, ro=ro, num_old=num_old, H_diag=h_diag, al=al
                )

            s = jax.lax.cond(first, restart, update, s)
            s = s._replace(prev_flat_grad=g, prev_loss=c["loss"])
            t0 = jnp.minimum(jnp.asarray(1.0, dt), 1.0 / jnp.sum(jnp.abs(g))) * lr
            t = jnp.where(first, t0, lr)
            s = s._replace(t=t)
            d = s.d
            gtd = jnp.dot(g, d)

            def move(c):
                x = c["x"]
                if line_search:
                    f_new, g_new, t_new, ls_evals = _strong_wolfe(
                        fg, x, t, d, c["loss"], g, gtd, max_ls=max_eval - c["evals"]
                    )
                    x = x + t_new * d
                    opt = jnp.max(jnp.abs(g_new)) <= tol_grad
                else:
                    t_new = t
                    x = x + t * d
                    # re-evaluated only when another iteration follows, as torch does
                    f_new, g_new = jax.lax.cond(n_iter != max_iter, fg, lambda x: (c["loss"], g), x)
                    opt = jnp.where(
                        n_iter != max_iter, jnp.max(jnp.abs(g_new)) <= tol_grad, c["opt"]
                    )
                    ls_evals = jnp.where(n_iter != max_iter, 1, 0).astype(jnp.int32)
                evals = c["evals"] + ls_evals
                st = c["s"]._replace(t=t_new, func_evals=c["s"].func_evals + ls_evals)
                stop = (
                    (n_iter == max_iter)
                    | (evals >= max_eval)
                    | opt
                    | (jnp.max(jnp.abs(d * t_new)) <= tol_change)
                    | (jnp.abs(f_new - st.prev_loss) < tol_change)
                )
                return dict(c, x=x, loss=f_new, g=g_new, s=st, evals=evals, stop=stop, opt=opt)

            c = dict(c, s=s, n_iter=n_iter)
            # directional derivative below tolerance: stop before moving
            return jax.lax.cond(gtd > -tol_change, lambda c: dict(c, stop=jnp.bool_(True)), move, c)

        c = jax.lax.while_loop(cond, body, c)
        return c["x"], c["s"]

    optimal = jnp.max(jnp.abs(g)) <= tol_grad
    x_new, s = jax.lax.cond(optimal, lambda s: (x, s), iterate, s)
    return x_new, s, loss


def _lbfgs_factory(
    lr,
    tolerance_grad,
    tolerance_change,
    *,
    max_iter,
    max_eval,
    history_size,
    line_search_fn,
) -> optax.GradientTransformationExtraArgs:
    if line_search_fn not in (None, "strong_wolfe"):
        raise RuntimeError("only 'strong_wolfe' is supported")
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    hyper = {"lr": lr, "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change}

    def init_fn(params):
        x, _ = ravel_pytree(params)
        n, dt = x.shape[0], x.dtype
        zero = jnp.zeros((), dt)
        return LBFGSState(
            func_evals=jnp.int32(0),
            n_iter=jnp.int32(0),
            d=jnp.zeros(n, dt),
            t=zero,
            old_dirs=jnp.zeros((history_size, n), dt),
            old_stps=jnp.zeros((history_size, n), dt),
            ro=jnp.zeros(history_size, dt),
            num_old=jnp.int32(0),
            H_diag=jnp.ones((), dt),
            prev_flat_grad=jnp.zeros(n, dt),
            prev_loss=zero,
            al=jnp.zeros(history_size, dt),
        )

    def update_fn(updates, state, params=None, *, value_fn=None, **extra_args):
        if params is None or value_fn is None:
            raise ValueError(
                "torch LBFGS needs the parameters and the objective: "
                "update(grads, state, params, value_fn=loss_of_params)"
            )
        x, unravel = ravel_pytree(params)
        new_x, state, _ = lbfgs_step(
            lambda v: value_fn(unravel(v)),
            x,
            state,
            hyper,
            max_iter=max_iter,
            max_eval=max_eval,
            line_search=line_search_fn is not None,
        )
        return unravel(new_x - x), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def lbfgs(
    lr=1.0,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad=1e-7,
    tolerance_change=1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.LBFGS as an Optax transformation: each ``update(grads, state, params,
    value_fn=f)`` is one torch ``step`` minimizing ``f(params)`` (``grads`` is not used: like
    torch's closure, ``value_fn`` is evaluated at ``params`` first)."""
    return optax.inject_hyperparams(
        _lbfgs_factory,
        static_args=("max_iter", "max_eval", "history_size", "line_search_fn"),
        hyperparam_dtype=jnp.float64,
    )(
        lr=lr,
        tolerance_grad=tolerance_grad,
        tolerance_change=tolerance_change,
        max_iter=max_iter,
        max_eval=max_eval,
        history_size=history_size,
        line_search_fn=line_search_fn,
    )
