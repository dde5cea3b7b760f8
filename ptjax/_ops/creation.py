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
    return _finish(jnp.full(shape, fill, dtype.np), device, requires_grad)


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
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float."""
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        d = D._default[0] if is_float else D.int64
    else:
        d = D.to_dtype(dtype)
    n = max(math.ceil((end - start) / step), 0)
    # torch accumulates in double: start + i * step, then rounds to the output dtype
    values = np.float64(start) + np.arange(n, dtype=np.float64) * np.float64(step)
    if d.kind <= 1 and all(isinstance(v, int) for v in (start, end, step)):
        values = start + np.arange(n, dtype=np.int64) * step
    return _finish(jnp.asarray(values.astype(d.np)), device, requires_grad)


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


def _linspace_np(start, end, steps) -> np.ndarray:
    if steps == 1:
        return np.array([start], dtype=np.float64)
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    # torch fills the first half from start and the second from end, so both ends are exact
    return np.where(i < half, start + step * i, end - step * (steps - 1 - i))


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
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start, end = _number(start), _number(end)
    d = _float_dtype(dtype)
    values = _linspace_np(start, end, steps)
    if d.kind <= 1:
        values = np.trunc(values)
    return _finish(jnp.asarray(values.astype(d.np)), device, requires_grad)


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
    """``base ** linspace(start, end, steps)``."""
    start, end = _number(start), _number(end)
    values = np.power(base, _linspace_np(start, end, steps))
    return _finish(jnp.asarray(values.astype(_float_dtype(dtype).np)), device, requires_grad)


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
