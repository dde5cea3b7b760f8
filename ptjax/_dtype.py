"""dtypes as objects, torch's type promotion, the default dtype, finfo/iinfo."""

from __future__ import annotations

import builtins as _b
import functools

import jax.numpy as jnp
import ml_dtypes
import numpy as np

__all__ = [
    "dtype",
    "bool",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "half",
    "float",
    "double",
    "short",
    "int",
    "long",
    "cfloat",
    "cdouble",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
    "can_cast",
    "finfo",
    "iinfo",
    "is_floating_point",
    "is_complex",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3
_pyfloat, _pyint, _pybool, _pycomplex = _b.float, _b.int, _b.bool, _b.complex


class dtype:
    """A tensor element type, named as torch names it (``torch.float32`` ...)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "kind")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        kind = self.np.kind
        self.kind = {"b": _BOOL, "u": _INT, "i": _INT, "f": _FLOAT, "c": _COMPLEX, "V": _FLOAT}[
            kind
        ]
        self.is_floating_point = self.kind == _FLOAT
        self.is_complex = self.kind == _COMPLEX
        self.is_signed = kind in "ifcV"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float64: complex128, float16: complex64}.get(
            self, complex64 if self.kind < 3 else self
        )


bool = dtype("bool", np.bool_)  # noqa: A001 - torch's name
uint8 = dtype("uint8", np.uint8)
uint16 = dtype("uint16", np.uint16)
uint32 = dtype("uint32", np.uint32)
uint64 = dtype("uint64", np.uint64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
float16 = dtype("float16", np.float16)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

_ALL = (bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, bfloat16)
_ALL += (float32, float64, complex64, complex128)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}
# numpy's builtin dtypes are singletons: looking them up by id skips hashing a dtype (slow),
# which matters on every op. Other equal dtype objects fall back to _FROM_NP.
_BY_ID = {id(d.np): d for d in _ALL}


def of_np(np_dtype) -> dtype:
    """The ptjax dtype of a numpy/JAX array's dtype (KeyError for unsupported ones)."""
    d = _BY_ID.get(id(np_dtype))
    return d if d is not None else _FROM_NP[np_dtype]


def _by_name(name: str) -> dtype:
    return _NAMES[name]


_TITLES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def type_title(d: dtype) -> str:
    """torch's legacy type name of a dtype: ``Float`` for float32 (``torch.FloatTensor``)."""
    return _TITLES.get(d.name, d.name.capitalize())


def from_numpy_dtype(np_dtype) -> dtype:
    """The ptjax dtype of a numpy/jax dtype."""
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, "
            "int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept a ptjax dtype, a numpy/jax dtype or a Python type (``float``, ``int``, ``bool``)."""
    if d.__class__ is dtype:
        return d
    # torch maps Python's types to fixed dtypes, whatever the default dtype is
    if d is _pyfloat:
        return float64
    if d is _pyint:
        return int64
    if d is _pybool:
        return bool
    if d is _pycomplex:
        return complex128
    return from_numpy_dtype(d)


# The default float dtype lives in a one-element list so hot paths read it without a call.
_default = [float32]


def get_default_dtype() -> dtype:
    """Return the current default floating point dtype (``float32`` unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating point dtype; only ``float32``/``float64``/``float16``/``bfloat16``."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


@functools.cache
def promote_types(type1: dtype, type2: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both inputs cast to without losing kind."""
    if type1 is type2:
        return type1
    return _FROM_NP[np.dtype(jnp.promote_types(type1.np, type2.np))]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # torch's rule for merging the dimensioned / zero-dim / Python-scalar categories:
    # a lower-priority operand only matters when it is of a higher kind.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == _COMPLEX:
        return higher
    if lower.kind == _COMPLEX:
        return higher.to_complex() if higher.kind == _FLOAT else lower
    if higher.kind == _FLOAT:
        return higher
    if higher is bool or lower.kind == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """The dtype torch gives a Python number taking part in an operation."""
    t = type(x)
    if t is _pybool:
        return bool
    if t is _pyint:
        return int64
    if t is _pycomplex:
        return _default[0].to_complex()
    return _default[0]


@functools.lru_cache(maxsize=4096)
def _result_type_cached(sig: tuple, default: dtype) -> dtype:
    dims = zeros = scalars = None
    for d, cat in sig:
        if cat == 0:
            dims = d if dims is None else promote_types(dims, d)
        elif cat == 1:
            zeros = d if zeros is None else promote_types(zeros, d)
        else:
            scalars = d if scalars is None else promote_types(scalars, d)
    return _combine(dims, _combine(zeros, scalars))


def result_type_of(sig: tuple) -> dtype:
    """Promotion for a signature of ``(dtype, category)`` pairs: 0 dimensioned, 1 zero-dim, 2 number."""
    return _result_type_cached(sig, _default[0])


def result_type(tensor1, tensor2) -> dtype:
    """torch.result_type for two tensors or numbers."""
    from ptjax._tensor import promotion_signature

    return result_type_of(promotion_signature((tensor1, tensor2)))


def can_cast(from_: dtype, to: dtype) -> _b.bool:
    """torch.can_cast: whether same-kind casting allows ``from_`` -> ``to``."""
    return from_.kind <= to.kind and not (from_.kind == _FLOAT and to.kind == _INT)


def is_floating_point(input) -> _b.bool:
    """True if the tensor's dtype is a floating point dtype."""
    return input.dtype.is_floating_point


def is_complex(input) -> _b.bool:
    """True if the tensor's dtype is a complex dtype."""
    return input.dtype.is_complex


class finfo:
    """Machine limits of a floating point dtype (``bits``, ``eps``, ``max``, ``min``, ``tiny``...)."""

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002
        d = to_dtype(type) if type is not None else _default[0]
        if d.kind < _FLOAT:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo "
                "to handle 'torch.finfo'"
            )
        info = ml_dtypes.finfo(d.to_real().np)
        self.dtype = d.to_real().name
        self.bits = info.bits
        self.eps = _b.float(info.eps)
        self.max = _b.float(info.max)
        self.min = _b.float(info.min)
        self.tiny = self.smallest_normal = _b.float(info.tiny)
        self.resolution = 10.0 ** -_b.int(info.precision)

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Machine limits of an integer dtype (``bits``, ``max``, ``min``)."""

    def __init__(self, type: dtype) -> None:  # noqa: A002
        d = to_dtype(type)
        if d.kind not in (_INT, _BOOL):
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to "
                "handle 'torch.iinfo'"
            )
        info = np.iinfo(d.np) if d is not bool else None
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.max = _b.int(info.max) if info is not None else 1
        self.min = _b.int(info.min) if info is not None else 0

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
