"""Sorting and order statistics: sort, topk, median, kthvalue, mode, quantile, unique, histc,
searchsorted, bucketize, bincount, diff.

Order follows torch on CPU: sorts are stable, NaN sorts last ascending and first descending,
ties keep their original order. Values are gathered with the returned indices, so gradients
flow to those positions, as torch's ``value_selecting_reduction_backward`` sends them.
Ops whose output shape depends on the data (``unique``, ``bincount``) run eagerly only.
"""

from __future__ import annotations

import builtins
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ptjax import _dtype as D
from ptjax import return_types as R
from ptjax._dispatch import apply
from ptjax._ops import _sort_host
from ptjax._ops._registry import tensor_op
from ptjax._ops.reduction import (
    _check_nonempty,
    _evenly_read,
    _finish,
    _on_1d,
    gather_along,
    one_dim,
)
from ptjax._tensor import Tensor, _type_title

__all__ = [
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
    "median",
    "nanmedian",
    "mode",
    "quantile",
    "nanquantile",
    "unique",
    "unique_consecutive",
    "bincount",
    "histc",
    "searchsorted",
    "bucketize",
    "diff",
]


def _is_float(x) -> bool:
    return jnp.issubdtype(x.dtype, jnp.inexact)


def sort_indices(x, axis: int, descending: bool = False):
    """Stable sort order along ``axis`` in torch's order (NaN last; first when descending)."""
    axis = axis % x.ndim
    keys = x.astype(jnp.uint8) if x.dtype == jnp.bool_ else x
    if descending:
        # a stable ascending sort of the reversed data, read backwards, is a stable descending
        # sort that keeps equal elements in their original order
        keys = jnp.flip(keys, axis)
    iota = lax.broadcasted_iota(jnp.int64, x.shape, axis)
    _, idx = lax.sort((keys, iota), dimension=axis, num_keys=1, is_stable=True)
    if descending:
        idx = (x.shape[axis] - 1) - jnp.flip(idx, axis)
    return idx


# -- sort / argsort / topk --------------------------------------------------------------------------


def torch_sort_indices(x, axis: int, descending: bool = False, stable: bool = False):
    """The order torch's CPU ``sort`` gives: stable when asked, or when the sorted dimension is
    at most 16 long (std::sort is then an insertion sort); otherwise rows with ties replay
    torch's std::sort, which orders tied elements in its own way."""
    order = sort_indices(x, axis, descending)
    n = x.shape[axis]
    if stable or n <= 16:
        return order
    xs = jnp.moveaxis(lax.stop_gradient(x), axis, -1)
    order = jnp.moveaxis(order, axis, -1)
    ties = _has_ties(jnp.take_along_axis(xs, order, axis=-1), -1)
    fn = functools.partial(_sort_host.sort_row, descending=descending)
    host = host_rows(fn, xs, ties, (n,))
    order = jnp.where(host >= 0, host, order)
    return jnp.moveaxis(order, -1, axis)


@_on_1d
def _sort_index(x, *, axis, descending, stable):
    return torch_sort_indices(x, axis, descending, stable)


def _taker(backward_name: str):
    """The values at integer positions ``idx`` (kept-dim shape) along ``axis``, and the
    positions (squeezed like the values). Its gradient is a scatter to the positions: torch's
    value_selecting_reduction_backward."""

    def take(x, idx, *, axis, keepdims):
        if jnp.ndim(x) == 0:
            return x, idx
        values = gather_along(x, idx, axis, keepdims)
        return values, idx if keepdims else jnp.squeeze(idx, axis)

    take.__name__ = "_take_" + backward_name
    take.backward_name = backward_name
    return take


def select_along(input: Tensor, index_impl, take, axis: int, keepdims: bool = True, **static):
    """``(values, indices)`` of a value-selecting op: the integer positions come from
    ``index_impl`` (never differentiated), the values from gathering ``input`` with them, so the
    backward is only that gather's scatter and does not recompute the selection."""
    idx = apply(index_impl, Tensor._make(input._value), axis=axis, **static)
    return apply(take, input, idx, axis=axis, keepdims=keepdims)


_take_sort = _taker("SortBackward0")
_take_topk = _taker("TopkBackward0")
_take_kthvalue = _taker("KthvalueBackward0")
_take_median = _taker("MedianBackward1")
_take_nanmedian = _taker("NanmedianBackward1")
_take_mode = _taker("ModeBackward0")


@tensor_op
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *, out=None):
    """Sort along ``dim``: ``torch.return_types.sort(values, indices)``. NaN sorts last (first
    when ``descending``); tied elements come in torch's order (index order if ``stable``)."""
    axis = one_dim(dim, input.dim())
    res = select_along(
        input, _sort_index, _take_sort, axis, descending=descending, stable=builtins.bool(stable)
    )
    return _finish(R.sort(res), out)


@tensor_op
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (as ``sort`` orders them)."""
    axis = one_dim(dim, input.dim())
    stable = builtins.bool(stable)
    return apply(_sort_index, input, axis=axis, descending=descending, stable=stable)


@tensor_op
def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension."""
    return sort(input, 0).values


def _has_ties(s, axis: int):
    """Whether sorted data ``s`` has equal neighbours (NaNs count as equal) along ``axis``."""
    n = s.shape[axis]
    hi, lo = lax.slice_in_dim(s, 1, n, axis=axis), lax.slice_in_dim(s, 0, n - 1, axis=axis)
    same = hi == lo
    if _is_float(s):
        same = same | (jnp.isnan(hi) & jnp.isnan(lo))
    return jnp.any(same, axis=axis)


# The host replays are Python loops (about a microsecond per comparison). Past this many
# elements in the rows to replay, the device's order is kept instead (stable among ties, which
# torch documents as a valid order too), so a large tied input never stalls on the host.
HOST_REPLAY_LIMIT = 100_000


def host_rows(fn, rows, active, tail: tuple = ()):
    """``fn(row)`` (an int or int sequence) computed on the host for the rows of ``rows`` (last
    axis) where ``active``; -1 elsewhere, and everywhere when the rows to replay hold more than
    ``HOST_REPLAY_LIMIT`` elements. The host is only called when some row is active, and nothing
    is differentiated through it (its inputs are cut from the graph)."""
    shape = active.shape + tail

    def host(rows, act):
        rows, act = np.asarray(rows), np.asarray(act)
        flat = rows.reshape(-1, rows.shape[-1])
        out = np.full((flat.shape[0],) + tail, -1, np.int64)
        todo = np.nonzero(act.reshape(-1))[0]
        if todo.size * flat.shape[1] <= HOST_REPLAY_LIMIT:
            for r in todo:
                out[r] = fn(flat[r])
        return out.reshape(act.shape + tail)

    def call(ops):
        return jax.pure_callback(
            host, jax.ShapeDtypeStruct(shape, jnp.int64), *ops, vmap_method="broadcast_all"
        )

    def skip(ops):
        return jnp.full(shape, -1, jnp.int64)

    return lax.cond(jnp.any(active), call, skip, (lax.stop_gradient(rows), active))


@_on_1d
def _topk_index(x, *, k, axis, largest, sorted):  # noqa: A002
    xs = jnp.moveaxis(x, axis, -1)
    order = sort_indices(xs, -1, largest)
    idx = order[..., :k]
    n = xs.shape[-1]
    if k and n > 1:
        # among tied values torch's selection (nth_element + sort) decides which indices come
        # first, so rows with ties replay it; unsorted results come in nth_element's order,
        # which every row replays
        if sorted or k * 64 <= n:
            rows = _has_ties(jnp.take_along_axis(xs, order, axis=-1), -1)
        else:
            rows = jnp.ones(xs.shape[:-1], bool)
        fn = functools.partial(_sort_host.topk_row, k=k, largest=largest, sorted=sorted)
        host = host_rows(fn, xs, rows, (k,))
        idx = jnp.where(host >= 0, host, idx)
    return jnp.moveaxis(idx, -1, axis)


@tensor_op
def topk(
    input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, out=None
):
    """The ``k`` largest (or smallest) elements along ``dim``: ``torch.return_types.topk``.

    NaN counts as larger than any number. Tied elements, and the order of an unsorted
    result, are those torch's CPU kernel gives.
    """
    axis = one_dim(dim, input.dim())
    size = input.shape[axis] if input.dim() else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.dim() == 0:
        k = 1  # torch returns the element itself for k = 0 as well
    res = select_along(
        input, _topk_index, _take_topk, axis, k=k, largest=largest, sorted=builtins.bool(sorted)
    )
    return _finish(R.topk(res), out)


# -- kthvalue, median, mode -------------------------------------------------------------------------


@_on_1d
def _kthvalue_index(x, *, k, axis):
    order = sort_indices(x, axis)
    pos = lax.slice_in_dim(order, k, k + 1, axis=axis)
    if x.shape[axis] > 2:
        # among ties with the k-th value torch's quickselect returns an index no closed form
        # gives; the rows with such ties replay it
        xs = lax.stop_gradient(x)
        value = jnp.take_along_axis(xs, pos, axis=axis)
        same = xs == value
        if _is_float(xs):
            same = same | (jnp.isnan(xs) & jnp.isnan(value))
        ties = jnp.sum(same, axis=axis) > 1
        fn = functools.partial(_sort_host.kthvalue_row, k=k)
        host = host_rows(fn, jnp.moveaxis(xs, axis, -1), ties)
        host = jnp.expand_dims(host, axis)
        pos = jnp.where(host >= 0, host, pos)
    return pos


@tensor_op
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """The ``k``-th smallest element along ``dim``: ``torch.return_types.kthvalue``."""
    axis = one_dim(dim, input.dim())
    if input.dim():
        _check_nonempty("kthvalue", input, (axis,), dim)
    size = input.shape[axis] if input.dim() else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    res = select_along(input, _kthvalue_index, _take_kthvalue, axis, keepdim, k=k - 1)
    return _finish(R.kthvalue(res), out)


def _median_all_value(x):
    flat = jnp.reshape(x, (-1,))
    n = flat.shape[0]
    if n == 0:
        return jnp.full((), jnp.nan, x.dtype)
    s = jnp.sort(flat)
    mid = s[(n - 1) // 2]
    return jnp.where(jnp.isnan(s[-1]), s[-1], mid) if _is_float(x) else mid


def _nanmedian_all_value(x):
    flat = jnp.reshape(x, (-1,))
    if flat.shape[0] == 0:
        return jnp.full((), jnp.nan, x.dtype)
    s = jnp.sort(flat)
    if not _is_float(x):
        return s[(flat.shape[0] - 1) // 2]
    valid = jnp.sum(~jnp.isnan(flat))
    return s[jnp.maximum(valid - 1, 0) // 2]


_median_all = _evenly_read(_median_all_value)
_nanmedian_all = _evenly_read(_nanmedian_all_value)
_median_all.__name__, _median_all.backward_name = "_median_all", "MedianBackward0"
_nanmedian_all.__name__, _nanmedian_all.backward_name = "_nanmedian_all", "NanmedianBackward0"


@_on_1d
def _median_index(x, *, axis, ignore_nan):
    # torch orders ties by index (nth_element with an index tie-break), so the lower median is
    # the element at position (n - 1) // 2 of a stable sort
    n = x.shape[axis]
    order = sort_indices(x, axis)
    if not _is_float(x):
        pos = lax.slice_in_dim(order, (n - 1) // 2, (n - 1) // 2 + 1, axis=axis)
    elif ignore_nan:
        valid = jnp.sum(~jnp.isnan(x), axis=axis, keepdims=True)
        pos = jnp.take_along_axis(order, jnp.maximum(valid - 1, 0) // 2, axis=axis)
        if n > 3:
            # a row of NaNs only: torch's index is where its nth_element leaves them
            none = jnp.squeeze(valid == 0, axis)
            host = host_rows(_sort_host.all_nan_median_row, jnp.moveaxis(x, axis, -1), none)
            host = jnp.expand_dims(host, axis)
            pos = jnp.where(host >= 0, host, pos)
    else:
        nan = jnp.isnan(x)
        first_nan = jnp.argmax(nan, axis=axis, keepdims=True).astype(jnp.int64)
        mid = lax.slice_in_dim(order, (n - 1) // 2, (n - 1) // 2 + 1, axis=axis)
        pos = jnp.where(jnp.any(nan, axis=axis, keepdims=True), first_nan, mid)
    return pos


def _median_op(name, all_impl, ignore_nan, rtype, take):
    def op(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
        if dim is None:
            return _finish(apply(all_impl, input), out)
        axis = one_dim(dim, input.dim())
        if input.dim():
            _check_nonempty(name, input, (axis,), dim)
        res = select_along(input, _median_index, take, axis, keepdim, ignore_nan=ignore_nan)
        return _finish(rtype(res), out)

    op.__name__ = op.__qualname__ = name
    skip = "ignoring NaN" if ignore_nan else "NaN if any element is NaN"
    op.__doc__ = (
        f"The lower median ({skip}). Without ``dim``: a tensor, whose gradient is split among "
        f"equal elements; with ``dim``: ``torch.return_types.{name}(values, indices)``."
    )
    return tensor_op(op)


median = _median_op("median", _median_all, False, R.median, _take_median)
nanmedian = _median_op("nanmedian", _nanmedian_all, True, R.nanmedian, _take_nanmedian)


@_on_1d
def _mode_index(x, *, axis):
    n = x.shape[axis]
    xs = jnp.moveaxis(x, axis, -1)
    order = sort_indices(xs, -1)
    s = jnp.take_along_axis(xs, order, axis=-1)
    pos = jnp.arange(n, dtype=jnp.int64)
    diff = s[..., 1:] != s[..., :-1]
    edge = jnp.ones(s.shape[:-1] + (1,), bool)
    is_start = jnp.concatenate([edge, diff], axis=-1)
    is_end = jnp.concatenate([diff, edge], axis=-1)
    start = lax.cummax(jnp.where(is_start, pos, 0), axis=s.ndim - 1)
    # run length at each run's last element; the first longest run holds the smallest mode
    count = jnp.where(is_end, pos - start + 1, 0)
    best = jnp.take_along_axis(order, jnp.argmax(count, axis=-1, keepdims=True), axis=-1)
    # that is torch's index when its std::sort is an insertion sort (n <= 16, stable); beyond,
    # or with NaN (which std::sort orders arbitrarily), rows with ties replay its sort
    ties = _has_ties(s, -1)
    if _is_float(xs):
        ties = ties & (n > 16) | jnp.any(jnp.isnan(xs), axis=-1)
    elif n <= 16:
        ties = jnp.zeros_like(ties)
    if n > 1:
        host = host_rows(_sort_host.mode_row, xs, ties)
        best = jnp.where(host[..., None] >= 0, host[..., None], best)
    return jnp.moveaxis(best, -1, axis)


@tensor_op
def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, out=None):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and the
    index of its last occurrence: ``torch.return_types.mode``."""
    axis = one_dim(dim, input.dim())
    if input.dim():
        _check_nonempty("mode", input, (axis,), dim)
    return _finish(R.mode(select_along(input, _mode_index, _take_mode, axis, keepdim)), out)


# -- quantile ---------------------------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _lerp(a, b, w):
    # torch's lerp formula, exact at both ends
    return jnp.where(w < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _quantile(x, q, *, axis, keepdims, interpolation, ignore_nan, scalar_q):
    ndim = x.ndim
    q = jnp.reshape(jnp.asarray(q, x.dtype), (-1,))
    if axis is None:
        xs = jnp.reshape(x, (-1,))
        out_shape = (1,) * ndim if keepdims else ()
    else:
        xs = jnp.moveaxis(x, axis, -1)
        out_shape = tuple(1 if i == axis else s for i, s in enumerate(x.shape))
        if not keepdims:
            out_shape = out_shape[:axis] + out_shape[axis + 1 :]
    # sorted as torch sorts, so that gradients reach the same one of tied elements
    s = jnp.take_along_axis(xs, torch_sort_indices(xs, xs.ndim - 1), axis=-1)[..., None, :]
    n = s.shape[-1]
    if ignore_nan:
        valid = jnp.sum(~jnp.isnan(s), axis=-1)
        ranks = q * (valid - 1).astype(x.dtype)
        ranks = jnp.where(ranks < 0, jnp.zeros((), x.dtype), ranks)
    else:
        ranks = jnp.broadcast_to(q * (n - 1), s.shape[:-2] + q.shape)
        ranks = jnp.where(jnp.any(jnp.isnan(s), axis=-1), jnp.asarray(n - 1, x.dtype), ranks)
    if interpolation == "lower":
        ranks = jnp.floor(ranks)
    elif interpolation == "higher":
        ranks = jnp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = jnp.round(ranks)
    s = s[..., 0, :]
    below = lax.stop_gradient(ranks).astype(jnp.int64)
    values = jnp.take_along_axis(s, below, axis=-1)
    if interpolation in ("linear", "midpoint"):
        w = (
            ranks - below.astype(x.dtype)
            if interpolation == "linear"
            else jnp.full_like(ranks, 0.5)
        )
        above = jnp.ceil(lax.stop_gradient(ranks)).astype(jnp.int64)
        values = _lerp(values, jnp.take_along_axis(s, above, axis=-1), w)
    values = jnp.moveaxis(values, -1, 0)  # (q, ...)
    if scalar_q:
        return jnp.reshape(values, out_shape)
    return jnp.reshape(values, q.shape + out_shape)


def _quantile_op(name, ignore_nan):
    def op(
        input: Tensor,
        q,
        dim=None,
        keepdim: bool = False,
        *,
        interpolation: str = "linear",
        out=None,
    ) -> Tensor:
        if input.dtype not in (D.float32, D.float64):
            raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
        if input.numel() == 0:
            raise RuntimeError(f"{name}() input tensor must be non-empty")
        if interpolation not in _INTERPOLATIONS:
            raise RuntimeError(
                f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
                f"nearest, but got {interpolation}"
            )
        if isinstance(q, Tensor):
            if q.dim() > 1:
                raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
            if q.dtype is not input.dtype:
                raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
            if not isinstance(q._value, jax.core.Tracer):
                qv = np.asarray(q._value)
                if not np.all((qv >= 0) & (qv <= 1)):
                    raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
            scalar_q = q.dim() == 0
        else:
            q = builtins.float(q)
            if not 0 <= q <= 1:
                raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
            scalar_q = True
        axis = one_dim(dim, input.dim()) if dim is not None else None
        if axis is not None and input.dim() == 0:
            axis = None
        res = apply(
            _quantile,
            input,
            q,
            axis=axis,
            keepdims=keepdim,
            interpolation=interpolation,
            ignore_nan=ignore_nan,
            scalar_q=scalar_q,
        )
        return _finish(res, out)

    op.__name__ = op.__qualname__ = name
    nan = "ignoring NaN" if ignore_nan else "NaN if the reduced elements contain NaN"
    op.__doc__ = (
        f"The ``q``-quantiles along ``dim`` (of all elements if None), {nan}. ``q`` is a number "
        "or a 0-d/1-d tensor (its values become a new first dimension); ``interpolation`` is "
        "linear, lower, higher, midpoint or nearest."
    )
    return tensor_op(op)


quantile = _quantile_op("quantile", False)
nanquantile = _quantile_op("nanquantile", True)


# -- data-dependent shapes: unique, bincount -----------------------------------------------------


def _host(input: Tensor, what: str) -> np.ndarray:
    v = input._value
    if isinstance(v, jax.core.Tracer):
        raise RuntimeError(
            f"{what} inside a compiled function has a data-dependent output shape that XLA "
            "cannot compile; call it outside the compiled function (eagerly) instead"
        )
    return np.asarray(v)


def _int64(a) -> Tensor:
    return Tensor._make(jnp.asarray(a, jnp.int64))


def _unique_result(values, inverse, counts, dtype, return_inverse, return_counts):
    out = Tensor._make(jnp.asarray(values, dtype))
    if not (return_inverse or return_counts):
        return out
    res = [out]
    if return_inverse:
        res.append(_int64(inverse))
    if return_counts:
        res.append(_int64(counts))
    return tuple(res)


@tensor_op
def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """The unique elements (or slices along ``dim``), sorted; optionally the inverse indices
    (``input``'s shape, or the size of ``dim``) and the counts. Eager only."""
    a = _host(input, "torch.unique")
    dt = input._value.dtype
    if dim is None:
        flat = a.reshape(-1)
        vals, inv, counts = np.unique(
            flat, return_inverse=True, return_counts=True, equal_nan=False
        )
        inv = np.asarray(inv).reshape(a.shape)
    else:
        axis = one_dim(dim, a.ndim)
        if a.ndim == 0:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})"
            )
        vals, inv, counts = _unique_slices(a, axis)
    return _unique_result(vals, inv, counts, dt, return_inverse, return_counts)


def _unique_slices(a: np.ndarray, axis: int):
    moved = np.moveaxis(a, axis, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, -1)
    if n == 0:
        return a, np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(n)
    srt = rows[order]
    new = np.ones(n, bool)
    new[1:] = np.any(srt[1:] != srt[:-1], axis=1)
    group = np.cumsum(new) - 1
    inv = np.empty(n, np.int64)
    inv[order] = group
    counts = np.bincount(group)
    vals = moved[order][new]
    return np.moveaxis(vals, 0, axis), inv, counts


@tensor_op
def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
):
    """Collapse runs of equal consecutive elements (or slices along ``dim``). Eager only."""
    a = _host(input, "torch.unique_consecutive")
    dt = input._value.dtype
    if dim is None:
        moved = a.reshape(-1)
        rows = moved.reshape(-1, 1)
    else:
        axis = one_dim(dim, a.ndim)
        moved = np.moveaxis(a, axis, 0)
        rows = moved.reshape(moved.shape[0], -1)
    n = rows.shape[0]
    new = np.ones(n, bool)
    new[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    group = np.cumsum(new) - 1
    counts = np.bincount(group) if n else np.zeros(0, np.int64)
    vals = moved[new]
    if dim is not None:
        vals = np.moveaxis(vals, 0, axis)
    inv = group.reshape(a.shape) if dim is None else group
    return _unique_result(vals, inv, counts, dt, return_inverse, return_counts)


@tensor_op
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Count occurrences of each value of a 1-d non-negative int tensor (summing ``weights``
    instead, if given); length ``max(input) + 1`` or ``minlength``. Eager only."""
    if input.dtype.kind != 1:
        raise NotImplementedError(
            f"\"bincount_cpu\" not implemented for '{_type_title(input.dtype)}'"
        )
    a = _host(input, "torch.bincount")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _int64(np.bincount(a, minlength=minlength))
    w = _host(weights, "torch.bincount")
    if w.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dt = weights.dtype if weights.dtype in (D.float32, D.float64) else D.float64
    counts = np.bincount(a, weights=w.astype(np.float64), minlength=minlength)
    return Tensor._make(jnp.asarray(counts, dt.np))


# -- histc, searchsorted, bucketize -----------------------------------------------------------------


def _histc(x, *, bins, lo, hi):
    flat = jnp.reshape(x, (-1,))
    lo_v, hi_v = jnp.asarray(lo, x.dtype), jnp.asarray(hi, x.dtype)
    if lo == hi and flat.shape[0]:
        # torch takes the data's range, widened by one on each side if it is a single value
        lo_v, hi_v = jnp.min(flat), jnp.max(flat)
        same = lo_v == hi_v
        lo_v, hi_v = jnp.where(same, lo_v - 1, lo_v), jnp.where(same, hi_v + 1, hi_v)
    inside = (flat >= lo_v) & (flat <= hi_v)
    # XLA turns a division by a broadcast scalar into a multiplication by its reciprocal,
    # which moves elements on bin edges; the barrier keeps torch's exact division
    width = lax.optimization_barrier(jnp.broadcast_to(hi_v - lo_v, flat.shape))
    pos = jnp.floor((flat - lo_v) * jnp.asarray(bins, x.dtype) / width).astype(jnp.int64)
    pos = jnp.clip(pos, 0, bins - 1)
    ones = jnp.where(inside, jnp.ones((), x.dtype), jnp.zeros((), x.dtype))
    return jnp.zeros((bins,), x.dtype).at[pos].add(ones)


@tensor_op
def histc(input: Tensor, bins: int = 100, min=0, max=0, *, out=None) -> Tensor:  # noqa: A002
    """Histogram of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range if
    equal); elements outside are ignored. Not differentiable."""
    if input.dtype.kind != 2:
        raise NotImplementedError(
            f"\"histogram_cpu\" not implemented for '{_type_title(input.dtype)}'"
        )
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0, but got " + str(bins))
    lo, hi = builtins.float(min), builtins.float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if math.isinf(lo) or math.isinf(hi) or math.isnan(lo) or math.isnan(hi):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    return _finish(apply(_histc, input.detach(), bins=bins, lo=lo, hi=hi), out)


def _searchsorted(seq, v, *, side, dtype, scalar):
    v = jnp.asarray(v)
    if scalar:
        v = jnp.reshape(v, (1,))
    ct = jnp.promote_types(seq.dtype, v.dtype)
    seq, v = seq.astype(ct), v.astype(ct)
    if seq.ndim == 1:
        out = jnp.searchsorted(seq, jnp.reshape(v, (-1,)), side=side).reshape(v.shape)
    else:
        lead = seq.shape[:-1]
        rows = jax.vmap(lambda s, x: jnp.searchsorted(s, x, side=side))(
            jnp.reshape(seq, (-1, seq.shape[-1])), jnp.reshape(v, (-1, v.shape[-1]))
        )
        out = jnp.reshape(rows, lead + (v.shape[-1],))
    out = out.astype(dtype)
    return jnp.reshape(out, ()) if scalar else out


def _sorter_gather(seq, sorter):
    return jnp.take_along_axis(seq, sorter, axis=-1)


@tensor_op(method=False)
def searchsorted(
    sorted_sequence: Tensor,
    input,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    out=None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Indices where ``input`` would be inserted into the innermost dimension of
    ``sorted_sequence`` to keep it sorted (``right``/``side='right'``: after equal elements)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    if not scalar and sorted_sequence.dim() > 1:
        if tuple(sorted_sequence.shape[:-1]) != tuple(input.shape[:-1]):
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
                f"{list(input.shape)}"
            )
    if scalar and sorted_sequence.dim() != 1:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({sorted_sequence.dim()}) and input "
            "value's dim(0) numel(1)"
        )
    seq = sorted_sequence
    if sorter is not None:
        seq = apply(_sorter_gather, seq.detach(), sorter)
    dt = jnp.int32 if out_int32 else jnp.int64
    v = input.detach() if isinstance(input, Tensor) else input
    res = apply(
        _searchsorted,
        seq.detach(),
        v,
        side="right" if right else "left",
        dtype=np.dtype(dt),
        scalar=scalar,
    )
    return _finish(res, out)


@tensor_op(method=False)
def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False, out=None):
    """The bucket index of each element of ``input`` given 1-d sorted ``boundaries``:
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``<= x <``)."""
    if boundaries.dim() != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# -- diff -------------------------------------------------------------------------------------------


def _diff(x, prepend, append, *, n, axis, dtype):
    parts = [jnp.asarray(p, dtype) for p in (prepend, x, append) if p is not None]
    a = jnp.concatenate(parts, axis=axis) if len(parts) > 1 else parts[0]
    for _ in range(n):
        m = a.shape[axis]
        if m == 0:
            break
        hi = lax.slice_in_dim(a, 1, m, axis=axis)
        lo = lax.slice_in_dim(a, 0, m - 1, axis=axis)
        a = hi != lo if a.dtype == jnp.bool_ else hi - lo
    return a


@tensor_op
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (bool: logical xor), after concatenating
    ``prepend`` and ``append`` along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = one_dim(dim, input.dim())
    extras = [t for t in (prepend, append) if t is not None]
    for t in extras:
        if t.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    from ptjax._ops.pointwise import promote

    dt = promote(input, *extras) if extras else input.dtype
    return apply(_diff, input, prepend, append, n=n, axis=axis, dtype=dt.np)
