"""Printing tensors exactly as torch prints them (``repr``/``str``).

torch's rules: floats print in one of three modes chosen from the nonzero finite values shown —
integer mode (``1.``), fixed point with ``precision`` decimals, or scientific notation when the
values span more than three orders of magnitude or leave [1e-4, 1e8]; every element is padded to
the widest one; rows wrap at ``linewidth``; more than ``threshold`` elements print only
``edgeitems`` at each end of every dimension with ``...`` between. Suffixes name what the
values cannot show: a non-default dtype, a non-CPU device, ``requires_grad``/``grad_fn``.
All of it runs on the host in numpy.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {
    "default": _DEFAULTS,
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_opts = dict(_DEFAULTS, sci_mode=None)


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``profile`` (``'default'``, ``'short'``, ``'full'``) sets all four sizes first; the other
    arguments then override it. ``sci_mode`` None lets each tensor choose its notation.
    """
    if profile is not None and profile in _PROFILES:
        _opts.update(_PROFILES[profile])
    for key, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            _opts[key] = value
    _opts["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dict(_opts)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options inside a ``with`` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses the notation and width from the values that will be shown (an ndarray)."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        precision = _opts["precision"]
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        absvals = np.abs(finite)
        lo, hi = absvals.min(), absvals.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        sci = _opts["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if sci is None else sci
        if self.sci_mode:
            fmt, extra = f"{{:.{precision}e}}", 0
        elif self.int_mode:
            fmt, extra = "{:.0f}", 1  # room for the trailing '.'
        else:
            fmt, extra = f"{{:.{precision}f}}", 0
        for v in finite.tolist():
            self.max_width = max(self.max_width, len(fmt.format(v)) + extra)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{{:{self.max_width}.{_opts['precision']}e}}".format(value)
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{{:.{_opts['precision']}f}}".format(value)
        return (self.max_width - len(text)) * " " + text


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (edge items of every dimension)."""
    edge = _opts["edgeitems"]
    if a.ndim == 0:
        return a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]
    for axis in range(a.ndim):
        if a.shape[axis] > 2 * edge:
            idx = list(range(edge)) + list(range(a.shape[axis] - edge, a.shape[axis]))
            a = np.take(a, idx, axis=axis)
    return a


class _Printer:
    def __init__(self, a: np.ndarray, summarize: bool) -> None:
        self.summarize = summarize
        self.complex = np.iscomplexobj(a)
        shown = _summarized(a) if summarize else a
        floating = self.complex or a.dtype.kind == "f" or str(a.dtype) == "bfloat16"
        if self.complex:
            self.f1 = _Formatter(shown.real, True)
            self.f2 = _Formatter(shown.imag, True)
        else:
            self.f1 = _Formatter(shown, floating)
            self.f2 = None

    def value(self, v) -> str:
        if self.f2 is None:
            return self.f1.format(v)
        real = self.f1.format(v.real)
        imag = (self.f2.format(v.imag) + "j").lstrip()
        # a sign already separates the parts (also for +0.0 / -0.0)
        return real + imag if imag[0] in "+-" else real + "+" + imag

    def vector(self, a: np.ndarray, indent: int) -> str:
        width = self.f1.max_width + 2
        if self.f2 is not None:
            width += self.f2.max_width + 1
        per_line = max(1, math.floor((_opts["linewidth"] - indent) / width))
        edge = _opts["edgeitems"]
        if self.summarize and not edge:
            data = ["..."]
        elif self.summarize and a.shape[0] > 2 * edge:
            data = (
                [self.value(v) for v in _py(a[:edge])]
                + [" ..."]
                + [self.value(v) for v in _py(a[-edge:])]
            )
        else:
            data = [self.value(v) for v in _py(a)]
        lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    def tensor(self, a: np.ndarray, indent: int) -> str:
        if a.ndim == 0:
            return self.value(_py(a))
        if a.ndim == 1:
            return self.vector(a, indent)
        edge = _opts["edgeitems"]
        if self.summarize and a.shape[0] > 2 * edge:
            rows = (
                [self.tensor(a[i], indent + 1) for i in range(edge)]
                + ["..."]
                + [self.tensor(a[i], indent + 1) for i in range(a.shape[0] - edge, a.shape[0])]
            )
        else:
            rows = [self.tensor(a[i], indent + 1) for i in range(a.shape[0])]
        return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _py(a: np.ndarray):
    """Python numbers (what torch's ``tolist``/``item`` give): 16-bit floats widen exactly."""
    if a.dtype.kind == "V" or str(a.dtype) == "bfloat16" or a.dtype == np.float16:
        a = a.astype(np.float64)
    return a.tolist()


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1  # torch's count, one more than the line
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _opts["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(tensor)`` as torch writes it."""
    import jax

    from ptjax import _dtype as D

    cls = type(t)
    plain = cls.__name__ == "Tensor" or (t._is_param and cls.__name__ == "Parameter")
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    value = t._value
    dtype = D._FROM_NP[value.dtype]
    default = D._default[0]
    suffixes = []
    device = t.device
    if device.type != "cpu":
        suffixes.append(f"device='{device}'")
    if isinstance(value, jax.core.Tracer):
        from ptjax._compile import is_compiling

        if is_compiling():
            # torch.compile would break the graph here; ptjax says where instead of printing
            # a placeholder the user did not ask for
            from ptjax._errors import traced_value_error

            raise traced_value_error("print(tensor) / repr(tensor)")
        body = f"<traced {value.aval.str_short()}>"
    elif value.size == 0:
        if value.ndim != 1:
            suffixes.append(f"size={tuple(value.shape)}")
        if dtype is not default:
            suffixes.append(f"dtype={dtype!r}")
        body = "[]"
    else:
        if not _opts["edgeitems"]:
            suffixes.append(f"size={tuple(value.shape)}")
        if dtype not in (default, default.to_complex(), D.int64, D.bool):
            suffixes.append(f"dtype={dtype!r}")
        a = np.asarray(value)
        body = _Printer(a, a.size > _opts["threshold"]).tensor(a, indent)
    fn = t.grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{fn.name().rsplit('::', 1)[-1]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
