"""Parity of the normalisation layers and functions against torch: LayerNorm, GroupNorm,
RMSNorm, LocalResponseNorm, BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d (outputs, input and
parameter gradients, running-stat buffers after a training forward, eager and jit, errors)."""

import numpy as np
import pytest
import torch
from helpers import check, raises, randn
from nn_helpers import check_module

import ptjax
import ptjax.nn as pnn
import ptjax.nn.functional as PF

# -- LayerNorm ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,norm,kw",
    [
        ((2, 3, 4), 4, {}),
        ((2, 3, 4), (3, 4), {"eps": 1e-3}),
        ((2, 5), 5, {"elementwise_affine": False}),
        ((3, 4), [4], {"bias": False}),
        ((4,), 4, {}),
    ],
)
def test_layer_norm_module(shape, norm, kw):
    tm = torch.nn.LayerNorm(norm, **kw)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape))
    check_module(
        tm,
        lambda: pnn.LayerNorm(norm, **kw),
        [randn(*shape)],
        modes=("train",),
        jit=shape == (2, 3, 4) and norm == 4,
    )


def test_layer_norm_repr_and_init():
    for kw in ({}, {"elementwise_affine": False}, {"bias": False, "eps": 1e-6}):
        m, t = pnn.LayerNorm((3, 4), **kw), torch.nn.LayerNorm((3, 4), **kw)
        assert repr(m) == repr(t)
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    m = pnn.LayerNorm(3)
    assert m.normalized_shape == (3,)
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3, np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_functional(dtype):
    x, w, b = randn(2, 3, 4, dtype=dtype), randn(3, 4, dtype=dtype), randn(3, 4, dtype=dtype)
    check(lambda t, x, w, b: t.nn.functional.layer_norm(x, (3, 4), w, b, 1e-4), [x, w, b])
    check(lambda t, x: t.nn.functional.layer_norm(x, [4]), [x], jit=False)
    check(lambda t, x: t.nn.functional.layer_norm(x, (4,)), [randn(0, 4, dtype=dtype)], jit=False)
    # a constant row: variance 0, so the output is 0 and eps decides the gradient scale
    check(
        lambda t, x: t.nn.functional.layer_norm(x, (3,)),
        [np.ones((2, 3), dtype)],
        jit=False,
    )


def test_layer_norm_grad_fn_name():
    x = ptjax.randn(2, 3, requires_grad=True)
    assert PF.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"


def test_layer_norm_errors():
    x = ptjax.randn(2, 3, 4)
    raises(
        RuntimeError,
        "expected input with shape [*, 5], but got input of size[2, 3, 4]",
        PF.layer_norm,
        x,
        (5,),
    )
    raises(RuntimeError, "Given normalized_shape=[2, 3, 4, 5]", PF.layer_norm, x, (2, 3, 4, 5))
    raises(
        RuntimeError,
        "Expected weight to be of same shape as normalized_shape, but got "
        "weight of shape [3] and normalized_shape = [4]",
        PF.layer_norm,
        x,
        (4,),
        ptjax.ones(3),
    )
    raises(
        RuntimeError,
        "Expected bias to be of same shape",
        PF.layer_norm,
        x,
        (4,),
        None,
        ptjax.ones(3),
    )
    raises(RuntimeError, "at least 1-dimensional", PF.layer_norm, x, ())
    raises(TypeError, "must be tuple of ints, not int", PF.layer_norm, x, 4)
    raises(
        NotImplementedError,
        "\"LayerNormKernelImpl\" not implemented for 'Int'",
        PF.layer_norm,
        x.int(),
        (4,),
    )
    raises(
        RuntimeError,
        "mixed dtype (CPU): expect parameter to have scalar type of Float",
        PF.layer_norm,
        x,
        (4,),
        ptjax.ones(4).double(),
    )
    raises(
        RuntimeError,
        "mixed dtype (CPU): all inputs must share same datatype.",
        PF.layer_norm,
        x.double(),
        (4,),
        ptjax.ones(4),
    )
