"""Errors shared across ptjax: the message for a Python-level read of a traced value."""

from __future__ import annotations

import traceback


def _user_frame() -> str:
    """The innermost stack frame outside ptjax and JAX: the user's line."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        f = frame.filename.replace("\\", "/")
        if "/ptjax/" in f or "/jax/" in f or "/jaxlib/" in f:
            continue
        return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown location>"


class TracedValueError(RuntimeError):
    """A tensor's concrete value was needed while tracing a compiled function."""


def traced_value_error(what: str) -> TracedValueError:
    return TracedValueError(
        f"{what} needs a concrete value, but this tensor is being traced inside a compiled "
        f"function (ptjax.compile / jax.jit), where values are only known when it runs.\n"
        f"  at {_user_frame()}\n"
        "Fix: return the tensor from the compiled function and call .item()/print it outside, "
        "or express the branch with tensor ops such as torch.where(cond, a, b)."
    )


def unsupported(torch_name: str, why: str = "") -> NotImplementedError:
    """The error for a torch API that ptjax does not provide."""
    msg = f"{torch_name} is not supported by ptjax"
    return NotImplementedError(msg + (f": {why}" if why else ""))
