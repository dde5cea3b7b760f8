"""Linear algebra: the ``torch.linalg`` functions and their top-level forms (torch.det,
torch.slogdet, torch.inverse, torch.cholesky, torch.qr, torch.svd, ...).

Everything is implemented here, once; ``ptjax/linalg.py`` is the ``torch.linalg`` namespace and
re-exports the ``linalg_*`` functions under torch.linalg's names (they differ from the top-level
ones in signature or return type: ``torch.svd`` returns V, ``torch.linalg.svd`` returns Vh).

Errors that torch detects from LAPACK's ``info`` (singular matrix for ``inv``/``solve``, not
positive-definite for ``cholesky``) are raised eagerly; inside ``jax.jit`` the values are unknown
and the result holds inf/NaN, as JAX computes it. The ``*_ex`` forms return ``info`` in both.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax import return_types as _rt
from ptjax._dispatch import apply
from ptjax._errors import unsupported
from ptjax._ops._registry import tensor_op
from ptjax._ops.blas import _raise_broadcast, matmul, precision_for
from ptjax._tensor import Tensor, _type_title, _wrap_dim

__all__ = [
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "pinverse",
    "cholesky",
    "cholesky_solve",
    "cholesky_inverse",
    "qr",
    "svd",
    "matrix_exp",
    "matrix_power",
    "lu",
    "lu_unpack",
    "lu_solve",
    "triangular_solve",
    "orgqr",
    "geqrf",
]


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix the operation cannot handle (singular, not PD)."""


# -- checks ----------------------------------------------------------------------------------------


def _traced(*tensors) -> bool:
    return any(isinstance(t._value, jax.core.Tracer) for t in tensors)


def _check_float(A: Tensor, fn: str) -> None:
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"{fn}: Expected a floating point or complex tensor as input. Got "
            f"{_type_title(A.dtype)}"
        )


def _check_matrix(A: Tensor, fn: str, name: str = "A") -> None:
    if A.dim() < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")


def _check_square(A: Tensor, fn: str, name: str = "A") -> None:
    _check_matrix(A, fn, name)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{fn}: {name} must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )


def _square_float(A: Tensor, fn: str) -> None:
    _check_square(A, fn)
    _check_float(A, fn)


def _raise_info(info, batched: bool, fn: str, message) -> None:
    """Raise LinAlgError for the first nonzero LAPACK-style ``info`` (eager only)."""
    flat = np.asarray(info).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        k = int(bad[0])
        prefix = f"(Batch element {k}): " if batched else ""
        raise LinAlgError(f"{fn}: {prefix}{message(int(flat[k]))}")


def _zero_pivot(a):
    """LAPACK getrf's info: 1-based index of the first exactly-zero pivot of U, else 0."""
    lu_, _, _ = jax.lax.linalg.lu(a)
    zero = jnp.diagonal(lu_, axis1=-2, axis2=-1) == 0
    return jnp.where(zero.any(-1), jnp.argmax(zero, -1) + 1, 0).astype(jnp.int32)


_zero_pivot_jit = jax.jit(_zero_pivot)


def _check_singular(A: Tensor, fn: str, message) -> None:
    if A._value.size and not _traced(A):
        _raise_info(_zero_pivot_jit(A._value), A.dim() > 2, fn, message)


def _inv_message(i: int) -> str:
    return (
        f"The diagonal element {i} is zero, the inversion could not be completed because the "
        "input matrix is singular."
    )


def _mT(x):
    return jnp.swapaxes(x, -1, -2)


def _mH(x):
    return jnp.conj(jnp.swapaxes(x, -1, -2))


def _hermitian_part(a, lower: bool):
    """The Hermitian matrix LAPACK sees (one triangle of ``a``), with the symmetric gradient
    torch gives: the value reads one triangle, the derivative is that of ``(a + a^H) / 2``."""
    tri = jnp.tril(a, -1) if lower else jnp.triu(a, 1)
    diag = jnp.real(jnp.diagonal(a, axis1=-2, axis2=-1)).astype(a.dtype)
    full = tri + _mH(tri) + diag[..., None] * jnp.eye(a.shape[-1], dtype=a.dtype)
    sym = (a + _mH(a)) / 2
    return sym + jax.lax.stop_gradient(full - sym)


def _jax_convention(torch_bwd):
    """A custom-VJP backward from torch's formula. For complex values torch's gradient is the
    conjugate of JAX's cotangent convention: JAX's is ``conj(torch(conj(g)))``."""

    @functools.wraps(torch_bwd)
    def bwd(*args):
        *static, res, g = args
        if not any(jnp.iscomplexobj(x) for x in jax.tree_util.tree_leaves((res, g))):
            return torch_bwd(*args)
        out = torch_bwd(*static, res, jax.tree_util.tree_map(jnp.conj, g))
        return jax.tree_util.tree_map(jnp.conj, out)

    return bwd


def _eps_rtol(a) -> float:
    return float(jnp.finfo(a.dtype).eps) * max(a.shape[-2], a.shape[-1])


# -- inverse, determinant --------------------------------------------------------------------------


def _inv(a):
    return jnp.linalg.inv(a)


_inv.backward_name = "LinalgInvExBackward0"


def _inv_ex(a):
    return jnp.linalg.inv(a), _zero_pivot(a)


_inv_ex.backward_name = "LinalgInvExBackward0"


def linalg_inv(A: Tensor, *, out=None) -> Tensor:
    """Inverse of square matrices ``(*, n, n)``; singular input raises ``LinAlgError``."""
    _square_float(A, "linalg.inv")
    _check_singular(A, "linalg.inv", _inv_message)
    return apply(_inv, A)


def linalg_inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """``(inverse, info)``: ``info`` is 0, or the 1-based index of a zero pivot (int32)."""
    _square_float(A, "linalg.inv_ex")
    inverse, info = apply(_inv_ex, A)
    if check_errors and not _traced(A):
        _raise_info(info._value, A.dim() > 2, "linalg.inv_ex", _inv_message)
    return _rt.linalg_inv_ex((inverse, info))


@tensor_op
def inverse(input: Tensor, *, out=None) -> Tensor:
    """Inverse of square matrices ``(*, n, n)`` (``torch.linalg.inv``)."""
    return linalg_inv(input)


def _det(a):
    return jnp.linalg.det(a)


_det.backward_name = "LinalgDetBackward0"


@tensor_op
def det(input: Tensor) -> Tensor:
    """Determinant of square matrices ``(*, n, n)``: shape ``(*)``."""
    _square_float(input, "linalg.det")
    return apply(_det, input)


def _slogdet(a):
    sign, logabs = jnp.linalg.slogdet(a)
    return sign, logabs


_slogdet.backward_name = "LinalgSlogdetBackward0"


def linalg_slogdet(A: Tensor, *, out=None):
    """``(sign, logabsdet)`` of square matrices: ``det = sign * exp(logabsdet)``."""
    _square_float(A, "linalg.slogdet")
    return _rt.linalg_slogdet(apply(_slogdet, A))


@tensor_op
def slogdet(input: Tensor):
    """``(sign, logabsdet)`` of square matrices ``(*, n, n)``."""
    _square_float(input, "linalg.slogdet")
    return _rt.slogdet(apply(_slogdet, input))


def _logdet(a):
    sign, logabs = jnp.linalg.slogdet(a)
    if jnp.iscomplexobj(a):
        return jnp.log(sign) + logabs
    return jnp.where(sign < 0, jnp.nan, logabs)


_logdet.backward_name = "LogdetBackward0"


@tensor_op
def logdet(input: Tensor) -> Tensor:
    """``log(det(input))``: NaN for a negative determinant, -inf for a singular matrix."""
    _square_float(input, "logdet")
    return apply(_logdet, input)


# -- solve -----------------------------------------------------------------------------------------


def _solve(a, b, *, left, vector):
    if vector:
        b = b[..., None]
    if not left:
        a = _mT(a)
        if not vector:
            b = _mT(b)
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    x = jnp.linalg.solve(a, b)
    if vector:
        return x[..., 0]
    return x if left else _mT(x)


_solve.backward_name = "LinalgSolveExBackward0"


def _solve_args(A: Tensor, B: Tensor, left: bool, fn: str) -> bool:
    _check_square(A, fn)
    _check_float(A, fn)
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"{fn}: Expected A and B to have the same dtype, but found A of type "
            f"{_type_title(A.dtype)} and B of type {_type_title(B.dtype)} instead"
        )
    vector = B.dim() == 1 or (A.dim() - 1 == B.dim() and tuple(B.shape) == tuple(A.shape[:-1]))
    n = A.shape[-1]
    if vector:
        if B.shape[-1] != n:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(
                f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                f"{B.shape[-1]}x1)"
            )
    else:
        if B.dim() < 2:
            raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
        k = B.shape[-2] if left else B.shape[-1]
        if k != n:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(
                f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                f"{B.shape[-2]}x{B.shape[-1]})"
            )
        try:
            np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
        except ValueError:
            _raise_broadcast(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    return vector


def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """Solve ``A X = B`` (or ``X A = B`` with ``left=False``); batch dims broadcast.

    ``B`` is a batch of vectors when it is 1-D or has shape ``A.shape[:-1]``.
    """
    vector = _solve_args(A, B, left, "linalg.solve")
    if A._value.size and not _traced(A):
        _raise_info(
            _zero_pivot_jit(A._value),
            A.dim() > 2,
            "torch.linalg.solve",
            lambda i: "The solver failed because the input matrix is singular.",
        )
    return apply(_solve, A, B, left=left, vector=vector)


def linalg_solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None
):
    """``(result, info)`` of ``linalg.solve`` without raising on singular input."""
    if check_errors:
        result = linalg_solve(A, B, left=left)
    else:
        vector = _solve_args(A, B, left, "linalg.solve_ex")
        result = apply(_solve, A, B, left=left, vector=vector)
    info = apply(_zero_pivot, A.detach())
    return _rt.linalg_solve_ex((result, info))


def _solve_triangular(a, b, *, upper, left, unitriangular):
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    a = jnp.triu(a) if upper else jnp.tril(a)
    return jax.lax.linalg.triangular_solve(
        a, b, left_side=left, lower=not upper, unit_diagonal=unitriangular
    )


_solve_triangular.backward_name = "LinalgSolveTriangularBackward0"


def linalg_solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False, out=None
) -> Tensor:
    """Solve ``A X = B`` (``X A = B`` if not ``left``) for triangular ``A``; no pivoting."""
    fn = "linalg.solve_triangular"
    _check_square(A, fn)
    _check_float(A, fn)
    n = A.shape[-1]
    if B.dim() < 2 or (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        shape = "x".join(str(s) for s in B.shape[-2:])
        raise RuntimeError(
            f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {shape})"
        )
    return apply(_solve_triangular, A, B, upper=upper, left=left, unitriangular=unitriangular)


@tensor_op
def triangular_solve(
    input: Tensor,
    A: Tensor,
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
):
    """Deprecated: ``(X, A.clone())`` solving ``op(A) X = input`` for triangular ``A``."""
    coeff = A
    if transpose:
        coeff = apply(_transpose_last, A)
        upper = not upper
    x = linalg_solve_triangular(coeff, input, upper=upper, unitriangular=unitriangular)
    return _rt.triangular_solve((x, apply(_identity, A)))


def _transpose_last(a):
    return _mT(a)


def _identity(a):
    return a


_identity.backward_name = "CloneBackward0"


# -- Cholesky --------------------------------------------------------------------------------------


def _cholesky(a, *, upper):
    L = jax.lax.linalg.cholesky(_hermitian_part(a, lower=not upper), symmetrize_input=False)
    return _mH(L) if upper else L


_cholesky.backward_name = "LinalgCholeskyExBackward0"


def _pd_order(a: np.ndarray, lower: bool) -> int:
    """The order of the first leading minor that is not positive-definite (LAPACK potrf's info)."""
    tri = np.tril(a, -1) if lower else np.triu(a, 1)
    full = tri + tri.conj().T + np.diag(np.real(np.diagonal(a)))
    for k in range(1, full.shape[-1] + 1):
        try:
            np.linalg.cholesky(full[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return full.shape[-1]


def _cholesky_info(A: Tensor, L: Tensor, upper: bool) -> np.ndarray:
    """Per-matrix info (0 = success) from a factor computed eagerly."""
    bad = np.asarray(jnp.isnan(L._value).any(axis=(-2, -1))).reshape(-1)
    info = np.zeros(bad.shape, np.int32)
    if bad.any():
        mats = np.asarray(A._value).reshape((-1,) + tuple(A.shape[-2:]))
        for k in np.flatnonzero(bad):
            info[k] = _pd_order(mats[k], lower=not upper)
    return info.reshape(tuple(A.shape[:-2]))


def _pd_message(k: int) -> str:
    return (
        "The factorization could not be completed because the input is not positive-definite "
        f"(the leading minor of order {k} is not positive-definite)."
    )


def _cholesky_checked(A: Tensor, upper: bool, fn: str) -> Tensor:
    _square_float(A, fn)
    L = apply(_cholesky, A, upper=upper)
    if A._value.size and not _traced(A):
        _raise_info(_cholesky_info(A, L, upper), A.dim() > 2, fn, _pd_message)
    return L


def linalg_cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """Cholesky factor ``L`` (lower) of Hermitian positive-definite ``A = L L^H``.

    Reads the lower triangle of ``A``; ``upper=True`` returns ``L^H``.
    """
    return _cholesky_checked(A, upper, "linalg.cholesky")


def _pd_info(a, *, upper):
    """potrf's info computed in JAX: the first leading minor that is not positive-definite."""
    a = _hermitian_part(a, lower=not upper)
    n = a.shape[-1]

    def one(m):
        def step(j, carry):
            m, info = carry
            d = jnp.real(m[j, j])
            bad = ~(d > 0)
            info = jnp.where((info == 0) & bad, j + 1, info)
            root = jnp.sqrt(jnp.where(bad, 1, d))
            idx = jnp.arange(n)
            col = jnp.where(idx > j, m[:, j] / root, 0)
            m = m - jnp.outer(col, jnp.conj(col))
            return m, info

        return jax.lax.fori_loop(0, n, step, (m, jnp.int32(0)))[1]

    flat = a.reshape((-1, n, n))
    return jax.vmap(one)(flat).reshape(a.shape[:-2])


def linalg_cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """``(L, info)``: ``info`` is 0 or the order of the leading minor that is not PD."""
    fn = "linalg.cholesky_ex"
    if check_errors:
        L = _cholesky_checked(A, upper, fn)
    else:
        _square_float(A, fn)
        L = apply(_cholesky, A, upper=upper)
    info = apply(_pd_info, A.detach(), upper=upper)
    return _rt.linalg_cholesky_ex((L, info))


@tensor_op
def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """Deprecated form of ``linalg.cholesky``: lower factor unless ``upper``."""
    return _cholesky_checked(input, upper, "cholesky")


def _potrs(b, L, upper):
    """``A^{-1} b`` for ``A = L L^H`` (or ``U^H U``), reading one triangle, as LAPACK potrs."""
    lower = jnp.tril(L) if not upper else _mH(jnp.triu(L))
    y = jax.lax.linalg.triangular_solve(lower, b, left_side=True, lower=True)
    return jax.lax.linalg.triangular_solve(
        lower, y, left_side=True, lower=True, transpose_a=True, conjugate_a=True
    )


# torch differentiates A = L L^H with the whole of L (its formulas do not mask the triangle)
@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _chol_solve_core(b, L, upper):
    return _potrs(b, L, upper)


def _chol_solve_fwd(b, L, upper):
    x = _potrs(b, L, upper)
    return x, (L, x)


def _chol_solve_bwd(upper, res, g):
    L, x = res
    gb = _potrs(g, L, upper)
    common = gb @ _mH(x)
    common = common + _mH(common)
    gL = -(L @ common) if upper else -(common @ L)
    return gb, gL


_chol_solve_core.defvjp(_chol_solve_fwd, _jax_convention(_chol_solve_bwd))


def _cholesky_solve(b, L, *, upper):
    batch = jnp.broadcast_shapes(b.shape[:-2], L.shape[:-2])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    L = jnp.broadcast_to(L, batch + L.shape[-2:])
    return _chol_solve_core(b, L, upper)


@tensor_op
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """Solve ``A X = B`` given the Cholesky factor ``input2`` of ``A`` (``B = input``)."""
    _check_matrix(input, "cholesky_solve", "B")
    _check_square(input2, "cholesky_solve")
    if input.dtype is not input2.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{_type_title(input.dtype)} and A of type {_type_title(input2.dtype)} instead."
        )
    if input.shape[-2] != input2.shape[-1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
            f"{input2.shape[-1]} by {input2.shape[-1]} but each b matrix is {input.shape[-2]} by "
            f"{input.shape[-1]}"
        )
    return apply(_cholesky_solve, input, input2, upper=upper)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _chol_inverse_core(L, upper):
    eye = jnp.broadcast_to(jnp.eye(L.shape[-1], dtype=L.dtype), L.shape)
    return _potrs(eye, L, upper)


def _chol_inverse_fwd(L, upper):
    inv = _chol_inverse_core(L, upper)
    return inv, (L, inv)


def _chol_inverse_bwd(upper, res, g):
    L, inv = res
    common = inv @ (g + _mH(g)) @ inv
    return (-(L @ common) if upper else -(common @ L),)


_chol_inverse_core.defvjp(_chol_inverse_fwd, _jax_convention(_chol_inverse_bwd))


def _cholesky_inverse(L, *, upper):
    return _chol_inverse_core(L, upper)


@tensor_op
def cholesky_inverse(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """Inverse of ``A`` given its Cholesky factor (``A = L L^H``, or ``U^H U`` if ``upper``)."""
    _square_float(input, "cholesky_inverse")
    return apply(_cholesky_inverse, input, upper=upper)


# -- QR, SVD, eigendecompositions -----------------------------------------------------------------


def _not_differentiable(f, message: str):
    """``f`` with a backward that raises torch's error (for outputs torch cannot differentiate)."""

    @jax.custom_vjp
    def g(a):
        return f(a)

    def fwd(a):
        return f(a), None

    def bwd(_, ct):
        raise RuntimeError(message)

    g.defvjp(fwd, bwd)
    return g


def _qr_r_only(a):
    return jnp.linalg.qr(a, mode="r")


def _qr_complete(a):
    q, r = jnp.linalg.qr(a, mode="complete")
    return q, r


_qr_r_nograd = _not_differentiable(
    _qr_r_only,
    "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
    "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.",
)
_qr_complete_nograd = _not_differentiable(
    _qr_complete,
    "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.",
)


def _qr(a, *, mode):
    if mode == "r":
        return _qr_r_nograd(a)
    if mode == "complete" and a.shape[-2] > a.shape[-1]:
        return _qr_complete_nograd(a)
    q, r = jnp.linalg.qr(a, mode=mode)
    return q, r


_qr.backward_name = "LinalgQrBackward0"


def linalg_qr(A: Tensor, mode: str = "reduced", *, out=None):
    """``(Q, R)`` with ``A = Q R``; ``mode`` 'reduced', 'complete', or 'r' (Q is empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    _check_matrix(A, "linalg.qr")
    _check_float(A, "linalg.qr")
    if mode == "r":
        r = apply(_qr, A, mode="r")
        return _rt.linalg_qr((Tensor._make(jnp.zeros((0,), A._value.dtype)), r))
    return _rt.linalg_qr(apply(_qr, A, mode=mode))


@tensor_op
def qr(input: Tensor, some: bool = True, *, out=None):
    """``(Q, R)``: reduced if ``some`` else complete (``torch.linalg.qr``)."""
    _check_matrix(input, "linalg.qr")
    _check_float(input, "linalg.qr")
    return _rt.qr(apply(_qr, input, mode="reduced" if some else "complete"))


def _svd(a, *, full_matrices):
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        # torch differentiates only the reduced part; the completing columns carry no gradient
        uf, _, vhf = jnp.linalg.svd(jax.lax.stop_gradient(a), full_matrices=True)
        k = min(m, n)
        if m > n:
            u = jnp.concatenate([u, uf[..., k:]], axis=-1)
        else:
            vh = jnp.concatenate([vh, vhf[..., k:, :]], axis=-2)
    return u, s, vh


_svd.backward_name = "LinalgSvdBackward0"


def _svdvals(a):
    return jnp.linalg.svd(a, compute_uv=False)


_svdvals.backward_name = "LinalgSvdBackward0"


def linalg_svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``; singular values descending."""
    _check_matrix(A, "linalg.svd")
    _check_float(A, "linalg.svd")
    return _rt.linalg_svd(apply(_svd, A, full_matrices=full_matrices))


def linalg_svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """Singular values ``(*, min(m, n))``, descending."""
    _check_matrix(A, "linalg.svdvals")
    _check_float(A, "linalg.svdvals")
    return apply(_svdvals, A)


def _svd_v(a, *, some):
    u, s, vh = _svd(a, full_matrices=not some)
    return u, s, _mH(vh)


_svd_v.backward_name = "LinalgSvdBackward0"


@tensor_op
def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """``(U, S, V)`` with ``input = U diag(S) V^H`` (note: V, not Vh as in linalg.svd).

    With ``compute_uv=False``, U and V are zero-filled.
    """
    _check_matrix(input, "linalg.svd")
    _check_float(input, "linalg.svd")
    if not compute_uv:
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        dt = input._value.dtype
        return _rt.svd(
            (
                Tensor._make(jnp.zeros(batch + (m, m), dt)),
                apply(_svdvals, input),
                Tensor._make(jnp.zeros(batch + (n, n), dt)),
            )
        )
    return _rt.svd(apply(_svd_v, input, some=some))


def _check_uplo(UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _eigh(a, *, lower):
    w, v = jnp.linalg.eigh(_hermitian_part(a, lower), symmetrize_input=False)
    return w, v


_eigh.backward_name = "LinalgEighBackward0"


def _eigvalsh(a, *, lower):
    return jnp.linalg.eigvalsh(_hermitian_part(a, lower))


_eigvalsh.backward_name = "LinalgEighBackward0"


def _eig_dtype_check(A: Tensor, fn: str) -> None:
    _check_square(A, fn)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise NotImplementedError(
            f"\"{fn.replace('.', '_')}_cpu\" not implemented for '{_type_title(A.dtype)}'"
        )


def linalg_eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """``(eigenvalues, eigenvectors)`` of Hermitian matrices, eigenvalues ascending.

    Only the ``UPLO`` triangle of ``A`` is read.
    """
    _check_uplo(UPLO)
    _eig_dtype_check(A, "linalg.eigh")
    return _rt.linalg_eigh(apply(_eigh, A, lower=UPLO == "L"))


def linalg_eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """Eigenvalues of Hermitian matrices ``(*, n)``, ascending."""
    _check_uplo(UPLO)
    _eig_dtype_check(A, "linalg.eigh")
    return apply(_eigvalsh, A, lower=UPLO == "L")


def _eig(a):
    w, v = jnp.linalg.eig(a)
    return w, v


_eig.backward_name = "LinalgEigBackward0"


def _eigvals(a):
    return jnp.linalg.eigvals(a)


_eigvals.backward_name = "LinalgEigBackward0"


def _check_eig(A: Tensor, fn: str) -> None:
    _square_float(A, fn)
    if jax.default_backend() != "cpu":
        raise unsupported(f"torch.{fn}", "JAX computes the general eigendecomposition on CPU only")


def linalg_eig(A: Tensor, *, out=None):
    """Complex ``(eigenvalues, eigenvectors)`` of general square matrices (CPU only).

    Gradients flow through the eigenvalues only (JAX does not differentiate eigenvectors).
    """
    _check_eig(A, "linalg.eig")
    return _rt.linalg_eig(apply(_eig, A))


def linalg_eigvals(A: Tensor, *, out=None) -> Tensor:
    """Complex eigenvalues of general square matrices (CPU only)."""
    _check_eig(A, "linalg.eigvals")
    return apply(_eigvals, A)


# -- pseudo-inverse, rank, least squares ------------------------------------------------------------


def _cutoff(s_max, atol, rtol, default_rtol):
    if atol is None and rtol is None:
        rtol = default_rtol
    elif rtol is None:
        rtol = 0.0
    atol = 0.0 if atol is None else atol
    return jnp.maximum(jnp.asarray(atol, s_max.dtype), jnp.asarray(rtol, s_max.dtype) * s_max)


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _pinv_core(a, atol, rtol, hermitian):
    if hermitian:
        w, v = jnp.linalg.eigh(a)
        s = jnp.abs(w)
        cut = _cutoff(s.max(-1, initial=0.0), atol, rtol, _eps_rtol(a))
        inv_w = jnp.where(s > cut[..., None], 1 / jnp.where(s > 0, w, 1), 0).astype(a.dtype)
        return (v * inv_w[..., None, :]) @ _mH(v)
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    cut = _cutoff(s.max(-1, initial=0.0), atol, rtol, _eps_rtol(a))
    inv_s = jnp.where(s > cut[..., None], 1 / jnp.where(s > 0, s, 1), 0).astype(a.dtype)
    return _mH(vh) @ (inv_s[..., :, None] * _mH(u))


@_pinv_core.defjvp
def _pinv_jvp(hermitian, primals, tangents):
    # the derivative of the pseudo-inverse at constant rank (Golub & Pereyra)
    a, atol, rtol = primals
    da = tangents[0]
    p = _pinv_core(a, atol, rtol, hermitian)
    prec = "highest"
    mm = functools.partial(jnp.matmul, precision=prec)
    m, n = a.shape[-2:]
    eye_m = jnp.eye(m, dtype=a.dtype)
    eye_n = jnp.eye(n, dtype=a.dtype)
    dp = (
        -mm(mm(p, da), p)
        + mm(mm(mm(p, _mH(p)), _mH(da)), eye_m - mm(a, p))
        + mm(mm(eye_n - mm(p, a), _mH(da)), mm(_mH(p), p))
    )
    return p, dp


def _pinv(a, atol, rtol, *, hermitian):
    return _pinv_core(a, atol, rtol, hermitian)


_pinv.backward_name = "LinalgPinvBackward0"


def _tol_value(t):
    return t._value if isinstance(t, Tensor) else t


def linalg_pinv(
    A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None, rcond=None
) -> Tensor:
    """Moore-Penrose pseudo-inverse ``(*, n, m)`` of ``(*, m, n)``.

    Singular values below ``max(atol, rtol * s_max)`` are treated as zero; by default
    ``rtol = eps * max(m, n)``.
    """
    if A.dim() < 2 or not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"linalg.pinv({_type_title(A.dtype)}{{{list(A.shape)}}}): expected a tensor with 2 "
            "or more dimensions of float, double, cfloat or cdouble types"
        )
    if rcond is not None:
        rtol = rcond
    if atol is not None and rtol is None and isinstance(atol, int | float) and atol <= 0:
        atol = None
    return apply(_pinv, A, _tol_value(atol), _tol_value(rtol), hermitian=hermitian)


@tensor_op
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse with singular values below ``rcond * s_max`` treated as zero."""
    return linalg_pinv(input, rtol=rcond)


def _matrix_rank(a, atol, rtol, *, hermitian):
    s = jnp.abs(jnp.linalg.eigvalsh(a)) if hermitian else jnp.linalg.svd(a, compute_uv=False)
    cut = _cutoff(s.max(-1, initial=0.0), atol, rtol, _eps_rtol(a))
    return jnp.sum(s > cut[..., None], axis=-1).astype(jnp.int64)


def linalg_matrix_rank(
    A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None, tol=None
) -> Tensor:
    """Numerical rank (int64): the number of singular values above ``max(atol, rtol * s_max)``."""
    _check_matrix(A, "linalg.matrix_rank")
    _check_float(A, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    return apply(_matrix_rank, A.detach(), _tol_value(atol), _tol_value(rtol), hermitian=hermitian)


def _lstsq(a, b, rcond, *, vector, driver):
    if vector:
        b = b[..., None]
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    m, n = a.shape[-2:]
    p = _pinv_core(a, None, rcond, False)
    x = jnp.matmul(p, b, precision="highest")
    s = jnp.linalg.svd(jax.lax.stop_gradient(a), compute_uv=False)
    cut = _cutoff(s.max(-1, initial=0.0), None, rcond, _eps_rtol(a))
    rank = jnp.sum(s > cut[..., None], axis=-1).astype(jnp.int64)
    empty = jnp.zeros((0,), a.dtype)
    if driver == "gels":
        rank_out = jnp.zeros((0,), jnp.int64)
    else:
        rank_out = rank
    sv = s if driver in ("gelsd", "gelss") else jnp.zeros((0,), s.dtype)
    if driver != "gelsy" and m > n:
        r = jnp.matmul(a, x, precision="highest") - b
        residuals = jnp.sum(jnp.abs(r) ** 2, axis=-2)
        # torch reports residuals only when every matrix has full rank (NaN marks the others)
        residuals = jnp.where(jnp.all(rank == n), residuals, jnp.nan)
    else:
        residuals = empty
    if vector:
        x = x[..., 0]  # torch keeps the residuals' trailing 1
    return x, residuals, rank_out, sv


_lstsq.backward_name = "LinalgLstsqBackward0"


def linalg_lstsq(A: Tensor, B: Tensor, rcond=None, *, driver: str | None = None):
    """Least-squares solution of ``A X = B``: ``(solution, residuals, rank, singular_values)``.

    As with torch's default CPU driver 'gelsy', ``residuals`` and ``singular_values`` are empty;
    'gelsd'/'gelss' give singular values, and residuals are given (when ``m > n``) by every
    driver except 'gelsy'.
    """
    fn = "torch.linalg.lstsq"
    if driver is None:
        driver = "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{fn}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _check_float(A, fn)
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"{fn}: Expected input and other to have the same dtype, but got input's dtype "
            f"{_type_title(A.dtype)} and other's dtype {_type_title(B.dtype)}"
        )
    if A.dim() < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if not (A.dim() >= B.dim() and A.dim() - B.dim() <= 1):
        raise RuntimeError(
            f"{fn}: input.dim() must be greater or equal to other.dim() and (input.dim() - "
            "other.dim()) <= 1"
        )
    vector = A.dim() - 1 == B.dim()
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        raise RuntimeError(
            f"{fn}: input.size(-2) should match other.size(-1)"
            if vector
            else f"{fn}: input.size(-2) should match other.size(-2)"
        )
    if vector and A.dim() > 2:
        try:
            np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-1]))
        except ValueError:
            _raise_broadcast(tuple(A.shape[:-2]), tuple(B.shape[:-1]))
    elif not vector:
        try:
            np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
        except ValueError:
            _raise_broadcast(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    out = apply(_lstsq, A, B, _tol_value(rcond), vector=vector, driver=driver)
    res = out[1]
    if res.numel() and not _traced(res) and bool(jnp.isnan(res._value).all()):
        # rank-deficient: torch gives no residuals (inside jit the shape cannot depend on it)
        out = (out[0], Tensor._make(jnp.zeros((0,), res._value.dtype)), *out[2:])
    return _rt.linalg_lstsq(out)


# -- matrix functions ---------------------------------------------------------------------------


# Pade-13 coefficients of exp (Higham 2005, "The scaling and squaring method revisited")
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def _expm_forward(a):
    """Scaling and squaring with one Pade-13 approximant: a single branch keeps XLA's compile
    small (jax.scipy's expm compiles five approximants and differentiates through them)."""
    b = _PADE13
    norm = jnp.max(jnp.sum(jnp.abs(a), axis=-2), axis=-1)
    s = jnp.ceil(jnp.log2(norm / _THETA13))
    s = jnp.where(jnp.isfinite(s) & (s > 0), s, 0).astype(jnp.int32)
    a = a / jnp.exp2(s.astype(jnp.real(a).dtype))[..., None, None].astype(a.dtype)
    eye = jnp.eye(a.shape[-1], dtype=a.dtype)
    mm = functools.partial(jnp.matmul, precision="highest")
    a2 = mm(a, a)
    a4 = mm(a2, a2)
    a6 = mm(a4, a2)
    u = mm(
        a,
        mm(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
        + b[7] * a6
        + b[5] * a4
        + b[3] * a2
        + b[1] * eye,
    )
    v = mm(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = jnp.linalg.solve(v - u, v + u)

    def square(i, r):
        return jnp.where((i < s)[..., None, None], mm(r, r), r)

    return jax.lax.fori_loop(0, jnp.max(s, initial=0), square, r)


@jax.custom_vjp
def _expm(a):
    return _expm_forward(a)


def _expm_fwd(a):
    return _expm_forward(a), a


def _expm_bwd(a, g):
    # torch's rule for analytic matrix functions: the upper-right block of exp([[A^H, G], [0, A^H]])
    n = a.shape[-1]
    ah = _mH(a)
    top = jnp.concatenate([ah, g], axis=-1)
    bottom = jnp.concatenate([jnp.zeros_like(ah), ah], axis=-1)
    big = _expm_forward(jnp.concatenate([top, bottom], axis=-2))
    return (big[..., :n, n:],)


_expm.defvjp(_expm_fwd, _jax_convention(_expm_bwd))


def _matrix_exp(a):
    if a.shape[-1] == 0:
        return a
    return _expm(a)


_matrix_exp.backward_name = "LinalgMatrixExpBackward0"


@tensor_op
def matrix_exp(input: Tensor) -> Tensor:
    """Matrix exponential of square matrices ``(*, n, n)``."""
    _check_square(input, "linalg.matrix_exp")
    _check_float(input, "linalg.matrix_exp")
    return apply(_matrix_exp, input)


def _matrix_power(a, *, n, precision):
    if n == 0:
        return jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n < 0:
        a, n = jnp.linalg.inv(a), -n
    # square-and-multiply, as torch does
    result = None
    z = a
    while True:
        if n & 1:
            result = z if result is None else jnp.matmul(result, z, precision=precision)
        n >>= 1
        if not n:
            return result
        z = jnp.matmul(z, z, precision=precision)


_matrix_power.backward_name = "MmBackward0"


@tensor_op
def matrix_power(input: Tensor, n: int) -> Tensor:
    """``input`` multiplied by itself ``n`` times; ``n = 0`` gives the identity, ``n < 0`` the
    inverse's power."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(
            f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}"
        )
    _check_square(input, "linalg.matrix_power")
    if n < 0:
        _check_float(input, "linalg.inv")
        _check_singular(input, "linalg.inv", _inv_message)
    return apply(_matrix_power, input, n=n, precision=precision_for(input._value.dtype))


def _multi_dot(arrays, *, precision):
    return jnp.linalg.multi_dot(list(arrays), precision=precision)


_multi_dot.backward_name = "MmBackward0"


def linalg_multi_dot(tensors, *, out=None) -> Tensor:
    """The product of a chain of matrices in the cheapest order; the first may be 1-D (a row
    vector) and the last 1-D (a column vector)."""
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    if first.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.dim()}D")
    if last.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.dim()}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    for i, t in enumerate(tensors[1:], 1):
        if t.dtype is not first.dtype:
            from ptjax._ops.blas import _cpp

            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_cpp(first.dtype)} and tensor {i} {_cpp(t.dtype)}"
            )
    for i in range(n - 1):
        a, b = tensors[i], tensors[i + 1]
        if a.shape[-1] != b.shape[0]:
            sa = list(a.shape) if a.dim() == 2 else [1, a.shape[0]]
            sb = list(b.shape) if b.dim() == 2 else [b.shape[0], 1]
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {sa} and {sb} cannot be "
                "multiplied"
            )
    return apply(_multi_dot, tensors, precision=precision_for(first._value.dtype))


def _vecdot(x, y, *, dim):
    x, y = jnp.broadcast_arrays(x, y)
    return jnp.sum(jnp.conj(x) * y, axis=dim)


_vecdot.backward_name = "SumBackward1"


def linalg_vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """``sum(conj(x) * y, dim)`` with broadcasting."""
    if x.dtype is not y.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_type_title(x.dtype)} and y of type {_type_title(y.dtype)} instead"
        )
    sx, sy = tuple(x.shape), tuple(y.shape)
    try:
        shape = np.broadcast_shapes(sx, sy)
    except ValueError:
        _raise_broadcast(sx, sy)
    return apply(_vecdot, x, y, dim=_wrap_dim(dim, len(shape)))


def _vander(x, *, n):
    cols = [jnp.ones_like(x)] + [jax.lax.integer_pow(x, k) for k in range(1, n)]
    return jnp.stack(cols, axis=-1)


_vander.backward_name = "CumprodBackward0"


def linalg_vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Vandermonde matrix ``(*, n, N)``: column ``k`` is ``x ** k``."""
    n = x.shape[-1] if N is None and x.dim() else N
    if x.dim() < 1 or n is None or n <= 1:
        raise RuntimeError("N must be greater than 1.")
    return apply(_vander, x, n=n)


def linalg_tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """The inverse of ``A`` with respect to ``tensordot(., ., ind)``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape_out = tuple(A.shape[ind:]) + tuple(A.shape[:ind])
    rows = math.prod(A.shape[:ind])
    cols = math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    flat = A.reshape(rows, cols)
    return linalg_inv(flat).reshape(shape_out)


def linalg_tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """``X`` such that ``tensordot(A, X, X.ndim) = B``."""
    if dims is not None:
        dims = [_wrap_dim(d, A.dim()) for d in dims]
        rest = [d for d in range(A.dim()) if d not in dims]
        A = A.permute(*(rest + dims))
    result_shape = tuple(A.shape[B.dim() :])
    n = math.prod(result_shape)
    m = math.prod(B.shape)
    if m != n:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {n} != {m}"
        )
    x = linalg_solve(A.reshape(m, n), B.reshape(m))
    return x.reshape(result_shape)


# -- LU -------------------------------------------------------------------------------------------


def _lu_factor(a):
    lu_, piv, _ = jax.lax.linalg.lu(a)
    return lu_, piv + 1


_lu_factor.backward_name = "LinalgLuFactorExBackward0"


def _lu_factor_ex(a):
    lu_, piv, _ = jax.lax.linalg.lu(a)
    zero = jnp.diagonal(lu_, axis1=-2, axis2=-1) == 0
    info = jnp.where(zero.any(-1), jnp.argmax(zero, -1) + 1, 0).astype(jnp.int32)
    return lu_, piv + 1, info


_lu_factor_ex.backward_name = "LinalgLuFactorExBackward0"


def _check_pivot(pivot: bool, fn: str) -> None:
    if not pivot:
        raise unsupported(f"torch.{fn}(pivot=False)", "JAX's LU always pivots")


def linalg_lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """``(LU, pivots)``: compact LU factorization with partial pivoting (1-based int32 pivots)."""
    fn = "torch.linalg.lu_factor"
    _check_matrix(A, fn)
    _check_float(A, fn)
    _check_pivot(pivot, "linalg.lu_factor")
    LU, piv, info = apply(_lu_factor_ex, A)
    if not _traced(A):
        flat = np.asarray(info._value).reshape(-1)
        bad = np.flatnonzero(flat)
        if bad.size:
            i = int(flat[bad[0]])
            prefix = f"(Batch element {int(bad[0])}): " if A.dim() > 2 else ""
            raise RuntimeError(
                f"{fn}: {prefix}U[{i},{i}] is zero and using it on lu_solve would result in a "
                "division by zero. If you still want to perform the factorization, consider "
                "calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
            )
    return _rt.linalg_lu_factor((LU, piv))


def linalg_lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """``(LU, pivots, info)`` without raising for singular matrices."""
    if check_errors:
        linalg_lu_factor(A, pivot=pivot)
    _check_matrix(A, "torch.linalg.lu_factor_ex")
    _check_float(A, "torch.linalg.lu_factor_ex")
    _check_pivot(pivot, "linalg.lu_factor_ex")
    return _rt.linalg_lu_factor_ex(apply(_lu_factor_ex, A))


def _unpack(lu_, piv1, *, unpack_data, unpack_pivots):
    m, n = lu_.shape[-2:]
    k = min(m, n)
    out = []
    if unpack_pivots:
        perm = jax.lax.linalg.lu_pivots_to_permutation(piv1 - 1, m)
        # P such that A = P L U: P[perm[i], i] = 1
        P = jnp.swapaxes(jax.nn.one_hot(perm, m, dtype=lu_.dtype), -1, -2)
        out.append(P)
    else:
        out.append(jnp.zeros((0,), lu_.dtype))
    if unpack_data:
        L = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=lu_.dtype)
        U = jnp.triu(lu_[..., :k, :])
        out += [L, U]
    else:
        out += [jnp.zeros((0,), lu_.dtype), jnp.zeros((0,), lu_.dtype)]
    return tuple(out)


_unpack.backward_name = "LuUnpackBackward0"


def _lu_plu(a):
    lu_, piv, _ = jax.lax.linalg.lu(a)
    return _unpack(lu_, piv + 1, unpack_data=True, unpack_pivots=True)


_lu_plu.backward_name = "LinalgLuBackward0"


def linalg_lu(A: Tensor, *, pivot: bool = True, out=None):
    """``(P, L, U)`` with ``A = P L U``: L unit lower ``(*, m, k)``, U upper ``(*, k, n)``."""
    _check_matrix(A, "linalg.lu")
    _check_float(A, "linalg.lu")
    _check_pivot(pivot, "linalg.lu")
    return _rt.linalg_lu(apply(_lu_plu, A))


@tensor_op
def lu_unpack(
    LU_data: Tensor,
    LU_pivots: Tensor,
    unpack_data: bool = True,
    unpack_pivots: bool = True,
    *,
    out=None,
):
    """``(P, L, U)`` from the compact ``(LU, pivots)`` of ``lu_factor``."""
    return _rt.lu_unpack(
        apply(_unpack, LU_data, LU_pivots, unpack_data=unpack_data, unpack_pivots=unpack_pivots)
    )


def _lu_solve(lu_, piv1, b, *, left, adjoint):
    n = lu_.shape[-1]
    batch = jnp.broadcast_shapes(lu_.shape[:-2], piv1.shape[:-1], b.shape[:-2])
    lu_ = jnp.broadcast_to(lu_, batch + lu_.shape[-2:])
    piv1 = jnp.broadcast_to(piv1, batch + piv1.shape[-1:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    perm = jax.lax.linalg.lu_pivots_to_permutation(piv1 - 1, n)
    L = jnp.tril(lu_, -1) + jnp.eye(n, dtype=lu_.dtype)
    U = jnp.triu(lu_)
    tri = jax.lax.linalg.triangular_solve

    def solve_a(rhs):  # A X = rhs with A = P L U
        rhs = jnp.take_along_axis(rhs, perm[..., :, None], axis=-2)
        y = tri(L, rhs, left_side=True, lower=True, unit_diagonal=True)
        return tri(U, y, left_side=True, lower=False)

    def solve_ah(rhs):  # A^H X = rhs: U^H L^H P^T X = rhs
        y = tri(U, rhs, left_side=True, lower=False, transpose_a=True, conjugate_a=True)
        z = tri(
            L, y, left_side=True, lower=True, unit_diagonal=True, transpose_a=True, conjugate_a=True
        )
        inv = jnp.argsort(perm, axis=-1)
        return jnp.take_along_axis(z, inv[..., :, None], axis=-2)

    if left:
        return solve_ah(b) if adjoint else solve_a(b)
    # X A = B  <=>  A^H X^H = B^H ; X A^H = B <=> A X^H = B^H
    bh = _mH(b)
    return _mH(solve_a(bh) if adjoint else solve_ah(bh))


_lu_solve.backward_name = "LinalgLuSolveBackward0"


def linalg_lu_solve(
    LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False, out=None
) -> Tensor:
    """Solve ``A X = B`` from ``lu_factor``'s ``(LU, pivots)`` (``adjoint``: with ``A^H``)."""
    _check_square(LU, "linalg.lu_solve", "LU")
    return apply(_lu_solve, LU, pivots, B, left=left, adjoint=adjoint)


@tensor_op
def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out=None) -> Tensor:
    """Deprecated: ``linalg.lu_solve(LU_data, LU_pivots, b)``."""
    return linalg_lu_solve(LU_data, LU_pivots, b)


@tensor_op
def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """Deprecated: ``(LU, pivots)`` (and ``infos`` if ``get_infos``) of ``linalg.lu_factor``."""
    if get_infos:
        return tuple(linalg_lu_factor_ex(A, pivot=pivot))
    return tuple(linalg_lu_factor(A, pivot=pivot))


# -- norms -----------------------------------------------------------------------------------------


def _norm_dims(dim, ndim: int):
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (_wrap_dim(dim, ndim),)
    return tuple(_wrap_dim(d, ndim) for d in dim)


def _vector_norm_value(x, ord, axis, keepdims):
    a = jnp.abs(x)
    if ord == 2:
        return jnp.sqrt(jnp.sum(a * a, axis=axis, keepdims=keepdims))
    if ord == math.inf:
        return jnp.max(a, axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return jnp.min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return jnp.sum(a != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
    if ord == 1:
        return jnp.sum(a, axis=axis, keepdims=keepdims)
    return jnp.sum(a**ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _vector_norm_core(x, ord, axis, keepdims):
    return _vector_norm_value(x, ord, axis, keepdims)


def _vector_norm_fwd(x, ord, axis, keepdims):
    n = _vector_norm_value(x, ord, axis, keepdims)
    return n, (x, n)


def _sgn(x):
    if jnp.iscomplexobj(x):
        a = jnp.abs(x)
        return jnp.where(a == 0, 0, x / jnp.where(a == 0, 1, a))
    return jnp.sign(x)


def _vector_norm_bwd(ord, axis, keepdims, res, g):
    # torch's norm_backward: subgradient 0 where the norm is 0, ties share the inf-norm gradient
    x, n = res
    if not keepdims:
        g = jnp.expand_dims(g, axis)
        n = jnp.expand_dims(n, axis)
    rdt = n.dtype
    zero = jnp.zeros((), rdt)
    a = jnp.abs(x)
    if ord == 0:
        gx = jnp.zeros_like(x)
    elif ord == 1:
        gx = _sgn(x) * g
    elif ord == 2:
        scale = jnp.where(n == 0, zero, g / jnp.where(n == 0, 1, n))
        gx = x * scale
    elif math.isinf(ord):
        mask = (a == n) | jnp.isnan(a)
        count = jnp.sum(mask, axis=axis, keepdims=True)
        gx = _sgn(x) * (g / count) * mask
    elif ord < 1:
        scaled = _sgn(x) * jnp.where(x == 0, zero, a ** (ord - 1))
        gx = scaled * g * n ** (1 - ord)
    elif ord < 2:
        scale = jnp.where(n == 0, zero, g / jnp.where(n == 0, 1, n ** (ord - 1)))
        gx = _sgn(x) * a ** (ord - 1) * scale
    else:
        scale = jnp.where(n == 0, zero, g / jnp.where(n == 0, 1, n ** (ord - 1)))
        gx = x * a ** (ord - 2) * scale
    return (gx.astype(x.dtype),)


_vector_norm_core.defvjp(_vector_norm_fwd, _jax_convention(_vector_norm_bwd))


def _vector_norm(x, *, ord, axis, keepdims, dtype):
    if dtype is not None:
        x = x.astype(dtype)
    if x.size == 0:
        return _vector_norm_value(x, ord, axis, keepdims)
    return _vector_norm_core(x, ord, axis, keepdims)


_vector_norm.backward_name = "LinalgVectorNormBackward0"


def _norm_dtype(x: Tensor, dtype, fn: str):
    _check_float(x, fn)
    if dtype is None:
        return None
    d = D.to_dtype(dtype)
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(
            f"{fn}: dtype should be floating point or complex, but got {_type_title(d)}"
        )
    if D.promote_types(x.dtype, d) is not d:
        raise RuntimeError(
            f"{fn}: the dtype of the input ({_type_title(x.dtype)}) should be convertible "
            f"without narrowing to the specified dtype ({_type_title(d)})"
        )
    return d.np


def linalg_vector_norm(
    x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None
) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements if None): ``sum(|x|^ord)^(1/ord)``,
    max/min of ``|x|`` for ``ord = +-inf``, the number of nonzeros for ``ord = 0``."""
    fn = "linalg.vector_norm"
    if isinstance(ord, str) or not isinstance(ord, int | float):
        raise TypeError(
            f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
            f"{type(ord).__name__}"
        )
    npdt = _norm_dtype(x, dtype, fn)
    axis = _norm_dims(dim, x.dim())
    if x.numel() == 0 and (ord < 0 or math.isinf(ord)):
        reduced = [x.shape[d] for d in axis] if x.dim() else []
        if dim is None or 0 in reduced:
            shown = "inf" if ord == math.inf else "-inf" if ord == -math.inf else f"{ord:g}"
            raise RuntimeError(
                f"{fn} cannot compute the {shown} norm on an empty tensor because the operation "
                "does not have an identity"
            )
    ordv = float(ord)
    return apply(_vector_norm, x, ord=ordv, axis=axis, keepdims=keepdim, dtype=npdt)


def _matrix_norm(a, *, ord, dims, keepdims, dtype):
    if dtype is not None:
        a = a.astype(dtype)
    d0, d1 = dims
    if ord == "fro":
        return (
            _vector_norm_core(a, 2.0, dims, keepdims)
            if a.size
            else jnp.sqrt(jnp.sum(jnp.abs(a) ** 2, axis=dims, keepdims=keepdims))
        )
    if ord in ("nuc", 2.0, -2.0):
        m = jnp.moveaxis(a, (d0, d1), (-2, -1))
        s = jnp.linalg.svd(m, compute_uv=False)
        r = jnp.sum(s, -1) if ord == "nuc" else s.max(-1) if ord == 2.0 else s.min(-1)
        if keepdims:
            r = jnp.expand_dims(r, tuple(sorted((d0, d1))))
        return r
    absa = jnp.abs(a)
    if ord in (1.0, -1.0):
        sums = jnp.sum(absa, axis=d0, keepdims=True)
        red = d1
    else:
        sums = jnp.sum(absa, axis=d1, keepdims=True)
        red = d0
    r = (
        jnp.max(sums, axis=red, keepdims=True)
        if ord > 0
        else jnp.min(sums, axis=red, keepdims=True)
    )
    return r if keepdims else jnp.squeeze(r, axis=dims)


_matrix_norm.backward_name = "LinalgMatrixNormBackward0"


def linalg_matrix_norm(
    A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None
) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', or ``ord`` in ``{+-1, +-2, +-inf}``."""
    fn = "linalg.matrix_norm"
    _check_matrix(A, fn)
    if isinstance(dim, int) or len(dim) != 2:
        shown = dim if isinstance(dim, int) else (dim[0] if len(dim) == 1 else tuple(dim))
        raise RuntimeError(f"{fn}: dim must be a 2-tuple. Got {shown}")
    dims = tuple(_wrap_dim(d, A.dim()) for d in dim)
    if dims[0] == dims[1]:
        raise RuntimeError(f"{fn}: dims must be different. Got ({dim[0]}, {dim[1]})")
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"{fn}: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"{fn}: Order {ord:g} not supported.")
    npdt = _norm_dtype(A, dtype, fn)
    ordv = ord if isinstance(ord, str) else float(ord)
    return apply(_matrix_norm, A, ord=ordv, dims=dims, keepdims=keepdim, dtype=npdt)


def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, out=None, dtype=None):
    """A vector norm (1 dim, or a 1-D input) or a matrix norm (2 dims, or a 2-D input); with
    ``ord`` and ``dim`` both None, the 2-norm of the flattened input."""
    fn = "linalg.norm"
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(
                f"{fn}: If dim is specified, it must be of length 1 or 2. Got {list(dims)}"
            )
        if len(dims) == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dims[0]}")
            return linalg_vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return linalg_matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return linalg_vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.dim() not in (1, 2):
        raise RuntimeError(
            f"{fn}: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D."
        )
    if A.dim() == 1:
        if isinstance(ord, str):
            raise RuntimeError(
                "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
            )
        return linalg_vector_norm(A, ord, None, keepdim, dtype=dtype)
    return linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


def _cond2(a, *, inverse):
    s = jnp.linalg.svd(a, compute_uv=False)
    hi, lo = s[..., 0], s[..., -1]
    return lo / hi if inverse else hi / lo


_cond2.backward_name = "DivBackward0"


def linalg_cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """Condition number in the ``p`` norm (2-norm via singular values by default)."""
    fn = "linalg.cond"
    _check_matrix(A, fn)
    _check_float(A, fn)
    if p is None or p in (2, -2):
        return apply(_cond2, A, inverse=p == -2)
    _check_square(A, fn)
    return linalg_matrix_norm(A, p) * linalg_matrix_norm(linalg_inv_ex(A).inverse, p)


def linalg_diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal of each matrix (``torch.diagonal`` with matrix defaults)."""
    import ptjax

    return ptjax.diagonal(A, offset=offset, dim1=dim1, dim2=dim2)


def linalg_matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Alias of ``torch.matmul``."""
    return matmul(input, other)


def _unsupported(name: str, why: str):
    def fn(*args, **kwargs):
        raise unsupported(f"torch.linalg.{name}", why)

    fn.__name__ = name
    return fn


def _householder_product(a, tau):
    # Q = H_0 H_1 ... H_{k-1} applied to the first n columns of I, with H_i = I - tau_i v_i v_i^H;
    # written with matmuls so it is differentiable (JAX's primitive has no derivative)
    m, n = a.shape[-2:]
    x = jnp.broadcast_to(jnp.eye(m, n, dtype=a.dtype), a.shape)
    rows = jnp.arange(m)
    for i in reversed(range(tau.shape[-1])):
        v = jnp.where(rows > i, a[..., :, i], jnp.where(rows == i, 1, 0).astype(a.dtype))
        w = jnp.einsum("...m,...mn->...n", jnp.conj(v), x, precision="highest")
        x = x - tau[..., i, None, None] * v[..., :, None] * w[..., None, :]
    return x


_householder_product.backward_name = "LinalgHouseholderProductBackward0"


def linalg_householder_product(A: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """The first ``n`` columns of the product of Householder reflectors ``(A[:, i], tau[i])``."""
    fn = "torch.linalg.householder_product"
    _check_matrix(A, fn)
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(
            f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if tau.shape[-1] > A.shape[-1]:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if A.dtype is not tau.dtype:
        raise RuntimeError(
            f"{fn}: tau dtype {_type_title(tau.dtype)} does not match input dtype "
            f"{_type_title(A.dtype)}"
        )
    return apply(_householder_product, A, tau)


def _geqrf_impl(a):
    r, tau = jax.lax.linalg.geqrf(a)
    return r, tau


_geqrf = _not_differentiable(_geqrf_impl, "the derivative for 'geqrf' is not implemented.")


def _geqrf_op(a):
    return _geqrf(a)


_geqrf_op.backward_name = "GeqrfBackward0"


@tensor_op
def geqrf(input: Tensor, *, out=None):
    """LAPACK's compact QR: ``(a, tau)`` with R on and above the diagonal of ``a`` and the
    Householder reflectors (for ``householder_product``) below it."""
    _check_matrix(input, "geqrf")
    _check_float(input, "geqrf")
    return _rt.geqrf(apply(_geqrf_op, input))


@tensor_op
def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """Alias of ``linalg.householder_product``."""
    return linalg_householder_product(input, tau)


ldl_factor = _unsupported("ldl_factor", "JAX has no LDL factorization")
ldl_factor_ex = _unsupported("ldl_factor_ex", "JAX has no LDL factorization")
ldl_solve = _unsupported("ldl_solve", "JAX has no LDL factorization")
