"""Parity of sorting and order statistics with torch: values, indices (including torch's order
among ties), gradients, NaN placement, eager and inside jax.jit, and error messages."""

import jax
import numpy as np
import pytest
import torch
from helpers import RNG, check, raises, randn

import ptjax

NAN = float("nan")


def arr(data, dtype=np.float32):
    return np.array(data, dtype=dtype)


def ties(*shape, high=3, dtype=np.float32, nan=0.0):
    """Small integers (many ties), optionally with a fraction of NaNs."""
    a = RNG.integers(0, high, size=shape).astype(dtype)
    if nan:
        a[RNG.random(shape) < nan] = np.nan
    return a


# -- sort ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,dim,descending,dtype",
    [
        ((), 0, False, np.float32),
        ((5,), 0, True, np.float64),
        ((3, 4), -1, False, np.float64),
        ((2, 3, 4), 1, True, np.float32),
    ],
)
def test_sort_table(shape, dim, descending, dtype):
    check(
        lambda t, x: (
            x.sort(dim, descending),
            t.argsort(x, dim, descending=descending),
            t.topk(x, 1, dim, largest=descending),
        ),
        [randn(*shape, dtype=dtype)],
    )


def test_sort_nan_and_ties_short_rows():
    x = arr([[1.0, NAN, -1.0, NAN, 3.0, 3.0, -0.0, 0.0], [2.0, 1.0, 2.0, 1.0, 2.0, 3.0, 1.0, 1.0]])
    check(lambda t, x: (x.sort(), x.sort(descending=True), x.sort(0), t.msort(x)), [x])


def test_sort_ties_long_rows_follow_torch_order():
    # rows longer than 16 are sorted by torch with an unstable std::sort: tied elements come in
    # its order, and the gradient goes where its indices say
    x = ties(3, 40, nan=0.1)
    check(lambda t, x: (x.sort(1), x.sort(1, descending=True), x.argsort(0)), [x])
    check(
        lambda t, x: (x.sort(dim=1, stable=True), x.sort(stable=True, dim=0, descending=True)),
        [x],
    )


def test_sort_int_and_bool():
    check(
        lambda t, i, b: (i.sort(), i.sort(0, True), t.argsort(i, 1), b.sort(), b.sort(0, True)),
        [ties(3, 20, high=4, dtype=np.int64), ties(4, 5, high=2).astype(bool)],
        grad=False,
    )


# -- topk ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k,largest", [(1, True), (3, False)])
def test_topk_values_and_gradients(k, largest):
    check(
        lambda t, x: (x.topk(k, largest=largest), t.topk(x, 2, 0, largest, True)),
        [randn(4, 6, dtype=np.float64)],
    )


def test_topk_ties_nan_and_unsorted_follow_torch():
    short = ties(3, 9, nan=0.15)
    long = ties(2, 70, high=4)
    check(
        lambda t, a, b: (
            a.topk(4),
            a.topk(5, largest=False, sorted=False),
            b.topk(1),  # k * 64 <= n: torch's partial_sort path
            b.topk(20, largest=False),
            a.topk(0),
        ),
        [short, long],
    )


def test_topk_scalar_and_errors():
    check(lambda t, x: (x.topk(1), x.topk(0)), [randn()])
    x = ptjax.tensor(randn(2, 3))
    raises(RuntimeError, "selected index k out of range", x.topk, 4)
    raises(RuntimeError, "selected index k out of range", x.topk, -1)
    raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
           x.topk, 1, 2)  # fmt: skip


# -- kthvalue / median / mode ----------------------------------------------------------------------


def test_kthvalue_ties_follow_torch_quickselect():
    x = ties(4, 11, nan=0.1)
    check(
        lambda t, x: (x.kthvalue(3), t.kthvalue(x, 6, 1, True), x.kthvalue(2, 0), x.kthvalue(11)),
        [x],
    )


def test_kthvalue_distinct_and_scalar():
    check(lambda t, x: (x.kthvalue(2, 0), x.kthvalue(1, -1, keepdim=True)), [randn(3, 4)])
    check(lambda t, x: x.kthvalue(1), [randn()])


def test_median_full_splits_gradient_among_ties():
    x = arr([[2.0, 1.0, 2.0], [1.0, 2.0, 3.0]])
    check(lambda t, x: (x.median(), t.nanmedian(x), x[0].median()), [x])


def test_median_dim_ties_and_nan():
    x = arr(
        [
            [2.0, 1.0, 2.0, 1.0, 2.0, 3.0, 1.0],
            [1.0, NAN, 2.0, NAN, 0.0, 0.0, 5.0],
            [NAN] * 7,  # nanmedian of only NaNs: torch's nth_element picks the index
        ]
    )
    check(
        lambda t, x: (
            x.median(1),
            x.nanmedian(1),
            t.median(x, 0, True),
            t.nanmedian(x, 0),
        ),
        [x],
    )
    check(lambda t, x: (x.median(1), x.nanmedian(0)), [ties(3, 30, nan=0.1)])


def test_median_int_empty_scalar():
    check(
        lambda t, i, e, s: (i.median(), i.median(0), i.nanmedian(1), e.median(), s.median(0)),
        [ties(3, 5, high=4, dtype=np.int64), np.zeros(0, np.float32), randn()],
        grad=False,
    )


def test_mode_ties():
    check(
        lambda t, x, y: (x.mode(), x.mode(0, True), t.mode(y, 1)),
        [ties(3, 7), ties(2, 40, high=5, dtype=np.float64)],
    )
    check(lambda t, i: i.mode(0), [ties(20, 3, high=3, dtype=np.int64)], grad=False)


def test_order_statistic_errors():
    x, e2 = ptjax.tensor(randn(2, 3)), ptjax.zeros(2, 0)
    raises(
        RuntimeError, "kthvalue(): selected number k out of range for dimension 1", x.kthvalue, 4
    )
    raises(
        RuntimeError, "kthvalue(): selected number k out of range for dimension 1", x.kthvalue, 0
    )
    raises(IndexError, "kthvalue(): Expected reduction dim 1 to have non-zero size.",
           e2.kthvalue, 1, 1)  # fmt: skip
    raises(IndexError, "median(): Expected reduction dim 1 to have non-zero size.", e2.median, 1)
    raises(IndexError, "mode(): Expected reduction dim 1 to have non-zero size.", e2.mode, 1)


def test_tie_order_against_many_random_rows():
    # indices of every tie-sensitive op against torch on random tie-heavy data (eager)
    for trial in range(3):
        v = ties(3, 23 if trial % 2 else 12, high=2 + trial % 3, nan=0.1 * (trial % 2))
        t, p = torch.from_numpy(v), ptjax.tensor(v)
        for f in (
            lambda x: x.sort(1),
            lambda x: x.sort(0, True),
            lambda x: x.topk(3),
            lambda x: x.topk(2, 0, False, False),
            lambda x: x.kthvalue(4),
            lambda x: x.median(1),
            lambda x: x.nanmedian(0),
            lambda x: x.mode(1),
        ):
            np.testing.assert_array_equal(np.asarray(f(p).indices._value), f(t).indices.numpy())


def test_large_tied_rows_keep_a_stable_order(monkeypatch):
    # past the host replay limit, tied elements stay in index order (torch's stable order)
    from ptjax._ops import sorting

    monkeypatch.setattr(sorting, "HOST_REPLAY_LIMIT", 10)
    v = ties(2, 30, dtype=np.int64)
    got = ptjax.tensor(v).sort(1)
    want = torch.from_numpy(v).sort(dim=1, stable=True)
    np.testing.assert_array_equal(np.asarray(got.indices._value), want.indices.numpy())
    np.testing.assert_array_equal(np.asarray(got.values._value), want.values.numpy())


# -- quantile --------------------------------------------------------------------------------------


def test_quantile_interpolations():
    modes = ["linear", "lower", "higher", "midpoint", "nearest"]
    check(
        lambda t, x: (
            [x.quantile(0.3, interpolation=m) for m in modes]
            + [t.nanquantile(x, 0.75, 1, True, interpolation="nearest")]
        ),
        [randn(3, 5, dtype=np.float64)],
    )


def test_quantile_q_tensor_gradients_and_keepdim():
    check(
        lambda t, x, q: (
            t.quantile(x, q, 1),
            x.quantile(q, keepdim=True),
            x.quantile(q[1], 0),
            t.nanquantile(x, q, -1, True),
        ),
        [randn(3, 5), arr([0.1, 0.5, 0.95])],
    )


def test_quantile_nan_and_ties():
    x = arr([[1.0, NAN, 3.0, 2.0], [2.0, 2.0, 2.0, 1.0], [NAN, NAN, NAN, NAN]])
    check(
        lambda t, x: (x.quantile(0.5, 1), x.nanquantile(0.4, 1), x.nanquantile(0.9, 0)),
        [x],
    )
    check(lambda t, x: t.quantile(x, 0.37, 1), [ties(2, 30)])


def test_quantile_errors():
    x = ptjax.tensor(randn(2, 3))
    raises(RuntimeError, "quantile() q must be in the range [0, 1] but got 1.5", x.quantile, 1.5)
    raises(RuntimeError, "quantile() q values must be in the range [0, 1]",
           x.quantile, ptjax.tensor([0.5, 1.5]))  # fmt: skip
    raises(RuntimeError, "quantile() q tensor must be same dtype as the input tensor",
           x.quantile, ptjax.tensor(0.5, dtype=ptjax.float64))  # fmt: skip
    raises(RuntimeError, "quantile() q must be a scalar or 1D tensor",
           x.quantile, ptjax.tensor([[0.5]]))  # fmt: skip
    raises(RuntimeError, "quantile() input tensor must be either float or double dtype",
           ptjax.tensor([1, 2]).quantile, 0.5)  # fmt: skip
    raises(RuntimeError, "quantile() input tensor must be non-empty", ptjax.zeros(0).quantile, 0.5)
    raises(RuntimeError, "quantile() interpolation must be one of linear, lower, higher, "
           "midpoint or nearest, but got foo", x.quantile, 0.5, interpolation="foo")  # fmt: skip
    raises(RuntimeError, "nanquantile() q must be in the range", x.nanquantile, -0.1)


# -- unique, bincount (eager only) -----------------------------------------------------------------


def test_unique_family():
    x = arr([[1, 2], [1, 2], [3, 1], [1, 2]], np.int64)
    f = arr([1.0, NAN, NAN, 2.0, 1.0, -0.0, 0.0])
    check(
        lambda t, x, f: (
            t.unique(x),
            x.unique(return_inverse=True, return_counts=True),
            t.unique(x, sorted=False, return_counts=True),
            t.unique(x, dim=0, return_inverse=True, return_counts=True),
            t.unique(x, dim=1, return_inverse=True),
            t.unique_consecutive(x, return_inverse=True, return_counts=True),
            x.unique_consecutive(dim=0, return_counts=True),
            t.unique(f, return_counts=True),
            t.unique(t.zeros(0)),
        ),
        [x, f],
        jit=False,
        grad=False,
    )


def test_bincount():
    check(
        lambda t, x, w, w64, wi: (
            t.bincount(x),
            x.bincount(minlength=9),
            t.bincount(x, w),
            t.bincount(x, w64, 3),
            t.bincount(x, wi),
            t.bincount(x[:0]),
        ),
        [
            arr([1, 3, 1, 0, 5], np.int64),
            randn(5),
            randn(5, dtype=np.float64),
            arr([1, 2, 3, 4, 5], np.int32),
        ],
        jit=False,
        grad=False,
    )


def test_data_dependent_ops_refuse_under_jit_and_bad_input():
    a = np.array([3, 1, 3], np.int64)
    for fn in (ptjax.unique, ptjax.unique_consecutive, ptjax.bincount):
        with pytest.raises(RuntimeError, match="data-dependent output shape"):
            jax.jit(lambda v, fn=fn: fn(ptjax.Tensor._make(v)))(a)
    raises(RuntimeError, "bincount only supports 1-d non-negative integral inputs.",
           ptjax.bincount, ptjax.tensor([-1]))  # fmt: skip
    raises(RuntimeError, "bincount only supports 1-d non-negative integral inputs.",
           ptjax.bincount, ptjax.tensor([[1]]))  # fmt: skip
    raises(NotImplementedError, "\"bincount_cpu\" not implemented for 'Float'",
           ptjax.bincount, ptjax.tensor([1.0]))  # fmt: skip


# -- histc, searchsorted, bucketize ----------------------------------------------------------------


def test_histc():
    # values on and next to the bin edges land in torch's bins (exact division, not a
    # reciprocal multiply)
    grid = np.linspace(-1.2, 8.8, 12)
    edges = np.concatenate([grid, grid + 1e-7, grid - 1e-7, [-2.0, 9.0]])
    check(
        lambda t, x, e: (
            t.histc(x, 5, -1, 1),
            x.histc(bins=7, min=-2, max=3),
            t.histc(x),
            t.histc(e, 11, -1.2, 8.8),
            t.histc(e, bins=4, min=1, max=1),
            t.histc(t.ones(3), bins=4),
        ),
        [randn(30), edges],
    )
    x = ptjax.tensor(randn(4))
    raises(RuntimeError, "torch.histc: max must be larger than min", ptjax.histc, x, 4, 1, 0)
    raises(NotImplementedError, "\"histogram_cpu\" not implemented for 'Long'",
           ptjax.histc, ptjax.tensor([1, 2]))  # fmt: skip


def test_searchsorted_and_bucketize():
    seq = arr([1.0, 3.0, 3.0, 5.0, 7.0])
    seq2 = np.sort(randn(2, 6), axis=1)
    check(
        lambda t, s, v, s2, v2, unsorted, sorter: (
            t.searchsorted(s, v),
            t.searchsorted(s, v, right=True),
            t.searchsorted(s, v, side="right", out_int32=True),
            t.searchsorted(s2, v2),
            t.searchsorted(s, 3.0),
            t.searchsorted(unsorted, v, sorter=sorter),
            t.bucketize(v, s),
            t.bucketize(v, s, right=True, out_int32=True),
            t.bucketize(3, s),
        ),
        [
            seq,
            arr([[0.0, 3.0, 6.0], [7.0, 8.0, 1.0]]),
            seq2,
            randn(2, 3),
            arr([5.0, 1.0, 7.0, 3.0]),
            arr([1, 3, 0, 2], np.int64),
        ],
        grad=False,
    )
    s = ptjax.tensor(seq)
    raises(RuntimeError, "side and right can't be set to opposites",
           ptjax.searchsorted, s, 1.0, right=True, side="left")  # fmt: skip
    raises(RuntimeError, "boundaries tensor must be 1 dimension, but got dim(2)",
           ptjax.bucketize, s, ptjax.tensor([[1.0, 2.0]]))  # fmt: skip


# -- diff ------------------------------------------------------------------------------------------


def test_diff():
    check(
        lambda t, x, p, a: (
            t.diff(x),
            x.diff(2, 0),
            t.diff(x, dim=1, prepend=p, append=a),
            t.diff(x, n=0),
            t.diff(x, n=5),
        ),
        [randn(3, 4), randn(3, 2), randn(3, 1, dtype=np.float64)],
    )
    check(
        lambda t, b, i: (t.diff(b), t.diff(i, append=i[:1])),
        [arr([True, False, False, True], bool), arr([1, 4, 2], np.int64)],
        grad=False,
    )
    x = ptjax.tensor(randn(2))
    raises(RuntimeError, "diff expects input to be at least one-dimensional",
           ptjax.diff, ptjax.tensor(1.0))  # fmt: skip
    raises(RuntimeError, "order must be non-negative but got -1", ptjax.diff, x, -1)
    raises(RuntimeError, "diff expects prepend or append to be the same dimension as input",
           ptjax.diff, ptjax.tensor([[1.0, 2.0]]), prepend=x)  # fmt: skip
