"""Reductions: sum, mean (more are added by the reduction module's owners)."""

from __future__ import annotations

import jax.numpy as jnp

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._tensor import Tensor, _wrap_dim

__all__ = ["sum", "mean"]


def reduce_dims(dim, ndim: int):
    """Normalise torch's ``dim`` argument (None, int, or sequence) to a sorted tuple or None."""
    if dim is None:
        return None
    if isinstance(dim, int):
        return (_wrap_dim(dim, ndim),)
    dims = tuple(_wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims else None


def _sum(x, *, axis, keepdims, dtype):
    return jnp.sum(x.astype(dtype), axis=axis, keepdims=keepdims)


@tensor_op
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dimensions if None); bool and int inputs sum as int64."""
    if dtype is None:
        d = input.dtype
        dtype = D.int64 if d.kind <= 1 else d
    else:
        dtype = D.to_dtype(dtype)
    axis = reduce_dims(dim, input.dim())
    return apply(_sum, input, axis=axis, keepdims=keepdim, dtype=dtype.np)


def _mean(x, *, axis, keepdims, dtype):
    return jnp.mean(x.astype(dtype), axis=axis, keepdims=keepdims)


@tensor_op
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (all dimensions if None); needs a floating point or complex input."""
    d = D.to_dtype(dtype) if dtype is not None else input.dtype
    if d.kind < 2:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_title(d)}"
        )
    return apply(_mean, input, axis=reduce_dims(dim, input.dim()), keepdims=keepdim, dtype=d.np)


def _title(d):
    from ptjax._tensor import _type_title

    return _type_title(d)
