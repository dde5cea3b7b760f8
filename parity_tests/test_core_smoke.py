"""Smoke parity tests of the core: a few ops per family, eager and in jax.jit."""

import numpy as np
import pytest
from helpers import check, randn

import ptjax


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arithmetic_broadcast(dtype):
    check(
        lambda t, x, y: (x * y + 2.5 * x - y / 3).sum(dim=1),
        [randn(3, 4, dtype=dtype), randn(4, dtype=dtype)],
    )


def test_int_float_promotion():
    check(lambda t, x: x + 2.5, [np.arange(4)], grad=False)
    check(lambda t, x: x / 2, [np.arange(4)], grad=False)


def test_views_and_setitem_grads():
    def fn(t, x):
        y = x * 1
        y[:, 0] = 0
        y.view(-1)[1] = 7.0
        return y.t().reshape(-1) * 2

    check(fn, [randn(3, 4)])


def test_matmul():
    check(lambda t, a, b: a @ b, [randn(2, 3, 4), randn(4, 5)])


def test_backward_accumulates():
    x = ptjax.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert np.allclose(x.grad.numpy(), 5)
