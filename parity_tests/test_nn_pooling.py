"""Parity of the pooling layers and F.*pool* against torch: max pooling (ties, NaN, indices,
padding, dilation, ceil_mode), average pooling (count_include_pad, divisor_override), adaptive
pooling, LP pooling and max unpooling; float32 and float64, batched and unbatched, eager and (one
configuration per layer) jax.jit; repr and torch's errors."""

import math

import numpy as np
import pytest
import torch
from helpers import check, raises, randn
from nn_helpers import check_module

import ptjax
import ptjax.nn as pnn
import ptjax.nn.functional as PF

EVAL = ("eval",)  # pooling has no train/eval difference


def tied(*shape, dtype=np.float32):
    """Values on a coarse grid, so most windows hold ties (torch routes to the first maximum)."""
    return np.round(randn(*shape, dtype=dtype) * 1.5).astype(dtype)


def _pair(name, *args, **kwargs):
    return getattr(torch.nn, name)(*args, **kwargs), lambda: getattr(pnn, name)(*args, **kwargs)


# -- max pooling ----------------------------------------------------------------------------------

MAX_CASES = [
    # (name, args, kwargs, shape, jit)
    ("MaxPool1d", (3,), dict(stride=2, padding=1, return_indices=True), (2, 3, 8), True),
    ("MaxPool1d", (2,), dict(dilation=2, ceil_mode=True), (3, 7), False),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 7), True),
    ("MaxPool2d", (3, 2, 1), dict(return_indices=True), (2, 2, 5, 6), False),
    (
        "MaxPool2d",
        ((3, 2),),
        dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2), ceil_mode=True, return_indices=True),
        (2, 5, 7),
        False,
    ),
    ("MaxPool2d", (2,), dict(stride=3, ceil_mode=True), (1, 2, 7, 8), False),
    ("MaxPool3d", (2,), dict(stride=1, padding=1, return_indices=True), (1, 2, 3, 4, 3), True),
    ("MaxPool3d", ((1, 2, 2),), dict(ceil_mode=True, dilation=(1, 1, 2)), (2, 3, 5, 5), False),
]


@pytest.mark.parametrize("name,args,kwargs,shape,jit", MAX_CASES)
def test_max_pool(name, args, kwargs, shape, jit):
    t, p = _pair(name, *args, **kwargs)
    check_module(t, p, [tied(*shape)], modes=EVAL, jit=jit)


def test_max_pool_nan_and_infinities():
    x = tied(1, 2, 4, 6)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two NaNs in one window: torch keeps the last
    x[0, 1, :2, :2] = -np.inf
    x[0, 1, 2, 2] = np.inf
    check(
        lambda t, x: t.nn.functional.max_pool2d(x, 2, return_indices=True),
        [x],
        jit=False,
    )
    check(
        lambda t, x: t.nn.functional.adaptive_max_pool2d(x, (2, 4), return_indices=True),
        [x],
        jit=False,
    )
    # without indices, windows that tile the input take the reshape-based path: same choice
    check(lambda t, x: t.nn.functional.max_pool2d(x, 2), [x])
    check(lambda t, x: t.nn.functional.max_pool3d(x, (1, 2, 3)), [x[None]])


def test_max_pool_int_and_empty_batch():
    check(
        lambda t, x: t.nn.functional.max_pool2d(x, 2, padding=1, return_indices=True),
        [np.arange(30).reshape(1, 1, 5, 6) % 7],
        grad=False,
        jit=False,
    )
    check(lambda t, x: t.nn.functional.max_pool1d(x, 2), [randn(0, 2, 5)], jit=False)


def test_max_pool_functional_forms():
    check(
        lambda t, x: t.nn.functional.max_pool2d_with_indices(x, 3, 2, 1),
        [tied(2, 2, 5, 5)],
        jit=False,
    )
    # an overlapping window with the same maximum in several windows accumulates gradients
    check(
        lambda t, x: t.nn.functional.max_pool1d(x, 3, stride=1),
        [np.array([[[1.0, 5.0, 2.0, 5.0, 5.0, 0.0]]], np.float64)],
        jit=False,
    )


# -- average pooling ------------------------------------------------------------------------------

AVG_CASES = [
    ("AvgPool1d", (3,), dict(stride=2, padding=1), (2, 3, 8), True),
    ("AvgPool1d", (2,), dict(ceil_mode=True, count_include_pad=False), (3, 7), False),
    ("AvgPool2d", (2,), {}, (2, 3, 6, 7), True),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True), (2, 2, 6, 7), False),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (2, 6, 7), False),
    (
        "AvgPool2d",
        ((3, 2),),
        dict(stride=(2, 1), padding=(1, 0), divisor_override=4),
        (1, 2, 5, 6),
        False,
    ),
    ("AvgPool3d", (2,), dict(stride=1, padding=1), (1, 2, 3, 4, 3), True),
    (
        "AvgPool3d",
        ((1, 2, 3),),
        dict(stride=2, padding=(0, 1, 1), ceil_mode=True, count_include_pad=False),
        (2, 3, 5, 6),
        False,
    ),
    ("AvgPool3d", (2,), dict(divisor_override=3), (1, 1, 4, 4, 4), False),
]


@pytest.mark.parametrize("name,args,kwargs,shape,jit", AVG_CASES)
def test_avg_pool(name, args, kwargs, shape, jit):
    t, p = _pair(name, *args, **kwargs)
    check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit)


def test_avg_pool_integer_input():
    # integer average pooling truncates the quotient, as torch's integer kernels do
    x = (np.arange(42).reshape(1, 1, 6, 7) * 7 % 23) - 9
    check(lambda t, x: t.nn.functional.avg_pool2d(x, 3, 2, 1), [x], grad=False, jit=False)


# -- adaptive pooling -----------------------------------------------------------------------------

ADAPTIVE_CASES = [
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 7), True),
    ("AdaptiveAvgPool1d", (3,), {}, (3, 9), False),
    ("AdaptiveAvgPool2d", ((3, 4),), {}, (2, 3, 5, 7), True),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 7), False),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (3, 5, 6), False),
    ("AdaptiveAvgPool2d", ((7, 3),), {}, (1, 2, 5, 6), False),  # larger than the input
    ("AdaptiveAvgPool3d", ((2, 3, 1),), {}, (1, 2, 3, 5, 4), True),
    ("AdaptiveAvgPool3d", (2,), {}, (2, 4, 4, 5), False),
    ("AdaptiveMaxPool1d", (4,), dict(return_indices=True), (2, 3, 7), True),
    ("AdaptiveMaxPool1d", (3,), {}, (3, 9), False),
    ("AdaptiveMaxPool2d", ((3, 4),), dict(return_indices=True), (2, 3, 5, 7), True),
    ("AdaptiveMaxPool2d", ((None, 3),), dict(return_indices=True), (3, 5, 6), False),
    ("AdaptiveMaxPool2d", ((7, 2),), {}, (1, 2, 5, 6), False),
    ("AdaptiveMaxPool3d", ((2, 3, 2),), dict(return_indices=True), (1, 2, 3, 5, 4), True),
]


@pytest.mark.parametrize("name,args,kwargs,shape,jit", ADAPTIVE_CASES)
def test_adaptive_pool(name, args, kwargs, shape, jit):
    t, p = _pair(name, *args, **kwargs)
    x = tied(*shape) if "Max" in name else randn(*shape)
    check_module(t, p, [x], modes=EVAL, jit=jit)


def test_adaptive_zero_output_and_empty_batch():
    # torch's backward refuses an empty output, so only the forward is compared
    check(
        lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, 0),
        [randn(1, 2, 5, 5)],
        grad=False,
        jit=False,
    )
    check(lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, 2), [randn(0, 2, 5, 5)], jit=False)
    check(
        lambda t, x: t.nn.functional.adaptive_max_pool1d(x, 2, return_indices=True),
        [randn(0, 2, 5)],
        jit=False,
    )


# -- LP pooling and unpooling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,kwargs,shape",
    [
        ("LPPool1d", (2, 3), dict(stride=2), (2, 3, 8)),
        ("LPPool1d", (1.5, 2), dict(ceil_mode=True), (3, 7)),
        ("LPPool2d", (2, 2), {}, (2, 3, 6, 7)),
        ("LPPool2d", (3, (3, 2)), dict(stride=(2, 1), ceil_mode=True), (2, 5, 7)),
        ("LPPool2d", (math.inf, 2), {}, (1, 2, 4, 4)),
        ("LPPool3d", (2, 2), {}, (1, 2, 4, 4, 4)),
    ],
)
def test_lp_pool(name, args, kwargs, shape):
    t, p = _pair(name, *args, **kwargs)
    # positive inputs: x^p of a negative x with fractional p is NaN in both libraries
    check_module(t, p, [randn(*shape, low=0.2, high=2.0)], modes=EVAL, jit=False)


def _unpool_roundtrip(nd, kernel, stride, padding, output_size):
    def fn(t, x):
        pool = getattr(t.nn.functional, f"max_pool{nd}d")
        unpool = getattr(t.nn.functional, f"max_unpool{nd}d")
        v, i = pool(x, kernel, stride, padding, return_indices=True)
        return unpool(v * 2, i, kernel, stride, padding, output_size)

    return fn


@pytest.mark.parametrize(
    "nd,shape,kernel,stride,padding,output_size,jit",
    [
        (1, (2, 3, 8), 2, None, 0, None, False),
        (2, (2, 3, 5, 7), 2, None, 0, (5, 7), True),
        (2, (2, 6, 6), 3, 2, 1, (6, 6), False),
        (3, (1, 2, 4, 4, 5), 2, 2, 0, (1, 2, 4, 4, 5), False),
    ],
)
def test_max_unpool(nd, shape, kernel, stride, padding, output_size, jit):
    check(_unpool_roundtrip(nd, kernel, stride, padding, output_size), [randn(*shape)], jit=jit)


def test_max_unpool_modules():
    pool_t, unpool_t = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    pool_p, unpool_p = pnn.MaxPool2d(2, return_indices=True), pnn.MaxUnpool2d(2)
    assert repr(unpool_p) == repr(unpool_t)
    assert repr(pnn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))
    assert repr(pnn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))
    x = randn(1, 2, 5, 5)
    tv, ti = pool_t(torch.from_numpy(x))
    pv, pi = pool_p(ptjax.tensor(x))
    t_out = unpool_t(tv, ti, output_size=[5, 5])
    p_out = unpool_p(pv, pi, output_size=[5, 5])
    np.testing.assert_array_equal(p_out.numpy(), t_out.numpy())


# -- repr -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,kwargs",
    [
        ("MaxPool1d", (3,), dict(stride=2, padding=1)),
        ("MaxPool2d", (2,), {}),
        ("MaxPool2d", ((3, 2),), dict(stride=(2, 1), padding=1, dilation=2, ceil_mode=True)),
        ("MaxPool3d", (2,), dict(return_indices=True)),
        ("AvgPool1d", (3,), dict(stride=2, padding=1)),
        ("AvgPool2d", (2,), dict(divisor_override=3)),
        ("AvgPool3d", ((1, 2, 2),), dict(count_include_pad=False)),
        ("AdaptiveAvgPool1d", (4,), {}),
        ("AdaptiveAvgPool2d", ((None, 7),), {}),
        ("AdaptiveAvgPool3d", (1,), {}),
        ("AdaptiveMaxPool2d", ((2, 3),), dict(return_indices=True)),
        ("LPPool1d", (2, 3), {}),
        ("LPPool2d", (1.5, (2, 3)), dict(stride=2, ceil_mode=True)),
    ],
)
def test_repr(name, args, kwargs):
    t = getattr(torch.nn, name)(*args, **kwargs)
    p = getattr(pnn, name)(*args, **kwargs)
    assert repr(p) == repr(t)
    assert [n for n, _ in p.named_parameters()] == []


# -- errors ---------------------------------------------------------------------------------------


def _same_error(call, *shapes, dtype=None):
    """ptjax raises torch's exception type with torch's message for the same call."""
    with pytest.raises(Exception) as t_err:
        call(torch, *[torch.zeros(*s, dtype=getattr(torch, dtype or "float32")) for s in shapes])
    raises(
        type(t_err.value),
        str(t_err.value),
        call,
        ptjax,
        *[ptjax.zeros(*s, dtype=getattr(ptjax, dtype or "float32")) for s in shapes],
    )


@pytest.mark.parametrize(
    "call,shape",
    [
        (lambda t, x: t.nn.functional.max_pool2d(x, 2), (2,)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 2, padding=2), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 3, padding=2, dilation=2), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 2), (1, 2, 1, 1)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 2, stride=0), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool2d(x, (2, 2, 2)), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 2, dilation=0), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 2, padding=-1), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool2d(x, 2), (1, 0, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool1d(x, 2), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.max_pool1d(x, 0), (1, 2, 5)),
        (lambda t, x: t.nn.functional.max_pool1d(x, 2, 1, 2), (1, 2, 5)),
        (lambda t, x: t.nn.functional.max_pool1d(x, 2), (1, 2, 1)),
        (lambda t, x: t.nn.functional.max_pool3d(x, 2), (2, 5, 5)),
        (lambda t, x: t.nn.functional.avg_pool2d(x, 2, padding=2), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.avg_pool2d(x, 2), (1, 2, 1, 1)),
        (lambda t, x: t.nn.functional.avg_pool2d(x, 2, divisor_override=0), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.avg_pool1d(x, 2), (2,)),
        (lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, 2), (2,)),
        (lambda t, x: t.nn.functional.adaptive_max_pool2d(x, 2), (2,)),
        (lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, (2, 2, 2)), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, -1), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, 2), (1, 2, 0, 5)),
        (lambda t, x: t.nn.functional.adaptive_max_pool2d(x, 2), (1, 2, 0, 5)),
        (lambda t, x: t.nn.functional.adaptive_avg_pool1d(x, 2), (5,)),
    ],
)
def test_errors(call, shape):
    _same_error(call, shape)


def test_dtype_and_unpool_errors():
    _same_error(lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, 2), (1, 2, 5, 5), dtype="int64")
    _same_error(lambda t, x: t.nn.functional.max_pool2d(x, 2), (1, 2, 4, 4), dtype="bool")
    v, i = ptjax.zeros(1, 2, 2, 2), ptjax.zeros(1, 2, 2, 2, dtype=ptjax.int64)
    raises(
        RuntimeError,
        "Found an invalid max index: 100 (output volumes are of size 4x4)",
        PF.max_unpool2d,
        v,
        i + 100,
        2,
    )
    raises(
        ValueError,
        'invalid output_size "(7, 7)" (dim 0 must be between 2 and 6)',
        PF.max_unpool2d,
        v,
        i,
        2,
        output_size=(7, 7),
    )
    raises(
        RuntimeError,
        "elements in indices should be type int64 but got: Float",
        PF.max_unpool2d,
        v,
        v,
        2,
    )
    raises(
        RuntimeError,
        "Expected shape of indices to be same as that of the input tensor ([1, 2, 2, 2]) but got "
        "indices tensor with shape: [1, 2, 3, 2]",
        PF.max_unpool2d,
        v,
        ptjax.zeros(1, 2, 3, 2, dtype=ptjax.int64),
        2,
    )
    raises(NotImplementedError, "FractionalMaxPool2d", pnn.FractionalMaxPool2d, 2, output_size=3)


def test_top_level_forms():
    # torch.max_pool2d & co. (torch.adaptive_max_pool1d always returns the indices too)
    check(
        lambda t, x: (
            t.max_pool1d(x, 2),
            t.max_pool1d_with_indices(x, 3, 1, 1),
            t.max_pool2d(x[None], 2),
            t.max_pool3d(x[None, None], (1, 1, 2)),
            t.avg_pool1d(x, 2, 2, 1, False, False),
            t.adaptive_avg_pool1d(x, 3),
            t.adaptive_max_pool1d(x, 3),
        ),
        [tied(2, 3, 6, dtype=np.float64)],
        jit=False,
    )
