"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools
import threading

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]


class _GradState(threading.local):
    enabled = True
    inference = False


state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for autograd."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return state.inference


class _GradModeContext:
    """A context manager that is also a decorator, like torch's grad-mode classes."""

    _target = True

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Disable gradient recording inside the block (or the decorated function)."""

    _target = False


class enable_grad(_GradModeContext):
    """Enable gradient recording inside the block, even within ``no_grad``."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Set gradient recording on or off; works as a function, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._prev = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev

    def clone(self):
        return set_grad_enabled(self._target)

    def __call__(self, fn):
        state.enabled = self._prev
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for inference code (``inference_mode(mode=True)``)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self._target = not mode

    def __enter__(self) -> None:
        self._prev = state.enabled
        self._prev_inf = state.inference
        state.enabled = self._target
        state.inference = self.mode

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev
        state.inference = self._prev_inf

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError("inference_mode expects a callable")
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return inference_mode(self.mode)
