"""Matrix products: matmul (and ``@``), mm, bmm, mv, dot, vdot, inner, outer, the ``add*``
fused forms, einsum, tensordot, kron, chain_matmul, cross and trace."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops._registry import alias, tensor_op
from ptjax._ops.pointwise import promote
from ptjax._tensor import Tensor, _type_title, _wrap_dim
from ptjax.amp.autocast_mode import CPU, FP32, LOWER, autocast_op

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "inner",
    "outer",
    "addmm",
    "addmv",
    "addbmm",
    "baddbmm",
    "addr",
    "einsum",
    "tensordot",
    "kron",
    "chain_matmul",
    "cross",
    "trace",
]

# torch computes float32 matmuls in full precision unless set_float32_matmul_precision says
# otherwise; XLA on GPU would default to TF32. The precision is part of each op's cache key.
_precision = ["highest"]


def matmul_precision() -> str:
    return _precision[0]


def set_float32_matmul_precision(precision: str) -> None:
    """'highest' (default, full fp32), 'high' (TF32 on GPU) or 'medium' (bf16 passes)."""
    table = {"highest": "highest", "high": "high", "medium": "default"}
    if precision not in table:
        raise RuntimeError(f"Invalid precision {precision!r}")
    _precision[0] = table[precision]


def get_float32_matmul_precision() -> str:
    return {"highest": "highest", "high": "high", "default": "medium"}[_precision[0]]


def precision_for(dt) -> str:
    """The XLA precision a product in numpy dtype ``dt`` runs at."""
    return _precision[0] if dt == jnp.float32 else "highest"


# -- messages ------------------------------------------------------------------------------------

# the C++ type names torch prints in "expected m1 and m2 to have the same dtype" errors
_CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _cpp(d: D.dtype) -> str:
    return _CPP_NAMES.get(d.name, d.name)


def _dims(shape) -> str:
    return "x".join(str(s) for s in shape)


def _check_m1_m2(a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_cpp(a.dtype)} != {_cpp(b.dtype)}"
        )


def _no_bool(d: D.dtype, kernel: str) -> None:
    if d is D.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_scalars(d: D.dtype, beta, alpha) -> None:
    if d.kind <= 1:
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(
                    f"For integral input tensors, argument {name} must not be a floating point "
                    "number."
                )


def _expand_to(input: Tensor, shape: tuple) -> None:
    """torch's error when ``input`` does not broadcast to the product's ``shape``."""
    s = tuple(input.shape)
    if len(s) > len(shape):
        raise RuntimeError(
            f"The expanded size of the tensor ({shape[0] if shape else 1}) must match the existing "
            f"size ({s[0]}) at non-singleton dimension 0.  Target sizes: {list(shape)}.  Tensor "
            f"sizes: {list(s)}"
        )
    pad = (1,) * (len(shape) - len(s)) + s
    for i, (have, want) in enumerate(zip(pad, shape)):
        if have != 1 and have != want:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                f"at non-singleton dimension {i - (len(shape) - len(s))}.  Target sizes: "
                f"{list(shape)}.  Tensor sizes: {list(s)}"
            )


# -- implementations -------------------------------------------------------------------------------


def _mm(a, b, *, precision):
    return jnp.matmul(a, b, precision=precision)


def _mv(a, b, *, precision):
    return jnp.matmul(a, b, precision=precision)


def _dot(a, b, *, precision):
    return jnp.dot(a, b, precision=precision)


def _bmm(a, b, *, precision):
    return jnp.matmul(a, b, precision=precision)


def _matmul(a, b, *, precision):
    return jnp.matmul(a, b, precision=precision)


def _vdot(a, b, *, precision):
    return jnp.vdot(a, b, precision=precision)


# each factor is kept for the other's gradient only (torch: ``x @ w`` with a frozen ``w`` keeps w)
_mm.saves = _mv.saves = _dot.saves = _bmm.saves = _matmul.saves = {0: (1,), 1: (0,)}
_matmul.backward_name = "UnsafeViewBackward0"


def _scaled_sum(x, prod, *, beta, alpha):
    """``beta * x + alpha * prod``, ignoring ``x`` (even NaN) when ``beta == 0`` as torch does."""
    if alpha != 1:
        prod = prod * jnp.asarray(alpha, prod.dtype)
    if beta == 0:
        return jnp.broadcast_to(prod, jnp.broadcast_shapes(prod.shape, jnp.shape(x)))
    x = x.astype(prod.dtype)
    if beta != 1:
        x = x * jnp.asarray(beta, prod.dtype)
    return x + prod


def _addmm(x, a, b, *, beta, alpha, precision):
    return _scaled_sum(x, jnp.matmul(a, b, precision=precision), beta=beta, alpha=alpha)


def _addmv(x, a, v, *, beta, alpha, precision):
    return _scaled_sum(x, jnp.matmul(a, v, precision=precision), beta=beta, alpha=alpha)


def _baddbmm(x, a, b, *, beta, alpha, precision):
    return _scaled_sum(x, jnp.matmul(a, b, precision=precision), beta=beta, alpha=alpha)


def _addbmm(x, a, b, *, beta, alpha, precision):
    prod = jnp.einsum("bij,bjk->ik", a, b, precision=precision)
    return _scaled_sum(x, prod, beta=beta, alpha=alpha)


def _addr(x, u, v, *, beta, alpha, dtype):
    u, v = u.astype(dtype), v.astype(dtype)
    return _scaled_sum(x, u[:, None] * v[None, :], beta=beta, alpha=alpha)


def _outer(u, v, *, dtype):
    return u.astype(dtype)[:, None] * v.astype(dtype)[None, :]


_outer.backward_name = "MulBackward0"


def _tensordot(a, b, *, axes, precision):
    return jnp.tensordot(a, b, axes=axes, precision=precision)


_tensordot.backward_name = "ViewBackward0"


def _einsum(*operands, equation, precision):
    return jnp.einsum(equation, *operands, precision=precision)


_einsum.backward_name = "ViewBackward0"


def _kron(a, b, *, dtype):
    return jnp.kron(a.astype(dtype), b.astype(dtype))


_kron.backward_name = "UnsafeViewBackward0"


def _cross(a, b, *, dim):
    a, b = jnp.broadcast_arrays(a, b)
    return jnp.cross(a, b, axis=dim)


_cross.backward_name = "LinalgCrossBackward0"


def _copy(x):
    return x


_copy.backward_name = "CloneBackward0"


def _trace(x, *, dtype):
    return jnp.trace(x).astype(dtype)


# -- public ops ---------------------------------------------------------------------------------


def _check_matmul(a: Tensor, b: Tensor) -> None:
    """torch's shape and dtype errors for ``matmul``, which depend on the operands' ranks."""
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        _check_dot(a, b)
        return
    if da == 2 and db == 1:
        _check_mv(a, b)
        return
    sa, sb = tuple(a.shape), tuple(b.shape)
    k_a = sa[-1]
    k_b = sb[0] if db == 1 else sb[-2]
    if db <= 2 and k_a != k_b:
        rows = int(np.prod(sa[:-1]))  # torch folds the batch into the rows of mat1
        cols = "x".join(str(s) for s in sb) if db == 2 else f"{sb[0]}x1"
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k_a} and {cols})"
            if db == 2
            else f"size mismatch, got input ({rows}), mat ({rows}x{k_a}), vec ({sb[0]})"
        )
    if db > 2:
        batch_a, batch_b = sa[:-2] if da > 1 else (), sb[:-2]
        try:
            batch = np.broadcast_shapes(batch_a, batch_b)
        except ValueError:
            _raise_broadcast(batch_a, batch_b)
        if k_a != k_b:
            n = int(np.prod(batch))
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k_a}] "
                f"but got: [{n}, {k_b}]."
            )
    _check_m1_m2(a, b)
    _no_bool(a.dtype, "addmm_impl_cpu_")


def _raise_broadcast(sa: tuple, sb: tuple):
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}"
            )


@tensor_op
@autocast_op(LOWER)
def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with torch's rules: 1-D operands are vectors, leading dims broadcast.

    ``(n,) @ (n,) -> ()``, ``(m, n) @ (n,) -> (m,)``, ``(*, m, n) @ (*, n, p) -> (*, m, p)``.
    """
    _check_matmul(input, other)
    da, db = input.dim(), other.dim()
    prec = precision_for(input._value.dtype)
    if da == 2 and db == 2:
        return apply(_mm, input, other, precision=prec)
    if da == 1 and db == 1:
        return apply(_dot, input, other, precision=prec)
    if da == 2 and db == 1:
        return apply(_mv, input, other, precision=prec)
    return apply(_matmul, input, other, precision=prec)


Tensor.__matmul__ = matmul


def _rmatmul(self: Tensor, other):
    if not isinstance(other, Tensor):
        return NotImplemented  # torch: `ndarray @ tensor` is a TypeError
    return matmul(other, self)


Tensor.__rmatmul__ = _rmatmul


@tensor_op
@autocast_op(LOWER)
def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Matrix product of ``(n, m)`` and ``(m, p)`` matrices: ``(n, p)``. No broadcasting."""
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(input.shape)} and "
            f"{_dims(mat2.shape)})"
        )
    _check_m1_m2(input, mat2)
    _no_bool(input.dtype, "addmm_impl_cpu_")
    return apply(_mm, input, mat2, precision=precision_for(input._value.dtype))


def _check_bmm(b1: Tensor, b2: Tensor) -> None:
    if b1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    bs, _, k = b1.shape
    if b2.shape[0] != bs or b2.shape[1] != k:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{bs}, {k}] but got: "
            f"[{b2.shape[0]}, {b2.shape[1]}]."
        )


@tensor_op
@autocast_op(LOWER)
def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)``: ``(b, n, p)``."""
    _check_bmm(input, mat2)
    if input.dtype is not mat2.dtype:
        raise RuntimeError(
            f"expected scalar type {_type_title(input.dtype)} but found {_type_title(mat2.dtype)}"
        )
    _no_bool(input.dtype, "bmm")
    return apply(_bmm, input, mat2, precision=precision_for(input._value.dtype))


def _check_mv(mat: Tensor, vec: Tensor) -> None:
    if mat.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat.dim()}, {vec.dim()}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({mat.shape[0]}), mat ({_dims(mat.shape)}), "
            f"vec ({vec.shape[0]})"
        )
    if mat.dtype is not vec.dtype:
        v, m = _type_title(vec.dtype), _type_title(mat.dtype)
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {v}, {m}, and {v}"
        )
    _no_bool(mat.dtype, "addmv_impl_cpu")


@tensor_op
@autocast_op(LOWER)
def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    """Matrix-vector product of ``(n, m)`` and ``(m,)``: ``(n,)``."""
    _check_mv(input, vec)
    return apply(_mv, input, vec, precision=precision_for(input._value.dtype))


def _check_dot(a: Tensor, b: Tensor, name: str = "dot") -> None:
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
            f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
            "respectively"
        )
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"{name} : expected both vectors to have same dtype, but found "
            f"{_type_title(a.dtype)} and {_type_title(b.dtype)}"
        )
    _no_bool(a.dtype, name)


@tensor_op
def dot(input: Tensor, tensor: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors of the same size: a 0-dim tensor."""
    _check_dot(input, tensor)
    return apply(_dot, input, tensor, precision=precision_for(input._value.dtype))


@tensor_op
def vdot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """``sum(conj(input) * other)`` of two 1-D tensors: a 0-dim tensor."""
    _check_dot(input, other)
    return apply(_vdot, input, other, precision=precision_for(input._value.dtype))


@tensor_op
def inner(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Sum-product over the last dimension: ``(*a, n)`` and ``(*b, n)`` give ``(*a, *b)``.

    A 0-dim operand multiplies elementwise.
    """
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    if input.dtype is not other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    return apply(
        _tensordot,
        input,
        other,
        axes=((input.dim() - 1,), (other.dim() - 1,)),
        precision=precision_for(input._value.dtype),
    )


@tensor_op(aliases=("ger",))
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of ``(n,)`` and ``(m,)``: ``(n, m)`` (dtypes promote)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return apply(_outer, input, vec2, dtype=promote(input, vec2).np)


def _product_dtype(input: Tensor, a: Tensor) -> None:
    if input.dtype is not a.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {_type_title(input.dtype)} and "
            f"{_type_title(a.dtype)}"
        )


@tensor_op(inplace=True)
@autocast_op(LOWER)
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to ``(n, p)``.

    With ``beta=0`` the values of ``input`` (even NaN) are ignored.
    """
    if mat1.dim() != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.dim()}-D tensor")
    if mat2.dim() != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.dim()}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(mat1.shape)} and "
            f"{_dims(mat2.shape)})"
        )
    _check_m1_m2(mat1, mat2)
    _product_dtype(input, mat2)
    _no_bool(input.dtype, "addmm_impl_cpu_")
    _expand_to(input, (mat1.shape[0], mat2.shape[1]))
    prec = precision_for(mat1._value.dtype)
    return apply(_addmm, input, mat1, mat2, beta=beta, alpha=alpha, precision=prec)


@tensor_op(inplace=True)
@autocast_op(LOWER)
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts to ``(n,)``."""
    if mat.dim() != 2 or vec.dim() != 1 or input.dim() > 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, {vec.dim()}"
        )
    if mat.shape[1] != vec.shape[0] or (
        input.dim() == 1 and input.shape[0] not in (1, mat.shape[0])
    ):
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0] if input.dim() else 1}), mat "
            f"({_dims(mat.shape)}), vec ({vec.shape[0]})"
        )
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_type_title(input.dtype)}, {_type_title(mat.dtype)}, and {_type_title(vec.dtype)}"
        )
    _no_bool(input.dtype, "addmv_impl_cpu")
    prec = precision_for(mat._value.dtype)
    return apply(_addmv, input, mat, vec, beta=beta, alpha=alpha, precision=prec)


alias(addmv, "addmv_", method=False)


@tensor_op(inplace=True)
@autocast_op(LOWER)
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts to ``(b, n, p)``."""
    _check_bmm(batch1, batch2)
    _check_m1_m2(batch1, batch2)
    _product_dtype(input, batch2)
    _no_bool(input.dtype, "baddbmm")
    _expand_to(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    prec = precision_for(batch1._value.dtype)
    return apply(_baddbmm, input, batch1, batch2, beta=beta, alpha=alpha, precision=prec)


@tensor_op(inplace=True)
@autocast_op(LOWER)
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``; ``input`` broadcasts to ``(n, p)``."""
    if batch1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(
            f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
            f"{batch2.shape[0]}"
        )
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
            f"{batch2.shape[1]}x{batch2.shape[2]})"
        )
    _check_m1_m2(batch1, batch2)
    _product_dtype(input, batch2)
    _no_bool(input.dtype, "addbmm")
    _expand_to(input, (batch1.shape[1], batch2.shape[2]))
    prec = precision_for(batch1._value.dtype)
    return apply(_addbmm, input, batch1, batch2, beta=beta, alpha=alpha, precision=prec)


@tensor_op(inplace=True)
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``; ``input`` broadcasts to ``(n, m)``."""
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.dim()}-D")
    dt = promote(input, vec1, vec2)
    _check_scalars(dt, beta, alpha)
    _expand_to(input, (vec1.shape[0], vec2.shape[0]))
    return apply(_addr, input, vec1, vec2, beta=beta, alpha=alpha, dtype=dt.np)


# -- einsum / tensordot ---------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sublist_equation(args) -> tuple[str, list]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` -> ``("ab,bc->ac", [op1, op2])``."""

    def sub(lst) -> str:
        out = []
        for s in lst:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append(_LETTERS[s])
            else:
                raise ValueError(
                    f"einsum(): expected subscript to be within the range [0, 52), but got {s}"
                )
        return "".join(out)

    ops, subs = [], []
    rest = list(args)
    while len(rest) >= 2:
        ops.append(rest.pop(0))
        subs.append(sub(rest.pop(0)))
    eq = ",".join(subs)
    if rest:
        eq += "->" + sub(rest[0])
    return eq, ops


def _check_einsum(equation: str, operands) -> None:
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    sizes: dict = {}
    for k, (term, op) in enumerate(zip(terms, operands)):
        ell = "..." in term
        letters = term.replace("...", "")
        for c in letters:
            if not c.isalpha():
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {equation.index(c)} in the "
                    f"equation string, subscripts must be in [a-zA-Z]"
                )
        nd = op.dim()
        if not ell and len(letters) != nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not "
                f"match the number of dimensions ({nd}) for operand {k} and no ellipsis was given"
            )
        if ell and len(letters) > nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) is more "
                f"than the number of dimensions ({nd}) for operand {k}"
            )
        pre = term.split("...")[0] if ell else letters
        dims = list(range(len(pre))) + list(range(nd - (len(letters) - len(pre)), nd))
        for c, d in zip(letters, dims):
            n = op.shape[d]
            seen = sizes.get(c)
            if seen is not None and n != seen and n != 1 and seen != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                    f"broadcast with previously seen size {seen}"
                )
            if seen is None or seen == 1:
                sizes[c] = n
    if arrow:
        for c in rhs.replace("...", ""):
            if c not in sizes:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
    dts = {op.dtype for op in operands}
    if len(dts) > 1:
        first = operands[0].dtype
        other = next(op.dtype for op in operands if op.dtype is not first)
        raise RuntimeError(
            f"expected scalar type {_type_title(first)} but found {_type_title(other)}"
        )


def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum('ij,jk->ik', a, b)``, operands as varargs or one list,
    or the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], list | tuple):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    equation = equation.replace(" ", "")
    _check_einsum(equation, operands)
    prec = precision_for(operands[0]._value.dtype)
    return apply(_einsum, *operands, equation=equation, precision=prec)


def _tensordot_axes(a: Tensor, b: Tensor, dims) -> tuple:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da = tuple(range(a.dim() - dims, a.dim()))
        db = tuple(range(dims))
        given = (tuple(d - a.dim() for d in da), db)
    else:
        da, db = dims
        da = (da,) if isinstance(da, int) else tuple(da)
        db = (db,) if isinstance(db, int) else tuple(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        given = (da, db)
        da = tuple(_wrap_dim(d, a.dim()) for d in da)
        db = tuple(_wrap_dim(d, b.dim()) for d in db)
    for x, y, gx, gy in zip(da, db, *given):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[x]} in dim "
                f"{gx} and second has size {b.shape[y]} in dim {gy}"
            )
    return (da, db)


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract ``dims`` (an int: the last/first ``dims`` dimensions; or two lists of dims)."""
    axes = _tensordot_axes(a, b, dims)
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    return apply(_tensordot, a, b, axes=axes, precision=precision_for(a._value.dtype))


@tensor_op
def kron(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Kronecker product; the operand of lower rank is padded with leading ones."""
    return apply(_kron, input, other, dtype=promote(input, other).np)


def chain_matmul(*matrices, out=None) -> Tensor:
    """Deprecated: the product of 2-D matrices (``torch.linalg.multi_dot``)."""
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
        "multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if len(matrices) == 1 and isinstance(matrices[0], list | tuple):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return apply(_copy, matrices[0])
    from ptjax._ops.linalg_ops import linalg_multi_dot

    return linalg_multi_dot(matrices)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (inputs broadcast): ``torch.linalg.cross``."""
    if input.dim() != other.dim():
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions. Got {input.dim()} "
            f"and {other.dim()}"
        )
    d = _wrap_dim(dim, input.dim())
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
            f"{other.shape[d]}"
        )
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        _raise_broadcast(tuple(input.shape), tuple(other.shape))
    if input.dtype is not other.dtype:
        raise RuntimeError(
            f"expected scalar type {_type_title(input.dtype)} but found {_type_title(other.dtype)}"
        )
    _no_bool(input.dtype, "linalg_cross")
    return apply(_cross, input, other, dim=d)


@tensor_op
def cross(input: Tensor, other: Tensor, dim: int | None = None, *, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim``; if None, the first dimension of size 3."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass "
            "the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will "
            "change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        sizes = list(input.shape)
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return linalg_cross(input, other, dim=dim)


@tensor_op
@autocast_op(FP32, CPU)
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor (integer inputs sum as int64)."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    d = input.dtype
    _no_bool(d, "trace")
    out = D.int64 if d.kind == 1 else d
    return apply(_trace, input, dtype=out.np)
