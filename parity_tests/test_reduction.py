"""Parity of reductions, scans and softmax with torch: values, dtypes, return types, gradients
(ties, NaN, zeros, degenerate corrections), eager and inside jax.jit, and error messages."""

import math
import pickle

import jax
import numpy as np
import pytest
import torch
from helpers import check, raises, randn

import ptjax

NAN = float("nan")
INF = float("inf")


def arr(data, dtype=np.float32):
    return np.array(data, dtype=dtype)


# -- table-driven: every reduction over shapes x dims x keepdim ------------------------------------

# (shape, dim, keepdim, dtype): every shape, dims None/int/negative/tuple, both keepdims and
# both float dtypes appear; one check per row keeps the number of compilations modest
REDUCE_CASES = [
    ((), None, False, np.float32),
    ((5,), -1, True, np.float64),
    ((3, 4), 1, True, np.float32),
    ((3, 4), (0, 1), False, np.float64),
    ((2, 3, 4), (0, -1), True, np.float64),
    ((2, 3, 4), -2, False, np.float32),
]


@pytest.mark.parametrize("shape,dim,keepdim,dtype", REDUCE_CASES)
def test_reductions_table(shape, dim, keepdim, dtype):
    def fn(t, x):
        kw = {"keepdim": keepdim}
        out = [
            t.sum(x, dim, **kw) if dim is not None else x.sum(),
            x.mean(dim, **kw) if dim is not None else t.mean(x),
            t.nansum(x, dim, **kw) if dim is not None else x.nansum(),
            x.amax(dim if dim is not None else (), **kw),
            x.std(dim, **kw) if x.numel() > 1 else x.std(dim, correction=0, **kw),
            t.var(x, dim, correction=0, **kw),
            t.logsumexp(x, dim if dim is not None else tuple(range(x.dim())), **kw),
            t.norm(x, dim=dim, keepdim=keepdim),
        ]
        if dim is None or isinstance(dim, int):
            out.append(x.prod(dim, **kw) if dim is not None else x.prod())
        return out

    check(fn, [randn(*shape, dtype=dtype)])


ALL_SINGLE_DIM = (
    "max",
    "min",
    "argmax",
    "argmin",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "softmax",
    "log_softmax",
)


@pytest.mark.parametrize(
    "shape,dim,ops",
    [
        ((), 0, ALL_SINGLE_DIM),
        ((5,), 0, ("max", "argmax", "cumsum", "cummax", "logcumsumexp", "softmax")),
        ((3, 4), -1, ("min", "argmin", "cumprod", "cummin", "log_softmax")),
        ((2, 3, 4), 1, ALL_SINGLE_DIM),
    ],
)
def test_single_dim_ops_table(shape, dim, ops):
    dtype = np.float64 if len(shape) % 2 else np.float32
    # keepdim=True for the value-selecting ones on every other shape
    keep = {"keepdim": True} if len(shape) % 2 == 0 else {}

    def fn(t, x):
        calls = {
            "max": lambda: x.max(dim, **keep),
            "min": lambda: t.min(x, dim, **keep),
            "argmax": lambda: x.argmax(dim, **keep),
            "argmin": lambda: t.argmin(x, dim, **keep),
            "cumsum": lambda: x.cumsum(dim),
            "cumprod": lambda: t.cumprod(x, dim),
            "cummax": lambda: x.cummax(dim),
            "cummin": lambda: t.cummin(x, dim),
            "logcumsumexp": lambda: t.logcumsumexp(x, dim),
            "softmax": lambda: x.softmax(dim),
            "log_softmax": lambda: t.log_softmax(x, dim),
        }
        return [calls[name]() for name in ops]

    check(fn, [randn(*shape, dtype=dtype)])


def test_nan_skipping_reductions():
    x = arr([[1.0, NAN, 3.0], [NAN, NAN, NAN], [2.0, 0.5, NAN]], np.float64)
    check(
        lambda t, x: (x.nansum(), t.nansum(x, 1), x.nanmean(1, keepdim=True), t.nanmean(x)),
        [x],
    )


def test_int64_reductions():
    x = np.array([[3, -1, 2], [0, 5, 5]], np.int64)
    check(
        lambda t, x: [
            x.sum(),
            x.sum(1),
            x.prod(0),
            x.max(),
            x.max(1),
            x.amin(0),
            x.argmax(1),
            x.cumsum(0),
            x.cumprod(1),
            x.cummax(1),
            t.nansum(x),
            t.aminmax(x, dim=1),
            t.logsumexp(x, 1),
            t.mean(x, 1, dtype=t.float64),
            t.softmax(x, 1, dtype=t.float64),
            t.cumsum(x, 0, dtype=t.float32),
        ],
        [x],
        grad=False,
    )


def test_bool_and_int32_dtypes():
    b = np.array([[True, False, True], [False, False, True]])
    i32 = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    check(
        lambda t, b, i: [
            b.sum(),
            b.sum(0),
            b.prod(),
            b.cumsum(1),
            b.max(),
            b.max(1),
            b.amax(0),
            i.sum(),
            i.prod(1),
            i.cumsum(0),
            i.max(),
            t.nansum(i),
        ],
        [b, i32],
        grad=False,
    )


# -- max / min: values, ties, NaN ------------------------------------------------------------------


def test_max_min_full_ties_split_gradient():
    x = arr([[1.0, 3.0, 3.0, 0.0], [3.0, -1.0, 0.0, 0.0]])
    check(lambda t, x: (x.max(), x.min()), [x])


def test_max_min_dim_ties_gradient_to_returned_index():
    x = arr([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    check(lambda t, x: (x.max(1), x.min(1), x.max(0, keepdim=True)), [x])


def test_amax_amin_ties_split_gradient():
    x = arr([[[1.0, 3.0], [3.0, 0.0]], [[0.0, 0.0], [2.0, 0.0]]], np.float64)
    check(lambda t, x: (x.amax(), x.amin((0, 2)), x.amax(-1, keepdim=True)), [x])


def test_nan_propagation_and_nan_gradients():
    x = arr([[1.0, NAN, 3.0, NAN], [2.0, 1.0, 0.0, 0.0]])
    check(
        lambda t, x: (
            x.max(),
            x.min(1),
            x.amax(1),
            x.amin(),
            x.argmax(1),
            x.argmin(),
            t.aminmax(x, dim=1),
        ),
        [x],
    )


def test_max_elementwise_with_tensor():
    check(
        lambda t, x, y: (t.max(x, y), x.min(y), t.max(x, other=y)),
        [randn(3, 4), randn(4)],
    )


def test_aminmax():
    x = arr([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    check(lambda t, x: (t.aminmax(x), x.aminmax(dim=0, keepdim=True), t.aminmax(x, dim=-1)), [x])


def test_argmax_ties_and_keepdim_without_dim():
    x = arr([[1.0, 3.0, 3.0], [3.0, 0.0, 3.0]])
    check(
        lambda t, x: (x.argmax(), x.argmin(), x.argmax(1), x.argmax(keepdim=True), x.argmin(0)),
        [x],
        grad=False,
    )


# -- std / var -------------------------------------------------------------------------------------


def test_std_var_signatures():
    x = randn(3, 4, dtype=np.float64)
    check(
        lambda t, x: (
            x.std(0, True, True),
            t.std(x, False),
            x.var(1, unbiased=False),
            t.var(x, dim=(0, 1), correction=2.5),
            # (not dim=[]: torch's backward then treats it as reducing nothing and returns inf)
            t.std_mean(x, 1),
            t.var_mean(x, (0,), keepdim=True, correction=0),
            t.std_mean(x),
        ),
        [x],
    )


def test_std_var_degenerate_corrections():
    # correction >= N: torch's forward divides by max(0, N - c) and its backward uses
    # 2 / (N - c) (infinite or negative); constant rows make the NaN/zero cases
    x = arr([[1.0, 2.0, 4.0], [2.0, 2.0, 2.0]], np.float64)
    check(
        lambda t, x: (
            x.var(1, correction=3),
            x.std(1, correction=3),
            x.var(1, correction=5),
            x.std(1, correction=5),
            x[0].var(correction=3),
            x[1].std(correction=4),
            x.std(1),
            t.std_mean(x[1]),
            x[:, :1].var(1),
        ),
        [x],
    )


def test_std_of_single_element_is_nan():
    check(lambda t, x: (x.std(), x.var(0), x.std(0, keepdim=True)), [randn(1)])


# -- norm ------------------------------------------------------------------------------------------


def test_norm_orders():
    x = randn(3, 4)
    x[0, 1] = 0.0
    x[2] = 0.0  # a zero row: torch's subgradient there is 0
    orders = [2, 1, 3, 0.5, 1.5, 0, INF, -INF, -1]
    check(
        lambda t, x: (
            [t.norm(x, p) for p in orders]
            + [t.norm(x, p, dim=1, keepdim=True) for p in orders]
            + [x.norm(3, (0, 1)), x.norm("fro", 0)]
        ),
        [x],
    )


def test_norm_at_zero_and_dtype():
    check(
        lambda t, x: (
            t.norm(x * 0),
            t.norm(x * 0, 1),
            t.norm(x, dtype=t.float64),
            t.norm(x, p=None),
            t.norm(x, "fro", (0, 1)),
        ),
        [randn(2, 3)],
    )


# -- logsumexp, softmax ----------------------------------------------------------------------------


def test_logsumexp_large_and_infinite_values():
    x = arr([[1000.0, 1000.0, -5.0], [-INF, -INF, -INF], [-INF, 0.0, 1.0]], np.float64)
    check(lambda t, x: (t.logsumexp(x, 1), t.logsumexp(x[2:], (0, 1))), [x])


def test_softmax_stable_and_dtype():
    x = arr([[1000.0, 999.0, -5.0], [-INF, 0.0, 1.0]])
    check(
        lambda t, x: (
            x.softmax(1),
            t.log_softmax(x, -1),
            t.softmax(x, 0, dtype=t.float64),
            x.log_softmax(1, t.float64),
        ),
        [x],
    )


def test_softmin_helper_matches_functional_softmin():
    from ptjax._ops.reduction import softmin

    x = randn(3, 4)
    expected = torch.nn.functional.softmin(torch.from_numpy(x), 1)
    np.testing.assert_allclose(np.asarray(softmin(ptjax.tensor(x), 1)._value), expected.numpy())


# -- logical reductions ----------------------------------------------------------------------------


def test_all_any_count_nonzero():
    x = arr([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    u8 = np.array([[1, 0, 2], [3, 4, 5]], np.uint8)
    check(
        lambda t, x, u: [
            x.all(),
            x.any(),
            t.all(x, 1),
            t.any(x, 0, keepdim=True),
            t.all(x, (0, 1)),
            t.any(x > 5),
            u.all(),
            u.any(1),
            t.all(u, 0, True),
            t.count_nonzero(x),
            t.count_nonzero(x, 0),
            x.count_nonzero((0, 1)),
            t.all(t.zeros(0)),
            t.any(t.zeros(0)),
        ],
        [x, u8],
        grad=False,
    )


# -- scans -----------------------------------------------------------------------------------------


def test_cumprod_gradient_with_zeros():
    x = arr([[2.0, 0.0, 3.0, 0.0, 4.0], [1.5, 0.0, 2.0, -1.0, 0.5], [1.0, 2.0, 3.0, 4.0, 0.0]])
    check(lambda t, x: (x.cumprod(1), t.cumprod(x, 0), x.prod(1), x.prod()), [x])


def test_prod_gradient_with_zeros():
    x = arr([[2.0, 0.0, 3.0], [0.0, 0.0, 2.0], [1.0, 2.0, 3.0]], np.float64)
    check(lambda t, x: (x.prod(1), x.prod(0, keepdim=True), x[2].prod(), x[1].prod()), [x])


def test_cummax_cummin_ties_and_nan():
    x = arr([[1.0, 3.0, 3.0, 2.0, NAN, 4.0, NAN, 5.0], [3.0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0, -1.0]])
    check(lambda t, x: (x.cummax(1), t.cummin(x, 1), x.cummax(0)), [x])


def test_cumsum_dtype_and_inplace():
    def fn(t, x):
        y = x * 1
        y.cumsum_(1)
        z = x * 1
        z.cumprod_(0)
        return y, z, t.cumsum(x, 0, dtype=t.float64)

    check(fn, [randn(3, 4)])


def test_logcumsumexp_infinities():
    x = arr([[-INF, -INF, 0.0, 1000.0], [1.0, 2.0, 3.0, 4.0]], np.float64)
    check(lambda t, x: t.logcumsumexp(x, 1), [x], grad=False)
    check(lambda t, x: t.logcumsumexp(x, 0), [randn(4, 3, dtype=np.float64)])


# -- empty tensors ---------------------------------------------------------------------------------


def test_empty_reductions_with_identity():
    check(
        lambda t, e, e2: [
            e.sum(),
            e.prod(),
            e.mean(),
            e.norm(),
            e2.sum(1),
            e2.amax(0),
            e2.max(0),
            e2.cumsum(1),
            e.logsumexp(0),
            e2.std(1),
        ],
        [np.zeros(0, np.float32), np.zeros((2, 0), np.float32)],
    )


# -- return types ----------------------------------------------------------------------------------


def test_return_types_fields_repr_pickle_and_pytree():
    x = ptjax.tensor([[1.0, 3.0], [3.0, 2.0]])
    r = x.max(0)
    assert isinstance(r, tuple) and type(r) is ptjax.return_types.max
    assert r.values is r[0] and r.indices is r[1]
    values, indices = r
    assert indices.dtype is ptjax.int64
    t = torch.tensor([[1.0, 3.0], [3.0, 2.0]]).max(0)
    assert repr(r) == repr(t)
    assert repr(ptjax.aminmax(x)) == repr(torch.aminmax(torch.tensor([[1.0, 3.0], [3.0, 2.0]])))
    assert ptjax.aminmax(x).max.item() == 3.0
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is ptjax.return_types.max and back.values.tolist() == [3.0, 3.0]
    built = ptjax.return_types.sort((values, indices))
    assert built.indices is indices
    with pytest.raises(TypeError, match="takes a 2-sequence"):
        ptjax.return_types.max((values,))
    out = jax.jit(lambda a: ptjax.Tensor._make(a).max(1))(x._value)
    assert type(out) is ptjax.return_types.max and out.indices.tolist() == [1, 0]
    names = {c.__name__ for c in torch.return_types.all_return_types} - {
        c.__name__ for c in ptjax.return_types.all_return_types
    }
    assert all(n.endswith("_out") for n in names), names
    for cls in ptjax.return_types.all_return_types:
        fields = cls._fields
        torch_cls = getattr(torch.return_types, cls.__name__)
        assert repr(cls(range(len(fields)))) == repr(torch_cls(tuple(range(len(fields)))))


# -- errors ----------------------------------------------------------------------------------------


def test_error_messages():
    x = ptjax.randn(2, 3) if hasattr(ptjax, "randn") else ptjax.tensor(randn(2, 3))
    e, e2 = ptjax.zeros(0), ptjax.zeros(2, 0)
    i = ptjax.tensor([3, 1, 2])
    msg = "Dimension out of range (expected to be in range of [-2, 1], but got 2)"
    for f in (
        lambda: x.sum(2),
        lambda: x.max(2),
        lambda: x.amax(2),
        lambda: x.std(2),
        lambda: x.cumsum(2),
        lambda: x.softmax(2),
        lambda: x.logsumexp(2),
    ):
        raises(IndexError, msg, f)
    raises(IndexError, "expected to be in range of [-2, 1], but got -3)", x.argmax, -3)
    raises(RuntimeError, "dim 1 appears multiple times in the list of dims", x.sum, (1, -1))
    raises(
        RuntimeError,
        "mean(): could not infer output dtype. Input dtype must be either a floating point or "
        "complex dtype. Got: Long",
        i.mean,
    )
    raises(
        RuntimeError,
        "mean(): could not infer output dtype. Optional dtype must be either a floating point "
        "or complex dtype. Got: Long",
        x.mean,
        dtype=ptjax.int64,
    )
    raises(NotImplementedError, "\"cumsum_out_cpu\" not implemented for 'Bool'", x.cumsum, 0,
           dtype=ptjax.bool)  # fmt: skip
    raises(
        RuntimeError,
        "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
        "reduction dim with the 'dim' argument.",
        e.max,
    )
    raises(RuntimeError, "min(): Expected reduction dim to be specified", e.min)
    raises(RuntimeError, "amax(): Expected reduction dim to be specified", e.amax)
    raises(IndexError, "max(): Expected reduction dim 1 to have non-zero size.", e2.max, -1)
    raises(IndexError, "amax(): Expected reduction dim -1 to have non-zero size.", e2.amax, -1)
    raises(IndexError, "argmax(): Expected reduction dim to be specified", e.argmax)
    raises(IndexError, "argmin(): Expected reduction dim 1 to have non-zero size.", e2.argmin, 1)
    raises(RuntimeError, "aminmax(): cannot compute aminmax over an empty dimension", e.aminmax)
    raises(
        IndexError, "aminmax: Expected reduction dim 1 to have non-zero size.", e2.aminmax, dim=1
    )
    raises(RuntimeError, "std and var only support floating point and complex dtypes", i.std)
    raises(RuntimeError, "nanmean(): expected input to have floating point", i.nanmean)
    raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor", i.norm)
    raises(RuntimeError, "cannot compute the inf norm on an empty tensor", e.norm, INF)
    raises(
        NotImplementedError,
        "\"logcumsumexp_out_cpu\" not implemented for 'Long'",
        i.logcumsumexp,
        0,
    )
    raises(
        NotImplementedError,
        "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'",
        i.softmax,
        0,
    )
    raises(RuntimeError, "argmax(): does not support bool input", ptjax.tensor([True]).argmax)
    raises(TypeError, "prod() received an invalid combination of arguments", x.prod, (0, 1))
    raises(TypeError, "", x.std, 0, True, correction=1)


def test_torch_raises_the_same_errors():
    # the messages asserted above are torch's own
    x = torch.randn(2, 3)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        x.max(2)
    with pytest.raises(RuntimeError, match="Specify the reduction dim with the 'dim' argument"):
        torch.zeros(0).max()
    with pytest.raises(IndexError, match="amax\\(\\): Expected reduction dim -1"):
        torch.zeros(2, 0).amax(-1)


def test_max_under_jit_matches_eager():
    x = randn(3, 4)
    eager = ptjax.tensor(x).max(1)
    jitted = jax.jit(lambda a: tuple(ptjax.Tensor._make(a).max(1)))(x)
    np.testing.assert_array_equal(np.asarray(jitted[1]._value), np.asarray(eager.indices._value))
    assert math.isclose(float(ptjax.tensor(x).max()), float(x.max()))


def test_half_precision_accumulates_in_float32():
    x = randn(3, 40, dtype=np.float16) * 3
    check(
        lambda t, x: (
            x.softmax(1),
            t.log_softmax(x, 1),
            x.cumsum(1),
            t.logcumsumexp(x, 1),
            x.std(1),
            x.sum(1),
            t.logsumexp(x, 1),
        ),
        [x],
        grad=False,
    )
