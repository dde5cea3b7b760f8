"""Normalisation functions of torch.nn.functional: layer_norm, group_norm, batch_norm,
instance_norm, rms_norm, local_response_norm.

Statistics follow torch's kernels: the mean first, then the biased variance of the centred
values (two passes), and ``x_hat = (x - mean) * rsqrt(var + eps)``. Half-precision inputs are
normalised in float32 and cast back, as torch's CPU kernels accumulate in float32.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ptjax._dispatch import apply
from ptjax._ops.pointwise import _kernel_error
from ptjax._tensor import Tensor
from ptjax.amp.autocast_mode import CUDA, FP32, autocast_op
from ptjax.nn.modules.module import _copy_into

__all__ = [
    "batch_norm",
    "instance_norm",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "local_response_norm",
]


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


def _trailing_shape(op: str, input: Tensor, normalized_shape, params: tuple, star: str) -> tuple:
    """Validate ``normalized_shape`` against the input's trailing dimensions and the affine
    parameters as torch does; ``star`` is what follows ``*`` in torch's message."""
    if not isinstance(normalized_shape, tuple | list) and not hasattr(normalized_shape, "numel"):
        raise TypeError(
            f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(normalized_shape).__name__}"
        )
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    for name, p in params:
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {_shape_list(p.shape)} and normalized_shape = {_shape_list(shape)}"
            )
    n = len(shape)
    if input.dim() < n or tuple(input.shape[-n:]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={_shape_list(shape)}, expected input with shape "
            f"[*{star}{', '.join(str(s) for s in shape)}], but got input of size"
            f"{_shape_list(input.shape)}"
        )
    return tuple(range(input.dim() - n, input.dim()))


@autocast_op(FP32, CUDA)
def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions: input (*, *normalized_shape)
    -> same shape; weight and bias (normalized_shape) scale and shift elementwise."""
    params = (("weight", weight), ("bias", bias))
    axes = _trailing_shape("layer_norm", input, normalized_shape, params, ", ")
    _check_float(input, "LayerNormKernelImpl")
    _check_mixed(input, weight, bias)
    return apply(_layer_norm, input, weight, bias, axes=axes, eps=float(eps))


# -- rms_norm -----------------------------------------------------------------------------------


def _rms_norm(x, w, *, axes, eps):
    xf = x.astype(_opmath(x))
    e = jnp.finfo(xf.dtype).eps if eps is None else eps
    y = (xf * lax.rsqrt(jnp.mean(xf * xf, axis=axes, keepdims=True) + e)).astype(x.dtype)
    if w is not None:
        y = (y * w).astype(x.dtype)
    return y


_rms_norm.backward_name = "MulBackward0"


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x * rsqrt(mean(x^2) + eps)`` over the trailing ``normalized_shape`` dimensions, times
    ``weight`` (normalized_shape): input (*, *normalized_shape) -> same shape. ``eps=None`` uses
    the machine epsilon of the dtype the statistics are computed in."""
    axes = _trailing_shape("rms_norm", input, normalized_shape, (("weight", weight),), "")
    _check_float(input, "rms_norm")
    return apply(_rms_norm, input, weight, axes=axes, eps=None if eps is None else float(eps))


# -- group_norm ---------------------------------------------------------------------------------


def _channel_shape(x):
    """Shape that broadcasts a per-channel (C,) vector against x (N, C, *)."""
    return (x.shape[1],) + (1,) * (x.ndim - 2)


def _affine(y, w, b, shape):
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def _group_norm(x, w, b, *, groups, eps):
    n, c = x.shape[0], x.shape[1]
    g = x.reshape(n, groups, math.prod(x.shape[1:]) // groups)
    y = _normalize(g, (2,), eps).reshape(x.shape)
    return _affine(y, w, b, (c,) + (1,) * (x.ndim - 2)).astype(x.dtype)


_group_norm.backward_name = "NativeGroupNormBackward0"


def _per_channel_check(input: Tensor, p: Tensor | None, name: str) -> None:
    c = input.shape[1]
    if p is not None and (p.dim() != 1 or p.numel() != c):
        raise RuntimeError(
            f"Expected {name} to be a vector of size equal to the number of channels in input, "
            f"but got {name} of shape {_shape_list(p.shape)} and input of shape "
            f"{_shape_list(input.shape)}"
        )


@autocast_op(FP32, CUDA)
def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each of ``num_groups`` channel groups per sample: input (N, C, *) -> same
    shape; weight and bias (C,) scale and shift per channel."""
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}"
        )
    n, c = input.shape[0], input.shape[1]
    _verify_batch_size([n * c // num_groups, num_groups] + list(input.shape[2:]))
    if c % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {_shape_list(input.shape)} and num_groups={num_groups}"
        )
    _per_channel_check(input, weight, "weight")
    _per_channel_check(input, bias, "bias")
    _check_float(input, "GroupNormKernelImpl")
    _check_mixed(input, weight, bias)
    return apply(_group_norm, input, weight, bias, groups=int(num_groups), eps=float(eps))


# -- batch_norm ---------------------------------------------------------------------------------


def _verify_batch_size(size) -> None:
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


def _running_update(stat, new, momentum, inverse):
    """``(1 - m) * stat + m * new`` in double precision, as torch's CPU kernel does it (its
    momentum is a C double); ``inverse`` makes ``momentum`` a batch count and m = 1 / count."""
    m = jnp.asarray(momentum, jnp.float64)
    if inverse:
        m = 1.0 / m
    return (m * new.astype(jnp.float64) + (1 - m) * stat.astype(jnp.float64)).astype(stat.dtype)


def _batch_norm_train(x, w, b, rm, rv, momentum, *, axes, eps, inverse):
    xf = x.astype(_opmath(x))
    mean, var = _moments(xf, axes)
    y = _affine((xf - mean) * lax.rsqrt(var + eps), w, b, _channel_shape(x)).astype(x.dtype)
    if rm is None:
        return y
    count = x.size // x.shape[1]
    mean = lax.stop_gradient(mean.reshape(-1))
    unbiased = lax.stop_gradient(var.reshape(-1)) * (count / max(count - 1, 1))
    return (
        y,
        _running_update(rm, mean, momentum, inverse),
        _running_update(rv, unbiased, momentum, inverse),
    )


def _batch_norm_eval(x, w, b, rm, rv, *, eps):
    shape = _channel_shape(x)
    xf = x.astype(_opmath(x))
    y = (xf - rm.reshape(shape)) * lax.rsqrt(rv.reshape(shape) + eps)
    return _affine(y, w, b, shape).astype(x.dtype)


def _identity(x):
    return x


_batch_norm_train.backward_name = "NativeBatchNormBackward0"
_batch_norm_eval.backward_name = "NativeBatchNormBackward0"
_identity.backward_name = "NativeBatchNormBackward0"


def _check_stats(input: Tensor, channels: int, tensors: tuple, repeat: int = 1) -> None:
    for name, t in tensors:
        if t is not None and t.numel() * repeat != channels:
            raise RuntimeError(
                f"{name} should contain {channels} elements not {t.numel() * repeat}"
            )


def _batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum,
    eps: float,
    inverse: bool = False,
) -> Tensor:
    """batch_norm after validation; ``momentum`` may be a Tensor (the batch count, with
    ``inverse``) so the cumulative average needs no host read of the counter."""
    _check_float(input, "batch_norm")
    _check_mixed(input, weight, bias, running_mean, running_var)
    if not training:
        return apply(_batch_norm_eval, input, weight, bias, running_mean, running_var, eps=eps)
    axes = (0,) + tuple(range(2, input.dim()))
    if input.numel() == 0:
        # torch leaves the running statistics alone for an empty batch
        return apply(_identity, input)
    if running_mean is None:
        return apply(
            _batch_norm_train,
            input,
            weight,
            bias,
            None,
            None,
            None,
            axes=axes,
            eps=eps,
            inverse=False,
        )
    y, new_mean, new_var = apply(
        _batch_norm_train,
        input,
        weight,
        bias,
        running_mean,
        running_var,
        momentum,
        axes=axes,
        eps=eps,
        inverse=inverse,
    )
    _copy_into(running_mean, new_mean)
    _copy_into(running_var, new_var)
    return y


def _check_batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    eps: float,
) -> None:
    """torch's argument checks of batch_norm, in torch's order."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.dim() < 2:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{max(input.dim(), 1)}, "
            f"{max(input.dim(), 1) - 1}], but got 1)"
        )
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not training and (running_mean is None or running_var is None):
        name = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{name} must be defined in evaluation mode")
    stats = (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    )
    _check_stats(input, input.shape[1], stats)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel over the batch and spatial dimensions: input (N, C, *) -> same
    shape; running_mean/running_var/weight/bias (C,).

    In training the batch's mean and biased variance normalise the input and the running
    statistics (if given) are updated in place with ``momentum``, the variance unbiased;
    otherwise the running statistics normalise the input.
    """
    _check_batch_norm(input, running_mean, running_var, weight, bias, training, eps)
    if momentum is None:
        raise TypeError(
            "batch_norm(): argument 'momentum' (position 7) must be float, not NoneType"
        )
    return _batch_norm(
        input, running_mean, running_var, weight, bias, training, float(momentum), float(eps)
    )


# -- instance_norm ------------------------------------------------------------------------------


def _instance_norm_train(x, w, b, rm, rv, momentum, *, eps):
    axes = tuple(range(2, x.ndim))
    xf = x.astype(_opmath(x))
    mean, var = _moments(xf, axes)
    y = _affine((xf - mean) * lax.rsqrt(var + eps), w, b, _channel_shape(x)).astype(x.dtype)
    if rm is None:
        return y
    count = math.prod(x.shape[2:])
    # torch runs batch_norm on (1, N*C, *) with the statistics repeated N times, then keeps the
    # batch mean of the N updated copies
    mean = lax.stop_gradient(mean.reshape(x.shape[:2]))
    unbiased = lax.stop_gradient(var.reshape(x.shape[:2])) * (count / max(count - 1, 1))
    new_mean = _running_update(rm[None, :], mean, momentum, False)
    new_var = _running_update(rv[None, :], unbiased, momentum, False)
    return y, jnp.mean(new_mean, axis=0), jnp.mean(new_var, axis=0)


_instance_norm_train.backward_name = "ViewBackward0"


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample over its spatial dimensions: input (N, C, *) ->
    same shape; running_mean/running_var/weight/bias (C,). With ``use_input_stats=False`` the
    running statistics normalise instead; with it, given running statistics are updated in
    place (averaged over the batch)."""
    if use_input_stats:
        size = 1
        for s in input.shape[2:]:
            size *= s
        if size == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {input.size()}"
            )
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError(
            "Expected running_mean and running_var to be defined when use_input_stats is false"
        )
    n, c = input.shape[0], input.shape[1]
    stats = (("running_mean", running_mean), ("running_var", running_var))
    _check_stats(input, n * c, stats, repeat=n)
    _check_stats(input, c, (("weight", weight), ("bias", bias)))
    _check_float(input, "batch_norm")
    _check_mixed(input, weight, bias, running_mean, running_var)
    if not use_input_stats:
        return apply(
            _batch_norm_eval, input, weight, bias, running_mean, running_var, eps=float(eps)
        )
    if running_mean is None or running_var is None or input.numel() == 0:
        return apply(_instance_norm_train, input, weight, bias, None, None, None, eps=float(eps))
    y, new_mean, new_var = apply(
        _instance_norm_train,
        input,
        weight,
        bias,
        running_mean,
        running_var,
        float(momentum),
        eps=float(eps),
    )
    _copy_into(running_mean, new_mean)
    _copy_into(running_var, new_var)
    return y


# -- local_response_norm ------------------------------------------------------------------------


def _local_response_norm(x, *, size, alpha, beta, k):
    # torch's formulation: average pooling (padding counted) of x^2 over a window of ``size``
    # channels, ``size // 2`` before and ``(size - 1) // 2`` after each channel
    sq = x * x
    pad = [(0, 0)] * x.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    sq = jnp.pad(sq, pad)
    c = x.shape[1]
    div = lax.slice_in_dim(sq, 0, c, axis=1)
    for i in range(1, size):
        div = div + lax.slice_in_dim(sq, i, i + c, axis=1)
    div = div / size
    return x / (div * alpha + k) ** beta


_local_response_norm.backward_name = "DivBackward0"


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Normalise each element by the squares of its neighbours across ``size`` channels:
    ``x / (k + alpha * mean(x^2 over the window)) ** beta``; input (N, C, *) -> same shape."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input "
            f"(got {dim} dimensions)"
        )
    if input.numel() == 0:
        return input
    return apply(_local_response_norm, input, **_lrn_static(size, alpha, beta, k))


def _lrn_static(size, alpha, beta, k) -> dict:
    return {"size": int(size), "alpha": float(alpha), "beta": float(beta), "k": float(k)}


# -- CrossMapLRN2d (legacy) ---------------------------------------------------------------------


def _cross_map_windows(channels: int, size: int) -> tuple:
    """0/1 matrices (C, C): the channels each output sums in torch's legacy forward, and the
    channels its hand-written backward gathers."""
    pre_pad = int((size - 1) / 2 + 1)
    fwd = np.zeros((channels, channels))
    for c in range(channels):
        # torch slides a running sum but never subtracts channel 0
        fwd[c, max(1, c - pre_pad + 1) : min(c + pre_pad - 1, channels - 1) + 1] = 1
        fwd[c, 0] = 1
    inverse_pre_pad = int(size - (size - 1) / 2)
    bwd = np.zeros((channels, channels))
    for c in range(channels):
        bwd[c, max(0, c - inverse_pre_pad) : max(0, c + size - inverse_pre_pad)] = 1
    return fwd, bwd


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3, 4))
def _cross_map_core(x, size, alpha, beta, k):
    return _cross_map_fwd(x, size, alpha, beta, k)[0]


def _cross_map_fwd(x, size, alpha, beta, k):
    fwd, _ = _cross_map_windows(x.shape[1], size)
    s = jnp.einsum("cj,nj...->nc...", fwd.astype(x.dtype), x * x, precision="highest")
    scale = s * (alpha / size) + k
    out = x * scale ** (-beta)
    return out, (x, out, scale)


def _cross_map_bwd(size, alpha, beta, k, res, g):
    x, out, scale = res
    _, bwd = _cross_map_windows(x.shape[1], size)
    ratio = g * out / scale
    accum = jnp.einsum("cj,nj...->nc...", bwd.astype(x.dtype), ratio, precision="highest")
    return (scale ** (-beta) * g - (2 * alpha * beta / size) * x * accum,)


_cross_map_core.defvjp(_cross_map_fwd, _cross_map_bwd)


def _cross_map_lrn2d_impl(x, *, size, alpha, beta, k):
    return _cross_map_core(x, size, alpha, beta, k)


_cross_map_lrn2d_impl.backward_name = "CrossMapLRN2dBackward"


def _cross_map_lrn2d(input: Tensor, size: int, alpha: float, beta: float, k: float) -> Tensor:
    """torch.nn.CrossMapLRN2d's function: input (N, C, H, W) -> same shape."""
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
    return apply(_cross_map_lrn2d_impl, input, **_lrn_static(size, alpha, beta, k))
