"""Matrix products: matmul (and ``@``), mm, bmm, mv, dot, outer, einsum."""

from __future__ import annotations

import jax.numpy as jnp

from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._tensor import Tensor

__all__ = ["matmul"]

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


def _matmul(a, b, *, dtype, precision):
    return jnp.matmul(a.astype(dtype), b.astype(dtype), precision=precision)


_matmul.backward_name = "MmBackward0"
_matmul.saves = (0, 1)


def _check_matmul(a: Tensor, b: Tensor) -> None:
    if a.dim() == 0 or b.dim() == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.dim()}D and "
            f"{b.dim()}D"
        )
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.dim() >= 2 else b.shape[0]
    if k_a != k_b:
        if a.dim() == 2 and b.dim() == 2:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                f"{b.shape[0]}x{b.shape[1]})"
            )
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{k_a}] but got: "
            f"[{k_b}]."
            if a.dim() > 2
            else f"size mismatch, got input ({a.shape[-1]}), mat ({'x'.join(map(str, a.shape))}), "
            f"vec ({k_b})"
        )
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != {b.dtype.name}"
        )


@tensor_op
def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with torch's broadcasting rules for 1-D and batched operands."""
    _check_matmul(input, other)
    dt = input._value.dtype
    prec = _precision[0] if dt == jnp.float32 else "highest"
    return apply(_matmul, input, other, dtype=dt, precision=prec)


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
