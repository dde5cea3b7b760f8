"""Pooling of torch.nn.functional: max/avg/LP pooling, adaptive pooling and max unpooling.

Windows are gathered into a trailing axis of size prod(kernel_size) (strided slices for regular
pooling, static gathers for adaptive pooling), so every reduction sees its window in torch's
row-major order. Max pooling selects the FIRST maximum of each window (the last NaN if it has
any) and routes the gradient to it alone, exactly as torch's kernels do, ties included;
``return_indices`` gives the flat index of that element within its input plane (h * W + w, ...),
torch's layout.
All geometry (output sizes, divisors, index tables) is static and computed on the host.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops.pointwise import abs as _abs
from ptjax._ops.pointwise import relu, sign
from ptjax._tensor import Tensor
from ptjax.amp.autocast_mode import CPU, FP32, autocast_op
from ptjax.nn.modules.utils import _list_with_default

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
]

_DIM_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


# -- geometry -------------------------------------------------------------------------------------


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: the last window must start inside the input or left pad."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _expand(value, n: int, fname: str, what: str, allow_empty: bool = False) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if allow_empty and len(value) == 0:
        return value
    if len(value) == 1:
        return value * n
    if len(value) != n:
        words = {1: "one int", 2: "two ints", 3: "three ints"}[n]
        if fname == "max_pool1d":
            raise RuntimeError(
                f"max_pool1d() {what} must be an int, list of ints or tuple of ints of size 1 but "
                f"got size {len(value)}"
            )
        raise RuntimeError(f"{fname}: {what} must either be a single int, or a tuple of {words}")
    return value


def _check_rank(input: Tensor, nd: int, fname: str) -> bool:
    """Pooling input must be (C, *spatial) or (N, C, *spatial); returns whether batched."""
    if input.dim() not in (nd + 1, nd + 2):
        if fname == "max_pool1d":
            raise RuntimeError(
                "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                f"for input, but got:{_sizes(input.shape)}"
            )
        raise RuntimeError(
            f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input"
        )
    batched = input.dim() == nd + 2
    if any(s == 0 for s in input.shape[1 if batched else 0 :]):
        prefix = "max_pool1d: " if fname == "max_pool1d" else ""
        raise RuntimeError(
            f"{prefix}Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim "
            f"batch size for input, but got:{_sizes(input.shape)}"
        )
    if input.dtype is D.bool or input.is_complex():
        raise NotImplementedError(f"\"{fname}\" not implemented for '{input.dtype.name.title()}'")
    return batched


def _check_max_pool1d(k: int, s: int, p: int, d: int) -> None:
    """max_pool1d has its own kernel with its own messages."""
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            "max_pool1d() padding should be at most half of kernel size, but got "
            f"padding={p} and kernel_size={k}"
        )
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")


def _pool_args(
    input: Tensor, nd: int, fname: str, kernel_size, stride, padding, dilation, ceil_mode: bool
):
    """Validate pooling arguments with torch's messages; returns the static geometry."""
    batched = _check_rank(input, nd, fname)
    kernel = _expand(kernel_size, nd, fname, "kernel_size")
    stride = _expand(stride, nd, fname, "stride", allow_empty=True) if stride is not None else ()
    stride = stride or kernel
    padding = _expand(padding, nd, fname, "padding")
    dilation = _expand(dilation, nd, fname, "dilation")
    names = _DIM_NAMES[nd]
    if fname == "max_pool1d":
        _check_max_pool1d(kernel[0], stride[0], padding[0], dilation[0])
    if any(k <= 0 for k in kernel):
        got = " ".join(f"k{n}: {k}" for n, k in zip(names, kernel))
        raise RuntimeError(f"kernel size should be greater than zero, but got {got}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    if any(d <= 0 for d in dilation):
        got = " ".join(f"dilation{n}: {d}" for n, d in zip(names, dilation))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    if any(p > k // 2 for k, p in zip(kernel, padding)):
        got = ", ".join(
            [f"pad{n} = {p}" for n, p in zip(reversed(names), reversed(padding))]
            + [f"k{n} = {k}" for n, k in zip(reversed(names), reversed(kernel))]
        )
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got {got}"
        )
    spatial = tuple(input.shape[-nd:])
    out = tuple(
        _out_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
    )
    if any(o < 1 for o in out):
        if fname == "max_pool1d":
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {out[0]}")
        c = input.shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (c, *spatial)))}). Calculated output size: "
            f"({'x'.join(map(str, (c, *out)))}). Output size is too small"
        )
    return batched, kernel, stride, padding, dilation, out


# -- windows --------------------------------------------------------------------------------------


def _is_tiling(spatial, kernel, stride, padding, dilation, out) -> bool:
    """Whether the windows tile the input: stride == kernel, no padding or dilation, and every
    window inside the input (a crop and a reshape give them)."""
    return (
        kernel == stride
        and all(p == 0 for p in padding)
        and all(d == 1 for d in dilation)
        and all(o * k <= n for o, k, n in zip(out, kernel, spatial))
    )


def _tiles(x, kernel, out):
    """x (..., *spatial) cut to whole tiles and viewed as (..., o_1, k_1, o_2, k_2, ...)."""
    nd = len(kernel)
    lead = x.shape[:-nd]
    x = x[(..., *(slice(0, o * k) for o, k in zip(out, kernel)))]
    return x.reshape(*lead, *(d for o, k in zip(out, kernel) for d in (o, k)))


def _outer_then_inner(lead: int, nd: int) -> tuple:
    """The permutation taking axes (*lead, o_1, k_1, ..., o_nd, k_nd) to
    (*lead, o_1, ..., o_nd, k_1, ..., k_nd)."""
    return (
        tuple(range(lead))
        + tuple(lead + 2 * i for i in range(nd))
        + tuple(lead + 2 * i + 1 for i in range(nd))
    )


def _window_pads(spatial, kernel, stride, padding, dilation, out) -> list:
    """(low, high) padding per spatial dimension: ``padding`` before, and after whatever the
    last window reaches past the input (ceil_mode)."""
    pads = []
    for n, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, out):
        need = (o - 1) * s + d * (k - 1) + 1
        pads.append((p, max(need - n - p, 0)))
    return pads


def _strided_windows(x, nd, kernel, stride, padding, dilation, out, fill):
    """The windows of the last ``nd`` axes as a list over kernel offsets (row-major) of arrays
    shaped x.shape[:-nd] + out; positions outside the input read ``fill``."""
    spatial = x.shape[-nd:]
    if _is_tiling(spatial, kernel, stride, padding, dilation, out):
        # non-overlapping windows: a crop and a reshape, no padding or strided slicing
        x = _tiles(x, kernel, out).transpose(_outer_then_inner(x.ndim - nd, nd))
        return [x[(Ellipsis, *j)] for j in np.ndindex(*kernel)]
    pads = _window_pads(spatial, kernel, stride, padding, dilation, out)
    if any(lo or hi for lo, hi in pads):
        cfg = [(0, 0, 0)] * (x.ndim - nd) + [(lo, hi, 0) for lo, hi in pads]
        x = lax.pad(x, jnp.asarray(fill, x.dtype), cfg)
    lead = x.ndim - nd
    wins = []
    for j in np.ndindex(*kernel):
        start = (0,) * lead + tuple(jj * d for jj, d in zip(j, dilation))
        limit = tuple(x.shape[:lead]) + tuple(
            jj * d + (o - 1) * s + 1 for jj, d, o, s in zip(j, dilation, out, stride)
        )
        wins.append(lax.slice(x, start, limit, (1,) * lead + tuple(stride)))
    return wins


def _adaptive_ranges(n: int, out: int):
    """torch's adaptive windows: [floor(i n / out), ceil((i + 1) n / out))."""
    i = np.arange(out)
    return (i * n) // out, ((i + 1) * n + out - 1) // out


def _adaptive_table(n: int, out: int):
    """Input positions (out, kmax) of each adaptive window (clipped) and their validity."""
    start, end = _adaptive_ranges(n, out)
    kmax = int((end - start).max()) if out else 1
    pos = start[:, None] + np.arange(kmax)[None, :]
    return np.minimum(pos, n - 1), pos < end[:, None]


def _adaptive_windows(x, nd, out, fill):
    """Adaptive windows as an array x.shape[:-nd] + out + (K,), K = prod of the largest window
    sizes, padded entries set to ``fill``; also returns the per-dimension position tables."""
    lead = x.ndim - nd
    tables, valid = [], None
    for i, (n, o) in enumerate(zip(x.shape[lead:], out)):
        pos, ok = _adaptive_table(n, o)
        tables.append(pos)
        axis = lead + 2 * i
        x = jnp.take(x, jnp.asarray(pos.reshape(-1)), axis=axis)
        x = x.reshape(x.shape[:axis] + pos.shape + x.shape[axis + 1 :])
        # validity laid out (o1, k1, o2, k2, ...) like x's trailing axes
        valid = ok if valid is None else valid[..., None, None] & ok
    x = x.transpose(_outer_then_inner(lead, nd))
    valid = valid.transpose(_outer_then_inner(0, nd))
    kshape = x.shape[x.ndim - nd :]
    x = x.reshape(x.shape[: lead + nd] + (math.prod(kshape),))
    valid = valid.reshape(valid.shape[:nd] + (-1,))
    if not valid.all():
        x = jnp.where(jnp.asarray(valid), x, jnp.asarray(fill, x.dtype))
    return x, tables, kshape


def _lowest(dt):
    return -jnp.inf if jnp.issubdtype(dt, jnp.floating) else jnp.iinfo(dt).min


def _first_max_hits(wins: list):
    """Window maxima and, per kernel offset, whether that slice holds the window's first
    maximum (its last NaN if it has one: torch's kernels take every NaN they meet).

    Elementwise ops over the K slices only (no reduction over a small trailing axis), which XLA
    fuses into one pass."""
    m = wins[0]
    for w in wins[1:]:
        m = jnp.maximum(m, w)  # propagates NaN
    hits, taken = [], None
    for w in wins:
        hit = w == m if taken is None else (w == m) & ~taken
        taken = hit if taken is None else taken | hit
        hits.append(hit)
    if jnp.issubdtype(m.dtype, jnp.floating):
        nan_win = jnp.isnan(m)
        taken = None
        for k in reversed(range(len(wins))):
            hit = jnp.isnan(wins[k]) if taken is None else jnp.isnan(wins[k]) & ~taken
            taken = hit if taken is None else taken | hit
            hits[k] = jnp.where(nan_win, hit, hits[k])
    return m, hits


def _select_first_max(wins: list, want_arg: bool):
    """Value and (if ``want_arg``) kernel offset of each window's first maximum, with the
    gradient routed to that element alone."""
    m, hits = _first_max_hits(wins)
    zero = jnp.zeros((), m.dtype)
    val = None
    for w, hit in zip(wins, hits):
        term = jnp.where(hit, w, zero)
        val = term if val is None else val + term
    if not want_arg:
        return val, None
    arg = jnp.zeros(m.shape, jnp.int64)
    for k, hit in enumerate(hits[1:], 1):
        arg = jnp.where(hit, k, arg)
    return val, arg


def _flat_indices(arg, kshape, coords, spatial):
    """Flat input-plane index of the selected element: ``coords[i](o_i, j_i)`` gives the input
    position along dimension i of kernel offset j_i in output window o_i."""
    nd = len(kshape)
    offs = jnp.unravel_index(arg, kshape)
    flat = jnp.zeros(arg.shape, jnp.int64)
    for i in range(nd):
        table = jnp.asarray(coords[i], jnp.int64)  # (out_i, k_i)
        o = lax.broadcasted_iota(jnp.int64, arg.shape, arg.ndim - nd + i)
        pos = table.reshape(-1)[o * table.shape[1] + offs[i]]
        flat = flat * spatial[i] + pos
    return flat


# -- max pooling ----------------------------------------------------------------------------------


def _reduce_window_max(x, geometry):
    """The window maxima alone, with XLA's native reduce_window (the fastest forward)."""
    kernel, stride, padding, dilation, out = geometry
    nd = len(kernel)
    pads = _window_pads(x.shape[-nd:], kernel, stride, padding, dilation, out)
    lead = x.ndim - nd
    return lax.reduce_window(
        x,
        jnp.asarray(_lowest(x.dtype), x.dtype),
        lax.max,
        (1,) * lead + kernel,
        (1,) * lead + stride,
        [(0, 0)] * lead + pads,
        window_dilation=(1,) * lead + dilation,
    )


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _max_pool_values(x, geometry):
    return _reduce_window_max(x, geometry)


def _max_pool_values_fwd(x, geometry):
    kernel, stride, padding, dilation, out = geometry
    wins = _strided_windows(
        x, len(kernel), kernel, stride, padding, dilation, out, _lowest(x.dtype)
    )
    _, hits = _first_max_hits(wins)
    return _reduce_window_max(x, geometry), (x, hits)


def _max_pool_values_bwd(geometry, res, g):
    # the whole gradient of each window goes to its first maximum (torch's rule)
    x, hits = res
    kernel, stride, padding, dilation, out = geometry
    _, pull = jax.vjp(
        lambda v: _strided_windows(v, len(kernel), kernel, stride, padding, dilation, out, 0), x
    )
    zero = jnp.zeros((), g.dtype)
    (gx,) = pull([jnp.where(h, g, zero) for h in hits])
    return (gx,)


_max_pool_values.defvjp(_max_pool_values_fwd, _max_pool_values_bwd)


def _tile_axes(ndim: int, nd: int) -> tuple:
    """The within-tile axes of ``_tiles``' view."""
    return tuple(range(ndim - 2 * nd + 1, ndim, 2))


def _tile_offsets(shape, axes):
    """Row-major offset of each position within its tile, broadcastable to ``shape``."""
    offset = jnp.zeros((), jnp.int32)
    for a in axes:
        dims = [1] * len(shape)
        dims[a] = shape[a]
        offset = offset * shape[a] + lax.broadcasted_iota(jnp.int32, dims, a)
    return offset


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _tiled_max_pool(x, kernel, out):
    """Max pooling whose windows tile the input (stride == kernel, no padding or dilation).

    Its backward puts each window's gradient on the element torch picks with reshapes and one
    select, where the general backward goes through strided slices and pads (measured on CPU:
    that took about a third of the seed CNN's training step).
    """
    tiles = _tiles(x, kernel, out)
    return jnp.max(tiles, axis=_tile_axes(tiles.ndim, len(kernel)))


def _tiled_max_pool_fwd(x, kernel, out):
    tiles = _tiles(x, kernel, out)
    axes = _tile_axes(tiles.ndim, len(kernel))
    offset = _tile_offsets(tiles.shape, axes)
    peak = jnp.max(tiles, axis=axes, keepdims=True)  # propagates NaN
    # torch's choice: the first maximum, or the last NaN when the window has one
    first_max = jnp.min(jnp.where(tiles == peak, offset, math.prod(kernel)), axis=axes)
    last_nan = jnp.max(jnp.where(jnp.isnan(tiles), offset, -1), axis=axes)
    choice = jnp.where(last_nan >= 0, last_nan, first_max)
    return jnp.squeeze(peak, axes), (choice, x.shape, tiles.shape)


def _tiled_max_pool_bwd(kernel, out, res, g):
    choice, shape, tiles_shape = res
    axes = _tile_axes(len(tiles_shape), len(kernel))
    hit = _tile_offsets(tiles_shape, axes) == jnp.expand_dims(choice, axes)
    gx = jnp.where(hit, jnp.expand_dims(g, axes), jnp.zeros((), g.dtype))
    nd = len(kernel)
    gx = gx.reshape(*shape[:-nd], *(o * k for o, k in zip(out, kernel)))
    # rows / columns past the last whole tile get no gradient
    tail = [(0, n - o * k) for n, o, k in zip(shape[-nd:], out, kernel)]
    return (jnp.pad(gx, [(0, 0)] * (len(shape) - nd) + tail),)


_tiled_max_pool.defvjp(_tiled_max_pool_fwd, _tiled_max_pool_bwd)


def _max_pool(x, *, kernel, stride, padding, dilation, out, batched, with_indices):
    nd = len(kernel)
    if not batched:
        x = x[None]
    if not with_indices and jnp.issubdtype(x.dtype, jnp.floating):
        if _is_tiling(x.shape[-nd:], kernel, stride, padding, dilation, out):
            val = _tiled_max_pool(x, kernel, out)
        else:
            val = _max_pool_values(x, (kernel, stride, padding, dilation, out))
        return val if batched else val[0]
    wins = _strided_windows(x, nd, kernel, stride, padding, dilation, out, _lowest(x.dtype))
    val, arg = _select_first_max(wins, with_indices)
    if not with_indices:
        return val if batched else val[0]
    if not batched:
        val, arg = val[0], arg[0]
    coords = [
        (np.arange(o) * s - p)[:, None] + np.arange(k)[None, :] * d
        for o, s, p, k, d in zip(out, stride, padding, kernel, dilation)
    ]
    return val, _flat_indices(arg, kernel, coords, x.shape[-nd:])


_max_pool.backward_name = "MaxPool2DWithIndicesBackward0"


def _max_poolnd(nd, fname, input, kernel_size, stride, padding, dilation, ceil_mode, indices):
    batched, kernel, stride, padding, dilation, out = _pool_args(
        input, nd, fname, kernel_size, stride, padding, dilation, ceil_mode
    )
    return apply(
        _max_pool,
        input,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        out=out,
        batched=batched,
        with_indices=indices,
    )


_SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _io(nd: int) -> tuple:
    """Docstring shapes: ((N, C, *in) or (C, *in), (N, C, *out))."""
    dims = _SPATIAL[nd]
    x = ", ".join(dims)
    out = ", ".join(d + "_out" for d in dims)
    return f"(N, C, {x}) or (C, {x})", f"(N, C, {out})"


def _max_pool_function(nd: int, always_indices: bool):
    """max_pool{nd}d, or (``always_indices``) its ``_with_indices`` twin, which returns the
    indices whatever ``return_indices`` says."""
    name = f"max_pool{nd}d"

    def max_pool(
        input: Tensor,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ):
        indices = always_indices or return_indices
        return _max_poolnd(
            nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, indices
        )

    if always_indices:
        max_pool.__name__ = max_pool.__qualname__ = name + "_with_indices"
        max_pool.__doc__ = f"``{name}`` returning (values, indices)."
    else:
        x, out = _io(nd)
        max_pool.__name__ = max_pool.__qualname__ = name
        max_pool.__doc__ = (
            f"{nd}-D max pooling: {x} -> {out} [, int64 indices of each maximum, flat within "
            "its input plane]."
        )
    return max_pool


max_pool1d, max_pool2d, max_pool3d = (_max_pool_function(nd, False) for nd in (1, 2, 3))
max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices = (
    _max_pool_function(nd, True) for nd in (1, 2, 3)
)


# -- average pooling ------------------------------------------------------------------------------


def _avg_divisor(n, k, s, p, o, count_include_pad):
    """Per-dimension window sizes torch divides by (with padding, or valid elements only)."""
    start = np.arange(o) * s - p
    end = np.minimum(start + k, n + p)
    with_pad = end - start
    valid = np.minimum(end, n) - np.maximum(start, 0)
    return with_pad if count_include_pad else valid, valid


def _avg_pool(x, *, kernel, stride, padding, out, batched, count_include_pad, divisor_override):
    nd = len(kernel)
    if not batched:
        x = x[None]
    spatial = x.shape[-nd:]
    integral = jnp.issubdtype(x.dtype, jnp.integer)
    ones = (1,) * nd
    wins = _strided_windows(x, nd, kernel, stride, padding, ones, out, 0)
    total = wins[0]
    for w in wins[1:]:
        total = total + w
    div, valid = np.ones(out, np.int64), np.ones(out, bool)
    for i, (n, k, s, p, o) in enumerate(zip(spatial, kernel, stride, padding, out)):
        shape = [1] * nd
        shape[i] = o
        d, v = _avg_divisor(n, k, s, p, o, count_include_pad)
        div = div * d.reshape(shape)
        valid = valid & (v > 0).reshape(shape)
    if divisor_override is not None:
        div = np.full(out, divisor_override, np.int64)
    div = np.where(valid, div, 1)
    if integral:
        y = lax.div(total, jnp.broadcast_to(jnp.asarray(div, x.dtype), total.shape))
    else:
        y = total / jnp.asarray(div, x.dtype)
    if not valid.all():  # windows entirely in the ceil_mode overhang average to 0
        y = jnp.where(jnp.asarray(valid), y, jnp.zeros((), y.dtype))
    return y if batched else y[0]


_avg_pool.backward_name = "AvgPool2DBackward0"


def _avg_poolnd(
    nd, fname, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    batched, kernel, stride, padding, _, out = _pool_args(
        input, nd, fname, kernel_size, stride, padding, 1, ceil_mode
    )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return apply(
        _avg_pool,
        input,
        kernel=kernel,
        stride=stride,
        padding=padding,
        out=out,
        batched=batched,
        count_include_pad=bool(count_include_pad),
        divisor_override=None if divisor_override is None else int(divisor_override),
    )


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling: (N, C, L) or (C, L) -> (N, C, L_out)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)"
        )
    return _avg_poolnd(
        1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def _make_avg_pool(nd: int):
    name = f"avg_pool{nd}d"

    def avg_pool(
        input: Tensor,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> Tensor:
        return _avg_poolnd(
            nd,
            name,
            input,
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            divisor_override,
        )

    x, out = _io(nd)
    avg_pool.__name__ = avg_pool.__qualname__ = name
    avg_pool.__doc__ = f"{nd}-D average pooling: {x} -> {out}."
    return avg_pool


avg_pool2d, avg_pool3d = (_make_avg_pool(nd) for nd in (2, 3))


# -- adaptive pooling -----------------------------------------------------------------------------


def _adaptive_args(input: Tensor, nd: int, output_size, fname: str):
    if input.dim() not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(
                f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                f"argument #1 'self' (while checking arguments for {fname})"
            )
        sep = ": " if "max" in fname else " "
        raise RuntimeError(
            f"{fname}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{sep}{_sizes(input.shape)}"
        )
    batched = input.dim() == nd + 2
    if isinstance(output_size, int):
        out = (output_size,) * nd
    else:
        out = tuple(_list_with_default(list(output_size), list(input.shape)))
        if len(out) == 1 and nd > 1:
            out = out * nd
        if len(out) != nd:
            raise RuntimeError(f"{fname}: output_size must be {nd}")
    out = tuple(int(o) for o in out)
    if any(o < 0 for o in out):
        raise RuntimeError(
            f"{fname}: elements of output_size must be greater than or equal to 0 but received "
            "{" + ", ".join(map(str, out)) + "}"
        )
    first = 1 if batched else 0
    for i in range(first, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {_sizes(input.shape)} with dimension {i} being empty"
            )
    if input.dtype.kind <= 1 or input.is_complex():
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_scalar_name(input.dtype)}'")
    return batched, out


def _scalar_name(dt: D.dtype) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte"}.get(
        dt.name, dt.name.title()
    )


def _adaptive_avg(x, *, out, batched):
    nd = len(out)
    if not batched:
        x = x[None]
    lead = x.ndim - nd
    count = np.ones(out)
    for i, o in enumerate(out):
        axis = lead + i
        n = x.shape[axis]
        if o == 0:
            x = jnp.zeros(x.shape[:axis] + (0,) + x.shape[axis + 1 :], x.dtype)
            continue
        shape = [1] * nd
        shape[i] = o
        if n % o == 0:
            # equal windows: a reshape and a sum
            x = x.reshape(x.shape[:axis] + (o, n // o) + x.shape[axis + 1 :]).sum(axis + 1)
            count = count * np.full(shape, n // o)
            continue
        pos, ok = _adaptive_table(n, o)
        g = jnp.take(x, jnp.asarray(pos.reshape(-1)), axis=axis)
        g = g.reshape(g.shape[:axis] + pos.shape + g.shape[axis + 1 :])
        m = jnp.asarray(ok.reshape(ok.shape + (1,) * (x.ndim - axis - 1)))
        x = jnp.where(m, g, jnp.zeros((), g.dtype)).sum(axis + 1)
        count = count * ok.sum(1).reshape(shape)
    y = x / jnp.asarray(count, x.dtype)
    return y if batched else y[0]


_adaptive_avg.backward_name = "AdaptiveAvgPool2DBackward0"


def _adaptive_max(x, *, out, batched, with_indices):
    nd = len(out)
    if not batched:
        x = x[None]
    spatial = x.shape[-nd:]
    if any(o == 0 for o in out):
        shape = x.shape[: x.ndim - nd] + out
        val = jnp.zeros(shape, x.dtype)
        res = (val, jnp.zeros(shape, jnp.int64)) if with_indices else val
    else:
        w, tables, kshape = _adaptive_windows(x, nd, out, _lowest(x.dtype))
        val, arg = _select_first_max([w[..., k] for k in range(w.shape[-1])], with_indices)
        res = (val, _flat_indices(arg, kshape, tables, spatial)) if with_indices else val
    if batched:
        return res
    return tuple(r[0] for r in res) if with_indices else res[0]


_adaptive_max.backward_name = "AdaptiveMaxPool2DBackward0"


def _make_adaptive(nd: int):
    avg_name, max_name = f"adaptive_avg_pool{nd}d", f"adaptive_max_pool{nd}d"

    def adaptive_avg(input: Tensor, output_size) -> Tensor:
        batched, out = _adaptive_args(input, nd, output_size, avg_name)
        return apply(_adaptive_avg, input, out=out, batched=batched)

    def adaptive_max(input: Tensor, output_size, return_indices: bool = False):
        return _adaptive_maxnd(nd, input, output_size, return_indices)

    def with_indices(input: Tensor, output_size, return_indices: bool = False):
        return _adaptive_maxnd(nd, input, output_size, True)

    x, _ = _io(nd)
    out = f"(N, C, {', '.join(['*output_size'] if nd > 1 else ['output_size'])})"
    for f, name, doc in (
        (adaptive_avg, avg_name, f"Adaptive average pooling: {x} -> {out}"),
        (adaptive_max, max_name, f"Adaptive max pooling: {x} -> {out} [, int64 indices]"),
        (with_indices, max_name + "_with_indices", f"``{max_name}`` returning (values, indices)"),
    ):
        f.__name__ = f.__qualname__ = name
        f.__doc__ = doc + ("; None in ``output_size`` keeps that input size." if nd > 1 else ".")
    return adaptive_avg, adaptive_max, with_indices


def _adaptive_maxnd(nd, input, output_size, return_indices):
    batched, out = _adaptive_args(input, nd, output_size, f"adaptive_max_pool{nd}d")
    return apply(_adaptive_max, input, out=out, batched=batched, with_indices=bool(return_indices))


(
    (adaptive_avg_pool1d, adaptive_max_pool1d, adaptive_max_pool1d_with_indices),
    (adaptive_avg_pool2d, adaptive_max_pool2d, adaptive_max_pool2d_with_indices),
    (adaptive_avg_pool3d, adaptive_max_pool3d, adaptive_max_pool3d_with_indices),
) = (_make_adaptive(nd) for nd in (1, 2, 3))


# -- power-average pooling ------------------------------------------------------------------------


def _lp_poolnd(nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _expand(kernel_size, nd, f"lp_pool{nd}d", "kernel_size")
    max_fn = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
    avg_fn = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    if norm_type == math.inf:
        return max_fn(_abs(input), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_fn(-_abs(input), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_fn(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (sign(out) * relu(_abs(out))).mul(math.prod(kernel)).pow(1.0 / norm_type)


def _make_lp_pool(nd: int):
    def lp_pool(
        input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
    ) -> Tensor:
        return _lp_poolnd(nd, input, norm_type, kernel_size, stride, ceil_mode)

    x, out = _io(nd)
    lp_pool.__name__ = lp_pool.__qualname__ = f"lp_pool{nd}d"
    lp_pool.__doc__ = f"Power-average pooling ``(sum x^p)^(1/p)`` over windows: {x} -> {out}."
    return lp_pool


lp_pool1d, lp_pool2d, lp_pool3d = (_make_lp_pool(nd) for nd in (1, 2, 3))


# -- unpooling ------------------------------------------------------------------------------------


def _unpool_flat(x, idx, size: int):
    """Scatter the (N, C, L) values to their per-plane positions in zeros (N, C, size)."""
    n, c, _ = x.shape
    rows = jnp.arange(n)[:, None, None]
    chans = jnp.arange(c)[None, :, None]
    return jnp.zeros((n, c, size), x.dtype).at[rows, chans, idx].set(x, mode="drop")


@jax.custom_vjp
def _unpool_scatter(x, idx, size_like):
    return _unpool_flat(x, idx, size_like.shape[-1])


def _unpool_scatter_fwd(x, idx, size_like):
    return _unpool_scatter(x, idx, size_like), (idx, size_like)


def _unpool_scatter_bwd(res, g):
    # torch's backward gathers the output gradient at every index, repeated indices included
    idx, size_like = res
    gx = jnp.take_along_axis(g, jnp.clip(idx, 0, g.shape[-1] - 1), axis=-1)
    return gx, None, None


_unpool_scatter.defvjp(_unpool_scatter_fwd, _unpool_scatter_bwd)


def _max_unpool(x, idx, *, out, batched):
    if not batched:
        x, idx = x[None], idx[None]
    n, c = x.shape[:2]
    plane = math.prod(x.shape[2:])
    size = math.prod(out)
    y = _unpool_scatter(
        x.reshape(n, c, plane), idx.reshape(n, c, plane), jnp.zeros((0, size), x.dtype)
    )
    y = y.reshape((n, c) + out)
    return y if batched else y[0]


_max_unpool.backward_name = "MaxUnpool2DBackward0"


def _unpool_output_size(input: Tensor, kernel, stride, padding, output_size) -> tuple:
    nd = len(kernel)
    default = [
        (input.shape[input.dim() - nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
        for d in range(nd)
    ]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(
                f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it "
                f"has a length of '{len(output_size)}'"
            )
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(
                    f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})'
                )
        ret = output_size
    for d in range(nd):
        if ret[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                f"output_size[{d}]={ret[d]}"
            )
    return tuple(int(r) for r in ret)


def _max_unpoolnd(nd, input, indices, kernel_size, stride, padding, output_size):
    from ptjax.nn.modules.utils import _ntuple

    expand = _ntuple(nd)
    kernel = expand(kernel_size)
    stride = expand(stride) if stride is not None else kernel
    padding = expand(padding)
    if indices.dtype is not D.int64:
        raise RuntimeError(
            f"elements in indices should be type int64 but got: {_scalar_name(indices.dtype)}"
        )
    if nd > 1 and input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a "
            f"tensor with {input.dim()} dimensions."
        )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({_sizes(input.shape)}) but got indices tensor with shape: {_sizes(indices.shape)}"
        )
    out = _unpool_output_size(input, kernel, stride, padding, output_size)
    v = indices._value
    values = None if isinstance(v, jax.core.Tracer) else np.asarray(v)
    if values is not None and values.size:
        plane = math.prod(out)
        bad = values[(values < 0) | (values >= plane)]
        if bad.size:
            raise RuntimeError(
                f"Found an invalid max index: {int(bad.reshape(-1)[0])} (output volumes are of "
                f"size {'x'.join(map(str, out))})"
            )
    batched = input.dim() == nd + 2
    return apply(_max_unpool, input, indices, out=out, batched=batched)


def _make_max_unpool(nd: int):
    def max_unpool(
        input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
    ) -> Tensor:
        return _max_unpoolnd(nd, input, indices, kernel_size, stride, padding, output_size)

    x, out = _io(nd)
    max_unpool.__name__ = max_unpool.__qualname__ = f"max_unpool{nd}d"
    max_unpool.__doc__ = (
        f"Inverse of max_pool{nd}d: {x} values scattered to their flat ``indices`` in zeros {out}."
    )
    return max_unpool


max_unpool1d, max_unpool2d, max_unpool3d = (_make_max_unpool(nd) for nd in (1, 2, 3))

# torch's CPU autocast policy computes these in float32 (its 2-d poolings keep the input dtype)
max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool3d, max_unpool2d, max_unpool3d = (
    autocast_op(FP32, CPU)(f)
    for f in (
        max_pool3d,
        avg_pool3d,
        adaptive_avg_pool3d,
        adaptive_max_pool3d,
        max_unpool2d,
        max_unpool3d,
    )
)


def fractional_max_pool2d(*args, **kwargs):
    """Randomised fractional max pooling: not supported by ptjax."""
    from ptjax._errors import unsupported

    raise unsupported("torch.nn.functional.fractional_max_pool2d")


def fractional_max_pool3d(*args, **kwargs):
    """Randomised fractional max pooling: not supported by ptjax."""
    from ptjax._errors import unsupported

    raise unsupported("torch.nn.functional.fractional_max_pool3d")
