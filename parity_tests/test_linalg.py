"""Parity of matrix products (torch.mm ... torch.einsum) and torch.linalg against torch.

Decompositions are only defined up to signs (columns of Q, U, V, eigenvectors); the test
functions normalise those signs inside ``fn`` (a locally constant, detached factor), so values
and gradients compare exactly as torch computes them.
"""

import math

import numpy as np
import pytest
import torch
from helpers import check, raises, randn

import ptjax

# torch's deprecation warnings for torch.cholesky / torch.qr / torch.chain_matmul
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

F32, F64 = np.float32, np.float64


def echeck(fn, inputs, **kw):
    """``check`` eagerly only (see test_linalg_under_jit)."""
    check(fn, inputs, jit=False, **kw)


DTYPES = [F32, F64]


def well_conditioned(*shape, dtype=F64):
    """Random square matrices with a dominant diagonal (far from singular)."""
    n = shape[-1]
    return (randn(*shape, dtype=dtype) + n * np.eye(n)).astype(dtype)


def spd(*shape, dtype=F64):
    """Random symmetric positive-definite matrices."""
    x = randn(*shape, dtype=np.float64)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def sym(*shape, dtype=F64):
    x = randn(*shape, dtype=np.float64)
    return ((x + np.swapaxes(x, -1, -2)) / 2).astype(dtype)


# -- products ---------------------------------------------------------------------------------------

PRODUCTS = {
    "mm": (lambda t, a, b: t.mm(a, b), [(2, 3), (3, 4)]),
    "mm_method": (lambda t, a, b: a.mm(b), [(2, 3), (3, 4)]),
    "bmm": (lambda t, a, b: t.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    "mv": (lambda t, a, b: t.mv(a, b), [(2, 3), (3,)]),
    "dot": (lambda t, a, b: t.dot(a, b), [(3,), (3,)]),
    "vdot": (lambda t, a, b: t.vdot(a, b), [(3,), (3,)]),
    "inner": (lambda t, a, b: t.inner(a, b), [(2, 3), (4, 3)]),
    "inner_1d": (lambda t, a, b: a.inner(b), [(3,), (3,)]),
    "inner_0d": (lambda t, a, b: t.inner(a, b), [(), (2, 3)]),
    "outer": (lambda t, a, b: t.outer(a, b), [(3,), (4,)]),
    "ger": (lambda t, a, b: t.ger(a, b), [(3,), (4,)]),
    "addmm": (lambda t, c, a, b: t.addmm(c, a, b), [(2, 4), (2, 3), (3, 4)]),
    "addmm_scaled_bcast": (
        lambda t, c, a, b: t.addmm(c, a, b, beta=0.5, alpha=-2),
        [(4,), (2, 3), (3, 4)],
    ),
    "addmm_beta0": (lambda t, c, a, b: t.addmm(c, a, b, beta=0), [(2, 4), (2, 3), (3, 4)]),
    "addmv": (lambda t, c, a, b: t.addmv(c, a, b, beta=2, alpha=0.5), [(2,), (2, 3), (3,)]),
    "addbmm": (lambda t, c, a, b: t.addbmm(c, a, b, alpha=3), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    "baddbmm": (
        lambda t, c, a, b: t.baddbmm(c, a, b, beta=0.5),
        [(1, 2, 4), (3, 2, 3), (3, 3, 4)],
    ),
    "addr": (lambda t, c, a, b: t.addr(c, a, b, beta=2, alpha=3), [(3, 4), (3,), (4,)]),
    "einsum_mm": (lambda t, a, b: t.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    "einsum_list": (lambda t, a, b: t.einsum("bij,bjk->bik", [a, b]), [(2, 2, 3), (2, 3, 4)]),
    "einsum_implicit_ellipsis": (
        lambda t, a, b: t.einsum("...ij,...jk", a, b),
        [(5, 2, 3), (3, 4)],
    ),
    "einsum_diag_trace": (lambda t, a: (t.einsum("ii->i", a), t.einsum("ii", a)), [(3, 3)]),
    "einsum_spaces_outer": (lambda t, a, b: t.einsum("i , j -> j i", a, b), [(3,), (2,)]),
    "einsum_sublist": (
        lambda t, a, b: t.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        [(2, 3), (3, 4)],
    ),
    "tensordot_int": (lambda t, a, b: t.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 5)]),
    "tensordot_lists": (
        lambda t, a, b: t.tensordot(a, b, dims=([0, 2], [1, 0])),
        [(2, 3, 4), (4, 2, 5)],
    ),
    "tensordot_0": (lambda t, a, b: t.tensordot(a, b, dims=0), [(2,), (3,)]),
    "kron": (lambda t, a, b: t.kron(a, b), [(2, 3), (2, 2)]),
    "kron_ranks": (lambda t, a, b: t.kron(a, b), [(2,), (2, 3, 2)]),
    "cross_dim": (lambda t, a, b: t.cross(a, b, dim=0), [(3, 2), (3, 2)]),
    "linalg_cross_bcast": (lambda t, a, b: t.linalg.cross(a, b), [(2, 3), (1, 3)]),
    "trace": (lambda t, a: t.trace(a), [(3, 4)]),
    "chain_matmul": (lambda t, a, b, c: t.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]),
    "multi_dot": (
        lambda t, a, b, c, d: t.linalg.multi_dot([a, b, c, d]),
        [(3,), (3, 4), (4, 2), (2,)],
    ),
    "vecdot": (lambda t, a, b: t.linalg.vecdot(a, b, dim=0), [(3, 4), (3, 1)]),
}


# float64 for a representative subset: every check compiles, and CI has 2 cores
F64_PRODUCTS = {"mm", "bmm", "addmm_scaled_bcast", "einsum_list", "tensordot_lists", "multi_dot"}


@pytest.mark.parametrize(
    "name,dtype",
    [(n, F32) for n in PRODUCTS] + [(n, F64) for n in sorted(F64_PRODUCTS)],
)
def test_products(name, dtype):
    fn, shapes = PRODUCTS[name]
    check(fn, [randn(*s, dtype=dtype) for s in shapes])


MATMUL_SHAPES = [
    [(3,), (3,)],
    [(2, 3), (3,)],
    [(3,), (3, 2)],
    [(2, 3), (3, 4)],
    [(2, 2, 3), (3, 4)],
    [(2, 3), (2, 3, 4)],
    [(2, 1, 2, 3), (3, 3, 2)],
    [(3,), (2, 3, 4)],
    [(2, 2, 3), (3,)],
    [(0, 3), (3, 2)],
    [(2, 0), (0, 3)],
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_shapes(shapes):
    check(lambda t, a, b: (a @ b, t.matmul(a, b)), [randn(*s) for s in shapes])


def test_matmul_float64_and_ndarray():
    a, b = randn(2, 3, dtype=F64), randn(3, 2, dtype=F64)
    check(lambda t, a, b: a.matmul(b) @ a, [a, b])
    for lib in (torch, ptjax):
        with pytest.raises(TypeError):
            np.ones((2, 2)) @ lib.ones(2, 2, dtype=lib.float64)


def test_int_products():
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    v = np.arange(3)
    check(lambda t, a, b: (t.mm(a, b), a @ b, t.einsum("ij,jk", a, b)), [a, b], grad=False)
    check(lambda t, a, v: (t.dot(v, v), t.mv(a, v), t.trace(a), t.outer(v, v)), [a, v], grad=False)
    check(lambda t, a: t.trace(a.int()), [a], grad=False)
    check(lambda t, a, b: t.linalg.matrix_power(t.mm(a, b)[:, :2], 3), [a, b], grad=False)
    # torch truncates beta/alpha to the integer dtype for addmm
    c = np.full((2, 4), 3)
    check(lambda t, c, a, b: t.addmm(c, a, b, beta=0.5, alpha=1.7), [c, a, b], grad=False)


def test_large_float32_matmul_full_precision():
    # torch multiplies float32 at full precision; so must XLA (no TF32 / bf16 passes)
    check(lambda t, a, b: a @ b, [randn(8, 300), randn(300, 6)])
    assert ptjax.get_float32_matmul_precision() == "highest"


def test_inplace_addmm_family():
    def fn(t, c, d, e, a, b, v, w, b1, b2):
        c = c * 1
        c.addmm_(a, b, beta=0.5)
        d = d * 1
        d.addr_(v, w, alpha=2)
        e = e * 1
        e.baddbmm_(b1, b2)
        return c, d, e

    check(
        fn,
        [
            randn(2, 4),
            randn(3, 5),
            randn(2, 2, 4),
            randn(2, 3),
            randn(3, 4),
            randn(3),
            randn(5),
            randn(2, 2, 3),
            randn(2, 3, 4),
        ],
    )


def test_mixed_dtype_promoting_products():
    check(lambda t, a, b: (t.outer(a, b), t.kron(a, b)), [randn(3), randn(2, dtype=F64)])
    check(lambda t, a, b: t.outer(a, b), [randn(3), np.arange(2)])


def test_backward_names():
    a = ptjax.ones(2, 3, requires_grad=True)
    b = ptjax.ones(3, 2, requires_grad=True)
    assert ptjax.mm(a, b).grad_fn.name() == "MmBackward0"
    assert ptjax.addmm(ptjax.ones(2), a, b).grad_fn.name() == "AddmmBackward0"
    assert ptjax.trace(a).grad_fn.name() == "TraceBackward0"
    assert ptjax.dot(a[0], a[1]).grad_fn.name() == "DotBackward0"


PRODUCT_ERRORS = [
    (
        lambda t: t.mm(t.ones(2, 3), t.ones(4, 5)),
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
    ),
    (lambda t: t.mm(t.ones(2, 3, 1), t.ones(3, 5)), "self must be a matrix"),
    (
        lambda t: t.mm(t.ones(2, 3), t.ones(3, 5, dtype=t.float64)),
        "expected m1 and m2 to have the same dtype, but got: float != double",
    ),
    (
        lambda t: t.matmul(t.ones(2, 3), t.ones(3, 5, dtype=t.int64)),
        "expected m1 and m2 to have the same dtype, but got: float != long int",
    ),
    (
        lambda t: t.matmul(t.ones(()), t.ones(3)),
        "both arguments to matmul need to be at least 1D, but they are 0D and 1D",
    ),
    (
        lambda t: t.matmul(t.ones(2, 3), t.ones(4)),
        "size mismatch, got input (2), mat (2x3), vec (4)",
    ),
    (
        lambda t: t.matmul(t.ones(3), t.ones(4, 5)),
        "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)",
    ),
    (
        lambda t: t.matmul(t.ones(2, 2, 3), t.ones(4, 5)),
        "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)",
    ),
    (
        lambda t: t.matmul(t.ones(2, 2, 3), t.ones(2, 4, 5)),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].",
    ),
    (
        lambda t: t.matmul(t.ones(3, 2, 3), t.ones(2, 3, 5)),
        "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
    ),
    (
        lambda t: t.matmul(t.ones(3), t.ones(4)),
        "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
        "elements, but got 3 and 4 elements respectively",
    ),
    (
        lambda t: t.bmm(t.ones(2, 2, 3), t.ones(3, 3, 5)),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].",
    ),
    (lambda t: t.bmm(t.ones(2, 3), t.ones(2, 3, 5)), "batch1 must be a 3D tensor"),
    (lambda t: t.mv(t.ones(2, 3), t.ones(3, 1)), "vector + matrix @ vector expected, got 1, 2, 2"),
    (lambda t: t.dot(t.ones(2, 3), t.ones(3)), "1D tensors expected, but got 2D and 1D tensors"),
    (
        lambda t: t.dot(t.ones(3), t.ones(3, dtype=t.float64)),
        "dot : expected both vectors to have same dtype, but found Float and Double",
    ),
    (lambda t: t.outer(t.ones(3), t.ones(2, 1)), "outer: Expected 1-D argument vec2, but got 2-D"),
    (
        lambda t: t.addmm(t.ones(3, 5), t.ones(2, 3), t.ones(3, 5)),
        "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
        "dimension 0.  Target sizes: [2, 5].  Tensor sizes: [3, 5]",
    ),
    (
        lambda t: t.addr(
            t.ones(2, 3, dtype=t.int64),
            t.ones(2, dtype=t.int64),
            t.ones(3, dtype=t.int64),
            alpha=0.5,
        ),
        "For integral input tensors, argument alpha must not be a floating point number.",
    ),
    (
        lambda t: t.addbmm(t.ones(2, 5), t.ones(3, 2, 3), t.ones(2, 3, 5)),
        "batch1 and batch2 must have same number of batches, got 3 and 2",
    ),
    (lambda t: t.trace(t.ones(3)), "trace: expected a matrix, but got tensor with dim 1"),
    (lambda t: t.cross(t.ones(2, 4), t.ones(2, 4)), "no dimension of size 3 in input"),
    (
        lambda t: t.linalg.cross(t.ones(3, 2), t.ones(3, 2)),
        "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2",
    ),
    (
        lambda t: t.inner(t.ones(2, 3), t.ones(4)),
        "inner() the last dimension must match on both input tensors but got shapes [2, 3] and [4]",
    ),
    (
        lambda t: t.tensordot(t.ones(2, 3), t.ones(4, 5), dims=1),
        "contracted dimensions need to match, but first has size 3 in dim -1 and second has size "
        "4 in dim 0",
    ),
    (
        lambda t: t.tensordot(t.ones(2, 3), t.ones(3, 5), dims=-1),
        "tensordot expects dims >= 0, but got dims=-1",
    ),
    (
        lambda t: t.einsum("ij,jk->ik", t.ones(2, 3), t.ones(4, 5)),
        "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously "
        "seen size 3",
    ),
    (
        lambda t: t.einsum("ij,jk", t.ones(2, 3)),
        "einsum(): fewer operands were provided than specified in the equation",
    ),
    (
        lambda t: t.einsum("ij->ik", t.ones(2, 3)),
        "einsum(): output subscript k does not appear in the equation for any input operand",
    ),
    (
        lambda t: t.einsum("ij", t.ones(2, 3, 4)),
        "einsum(): the number of subscripts in the equation (2) does not match the number of "
        "dimensions (3) for operand 0 and no ellipsis was given",
    ),
    (
        lambda t: t.linalg.multi_dot([t.ones(3)]),
        "multi_dot(): expected at least 2 tensors but got 1",
    ),
    (
        lambda t: t.linalg.multi_dot([t.ones(3, 3), t.ones(4, 3)]),
        "multi_dot(): tensors 0 and 1 with shapes [3, 3] and [4, 3] cannot be multiplied",
    ),
    (
        lambda t: t.linalg.vecdot(t.ones(3), t.ones(3, dtype=t.int64)),
        "linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y "
        "of type Long instead",
    ),
]


@pytest.mark.parametrize("k", range(len(PRODUCT_ERRORS)))
def test_product_errors(k):
    fn, msg = PRODUCT_ERRORS[k]
    raises(RuntimeError, msg, fn, torch)
    raises(RuntimeError, msg, fn, ptjax)


def test_bool_matmul_not_implemented():
    for lib in (torch, ptjax):
        raises(
            NotImplementedError,
            "\"addmm_impl_cpu_\" not implemented for 'Bool'",
            lambda t: t.mm(t.ones(2, 2, dtype=t.bool), t.ones(2, 2, dtype=t.bool)),
            lib,
        )


# -- torch.linalg ------------------------------------------------------------------------------------
# Decompositions compile slowly under XLA (seconds per op on CI's 2 cores), so the families
# below run eagerly in float64 (and float32 once, all together), and test_linalg_under_jit runs
# one op of each family inside jax.jit with the same shapes, reusing the eager compile cache.


def test_inv_det_slogdet_logdet():
    a = well_conditioned(2, 3, 3)
    a[1, 0] *= -1  # det < 0 for the second matrix: slogdet's sign is -1 and logdet is NaN

    def fn(t, a):
        s, lad = t.linalg.slogdet(a)
        return (
            t.linalg.inv(a),
            t.linalg.det(a),
            s,
            lad,
            t.inverse(a),
            t.slogdet(a),
            a.logdet(),
            *t.linalg.inv_ex(a),
        )

    echeck(fn, [a])


def test_det_singular_gradient():
    # det's gradient at a rank-deficient matrix is the adjugate, not NaN
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    echeck(lambda t, a: t.linalg.det(a), [a])
    echeck(lambda t, a: t.linalg.inv_ex(a).info, [a], grad=False)


def test_solve():
    a = well_conditioned(2, 3, 3)
    echeck(
        lambda t, a, b, v, w, c: (
            t.linalg.solve(a, b),
            t.linalg.solve(a[0], v),
            t.linalg.solve(a, w),  # w has shape a.shape[:-1]: a batch of vectors
            t.linalg.solve(a, c, left=False),
            *t.linalg.solve_ex(a, b),
        ),
        [
            a,
            randn(3, 2, dtype=F64),
            randn(3, dtype=F64),
            randn(2, 3, dtype=F64),
            randn(2, 2, 3, dtype=F64),
        ],
    )


def test_cholesky_family():
    a = spd(2, 3, 3)
    # one triangle is read (the lower; the upper with upper=True, in torch and here). The
    # change stays below spd's smallest eigenvalue (>= 3), so the matrix either triangle
    # describes is positive-definite whatever the random draw (+5 was not always).
    a[1, 0, 2] += 0.5
    L = np.linalg.cholesky(spd(3, 3))
    echeck(
        lambda t, a, b, L: (
            t.linalg.cholesky(a),
            t.linalg.cholesky(a, upper=True),
            t.cholesky(a),
            *t.linalg.cholesky_ex(a),
            t.cholesky_solve(b, L),
            t.cholesky_solve(b, L.mT, upper=True),
            t.cholesky_inverse(L),
        ),
        [a, randn(3, 2, dtype=F64), L],
    )


def test_solve_triangular():
    a = well_conditioned(3, 3)
    echeck(
        lambda t, a, b, c: (
            t.linalg.solve_triangular(a, b, upper=True),
            t.linalg.solve_triangular(a, c, upper=False, left=False),
            t.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
        ),
        [a, randn(3, 2, dtype=F64), randn(2, 3, dtype=F64)],
    )


# decompositions: signs normalised inside fn


def _signs(t, m):
    """+-1 per column so that each column of ``m`` sums to a positive number (detached)."""
    s = m.sum(-2)
    return (s / s.abs()).detach()


def _qr_fixed(t, a, mode="reduced", fn=None):
    q, r = (fn or t.linalg.qr)(a, mode) if fn is None else fn(a)
    d = t.diagonal(r, dim1=-2, dim2=-1)
    k = d.shape[-1]
    s = (d / d.abs()).detach()
    if q.shape[-1] > k:  # complete: columns past min(m, n) have no R row; fix them by their sum
        s = t.cat([s, _signs(t, q)[..., k:]], -1)
    rs = s[..., : r.shape[-2]] if r.shape[-2] < s.shape[-1] else s
    return q * s.unsqueeze(-2), r * rs.unsqueeze(-1)


def test_qr():
    tall, wide = randn(2, 4, 3, dtype=F64), randn(3, 4, dtype=F64)
    echeck(
        lambda t, a, w: (
            *_qr_fixed(t, a),
            *_qr_fixed(t, w),
            *_qr_fixed(t, w, "complete"),
            *_qr_fixed(t, a, fn=t.qr),
        ),
        [tall, wide],
    )
    echeck(
        lambda t, a: (lambda q, r: q @ r)(*_qr_fixed(t, a, "complete")),
        [tall],
        grad=False,
    )
    q, _ = ptjax.linalg.qr(ptjax.ones(3, 2), mode="r")
    assert tuple(q.shape) == (0,)


def _svd_fixed(t, a):
    u, s, vh = t.linalg.svd(a, full_matrices=False)
    sg = _signs(t, u)
    return u * sg.unsqueeze(-2), s, vh * sg.unsqueeze(-1)


def test_svd():
    def fn(t, a, b):
        u, s, v = t.svd(b)
        sg = _signs(t, u)
        return (
            *_svd_fixed(t, a),
            t.linalg.svdvals(a),
            u * sg.unsqueeze(-2),
            s,
            v * sg.unsqueeze(-2),
        )

    echeck(fn, [randn(2, 4, 2, dtype=F64), randn(3, 3, dtype=F64)])

    def full(t, a):
        u, s, vh = t.linalg.svd(a)
        return (
            u.shape,
            vh.shape,
            (u[:, :2] * s) @ vh,
            t.svd(a, compute_uv=False),
            [x.shape for x in t.svd(a, some=False)],
        )

    echeck(full, [randn(4, 2, dtype=F64)], grad=False)


def test_eigh():
    a = sym(2, 3, 3)
    b = randn(3, 3, dtype=F64)  # not symmetric: only the UPLO triangle is read

    def fn(t, a, b):
        w, v = t.linalg.eigh(a)
        wu, vu = t.linalg.eigh(b, UPLO="U")
        return (
            w,
            v * _signs(t, v).unsqueeze(-2),
            t.linalg.eigvalsh(b),
            wu,
            vu * _signs(t, vu).unsqueeze(-2),
        )

    echeck(fn, [a, b])


def test_eig_eigvals():
    a = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 1.0, 5.0]])

    def fn(t, a):
        w, v = t.linalg.eig(a)
        # the eigenvalues are real here: sort them, and check A v = v diag(w)
        return (
            t.sort(w.real).values,
            (a.to(v.dtype) @ v - v * w).abs(),
            t.sort(t.linalg.eigvals(a).real).values,
        )

    echeck(fn, [a], grad=False, atol=1e-6, rtol=1e-6)


def test_float32_decompositions():
    # float32 once, eagerly: tolerances are torch's float32 defaults
    a, p, s = well_conditioned(3, 3, dtype=F32), spd(3, 3, dtype=F32), sym(3, 3, dtype=F32)

    def fn(t, a, p, s):
        w, v = t.linalg.eigh(s)
        return (
            t.linalg.inv(a),
            t.linalg.det(a),
            t.linalg.solve(a, p),
            t.linalg.cholesky(p),
            *_qr_fixed(t, a),
            *_svd_fixed(t, a),
            w,
            v * _signs(t, v).unsqueeze(-2),
        )

    # float32 LAPACK results differ in the last bits between backends, and the gradients sum
    # many such terms (condition numbers ~10): torch's float32 defaults are too tight here
    echeck(fn, [a, p, s], rtol=2e-5, atol=1e-4)


def test_pinv():
    a = np.diag([3.0, 1.0, 1e-3]) @ randn(3, 3, dtype=F64)
    echeck(
        lambda t, a, b, s: (
            t.linalg.pinv(a),
            t.pinverse(b),
            t.linalg.pinv(b.mT),
            t.linalg.pinv(a, rtol=1e-2),
            t.linalg.pinv(a, atol=0.5),
            t.linalg.pinv(s, hermitian=True),
        ),
        [a, randn(2, 4, 2, dtype=F64), sym(3, 3)],
    )


def test_matrix_rank():
    full = randn(3, 3, dtype=F64)
    low = randn(4, 2, dtype=F64) @ randn(2, 3, dtype=F64)
    echeck(
        lambda t, a, b: (
            t.linalg.matrix_rank(a),
            t.linalg.matrix_rank(b),
            t.linalg.matrix_rank(b, atol=1e3),
            t.linalg.matrix_rank(b @ b.mT, hermitian=True),
        ),
        [full, low],
        grad=False,
    )


def test_lstsq():
    a, b = randn(4, 2, dtype=F64), randn(4, 3, dtype=F64)
    echeck(lambda t, a, b: (*t.linalg.lstsq(a, b), *t.linalg.lstsq(a, b, driver="gelsd")), [a, b])
    # the solution's gradient does not depend on the driver
    echeck(
        lambda t, a, b: (
            *t.linalg.lstsq(a, b, driver="gels"),
            *t.linalg.lstsq(a, b, driver="gelss"),
        ),
        [a, b],
        grad=False,
    )
    echeck(
        lambda t, a, b, c, v: (
            t.linalg.lstsq(a, b).solution,
            *t.linalg.lstsq(c, v, driver="gelsd"),
        ),
        [
            randn(2, 4, 2, dtype=F64),
            randn(1, 4, 3, dtype=F64),
            randn(4, 2, dtype=F64),
            randn(4, dtype=F64),
        ],
    )


def test_matrix_exp_power():
    a = randn(2, 3, 3, dtype=F64) / 2
    a[1] *= 8  # large norm: exercises the squaring phase
    b = well_conditioned(3, 3)
    echeck(
        lambda t, a, b: (
            t.linalg.matrix_exp(a),
            t.matrix_exp(a),
            t.linalg.matrix_power(a, 0),
            t.linalg.matrix_power(a, 1),
            t.matrix_power(a, 3),
            t.linalg.matrix_power(b, -2),
        ),
        [a, b],
    )


def test_vander_tensorinv_tensorsolve():
    x = randn(2, 3, dtype=F64)
    x[0, 1] = 0.0
    a = well_conditioned(6, 6).reshape(6, 2, 3)
    echeck(
        lambda t, x, a, b: (
            t.linalg.vander(x),
            t.linalg.vander(x, N=5),
            t.linalg.tensorinv(a, ind=1),
            t.linalg.tensorsolve(a.reshape(2, 3, 2, 3), b),
        ),
        [x, a, randn(2, 3, dtype=F64)],
    )


def test_lu_family():
    a = randn(2, 3, 3, dtype=F64)
    b = randn(2, 3, 2, dtype=F64)

    def fn(t, a, b):
        LU, piv = t.linalg.lu_factor(a)
        return (
            *t.linalg.lu(a),
            LU,
            piv,
            t.linalg.lu_solve(LU, piv, b),
            t.linalg.lu_solve(LU, piv, b, adjoint=True),
            t.linalg.lu_solve(LU, piv, b.mT, left=False),
            *t.lu_unpack(LU, piv),
        )

    echeck(fn, [a, b])
    echeck(lambda t, w: tuple(t.linalg.lu(w)), [randn(4, 2, dtype=F64)], grad=False)


def test_householder_product():
    a = randn(4, 3, dtype=F64)
    geqrf, tau = torch.geqrf(torch.from_numpy(a))
    echeck(
        lambda t, g, tau: t.linalg.householder_product(g, tau),
        [geqrf.numpy(), tau.numpy()],
    )


def test_linalg_under_jit():
    # one op of each family inside jax.jit (values and gradients), same shapes as above
    a = well_conditioned(2, 3, 3)
    p = spd(2, 3, 3)

    def fn(t, a, p, b, x):
        w, v = t.linalg.eigh(p)
        LU, piv = t.linalg.lu_factor(a)
        return (
            t.linalg.inv(a),
            t.linalg.slogdet(a),
            t.linalg.solve(a, b),
            t.linalg.cholesky(p),
            *_qr_fixed(t, a),
            *_svd_fixed(t, a),
            w,
            v * _signs(t, v).unsqueeze(-2),
            t.linalg.lu_solve(LU, piv, b),
            t.linalg.vector_norm(x, 3, dim=1),
            t.linalg.matrix_norm(a, "nuc"),
            t.linalg.matrix_norm(a, math.inf),
        )

    check(fn, [a, p, randn(2, 3, 2, dtype=F64), randn(3, 4, dtype=F64)])


# -- norms -----------------------------------------------------------------------------------------

VECTOR_ORDS = [2, 1, math.inf, -math.inf, 0, 3, 0.5, -1, 1.5]


def test_vector_norm():
    x = randn(3, 4)
    x[0, 1] = 0.0
    z = np.array([[0.0, 0.0, 0.0], [2.0, -2.0, 1.0]])  # a zero row, and a tie for the inf-norm

    def fn(t, x, z):
        out = []
        for ord in VECTOR_ORDS:
            out.append(t.linalg.vector_norm(x, ord))
            if ord in (2, math.inf, 0.5):
                out.append(t.linalg.vector_norm(x, ord, dim=1, keepdim=True))
            if ord > 0:  # torch's subgradient at a zero vector is 0 (not NaN) for ord > 0
                out.append(t.linalg.vector_norm(z, ord, dim=-1))
        return out

    echeck(fn, [x, z])


def test_vector_norm_dtype_and_float64():
    echeck(
        lambda t, x, y, e: (
            t.linalg.vector_norm(x, dtype=t.float64),
            t.linalg.vector_norm(y, 3, dim=(0, 1)),
            t.linalg.vector_norm(e),
        ),
        [randn(5), randn(4, 2, dtype=F64), randn(0, 3)],
    )


MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]


def test_matrix_norm():
    def fn(t, a):
        out = []
        for ord in MATRIX_ORDS:
            out += [
                t.linalg.matrix_norm(a, ord),
                t.linalg.matrix_norm(a, ord, dim=(0, 2), keepdim=True),
            ]
        return out

    echeck(fn, [randn(2, 3, 4, dtype=F64)])


def test_linalg_norm_dispatch_and_cond():
    a = well_conditioned(2, 3, 3)
    echeck(
        lambda t, v, a: (
            t.linalg.norm(v),
            t.linalg.norm(a),
            t.linalg.norm(v, 1),
            t.linalg.norm(a[0], "nuc"),
            t.linalg.norm(a, 2, dim=(1, 2)),
            t.linalg.norm(a, math.inf, dim=1),
            t.linalg.norm(a[0], -math.inf),
            t.linalg.norm(a, dim=(0, 1), keepdim=True),
            t.linalg.cond(a),
            t.linalg.cond(a, -2),
        ),
        [randn(4, dtype=F64), a],
    )
    # torch's cond is not differentiable for the other norms (it writes inv_ex's output in place)
    echeck(lambda t, a: (t.linalg.cond(a, "fro"), t.linalg.cond(a, 1)), [a], grad=False)


# -- errors and return types -------------------------------------------------------------------------

SING = [[1.0, 2.0], [2.0, 4.0]]
NOT_PD = [[1.0, 2.0], [2.0, 1.0]]

LINALG_ERRORS = [
    (
        lambda t: t.linalg.inv(t.tensor(SING)),
        "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed "
        "because the input matrix is singular.",
    ),
    (
        lambda t: t.linalg.inv(t.zeros(3, 3)),
        "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed",
    ),
    (
        lambda t: t.linalg.inv(t.stack([t.eye(2), t.tensor(SING)])),
        "linalg.inv: (Batch element 1): The diagonal element 2 is zero",
    ),
    (
        lambda t: t.linalg.cholesky(t.tensor(NOT_PD)),
        "linalg.cholesky: The factorization could not be completed because the input is not "
        "positive-definite (the leading minor of order 2 is not positive-definite).",
    ),
    (
        lambda t: t.linalg.cholesky(t.stack([t.eye(2), t.tensor(NOT_PD)])),
        "linalg.cholesky: (Batch element 1): The factorization could not be completed",
    ),
    (
        lambda t: t.linalg.solve(t.tensor(SING), t.ones(2)),
        "torch.linalg.solve: The solver failed because the input matrix is singular.",
    ),
    (
        lambda t: t.linalg.cholesky_ex(t.tensor(NOT_PD), check_errors=True),
        "linalg.cholesky_ex: The factorization could not be completed",
    ),
    (
        lambda t: t.linalg.matrix_power(t.tensor(SING), -1),
        "linalg.inv: The diagonal element 2 is zero",
    ),
    (
        lambda t: t.linalg.lu_factor(t.tensor(SING)),
        "torch.linalg.lu_factor: U[2,2] is zero and using it on lu_solve would result in a "
        "division by zero.",
    ),
]


@pytest.mark.parametrize("k", range(len(LINALG_ERRORS)))
def test_linalg_singular_errors(k):
    fn, msg = LINALG_ERRORS[k]
    raises(torch.linalg.LinAlgError if k != 8 else RuntimeError, msg, fn, torch)
    raises(ptjax.linalg.LinAlgError if k != 8 else RuntimeError, msg, fn, ptjax)


LINALG_ARG_ERRORS = [
    (
        lambda t: t.linalg.inv(t.ones(2, 3)),
        "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices",
    ),
    (
        lambda t: t.linalg.inv(t.ones(3)),
        "linalg.inv: The input tensor A must have at least 2 dimensions.",
    ),
    (
        lambda t: t.linalg.inv(t.ones(2, 2, dtype=t.int64)),
        "linalg.inv: Expected a floating point or complex tensor as input. Got Long",
    ),
    (lambda t: t.linalg.det(t.ones(2, 3)), "linalg.det: A must be batches of square matrices"),
    (
        lambda t: t.linalg.solve(t.ones(2, 2), t.ones(3)),
        "linalg.solve: Incompatible shapes of A and B for the equation AX = B (2x2 and 3x1)",
    ),
    (
        lambda t: t.linalg.solve(t.ones(2, 2), t.ones(2, dtype=t.float64)),
        "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B "
        "of type Double instead",
    ),
    (
        lambda t: t.linalg.qr(t.ones(2, 2), mode="foo"),
        "qr received unrecognized mode 'foo' but expected one of 'reduced' (default), 'r', or "
        "'complete'",
    ),
    (
        lambda t: t.linalg.svd(t.ones(3)),
        "linalg.svd: The input tensor A must have at least 2 dimensions.",
    ),
    (
        lambda t: t.linalg.matrix_norm(t.ones(3)),
        "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.",
    ),
    (lambda t: t.linalg.matrix_norm(t.ones(3, 3), 3), "linalg.matrix_norm: Order 3 not supported."),
    (
        lambda t: t.linalg.matrix_norm(t.ones(3, 3), "foo"),
        "linalg.matrix_norm: Order foo not supported.",
    ),
    (
        lambda t: t.linalg.matrix_norm(t.ones(3, 3), dim=(0, 0)),
        "linalg.matrix_norm: dims must be different. Got (0, 0)",
    ),
    (
        lambda t: t.linalg.norm(t.ones(3, 3, 3), "fro"),
        "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D.",
    ),
    (
        lambda t: t.linalg.norm(t.ones(3, 3), dim=(0, 1, 2)),
        "linalg.norm: If dim is specified, it must be of length 1 or 2. Got [0, 1, 2]",
    ),
    (
        lambda t: t.linalg.vector_norm(t.ones(3, dtype=t.int64)),
        "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
    ),
    (
        lambda t: t.linalg.vector_norm(t.ones(0, 3), math.inf),
        "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
        "does not have an identity",
    ),
    (
        lambda t: t.linalg.vector_norm(t.ones(3, dtype=t.float64), dtype=t.float32),
        "linalg.vector_norm: the dtype of the input (Double) should be convertible without "
        "narrowing to the specified dtype (Float)",
    ),
    (
        lambda t: t.linalg.lstsq(t.ones(3, 2), t.ones(4, 1)),
        "torch.linalg.lstsq: input.size(-2) should match other.size(-2)",
    ),
    (
        lambda t: t.linalg.lstsq(t.ones(3, 2), t.ones(3, 1), driver="foo"),
        "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)",
    ),
    (
        lambda t: t.linalg.matrix_exp(t.ones(3, 2)),
        "linalg.matrix_exp: A must be batches of square matrices, but they are 3 by 2 matrices",
    ),
    (
        lambda t: t.linalg.multi_dot([t.ones(3, 3, 3), t.ones(3, 3)]),
        "multi_dot(): the first tensor must be 1D or 2D but got 3D",
    ),
]


@pytest.mark.parametrize("k", range(len(LINALG_ARG_ERRORS)))
def test_linalg_argument_errors(k):
    fn, msg = LINALG_ARG_ERRORS[k]
    raises(RuntimeError, msg, fn, torch)
    raises(RuntimeError, msg, fn, ptjax)


def test_linalg_errors_inside_jit_give_nan_not_exceptions():
    import jax

    def f(a):
        return ptjax.linalg.cholesky(ptjax.Tensor._make(a))._value

    out = jax.jit(f)(jax.numpy.asarray(NOT_PD))
    assert np.isnan(np.asarray(out)).any()

    def g(a):
        return ptjax.linalg.cholesky_ex(ptjax.Tensor._make(a)).info._value

    assert int(jax.jit(g)(jax.numpy.asarray(NOT_PD))) == 2


def test_return_types():
    a = ptjax.tensor(spd(3, 3).astype(F32))
    ta = torch.from_numpy(np.array(a._value))
    for name, args in [
        ("slogdet", ()),
        ("qr", ()),
        ("svd", ()),
        ("eigh", ()),
        ("inv_ex", ()),
        ("cholesky_ex", ()),
        ("lu_factor", ()),
        ("lu", ()),
    ]:
        p = getattr(ptjax.linalg, name)(a, *args)
        t = getattr(torch.linalg, name)(ta, *args)
        assert type(p).__name__ == type(t).__name__ == f"linalg_{name}"
        assert len(p) == len(t)
        for field in type(p)._fields:
            assert getattr(t, field) is not None
        assert repr(p).startswith(f"torch.return_types.linalg_{name}(\n")
    assert ptjax.slogdet(a)._fields == ("sign", "logabsdet")
    assert ptjax.svd(a)._fields == ("U", "S", "V")
    assert ptjax.linalg.lstsq(a, a)._fields == ("solution", "residuals", "rank", "singular_values")
    assert issubclass(ptjax.linalg.LinAlgError, RuntimeError)


def test_linalg_namespace_complete():
    public = {n for n in dir(torch.linalg) if not n.startswith("_") and n != "common_notes"}
    missing = public - set(dir(ptjax.linalg))
    assert not missing, missing
