"""Hand-written pure JAX + Optax versions of the benchmark models: the floor.

Parameters are a flat dict keyed by torch's ``state_dict`` names, so the same initial weights
load into torch, ptjax and here. The math mirrors torch's layers exactly (``x @ W.T + b``, NCHW
convolutions, biased batch variance for normalisation and unbiased for the running update, exact
erf GELU, LayerNorm eps 1e-5), so losses agree to float32 rounding.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

BN_EPS, BN_MOMENTUM, LN_EPS = 1e-5, 0.1, 1e-5


def linear(p, name, x):
    y = x @ p[name + ".weight"].T
    b = p.get(name + ".bias")
    return y if b is None else y + b


def conv2d(p, name, x, stride=1, padding=1):
    y = jax.lax.conv_general_dilated(
        x,
        p[name + ".weight"],
        (stride, stride),
        [(padding, padding)] * 2,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
    )
    b = p.get(name + ".bias")
    return y if b is None else y + b[None, :, None, None]


def max_pool2(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def layer_norm(p, name, x):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + LN_EPS) * p[name + ".weight"] + p[name + ".bias"]


def batch_norm(p, bufs, new_bufs, name, x, train):
    if train:
        mean = x.mean((0, 2, 3))
        var = x.var((0, 2, 3))
        n = x.size // x.shape[1]
        m = BN_MOMENTUM
        new_bufs[name + ".running_mean"] = (1 - m) * bufs[name + ".running_mean"] + m * mean
        new_bufs[name + ".running_var"] = (1 - m) * bufs[name + ".running_var"] + m * var * (
            n / max(n - 1, 1)
        )
        new_bufs[name + ".num_batches_tracked"] = bufs[name + ".num_batches_tracked"] + 1
    else:
        mean, var = bufs[name + ".running_mean"], bufs[name + ".running_var"]
    inv = jax.lax.rsqrt(var + BN_EPS)[None, :, None, None]
    y = (x - mean[None, :, None, None]) * inv
    return y * p[name + ".weight"][None, :, None, None] + p[name + ".bias"][None, :, None, None]


def dropout(x, p_drop, key, train):
    if not train or p_drop == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - p_drop, x.shape)
    return jnp.where(keep, x / (1.0 - p_drop), 0.0)


def mlp_fwd(p, bufs, x, train, key, size):
    x = x.reshape(x.shape[0], -1)
    x = jax.nn.relu(linear(p, "fc1", x))
    x = jax.nn.relu(linear(p, "fc2", x))
    return linear(p, "fc3", x), bufs


def cnn_fwd(p, bufs, x, train, key, size):
    c2 = size.get("width", (32, 64))[1]
    x = max_pool2(jax.nn.relu(conv2d(p, "conv1", x)))
    x = max_pool2(jax.nn.relu(conv2d(p, "conv2", x)))
    x = x.reshape(-1, c2 * 7 * 7)
    x = jax.nn.relu(linear(p, "fc1", x))
    x = dropout(x, size.get("p_drop", 0.5), key, train)
    return linear(p, "fc2", x), bufs


def lstm_fwd(p, bufs, x, train, key, size):
    x = x.reshape(x.shape[0], 28, 28)
    h_size = p["lstm.weight_hh_l0"].shape[1]
    # input projection for all time steps at once, outside the recurrence
    xs = x @ p["lstm.weight_ih_l0"].T + (p["lstm.bias_ih_l0"] + p["lstm.bias_hh_l0"])
    w_hh_t = p["lstm.weight_hh_l0"].T

    def cell(carry, xt):
        h, c = carry
        gates = xt + h @ w_hh_t
        i, f, g, o = jnp.split(gates, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), None

    zeros = jnp.zeros((x.shape[0], h_size), x.dtype)
    (h, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(xs, 0, 1))
    return linear(p, "fc", h), bufs


def gpt_fwd(p, bufs, idx, train, key, size):
    d, heads = size.get("d", 256), size.get("heads", 4)
    layers = size.get("layers", 4)
    b, t = idx.shape
    x = p["tok.weight"][idx] + p["pos.weight"][jnp.arange(t)][None]
    hd = d // heads
    mask = jnp.tril(jnp.ones((t, t), bool))
    for i in range(layers):
        n = f"blocks.{i}."
        q, k, v = jnp.split(linear(p, n + "qkv", layer_norm(p, n + "ln1", x)), 3, axis=-1)
        q, k, v = (a.reshape(b, t, heads, hd).transpose(0, 2, 1, 3) for a in (q, k, v))
        s = (q @ k.transpose(0, 1, 3, 2)) * (1.0 / math.sqrt(hd))
        s = jnp.where(mask, s, -jnp.inf)
        a = jax.nn.softmax(s, axis=-1) @ v
        x = x + linear(p, n + "proj", a.transpose(0, 2, 1, 3).reshape(b, t, d))
        h = jax.nn.gelu(linear(p, n + "fc", layer_norm(p, n + "ln2", x)), approximate=False)
        x = x + linear(p, n + "fc_out", h)
    logits = linear(p, "head", layer_norm(p, "ln_f", x))
    return logits.reshape(-1, logits.shape[-1]), bufs


def resnet18_fwd(p, bufs, x, train, key, size):
    blocks = size.get("blocks", (2, 2, 2, 2))
    new_bufs = dict(bufs)
    x = jax.nn.relu(batch_norm(p, bufs, new_bufs, "bn1", conv2d(p, "conv1", x), train))
    k = 0
    for i, nb in enumerate(blocks):
        for j in range(nb):
            n = f"layers.{k}."
            stride = 2 if (i > 0 and j == 0) else 1
            out = conv2d(p, n + "conv1", x, stride)
            out = jax.nn.relu(batch_norm(p, bufs, new_bufs, n + "bn1", out, train))
            out = batch_norm(p, bufs, new_bufs, n + "bn2", conv2d(p, n + "conv2", out), train)
            if n + "shortcut.0.weight" in p:
                sc = conv2d(p, n + "shortcut.0", x, stride, padding=0)
                sc = batch_norm(p, bufs, new_bufs, n + "shortcut.1", sc, train)
            else:
                sc = x
            x = jax.nn.relu(out + sc)
            k += 1
    x = x.mean((2, 3))
    return linear(p, "fc", x), new_bufs


FORWARDS = {
    "mlp": mlp_fwd,
    "cnn": cnn_fwd,
    "lstm": lstm_fwd,
    "gpt": gpt_fwd,
    "resnet18": resnet18_fwd,
}


def split_state(state_dict: dict, param_names) -> tuple[dict, dict]:
    """numpy state_dict -> (params, buffers) as JAX arrays."""
    params = {k: jnp.asarray(v) for k, v in state_dict.items() if k in param_names}
    bufs = {k: jnp.asarray(v) for k, v in state_dict.items() if k not in param_names}
    return params, bufs


def make_step(name: str, size: dict, train: bool = True, lr: float = 1e-3):
    """A jitted ``step(params, bufs, opt_state, key, x, y) -> (loss, params, bufs, opt_state, key)``
    and the Optax optimizer (Adam, torch's defaults)."""
    fwd = FORWARDS[name]
    opt = optax.adam(lr, b1=0.9, b2=0.999, eps=1e-8)

    def loss_fn(params, bufs, key, x, y):
        logits, new_bufs = fwd(params, bufs, x, train, key, size)
        logp = jax.nn.log_softmax(logits, axis=-1)
        loss = -jnp.take_along_axis(logp, y[:, None], axis=-1).mean()
        return loss, new_bufs

    # donated state: updated in place, as a careful JAX user writes it
    @functools.partial(jax.jit, donate_argnums=(0, 1, 2))
    def step(params, bufs, opt_state, key, x, y):
        key, sub = jax.random.split(key)
        (loss, bufs), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, bufs, sub, x, y)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return loss, params, bufs, opt_state, key

    return step, opt


def to_numpy_state(state_dict) -> dict:
    return {k: np.asarray(v.detach().cpu().numpy()) for k, v in state_dict.items()}
