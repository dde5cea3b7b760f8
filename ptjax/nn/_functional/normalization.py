"""Normalisation functions of torch.nn.functional: layer_norm, group_norm, batch_norm,
instance_norm, rms_norm, local_response_norm.

Statistics follow torch's kernels: the mean first, then the biased variance of the centred
values (two passes), and ``x_hat = (x - mean) * rsqrt(var + eps)``. Half-precision inputs are
normalised in float32 and cast back, as torch's CPU kernels accumulate in float32.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from ptjax._dispatch import apply
from ptjax._ops.pointwise import _kernel_error
from ptjax._tensor import Tensor

__all__ = ["layer_norm"]


def _opmath(x):
    """The dtype torch's CPU kernels accumulate in for ``x``."""
    return jnp.float32 if x.dtype in (jnp.float16, jnp.bfloat16) else x.dtype


def _moments(x, axes):
    """Mean and biased variance over ``axes`` (kept), the two-pass way torch computes them."""
    mean = jnp.mean(x, axis=axes, keepdims=True)
    d = x - mean
    return mean, jnp.mean(d * d, axis=axes, keepdims=True)


def _normalize(x, axes, eps):
    """``(x - mean) * rsqrt(var + eps)`` over ``axes``, in the accumulation dtype."""
    xf = x.astype(_opmath(x))
    mean, var = _moments(xf, axes)
    return (xf - mean) * lax.rsqrt(var + eps)


def _shape_list(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_mixed(input: Tensor, *params) -> None:
    """torch's CPU rule for normalisation parameters of a different dtype than the input."""
    for p in params:
        if p is not None and p.dtype is not input.dtype:
            if input.dtype.itemsize < 4 and p.dtype.name == "float32":
                continue  # half input with float32 parameters: torch's supported mixed case
            if input.dtype.name == "float32" or input.dtype.itemsize < 4:
                raise RuntimeError(
                    "mixed dtype (CPU): expect parameter to have scalar type of Float"
                )
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _check_float(input: Tensor, kernel: str) -> None:
    if not input.dtype.is_floating_point:
        raise _kernel_error(kernel, input.dtype)


# -- layer_norm ---------------------------------------------------------------------------------


def _layer_norm(x, w, b, *, axes, eps):
    y = _normalize(x, axes, eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y.astype(x.dtype)


_layer_norm.backward_name = "NativeLayerNormBackward0"


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions: input (*, *normalized_shape)
    -> same shape; weight and bias (normalized_shape) scale and shift elementwise."""
    if not isinstance(normalized_shape, tuple | list) and not hasattr(normalized_shape, "numel"):
        raise TypeError(
            "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(normalized_shape).__name__}"
        )
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {_shape_list(p.shape)} and normalized_shape = {_shape_list(shape)}"
            )
    n = len(shape)
    if input.dim() < n or tuple(input.shape[-n:]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={_shape_list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{_shape_list(input.shape)}"
        )
    _check_float(input, "LayerNormKernelImpl")
    _check_mixed(input, weight, bias)
    axes = tuple(range(input.dim() - n, input.dim()))
    return apply(_layer_norm, input, weight, bias, axes=axes, eps=float(eps))
