"""Elementwise ops with torch's type promotion: arithmetic, comparisons, math functions.

Each op is built once by a factory (``_binary``, ``_unary``, ``_compare``) from its JAX
function; the Tensor methods, in-place variants, operators and aliases are generated from it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops._registry import alias, tensor_op
from ptjax._tensor import Tensor, promotion_signature

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "pow",
    "neg",
    "abs",
    "exp",
    "log",
    "sqrt",
    "rsqrt",
    "sigmoid",
    "tanh",
    "sin",
    "cos",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "maximum",
    "minimum",
    "where",
    "clamp",
    "result_type",
]


def promote(*args) -> D.dtype:
    """torch's result dtype for tensors and Python numbers taking part in one op."""
    a = args[0]
    if len(args) == 2 and isinstance(a, Tensor) and isinstance(args[1], Tensor):
        va, vb = a._value, args[1]._value
        if va.dtype == vb.dtype:  # the common case needs no promotion table
            return D._FROM_NP[va.dtype]
    return D.result_type_of(promotion_signature(args))


def result_type(tensor1, tensor2) -> D.dtype:
    """The dtype torch gives the result of an op on these two operands."""
    return promote(tensor1, tensor2)


def _float_of(d: D.dtype) -> D.dtype:
    """Integer and bool inputs of float-valued ops compute in the default dtype."""
    return d if d.kind >= 2 else D._default[0]


def _check_operand(x, op: str):
    if not isinstance(x, Tensor | int | float | bool | complex):
        if hasattr(x, "__array__") or hasattr(x, "shape"):
            return Tensor._make(jnp.asarray(x))
        raise TypeError(
            f"{op}(): argument 'other' (position 2) must be Tensor, not {type(x).__name__}"
        )
    return x


# -- binary arithmetic ----------------------------------------------------------------------------


def _binary(jfn, name: str, *, int_to_float: bool = False, bool_ok: bool = True):
    """A binary op computing ``jfn(a, b)`` in the promoted dtype."""

    def impl(a, b, *, dtype):
        return jfn(jnp.asarray(a, dtype), jnp.asarray(b, dtype))

    impl.__name__ = f"_{name}"

    def op(input, other):
        other = _check_operand(other, name)
        dt = promote(input, other)
        if int_to_float:
            dt = _float_of(dt)
        if not bool_ok and dt is D.bool:
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                "`^` or `logical_xor()` operator instead."
                if name == "sub"
                else f"\"{name}\" not implemented for 'Bool'"
            )
        return apply(impl, input, other, dtype=dt.np)

    return op


def _add_impl(a, b, *, dtype, alpha):
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    return a + b * alpha if alpha != 1 else a + b


_add_impl.backward_name = "AddBackward0"


def _sub_impl(a, b, *, dtype, alpha):
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    return a - b * alpha if alpha != 1 else a - b


_sub_impl.backward_name = "SubBackward0"


@tensor_op(inplace=True)
def add(input: Tensor, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``, with broadcasting and type promotion."""
    other = _check_operand(other, "add")
    dt = promote(input, other)
    return apply(_add_impl, input, other, dtype=dt.np, alpha=alpha)


@tensor_op(inplace=True, aliases=("subtract",))
def sub(input: Tensor, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``, with broadcasting and type promotion."""
    other = _check_operand(other, "sub")
    dt = promote(input, other)
    if dt is D.bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    return apply(_sub_impl, input, other, dtype=dt.np, alpha=alpha)


_mul = _binary(jnp.multiply, "mul")
_mul_impl_saves = (0, 1)


@tensor_op(inplace=True, aliases=("multiply",))
def mul(input: Tensor, other) -> Tensor:
    """Elementwise product, with broadcasting and type promotion."""
    return _mul(input, other)


def _div_impl(a, b, *, dtype, rounding_mode):
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    if rounding_mode is None:
        return a / b
    if jnp.issubdtype(dtype, jnp.integer):
        if rounding_mode == "trunc":
            q = jnp.where(b == 0, 0, jax.lax.div(a, jnp.where(b == 0, 1, b)))
            return q
        return jnp.floor_divide(a, b)
    q = a / b
    return jnp.trunc(q) if rounding_mode == "trunc" else _floor_div_float(a, b)


def _floor_div_float(a, b):
    # torch's floor division: computed from fmod so that e.g. 1.0 // 0.1 == 9.0, like Python
    mod = jnp.fmod(a, b)
    div = (a - mod) / b
    div = jnp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    floordiv = jnp.floor(div)
    floordiv = jnp.where(div - floordiv > 0.5, floordiv + 1, floordiv)
    return jnp.where(b == 0, a / b, jnp.where(div == 0, jnp.copysign(0.0, a / b), floordiv))


_div_impl.backward_name = "DivBackward0"


@tensor_op(inplace=True, aliases=("divide",))
def div(input: Tensor, other, *, rounding_mode: str | None = None, out=None) -> Tensor:
    """``input / other``; ``rounding_mode`` None (true division), ``'trunc'`` or ``'floor'``."""
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    other = _check_operand(other, "div")
    dt = promote(input, other)
    if rounding_mode is None:
        dt = _float_of(dt)
    return apply(_div_impl, input, other, dtype=dt.np, rounding_mode=rounding_mode)


@tensor_op(inplace=True)
def true_divide(input: Tensor, other) -> Tensor:
    """``input / other`` with true division (ints give the default float dtype)."""
    return div(input, other)


@tensor_op(inplace=True)
def floor_divide(input: Tensor, other) -> Tensor:
    """``input // other``, rounding toward negative infinity."""
    return div(input, other, rounding_mode="floor")


def _remainder(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        return jnp.remainder(a, b)
    mod = jnp.fmod(a, b)
    return jnp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


remainder = tensor_op(_binary(_remainder, "remainder"), inplace=True)
remainder.__name__ = "remainder"
remainder.__doc__ = "Python-style modulus: the result has the sign of the divisor."
fmod = _binary(jnp.fmod, "fmod")
fmod.__name__ = "fmod"
fmod.__doc__ = "C-style modulus: the result has the sign of the dividend."
tensor_op(fmod, inplace=True)


def _pow_impl(a, b, *, dtype):
    return jnp.power(jnp.asarray(a, dtype), jnp.asarray(b, dtype))


def _int_pow_impl(a, *, dtype, exponent):
    return jax.lax.integer_pow(jnp.asarray(a, dtype), exponent)


_int_pow_impl.backward_name = "PowBackward0"
_pow_impl.backward_name = "PowBackward1"


@tensor_op(inplace=True)
def pow(input, exponent) -> Tensor:  # noqa: A001
    """``input ** exponent`` elementwise (either may be a number)."""
    if not isinstance(input, Tensor):  # torch.pow(number, tensor)
        dt = promote(input, exponent)
        return apply(_pow_impl, input, exponent, dtype=dt.np)
    exponent = _check_operand(exponent, "pow")
    dt = promote(input, exponent)
    if type(exponent) is int and dt.kind >= 2 and -4 <= exponent <= 4:
        # small integer powers are exact products in torch; lax.integer_pow computes the same
        return apply(_int_pow_impl, input, dtype=dt.np, exponent=exponent)
    if type(exponent) is int and dt.kind == 1 and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return apply(_pow_impl, input, exponent, dtype=dt.np)


# -- unary math -----------------------------------------------------------------------------------


def _unary(
    jfn,
    name: str,
    doc: str,
    *,
    to_float: bool = True,
    ints_ok: bool = True,
    backward_name: str | None = None,
    saves=None,
):
    """A unary op ``jfn(x)``; ``to_float`` computes integer inputs in the default float dtype."""

    def impl(x, *, dtype):
        return jfn(jnp.asarray(x, dtype))

    impl.__name__ = f"_{name}"
    if backward_name:
        impl.backward_name = backward_name
    if saves:
        impl.saves = saves

    def op(input: Tensor, *, out=None) -> Tensor:
        d = input.dtype
        if to_float:
            d = _float_of(d)
        elif not ints_ok and d.kind < 2:
            raise RuntimeError(f"\"{name}\" not implemented for '{d.name}'")
        return apply(impl, input, dtype=d.np)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return tensor_op(op, inplace=True)


exp = _unary(jnp.exp, "exp", "Elementwise ``e ** x``.")
log = _unary(jnp.log, "log", "Elementwise natural logarithm.", saves=(0,))
sqrt = _unary(jnp.sqrt, "sqrt", "Elementwise square root.")
rsqrt = _unary(jax.lax.rsqrt, "rsqrt", "Elementwise ``1 / sqrt(x)``.")
sigmoid = _unary(jax.nn.sigmoid, "sigmoid", "Elementwise logistic sigmoid ``1 / (1 + e^-x)``.")
tanh = _unary(jnp.tanh, "tanh", "Elementwise hyperbolic tangent.")
sin = _unary(jnp.sin, "sin", "Elementwise sine.", saves=(0,))
cos = _unary(jnp.cos, "cos", "Elementwise cosine.", saves=(0,))
neg = _unary(jnp.negative, "neg", "Elementwise negation.", to_float=False)
abs = _unary(jnp.abs, "abs", "Elementwise absolute value.", to_float=False)  # noqa: A001
alias(neg, "negative", inplace=True)
alias(abs, "absolute", inplace=True)


# -- comparisons ----------------------------------------------------------------------------------


def _compare(jfn, name: str, doc: str, aliases=()):
    def impl(a, b, *, dtype):
        return jfn(jnp.asarray(a, dtype), jnp.asarray(b, dtype))

    impl.__name__ = f"_{name}"

    def op(input: Tensor, other, *, out=None) -> Tensor:
        other = _check_operand(other, name)
        return apply(impl, input, other, dtype=promote(input, other).np)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return tensor_op(op, inplace=True, aliases=aliases)


eq = _compare(jnp.equal, "eq", "Elementwise ``input == other`` (bool result).")
ne = _compare(jnp.not_equal, "ne", "Elementwise ``input != other``.", ("not_equal",))
lt = _compare(jnp.less, "lt", "Elementwise ``input < other``.", ("less",))
le = _compare(jnp.less_equal, "le", "Elementwise ``input <= other``.", ("less_equal",))
gt = _compare(jnp.greater, "gt", "Elementwise ``input > other``.", ("greater",))
ge = _compare(jnp.greater_equal, "ge", "Elementwise ``input >= other``.", ("greater_equal",))


def _nan_max(a, b):
    # torch.maximum propagates NaN from either side
    return (
        jnp.where(jnp.isnan(a) | jnp.isnan(b), a + b, jnp.maximum(a, b))
        if jnp.issubdtype(a.dtype, jnp.inexact)
        else jnp.maximum(a, b)
    )


def _nan_min(a, b):
    return (
        jnp.where(jnp.isnan(a) | jnp.isnan(b), a + b, jnp.minimum(a, b))
        if jnp.issubdtype(a.dtype, jnp.inexact)
        else jnp.minimum(a, b)
    )


maximum = tensor_op(_binary(_nan_max, "maximum"))
maximum.__name__ = "maximum"
maximum.__doc__ = "Elementwise maximum (NaN if either input is NaN)."
minimum = tensor_op(_binary(_nan_min, "minimum"))
minimum.__name__ = "minimum"
minimum.__doc__ = "Elementwise minimum (NaN if either input is NaN)."


def _where_impl(c, a, b, *, dtype):
    return jnp.where(c, jnp.asarray(a, dtype), jnp.asarray(b, dtype))


_where_impl.backward_name = "WhereBackward0"


@tensor_op
def where(condition: Tensor, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` else ``other``; with one argument, ``nonzero(as_tuple)``."""
    if input is None and other is None:
        from ptjax._ops.indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if condition.dtype is not D.bool:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_title(condition.dtype)}"
        )
    return apply(_where_impl, condition, input, other, dtype=promote(input, other).np)


def _title(d):
    from ptjax._tensor import _type_title

    return _type_title(d)


Tensor.where = lambda self, condition, other: where(condition, self, other)


def _clamp_impl(x, lo, hi, *, dtype):
    x = jnp.asarray(x, dtype)
    if lo is not None:
        x = jnp.where(jnp.isnan(x), x, jnp.maximum(x, jnp.asarray(lo, dtype)))
    if hi is not None:
        x = jnp.where(jnp.isnan(x), x, jnp.minimum(x, jnp.asarray(hi, dtype)))
    return x


_clamp_impl.backward_name = "ClampBackward1"


@tensor_op(inplace=True, aliases=("clip",))
def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002
    """Clamp each element into ``[min, max]`` (either bound may be None or a tensor)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = promote(*(x for x in (input, min, max) if x is not None))
    return apply(_clamp_impl, input, min, max, dtype=dt.np)


# -- operators ------------------------------------------------------------------------------------


def _reflected(fn):
    def r(self, other):
        other = _check_operand(other, fn.__name__)
        if isinstance(other, Tensor):
            return fn(other, self)
        return (
            fn(Tensor._make(jnp.asarray(other)), self) if False else _scalar_first(fn, other, self)
        )

    return r


def _scalar_first(fn, scalar, tensor):
    """``scalar <op> tensor``: the number is weak, so promotion is the same as tensor-first."""
    dt = promote(tensor, scalar)
    if fn is div:
        dt = _float_of(dt)
    return fn(Tensor._make(jnp.asarray(scalar, dt.np)), tensor)


def _iop(inplace_name):
    def iop(self, other):
        return getattr(self, inplace_name)(other)

    return iop


Tensor.__add__ = add
Tensor.__radd__ = lambda self, other: add(self, other)
Tensor.__iadd__ = _iop("add_")
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: (
    _scalar_first(sub, other, self) if not isinstance(other, Tensor) else sub(other, self)
)
Tensor.__isub__ = _iop("sub_")
Tensor.__mul__ = mul
Tensor.__rmul__ = lambda self, other: mul(self, other)
Tensor.__imul__ = _iop("mul_")
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: (
    _scalar_first(div, other, self) if not isinstance(other, Tensor) else div(other, self)
)
Tensor.__itruediv__ = _iop("div_")
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = lambda self, other: _scalar_first(floor_divide, other, self)
Tensor.__ifloordiv__ = _iop("floor_divide_")
Tensor.__mod__ = remainder
Tensor.__rmod__ = lambda self, other: _scalar_first(remainder, other, self)
Tensor.__imod__ = _iop("remainder_")
Tensor.__pow__ = pow
Tensor.__rpow__ = lambda self, other: pow(other, self)
Tensor.__ipow__ = _iop("pow_")
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs
Tensor.__eq__ = eq
Tensor.__ne__ = ne
Tensor.__lt__ = lt
Tensor.__le__ = le
Tensor.__gt__ = gt
Tensor.__ge__ = ge
