"""The LSTM time loop with a hand-written backward pass (``jax.custom_vjp``), used on CPU.

Differentiating ``lax.scan`` of an LSTM step gives a correct but slow backward on XLA's CPU
backend: the weight gradient is accumulated with one small matmul per step, and a loop body
that reads one time step of a (T, B, 4H) array and slices it into gates compiles to scalar code
(an elementwise-only loop: 3.4 ms with gate slicing, 1.1 ms on per-gate arrays). Like torch's
CPU kernel, this version keeps each gate in its own (T, B, H) array (one (H, H) matmul per gate
and step), saves the gate activations so the backward loop has no transcendental functions,
and computes the recurrent weight and bias gradients after the loop with one matmul.

The arithmetic and its rounding order follow torch: ``gates = (h W_hh^T + b_hh) + x_proj``,
``c' = f*c + i*g``, ``h' = o*tanh(c')``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax


def lstm_recurrence(xw, w_hh, b_hh, h0, c0, precision=None):
    """Run an LSTM over the projected inputs of all steps.

    Args:
        xw: ``(T, B, 4H)`` input projections ``x W_ih^T + b_ih``, gates ordered i, f, g, o.
        w_hh: ``(4H, H)`` recurrent weight (torch's layout).
        b_hh: ``(4H,)`` recurrent bias, or None.
        h0, c0: ``(B, H)`` initial state.
        precision: matmul precision for ``jax.lax.dot``.

    Returns:
        ``(hs, h_T, c_T)``: every step's hidden state ``(T, B, H)`` and the final state.
    """
    if b_hh is None:
        b_hh = jnp.zeros(w_hh.shape[0], w_hh.dtype)
    return _recurrence(precision, xw, w_hh, b_hh, h0, c0)


def _split4(a):
    return jnp.split(a, 4, axis=-1)


def _forward(precision, xw, w_hh, b_hh, h0, c0):
    x_gates = _split4(xw)  # four (T, B, H): a loop step reads each without slicing
    w_gates = jnp.split(w_hh, 4)  # four (H, H) in torch's (out, in) layout
    b_gates = _split4(b_hh)

    def step(carry, x_t):
        h, c = carry
        pre = [
            (jnp.matmul(h, w.T, precision=precision) + b) + x
            for w, b, x in zip(w_gates, b_gates, x_t)
        ]
        i, f, o = (jax.nn.sigmoid(pre[k]) for k in (0, 1, 3))
        g = jnp.tanh(pre[2])
        c = f * c + i * g
        tanh_c = jnp.tanh(c)
        h = o * tanh_c
        return (h, c), (h, c, tanh_c, i, f, g, o)

    (h_t, c_t), saved = lax.scan(step, (h0, c0), tuple(x_gates))
    return (saved[0], h_t, c_t), saved


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _recurrence(precision, xw, w_hh, b_hh, h0, c0):
    return _forward(precision, xw, w_hh, b_hh, h0, c0)[0]


def _recurrence_fwd(precision, xw, w_hh, b_hh, h0, c0):
    out, saved = _forward(precision, xw, w_hh, b_hh, h0, c0)
    return out, (saved, w_hh, h0, c0)


def _recurrence_bwd(precision, residuals, cotangents):
    (hs, cs, tanh_cs, i_s, f_s, g_s, o_s), w_hh, h0, c0 = residuals
    d_hs, d_h_t, d_c_t = cotangents
    c_prev = jnp.concatenate([c0[None], cs[:-1]])

    def step(carry, inp):
        dh, dc = carry
        dh_t, tanh_c, cp, i, f, g, o = inp
        dh = dh + dh_t
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        d_pre = (
            dc * g * i * (1 - i),
            dc * cp * f * (1 - f),
            dc * i * (1 - g * g),
            dh * tanh_c * o * (1 - o),
        )
        dh_prev = jnp.matmul(jnp.concatenate(d_pre, axis=-1), w_hh, precision=precision)
        return (dh_prev, dc * f), d_pre

    (dh0, dc0), d_pre = lax.scan(
        step, (d_h_t, d_c_t), (d_hs, tanh_cs, c_prev, i_s, f_s, g_s, o_s), reverse=True
    )
    d_xw = jnp.concatenate(d_pre, axis=-1)  # (T, B, 4H)
    h_prev = jnp.concatenate([h0[None], hs[:-1]])
    steps_batch = d_xw.shape[0] * d_xw.shape[1]
    d_w_hh = jnp.matmul(
        d_xw.reshape(steps_batch, -1).T, h_prev.reshape(steps_batch, -1), precision=precision
    )
    d_b_hh = d_xw.sum(axis=(0, 1))
    return d_xw, d_w_hh, d_b_hh, dh0, dc0


_recurrence.defvjp(_recurrence_fwd, _recurrence_bwd)
