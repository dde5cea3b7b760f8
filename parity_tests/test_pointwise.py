"""Parity of elementwise ops with torch: values, dtypes, gradients (eager and in jax.jit),
in-place forms, Python operators, special points and error messages."""

import numpy as np
import pytest
import torch
from helpers import RNG, check, raises, randint, randn

import ptjax

F32, F64 = np.float32, np.float64


def _inputs(low=None, high=None):
    """float32 (2, 3) and (), float64 (3,): every dtype and non-empty shape in one check."""
    return [
        randn(2, 3, low=low, high=high),
        randn(low=low, high=high),
        randn(3, dtype=F64, low=low, high=high),
    ]


def same(fn, inputs, **kw):
    """Like ``check`` (eager, no gradients), but where torch raises, ptjax must raise the same
    exception type with the same message."""
    ts = [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in inputs]
    try:
        fn(torch, *ts)
    except Exception as e:  # noqa: BLE001 - any torch error must be mirrored
        ps = [ptjax.tensor(a) if isinstance(a, np.ndarray) else a for a in inputs]
        with pytest.raises(type(e)) as info:
            fn(ptjax, *ps)
        assert str(info.value).splitlines()[0] == str(e).splitlines()[0]
        return
    check(fn, inputs, grad=False, jit=False, **kw)


# -- unary ops ------------------------------------------------------------------------------------

# name: (low, high) of the input domain where torch defines the op and its gradient
UNARY = {
    "exp": (-3, 3),
    "exp2": (-3, 3),
    "expm1": (-3, 3),
    "log": (0.1, 5),
    "log2": (0.1, 5),
    "log10": (0.1, 5),
    "log1p": (-0.9, 5),
    "sqrt": (0.1, 5),
    "rsqrt": (0.1, 5),
    "sin": (-4, 4),
    "cos": (-4, 4),
    "tan": (-1.2, 1.2),
    "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9),
    "atan": (-4, 4),
    "sinh": (-3, 3),
    "cosh": (-3, 3),
    "tanh": (-3, 3),
    "asinh": (-4, 4),
    "acosh": (1.1, 5),
    "atanh": (-0.9, 0.9),
    "sigmoid": (-5, 5),
    "logit": (0.05, 0.95),
    "erf": (-2, 2),
    "erfc": (-2, 2),
    "erfinv": (-0.9, 0.9),
    "lgamma": (0.1, 5),
    "digamma": (0.1, 5),
    # near 0, sinc's derivative (cos(pi x)/x - sin(pi x)/(pi x^2)) cancels and torch and JAX
    # round that cancellation differently in float32 (relative error ~5e-4 seen at x ~ 0.02)
    "sinc": (0.3, 3),
    "deg2rad": (-360, 360),
    "rad2deg": (-4, 4),
    "reciprocal": (0.5, 3),
    "relu": (-2, 2),
    "neg": (-2, 2),
    "positive": (-2, 2),
    "square": (-2, 2),
    "abs": (-2, 2),
    "sign": (-2, 2),
    "sgn": (-2, 2),
    "floor": (-3, 3),
    "ceil": (-3, 3),
    "round": (-3, 3),
    "trunc": (-3, 3),
    "frac": (-3, 3),
    "nan_to_num": (-3, 3),
    "angle": (-2, 2),
    "real": (-2, 2),
    "conj": (-2, 2),
    "isnan": (-2, 2),
    "isinf": (-2, 2),
    "isfinite": (-2, 2),
    "isposinf": (-2, 2),
    "isneginf": (-2, 2),
    "isreal": (-2, 2),
    "signbit": (-2, 2),
    "logical_not": (-2, 2),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name):
    low, high = UNARY[name]
    check(lambda t, *xs: tuple(getattr(t, name)(x) for x in xs), _inputs(low, high))
    # empty: values, dtype and shape (its gradient is empty too)
    check(lambda t, x: getattr(t, name)(x), [randn(0, 3, dtype=F64)], grad=False, jit=False)


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_integer_and_bool_inputs(name):
    ints = randint(-3, 4, 5)
    if name in ("acosh", "arccosh"):
        ints = randint(1, 5, 5)
    same(lambda t, x: getattr(t, name)(x), [ints])
    same(lambda t, x: getattr(x, name)(), [np.array([True, False])])


# torch has no derivative for these in-place forms
NO_INPLACE_GRAD = {"asinh", "acosh", "atanh"}

# torch's other names for ops above: same function, method and in-place forms
ALIASES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "negative": "neg",
    "absolute": "abs",
    "fix": "trunc",
    "subtract": "sub",
    "multiply": "mul",
    "divide": "div",
    "arctan2": "atan2",
    "greater": "gt",
    "greater_equal": "ge",
    "less": "lt",
    "less_equal": "le",
    "not_equal": "ne",
    "clip": "clamp",
}


@pytest.mark.parametrize("alias", list(ALIASES))
def test_aliases(alias):
    name = ALIASES[alias]
    if name in UNARY:
        low, high = UNARY[name]
        x = [randn(2, 3, low=low, high=high)]
        check(lambda t, x: (getattr(t, alias)(x), getattr(x, alias)()), x, jit=False)
        if hasattr(torch.Tensor, alias + "_"):
            grad = name not in NO_INPLACE_GRAD
            check(lambda t, x: getattr(x * 1, alias + "_")(), x, jit=False, grad=grad)
        return
    if name == "clamp":
        check(lambda t, x: (t.clip(x, -0.5, 0.5), (x * 1).clip_(max=0)), [randn(2, 3)], jit=False)
        return
    (la, ha), (lb, hb), _, _ = BINARY[name]
    ab = [randn(2, 3, low=la, high=ha), randn(3, low=lb, high=hb)]
    check(lambda t, a, b: (getattr(t, alias)(a, b), getattr(a, alias)(b)), ab, jit=False)
    same(lambda t, a: getattr(t, alias)(a, "x"), ab[:1])  # the error names the alias


INPLACE_UNARY = [n for n in UNARY if hasattr(torch.Tensor, n + "_")]


@pytest.mark.parametrize("name", INPLACE_UNARY)
def test_unary_inplace(name):
    low, high = UNARY[name]

    def fn(t, x):
        y = x * 1
        z = getattr(y, name + "_")()
        assert z is y
        return y

    grad = name not in NO_INPLACE_GRAD
    check(fn, [randn(2, 3, low=low, high=high)], jit=False, grad=grad)
    if hasattr(torch, name + "_"):
        x = randn(2, 3, low=low, high=high)
        check(lambda t, x: getattr(t, name + "_")(x * 1), [x], jit=False, grad=grad)
    # an int tensor cannot hold a float result
    same(lambda t, x: getattr(x, name + "_")(), [randint(1, 3, 4)])


@pytest.mark.parametrize("name", ["exp", "sin", "abs", "clamp_", "floor", "sigmoid"])
def test_unary_inplace_through_view_reaches_base(name):
    def fn(t, x):
        y = x * 1
        if name == "clamp_":
            y[1].clamp_(-0.5, 0.5)
        else:
            getattr(y[1], name + "_")()
        return y

    check(fn, [randn(2, 3)], jit=name in ("exp", "clamp_"))


def test_top_level_relu():
    check(lambda t, x: (t.relu(x), t.relu_(x * 1), x.relu()), [randn(2, 3)])


def test_unary_kwargs():
    def fn(t, x, p, q):
        return (
            t.round(x, decimals=1),
            t.round(x, decimals=-1),
            x.round(decimals=2),
            t.logit(p, eps=0.1),
            t.logit(q, 1e-6),
            (x * 1).round_(decimals=1),
        )

    x = randn(2, 3, low=-30, high=30)
    check(fn, [x, randn(2, 3, low=-0.2, high=1.2), randn(3, low=0.1, high=0.9, dtype=F64)])
    same(lambda t, x: t.round(x, decimals=1), [randint(0, 30, 5)])


def test_nan_to_num():
    def fn(t, x, y):
        return (
            t.nan_to_num(x),
            t.nan_to_num(y, nan=1.0, posinf=2.0, neginf=-2.0),
            x.nan_to_num(neginf=0.0),
            t.nan_to_num_(x * 1, 3.0),
        )

    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0], F32)
    check(fn, [x, x.astype(F64)])


# -- binary ops -----------------------------------------------------------------------------------

# name: (domain of a, domain of b, whether a number may be the first operand, the second)
BINARY = {
    "add": ((-2, 2), (-2, 2), True, True),
    "sub": ((-2, 2), (-2, 2), True, True),
    "mul": ((-2, 2), (-2, 2), True, True),
    "div": ((-2, 2), (0.5, 2), True, True),
    "true_divide": ((-2, 2), (0.5, 2), True, True),
    "floor_divide": ((-5, 5), (0.5, 2), True, True),
    "remainder": ((-5, 5), (0.7, 2), True, True),
    "fmod": ((-5, 5), (0.7, 2), False, True),
    "pow": ((0.5, 2), (-2, 2), True, True),
    "float_power": ((0.5, 2), (-2, 2), True, True),
    "atan2": ((-2, 2), (-2, 2), False, False),
    "hypot": ((-2, 2), (-2, 2), False, False),
    "copysign": ((-2, 2), (-2, 2), False, True),
    "xlogy": ((-2, 2), (0.5, 3), True, True),
    "logaddexp": ((-3, 3), (-3, 3), False, False),
    "logaddexp2": ((-3, 3), (-3, 3), False, False),
    "maximum": ((-2, 2), (-2, 2), False, False),
    "minimum": ((-2, 2), (-2, 2), False, False),
    "fmax": ((-2, 2), (-2, 2), False, False),
    "fmin": ((-2, 2), (-2, 2), False, False),
    "eq": ((-2, 2), (-2, 2), False, True),
    "ne": ((-2, 2), (-2, 2), False, True),
    "lt": ((-2, 2), (-2, 2), False, True),
    "le": ((-2, 2), (-2, 2), False, True),
    "gt": ((-2, 2), (-2, 2), False, True),
    "ge": ((-2, 2), (-2, 2), False, True),
    "logical_and": ((-2, 2), (-2, 2), False, False),
    "logical_or": ((-2, 2), (-2, 2), False, False),
    "logical_xor": ((-2, 2), (-2, 2), False, False),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary(name):
    (la, ha), (lb, hb), _, _ = BINARY[name]
    a32, b32 = randn(2, 3, low=la, high=ha), randn(3, low=lb, high=hb)  # broadcast
    a64 = randn(3, 1, dtype=F64, low=la, high=ha)
    e, e0 = randn(0, 3, dtype=F64, low=la, high=ha), randn(dtype=F64, low=lb, high=hb)
    s32 = randn(low=lb, high=hb)  # a 0-dim tensor next to a float64 one keeps float64

    def fn(t, a32, b32, a64, e, e0, s32):
        op = getattr(t, name)
        return op(a32, b32), op(a64, s32), op(e, e0)

    # torch has no derivative for floor_divide (see test_floor_divide_is_not_differentiable)
    check(fn, [a32, b32, a64, e, e0, s32], grad=name != "floor_divide")


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_number_operands(name):
    (la, ha), (lb, hb), number_first, number_second = BINARY[name]
    a, b = randn(2, 3, low=la, high=ha), randn(2, 3, low=lb, high=hb)
    n_a, n_b = round(float(RNG.uniform(la, ha)), 2), round(float(RNG.uniform(lb, hb)), 2)
    n_b = n_b if name not in ("floor_divide", "remainder", "fmod") else 1.5
    grad = name != "floor_divide"
    if number_second:
        check(lambda t, a: getattr(a, name)(n_b), [a], jit=False, grad=grad)
    else:
        same(lambda t, a: getattr(t, name)(a, n_b), [a])
    if number_first:
        # torch has no derivative of remainder(number, tensor)
        grad = grad and name != "remainder"
        check(lambda t, b: getattr(t, name)(n_a, b), [b], jit=False, grad=grad)


INT_DTYPES = [("int64", "int64"), ("int32", "int64"), ("bool", "bool")]


@pytest.mark.parametrize("name", list(BINARY) + ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_binary_int_and_bool(name):
    for da, db in INT_DTYPES:
        a, b = randint(-4, 5, 2, 3).astype(da), randint(1, 4, 3).astype(db)
        same(lambda t, a, b: getattr(t, name)(a, b), [a, b])
    x = randint(-4, 5, 2, 3)
    same(lambda t, a: getattr(t, name)(a, 2), [x])
    same(lambda t, a: getattr(t, name)(a, True), [x > 0])
    same(lambda t, a, b: getattr(t, name)(a, b), [x.astype(np.int32), np.array(3)])


@pytest.mark.parametrize(
    "name",
    [
        "add",
        "sub",
        "mul",
        "div",
        "true_divide",
        "floor_divide",
        "remainder",
        "fmod",
        "pow",
        "atan2",
        "hypot",
        "copysign",
        "xlogy",
        "eq",
        "lt",
        "logical_and",
        "bitwise_and",
    ],
)
def test_binary_inplace(name):
    def fn(t, a, b):
        y = a * 1
        z = getattr(y, name + "_")(b)
        assert z is y
        view = a * 1
        getattr(view[0], name + "_")(b)  # through a view: reaches the base
        return y, view

    if name == "bitwise_and":
        same(lambda t, a, b: a.bitwise_and_(b), [randint(0, 9, 2, 3), randint(0, 9, 3)])
        return
    b = randn(3, low=0.5, high=2)
    if name == "logical_and":
        b = randn(3)
    # torch: floor_divide_ has no derivative, logical_and_ is not recorded at all
    grad = name not in ("floor_divide", "logical_and")
    check(fn, [randn(2, 3, low=0.5, high=2), b], jit=False, grad=grad)
    # the result must be castable to self's dtype; self does not broadcast
    same(lambda t, a, b: getattr(a, name + "_")(b), [randint(1, 4, 3), randn(3, low=1, high=2)])
    same(lambda t, a, b: getattr(a, name + "_")(b), [randn(3, low=1, high=2), randn(2, 3)])


def test_add_sub_alpha():
    def fn(t, a, b):
        return (
            t.add(a, b, alpha=2),
            t.sub(a, b, alpha=0.5),
            (a * 1).add_(b, alpha=-1.5),
            t.rsub(a, b),
            t.rsub(a, 2.0, alpha=3),
        )

    check(fn, [randn(2, 3), randn(3)])
    check(lambda t, a: t.add(a, 3, alpha=2), [randint(0, 5, 5)], grad=False)
    same(lambda t, a: t.add(a, a, alpha=0.5), [randint(0, 5, 5)])
    same(lambda t, a: t.add(a, a, alpha=True), [randn(3)])
    same(lambda t, a: t.add(a, a, alpha=2), [randint(0, 2, 5).astype(bool)])


def test_div_rounding_modes():
    a = np.array([-7.5, -7.0, -0.5, 0.0, 3.2, 7.0], F32)
    b = np.array([2.0, -2.0, 3.0, -1.5, 0.1, 0.0], F32)

    def fn(t, a, b, a64):
        out = ()
        for m in ("trunc", "floor"):
            out += (t.div(a, b, rounding_mode=m), t.div(a64, 2.5, rounding_mode=m))
        return out + (a % b, t.fmod(a, b))

    check(fn, [a, b, a.astype(F64)])
    ai, bi = np.array([-7, -6, 7, 0, 5]), np.array([2, -4, -2, 3, 5])

    def ints(t, a, b):
        out = ()
        for m in ("trunc", "floor"):
            out += (t.div(a, b, rounding_mode=m), (a * 1).div_(3, rounding_mode=m))
        return out + (a // b, a / b, a % b, t.fmod(a, b))

    check(ints, [ai, bi], jit=False)
    check(lambda t, a, b: (a // b, t.floor_divide(a, 0.1)), [a, b], grad=False, jit=False)


def test_pow_variants():
    def fn(t, x, e):
        # small integral and half powers are exact products/roots in torch: each has its path
        powers = tuple(x**p for p in (0, 1, 2, 3, -1, 2.0, 0.5, -0.5, 1.5, 7))
        return powers + (
            t.pow(x, 3),
            x**e,
            2.5**e,
            t.pow(2, e),
            x.square(),
            t.square(x),
            t.float_power(x, 2),
            x.float_power(-1),
            t.float_power(2, e),
            x.double().float_power_(1.5),
        )

    check(fn, [randn(2, 3, low=0.5, high=2), randn(3)])
    # integer ** negative integer tensor: 0 unless the base is 1 or -1
    base, exp = np.array([2, 3, 1, -1, -1, 0]), np.array([-1, -2, -1, -3, -2, 0])

    def ints(t, b, e, m):
        return (b**2, b**0, 2**b, b ** b.abs(), t.pow(b, 3), b**e, t.tensor(2) ** e, m**2, m**0.5)

    check(ints, [base, exp, base > 0], jit=False)
    check(lambda t, x: ((x * 1).pow_(2), (x * 1).square_()), [randn(2, 3)], jit=False)


def test_lerp_addcmul_addcdiv():
    def fn(t, a, b, w, c, a64, b64, w0):
        return (
            t.lerp(a, b * 1, 0.3),
            a.lerp(b.expand(2, 3), 0.8),
            t.lerp(a, b, w),
            t.lerp(a64, b64, w0),  # a 0-dim weight may differ in dtype
            (a * 1).lerp_(b, 0.25),
            t.addcmul(a, b, c),
            t.addcmul(a, b, c, value=-0.5),
            a.addcdiv(b, c),
            t.addcdiv(a64, b, c, value=2),
            (a * 1).addcmul_(b, c, value=2),
            (a * 1).addcdiv_(b, c),
        )

    a, b, w = randn(2, 3), randn(3), randn(2, 3, low=-0.2, high=1.2)
    check(
        fn,
        [
            a,
            b,
            w,
            randn(2, 1, low=0.5, high=2),
            randn(2, 3, dtype=F64),
            randn(3, dtype=F64),
            randn(),
        ],
    )
    i = randint(0, 4, 5)
    check(lambda t, a: (t.addcmul(a, a, a, value=2), t.addcmul(a, a, a, value=0.5)), [i], jit=False)
    same(lambda t, a: t.addcdiv(a, a, a), [i])
    same(lambda t, a: t.lerp(a, a, 0.5), [i])
    same(lambda t, a, b: t.lerp(a, b, 0.5), [randn(3), randn(3, dtype=F64)])
    same(lambda t, a, w: t.lerp(a, a, w), [randn(3), randn(3, dtype=F64)])


def test_where():
    def fn(t, c, a, b, b64, i):
        return (
            t.where(c, a, b),
            t.where(c, a, 0.5),
            t.where(c, 2.0, b),
            a.where(c, 0),
            t.where(c, 1, 0),
            t.where(c, 1.0, 0),
            t.where(c, a, b64),
            t.where(c[0], i, 0.5),
            t.where(c[0], i, 2),
        )

    c = randn(2, 3) > 0
    check(fn, [c, randn(2, 3), randn(3), randn(3, dtype=F64), randint(0, 4, 3)])
    same(lambda t, a: t.where(a, a, a), [randn(3)])
    same(lambda t, c, a, b: t.where(c, a, b), [randn(3) > 0, randn(2, 4), randn(3)])


def test_clamp():
    def fn(t, x, lo, hi, i):
        return (
            t.clamp(x, -1, 1.5),
            t.clamp(x, min=-0.5),
            t.clamp(x, max=0.5),
            t.clip(x, lo, hi),
            x.clamp(min=lo),
            t.clamp_min(x, 0.2),
            t.clamp_max(x, hi),
            x.clamp_min(lo),
            (x * 1).clamp_(-1, 1),
            t.clamp_(x * 1, min=0),
            (x * 1).clip_(max=0),
            t.clamp(i, -2, 2),
            t.clamp(i, 1.5),
            i.clamp(max=True),
        )

    x = randn(2, 3, low=-3, high=3)
    check(fn, [x, randn(2, 3, low=-2, high=0), randn(3, low=0, high=2), randint(-5, 6, 6)])
    same(lambda t, x: t.clamp(x), [x])


def test_maximum_minimum_fmax_fmin_nan():
    a = np.array([1.0, np.nan, 2.0, np.nan, -0.0, 3.0], F32)
    b = np.array([1.0, 1.0, np.nan, np.nan, 0.0, -3.0], F32)
    check(lambda t, a, b: (t.maximum(a, b), t.minimum(a, b), t.fmax(a, b), t.fmin(a, b)), [a, b])


def test_bitwise_and_shifts():
    a = randint(-100, 100, 2, 3)
    b = randint(0, 8, 3)
    check(
        lambda t, a, b: (
            a & b,
            a | b,
            a ^ b,
            ~a,
            a << b,
            a >> b,
            t.bitwise_left_shift(a, 2),
            t.bitwise_right_shift(a, b),
            3 & a,
            5 | b,
            6 ^ a,
            3 << b,
            200 >> b,
            t.bitwise_not(b),
        ),
        [a, b],
    )
    for d in ("int64", "int32", "uint8", "int8"):
        x = np.array([1, 5, 127, 100, 3], d)
        s = np.array([64, 65, 33, 8, 9] if d != "uint8" else [9, 8, 7, 1, 0], d)
        if d in ("int64", "int32", "int8"):
            x = np.array([1, -1, -5, 100, 3], d)
            s = np.array([64, 65, -1, 31, 7], d)
        same(lambda t, x, s: (x << s, x >> s), [x, s])
    m, n = randn(3) > 0, randn(3) > 0
    check(lambda t, m, n: (m & n, m | n, m ^ n, ~m, m & True, False | m), [m, n], jit=False)
    check(lambda t, a, b: a.bitwise_left_shift_(b), [a.copy(), b], jit=False)
    same(lambda t, x: t.bitwise_and(x, 1), [randn(3)])
    same(lambda t, x: t.bitwise_not(x), [randn(3)])
    same(lambda t, x: t.bitwise_left_shift(x, x), [randint(0, 2, 3).astype(bool)])
    same(lambda t, x: ~x, [randn(3)])
    same(lambda t, x: x & x, [randn(3)])


def test_logical():
    a, b = randn(2, 3), randint(-1, 2, 3)
    check(
        lambda t, a, b: (
            t.logical_and(a, b),
            t.logical_or(a, b),
            t.logical_xor(a, b),
            t.logical_not(a),
            a.logical_and(a > 0),
        ),
        [a, b],
    )
    check(lambda t, a, b: (a * 1).logical_or_(b), [a, b], grad=False, jit=False)
    check(lambda t, b: b.logical_not_(), [b.copy()], jit=False)


# -- Python operators -----------------------------------------------------------------------------


def test_operators_float():
    a, b = randn(2, 3, low=0.5, high=2), randn(3, low=0.5, high=2)

    def fn(t, a, b):
        return (
            a + b,
            a - b,
            a * b,
            a / b,
            a % b,
            a**b,
            -a,
            +a,
            abs(a - 1),
            2 + a,
            2 - a,
            2 * a,
            2 / a,
            2**a,
            a + 1.5,
            a * True,
            a == b,
            a != b,
            a < b,
            a <= b,
            a > 1,
            1 >= a,
            2.0 == a,
        )

    check(fn, [a, b])
    # torch has no derivative for floor division, nor for number % tensor
    check(lambda t, a, b: (a // b, 5 // a, a // 0.3, 5 % a), [a, b], grad=False)


def test_operators_augmented_are_inplace():
    def fn(t, a, b):
        y = a * 1
        alias = y
        y += b
        y -= 0.5
        y *= b
        y /= 2
        y %= 3.0
        y **= 2
        assert y is alias
        return y

    check(fn, [randn(2, 3, low=0.5, high=2), randn(3, low=0.5, high=2)], jit=False)

    def floor(t, a):
        y = a * 1
        y //= 0.5
        return y

    check(floor, [randn(2, 3)], grad=False)

    def ints(t, a, b):
        y = a * 1
        alias = y
        y += b
        y -= 1
        y *= 3
        y //= 2
        y %= 5
        y &= 6
        y |= 1
        y ^= b
        y <<= 2
        y >>= 1
        assert y is alias
        return y

    check(ints, [randint(0, 9, 2, 3), randint(1, 4, 3)], grad=False)

    def cast(t, a):
        a += 1.5

    same(cast, [randint(0, 3, 3)])


def test_operators_int_bool():
    a, b = randint(-5, 6, 2, 3), randint(1, 4, 3)
    check(
        lambda t, a, b: (a + b, a - b, a * b, a / b, a // b, a % b, a**b, -a, 7 // b, 7 % b, 2**b),
        [a, b],
    )
    m = randn(3) > 0
    check(lambda t, m: (m + m, m * m, m + 1, m * 2.5, m / 2, 1 + m, m == 0, m & m), [m], jit=False)
    same(lambda t, m: m - m, [m])
    same(lambda t, m: m - 1, [m])
    same(lambda t, m: 1 - m, [m])
    same(lambda t, m: -m, [m])
    same(lambda t, m: +m, [m])


def test_operators_with_arrays_and_bad_types():
    x = ptjax.tensor([1.0, 2.0])
    for other in ("a", None, [1, 2], object()):
        for op in ("__add__", "__mul__", "__sub__", "__truediv__", "__pow__", "__and__"):
            assert getattr(x, op)(other) is NotImplemented
    with pytest.raises(TypeError, match="unsupported operand type"):
        x + "a"  # noqa: B018
    with pytest.raises(TypeError, match="unsupported operand type"):
        x += None
    assert (x == None) is False  # noqa: E711
    assert (x != "a") is True
    out = x + np.array([1.0, 2.0])
    assert out.dtype is ptjax.float64
    out = np.array([1.0, 2.0]) + x
    assert out.dtype is ptjax.float64
    assert isinstance(np.float64(2.0) * x, ptjax.Tensor)
    raises(
        TypeError, "add(): argument 'other' (position 2) must be Tensor, not str", ptjax.add, x, "a"
    )
    raises(
        TypeError,
        "mul(): argument 'other' (position 2) must be Tensor, not NoneType",
        ptjax.mul,
        x,
        None,
    )
    raises(
        TypeError,
        "maximum(): argument 'other' (position 2) must be Tensor, not int",
        ptjax.maximum,
        x,
        2,
    )
    raises(
        TypeError,
        "atan2(): argument 'input' (position 1) must be Tensor, not int",
        ptjax.atan2,
        2,
        x,
    )
    raises(
        TypeError,
        "add(): argument 'other' (position 2) must be Tensor, not numpy.ndarray",
        ptjax.add,
        x,
        np.ones(2),
    )


# -- special points: gradients where torch defines them -------------------------------------------

NAN, INF = np.nan, np.inf


def _pts(*v, dtype=F64):
    return np.array(v, dtype)


SPECIAL = {
    "abs at 0": (lambda t, x: t.abs(x), [_pts(0.0, -0.0, 1.0, -2.0)]),
    "sign, sgn": (lambda t, x: (t.sign(x), t.sgn(x)), [_pts(0.0, -1.5, 2.0, NAN)]),
    "sqrt at 0": (lambda t, x: t.sqrt(x), [_pts(0.0, 1.0, 4.0)]),
    "rsqrt at 0": (lambda t, x: t.rsqrt(x), [_pts(0.0, 1.0, 4.0)]),
    "reciprocal at 0": (lambda t, x: t.reciprocal(x), [_pts(0.0, -0.0, 2.0)]),
    "log at 0": (lambda t, x: (t.log(x), t.log2(x), t.log1p(x - 1)), [_pts(0.0, 1.0, 2.0)]),
    "relu at 0": (lambda t, x: t.relu(x), [_pts(0.0, -1.0, 1.0, NAN)]),
    "rounding grads": (
        lambda t, x: (t.round(x), t.floor(x), t.ceil(x), t.trunc(x), t.frac(x)),
        [_pts(0.5, 1.5, -2.5, 2.0, -0.7)],
    ),
    "clamp at bounds": (
        lambda t, x: (t.clamp(x, -1.0, 1.0), t.clamp(x, min=1.0), t.clamp(x, max=-1.0)),
        [_pts(-1.0, 1.0, 0.0, 2.0, -2.0, NAN)],
    ),
    "clamp min > max": (lambda t, x: t.clamp(x, 1.0, -1.0), [_pts(-2.0, 0.0, 2.0)]),
    "clamp nan bound": (lambda t, x: t.clamp(x, NAN, 1.0), [_pts(-2.0, 0.0, 2.0)]),
    "clamp tensor bounds": (
        lambda t, x, lo, hi: (t.clamp(x, lo, hi), t.clamp(x, lo), t.clamp(x, max=hi)),
        [
            _pts(0.0, 1.0, 2.0, 3.0, 4.0, NAN, 2.0, 2.0, 1.0, 2.0),
            _pts(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, NAN, 3.0, 2.0),
            _pts(3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 1.0, 3.0, NAN, 2.0),
        ],
    ),
    "pow zero base": (
        lambda t, x, e: (x**e, x**2, x**0, x**0.5, x**1.5, x**-1, t.pow(0.0, e), t.pow(2.0, e)),
        [_pts(0.0, 0.0, 0.0, 2.0, -1.5), _pts(0.0, 2.0, -1.0, 0.0, 2.0)],
    ),
    "pow negative base": (lambda t, x: (x**2.5, x**3, x**-2), [_pts(-2.0, -0.5)]),
    "maximum/minimum ties": (
        lambda t, a, b: (t.maximum(a, b), t.minimum(a, b), t.fmax(a, b), t.fmin(a, b)),
        [_pts(1.0, 2.0, -1.0, NAN, 1.0), _pts(1.0, 1.0, -1.0, 1.0, NAN)],
    ),
    "hypot, atan2 at 0": (
        lambda t, a, b: (t.hypot(a, b), t.atan2(a, b)),
        [_pts(0.0, 3.0, 0.0), _pts(0.0, 4.0, -1.0)],
    ),
    "xlogy at 0": (
        lambda t, x, y: (t.xlogy(x, y), t.xlogy(x, 0.0), t.xlogy(2.0, y)),
        [_pts(0.0, 0.0, 0.0, 1.0, 2.0, 1.0), _pts(0.0, -1.0, 2.0, 0.0, NAN, 3.0)],
    ),
    "copysign at 0": (
        lambda t, a, b: (t.copysign(a, b), t.copysign(a, -1.0)),
        [_pts(0.0, -0.0, 2.0, -3.0), _pts(-1.0, 1.0, -0.0, 2.0)],
    ),
    "logit at 0 and 1": (
        lambda t, x: (t.logit(x), t.logit(x, eps=0.25)),
        [_pts(0.0, 1.0, 0.5, -0.5, 1.5, 0.25, 0.75, 0.1)],
    ),
    "sinc at 0": (lambda t, x: t.sinc(x), [_pts(0.0, 1.0, -0.5)]),
    "digamma, lgamma at poles": (
        lambda t, x: (t.digamma(x), t.lgamma(x), t.digamma(x - 1).detach()),
        [_pts(0.0, -0.0, -2.5, 1.0)],
    ),
    "erfinv at 1": (lambda t, x: t.erfinv(x), [_pts(1.0, -1.0, 0.0)]),
    "asin, atanh at 1": (
        lambda t, x: (t.asin(x), t.acos(x), t.atanh(x)),
        [_pts(1.0, -1.0, 0.0)],
    ),
    "remainder, fmod": (
        lambda t, a, b: (t.remainder(a, b), t.fmod(a, b), a % 2.5, t.fmod(a, -2.5)),
        [_pts(5.0, -5.0, 4.0, -0.0, 3.0), _pts(3.0, 3.0, -3.0, 2.0, 1.5)],
    ),
    "div by 0": (
        lambda t, a, b: (a / b, t.div(a, b, rounding_mode="floor"), (a // b).detach(), a % b),
        [_pts(1.0, -1.0, 0.0), _pts(0.0, 0.0, 0.0)],
    ),
    "nan_to_num grads": (lambda t, x: t.nan_to_num(x), [_pts(NAN, INF, -INF, 1.0)]),
    "logaddexp infinities": (
        lambda t, a, b: (t.logaddexp(a, b), t.logaddexp2(a, b)),
        [_pts(-INF, INF, 1.0, -INF, 0.0), _pts(-INF, INF, 1.0, 2.0, 100.0)],
    ),
    "lerp weights": (
        lambda t, a, b, w: t.lerp(a, b, w),
        [_pts(1.0, 2.0, 3.0, 4.0), _pts(5.0, -1.0, 0.0, 4.0), _pts(0.0, 0.5, 1.0, -0.6)],
    ),
    "where": (lambda t, a, b: t.where(a > b, a, b), [_pts(1.0, 2.0, 3.0), _pts(1.0, 3.0, 2.0)]),
    "angle of reals": (lambda t, x: t.angle(x), [_pts(-1.0, 0.0, 2.0, -0.0, NAN)]),
    "isposinf etc": (
        lambda t, x: (t.isposinf(x), t.isneginf(x), t.isinf(x), t.isnan(x), t.isfinite(x)),
        [_pts(INF, -INF, NAN, 0.0)],
    ),
    "signbit": (lambda t, x: t.signbit(x), [_pts(-0.0, 0.0, -1.0, NAN, -INF)]),
}


@pytest.mark.parametrize("case", list(SPECIAL))
def test_special_points(case):
    fn, inputs = SPECIAL[case]
    check(fn, inputs, jit=case in ("clamp tensor bounds", "pow zero base", "xlogy at 0"))


def test_floor_divide_is_not_differentiable():
    x = torch.tensor([3.0], requires_grad=True)
    px = ptjax.tensor([3.0], requires_grad=True)
    assert type((x // 2).grad_fn).__name__ == (px // 2).grad_fn.name()
    with pytest.raises(RuntimeError) as expected:
        (x // 2).sum().backward()
    raises(RuntimeError, str(expected.value), lambda: (px // 2).sum().backward())


def test_backward_names():
    x = torch.rand(2, 3, requires_grad=True)  # the shape most tests use: compiled ops are reused
    px = ptjax.tensor(x.detach().numpy(), requires_grad=True)
    exprs = [
        "x + 1",
        "2 - x",
        "x ** 2",
        "x ** x",
        "2 ** x",
        "t.clamp(x, 0)",
        "t.clamp(x, x)",
        "t.clamp_min(x, 0)",
        "t.clamp_max(x, x)",
        "t.where(x > 0, x, 0)",
        "t.maximum(x, x)",
        "t.round(x, decimals=1)",
        "t.div(x, 2, rounding_mode='floor')",
        "t.lerp(x, x, 0.5)",
        "t.lerp(x, x, x)",
        "t.addcmul(x, x, x)",
        "x.fix()",
        "x.clone()",
        "t.nan_to_num(x)",
        "t.logit(x)",
        "x.remainder(x)",
        "t.float_power(x, x)",
    ]
    for e in exprs:
        want = type(eval(e, {"t": torch, "x": x}).grad_fn).__name__
        got = eval(e, {"t": ptjax, "x": px}).grad_fn.name()
        assert got == want, e


# -- errors ---------------------------------------------------------------------------------------


def test_error_messages():
    a, b = randn(2, 3), randn(2, 4)
    same(lambda t, a, b: t.add(a, b), [a, b])
    same(lambda t, a, b: a * b, [randn(5, 1, 3), randn(4, 2)])
    same(lambda t, a, b: t.maximum(a, b), [randn(3), randn(2, 4)])
    same(lambda t, a, b: a.add_(b), [randn(3), randn(2, 3)])
    same(lambda t, a, b: a.add_(b), [randn(3), randn(4)])
    same(lambda t, a: a.add_(1.5), [randint(0, 3, 3)])
    same(lambda t, a: a.mul_(True), [randn(3) > 0])
    same(lambda t, a: a**-1, [randint(1, 3, 3)])
    same(lambda t, a: a.pow_(-2), [randint(1, 3, 3)])
    same(lambda t, a: a // 0, [randint(1, 3, 3)])
    same(lambda t, a, b: t.remainder(a, b), [randint(1, 3, 3), np.array([1, 0, 2])])
    same(lambda t, a: t.fmod(a, 0), [randint(1, 3, 3)])
    same(lambda t, a: t.div(a, 2, rounding_mode="round"), [randn(3)])
    same(lambda t, a: t.floor_divide(a, a), [randn(3) > 0])
    same(lambda t, a: t.remainder(a, a), [randn(3) > 0])
    same(lambda t, a: t.pow(a, a), [randn(3) > 0])
    same(lambda t, a: t.hypot(a, a), [randint(1, 3, 3)])
    same(lambda t, a: t.logaddexp(a, a), [randint(1, 3, 3)])
    same(lambda t, a: t.abs(a), [randn(3) > 0])
    same(lambda t, a: t.frac(a), [randint(1, 3, 3)])
    same(lambda t, a: t.floor(a), [randn(3) > 0])
    same(lambda t, a: t.relu(a), [randn(3) > 0])
    same(lambda t, a: a.float_power_(2), [randn(3)])
    same(lambda t, a: a.exp_(), [randint(1, 3, 3)])
    same(lambda t, a: a.square_(), [randn(3) > 0])
    same(lambda t, a, b: t.isclose(a, b), [randint(1, 3, 3), randn(3)])
    same(lambda t, a: t.isclose(a, a, rtol=-1.0), [randn(3)])
    same(lambda t, a: t.imag(a), [randn(3)])


def test_out_argument():
    def fn(t, a, b):
        out = t.zeros(2, 3)
        r = t.add(a, b, out=out)
        assert r is out
        t.exp(a[0], out=out[0])
        o2 = t.zeros(2, 3, dtype=t.float64)
        t.mul(a, b, out=o2)
        o3 = t.zeros(0)
        t.sub(a, b, out=o3)  # resized
        return out, o2, o3

    check(fn, [randn(2, 3), randn(3)], grad=False)
    same(lambda t, a: t.add(a, a, out=t.zeros(3, dtype=t.int64)), [randn(3)])


# -- equal, isclose, allclose, complex helpers -------------------------------------------------------


def test_equal_isclose_allclose():
    a = np.array([1.0, 2.0, np.nan, np.inf, 1e-9, 100.0], F32)
    b = np.array([1.0, 2.00001, np.nan, np.inf, 0.0, 100.001], F32)
    check(
        lambda t, a, b: (
            t.isclose(a, b),
            t.isclose(a, b, equal_nan=True),
            a.isclose(b, rtol=0, atol=0),
            t.isclose(a, b, rtol=1e-3, atol=1e-6),
        ),
        [a, b],
        grad=False,
    )
    i = np.array([1, 2, 3])
    check(lambda t, i, j: t.isclose(i, j), [i, np.array([1, 3, 3])], grad=False)
    for x, y in [(a, b), (a, a), (i, i.astype(F32)), (i, i[:2]), (i, i.reshape(1, 3))]:
        same(lambda t, x, y: (t.allclose(x, y), t.allclose(x, y, equal_nan=True)), [x, y])
        same(lambda t, x, y: (t.equal(x, y), x.equal(y)), [x, y])
    assert ptjax.tensor(i).equal(ptjax.tensor(i))
    same(lambda t, a: t.allclose(a, 2.0), [randn(3)])


def test_complex_helpers():
    z = (randn(2, 3) + 1j * randn(2, 3)).astype(np.complex64)
    check(
        lambda t, z: (t.real(z), t.imag(z), z.real, z.imag, t.conj(z), t.angle(z), t.abs(z)),
        [z],
        grad=False,
    )
    check(
        lambda t, z: (z + 1, z * z, z / 2, t.exp(z), t.sgn(z), t.isreal(z)),
        [z],
        grad=False,
        jit=False,
    )
    x = randn(3)
    check(lambda t, x: (t.real(x), x.real, t.conj(x), t.angle(x)), [x], jit=False)
    px = ptjax.tensor(x)
    assert px.real is px and ptjax.conj(px) is px and ptjax.positive(px) is px


def test_result_type_and_promotion():
    pairs = [
        (ptjax.tensor([1]), 1.0),
        (ptjax.tensor([1], dtype=ptjax.int32), ptjax.tensor(1)),
        (ptjax.tensor(1.0, dtype=ptjax.float64), ptjax.tensor([1], dtype=ptjax.int32)),
        (ptjax.tensor([True]), 2),
    ]
    for a, b in pairs:
        ta = torch.tensor(a.numpy())
        tb = torch.tensor(b.numpy()) if isinstance(b, ptjax.Tensor) else b
        assert str(ptjax.result_type(a, b)) == str(torch.result_type(ta, tb))


def test_methods_match_torch():
    """Every op here exists as a function, method and in-place form exactly where torch has one."""
    import ptjax._ops.pointwise as pw

    names = set(UNARY) | set(BINARY) | set(pw.__all__)
    names -= {"result_type", "real", "imag"}  # real/imag are properties on Tensor
    for n in sorted(names):
        assert hasattr(ptjax, n), n
        assert hasattr(ptjax.Tensor, n) == hasattr(torch.Tensor, n), n
        assert hasattr(ptjax.Tensor, n + "_") == hasattr(torch.Tensor, n + "_"), n + "_"
        if not n.endswith("_"):
            assert hasattr(ptjax, n + "_") == hasattr(torch, n + "_"), "torch." + n + "_"


# -- copying: clone, copy_, fill_, zero_, fill, fill_diagonal_ ---------------------------------------


def test_clone():
    check(
        lambda t, x: (x.clone(), t.clone(x, memory_format=t.contiguous_format) * 2), [randn(2, 3)]
    )
    x = ptjax.zeros(3)
    c = x.clone()
    c.add_(1)
    assert np.array_equal(x.numpy(), np.zeros(3)) and c._base is None
    assert repr(ptjax.preserve_format) == "torch.preserve_format"


@pytest.mark.filterwarnings("ignore:Casting complex values to real")
def test_copy_():
    def fn(t, a, b, c):
        y = a * 1
        y.copy_(b)  # broadcast
        z = a * 1
        z[0].copy_(c.double())  # cast, and through a view
        w = t.zeros(2, 3, dtype=t.int64)
        w.copy_(a * 3)  # float into int: truncated, no gradient
        n = (a * 1).copy_(2)
        return y, z, w, n

    check(fn, [randn(2, 3), randn(3), randn(3)])
    with ptjax.no_grad():
        p = ptjax.ones(3, requires_grad=True)
        p.copy_(ptjax.tensor([1.0, 2.0, 3.0]))
    assert p.requires_grad and p.tolist() == [1.0, 2.0, 3.0]
    same(lambda t, a, b: a.copy_(b), [randn(3), randn(4)])
    same(lambda t, a, b: a.copy_(b), [randn(3), randn(2, 3)])
    z = (randn(3) + 1j * randn(3)).astype(np.complex64)
    check(lambda t, a, z: a.copy_(z), [randn(3), z], grad=False)


def test_fill_and_zero():
    def fn(t, a, v):
        y = a * 1
        y.fill_(2.5)
        z = a * 1
        z[1].fill_(v)  # a 0-dim tensor value receives the summed gradient
        u = a * 1
        u.zero_()
        return y, z, u, t.fill(a, v), t.fill_(a * 1, 3), t.zero_(a * 1)

    check(fn, [randn(2, 3), randn()])
    check(
        lambda t, i: (i.fill_(2.7), t.zeros(2, dtype=t.bool).fill_(2)),
        [randint(0, 3, 5)],
        jit=False,
    )
    same(lambda t, a, v: a.fill_(v), [randn(3), randn(2)])


def test_fill_diagonal_():
    def fn(t, sq, tall, wide, cube):
        return (
            (sq * 1).fill_diagonal_(2.0),
            (tall * 1).fill_diagonal_(-1.0),
            (tall * 1).fill_diagonal_(3.0, wrap=True),
            (wide * 1).fill_diagonal_(5, wrap=True),
            (cube * 1).fill_diagonal_(0.5),
        )

    check(fn, [randn(3, 3), randn(7, 3), randn(3, 5), randn(2, 2, 2)])
    same(lambda t, a: a.fill_diagonal_(1), [randn(3)])
    same(lambda t, a: a.fill_diagonal_(1), [randn(2, 3, 3)])
