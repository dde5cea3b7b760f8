"""Distances between vectors: pairwise_distance, cosine_similarity, pdist, normalize."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ptjax._dispatch import apply
from ptjax._tensor import Tensor, _wrap_dim
from ptjax.amp.autocast_mode import CUDA, FP32, autocast_op

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


@autocast_op(FP32, CUDA)
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast together)."""
    ndim = max(x1.dim(), x2.dim())
    return apply(_cosine, x1, x2, axis=_wrap_dim(dim, ndim), eps=eps)


def _pdist(x, *, p):
    rows, cols = np.triu_indices(x.shape[0], 1)
    return _pnorm(x[rows] - x[cols], p, -1)


_pdist.backward_name = "PdistBackward0"


@autocast_op(FP32, CUDA)
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


@autocast_op(FP32, CUDA)
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    return apply(_normalize, input, p=float(p), axis=_wrap_dim(dim, input.dim()), eps=eps)


# torch.cdist lives in torch's top-level namespace (torch.functional), not in nn.functional; it
# is defined here beside the p-norm it shares and exported from ptjax/__init__.py.


def _cdist(x1, x2, *, p):
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    return _pnorm(diff, p, -1)


_cdist.backward_name = "CdistBackward0"


def _cdist_mm(x1, x2, *, precision):
    # torch's _euclidean_dist: one matmul of augmented rows, clamped before the sqrt
    n1 = jnp.sum(x1 * x1, axis=-1, keepdims=True)
    n2 = jnp.sum(x2 * x2, axis=-1, keepdims=True)
    a = jnp.concatenate([x1 * -2, n1, jnp.ones_like(n1)], axis=-1)
    b = jnp.concatenate([x2, jnp.ones_like(n2), n2], axis=-1)
    d2 = jnp.matmul(a, jnp.swapaxes(b, -1, -2), precision=precision)
    return jnp.sqrt(jnp.maximum(d2, 1e-30))


_cdist_mm.backward_name = "SqrtBackward0"

_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


@autocast_op(FP32)
def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """p-norm distances between the rows of x1 (*, P, M) and x2 (*, R, M): (*, P, R); batch
    dimensions broadcast. For p = 2 torch (and ptjax) use a matmul formulation when either set
    has more than 25 rows (or always with compute_mode='use_mm_for_euclid_dist')."""
    from ptjax._ops.blas import precision_for
    from ptjax._ops.shape import _broadcast_pair_error

    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.is_floating_point():
            kind = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(t.dtype.name, t.dtype.name)
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {kind}")
    if x1.dtype is not x2.dtype:
        names = {"float32": "Float", "float64": "Double"}
        raise RuntimeError(
            f"expected scalar type {names.get(x1.dtype.name, x1.dtype.name)} but found "
            f"{names.get(x2.dtype.name, x2.dtype.name)}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    err = _broadcast_pair_error(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    if err is not None:
        raise err
    rows = max(x1.shape[-2], x2.shape[-2])
    use_mm = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist" or (compute_mode == _CDIST_MODES[0] and rows > 25)
    )
    if use_mm:
        return apply(_cdist_mm, x1, x2, precision=precision_for(x1._value.dtype))
    return apply(_cdist, x1, x2, p=float(p))
