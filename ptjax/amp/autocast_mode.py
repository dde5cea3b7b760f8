"""Autocast: inside ``autocast(device_type, dtype)`` some ops run in lower precision.

torch's policy, which ptjax follows, differs per device type. On both, matrix-multiply-like ops
(matmul, mm, bmm, linear, conv, addmm, baddbmm, scaled_dot_product_attention, ...) cast their
floating inputs to the autocast dtype, and the losses, ``prod`` and ``cdist`` compute in
float32. On ``'cpu'`` some further ops compute in float32 (3-d pooling, reflection/replication
padding, ``grid_sample``, ``trace``); on ``'cuda'`` softmax/log_softmax, layer/group norm,
exp/log-family and power ops, sum/cumsum/cumprod/norm, softplus and the distance functions do,
and ``binary_cross_entropy`` refuses to run. Everything else runs in its inputs' dtype. Ops are
marked with ``autocast_op(category, devices)``.
"""

from __future__ import annotations

import functools
import threading

from ptjax import _dtype as D

__all__ = ["autocast", "is_autocast_available", "autocast_dtype", "cast_inputs", "autocast_op"]

LOWER = "lower_precision_fp"
FP32 = "fp32"
BANNED = "banned"  # torch refuses to run these under autocast
# torch's CPU and CUDA policies list different ops; an op's ``devices`` names where it applies
CPU = ("cpu",)
CUDA = ("cuda",)


class _AutocastState(threading.local):
    enabled = False
    dtype = None
    device_type = None


state = _AutocastState()

_DEFAULT_DTYPE = {"cpu": D.bfloat16, "cuda": D.float16, "xla": D.bfloat16, "tpu": D.bfloat16}


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast supports ``device_type``."""
    return device_type in _DEFAULT_DTYPE


def autocast_dtype() -> D.dtype | None:
    """The active autocast dtype, or None outside autocast."""
    return state.dtype if state.enabled else None


class autocast:
    """Context manager / decorator enabling mixed precision for the ops inside it.

    Args:
        device_type: ``'cpu'`` or ``'cuda'`` (``'cuda'`` means JAX's accelerator).
        dtype: ``torch.bfloat16`` or ``torch.float16`` (default: bfloat16 on CPU, float16 on
            CUDA, as torch).
        enabled: turn autocast off for a sub-region with ``enabled=False``.
        cache_enabled: accepted (XLA fuses the casts itself).
    """

    def __init__(
        self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'"
            )
        self.device = device_type
        self.fast_dtype = _DEFAULT_DTYPE[device_type] if dtype is None else D.to_dtype(dtype)
        if self.fast_dtype not in (D.bfloat16, D.float16):
            raise RuntimeError(
                f"In {device_type} autocast, but the target dtype is not supported. Disabling "
                "autocast."
            )
        self._enabled = enabled

    def __enter__(self):
        self._prev = (state.enabled, state.dtype, state.device_type)
        state.enabled = self._enabled
        state.dtype = self.fast_dtype
        state.device_type = self.device
        return self

    def __exit__(self, *exc) -> None:
        state.enabled, state.dtype, state.device_type = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)

        return wrapper


def _policy_applies(devices: tuple[str, ...] | None) -> bool:
    """Whether autocast is on and its device type's policy lists an op listed for ``devices``."""
    return state.enabled and (devices is None or state.device_type in devices)


def cast_inputs(category: str, *tensors, devices: tuple[str, ...] | None = None):
    """Cast floating tensors for an op of ``category`` under the active autocast policy.

    Returns the tensors unchanged outside autocast, or under an autocast whose device type is
    not in ``devices`` (default: all). Non-floating tensors and None pass through.
    """
    if not _policy_applies(devices):
        return tensors
    target = state.dtype if category == LOWER else D.float32
    out = []
    for t in tensors:
        if (
            t is not None
            and hasattr(t, "dtype")
            and t.dtype.is_floating_point
            and t.dtype is not target
        ):
            # float64 is left alone by torch's lower-precision casts
            if category == LOWER and t.dtype is D.float64:
                out.append(t)
                continue
            t = t.to(target)
        out.append(t)
    return tuple(out)


def autocast_op(category: str, devices: tuple[str, ...] | None = None):
    """Decorate a public op so that, inside autocast, its floating tensor arguments are cast
    for ``category`` before the op checks or computes anything (as torch's autocast does).

    ``devices``: the autocast device types whose policy lists the op (default: all).
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not _policy_applies(devices):
                return fn(*args, **kwargs)
            if category == BANNED:
                raise RuntimeError(
                    f"torch.nn.functional.{fn.__name__} is unsafe to autocast on "
                    f"{state.device_type}: it is not run in {state.dtype} nor cast. A sigmoid "
                    "followed by binary_cross_entropy is better written as "
                    "binary_cross_entropy_with_logits (or nn.BCEWithLogitsLoss), which is safe "
                    "to autocast; or leave the autocast region for this op."
                )
            args = cast_inputs(category, *args)
            if kwargs:
                keys = list(kwargs)
                kwargs = dict(zip(keys, cast_inputs(category, *kwargs.values())))
            return fn(*args, **kwargs)

        return wrapper

    return decorate
