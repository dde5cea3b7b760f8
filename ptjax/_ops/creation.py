"""Tensor creation: tensor, as_tensor, from_numpy, zeros, ones, full, empty, eye, arange,
linspace, logspace, the ``*_like`` and ``Tensor.new_*`` forms."""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._device import as_device, to_jax_device
from ptjax._tensor import Tensor

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "range",
    "linspace",
    "logspace",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "scalar_tensor",
    "complex",
    "polar",
    "empty_strided",
]


def parse_size(size) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size([2, 3]))``."""
    if len(size) == 1 and isinstance(size[0], Sequence | Tensor):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, int | np.integer) or isinstance(s, bool):
            raise TypeError(
                f"zeros(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(s).__name__}"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(value, device, requires_grad: bool) -> Tensor:
    device = as_device(device)
    if device is not None and not isinstance(value, jax.core.Tracer):
        value = jax.device_put(value, to_jax_device(device))
    t = Tensor._make(value)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype) -> D.dtype:
    return D._default[0] if dtype is None else D.to_dtype(dtype)


def _infer_dtype(data) -> D.dtype:
    """torch.tensor's dtype inference for Python data (floats -> default dtype, ints -> int64)."""
    kinds = set()

    def walk(x):
        if isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, np.ndarray | np.generic):
            kinds.add(D.from_numpy_dtype(x.dtype))
        elif isinstance(x, bool):
            kinds.add(D.bool)
        elif isinstance(x, int):
            kinds.add(D.int64)
        elif isinstance(x, float):
            kinds.add(D._default[0])
        elif isinstance(x, builtins.complex):
            kinds.add(D._default[0].to_complex())
        elif isinstance(x, Sequence) and not isinstance(x, str):
            for y in x:
                walk(y)
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")

    walk(data)
    if not kinds:
        return D._default[0]
    out = None
    for k in kinds:
        out = k if out is None else D.promote_types(out, k)
    return out


def _to_numpy(data, dtype: D.dtype) -> np.ndarray:
    if isinstance(data, Tensor):
        return np.asarray(data._value).astype(dtype.np)
    if isinstance(data, np.ndarray | np.generic):
        return np.asarray(data).astype(dtype.np)

    def conv(x):
        if isinstance(x, Tensor):
            if x.numel() != 1 and x.dim() != 0:
                return np.asarray(x._value).tolist()
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
        if isinstance(x, Sequence) and not isinstance(x, str):
            return [conv(y) for y in x]
        return x

    return np.array(conv(data), dtype=dtype.np)


def tensor(
    data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """Construct a tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors).

    Python floats become the default dtype, ints ``int64``, bools ``bool``; numpy arrays keep
    their dtype.
    """
    if isinstance(data, Tensor) and isinstance(data._value, jax.core.Tracer):
        value = data._value if dtype is None else data._value.astype(D.to_dtype(dtype).np)
        return _finish(value, device, requires_grad)
    if isinstance(data, jax.Array) and not isinstance(data, np.ndarray):
        d = D.to_dtype(dtype) if dtype is not None else D.from_numpy_dtype(data.dtype)
        return _finish(jnp.asarray(data, d.np), device, requires_grad)
    d = D.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
    return _finish(jnp.asarray(_to_numpy(data, d)), device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but returns ``data`` itself when it already is a matching tensor."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    """torch.asarray: a tensor from any array-like."""
    t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor with the array's dtype and values (copied: JAX arrays are immutable)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(jnp.asarray(ndarray))


def _filled(size, fill, dtype, device, requires_grad) -> Tensor:
    shape = parse_size(size)
    # a host constant moved once: jnp.full would compile one program per shape (slow model builds)
    return _finish(jax.device_put(np.full(shape, fill, dtype.np)), device, requires_grad)


def zeros(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of zeros of the given size (default dtype unless ``dtype``)."""
    return _filled(size, 0, _float_dtype(dtype), device, requires_grad)


def ones(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of ones of the given size (default dtype unless ``dtype``)."""
    return _filled(size, 1, _float_dtype(dtype), device, requires_grad)


def empty(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format=None,
) -> Tensor:
    """An uninitialised tensor; ptjax fills it with zeros (JAX has no uninitialised memory)."""
    return _filled(size, 0, _float_dtype(dtype), device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` (strides are ignored: ptjax tensors are contiguous)."""
    return empty(size, dtype=dtype, device=device, requires_grad=requires_grad)


def _fill_dtype(fill_value) -> D.dtype:
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    return D.scalar_dtype(fill_value)


def full(
    size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from it)."""
    d = D.to_dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled((size,), fill_value, d, device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-dim tensor holding ``s`` (default dtype unless ``dtype``)."""
    return _filled(((),), s, _float_dtype(dtype), device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    value = jnp.eye(n, m if m is not None else n, dtype=_float_dtype(dtype).np)
    return _finish(value, device, requires_grad)


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


# -- ranges, computed as torch's CPU kernels compute them ----------------------------------------
# torch's arange kernel fills in SIMD chunks of 32-byte vectors (two vectors per loop step, the
# tail scalar): in a chunk each value is ``base + k * step`` from a chunk base rounded to the
# output dtype. linspace is scalar, logspace calls C ``pow``; the compiler fuses ``a + b * c``
# into one FMA wherever the operands are float/double. The helpers below reproduce that
# arithmetic in numpy so values match torch's bit for bit (measured on x86-64).

_VECTOR_BYTES = 32


def _two_prod(a, b):
    """``a * b == p + e`` exactly (Dekker's product, float64)."""
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ca, cb = split * a, split * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _fma(a, b, c, acc):
    """``a * b + c`` with one rounding, in ``acc`` (float64 or float32), elementwise."""
    if acc is np.float32:
        # float32 products are exact in float64; one more rounding to float32 is the FMA's
        a, b, c = (np.asarray(x, np.float64) for x in (a, b, c))
        return (a * b + c).astype(np.float32)
    a, b, c = (np.asarray(x, np.float64) for x in (a, b, c))
    with np.errstate(over="ignore", invalid="ignore"):
        p, e = _two_prod(a, b)
        s = p + c
        bp = s - p
        t = (p - (s - bp)) + (c - bp)  # p + c == s + t exactly
        out = s + (t + e)
    return np.where(np.isfinite(out), out, a * b + c)


def _chunked(n: int, d: D.dtype, scalar_at, vector_at) -> np.ndarray:
    """Values as torch's vectorised loop writes them: whole chunks of two vectors through
    ``vector_at(i, chunk_start)``, the tail through ``scalar_at(i)``."""
    lanes = _VECTOR_BYTES // d.itemsize
    i = np.arange(n, dtype=np.int64)
    n_vec = (n // (2 * lanes)) * 2 * lanes
    out = np.empty(n, d.np)
    out[n_vec:] = scalar_at(i[n_vec:])
    if n_vec:
        iv = i[:n_vec]
        out[:n_vec] = vector_at(iv, iv - iv % lanes)
    return out


def _arange_values(start, end, step, d: D.dtype) -> np.ndarray:
    fstart, fend, fstep = (builtins.float(v) for v in (start, end, step))
    if fstep == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(fstart) and math.isfinite(fend)):
        raise RuntimeError(f"unsupported range: {_num_str(start)} -> {_num_str(end)}")
    if not ((fstep > 0 and fend >= fstart) or (fstep < 0 and fend <= fstart)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d is D.int64:
        # torch sizes int64 ranges in integers, after truncating the bounds
        xstart, xend, xstep = (builtins.int(v) for v in (start, end, step))
        if xstep == 0:
            raise ValueError("step must be nonzero")
        sgn = 1 if xstep > 0 else -1
        num = xend - xstart + xstep - sgn
        # C++ integer division truncates toward zero
        size = builtins.abs(num) // builtins.abs(xstep) if (num >= 0) == (xstep > 0) else 0
        return (xstart + xstep * np.arange(size, dtype=np.int64)).astype(d.np)
    size = builtins.max(math.ceil((fend - fstart) / fstep), 0)
    if d.kind <= 1:
        xstart, xstep = builtins.int(start), builtins.int(step)
        return (xstart + xstep * np.arange(size, dtype=np.int64)).astype(d.np)
    # accumulation type of torch's CPU kernel: double for float/double, float for 16-bit floats
    acc = np.float32 if d.itemsize < 4 else np.float64
    xstart, xstep = acc(fstart), acc(fstep)

    def scalar_at(i):
        return _fma(xstep, i.astype(acc), xstart, acc).astype(d.np)

    def vector_at(i, base_i):
        base = _fma(xstep, base_i.astype(acc), xstart, acc).astype(d.np)
        return _fma((i - base_i).astype(acc), xstep, base.astype(acc), acc).astype(d.np)

    return _chunked(size, d, scalar_at, vector_at)


def _num_str(v) -> str:
    return str(builtins.int(v)) if builtins.float(v).is_integer() else str(v)


def _bounds(start, end, d: D.dtype):
    """The bounds converted to the output dtype, as torch's ``Scalar.to<scalar_t>()``."""
    if d.kind <= 1:
        return (np.array(builtins.int(v)).astype(d.np) for v in (start, end))
    return (np.asarray(v).astype(d.np) for v in (start, end))


def _linspace_values(start, end, steps: int, d: D.dtype) -> np.ndarray:
    if steps == 0:
        return np.zeros(0, d.np)
    start, end = _bounds(start, end, d)
    if steps == 1:
        return np.full(1, start, d.np)
    i = np.arange(steps, dtype=np.int64)
    if d.kind >= 2 and d.itemsize < 4:
        # 16-bit floats round after every operation, so nothing fuses
        h = d.np.type
        step = (end - start) / h(steps - 1)
        ii = i.astype(d.np)
        lo = start + step * ii
        hi = end - step * (steps - 1 - i).astype(d.np)
        return np.where(i < steps // 2, lo, hi).astype(d.np)
    # the step is double for integer outputs, else the output type itself; no SIMD chunks
    st = np.float64 if d.kind <= 1 or d.itemsize == 8 else np.float32
    start, end = st(start), st(end)
    step = st((end - start) / st(steps - 1))
    ii = i.astype(st)
    lo = _fma(step, ii, start, st)
    hi = _fma(-step, (steps - 1 - i).astype(st), end, st)
    return np.where(i < steps // 2, lo, hi).astype(d.np)


def _logspace_values(start, end, steps: int, base: float, d: D.dtype) -> np.ndarray:
    if steps == 0:
        return np.zeros(0, d.np)
    if steps == 1:
        return np.full(1, math.pow(builtins.float(base), builtins.float(start))).astype(d.np)
    start, end = _bounds(start, end, d)
    # torch: the span in the output type, then exponents and powers in double (C pow, which
    # numpy's own power does not always match in the last bit)
    step = np.float64(end - start) / np.float64(steps - 1)
    i = np.arange(steps, dtype=np.float64)
    expo = np.where(
        i < steps // 2,
        np.float64(start) + step * i,
        np.float64(end) - step * (np.float64(steps - 1) - i),
    )
    base = builtins.float(base)
    values = np.fromiter((_pow(base, x) for x in expo.tolist()), np.float64, count=steps)
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(d.np)


def _pow(base: float, x: float) -> float:
    try:
        return math.pow(base, x)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def arange(
    start=0,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float.

    Returns a 1-D tensor of ``ceil((end - start) / step)`` elements.
    """
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float | np.floating) for v in (start, end, step))
        d = D._default[0] if is_float else D.int64
    else:
        d = D.to_dtype(dtype)
    values = _arange_values(start, end, step, d)
    return _finish(jnp.asarray(values), device, requires_grad)


def range(
    start=0,
    end=None,
    step=1,
    *,
    dtype=None,
    device=None,  # noqa: A001
    requires_grad: bool = False,
) -> Tensor:
    """Deprecated torch.range: like arange but includes ``end``; default dtype."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    values = np.float64(start) + np.arange(n, dtype=np.float64) * np.float64(step)
    return _finish(jnp.asarray(values.astype(_float_dtype(dtype).np)), device, requires_grad)


def _check_steps(steps) -> None:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")


def linspace(
    start,
    end,
    steps: int,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive: shape ``(steps,)``."""
    _check_steps(steps)
    start, end = _number(start), _number(end)
    values = _linspace_values(start, end, steps, _float_dtype(dtype))
    return _finish(jnp.asarray(values), device, requires_grad)


def logspace(
    start,
    end,
    steps: int,
    base: float = 10.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """``base ** linspace(start, end, steps)``: shape ``(steps,)``."""
    _check_steps(steps)
    start, end = _number(start), _number(end)
    values = _logspace_values(start, end, steps, base, _float_dtype(dtype))
    return _finish(jnp.asarray(values), device, requires_grad)


def _like(input: Tensor, fill, dtype, device, requires_grad) -> Tensor:
    d = input.dtype if dtype is None else D.to_dtype(dtype)
    value = jnp.full(input._value.shape, fill, d.np)
    return _finish(value, device if device is not None else input.device, requires_grad)


def zeros_like(
    input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Zeros with the shape (and dtype, device unless given) of ``input``."""
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(
    input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Ones with the shape (and dtype, device unless given) of ``input``."""
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(
    input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """An uninitialised (zero-filled) tensor shaped like ``input``."""
    return _like(input, 0, dtype, device, requires_grad)


def full_like(
    input: Tensor,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """``fill_value`` everywhere, with the shape (and dtype unless given) of ``input``."""
    return _like(input, _number(fill_value), dtype, device, requires_grad)


def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001
    """A complex tensor from real and imaginary parts."""
    from ptjax._dispatch import apply

    return apply(_complex, real, imag)


def _complex(re, im):
    return jax.lax.complex(re, im)


def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002
    """A complex tensor from magnitude and angle."""
    from ptjax._dispatch import apply

    return apply(_polar, abs, angle)


def _polar(r, theta):
    return jax.lax.complex(r * jnp.cos(theta), r * jnp.sin(theta))


# -- Tensor.new_* : same dtype and device as self unless given ---------------------------------


def _new(fill):
    def new(
        self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
    ):
        d = self.dtype if dtype is None else D.to_dtype(dtype)
        return _finish(
            jnp.full(parse_size(size), fill, d.np),
            device if device is not None else self.device,
            requires_grad,
        )

    return new


Tensor.new_zeros = _new(0)
Tensor.new_ones = _new(1)
Tensor.new_empty = _new(0)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **_):
    d = self.dtype if dtype is None else D.to_dtype(dtype)
    return _finish(
        jnp.full(parse_size((size,)), _number(fill_value), d.np),
        device if device is not None else self.device,
        requires_grad,
    )


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, **_):
    d = self.dtype if dtype is None else dtype
    return tensor(
        data,
        dtype=d,
        device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


def _legacy_constructor_value(args, dtype, device):
    """``torch.Tensor(*sizes)`` (zeros) or ``torch.Tensor(data)`` (default dtype)."""
    d = _float_dtype(dtype)
    if not args:
        return jnp.zeros((0,), d.np)
    if all(isinstance(a, int) for a in args) or (
        len(args) == 1 and isinstance(args[0], tuple) and type(args[0]).__name__ == "Size"
    ):
        return jnp.zeros(parse_size(args), d.np)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            return data._value
        return jnp.asarray(_to_numpy(data, d))
    raise TypeError("new(): invalid arguments")
