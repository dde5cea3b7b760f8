"""Gradient clipping: clip_grad_norm_, clip_grad_value_ (and the total-norm helpers).

All gradients are scaled by one jitted function of the whole list, so clipping a model's
gradients is one dispatch eagerly and a handful of fused ops inside a compiled step.
"""

from __future__ import annotations

import types
import warnings

import jax
import jax.numpy as jnp

from ptjax._dispatch import apply
from ptjax._tensor import Tensor
from ptjax.autograd.grad_mode import no_grad
from ptjax.nn._functional.distance import _pnorm

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "get_total_norm",
    "clip_grads_with_norm_",
]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _total_norm(grads, *, norm_type):
    norms = jnp.stack([_pnorm(g.reshape(-1), norm_type, 0) for g in grads])
    return _pnorm(norms, norm_type, 0)


def _scale(grads, total, *, max_norm):
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)
    return tuple(g * coef.astype(g.dtype) for g in grads)


def _clamp_all(grads, *, lo, hi):
    return tuple(jnp.clip(g, lo, hi) for g in grads)


def _write(grads: list, new) -> None:
    # in place, like torch's mul_/clamp_: whoever holds p.grad sees the clipped values
    for g, v in zip(grads, new):
        g._assign(v)


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (their norm as one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(jnp.asarray(0.0, jnp.float32))
    with no_grad():
        total = apply(_total_norm, tuple(tensors), norm_type=norm_type)
    v = total._value
    if error_if_nonfinite and not isinstance(v, jax.core.Tracer) and not jnp.isfinite(v):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients of ``parameters`` by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        _write(grads, apply(_scale, tuple(grads), total_norm, max_norm=float(max_norm)))


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale gradients in place so their total ``norm_type``-norm is at most ``max_norm``;
    returns the total norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=2,
            )
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of ``parameters`` into ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        _write(grads, apply(_clamp_all, tuple(grads), lo=-clip_value, hi=clip_value))
