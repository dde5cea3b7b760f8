"""Activation functions of torch.nn.functional, each one JAX implementation with torch's values
and torch's gradients, including at kinks (relu'(0) = 0, hardtanh' = 0 on its bounds,
leaky_relu'(0) = slope, elu'(0) = alpha, ...).

Piecewise functions are written as ``jnp.where`` of branches whose unselected side never sees
values that would give inf/nan gradients (the negative branch of ELU only sees x <= 0).
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp

from ptjax import _ops
from ptjax._dispatch import apply
from ptjax._ops.reduction import softmin as _softmin
from ptjax._tensor import Tensor, _type_title, _wrap_dim
from ptjax.amp.autocast_mode import CUDA, FP32, autocast_op
from ptjax.random import default_generator

__all__ = [
    "threshold",
    "threshold_",
    "relu",
    "relu_",
    "relu6",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "prelu",
    "rrelu",
    "rrelu_",
    "elu",
    "elu_",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "gelu",
    "silu",
    "mish",
    "hardswish",
    "hardsigmoid",
    "sigmoid",
    "tanh",
    "logsigmoid",
    "softplus",
    "softsign",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "glu",
    "softmax",
    "log_softmax",
    "softmin",
    "gumbel_softmax",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _run(impl, input: Tensor, inplace: bool, name: str, ints_ok: bool = False, **static):
    """Apply ``impl`` elementwise; ``inplace`` writes the result into ``input`` (as torch's
    ``op_`` does, with the same leaf/view checks)."""
    if not ints_ok and input.dtype.kind < 2:
        raise NotImplementedError(
            f"\"{name}_cpu\" not implemented for '{_type_title(input.dtype)}'"
        )
    out = apply(impl, input, **static)
    if inplace:
        return input._assign(out)
    return out


def _neg_side(x):
    """x where x <= 0, else 0: the input of a branch that is only used for x <= 0."""
    return jnp.where(x > 0, jnp.zeros_like(x), x)


# -- implementations ------------------------------------------------------------------------------


def _threshold(x, *, threshold, value):
    return jnp.where(x > threshold, x, jnp.asarray(value, x.dtype))


def _hardtanh(x, *, lo, hi):
    inside = (x > lo) & (x < hi)
    return jnp.where(inside, x, jax.lax.stop_gradient(jnp.clip(x, lo, hi)))


def _leaky_relu(x, *, slope):
    return jnp.where(x > 0, x, x * slope)


def _prelu(x, w, *, axis):
    if axis is not None and w.size > 1:
        shape = [1] * x.ndim
        shape[axis] = w.size
        w = w.reshape(shape)
    else:
        w = w.reshape(())
    return jnp.where(x > 0, x, w * x)


_prelu.backward_name = "PreluKernelBackward0"


def _rrelu_train(x, key, counter, *, lower, upper):
    key = jax.random.fold_in(key, counter)
    noise = jax.random.uniform(key, x.shape, x.dtype, lower, upper)
    return jnp.where(x <= 0, x * noise, x)


_rrelu_train.backward_name = "RreluWithNoiseBackward0"


def _elu(x, *, alpha, scale, input_scale):
    neg = alpha * jnp.expm1(_neg_side(x) * input_scale)
    return scale * jnp.where(x > 0, x, neg)


def _gelu(x, *, approximate):
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1.0 + jnp.tanh(inner))
    return 0.5 * x * (1.0 + jax.lax.erf(x * (1.0 / math.sqrt(2.0))))


def _silu(x):
    return x * jax.nn.sigmoid(x)


def _softplus(x, *, beta, threshold):
    linear = x * beta > threshold
    safe = jnp.where(linear, jnp.zeros_like(x), x)
    return jnp.where(linear, x, jnp.log1p(jnp.exp(safe * beta)) / beta)


def _mish(x):
    return x * jnp.tanh(_softplus(x, beta=1.0, threshold=20.0))


def _hardswish(x):
    # torch's derivative: 0 up to -3, x/3 + 1/2 strictly inside (-3, 3), 1 from 3 on
    mid = x * (x + 3.0) / 6.0
    return jnp.where(x <= -3.0, jnp.zeros_like(x), jnp.where(x < 3.0, mid, x))


def _hardsigmoid(x):
    inside = (x > -3.0) & (x < 3.0)
    outside = jax.lax.stop_gradient(jnp.where(x <= -3.0, 0.0, 1.0).astype(x.dtype))
    return jnp.where(inside, x / 6.0 + 0.5, outside)


def _sigmoid(x):
    return jax.nn.sigmoid(x)


def _tanh(x):
    return jnp.tanh(x)


def _log_sigmoid(x):
    return jax.nn.log_sigmoid(x)


def _softsign(x):
    return x / (jnp.abs(x) + 1)


def _tanhshrink(x):
    return x - jnp.tanh(x)


def _softshrink(x, *, lambd):
    zero = jnp.zeros_like(x)
    return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, zero))


def _hardshrink(x, *, lambd):
    return jnp.where((x > lambd) | (x < -lambd), x, jnp.zeros_like(x))


def _glu(x, *, axis):
    a, b = jnp.split(x, 2, axis=axis)
    return a * jax.nn.sigmoid(b)


_hardtanh.backward_name = "HardtanhBackward0"
_elu.backward_name = "EluBackward0"
_silu.backward_name = "SiluBackward0"
_log_sigmoid.backward_name = "LogSigmoidBackward0"


# -- public functions -----------------------------------------------------------------------------


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``input`` where ``input > threshold``, else ``value``."""
    return _run(
        _threshold, input, inplace, "threshold", ints_ok=True, threshold=threshold, value=value
    )


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _run(
        _threshold, input, True, "threshold", ints_ok=True, threshold=threshold, value=value
    )


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(0, x)`` elementwise (torch.relu; ``inplace`` writes into ``input``)."""
    out = _ops.relu(input)
    return input._assign(out) if inplace else out


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Clamp to ``[min_val, max_val]`` (gradient 0 on and beyond the bounds, as torch)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(_hardtanh, input, inplace, "hardtanh", ints_ok=True, lo=min_val, hi=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``."""
    return _run(_leaky_relu, input, inplace, "leaky_relu", slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learnt slope per channel (dim 1 of the input) or one shared slope."""
    n = weight.numel()
    channels = input.shape[1] if input.dim() >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {channels}."
        )
    return apply(_prelu, input, weight, axis=1 if input.dim() >= 2 else None)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: in training each negative element gets a slope drawn from
    U(lower, upper); in eval the slope is ``(lower + upper) / 2``."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _run(_leaky_relu, input, inplace, "rrelu", slope=(lower + upper) / 2)
    if input.dtype.kind < 2:
        raise NotImplementedError(f"\"rrelu_cpu\" not implemented for '{_type_title(input.dtype)}'")
    key, counter = default_generator.draw()
    out = apply(_rrelu_train, input, key, counter, lower=lower, upper=upper)
    return input._assign(out) if inplace else out


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _run(_elu, input, inplace, "elu", alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _run(_elu, input, inplace, "elu", alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _run(_elu, input, inplace, "elu", alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)``, or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _run(_gelu, input, False, "GeluKernelImpl", approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    return _run(_silu, input, inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _run(_mish, input, inplace, "mish")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _run(_hardswish, input, inplace, "hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return _run(_hardsigmoid, input, inplace, "hardsigmoid")


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return _ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _ops.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return _run(_log_sigmoid, input, False, "log_sigmoid_forward")


@autocast_op(FP32, CUDA)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``."""
    return _run(_softplus, input, False, "softplus", beta=beta, threshold=threshold)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return _run(_softsign, input, False, "softsign")


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return _run(_tanhshrink, input, False, "tanhshrink")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Shrink toward 0 by ``lambd``; 0 on ``[-lambd, lambd]``."""
    if lambd < 0:
        raise RuntimeError(
            f"lambda must be in range [0, 3.40282e+38] for input dtype "
            f"{_type_title(input.dtype)}, but found {lambd}"
        )
    return _run(_softshrink, input, False, "softshrink", lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    return _run(_hardshrink, input, False, "hardshrink", lambd=lambd)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``dim`` in halves ``a, b`` and return ``a * sigmoid(b)``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    return _run(_glu, input, False, "glu", axis=d)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (``dtype`` casts the input first)."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _ops.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _ops.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmin(input, dim, dtype=dtype)


def _gumbel_softmax(x, key, counter, *, tau, hard, axis):
    key = jax.random.fold_in(key, counter)
    gumbels = -jnp.log(jax.random.exponential(key, x.shape, x.dtype))
    y = jax.nn.softmax((x + gumbels) / tau, axis=axis)
    if not hard:
        return y
    # straight-through: the one-hot of the argmax forward, the soft sample's gradient backward
    first = jnp.argmax(y, axis=axis, keepdims=True)
    one_hot = (
        jnp.arange(x.shape[axis]).reshape([-1 if i == axis else 1 for i in range(x.ndim)]) == first
    ).astype(x.dtype)
    return one_hot - jax.lax.stop_gradient(y) + y


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """A sample of the Gumbel-softmax distribution over ``dim`` (one-hot if ``hard``, with the
    soft sample's gradient)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    key, counter = default_generator.draw()
    axis = _wrap_dim(dim, logits.dim())
    return apply(_gumbel_softmax, logits, key, counter, tau=tau, hard=hard, axis=axis)
