"""Parity of indexing (``x[key]``, ``x[key] = v``) and of the index ops (gather, scatter,
index_*, masked_*, take, put, nonzero) against torch: values, gradients of the base and of the
written values, eager and inside jax.jit, and torch's errors."""

import warnings

import numpy as np
import pytest
import torch
from helpers import check, raises, randint, randn

import ptjax

# The logic under test is dtype-blind, so each float test uses one of float32/float64 in turn
# (compiles per dtype are what a test here costs).


# -- reading ----------------------------------------------------------------------------------------


def test_getitem_basic():
    dtype = np.float64

    def fn(t, x, s):
        return (
            x[1],
            x[0, 2],
            x[:, 1],
            x[..., -1],
            x[1:, ::2],
            x[::2, 1:3, -3:],
            x[None, 0, :, None],
            x[..., None],
            x[:, None, ...],
            x[1, ..., 2],
            x[..., 0, ...],
            x[5:],
            x[()],
            s[None],
            s[()],
        )

    check(fn, [randn(2, 3, 4, dtype=dtype), randn(dtype=dtype)])


def test_getitem_bool_scalars_and_int_tensors():
    def fn(t, x, s):
        return (
            x[True],
            x[False],
            x[:, True],
            x[1, None, True],
            s[True],
            x[t.tensor(1)],
            x[0, t.tensor(-1)],
        )

    check(fn, [randn(2, 3), randn()], jit=False)
    check(lambda t, x: (x[True], x[:, False], x[None, True]), [randn(2, 3)])


def test_getitem_advanced():
    dtype = np.float32

    def fn(t, x, i, j):
        return (
            x[i],
            x[[0, 1, 0]],
            x[:, [2, 0]],
            x[i, j],
            x[i, :, j],
            x[:, i, j],
            x[0, :, [0, 1]],
            x[[0, 1], 0, [0, 1]],
            x[[[0], [1]], :, [1, 2]],
            x[None, i, None],
            x[i, None, j],
            x[1:, [0, 2], ::2],
            x[np.array([1, 0, 0])],
            x[[]],
            x[[True, False]],
        )

    check(fn, [randn(2, 3, 4, dtype=dtype), np.array([1, 0, 1]), np.array([2, 0, 1])])


def test_getitem_masks():
    def fn(t, x, m2, m1):
        return (
            x[m2],
            x[:, :, m1],
            x[:, m1[:3]],
            x[m1[:2], 1:],
            x[m2, 0],
            x[x > 0],
            x[0][:, m1],
            x[m1[:2], None],
        )

    m2 = np.array([[True, False, True], [False, False, True]])
    check(fn, [randn(2, 3, 4), m2, np.array([True, False, True, True])], jit=False)
    check(lambda t, x: x[t.tensor([], dtype=t.bool)], [randn(0, 2)], jit=False)


def test_getitem_legacy_forms():
    x = np.arange(24.0).reshape(2, 3, 4)
    for lib in (torch, ptjax):
        t = lib.tensor(x)
        with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
            assert t[[[0, 1], [1, 0]]].tolist() == x[(0, 1), (1, 0)].tolist()
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            assert t[[0, slice(None)]].tolist() == x[0, :].tolist()
        with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
            assert t[lib.tensor([1, 0], dtype=lib.uint8)].tolist() == x[[True, False]].tolist()


def test_getitem_returns_views():
    x = ptjax.zeros(3, 4)
    x[1][2] = 5.0
    x[:, 0][1:] = 7.0
    x[..., -1][None][0, 0] = -1.0
    v = x[0]
    x.add_(1.0)
    assert v.tolist() == [1.0, 1.0, 1.0, 0.0]
    assert x.tolist() == [[1, 1, 1, 0], [8, 1, 6, 1], [8, 1, 1, 1]]
    w = x[[0, 1]]  # advanced indexing copies
    w.zero_()
    assert float(x.sum()) == 30.0


def test_getitem_index_tensors_in_jit():
    # integer index tensors are traced inside jit; 0-dim ones still select like an int
    def fn(t, x, i, k):
        return x[i], x[:, i], x[k], x[k, :, i], x[0, k], x[i, k]

    check(fn, [randn(3, 4, 5), np.array([2, 0, -1]), np.array(1)])


# -- writing ----------------------------------------------------------------------------------------


def test_setitem_basic():
    dtype = np.float64

    def fn(t, x, v, r, s):
        y = x.clone()
        y[0] = 1.5
        y[1, 2] = s
        y[:, 0] = v
        y[2:, ::2] = r
        y[..., -1] = -2.0
        y[None, 1, 1:3] = v[:2]
        y[-1][-1] = s * 3
        y[0] = v.view(1, 4)  # leading size-1 dims of the value are dropped, as in torch
        return y

    check(
        fn,
        [
            randn(4, 4, dtype=dtype),
            randn(4, dtype=dtype),
            randn(2, 1, dtype=dtype),
            randn(dtype=dtype),
        ],
    )


def test_setitem_advanced():
    dtype = np.float32

    def fn(t, x, v, w, i):
        y = x.clone()
        y[[0, 2]] = v
        y[i, [1, 0]] = w[:2].view(2, 1)
        y[:, i] = 0.5
        y[[1], [2]] = w[2]
        y[0, :, [0, 1]] = w.view(3, 1)[:, :1] * 2
        y[np.array([2, 1]), 1:3, 0] = w[1]
        return y

    check(
        fn,
        [
            randn(3, 3, 4, dtype=dtype),
            randn(3, 4, dtype=dtype),
            randn(3, dtype=dtype),
            np.array([1, 2]),
        ],
    )


def test_setitem_masks():
    def fn(t, x, v, m):
        y = x.clone()
        y[y > 0.5] = 0.0
        y[m] = v[0]  # one row of values for every selected row
        z = x.clone()
        z[m, 1] = v[0, 0]
        z[:, m[:4]] = -1.0
        w = x.clone()
        w[m] = v[:3]  # as many rows as the mask selects
        w[x[:, 0] < 0, :2] = v[0, :2]
        return y, z, w

    check(fn, [randn(5, 4), randn(4, 4), np.array([True, False, True, True, False])], jit=False)


def test_setitem_masks_in_jit():
    # a mask traced inside jit can be written to with a value that does not depend on its count
    def fn(t, x, v, s):
        y = x.clone()
        y[x > 0] = 0.0
        y[x < -0.5] = s
        z = x.clone()
        z[z[:, 0] > 0] = v
        z[:, x[0] < 0] = s * 2
        z[x[:, 1] > 0, 1:3] = v[1:3]
        return y, z

    check(fn, [randn(5, 4), randn(4), randn()])


def test_setitem_int_index_tensors_in_jit():
    def fn(t, x, v, i, k):
        y = x.clone()
        y[i] = v
        y[k, i] = 9.0
        y[0, k] = v[1]
        y[i, k] = v[0]
        return y

    check(fn, [randn(3, 4, 5), randn(4, 5), np.array([2, 0]), np.array(1)])


def test_setitem_duplicate_indices_gradients():
    # torch gives every written value the gradient at its position, duplicates included
    def fn(t, x, v):
        y = x.clone()
        y[[0, 0, 2]] = v
        z = x.clone()
        z.index_put_((t.tensor([1, 1]),), v[:2])
        return y, z

    v = randn(1, 4).repeat(3, 0)  # equal rows: the result does not depend on which write wins
    check(fn, [randn(3, 4), v])


def test_setitem_value_types():
    for lib in (torch, ptjax):
        y = lib.arange(6).view(2, 3)
        y[0, 0] = 2.7  # a Python float into an int tensor truncates
        y[1] = lib.tensor([7.9, 8.1, 9.5])  # basic indexing casts like copy_
        y[y > 8] = lib.tensor(1.5)  # mask + 0-dim value is masked_fill
        assert y.tolist() == [[2, 1, 2], [7, 8, 1]]
        raises(
            RuntimeError,
            "Index put requires the source and destination dtypes match, got Long for the "
            "destination and Float for the source.",
            lambda y, lib=lib: y.__setitem__(([0, 1], [0, 0]), lib.tensor([1.0, 2.0])),
            y,
        )
        raises(TypeError, "can't assign a list to a torch.LongTensor", y.__setitem__, 0, [1, 2, 3])


def test_setitem_through_views_and_grads():
    def fn(t, x, v):
        y = x.clone()
        y[0].mul_(2.0)
        y.t()[1] = v[:3]
        y[1:][0][::2] = v[:2] * v[3]
        y.view(-1)[5] = 11.0
        z = y.unsqueeze(0)
        z[0, 2, 1:] = -v[1]
        return y, z

    check(fn, [randn(3, 4), randn(4)])


def test_setitem_errors():
    for lib in (torch, ptjax):
        y = lib.zeros(2, 3, 4)
        raises(
            IndexError, "index 5 is out of bounds for dimension 0 with size 2", lambda y: y[5], y
        )
        raises(
            IndexError, "index -3 is out of bounds for dimension 0 with size 2", lambda y: y[-3], y
        )
        raises(
            IndexError,
            "index 5 is out of bounds for dimension 0 with size 3",
            lambda y: y[:, [0, 5]],
            y,
        )
        raises(
            IndexError,
            "index 9 is out of bounds for dimension 1 with size 4",
            lambda y: y[[0, 1], :, [0, 9]],
            y,
        )
        raises(IndexError, "too many indices for tensor of dimension 3", lambda y: y[0, 0, 0, 0], y)
        raises(
            IndexError,
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got float)",
            lambda y: y[1.5],
            y,
        )
        raises(
            IndexError,
            "tensors used as indices must be long, int, byte or bool tensors",
            lambda y, lib=lib: y[lib.tensor([0.5])],
            y,
        )
        raises(ValueError, "step must be greater than zero", lambda y: y[::-1], y)
        raises(
            IndexError,
            "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]",
            lambda y: y[[0, 1], [0, 1, 2]],
            y,
        )
        raises(
            IndexError,
            "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3, 4] at index 0",
            lambda y, lib=lib: y[lib.ones(3, dtype=lib.bool)],
            y,
        )
        raises(
            IndexError,
            "The shape of the mask [2, 4] at index 1 does not match the shape of the indexed tensor [2, 3, 4] at index 1",
            lambda y, lib=lib: y[lib.ones(2, 4, dtype=lib.bool)],
            y,
        )
        raises(
            RuntimeError,
            "expand(torch.FloatTensor{[2, 3, 4]}, size=[3, 4]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)",
            y.__setitem__,
            0,
            lib.ones(2, 3, 4),
        )
        raises(
            RuntimeError,
            "The expanded size of the tensor (3) must match the existing size (4) at non-singleton dimension 0.  Target sizes: [3, 4].  Tensor sizes: [4, 4]",
            y.__setitem__,
            0,
            lib.ones(4, 4),
        )
        raises(
            RuntimeError,
            "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2, 4]",
            y.__setitem__,
            (0, [0, 1]),
            lib.ones(3),
        )
        raises(
            RuntimeError,
            "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2]",
            y[0, 0].__setitem__,
            lib.tensor([True, False, False, True]),
            lib.ones(3),
        )
        leaf = lib.ones(3, requires_grad=True)
        raises(
            RuntimeError,
            "a leaf Variable that requires grad is being used in an in-place operation.",
            leaf.__setitem__,
            0,
            2.0,
        )


def test_mask_read_in_jit_raises():
    import jax

    def f(a):
        x = ptjax.Tensor._make(a)
        return x[x > 0]._value

    raises(IndexError, "boolean mask indexing inside a compiled function", jax.jit(f), np.ones(3))


# -- gather / scatter ----------------------------------------------------------------------------------


def test_gather_take():
    dtype = np.float64

    def fn(t, x, i, j, f):
        return (
            t.gather(x, 1, i),
            x.gather(0, j),
            x.gather(-1, i[:, :1]),
            t.take(x, f),
            x.take(f.view(2, 2)),
            t.take_along_dim(x, i, 1),
            x.take_along_dim(j[:1], dim=0),
            t.take_along_dim(x, f[:2]),
            t.take_along_dim(x, i[:1], dim=1),  # indices broadcast against input
        )

    i = np.array([[0, 2, 2, 1], [1, 1, 0, 0], [2, 0, 1, 2]])
    j = np.array([[2, 0, 1], [1, 1, 0]])
    check(fn, [randn(3, 3, dtype=dtype), i, j, np.array([0, 8, -1, 4])])
    check(lambda t, s, k: (s.gather(0, k), s.take(k)), [randn(dtype=dtype), np.array(0)])


def test_scatter_family():
    dtype = np.float32

    def fn(t, x, src, i, j):
        return (
            x.scatter(0, i, src),
            t.scatter(x, 1, j, src[:, :2]),
            x.scatter(1, j[:1], 2.5),
            t.scatter(x, 0, i, value=-1.0),
            x.scatter_add(0, i, src),
            t.scatter_add(x, 1, j, src[:, :2]),
            x.scatter_add(1, t.tensor([[0, 0, 0]]), src[:1]),
        )

    i = np.array([[0, 1, 2], [2, 0, 1]])  # distinct targets per column: no write order to match
    j = np.array([[2, 0], [1, 2]])
    check(fn, [randn(3, 3, dtype=dtype), randn(2, 3, dtype=dtype), i, j])


def test_scatter_legacy_reduce():
    def fn(t, x, src):
        i = t.tensor([[0, 1, 2], [2, 0, 0]])
        return (
            x.scatter(0, i, src, reduce="add"),
            t.scatter(x, 0, i, src, reduce="multiply"),
            x.scatter(1, i, 2.0, reduce="add"),
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(fn, [randn(3, 3), randn(2, 3)], grad=False)
        for lib in (torch, ptjax):
            x = lib.ones(3, requires_grad=True)
            out = x.scatter(0, lib.tensor([0, 0]), lib.ones(2), reduce="add")
            raises(
                RuntimeError, "derivative for aten::scatter is not implemented", out.sum().backward
            )


# prod and amin (with zeros and ties) are covered by test_scatter_reduce_ties_and_zeros
@pytest.mark.parametrize("reduce", ["sum", "mean", "amax"])
def test_scatter_reduce(reduce):
    def fn(t, x, src, i):
        return (
            x.scatter_reduce(0, i, src, reduce),
            t.scatter_reduce(x, 0, i, src, reduce, include_self=False),
        )

    i = np.array([[0, 1, 0], [0, 1, 1], [2, 1, 0], [0, 0, 0]])
    check(fn, [randn(3, 3, dtype=np.float64), randn(4, 3, dtype=np.float64), i])


def test_scatter_reduce_ties_and_zeros():
    # amax/amin ties share the gradient evenly; prod handles zero sources as torch does
    def fn(t, x, src, z):
        i = t.tensor([[0, 0], [0, 1], [1, 1]])
        return (
            x.scatter_reduce(0, i, src, "amax"),
            x.scatter_reduce(0, i, src, "amin", include_self=False),
            x.scatter_reduce(0, i, z, "prod"),
            x.scatter_reduce(0, i, z, "prod", include_self=False),
        )

    x = np.array([[1.0, 2.0], [3.0, 0.0], [1.0, 1.0]], np.float32)
    src = np.array([[1.0, 2.0], [1.0, 3.0], [3.0, 3.0]], np.float32)
    z = np.array([[0.0, 2.0], [1.5, 0.0], [2.0, 3.0]], np.float32)
    check(fn, [x, src, z])


def test_scatter_reduce_int():
    def fn(t, x, src, i):
        cases = [("sum", True), ("prod", False), ("mean", True), ("mean", False), ("amax", False)]
        # integer mean rounds toward -inf, as torch does
        return tuple(
            x.scatter_reduce(0, i, src, r, include_self=s) for r, s in cases + [("amin", True)]
        )

    check(fn, [randint(-5, 5, 4), randint(-9, 9, 5), np.array([0, 0, 1, 3, 0])])


# -- index_* ---------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
def test_index_ops():
    def fn(t, x, src, v, i):
        return (
            x.index_select(0, i),
            t.index_select(x, 1, i[0]),
            x.index_add(0, i, src),
            t.index_add(x, 1, i[:2], src[:, :2], alpha=-2.0),
            x.index_copy(0, i[1:], src[1:]),
            x.index_fill(1, i, -1.0),
            t.index_fill(x, 0, i, v),
            x.index_put((i, i), v),
            t.index_put(x, (i[1:],), src[1:], accumulate=True),
            x.index_reduce(0, i, src, "amax"),
            x.index_reduce(0, i, src, "mean", include_self=False),
        )

    i = np.array([2, 0, 2])
    check(
        fn,
        [randn(3, 3, dtype=np.float64), randn(3, 3, dtype=np.float64), randn(dtype=np.float64), i],
    )


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
def test_index_ops_inplace():
    # the in-place forms write the out-of-place results back (same compiled ops as above)
    def fn(t, x, src, v, i, m):
        y = x.clone()
        y.index_add_(0, i, src)
        y.index_fill_(1, i, -1.0)
        y.index_put_((i[1:],), src[1:], accumulate=True)
        y.masked_fill_(m, v)
        y.masked_scatter_(m, src)
        y.scatter_add_(0, i.view(3, 1).repeat(1, 3), src)
        z = y.clone()  # index_reduce saves its result: later in-place changes are refused
        z.index_reduce_(0, i, src, "amax")
        return y, z

    i = np.array([2, 0, 2])
    m = np.array([[True, False, True], [False, False, True], [True, True, False]])
    f = np.float64
    check(fn, [randn(3, 3, dtype=f), randn(3, 3, dtype=f), randn(dtype=f), i, m], jit=False)


def test_put():
    def fn(t, x, s, idx):
        return x.put(idx, s), x.put(idx, s, accumulate=True), t.put(x, idx[:1], s[:1])

    check(fn, [randn(2, 3), randn(3), np.array([5, -6, 2])])


# -- masks -----------------------------------------------------------------------------------------


def test_masked_ops():
    dtype = np.float32

    def fn(t, x, s, src, m):
        return (
            x.masked_fill(m, 2.5),
            t.masked_fill(x, m[0], s),
            x.masked_fill(x > 0, -1),
            x.masked_fill(m[:1, :1], s * 2),
            t.masked_fill(x[0], m, 0.0),  # the mask broadcasts the input
            x.masked_scatter(m, src),
            t.masked_scatter(x[0], m, src),
            x.masked_scatter(m[1], src),
        )

    m = np.array([[True, False, True], [False, False, True]])
    check(fn, [randn(2, 3, dtype=dtype), randn(dtype=dtype), randn(7, dtype=dtype), m])


def test_masked_select_nonzero():
    def fn(t, x, m):
        return (
            x.masked_select(m),
            t.masked_select(x, m[0]),
            t.masked_select(x[0], m),
            x.nonzero(),
            t.nonzero(m),
            t.nonzero(x > 0, as_tuple=True),
            t.argwhere(m),
            m.argwhere(),
            t.nonzero(t.tensor(3.0)),
            t.nonzero(t.tensor(0), as_tuple=True),
        )

    m = np.array([[True, False, True], [False, False, True]])
    check(fn, [np.array([[0.0, 1.0, -2.0], [3.0, 0.0, 0.5]], np.float32), m], jit=False)


def test_nonzero_static():
    def fn(t, x):
        return (
            t.nonzero_static(x, size=5),
            t.nonzero_static(x, size=1, fill_value=7),
            t.nonzero_static(x[0, 0], size=2),
        )

    x = np.array([[0.0, 1.0, -2.0], [3.0, 0.0, 0.5]], np.float32)
    check(fn, [x], grad=False)


# -- index op errors -------------------------------------------------------------------------------


def _both(exc, match, fn):
    for lib in (torch, ptjax):
        raises(exc, match, fn, lib)


def test_index_op_errors():
    x = lambda t: t.zeros(3, 3)  # noqa: E731
    i = lambda t: t.tensor([[0, 1, 5]])  # noqa: E731
    _both(
        RuntimeError,
        "index 5 is out of bounds for dimension 0 with size 3",
        lambda t: x(t).gather(0, i(t)),
    )
    _both(
        RuntimeError,
        "Index tensor must have the same number of dimensions as input tensor",
        lambda t: x(t).gather(0, t.tensor([0, 1])),
    )
    _both(
        RuntimeError,
        "Size does not match at dimension 1 expected index [1, 4] to be no larger than self [3, 3] apart from dimension 0",
        lambda t: x(t).gather(0, t.tensor([[0, 1, 1, 1]])),
    )
    _both(
        RuntimeError,
        "gather(): Expected dtype int32/int64 for index",
        lambda t: x(t).gather(0, t.tensor([[0.0]])),
    )
    _both(
        RuntimeError,
        "scatter(): Expected self.dtype to be equal to src.dtype",
        lambda t: x(t).scatter(0, t.tensor([[0]]), t.ones(1, 1, dtype=t.float64)),
    )
    _both(
        RuntimeError,
        "Expected index [2, 4] to be no larger than self [3, 3] apart from dimension 0 and to be no larger size than src [2, 3]",
        lambda t: x(t).scatter(0, t.zeros(2, 4, dtype=t.long), t.ones(2, 3)),
    )
    _both(
        RuntimeError,
        "index 5 is out of bounds for dimension 0 with size 3",
        lambda t: x(t).scatter(0, i(t), t.ones(1, 3)),
    )
    _both(
        RuntimeError,
        "Index tensor must have the same number of dimensions as self tensor",
        lambda t: x(t).scatter(0, t.tensor([0]), t.ones(2)),
    )
    _both(
        RuntimeError,
        "reduce argument must be either add or multiply.",
        lambda t: x(t).scatter(0, t.tensor([[0]]), t.ones(1, 1), reduce="mean"),
    )
    _both(
        RuntimeError,
        "reduce argument must be either sum, prod, mean, amax or amin, got add",
        lambda t: x(t).scatter_reduce(0, t.tensor([[0]]), t.ones(1, 1), "add"),
    )
    _both(
        IndexError, "index out of range in self", lambda t: x(t).index_select(0, t.tensor([1, 5]))
    )
    _both(
        IndexError,
        "index_select(): Index is supposed to be a vector",
        lambda t: x(t).index_select(0, t.tensor([[1]])),
    )
    _both(
        RuntimeError,
        "index_add_(): Number of indices (2) should be equal to source.size(dim): (3), for dim: 0",
        lambda t: x(t).index_add(0, t.tensor([1, 2]), t.ones(3, 3)),
    )
    _both(
        RuntimeError,
        "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3, 3] source.shape = [2, 5]",
        lambda t: x(t).index_add(0, t.tensor([1, 2]), t.ones(2, 5)),
    )
    _both(
        RuntimeError,
        "index 5 is out of bounds for dimension 0 with size 3",
        lambda t: x(t).index_add(0, t.tensor([1, 5]), t.ones(2, 3)),
    )
    _both(
        IndexError,
        "index_copy_(): Number of indices (2) should be equal to source.size(dim) (3)",
        lambda t: x(t).index_copy(0, t.tensor([1, 2]), t.ones(3, 3)),
    )
    _both(
        RuntimeError,
        "index_copy_(): self and source expected to have the same dtype, but got (self) Float and (source) Double",
        lambda t: x(t).index_copy(0, t.tensor([1, 2]), t.ones(2, 3, dtype=t.float64)),
    )
    _both(
        IndexError,
        "index 5 is out of bounds for dimension 0 with size 3",
        lambda t: x(t).index_fill(0, t.tensor([1, 5]), 1.0),
    )
    _both(
        RuntimeError,
        "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).",
        lambda t: x(t).index_fill(0, t.tensor([1]), t.tensor([1.0])),
    )
    _both(
        RuntimeError,
        "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got sum.",
        lambda t: x(t).index_reduce(0, t.tensor([1]), t.ones(1, 3), "sum"),
    )
    _both(
        RuntimeError,
        "masked_fill_ only supports boolean masks, but got mask with dtype float",
        lambda t: x(t).masked_fill(t.ones(3), 1.0),
    )
    _both(
        RuntimeError,
        "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).",
        lambda t: x(t).masked_fill(t.ones(3, dtype=t.bool), t.ones(1)),
    )
    _both(
        RuntimeError,
        "output with shape [3] doesn't match the broadcast shape [2, 3]",
        lambda t: t.zeros(3).masked_fill_(t.ones(2, 3, dtype=t.bool), 1.0),
    )
    _both(
        RuntimeError,
        "Number of elements of source < number of ones in mask",
        lambda t: x(t).masked_scatter(t.ones(3, 3, dtype=t.bool), t.ones(5)),
    )
    _both(
        RuntimeError,
        "masked_select: expected BoolTensor for mask",
        lambda t: x(t).masked_select(t.ones(3)),
    )
    _both(
        IndexError,
        "out of range: tried to access index 9 on a tensor of 9 elements.",
        lambda t: x(t).take(t.tensor([9])),
    )
    _both(
        RuntimeError,
        "take(): Expected a long tensor for index, but got Int",
        lambda t: x(t).take(t.tensor([1], dtype=t.int32)),
    )
    _both(
        RuntimeError,
        "torch.take_along_dim(): input and indices should have the same number of dimensions, but got 2 dimensions for input, and 1 dimensions for indices",
        lambda t: t.take_along_dim(x(t), t.tensor([1]), 0),
    )
    _both(
        IndexError,
        "put_(): Expected source and index to have the same number of elements, but got source.numel() = 2, index.numel() = 1",
        lambda t: x(t).put_(t.tensor([1]), t.ones(2)),
    )
    _both(
        RuntimeError,
        "put_(): self and source expected to have the same dtype, but got self.dtype = Float and source.dtype = Double",
        lambda t: x(t).put_(t.tensor([1]), t.ones(1, dtype=t.float64)),
    )
    _both(
        RuntimeError,
        "Index put requires the source and destination dtypes match, got Float for the destination and Double for the source.",
        lambda t: x(t).index_put_((t.tensor([0]),), t.ones(3, dtype=t.float64)),
    )


def test_out_arguments():
    def run(t):
        x = t.arange(6.0).view(2, 3)
        outs = [t.zeros(2, 2), t.empty(0), t.zeros(4), t.zeros(0, dtype=t.long)]
        t.gather(x, 1, t.tensor([[0, 2], [1, 1]]), out=outs[0])
        t.index_select(x, 1, t.tensor([2, 0]), out=outs[1])
        t.masked_select(x, x > 1, out=outs[2])
        t.nonzero(x > 3, out=outs[3])
        return [(o.dtype, o.tolist()) for o in outs]

    assert [str(x) for x in run(ptjax)] == [str(x) for x in run(torch)]
