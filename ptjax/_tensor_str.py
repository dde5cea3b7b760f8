"""Printing tensors as torch prints them."""

from __future__ import annotations

import numpy as np

__all__ = ["tensor_repr", "set_printoptions"]

_opts = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Set how tensors print (as torch.set_printoptions)."""
    for k, v in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode


def tensor_repr(t) -> str:
    import jax

    v = t._val if t._base is None else t._value
    if isinstance(v, jax.core.Tracer):
        body = f"<traced {v.aval.str_short()}>"
    else:
        body = np.array2string(np.asarray(v), separator=", ", precision=_opts["precision"])
    suffix = []
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
