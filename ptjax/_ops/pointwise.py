"""Elementwise ops with torch's type promotion: arithmetic, math functions, comparisons,
logical and bitwise ops, rounding, clamping, and the Python operators of Tensor.

Families of ops are built by factories (``_unary``, ``_binary``) from one JAX function each; the
Tensor methods, in-place variants, top-level ``torch.op_`` forms and aliases come from the same
definition. Where JAX's derivative differs from torch's at special points (kinks, ties, zeros)
the JAX function is written so that its derivative is torch's.
"""

from __future__ import annotations

import builtins
import functools
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops._registry import alias, tensor_op
from ptjax._tensor import Tensor, _type_title, promotion_signature
from ptjax.amp.autocast_mode import CUDA, FP32, autocast_op
from ptjax.autograd.grad_mode import state as _grad_state

__all__ = [
    "result_type",
    # arithmetic
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "div",
    "divide",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "pow",
    "float_power",
    "neg",
    "positive",
    "reciprocal",
    "square",
    "abs",
    "sign",
    "sgn",
    "addcmul",
    "addcdiv",
    "lerp",
    "hypot",
    "copysign",
    "xlogy",
    "logaddexp",
    "logaddexp2",
    # exp / log / trig / special
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "sigmoid",
    "logit",
    "erf",
    "erfc",
    "erfinv",
    "lgamma",
    "digamma",
    "sinc",
    "deg2rad",
    "rad2deg",
    "relu",
    # clamping, selection, rounding
    "clamp",
    "clamp_min",
    "clamp_max",
    "where",
    "round",
    "floor",
    "ceil",
    "trunc",
    "frac",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    # classification
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "isreal",
    "nan_to_num",
    "signbit",
    # logical, bitwise, comparison
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "equal",
    "isclose",
    "allclose",
    # complex
    "conj",
    "angle",
]

_module = sys.modules[__name__]
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3
_INEXACT = frozenset((_FLOAT, _COMPLEX))
_NUMERIC = frozenset((_INT, _FLOAT, _COMPLEX))
_INTEGRAL = frozenset((_BOOL, _INT))
_NUMBER = (bool, int, float, complex)


# -- promotion and argument checks -----------------------------------------------------------------


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
    return d if d.kind >= _FLOAT else D._default[0]


def _dtype_of(x) -> D.dtype:
    return x.dtype if isinstance(x, Tensor) else D.scalar_dtype(x)


def _kernel_error(kernel: str, d: D.dtype) -> NotImplementedError:
    """torch's error for a dtype its CPU kernel does not handle."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_title(d)}'")


def _typename(x) -> str:
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _arg(x, op: str, pos: int, name: str, number_ok: bool):
    """``x`` as a Tensor or Python number for ``op``; anything else raises torch's TypeError.

    JAX arrays are accepted as tensors (interop); numpy scalars count as numbers.
    """
    if isinstance(x, Tensor):
        return x
    if number_ok:
        if isinstance(x, _NUMBER):
            return x
        if isinstance(x, np.generic):
            return x.item()
    if isinstance(x, jax.Array):
        return Tensor._make(x)
    raise TypeError(
        f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {_typename(x)}"
    )


# Python bindings with one signature name the bad argument; those with Tensor and Scalar
# overloads report the whole call
_ONE_SIGNATURE = frozenset(("add", "sub", "mul", "div", "rsub"))


def _invalid_combination(op: str, args) -> TypeError:
    got = ", ".join("Tensor" if isinstance(a, Tensor) else _typename(a) for a in args)
    return TypeError(
        f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:"
    )


def _operands(op: str, input, other, number_input: bool, number_other: bool):
    try:
        a = _arg(input, op, 1, "input", number_input)
        b = _arg(other, op, 2, "other", number_other)
    except TypeError:
        if number_other and op not in _ONE_SIGNATURE:
            raise _invalid_combination(op, (input, other)) from None
        raise
    input, other = a, b
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"{op}(): argument 'input' (position 1) must be Tensor, not {_typename(input)}"
        )
    return input, other


def _broadcast_error(shapes) -> RuntimeError | None:
    """torch's message for the first operand shape that does not broadcast with the ones before."""
    acc: tuple = ()
    for s in shapes:
        n = builtins.max(len(acc), len(s))
        a = (1,) * (n - len(acc)) + tuple(acc)
        b = (1,) * (n - len(s)) + tuple(s)
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                    f"non-singleton dimension {i}"
                )
        acc = tuple(x if y == 1 else y for x, y in zip(a, b))
    return None


def _run(impl, *args, **static):
    """``apply``, with torch's message when the operands' shapes do not broadcast."""
    try:
        return apply(impl, *args, **static)
    except (TypeError, ValueError):
        err = _broadcast_error([tuple(a.shape) for a in args if isinstance(a, Tensor)])
        if err is not None:
            raise err from None
        raise


def _check_divisor(other) -> None:
    """Integer division by zero raises, as in torch (only checkable on concrete values)."""
    v = other._value if isinstance(other, Tensor) else other
    if isinstance(v, jax.core.Tracer):
        return
    if bool(np.any(np.asarray(v) == 0)):
        raise RuntimeError("ZeroDivisionError")


def _out(result: Tensor, out, op: str) -> Tensor:
    """Write ``result`` into the ``out=`` tensor as torch does (cast, resize), or return it."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {_typename(out)}")
    if result._rg or (out._rg and _grad_state.enabled):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    if not D.can_cast(result.dtype, out.dtype):
        raise RuntimeError(
            f"result type {_type_title(result.dtype)} can't be cast to the desired output type "
            f"{_type_title(out.dtype)}"
        )
    if out.shape != result.shape and out._base is None:
        out._val = result._value.astype(out.dtype.np)  # torch resizes ``out``
        out._ver += 1
        return out
    return out._assign(result)


def _export(fn, name: str) -> None:
    """Make ``fn`` a public module-level name (listed in ``__all__``)."""
    fn.__name__ = fn.__qualname__ = name
    setattr(_module, name, fn)
    if name not in __all__:
        __all__.append(name)


def _top_inplace(*names: str) -> None:
    """torch's top-level in-place functions (``torch.exp_(x)``) for these ops."""
    for name in names:

        def f(input: Tensor, *args, _m=name + "_", **kwargs) -> Tensor:
            return getattr(input, _m)(*args, **kwargs)

        f.__doc__ = f"In-place version of :func:`{name}`."
        _export(f, name + "_")


def _variant(fn, backward_name: str):
    """The same implementation under another backward name (torch names overloads apart)."""

    def impl(*args, **kwargs):
        return fn(*args, **kwargs)

    impl.__dict__.update(fn.__dict__)  # saves, wrapped_scalars, ...
    impl.__name__ = fn.__name__ + "_" + backward_name
    impl.backward_name = backward_name
    return impl


def _nondifferentiable(fn, torch_name: str):
    """``fn`` whose backward raises torch's "derivative ... is not implemented" error."""

    @jax.custom_vjp
    def g(a, b):
        return fn(a, b)

    def fwd(a, b):
        return fn(a, b), None

    def bwd(res, ct):
        raise RuntimeError(f"derivative for aten::{torch_name} is not implemented")

    g.defvjp(fwd, bwd)
    return g


# -- jax functions whose derivatives follow torch's ------------------------------------------------


@jax.custom_jvp
def _abs(x):
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    # torch: grad * sgn(x), so abs'(0) = 0 (JAX's own rule gives 1)
    (x,), (dx,) = primals, tangents
    if jnp.iscomplexobj(x):  # |z| changes by Re(conj(sgn z) dz); sgn(0) = 0 as in torch
        return jnp.abs(x), jnp.real(jnp.conj(_sgn(x)) * dx)
    return jnp.abs(x), jnp.sign(x) * dx


def _sign(x):
    if x.dtype == jnp.bool_:
        return x
    s = jnp.sign(x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        s = jnp.where(jnp.isnan(x), jnp.zeros_like(s), s)  # torch: sign(nan) = 0
    return s


def _sgn(x):
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        a = jnp.abs(x)
        return jnp.where(a == 0, jnp.zeros_like(x), x / jnp.where(a == 0, 1, a))
    return _sign(x)


@jax.custom_jvp
def _torch_pow(a, b):
    return jnp.power(a, b)


@_torch_pow.defjvp
def _torch_pow_jvp(primals, tangents):
    # torch's pow_backward_self / pow_backward_exponent: an exponent of 0 passes no gradient to
    # the base, and a zero base with a non-negative exponent passes none to the exponent
    a, b = primals
    da, db = tangents
    out = jnp.power(a, b)
    zero = jnp.zeros((), out.dtype)
    ga = jnp.where(b == 0, zero, b * jnp.power(a, b - 1))
    gb = jnp.where((a == 0) & (jnp.real(b) >= 0), zero, out * jnp.log(a))
    return out, ga * da + gb * db


def _int_pow_elementwise(a, b):
    """Integer power with torch's results for negative exponents (0 unless the base is +-1)."""
    pos = jnp.power(a, jnp.maximum(b, 0).astype(a.dtype))
    if not jnp.issubdtype(a.dtype, jnp.signedinteger):
        return pos
    one = jnp.ones((), a.dtype)
    neg = jnp.where(
        a == 1, one, jnp.where(a == -1, jnp.where(b % 2 == 0, one, -one), jnp.zeros((), a.dtype))
    )
    return jnp.where(b < 0, neg, pos)


def _pow_any(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        return _int_pow_elementwise(a, b)
    return _torch_pow(a, b)


@jax.custom_jvp
def _hypot(a, b):
    return jnp.hypot(a, b)


@_hypot.defjvp
def _hypot_jvp(primals, tangents):
    # torch: grad * x / hypot(x, y), so NaN at (0, 0) where JAX's rule gives 0.5
    (a, b), (da, db) = primals, tangents
    out = jnp.hypot(a, b)
    return out, (a * da + b * db) / out


def _logaddexp_base(a, b, exp, log1p_scale):
    m = jnp.maximum(a, b)
    out = m + jnp.log1p(exp(-jnp.abs(a - b))) * log1p_scale
    return jnp.where(jnp.isinf(a) & (a == b), a, out)


@jax.custom_jvp
def _logaddexp(a, b):
    return _logaddexp_base(a, b, jnp.exp, 1.0)


@_logaddexp.defjvp
def _logaddexp_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    return _logaddexp(a, b), da / (1 + jnp.exp(b - a)) + db / (1 + jnp.exp(a - b))


@jax.custom_jvp
def _logaddexp2(a, b):
    return _logaddexp_base(a, b, jnp.exp2, 1 / math.log(2))


@_logaddexp2.defjvp
def _logaddexp2_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    return _logaddexp2(a, b), da / (1 + jnp.exp2(b - a)) + db / (1 + jnp.exp2(a - b))


def _xlogy_value(x, y):
    out = jnp.where(x == 0, jnp.zeros_like(x), x * jnp.log(y))
    return jnp.where(jnp.isnan(y), y, out)


@jax.custom_jvp
def _xlogy(x, y):
    return _xlogy_value(x, y)


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    # torch: d/dx = xlogy(1, y) except 0 where x == 0 and y <= 0; d/dy = x / y
    (x, y), (dx, dy) = primals, tangents
    gx = jnp.where((x == 0) & (y <= 0), jnp.zeros_like(x), _xlogy_value(jnp.ones_like(x), y))
    return _xlogy(x, y), gx * dx + x / y * dy


@jax.custom_jvp
def _copysign(a, b):
    return jnp.copysign(a, b)


@_copysign.defjvp
def _copysign_jvp(primals, tangents):
    # torch: grad * result / self, 0 where self == 0; the sign source gets no gradient
    (a, b), (da, _) = primals, tangents
    out = jnp.copysign(a, b)
    ratio = jnp.where(a == 0, jnp.zeros_like(out), out / jnp.where(a == 0, 1, a))
    return out, ratio * da


@jax.custom_jvp
def _digamma(x):
    # torch: digamma(+-0) = -+inf (JAX gives NaN there)
    return jnp.where(x == 0, jnp.copysign(jnp.inf, -x).astype(x.dtype), jax.lax.digamma(x))


_digamma.defjvps(lambda dx, out, x: jax.scipy.special.polygamma(1, x) * dx)


@jax.custom_jvp
def _lgamma(x):
    return jax.lax.lgamma(x)


# torch: lgamma' = digamma, with digamma's values at +-0
_lgamma.defjvps(lambda dx, out, x: _digamma(x) * dx)


def _floor_div_float(a, b):
    # torch's div_floor_floating: from fmod, so that e.g. 1.0 // 0.1 == 9.0, as in Python
    mod = jnp.fmod(a, b)
    div = (a - mod) / b
    div = jnp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    floordiv = jnp.floor(div)
    floordiv = jnp.where(div - floordiv > 0.5, floordiv + 1, floordiv)
    signed_zero = jnp.copysign(jnp.zeros_like(div), a / b)
    return jnp.where(b == 0, a / b, jnp.where(div == 0, signed_zero, floordiv))


def _floor_div(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        return jnp.floor_divide(a, b)
    return _floor_div_float(a, b)


def _trunc_div(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        return jax.lax.div(a, jnp.where(b == 0, jnp.ones_like(b), b))
    return jnp.trunc(a / b)


def _remainder_fn(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        return jnp.remainder(a, b)
    mod = jnp.fmod(a, b)
    return jnp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


def _nan_extreme(pick):
    """maximum/minimum: NaN from either side propagates, and ties split the gradient (JAX's rule
    for lax.max/min, and torch's)."""

    def f(a, b):
        if not jnp.issubdtype(a.dtype, jnp.inexact):
            return pick(a, b)
        return jnp.where(jnp.isnan(a) | jnp.isnan(b), a + b, pick(a, b))

    return f


def _fmax_fn(a, b):
    # torch: the first input wins ties and whenever the second is NaN
    return jnp.where((a >= b) | _isnan(b), a, b)


def _fmin_fn(a, b):
    return jnp.where((a <= b) | _isnan(b), a, b)


def _isnan(x):
    return jnp.isnan(x) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.zeros(x.shape, bool)


def _shift_left(a, b):
    a, b = jnp.broadcast_arrays(a, b)  # lax shifts do not broadcast
    bits = jnp.iinfo(a.dtype).bits
    out = jax.lax.shift_left(a, jnp.clip(b, 0, bits - 1).astype(a.dtype))
    return jnp.where((b < 0) | (b >= bits), jnp.zeros_like(a), out)


def _shift_right(a, b):
    # signed shifts past the width fill with the sign bit, unsigned ones give 0, as in torch
    a, b = jnp.broadcast_arrays(a, b)
    bits = jnp.iinfo(a.dtype).bits
    over = (b < 0) | (b >= bits)
    if jnp.issubdtype(a.dtype, jnp.signedinteger):
        return jax.lax.shift_right_arithmetic(a, jnp.where(over, bits - 1, b).astype(a.dtype))
    out = jax.lax.shift_right_logical(a, jnp.clip(b, 0, bits - 1).astype(a.dtype))
    return jnp.where(over, jnp.zeros_like(a), out)


def _relu(x):
    # torch: relu'(0) = 0, NaN stays NaN and passes the gradient
    return jnp.where(x <= 0, jnp.zeros_like(x), x)


def _float_only(fn):
    """``fn`` on floating inputs; integer inputs pass through unchanged (floor, round, ...)."""

    def f(x):
        return fn(x) if jnp.issubdtype(x.dtype, jnp.inexact) else x

    return f


# -- unary ops --------------------------------------------------------------------------------------


def _unary(
    name: str,
    jfn,
    doc: str,
    *,
    kind: str = "float",
    reject=None,
    inplace: bool = True,
    top: bool = True,
    aliases: tuple = (),
    saves: bool = False,
    saves_output: bool = False,
    backward_name: str | None = None,
    fp32_autocast: tuple[str, ...] = (),
):
    """A unary op ``jfn(x)``.

    ``kind``: ``'float'`` computes integer and bool inputs in the default float dtype,
    ``'same'`` keeps the input dtype, ``'bool'`` returns a bool mask. ``reject(dtype)`` returns
    the exception torch raises for an unsupported input dtype, or None. ``top`` also exports
    ``torch.<name>_``. ``fp32_autocast``: the autocast device types whose policy computes the
    op in float32.
    """

    def impl(x, *, dtype):
        return jfn(jnp.asarray(x, dtype))

    impl.__name__ = f"_{name}"
    if backward_name:
        impl.backward_name = backward_name
    if saves:
        impl.saves = (0,)
    if saves_output:
        impl.saves_output = True  # torch's backward reads the result (see _dispatch._saves_spec)

    def op(input: Tensor, *, out=None) -> Tensor:
        if not isinstance(input, Tensor):
            input = _arg(input, name, 1, "input", False)
        d = input.dtype
        if reject is not None:
            err = reject(d)
            if err is not None:
                raise err
        if kind == "float":
            d = _float_of(d)
        return _out(apply(impl, input, dtype=d.np), out, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    if fp32_autocast:
        op = autocast_op(FP32, fp32_autocast)(op)
    tensor_op(op, inplace=inplace, aliases=aliases)
    if inplace and top:
        _top_inplace(name, *aliases)
    return op


def _no_bool(kernel: str):
    return lambda d: _kernel_error(kernel, d) if d is D.bool else None


def _no_integral(kernel: str):
    return lambda d: _kernel_error(kernel, d) if d.kind in _INTEGRAL else None


exp = _unary("exp", jnp.exp, "Elementwise ``e ** x``.", saves_output=True, fp32_autocast=CUDA)
exp2 = _unary("exp2", jnp.exp2, "Elementwise ``2 ** x``.", saves_output=True)
expm1 = _unary(
    "expm1",
    jnp.expm1,
    "Elementwise ``e ** x - 1``, accurate near 0.",
    saves_output=True,
    fp32_autocast=CUDA,
)
log = _unary("log", jnp.log, "Elementwise natural logarithm.", saves=True, fp32_autocast=CUDA)
log2 = _unary("log2", jnp.log2, "Elementwise base-2 logarithm.", saves=True, fp32_autocast=CUDA)
log10 = _unary("log10", jnp.log10, "Elementwise base-10 logarithm.", saves=True, fp32_autocast=CUDA)
log1p = _unary(
    "log1p",
    jnp.log1p,
    "Elementwise ``log(1 + x)``, accurate near 0.",
    saves=True,
    fp32_autocast=CUDA,
)
sqrt = _unary("sqrt", jnp.sqrt, "Elementwise square root.", saves_output=True)
rsqrt = _unary(
    "rsqrt", jax.lax.rsqrt, "Elementwise ``1 / sqrt(x)``.", saves_output=True, fp32_autocast=CUDA
)
sin = _unary("sin", jnp.sin, "Elementwise sine.", saves=True)
cos = _unary("cos", jnp.cos, "Elementwise cosine.", saves=True)
tan = _unary("tan", jnp.tan, "Elementwise tangent.", fp32_autocast=CUDA)
asin = _unary(
    "asin", jnp.arcsin, "Elementwise arcsine.", aliases=("arcsin",), saves=True, fp32_autocast=CUDA
)
acos = _unary(
    "acos",
    jnp.arccos,
    "Elementwise arccosine.",
    aliases=("arccos",),
    saves=True,
    fp32_autocast=CUDA,
)
atan = _unary("atan", jnp.arctan, "Elementwise arctangent.", aliases=("arctan",), saves=True)
sinh = _unary("sinh", jnp.sinh, "Elementwise hyperbolic sine.", saves=True, fp32_autocast=CUDA)
cosh = _unary("cosh", jnp.cosh, "Elementwise hyperbolic cosine.", saves=True, fp32_autocast=CUDA)
tanh = _unary("tanh", jnp.tanh, "Elementwise hyperbolic tangent.", saves_output=True)
asinh = _unary("asinh", jnp.arcsinh, "Elementwise inverse hyperbolic sine.", aliases=("arcsinh",))
acosh = _unary("acosh", jnp.arccosh, "Elementwise inverse hyperbolic cosine.", aliases=("arccosh",))
atanh = _unary(
    "atanh", jnp.arctanh, "Elementwise inverse hyperbolic tangent.", aliases=("arctanh",)
)
sigmoid = _unary(
    "sigmoid",
    jax.nn.sigmoid,
    "Elementwise logistic sigmoid ``1 / (1 + e^-x)``.",
    saves_output=True,
)
erf = _unary("erf", jax.lax.erf, "Elementwise Gauss error function.", saves=True)
erfc = _unary("erfc", jax.lax.erfc, "Elementwise complementary error function.", saves=True)
erfinv = _unary(
    "erfinv", jax.lax.erf_inv, "Elementwise inverse error function.", top=False, fp32_autocast=CUDA
)
lgamma = _unary("lgamma", _lgamma, "Elementwise ``log|Gamma(x)|``.", top=False, saves=True)
digamma = _unary("digamma", _digamma, "Elementwise logarithmic derivative of Gamma.", top=False)
sinc = _unary("sinc", jnp.sinc, "Elementwise normalized sinc ``sin(pi x) / (pi x)``.", saves=True)
deg2rad = _unary("deg2rad", lambda x: x * (math.pi / 180), "Degrees to radians, elementwise.")
rad2deg = _unary("rad2deg", lambda x: x * (180 / math.pi), "Radians to degrees, elementwise.")
reciprocal = _unary(
    "reciprocal", jnp.reciprocal, "Elementwise ``1 / x``.", saves_output=True, fp32_autocast=CUDA
)
relu = _unary(
    "relu",
    _relu,
    "Elementwise ``max(x, 0)``.",
    kind="same",
    reject=lambda d: RuntimeError("Boolean inputs not supported for relu") if d is D.bool else None,
    saves_output=True,
)
neg = _unary(
    "neg",
    jnp.negative,
    "Elementwise negation.",
    kind="same",
    aliases=("negative",),
    reject=lambda d: (
        RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
        if d is D.bool
        else None
    ),
)
abs = _unary(  # noqa: A001 - torch's name
    "abs", _abs, "Elementwise absolute value.", kind="same", reject=_no_bool("abs_cpu"), saves=True
)
alias(abs, "absolute", inplace=True)
sign = _unary("sign", _sign, "Elementwise sign: -1, 0 or 1.", kind="same", top=False)
sgn = _unary(
    "sgn", _sgn, "Sign, extended to complex inputs as ``x / |x|``.", kind="same", top=False
)


def _rounding(name: str, jfn, doc: str, aliases: tuple = ()):
    """floor/ceil/trunc: integer inputs pass through unchanged; bool has no kernel."""
    reject = _no_bool(f"{name}_vml_cpu")
    return _unary(name, _float_only(jfn), doc, kind="same", aliases=aliases, reject=reject)


floor = _rounding("floor", jnp.floor, "Elementwise floor.")
ceil = _rounding("ceil", jnp.ceil, "Elementwise ceiling.")
trunc = _rounding("trunc", jnp.trunc, "Elementwise rounding toward zero.", ("fix",))
frac = _unary(
    "frac",
    lambda x: x - jnp.trunc(x),
    "Elementwise fractional part ``x - trunc(x)``.",
    kind="same",
    reject=_no_integral("frac_cpu"),
)
logical_not = _unary(
    "logical_not", jnp.logical_not, "Elementwise logical NOT (bool result).", kind="bool", top=False
)
bitwise_not = _unary(
    "bitwise_not",
    jnp.invert,
    "Elementwise bitwise NOT of integer or bool tensors.",
    kind="same",
    top=False,
    reject=lambda d: _kernel_error("bitwise_not_cpu", d) if d.kind not in _INTEGRAL else None,
)


def _mask(name: str, jfn, doc: str, integral_value: bool = False):
    """A bool-valued test of floating values; integer and bool inputs give ``integral_value``."""

    def f(x):
        if jnp.issubdtype(x.dtype, jnp.inexact):
            return jfn(x)
        return jnp.full(x.shape, integral_value)

    return _unary(name, f, doc, kind="bool", inplace=False)


isnan = _mask("isnan", jnp.isnan, "True where ``input`` is NaN.")
isinf = _mask("isinf", jnp.isinf, "True where ``input`` is +inf or -inf.")
isfinite = _mask("isfinite", jnp.isfinite, "True where ``input`` is finite.", True)
isposinf = _mask("isposinf", jnp.isposinf, "True where ``input`` is +inf.")
isneginf = _mask("isneginf", jnp.isneginf, "True where ``input`` is -inf.")
isreal = _mask(
    "isreal",
    lambda x: jnp.imag(x) == 0 if jnp.iscomplexobj(x) else jnp.ones(x.shape, bool),
    "True where ``input`` has no imaginary part.",
    True,
)
signbit = _unary(
    "signbit",
    lambda x: jnp.signbit(x) if jnp.issubdtype(x.dtype, jnp.floating) else x < 0,
    "True where the sign bit is set (including -0.0).",
    kind="bool",
    inplace=False,
)


def _round_impl(x, *, dtype, decimals):
    x = jnp.asarray(x, dtype)
    if not jnp.issubdtype(dtype, jnp.inexact):
        return x
    if decimals == 0:
        return jnp.round(x)
    # torch scales by 10**|decimals| in the input dtype and rounds half to even
    scale = jnp.asarray(10.0 ** builtins.abs(decimals), dtype)
    if decimals > 0:
        return jnp.round(x * scale) / scale
    return jnp.round(x / scale) * scale


_round_impl.backward_name = "RoundBackward0"
_round_decimals = _variant(_round_impl, "RoundBackward1")


@tensor_op(inplace=True)
def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001
    """Round half to even, to ``decimals`` decimal places (negative: left of the point)."""
    d = input.dtype
    if d is D.bool:
        raise _kernel_error("round_vml_cpu", d)
    if decimals != 0 and d.kind == _INT:
        raise _kernel_error("round_cpu", d)
    impl = _round_impl if decimals == 0 else _round_decimals
    return _out(apply(impl, input, dtype=d.np, decimals=int(decimals)), out, "round")


def _nan_to_num_impl(x, *, dtype, nan, posinf, neginf):
    x = jnp.asarray(x, dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        return x
    info = jnp.finfo(dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    x = jnp.where(jnp.isnan(x), jnp.asarray(nan, dtype), x)
    x = jnp.where(jnp.isposinf(x), jnp.asarray(hi, dtype), x)
    return jnp.where(jnp.isneginf(x), jnp.asarray(lo, dtype), x)


_nan_to_num_impl.backward_name = "NanToNumBackward0"
_nan_to_num_impl.saves = (0,)


@tensor_op(inplace=True)
def nan_to_num(
    input: Tensor,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
    *,
    out=None,
) -> Tensor:
    """Replace NaN by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (defaults: 0 and the
    dtype's largest and lowest finite values)."""
    static = {"nan": float(nan), "posinf": posinf, "neginf": neginf}
    return _out(apply(_nan_to_num_impl, input, dtype=input.dtype.np, **static), out, "nan_to_num")


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _logit_core(x, lo, hi, clamped):
    z = jnp.clip(x, lo, hi) if clamped else x
    return jnp.log(z / (1 - z))


@_logit_core.defjvp
def _logit_jvp(clamped, primals, tangents):
    # torch: outside [0, 1] the gradient is NaN; with eps, outside [eps, 1 - eps] it is 0
    x, lo, hi = primals
    g = 1 / (x * (1 - x))
    if clamped:
        g = jnp.where((x < lo) | (x > hi), jnp.zeros_like(x), g)
    else:
        g = jnp.where((x < 0) | (x > 1), jnp.full_like(x, jnp.nan), g)
    return _logit_core(x, lo, hi, clamped), g * tangents[0]


def _logit_impl(x, *, dtype, eps):
    x = jnp.asarray(x, dtype)
    lo = jnp.asarray(0 if eps is None else eps, dtype)
    return _logit_core(x, lo, 1 - lo, eps is not None)


_logit_impl.backward_name = "LogitBackward0"
_logit_impl.saves = (0,)


@tensor_op(inplace=True)
def logit(input: Tensor, eps: float | None = None, *, out=None) -> Tensor:
    """Elementwise ``log(x / (1 - x))``; with ``eps``, ``x`` is first clamped to
    ``[eps, 1 - eps]``."""
    d = _float_of(input.dtype)
    eps = None if eps is None else float(eps)
    return _out(apply(_logit_impl, input, dtype=d.np, eps=eps), out, "logit")


@tensor_op
def positive(input: Tensor) -> Tensor:
    """Returns ``input`` itself (the unary ``+``)."""
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@tensor_op(inplace=True)
def square(input: Tensor, *, out=None) -> Tensor:
    """Elementwise ``input ** 2`` (bool inputs give int64, as in torch)."""
    return pow(input, 2, out=out)


# -- complex helpers --------------------------------------------------------------------------------


def _conj(x):
    return jnp.conj(x)


_conj.backward_name = "ConjBackward0"


@tensor_op
def conj(input: Tensor) -> Tensor:
    """The complex conjugate; for a real tensor, ``input`` itself."""
    return apply(_conj, input) if input.dtype.is_complex else input


def _angle_impl(x, *, dtype):
    if jnp.iscomplexobj(x):
        return jnp.angle(x)
    x = jnp.asarray(x, dtype)
    # real inputs: pi for negatives, 0 otherwise, NaN kept; no gradient, as in torch
    out = jnp.where(x < 0, jnp.asarray(math.pi, dtype), jnp.zeros((), dtype))
    return jax.lax.stop_gradient(jnp.where(jnp.isnan(x), x, out))


_angle_impl.backward_name = "AngleBackward0"


@tensor_op
def angle(input: Tensor, *, out=None) -> Tensor:
    """Elementwise argument of a complex number (pi or 0 for real inputs)."""
    d = input.dtype
    d = d.to_real() if d.is_complex else _float_of(d)
    return _out(apply(_angle_impl, input, dtype=d.np), out, "angle")


# -- binary ops -------------------------------------------------------------------------------------


def _binary(
    name: str,
    jfn,
    doc: str,
    *,
    result: str = "same",
    kinds=None,
    kernel: str | None = None,
    number_input: bool = False,
    number_other: bool = True,
    int_divisor: bool = False,
    inplace: bool = True,
    aliases: tuple = (),
    nondiff_number_input: bool = False,
    backward_names: tuple | None = None,
):
    """A binary op ``jfn(a, b)`` computed in the promoted dtype.

    ``result``: ``'same'`` returns the promoted dtype, ``'float'`` computes integer operands in
    the default float dtype, ``'bool'`` means ``jfn`` returns a bool mask. ``kinds``: the dtype
    kinds torch's kernel accepts (others raise ``kernel``'s NotImplementedError).
    ``nondiff_number_input``: torch has no derivative when ``input`` is a number.
    """

    def impl(a, b, *, dtype):
        return jfn(jnp.asarray(a, dtype), jnp.asarray(b, dtype))

    impl.__name__ = f"_{name}"
    impl.wrapped_scalars = (0, 1)  # torch wraps a number operand into a tensor input
    impl_number_other = impl_number_input = impl
    if backward_names:
        impl.backward_name = backward_names[0]
        impl_number_other = _variant(impl, backward_names[1])
        if backward_names[2]:
            impl_number_input = _variant(impl, backward_names[2])
    if nondiff_number_input:
        nondiff = _nondifferentiable(jfn, name)

        def impl_number_input(a, b, *, dtype):
            return nondiff(jnp.asarray(a, dtype), jnp.asarray(b, dtype))

        impl_number_input.backward_name = "NotImplemented"

    def make(opname: str):
        def op(input, other, *, out=None) -> Tensor:
            input, other = _operands(opname, input, other, number_input, number_other)
            dt = promote(input, other)
            if kinds is not None and dt.kind not in kinds:
                raise _kernel_error(kernel or f"{name}_cpu", dt)
            if result == "float":
                dt = _float_of(dt)
            elif int_divisor and dt.kind == _INT:
                _check_divisor(other)
            if not isinstance(input, Tensor):
                f = impl_number_input
            else:
                f = impl if isinstance(other, Tensor) else impl_number_other
            return _out(_run(f, input, other, dtype=dt.np), out, opname)

        op.__name__ = op.__qualname__ = opname
        op.__doc__ = doc
        return op

    masks = result == "bool"
    ops = {name: tensor_op(make(name), inplace=inplace and not masks)}
    for a in aliases:  # separate functions, so that errors name the alias as torch does
        ops[a] = tensor_op(make(a), inplace=inplace and not masks)
        _export(ops[a], a)
    if inplace and masks:
        for n, f in ops.items():
            setattr(Tensor, n + "_", _mask_inplace(f, n))
    return ops[name]


def _mask_result(mask, a, b, *, dtype):
    return mask.astype(dtype)


def _mask_inplace(fn, name: str):
    """``x.eq_(y)``: the 0/1 result stays in ``x``'s dtype and, as in torch, keeps ``x``'s place in
    the graph with a zero gradient to both operands."""
    cap = "".join(w.capitalize() for w in name.split("_"))
    impls = (_variant(_mask_result, f"{cap}Backward0"), _variant(_mask_result, f"{cap}Backward1"))

    def inplace(self: Tensor, other) -> Tensor:
        new = fn(self, other)
        tracked = self._rg or (isinstance(other, Tensor) and other._rg)
        if tracked and _grad_state.enabled and self.dtype.kind in _INEXACT:
            impl = impls[isinstance(other, Tensor)]
            new = apply(impl, new, self, other, dtype=self.dtype.np)
        return self._assign(new)

    inplace.__name__ = inplace.__qualname__ = name + "_"
    inplace.__doc__ = f"In-place version of :meth:`Tensor.{name}`."
    return inplace


def _check_alpha(alpha, dt: D.dtype) -> None:
    if isinstance(alpha, bool) and dt is not D.bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dt.kind in _INTEGRAL and not isinstance(alpha, int | np.integer):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if dt.kind != _COMPLEX and isinstance(alpha, complex):
        raise RuntimeError(
            "For non-complex input tensors, argument alpha must not be a complex number."
        )


def _add_impl(a, b, alpha, *, dtype, scaled):
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    return a + b * jnp.asarray(alpha, dtype) if scaled else a + b


_add_impl.backward_name = "AddBackward0"
_add_impl.wrapped_scalars = (0, 1)


@tensor_op(inplace=True)
def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``, with broadcasting and type promotion."""
    input, other = _operands("add", input, other, True, True)
    dt = promote(input, other)
    scaled = alpha is not None and not (type(alpha) is int and alpha == 1)
    if scaled:
        _check_alpha(alpha, dt)
    return _out(_run(_add_impl, input, other, alpha, dtype=dt.np, scaled=scaled), out, "add")


def _check_bool_sub(a, b, dt: D.dtype) -> None:
    # Python numbers count as 0-dim tensors of their dtype here, as in torch
    if dt is D.bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if _dtype_of(a) is D.bool or _dtype_of(b) is D.bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def _sub_impl(a, b, alpha, *, dtype, scaled):
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    return a - b * jnp.asarray(alpha, dtype) if scaled else a - b


_sub_impl.backward_name = "SubBackward0"
_sub_impl.wrapped_scalars = (0, 1)


def _rsub_impl(a, b, alpha, *, dtype, scaled):
    return _sub_impl(b, a, alpha, dtype=dtype, scaled=scaled)


_rsub_impl.backward_name = "RsubBackward1"


def _subtract(name: str, impl, input, other, alpha, out) -> Tensor:
    input, other = _operands(name, input, other, True, True)
    dt = promote(input, other)
    _check_bool_sub(input, other, dt)
    scaled = not (type(alpha) is int and alpha == 1)
    if scaled:
        _check_alpha(alpha, dt)
    return _out(_run(impl, input, other, alpha, dtype=dt.np, scaled=scaled), out, name)


@tensor_op(inplace=True)
def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``, with broadcasting and type promotion."""
    return _subtract("sub", _sub_impl, input, other, alpha, out)


@tensor_op(inplace=True)
def subtract(input, other, *, alpha=1, out=None) -> Tensor:
    """Alias of :func:`sub`."""
    return _subtract("subtract", _sub_impl, input, other, alpha, out)


@tensor_op(method=False)
def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """``other - alpha * input`` (the reflected subtraction)."""
    return _subtract("rsub", _rsub_impl, input, other, alpha, None)


mul = _binary(
    "mul",
    jnp.multiply,
    "Elementwise product, with broadcasting and type promotion.",
    number_input=True,
    aliases=("multiply",),
)


def _div_impl(a, b, *, dtype, rounding_mode):
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    if rounding_mode is None:
        return a / b
    # rounded quotients pass no gradient (torch: grad * 0)
    q = _trunc_div(a, b) if rounding_mode == "trunc" else _floor_div(a, b)
    return jax.lax.stop_gradient(q)


_div_impl.backward_name = "DivBackward0"
_div_impl.wrapped_scalars = (0, 1)
_div_rounded = _variant(_div_impl, "DivBackward2")


def _divide(input, other, rounding_mode, out, name: str, impl=None) -> Tensor:
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    input, other = _operands(name, input, other, True, True)
    dt = promote(input, other)
    if rounding_mode is None:
        dt = _float_of(dt)
        impl = _div_impl
    else:
        if dt is D.bool:
            raise _kernel_error(f"div_{rounding_mode}_cpu", dt)
        if dt.kind == _INT:
            _check_divisor(other)
        impl = impl or _div_rounded
    return _out(_run(impl, input, other, dtype=dt.np, rounding_mode=rounding_mode), out, name)


@tensor_op(inplace=True)
def div(input, other, *, rounding_mode: str | None = None, out=None) -> Tensor:
    """``input / other``; ``rounding_mode`` None (true division: integers give the default
    float dtype), ``'trunc'`` or ``'floor'`` (integers stay integers)."""
    return _divide(input, other, rounding_mode, out, "div")


@tensor_op(inplace=True)
def divide(input, other, *, rounding_mode: str | None = None, out=None) -> Tensor:
    """Alias of :func:`div`."""
    return _divide(input, other, rounding_mode, out, "divide")


@tensor_op(inplace=True)
def true_divide(input, other, *, out=None) -> Tensor:
    """``input / other`` with true division (integers give the default float dtype)."""
    return _divide(input, other, None, out, "true_divide")


def _floor_divide_impl(a, b, *, dtype, rounding_mode):
    return _floor_divide_nd(jnp.asarray(a, dtype), jnp.asarray(b, dtype))


_floor_divide_nd = _nondifferentiable(_floor_div, "floor_divide")
_floor_divide_impl.backward_name = "NotImplemented"


@tensor_op(inplace=True)
def floor_divide(input, other, *, out=None) -> Tensor:
    """``input // other``, rounding toward negative infinity (not differentiable in torch)."""
    return _divide(input, other, "floor", out, "floor_divide", _floor_divide_impl)


remainder = _binary(
    "remainder",
    _remainder_fn,
    "Python-style modulus: the result has the sign of the divisor.",
    kinds=_NUMERIC,
    number_input=True,
    int_divisor=True,
    nondiff_number_input=True,
    backward_names=("RemainderBackward1", "RemainderBackward0", "NotImplemented"),
)
fmod = _binary(
    "fmod",
    jnp.fmod,
    "C-style modulus: the result has the sign of the dividend.",
    kinds=_NUMERIC,
    int_divisor=True,
    backward_names=("FmodBackward1", "FmodBackward0", None),
)


def _pow_impl(a, b, *, dtype):
    return _pow_any(jnp.asarray(a, dtype), jnp.asarray(b, dtype))


_pow_impl.backward_name = "PowBackward1"
_pow_tensor_scalar = _variant(_pow_impl, "PowBackward0")
_pow_tensor_scalar.saves = (0,)
_pow_scalar_base = _variant(_pow_impl, "PowBackward2")


def _int_pow_impl(a, *, dtype, exponent):
    a = jnp.asarray(a, dtype)
    if exponent == 0:
        return jnp.ones_like(a)
    if exponent == 1:
        return a
    if exponent == 0.5:
        return jnp.sqrt(a)
    if exponent == -0.5:
        return jax.lax.rsqrt(a)
    return jax.lax.integer_pow(a, exponent)


_int_pow_impl.backward_name = "PowBackward0"
_int_pow_impl.saves = (0,)


def _pow(input, exponent, dt: D.dtype) -> Tensor:
    if dt is D.bool:
        if isinstance(input, Tensor) and not isinstance(exponent, Tensor) and exponent in (0, 1):
            # torch answers x ** 0 and x ** 1 before looking at the dtype
            return apply(_int_pow_impl, input, dtype=dt.np, exponent=int(exponent))
        raise _kernel_error("pow", dt)
    if not isinstance(input, Tensor):
        return _run(_pow_scalar_base, input, exponent, dtype=dt.np)
    if isinstance(exponent, Tensor):
        return _run(_pow_impl, input, exponent, dtype=dt.np)
    e = exponent
    if dt.kind == _INT and not isinstance(e, bool) and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if isinstance(e, int | float) and not isinstance(e, bool):
        # torch computes small integral and half powers exactly (x*x, sqrt, ...); so does this
        if float(e).is_integer() and -4 <= e <= 4 and (dt.kind != _INT or e >= 0):
            return apply(_int_pow_impl, input, dtype=dt.np, exponent=int(e))
        if e in (0.5, -0.5) and dt.kind == _FLOAT:
            return apply(_int_pow_impl, input, dtype=dt.np, exponent=float(e))
    return apply(_pow_tensor_scalar, input, exponent, dtype=dt.np)


@tensor_op(inplace=True)
@autocast_op(FP32, CUDA)
def pow(input, exponent, *, out=None) -> Tensor:  # noqa: A001
    """``input ** exponent`` elementwise (either may be a number)."""
    input, exponent = _operands("pow", input, exponent, True, True)
    return _out(_pow(input, exponent, promote(input, exponent)), out, "pow")


def _float_power_dtype(input, exponent) -> D.dtype:
    complex_ = any(_dtype_of(x).is_complex for x in (input, exponent))
    return D.complex128 if complex_ else D.float64


@tensor_op
def float_power(input, exponent, *, out=None) -> Tensor:
    """``input ** exponent`` computed in double precision (float64, or complex128)."""
    input, exponent = _operands("float_power", input, exponent, True, True)
    dt = _float_power_dtype(input, exponent)
    return _out(_pow(input, exponent, dt), out, "float_power")


def _float_power_(self: Tensor, exponent) -> Tensor:
    dt = _float_power_dtype(self, exponent)
    if self.dtype is not dt:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {_type_title(self.dtype)} but the "
            f"operation's result requires dtype {_type_title(dt)}"
        )
    return self._assign(float_power(self, exponent))


Tensor.float_power_ = _float_power_

atan2 = _binary(
    "atan2",
    jnp.arctan2,
    "Elementwise arctangent of ``input / other``, in the quadrant of ``(other, input)``.",
    result="float",
    number_other=False,
    aliases=("arctan2",),
)
hypot = _binary(
    "hypot",
    _hypot,
    "Elementwise ``sqrt(input**2 + other**2)``.",
    kinds=_INEXACT,
    number_other=False,
)
logaddexp = _binary(
    "logaddexp",
    _logaddexp,
    "Elementwise ``log(exp(input) + exp(other))``, computed stably.",
    kinds=_INEXACT,
    number_other=False,
    inplace=False,
)
logaddexp2 = _binary(
    "logaddexp2",
    _logaddexp2,
    "Elementwise ``log2(2**input + 2**other)``, computed stably.",
    kinds=_INEXACT,
    number_other=False,
    inplace=False,
)
copysign = _binary(
    "copysign",
    _copysign,
    "The magnitude of ``input`` with the sign of ``other``, elementwise.",
    result="float",
    backward_names=("CopysignBackward0", "CopysignBackward1", None),
)
xlogy = _binary(
    "xlogy",
    _xlogy,
    "Elementwise ``input * log(other)``, 0 where ``input`` is 0 (NaN where ``other`` is NaN).",
    result="float",
    number_input=True,
    backward_names=("XlogyBackward0", "XlogyBackward2", "XlogyBackward1"),
)
_top_inplace("xlogy")
maximum = _binary(
    "maximum",
    _nan_extreme(jnp.maximum),
    "Elementwise maximum (NaN if either input is NaN).",
    number_other=False,
    inplace=False,
)
minimum = _binary(
    "minimum",
    _nan_extreme(jnp.minimum),
    "Elementwise minimum (NaN if either input is NaN).",
    number_other=False,
    inplace=False,
)
fmax = _binary(
    "fmax",
    _fmax_fn,
    "Elementwise maximum that ignores NaN (NaN only where both are NaN).",
    number_other=False,
    inplace=False,
)
fmin = _binary(
    "fmin",
    _fmin_fn,
    "Elementwise minimum that ignores NaN (NaN only where both are NaN).",
    number_other=False,
    inplace=False,
)


def _compare(name: str, jfn, doc: str, aliases: tuple = ()):
    return _binary(name, jfn, doc, result="bool", aliases=aliases)


eq = _compare("eq", jnp.equal, "Elementwise ``input == other`` (bool result).")
ne = _compare("ne", jnp.not_equal, "Elementwise ``input != other``.", ("not_equal",))
lt = _compare("lt", jnp.less, "Elementwise ``input < other``.", ("less",))
le = _compare("le", jnp.less_equal, "Elementwise ``input <= other``.", ("less_equal",))
gt = _compare("gt", jnp.greater, "Elementwise ``input > other``.", ("greater",))
ge = _compare("ge", jnp.greater_equal, "Elementwise ``input >= other``.", ("greater_equal",))


def _logical(name: str, jfn, doc: str):
    return _binary(name, lambda a, b: jfn(a != 0, b != 0), doc, result="bool", number_other=False)


logical_and = _logical("logical_and", jnp.logical_and, "Elementwise logical AND (bool result).")
logical_or = _logical("logical_or", jnp.logical_or, "Elementwise logical OR (bool result).")
logical_xor = _logical("logical_xor", jnp.logical_xor, "Elementwise logical XOR (bool result).")


def _bitwise(name: str, jfn, doc: str, kinds=_INTEGRAL, kernel: str | None = None):
    return _binary(name, jfn, doc, kinds=kinds, kernel=kernel, number_input=True)


bitwise_and = _bitwise("bitwise_and", jnp.bitwise_and, "Elementwise bitwise AND (ints and bools).")
bitwise_or = _bitwise("bitwise_or", jnp.bitwise_or, "Elementwise bitwise OR (ints and bools).")
bitwise_xor = _bitwise("bitwise_xor", jnp.bitwise_xor, "Elementwise bitwise XOR (ints and bools).")
bitwise_left_shift = _bitwise(
    "bitwise_left_shift",
    _shift_left,
    "Elementwise ``input << other``; shifts past the width give 0.",
    frozenset((_INT,)),
    "lshift_cpu",
)
bitwise_right_shift = _bitwise(
    "bitwise_right_shift",
    _shift_right,
    "Elementwise arithmetic ``input >> other``; shifts past the width fill with the sign.",
    frozenset((_INT,)),
    "rshift_cpu",
)


# -- ternary ops: addcmul, addcdiv, lerp, where, clamp -----------------------------------------------


def _addcmul_impl(x, t1, t2, value, *, dtype):
    x, t1, t2 = (jnp.asarray(v, dtype) for v in (x, t1, t2))
    return x + jnp.asarray(value, dtype) * t1 * t2


def _addcdiv_impl(x, t1, t2, value, *, dtype):
    x, t1, t2 = (jnp.asarray(v, dtype) for v in (x, t1, t2))
    return x + jnp.asarray(value, dtype) * t1 / t2


def _addc(name: str, impl, input, tensor1, tensor2, value, out) -> Tensor:
    for pos, (arg, t) in enumerate((("input", input), ("tensor1", tensor1), ("tensor2", tensor2))):
        _arg(t, name, pos + 1, arg, False)
    dt = promote(input, tensor1, tensor2)
    if name == "addcdiv" and dt.kind in _INTEGRAL:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / "
            "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
            "tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes."
        )
    return _out(_run(impl, input, tensor1, tensor2, value, dtype=dt.np), out, name)


@tensor_op(inplace=True)
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcast."""
    return _addc("addcmul", _addcmul_impl, input, tensor1, tensor2, value, out)


@tensor_op(inplace=True)
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """``input + value * tensor1 / tensor2``, broadcast (floating point only)."""
    return _addc("addcdiv", _addcdiv_impl, input, tensor1, tensor2, value, out)


def _lerp_impl(x, end, weight, *, dtype):
    x, end, w = (jnp.asarray(v, dtype) for v in (x, end, weight))
    # torch's two-sided formula, exact at both ends
    return jnp.where(jnp.abs(w) < 0.5, x + w * (end - x), end - (end - x) * (1 - w))


_lerp_impl.backward_name = "LerpBackward0"
_lerp_tensor = _variant(_lerp_impl, "LerpBackward1")


def _dtype_word(d: D.dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(d.name, d.name)


@tensor_op(inplace=True)
def lerp(input: Tensor, end: Tensor, weight, *, out=None) -> Tensor:
    """``input + weight * (end - input)``; ``weight`` is a number or a tensor."""
    if not isinstance(end, Tensor) or not isinstance(weight, Tensor | int | float):
        raise _invalid_combination("lerp", (input, end, weight))
    d = input.dtype
    if d.kind in _INTEGRAL:
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise _kernel_error(kernel, d)
    if end.dtype is not d:
        raise RuntimeError(
            f"expected dtype {_dtype_word(d)} for `end` but got dtype {_dtype_word(end.dtype)}"
        )
    impl = _lerp_impl
    if isinstance(weight, Tensor):
        impl = _lerp_tensor
        if weight.dtype is not d and weight.dim() > 0:
            raise RuntimeError(
                f"expected dtype {_dtype_word(d)} for `weight` but got dtype "
                f"{_dtype_word(weight.dtype)}"
            )
    return _out(_run(impl, input, end, weight, dtype=d.np), out, "lerp")


def _where_impl(c, a, b, *, dtype):
    return jnp.where(jnp.asarray(c, bool), jnp.asarray(a, dtype), jnp.asarray(b, dtype))


_where_impl.backward_name = "WhereBackward0"
_where_impl.wrapped_scalars = (1, 2)


@tensor_op
def where(condition: Tensor, input=None, other=None, *, out=None) -> Tensor:
    """``input`` where ``condition`` else ``other`` (either may be a number); with only
    ``condition``, ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        from ptjax._ops.indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if condition.dtype is not D.bool and condition.dtype is not D.uint8:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_type_title(condition.dtype)}"
        )
    try:
        input = _arg(input, "where", 2, "input", True)
        other = _arg(other, "where", 3, "other", True)
    except TypeError:
        raise _invalid_combination("where", (condition, input, other)) from None
    dt = promote(input, other)
    return _out(_run(_where_impl, condition, input, other, dtype=dt.np), out, "where")


Tensor.where = lambda self, condition, other: where(condition, self, other)


def _clamp_impl(x, lo, hi, *, dtype):
    x = jnp.asarray(x, dtype)
    lo = None if lo is None else jnp.asarray(lo, dtype)
    hi = None if hi is None else jnp.asarray(hi, dtype)
    full = x
    if lo is not None:
        full = jnp.maximum(full, lo)  # propagates NaN from either side
    if hi is not None:
        full = jnp.minimum(full, hi)
    rest = jax.lax.stop_gradient(full)
    # Choose, by torch's gradient masks, which input the result is taken from, so that the
    # gradient reaches exactly where torch sends it: x inside [lo, hi] (bounds included), a
    # bound where it is active (max wins when min > max), nothing for NaN.
    if lo is None:
        out = jnp.where(x <= hi, x, jnp.where(x > hi, hi, rest))
    elif hi is None:
        out = jnp.where(x >= lo, x, jnp.where(x < lo, lo, rest))
    else:
        take_x = (x >= lo) & (x <= hi)
        take_lo = (x < lo) & (lo < hi)
        take_hi = (x > hi) | (hi < lo)
        out = jnp.where(take_x, x, jnp.where(take_lo, lo, jnp.where(take_hi, hi, rest)))
    if jnp.issubdtype(dtype, jnp.inexact):
        out = jnp.where(jnp.isnan(full), rest, out)
    return out


_clamp_impl.backward_name = "ClampBackward1"
_clamp_impl.saves = (0,)
_clamp_tensor = _variant(_clamp_impl, "ClampBackward0")
_clamp_min_impl = _variant(_clamp_impl, "ClampMinBackward0")
_clamp_min_tensor = _variant(_clamp_impl, "ClampMinBackward1")
_clamp_max_impl = _variant(_clamp_impl, "ClampMaxBackward0")
_clamp_max_tensor = _variant(_clamp_impl, "ClampMaxBackward1")


def _clamp(name: str, input: Tensor, lo, hi, impls, out) -> Tensor:
    try:
        lo = None if lo is None else _arg(lo, name, 2, "min", True)
        hi = None if hi is None else _arg(hi, name, 3, "max", True)
    except TypeError:
        given = (input,) + tuple(x for x in (lo, hi) if x is not None)
        raise _invalid_combination(name, given) from None
    dt = promote(*(x for x in (input, lo, hi) if x is not None))
    impl = impls[isinstance(lo, Tensor) or isinstance(hi, Tensor)]
    return _out(_run(impl, input, lo, hi, dtype=dt.np), out, name)


@tensor_op(inplace=True, aliases=("clip",))
def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002
    """Clamp each element into ``[min, max]`` (either bound may be None, a number or a tensor;
    where ``min > max`` the result is ``max``)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return _clamp("clamp", input, min, max, (_clamp_impl, _clamp_tensor), out)


@tensor_op(inplace=True)
def clamp_min(input: Tensor, min, *, out=None) -> Tensor:  # noqa: A002
    """``max(input, min)`` elementwise (NaN propagates)."""
    return _clamp("clamp_min", input, min, None, (_clamp_min_impl, _clamp_min_tensor), out)


@tensor_op(inplace=True)
def clamp_max(input: Tensor, max, *, out=None) -> Tensor:  # noqa: A002
    """``min(input, max)`` elementwise (NaN propagates)."""
    return _clamp("clamp_max", input, None, max, (_clamp_max_impl, _clamp_max_tensor), out)


_top_inplace(
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "round",
    "nan_to_num",
    "logit",
    "square",
)


# -- whole-tensor comparisons -------------------------------------------------------------------------


def _concrete_bool(value, what: str) -> bool:
    if isinstance(value, jax.core.Tracer):
        from ptjax._errors import traced_value_error

        raise traced_value_error(what)
    return builtins.bool(value)


@tensor_op
def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and equal elements."""
    other = _arg(other, "equal", 2, "other", False)
    if input.shape != other.shape:
        return False
    dt = promote(input, other).np
    same = jnp.all(input._value.astype(dt) == other._value.astype(dt))
    return _concrete_bool(same, "torch.equal()")


def _isclose_impl(a, b, *, rtol, atol, equal_nan, dtype):
    close = a == b
    if equal_nan and jnp.issubdtype(a.dtype, jnp.inexact):
        close = close | (jnp.isnan(a) & jnp.isnan(b))
    if rtol == 0 and atol == 0:
        return close
    a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    allowed = atol + jnp.abs(rtol * b)
    actual = jnp.abs(a - b)
    return close | (jnp.isfinite(actual) & (actual <= allowed))


@tensor_op
def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """True where ``|input - other| <= atol + rtol * |other|`` (or the elements are equal)."""
    other = _arg(other, "isclose", 2, "other", False)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_type_title(input.dtype)} did not match {_type_title(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    static = {"rtol": float(rtol), "atol": float(atol), "equal_nan": builtins.bool(equal_nan)}
    dt = _float_of(input.dtype)
    return _run(_isclose_impl, input, other, dtype=dt.np, **static)


@tensor_op
def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True if every element of ``input`` is close to ``other`` (see :func:`isclose`)."""
    other = _arg(other, "allclose", 2, "other", False)
    close = isclose(input, other, rtol, atol, equal_nan)
    return _concrete_bool(jnp.all(close._value), "torch.allclose()")


# -- Python operators ---------------------------------------------------------------------------------


def _operator_arg(x):
    """An operator's other operand as a Tensor or number, or None (Python then tries the other
    side, and finally raises its own TypeError)."""
    if isinstance(x, Tensor) or isinstance(x, _NUMBER):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray | jax.Array):
        return Tensor._make(jnp.asarray(x))
    return None


def _forward(fn):
    def f(self, other):
        other = _operator_arg(other)
        return NotImplemented if other is None else fn(self, other)

    return f


def _reflected(fn):
    def f(self, other):
        other = _operator_arg(other)
        return NotImplemented if other is None else fn(other, self)

    return f


def _augmented(method: str):
    def f(self, other):
        other = _operator_arg(other)
        return NotImplemented if other is None else getattr(self, method)(other)

    return f


def _operator_set(dunder: str, fn, inplace_method: str | None, reflected=None) -> None:
    setattr(Tensor, f"__{dunder}__", _forward(fn))
    setattr(Tensor, f"__r{dunder}__", reflected or _reflected(fn))
    if inplace_method:
        setattr(Tensor, f"__i{dunder}__", _augmented(inplace_method))


_operator_set("add", add, "add_")
_operator_set("sub", sub, "sub_", _forward(rsub))
_operator_set("mul", mul, "mul_")
# torch's CUDA autocast computes `number / tensor` (__rtruediv__) in float32, not `tensor / x`
_operator_set("truediv", div, "div_", _reflected(autocast_op(FP32, CUDA)(div)))
_operator_set("floordiv", floor_divide, "floor_divide_")
_operator_set("mod", remainder, "remainder_")
_operator_set("pow", pow, "pow_")
_operator_set("and", bitwise_and, "bitwise_and_")
_operator_set("or", bitwise_or, "bitwise_or_")
_operator_set("xor", bitwise_xor, "bitwise_xor_")
_operator_set("lshift", bitwise_left_shift, "bitwise_left_shift_")
_operator_set("rshift", bitwise_right_shift, "bitwise_right_shift_")
for _name, _fn in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
    setattr(Tensor, f"__{_name}__", _forward(_fn))


def _invert(self: Tensor) -> Tensor:
    if self.dtype.kind not in _INTEGRAL:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


Tensor.__invert__ = _invert
Tensor.__neg__ = neg
Tensor.__pos__ = positive
Tensor.__abs__ = abs
