"""Distances between vectors: pairwise_distance, cosine_similarity, pdist, normalize."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ptjax._dispatch import apply
from ptjax._tensor import Tensor, _wrap_dim

__all__ = ["pairwise_distance", "cosine_similarity", "pdist", "normalize"]


def _pnorm(x, p: float, axis, keepdims: bool = False):
    """The ``p``-norm along ``axis`` with torch's gradients (0 where the norm is 0)."""
    if p == 2:
        sq = jnp.sum(x * x, axis=axis, keepdims=keepdims)
        zero = sq == 0
        return jnp.where(zero, 0, jnp.sqrt(jnp.where(zero, 1, sq)))
    a = x * jnp.sign(x)  # |x| with gradient 0 at 0, as torch
    if p == math.inf:
        return jnp.max(a, axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return jnp.min(a, axis=axis, keepdims=keepdims)
    if p == 0:
        return jnp.sum((x != 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if p == 1:
        return jnp.sum(a, axis=axis, keepdims=keepdims)
    s = jnp.sum(a**p, axis=axis, keepdims=keepdims)
    zero = s == 0
    return jnp.where(zero, 0, jnp.where(zero, 1, s) ** (1.0 / p))


def _pairwise(x1, x2, *, p, eps, keepdim):
    return _pnorm(x1 - x2 + eps, p, -1, keepdim)


_pairwise.backward_name = "NormBackward1"


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension: (N, D) or (D,) -> (N,) or ()."""
    return apply(_pairwise, x1, x2, p=float(p), eps=eps, keepdim=keepdim)


def _cosine(x1, x2, *, axis, eps):
    x1, x2 = jnp.broadcast_arrays(x1, x2)
    n1 = _pnorm(x1, 2.0, axis, True)
    n2 = _pnorm(x2, 2.0, axis, True)
    # torch clamps the norms at eps outside autograd: values clamped, gradients untouched
    n1 = n1 + jax.lax.stop_gradient(jnp.maximum(n1, eps) - n1)
    n2 = n2 + jax.lax.stop_gradient(jnp.maximum(n2, eps) - n2)
    return jnp.sum((x1 / n1) * (x2 / n2), axis=axis)


_cosine.backward_name = "SumBackward1"


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast together)."""
    ndim = max(x1.dim(), x2.dim())
    return apply(_cosine, x1, x2, axis=_wrap_dim(dim, ndim), eps=eps)


def _pdist(x, *, p):
    rows, cols = np.triu_indices(x.shape[0], 1)
    return _pnorm(x[rows] - x[cols], p, -1)


_pdist.backward_name = "PdistBackward0"


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """Distances between all pairs of rows of ``input`` (N, M): (N (N - 1) / 2,)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return apply(_pdist, input, p=float(p))


def _normalize(x, *, p, axis, eps):
    norm = _pnorm(x, p, axis, True)
    return x / jnp.where(norm >= eps, norm, eps)


_normalize.backward_name = "DivBackward0"


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    return apply(_normalize, input, p=float(p), axis=_wrap_dim(dim, input.dim()), eps=eps)
