"""linear and bilinear of torch.nn.functional (weights in torch's (out, in) layout)."""

from __future__ import annotations

import math

import jax.numpy as jnp

from ptjax._dispatch import apply
from ptjax._ops.blas import matmul_precision
from ptjax._tensor import Tensor
from ptjax.amp.autocast_mode import LOWER, autocast_op

__all__ = ["linear", "bilinear"]

_C_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
}


def _precision(t: Tensor) -> str:
    # float32 follows set_float32_matmul_precision; everything else runs at full precision
    return matmul_precision() if t._value.dtype == jnp.float32 else "highest"


def _linear(x, w, b, *, precision):
    return jnp.matmul(x, w.T, precision=precision) + b


def _linear_nobias(x, w, *, precision):
    return jnp.matmul(x, w.T, precision=precision)


_linear.backward_name = "AddmmBackward0"
_linear_nobias.backward_name = "MmBackward0"


@autocast_op(LOWER)
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input (*, in_features), weight (out_features, in_features)
    or (in_features,), bias (out_features,) -> (*, out_features)."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
            f"{weight.dim()}D"
        )
    k = weight.shape[-1]
    if input.shape[-1] != k:
        rows = math.prod(input.shape[:-1])
        w = tuple(weight.shape) if weight.dim() == 2 else (1, k)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{w[1]}x{w[0]})"
        )
    if input.dtype is not weight.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_C_NAMES.get(input.dtype.name, input.dtype.name)} != "
            f"{_C_NAMES.get(weight.dtype.name, weight.dtype.name)}"
        )
    if bias is None:
        return apply(_linear_nobias, input, weight, precision=_precision(input))
    return apply(_linear, input, weight, bias, precision=_precision(input))


def _bilinear(x1, x2, w, b, *, precision):
    y = jnp.einsum("...i,oij,...j->...o", x1, w, x2, precision=precision)
    return y if b is None else y + b


@autocast_op(LOWER)
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = x1^T W_o x2 + b_o``: input1 (*, in1), input2 (*, in2), weight (out, in1, in2),
    bias (out,) -> (*, out)."""
    if input1.dim() != input2.dim():
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}"
        )
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got "
                f"{input1.shape[i]} and {input2.shape[i]}"
            )
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
            f"expected {weight.shape[1]}"
        )
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
            f"expected {weight.shape[2]}"
        )
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
            f"expected {weight.shape[0]}"
        )
    return apply(_bilinear, input1, input2, weight, bias, precision=_precision(input1))
