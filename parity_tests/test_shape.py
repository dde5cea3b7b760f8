"""Parity of shape ops (reshape, transpose, broadcast, split, join, flip, diagonals, unfold)
and of view semantics: in-place writes through every view op reach the base, views see later
changes of their base, and gradients flow through writes into views as in torch."""

import warnings

import numpy as np
import pytest
import torch
from helpers import check, raises, randint, randn

import ptjax

DT = [np.float32, np.float64]
# The logic under test is dtype-blind, so most float tests use one of float32/float64 in turn
# (compiles per dtype are what a test here costs).


# -- reshaping and transposing ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DT)
def test_reshape_family(dtype):
    def fn(t, x, y):
        return (
            x.view(4, 6),
            x.reshape(-1, 3),
            t.reshape(x, (2, 12)),
            x.view(t.Size([24])),
            x.flatten(),
            t.flatten(x, 1),
            x.flatten(0, 1),
            x.unflatten(2, (2, -1)),
            t.unflatten(x, -1, (1, 4)),
            x.ravel(),
            x.view_as(y),
            x.reshape_as(y),
        )

    check(fn, [randn(2, 3, 4, dtype=dtype), randn(6, 4, dtype=dtype)])


def test_reshape_edge_shapes():
    def fn(t, s, e):
        return (
            s.view(1, 1),
            s.reshape(-1),
            s.flatten(),
            e.view(2, 0, 3),
            e.reshape(-1, 6),
            e.ravel(),
        )

    check(fn, [randn(), randn(0, 6)])
    check(lambda t, x: (x.view(3, 2), x.flatten(), x.unflatten(0, (2, 3))), [np.arange(6)])


def test_squeeze_unsqueeze():
    dtype = np.float64

    def fn(t, x, s):
        return (
            x.squeeze(),
            x.squeeze(0),
            x.squeeze(1),
            x.squeeze((0, 2)),
            t.squeeze(x, (-1, 0)),
            x.unsqueeze(0),
            x.unsqueeze(-1),
            t.unsqueeze(x, 2),
            s.squeeze(),
            s.squeeze(0),
            s.unsqueeze(0),
            s.unsqueeze(-1),
        )

    check(fn, [randn(1, 3, 1, 2, dtype=dtype), randn(dtype=dtype)])


def test_permute_transpose():
    dtype = np.float32

    def fn(t, x, m, v):
        return (
            x.permute(2, 0, 1),
            x.permute((1, 2, 0)),
            t.permute(x, (-1, 0, 1)),
            x.transpose(0, 2),
            t.transpose(x, -1, 1),
            x.swapaxes(0, 1),
            t.swapdims(x, 1, 2),
            x.mT,
            x.mH,
            m.t(),
            t.t(v),
            m.T,
            m.H,
            t.adjoint(x),
            x.movedim(0, -1),
            t.moveaxis(x, (0, 1), (2, 0)),
            t.movedim(x, [2], [0]),
        )

    check(fn, [randn(2, 3, 4, dtype=dtype), randn(3, 5, dtype=dtype), randn(4, dtype=dtype)])


def test_T_warnings():
    for lib in (torch, ptjax):
        x = lib.zeros(2, 3, 4)
        with pytest.warns(UserWarning, match="dimension other than 2"):
            assert tuple(x.T.shape) == (4, 3, 2)
        with pytest.warns(UserWarning, match="deprecated on 0-D"):
            assert tuple(lib.zeros(()).T.shape) == ()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert tuple(lib.zeros(2, 3).T.shape) == (3, 2)


# -- broadcasting and repetition ------------------------------------------------------------------


def test_expand_broadcast():
    dtype = np.float64

    def fn(t, x, y, s):
        a, b = t.broadcast_tensors(x, y)
        c, d, e = t.broadcast_tensors(x, y, s)
        return (
            x.expand(2, 3, 4),
            x.expand(2, -1, -1),
            x.expand((5, 2, 3, 4)),
            x.expand_as(a),
            t.broadcast_to(y, (2, 3, 4)),
            y.broadcast_to((3, 2, 3, 4)),
            a,
            b,
            c,
            e,
            s.expand(3),
            s.expand(()),
        )

    check(fn, [randn(3, 1, dtype=dtype), randn(2, 1, 4, dtype=dtype), randn(dtype=dtype)])


def test_broadcast_shapes():
    for shapes in [((2, 1), (3,)), (2, (3, 1)), ((), (4,)), ((0, 1), (5,)), ((1,),)]:
        assert tuple(ptjax.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))
    assert isinstance(ptjax.broadcast_shapes((2, 1), (3,)), ptjax.Size)
    raises(
        RuntimeError,
        "Attempting to broadcast a dimension of length 3 at -1! Mismatching argument at index 1 "
        "had (3,); but expected shape should be broadcastable to [2, 2]",
        ptjax.broadcast_shapes,
        (2, 2),
        (3,),
    )


def test_repeat_tile():
    dtype = np.float32

    def fn(t, x, s):
        return (
            x.repeat(2, 1),
            x.repeat(2, 1, 3),
            x.repeat((1, 2)),
            t.tile(x, (2,)),
            x.tile((2, 1, 2)),
            s.repeat(3),
            s.repeat(2, 2),
            x.repeat(0, 1),
        )

    check(fn, [randn(2, 3, dtype=dtype), randn(dtype=dtype)])


def test_repeat_interleave():
    dtype = np.float64

    def fn(t, x, s):
        return (
            x.repeat_interleave(2),
            t.repeat_interleave(x, 3, dim=0),
            t.repeat_interleave(x, 2, dim=1, output_size=6),
            s.repeat_interleave(3),
        )

    check(fn, [randn(2, 3, dtype=dtype), randn(dtype=dtype)])

    def with_tensor_repeats(t, x):
        # torch.tensor inside jax.jit is traced, so data-dependent sizes are eager-only here
        return (
            x.repeat_interleave(t.tensor([1, 0, 2]), dim=1),
            x.repeat_interleave(t.tensor([2]), dim=-1),
            t.repeat_interleave(x, t.tensor([1, 3]), 0, output_size=4),
        )

    check(with_tensor_repeats, [randn(2, 3, dtype=dtype)], jit=False)
    check(lambda t, r: t.repeat_interleave(r), [np.array([1, 0, 3])], jit=False)


def test_repeat_interleave_traced_repeats():
    # repeats that arrive traced need output_size inside jit, as in torch.compile
    check(
        lambda t, x, r: x.repeat_interleave(r, dim=0, output_size=5),
        [randn(3, 2), np.array([2, 0, 3])],
    )


# -- flipping and rotating ------------------------------------------------------------------------


def test_flip_roll_rot90():
    dtype = np.float32

    def fn(t, x, m):
        return (
            x.flip(0),
            t.flip(x, (0, 2)),
            x.flip(-1, 1),
            t.fliplr(m),
            t.flipud(m),
            x.flipud(),
            t.roll(x, 1),
            x.roll(-2, 1),
            t.roll(x, (1, 2), (0, -1)),
            x.roll(7, 2),
            t.rot90(m),
            t.rot90(x, 2, (1, 2)),
            x.rot90(-1, [0, 2]),
            m.rot90(3, (1, 0)),
        )

    check(fn, [randn(2, 3, 4, dtype=dtype), randn(3, 5, dtype=dtype)])
    check(lambda t, e: (e.flip(0), e.roll(1), t.rot90(e)), [randn(0, 3)])
    check(lambda t, x: (x.flip(1), x.roll(1, 0)), [randint(0, 9, 2, 3)])


# -- narrowing and splitting ----------------------------------------------------------------------


def test_narrow_select_split():
    dtype = np.float64

    def fn(t, x):
        return (
            x.narrow(1, 1, 2),
            t.narrow(x, -1, -2, 2),
            x.narrow(1, 3, 0),
            t.narrow_copy(x, 2, 1, 3),
            x.select(1, 2),
            t.select(x, -1, -4),
            x.split(2, 1),
            t.split(x, [1, 3], -1),
            x.split_with_sizes([1, 0, 2], 1),
            x.chunk(2, 2),
            t.chunk(x, 3, 1),
            x.unbind(1),
            t.unbind(x),
        )

    check(fn, [randn(2, 3, 4, dtype=dtype)])


def test_chunk_counts():
    for n, c in [(5, 3), (5, 4), (6, 4), (0, 2), (1, 3), (7, 7)]:
        a = [tuple(p.shape) for p in torch.ones(n).chunk(c)]
        b = [tuple(p.shape) for p in ptjax.ones(n).chunk(c)]
        assert a == b, (n, c)
    for n, s in [(0, 1), (0, 0), (5, 2), (4, 4)]:
        a = [tuple(p.shape) for p in torch.ones(n).split(s)]
        b = [tuple(p.shape) for p in ptjax.ones(n).split(s)]
        assert a == b, (n, s)
    assert ptjax.ones(0, 2).unbind(0) == ()


def test_tensor_split_family():
    dtype = np.float32

    def fn(t, x, v):
        return (
            x.tensor_split(2, 1),
            t.tensor_split(x, 3, 2),
            x.tensor_split([1, 5], 1),
            x.tensor_split((-1, 1, 3), 2),
            t.hsplit(x, 3),
            x.hsplit([1]),
            t.vsplit(x, 2),
            x.dsplit([1, 3]),
            t.dsplit(x, 2),
            t.hsplit(v, 2),
        )

    check(fn, [randn(2, 3, 4, dtype=dtype), randn(4, dtype=dtype)])


def test_split_points_from_tensors():
    def fn(t, x):
        return (
            x.narrow(0, t.tensor(1), 1),
            t.tensor_split(x, t.tensor([1, 2]), 1),
            x.tensor_split(t.tensor(2), 0),
        )

    check(fn, [randn(2, 3, 4)], jit=False)


# -- joining ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DT)
def test_cat_stack(dtype):
    def fn(t, a, b, c, e):
        return (
            t.cat([a, b], 0),
            t.cat((a, c), dim=-1),
            t.concat([a, e, b]),
            t.concatenate([e, a], 0),
            t.cat([a]),
            t.stack([a, a]),
            t.stack((a, a, a), -1),
            t.stack([a, a], dim=1),
        )

    check(
        fn,
        [randn(2, 3, dtype=dtype), randn(1, 3, dtype=dtype), randn(2, 2, dtype=dtype), randn(0)],
    )


def test_cat_stack_promotion():
    def fn(t, f, d, i, b):
        return (
            t.cat([f, d]),
            t.cat([i, b]),
            t.cat([i, f]),
            t.cat([i, t.ones(0)]),
            t.stack([i, b]),
            t.stack([f, i, d]),
            t.cat([t.ones(0, dtype=t.int64), t.ones(0)]),
        )

    check(fn, [randn(3), randn(3, dtype=np.float64), np.arange(3), np.array([True, False, True])])


def test_stack_helpers():
    dtype = np.float64

    def fn(t, s, v, w, m, c):
        return (
            t.hstack([v, w]),
            t.hstack([s, v]),
            t.hstack([m, m]),
            t.vstack([v, v]),
            t.row_stack([m, v[:2]]),
            t.vstack([s, s]),
            t.dstack([v, v]),
            t.dstack([m, m]),
            t.column_stack([v, c, v]),
            t.column_stack([s, s]),
            t.atleast_1d(s),
            t.atleast_2d(v),
            t.atleast_2d(s, m),
            t.atleast_3d(v),
            t.atleast_3d([s, m, c.unsqueeze(0)]),
            t.atleast_1d((v,)),
        )

    check(
        fn,
        [
            randn(dtype=dtype),
            randn(3, dtype=dtype),
            randn(2, dtype=dtype),
            randn(3, 2, dtype=dtype),
            randn(3, 2, dtype=dtype),
        ],
    )


def test_atleast_views():
    x = ptjax.ones(3)
    y = ptjax.atleast_3d(x)
    y[0, 1, 0] = 5.0
    assert x.tolist() == [1.0, 5.0, 1.0]
    assert ptjax.atleast_1d(x) is x


# -- triangles, diagonals, grids, windows ---------------------------------------------------------


def test_triangles_and_diagonals():
    dtype = np.float32

    def fn(t, m, b, v):
        return (
            t.tril(m),
            m.tril(1),
            t.triu(b, -1),
            b.triu(2),
            t.diag(v),
            t.diag(v, 1),
            v.diag(-2),
            t.diag(m),
            m.diag(1),
            t.diag(m, -5),
            m.diagonal(),
            t.diagonal(b, 1, -1, -2),
            b.diagonal(dim1=0, dim2=2),
            t.diagonal(b, -1, 2, 1),
            t.diag_embed(m),
            t.diag_embed(b, 1, 0, 2),
            m.diag_embed(-1, 2, 0),
            t.diagflat(m),
            v.diagflat(1),
        )

    check(fn, [randn(3, 4, dtype=dtype), randn(2, 3, 3, dtype=dtype), randn(3, dtype=dtype)])
    check(lambda t, m: (m.tril(), m.triu(1), m.diagonal(), t.diag(m)), [randint(0, 9, 3, 3)])


def test_meshgrid():
    def fn(t, a, b, s):
        return (
            t.meshgrid(a, b, indexing="ij"),
            t.meshgrid([a, b], indexing="xy"),
            t.meshgrid(a, b, a, indexing="xy"),
            t.meshgrid(a, s, indexing="ij"),
            t.meshgrid((a,), indexing="xy"),
        )

    check(fn, [randn(2), randn(3), randn()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = ptjax.meshgrid(ptjax.ones(2), ptjax.ones(3))  # 'ij' by default, no warning
    assert [tuple(o.shape) for o in outs] == [(2, 3), (2, 3)]


def test_unfold():
    dtype = np.float64

    def fn(t, x, s):
        return (
            x.unfold(1, 2, 1),
            x.unfold(-1, 2, 2),
            x.unfold(2, 3, 2),
            x.unfold(0, 1, 1),
            x.unfold(1, 0, 1),
            s.unfold(0, 1, 1),
        )

    check(fn, [randn(2, 3, 5, dtype=dtype), randn(dtype=dtype)])


def test_scatter_forms_of_views():
    def fn(t, x, r, c, d):
        return (
            t.select_scatter(x, r, 0, 1),
            x.slice_scatter(c, 1, 1, None, 2),
            t.slice_scatter(x, r.unsqueeze(0), start=-1),
            t.diagonal_scatter(x, d),
            x.diagonal_scatter(d, 1),
        )

    check(fn, [randn(3, 4), randn(4), randn(3, 2), randn(3)])


def test_as_strided_unsupported():
    raises(NotImplementedError, "torch.as_strided", ptjax.as_strided, ptjax.ones(4), (2,), (1,))
    raises(NotImplementedError, "torch.as_strided", ptjax.ones(4).as_strided, (2,), (1,))


# -- views: writes reach the base, views see the base, gradients through writes -------------------


def test_writes_through_views_reach_base():
    def fn(t, x):
        y = x.clone()
        y.narrow(0, 1, 2).zero_()
        z = x.clone()
        z.t()[0] = 1.0
        d = x.clone()
        d.diagonal().add_(1.0)
        e = x.clone()
        e[0][1] = 5.0
        f = x.clone()
        f.view(-1)[3] = 2.0
        h = x.clone()
        h.select(1, 0).sub_(1.0)
        k = x.clone()
        k.unsqueeze(0).squeeze(0).transpose(0, 1)[1:, 0] = -1.0
        m = x.clone()
        m.unfold(1, 2, 2).mul_(2.0)
        p = x.clone()
        p.view(2, 6)[1, 2:4] = 7.0
        q = x.clone()
        q.tensor_split(3, 1)[1].mul_(3.0)
        r = x.clone()
        r.expand(2, 3, 4)[1].add_(1.0)
        return y, z, d, e, f, h, k, m, p, q, r

    check(fn, [randn(3, 4)])


def test_writes_through_multi_output_views():
    # torch allows these only without autograd (see test_multi_output_view_inplace_error)
    def fn(t, x):
        w = x.clone()
        w.unbind(0)[1].fill_(3.0)
        g = x.clone()
        g.split(1, 1)[2].mul_(3.0)
        n = x.clone()
        n.chunk(2, 1)[1][0].zero_()
        for row in n:
            row.add_(1.0)
        return w, g, n

    check(fn, [randn(3, 4)], grad=False)


def test_multi_output_view_inplace_error():
    msg = "is a view and is being modified inplace. This view is the output of a function that "
    for lib in (torch, ptjax):
        x = lib.zeros(3, 4, requires_grad=True)
        y = x.clone()
        raises(RuntimeError, "Output 1 of Unbind " + msg, lambda y: y.unbind(0)[1].fill_(3), y)
        raises(RuntimeError, "Output 1 of Split " + msg, lambda y: y.split(2)[1].mul_(2), y)
        raises(RuntimeError, msg, lambda y: y.chunk(2)[1][0].mul_(2), y)
        raises(RuntimeError, msg, lambda x: x.unbind(0)[1].fill_(3), x)
        y.tensor_split(2)[1].mul_(2)  # tensor_split's outputs are ordinary views
        with lib.no_grad():
            y.unbind(0)[0].fill_(1.0)
        assert float(y.detach().sum()) == 4.0


def test_views_see_later_base_changes():
    def fn(t, x):
        y = x.clone()
        views = [y[1], y.t(), y.view(-1), y.diagonal(), y.narrow(1, 1, 2), y.expand(2, 3, 4)]
        y.mul_(2.0)
        y[0, 0] = 9.0
        return (*views, y)

    check(fn, [randn(3, 4)])

    def multi(t, x):
        y = x.clone()
        parts = (*y.split(2, 1), *y.unbind(1))
        y.mul_(2.0)
        return parts

    check(multi, [randn(3, 4)], grad=False)


def test_view_of_view_and_base_grads():
    def fn(t, x, v):
        y = x.clone()
        y[0].mul_(2.0)
        y[1:, 1:][0] = v
        z = y.view(2, -1).t()
        z[0, :].add_(v.sum())
        return y, z

    check(fn, [randn(3, 4), randn(3)])


def test_view_layout_matches_torch():
    # strides, offsets and contiguity of views follow torch, so reshape/view/contiguous of a
    # transposed or strided view copy (or refuse) exactly where torch does
    def views(t):
        x = t.arange(24.0).reshape(2, 3, 4)
        return [
            x.transpose(0, 2),
            x[:, ::2],
            x[1],
            x[:, 1],
            x.unsqueeze(1),
            x.expand(2, 2, 3, 4),
            x.diagonal(0, 1, 2),
            x.unfold(2, 2, 1),
            x[1:, 1:].permute(2, 0, 1),
            x.view(6, 4)[1:3],
            x.movedim(0, 2)[::2],
            x.narrow(2, 1, 2),
        ]

    for a, b in zip(views(torch), views(ptjax)):
        # strides of size-1 dims carry no layout information (torch's depend on op history)
        sized = [k for k, n in enumerate(a.shape) if n != 1]
        assert [b.stride(k) for k in sized] == [a.stride(k) for k in sized]
        assert b.storage_offset() == a.storage_offset()
        assert b.is_contiguous() == a.is_contiguous()
        for shape in [(-1,), (a.shape[0], -1), tuple(a.shape)[::-1]]:
            try:
                a.view(shape)
            except RuntimeError:
                raises(
                    RuntimeError,
                    "view size is not compatible with input tensor's size and stride",
                    b.view,
                    shape,
                )
            else:
                b.view(shape)


def test_reshape_of_non_contiguous_views_copies():
    def fn(t, x):
        y = x.clone()
        r = y.t().reshape(-1)  # a copy in torch: writing to it leaves y alone
        r[0] = 100.0
        f = y[:, ::2].flatten()
        f.mul_(2.0)
        c = y.t().contiguous()
        c.add_(1.0)
        v = y[:2].reshape(2, 2, 2)  # still a view
        v[0, 0, 0] = -5.0
        a = y.t().ravel()
        a.zero_()
        return y, r, f, c, v, a

    check(fn, [randn(3, 4)])


def test_inplace_on_view_of_leaf_raises():
    for lib in (torch, ptjax):
        x = lib.ones(3, 4, requires_grad=True)
        raises(
            RuntimeError,
            "a view of a leaf Variable that requires grad is being used in an in-place operation",
            lambda x: x[0].mul_(2),
            x,
        )
        raises(
            RuntimeError,
            "a view of a leaf Variable that requires grad is being used in an in-place operation",
            lambda x: x.t().add_(1),
            x,
        )
        with lib.no_grad():
            x.narrow(0, 0, 1).add_(1.0)  # allowed without grad recording
        assert float(x.sum()) == 16.0


def test_expanded_views_refuse_writes():
    msg = "unsupported operation: more than one element of the written-to tensor refers to a single"
    for lib in (torch, ptjax):
        x = lib.zeros(3)
        raises(RuntimeError, msg, lambda x: x.expand(2, 3).add_(1.0), x)
        x.expand(2, 3)[0].add_(1.0)  # one row of the expansion is a plain view
        assert x.tolist() == [1.0, 1.0, 1.0]
    # torch writes overlapping unfold windows in memory order (elements change twice); ptjax
    # refuses instead of computing something else
    raises(RuntimeError, msg, lambda x: x.unfold(0, 2, 1).mul_(2.0), ptjax.zeros(3))


def test_inplace_shape_ops():
    def fn(t, x):
        y = x.clone()
        y.unsqueeze_(0)
        y.transpose_(1, 2)
        y.squeeze_(0)
        z = x.clone()
        z.t_()
        w = x.clone()
        v = w[1:]
        v.unsqueeze_(1)
        v.mul_(2.0)
        u = x.clone()
        u.swapaxes_(0, 1)
        u.swapdims_(1, 0)
        return y, z, w, v, u

    check(fn, [randn(3, 4)])
    for lib in (torch, ptjax):
        x = lib.ones(3, requires_grad=True)
        raises(RuntimeError, "a leaf Variable that requires grad", lambda x: x.unsqueeze_(0), x)


def test_grad_fn_names():
    x = ptjax.ones(2, 3, requires_grad=True)
    tx = torch.ones(2, 3, requires_grad=True)
    for f in [
        lambda t: t.view(-1),
        lambda t: t.t(),
        lambda t: t.permute(1, 0),
        lambda t: t.unsqueeze(0),
        lambda t: t.expand(2, 2, 3),
        lambda t: t.narrow(1, 0, 1),
        lambda t: t.select(0, 1),
        lambda t: t.diagonal(),
        lambda t: t.split(1)[0],
        lambda t: t.unbind()[0],
        lambda t: t.repeat(2, 1),
        lambda t: t.unfold(1, 2, 1),
    ]:
        assert f(x).grad_fn.name() == f(tx).grad_fn.name()


# -- complex tensors viewed as pairs of reals (view_as_real / view_as_complex) ---------------------


def crandn(*shape, dtype=np.complex64):
    return np.asarray(randn(*shape, dtype=np.float64) + 1j * randn(*shape, dtype=np.float64), dtype)


@pytest.mark.parametrize("cdtype", [np.complex64, np.complex128])
def test_view_as_real_complex_values_and_grads(cdtype):
    real = np.float32 if cdtype == np.complex64 else np.float64

    def fn(t, z, x, s, p):
        return (
            t.view_as_real(z),
            t.view_as_real(z.t()),
            t.view_as_real(s),  # 0-dim -> (2,)
            t.view_as_complex(x),
            t.view_as_complex(x[1:, ::2]),
            t.view_as_complex(p),  # (2,) -> 0-dim
            t.view_as_complex(t.view_as_real(z)),
            t.view_as_real(t.view_as_complex(x)[0]),
        )

    # real outputs get real cotangents, complex ones complex cotangents (see helpers._cot)
    check(
        fn,
        [
            crandn(3, 4, dtype=cdtype),
            randn(3, 4, 2, dtype=real),
            crandn(dtype=cdtype),
            randn(2, dtype=real),
        ],
    )
    # (0, 2): built here, since torch.from_numpy gives an empty array strides view_as_complex refuses
    empty = [lib.view_as_complex(lib.zeros(0, 2, dtype=lib.float64)) for lib in (torch, ptjax)]
    assert [(tuple(e.shape), str(e.dtype)) for e in empty] == [((0,), "torch.complex128")] * 2


def test_view_as_real_complex_write_through():
    def fn(t, z, x):
        a = z.clone()
        t.view_as_real(a)[..., 0] = 1.0  # z's real parts
        b = z.clone()
        rb = t.view_as_real(b)
        b.mul_(2.0)  # the view sees its base change
        c = x.clone()
        t.view_as_complex(c).mul_(1j)
        d = x.clone()
        cd = t.view_as_complex(d)
        d[0, 1] = 5.0
        e = z.clone()
        t.view_as_real(e.t())[1:, 0, 1] = -1.0
        f = x.clone()
        t.view_as_real(t.view_as_complex(f)[1:].t())[0].mul_(3.0)
        g = x.clone()
        t.view_as_complex(g[1:]).add_(t.view_as_complex(x[:2]).conj())
        return a, rb, b, c, cd, d, e, f, g

    check(fn, [crandn(3, 4), randn(3, 4, 2)])
    # the other dtype eagerly only: the write logic is dtype-blind, compiles cost the time
    check(fn, [crandn(3, 4, dtype=np.complex128), randn(3, 4, 2, dtype=np.float64)], jit=False)


def test_view_as_real_complex_layout():
    def views(t):
        x = t.arange(48.0).reshape(2, 3, 4, 2)
        z = t.view_as_complex(x)
        return [
            t.view_as_real(z),
            z,
            z[1:],
            z.transpose(0, 2),
            t.view_as_real(z.transpose(0, 2)),
            t.view_as_real(z[:, 1, ::2]),
            t.view_as_complex(x[1:, :, 2:]),
            t.view_as_real(z).view(-1),
            t.view_as_real(z[1]).flatten(1),
        ]

    for a, b in zip(views(torch), views(ptjax)):
        sized = [k for k, n in enumerate(a.shape) if n != 1]
        assert [b.stride(k) for k in sized] == [a.stride(k) for k in sized]
        assert b.storage_offset() == a.storage_offset()
        assert b.is_contiguous() == a.is_contiguous()
        assert b._base is not None  # still views of x
    names = []
    for lib in (torch, ptjax):
        z = lib.zeros(2, 3, dtype=lib.complex64, requires_grad=True)
        r = lib.view_as_real(z)
        names.append((r.grad_fn.name(), lib.view_as_complex(r).grad_fn.name()))
    assert names[0] == names[1]
    # torch has them only as functions, not Tensor methods
    assert not hasattr(torch.Tensor, "view_as_real") and not hasattr(ptjax.Tensor, "view_as_real")
    assert not hasattr(ptjax.Tensor, "view_as_complex")


def test_real_imag_are_views():
    def fn(t, z, x):
        a = z.clone()
        a.real.mul_(2.0)  # writes reach the complex tensor
        a.imag[0] = 5.0
        b = z.clone()
        rb, ib = b.real, t.imag(b)
        b.add_(1j)  # the views see their base change
        c = z.clone()
        c.real = x  # the setter copies into the real part, as in torch
        c.imag = 0.5
        d = z.clone()
        d.t().imag[1:, 0] = -1.0
        return a, rb, ib, b, c, d, z.real * 3, (z.imag**2).sum(), t.real(x) + 1

    check(fn, [crandn(3, 4), randn(3, 4)])
    for lib in (torch, ptjax):
        z = lib.zeros(2, 3, dtype=lib.complex64, requires_grad=True)
        x = lib.zeros(3)
        assert z.real.grad_fn.name() == z.imag.grad_fn.name() == "SelectBackward0"
        assert (z.real.stride(), z.imag.storage_offset()) == ((6, 2), 1)
        assert x.real is x and z.real._base is z


def test_view_as_real_complex_errors():
    msg = "view_as_complex is only supported for half, float and double tensors, but got a tensor"
    _both(
        RuntimeError,
        "view_as_real is only supported for complex tensors",
        lambda t: t.view_as_real(t.ones(3)),
    )
    _both(
        RuntimeError,
        "view_as_real is only supported for complex tensors",
        lambda t: t.view_as_real(t.ones(3, dtype=t.int64)),
    )
    _both(
        RuntimeError,
        msg + " of scalar type: Long",
        lambda t: t.view_as_complex(t.ones(3, 2, dtype=t.int64)),
    )
    _both(RuntimeError, msg + " of scalar type: Long", lambda t: t.view_as_complex(t.tensor(1)))
    _both(
        RuntimeError,
        msg + " of scalar type: BFloat16",
        lambda t: t.view_as_complex(t.ones(3, 2, dtype=t.bfloat16)),
    )
    _both(
        RuntimeError,
        msg + " of scalar type: ComplexFloat",
        lambda t: t.view_as_complex(t.ones(3, 2, dtype=t.complex64)),
    )
    _both(
        RuntimeError,
        "Input tensor must have one or more dimensions",
        lambda t: t.view_as_complex(t.tensor(1.0)),
    )
    _both(
        RuntimeError,
        "Tensor must have a last dimension of size 2",
        lambda t: t.view_as_complex(t.ones(3, 3)),
    )
    _both(
        RuntimeError,
        "Tensor must have a last dimension of size 2",
        lambda t: t.view_as_complex(t.ones(4, 6)[:, ::2]),
    )
    _both(
        RuntimeError,
        "Tensor must have a last dimension with stride 1",
        lambda t: t.view_as_complex(t.ones(4, 3)[:, ::2]),
    )
    _both(
        RuntimeError,
        "Tensor must have a last dimension with stride 1",
        lambda t: t.view_as_complex(t.ones(2, 3).t()),
    )
    _both(
        RuntimeError,
        "Tensor must have a stride divisible by 2 for all but last dimension",
        lambda t: t.view_as_complex(t.ones(2, 3)[:, :2]),
    )
    _both(
        RuntimeError,
        "Tensor must have a storage_offset divisible by 2",
        lambda t: t.view_as_complex(t.ones(2, 4)[:, 1:3]),
    )
    for lib in (torch, ptjax):
        lib.view_as_complex(lib.ones(3, 3)[:1, :2])  # a size-1 dimension's stride is not checked
        lib.view_as_complex(lib.ones(2, 3, 2).transpose(0, 1).contiguous())
    # torch views float16 as its complex32; JAX has no such dtype
    torch.view_as_complex(torch.ones(3, 2, dtype=torch.float16))
    raises(
        NotImplementedError,
        "JAX has no complex32",
        ptjax.view_as_complex,
        ptjax.ones(3, 2, dtype=ptjax.float16),
    )


# -- errors ----------------------------------------------------------------------------------------


def _both(exc, match, fn):
    for lib in (torch, ptjax):
        raises(exc, match, fn, lib)


def test_shape_errors():
    x = lambda t: t.zeros(2, 3, 4)  # noqa: E731
    _both(RuntimeError, "shape '[4, 4]' is invalid for input of size 24", lambda t: x(t).view(4, 4))
    _both(
        RuntimeError, "shape '[5, -1]' is invalid for input of size 24", lambda t: x(t).view(5, -1)
    )
    _both(RuntimeError, "only one dimension can be inferred", lambda t: x(t).reshape(-1, -1))
    _both(RuntimeError, "invalid shape dimension -2", lambda t: x(t).view(-2, 12))
    _both(
        RuntimeError,
        "the unspecified dimension size -1 can be any value",
        lambda t: t.ones(0).view(-1, 0),
    )
    _both(
        IndexError,
        "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
        lambda t: x(t).squeeze(3),
    )
    _both(
        IndexError,
        "Dimension out of range (expected to be in range of [-4, 3], but got 4)",
        lambda t: x(t).unsqueeze(4),
    )
    _both(
        RuntimeError, "input.dim() = 3 is not equal to len(dims) = 2", lambda t: x(t).permute(0, 1)
    )
    _both(
        RuntimeError, "permute(): duplicate dims are not allowed.", lambda t: x(t).permute(0, 1, 1)
    )
    _both(RuntimeError, "start_dim cannot come after end_dim", lambda t: x(t).flatten(2, 0))
    _both(
        RuntimeError,
        "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (3)",
        lambda t: x(t).unflatten(1, (2, 2)),
    )
    _both(RuntimeError, "unflatten: sizes must be non-empty", lambda t: x(t).unflatten(1, ()))
    _both(
        RuntimeError,
        "movedim: repeated dim in `source` ([0, 0])",
        lambda t: x(t).movedim((0, 0), (1, 2)),
    )
    _both(
        RuntimeError,
        "t() expects a tensor with <= 2 dimensions, but self is 3D",
        lambda t: x(t).t(),
    )
    _both(
        RuntimeError,
        "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
        lambda t: t.ones(3).mT,
    )
    _both(
        RuntimeError,
        "tensor.H is only supported on matrices (2-D tensors). Got 3-D tensor.",
        lambda t: x(t).H,
    )


def test_broadcast_errors():
    x = lambda t: t.zeros(2, 3, 4)  # noqa: E731
    _both(
        RuntimeError,
        "The expanded size of the tensor (5) must match the existing size (4) at non-singleton dimension 2.  Target sizes: [2, 3, 5].  Tensor sizes: [2, 3, 4]",
        lambda t: x(t).expand(2, 3, 5),
    )
    _both(
        RuntimeError,
        "the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)",
        lambda t: x(t).expand(3, 4),
    )
    _both(
        RuntimeError,
        "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
        lambda t: x(t).expand(-1, 2, 3, 4),
    )
    _both(
        RuntimeError,
        "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 2",
        lambda t: t.broadcast_tensors(x(t), t.ones(5)),
    )
    _both(
        RuntimeError,
        "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
        lambda t: x(t).repeat(2),
    )
    _both(
        RuntimeError,
        "repeats must have the same size as input along dim, but got repeats.size(0) = 2 and input.size(1) = 3",
        lambda t: x(t).repeat_interleave(t.tensor([1, 2]), dim=1),
    )
    _both(
        RuntimeError,
        "repeats can not be negative",
        lambda t: x(t).repeat_interleave(t.tensor([1, -2, 0]), dim=1),
    )
    _both(
        RuntimeError,
        "repeats must be 0-dim or 1-dim tensor",
        lambda t: x(t).repeat_interleave(t.tensor([[1, 2, 0]]), dim=1),
    )
    _both(
        RuntimeError,
        "allocated size does not match required size",
        lambda t: x(t).repeat_interleave(t.tensor([1, 2, 0]), dim=1, output_size=4),
    )
    _both(RuntimeError, "Repeats must be non-negative", lambda t: x(t).repeat_interleave(-1))


def test_split_narrow_errors():
    x = lambda t: t.zeros(2, 3, 4)  # noqa: E731
    _both(
        RuntimeError,
        "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 1), but got split_sizes=[1, 1]",
        lambda t: x(t).split([1, 1], 1),
    )
    _both(
        RuntimeError,
        "split_size can only be 0 if dimension size is 0, but got dimension size of 3",
        lambda t: x(t).split(0, 1),
    )
    _both(
        RuntimeError,
        "chunk expects `chunks` to be greater than 0, got: 0",
        lambda t: x(t).chunk(0, 1),
    )
    _both(
        RuntimeError,
        "number of sections must be larger than 0, got 0",
        lambda t: x(t).tensor_split(0, 1),
    )
    _both(
        RuntimeError,
        "torch.hsplit attempted to split along dimension 1, but the size of the dimension 3 is not divisible by the split_size 2!",
        lambda t: t.hsplit(x(t), 2),
    )
    _both(
        RuntimeError,
        "torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with 2 dimensions!",
        lambda t: t.dsplit(t.ones(2, 2), 2),
    )
    _both(
        RuntimeError,
        "start (2) + length (2) exceeds dimension size (3).",
        lambda t: x(t).narrow(1, 2, 2),
    )
    _both(
        IndexError,
        "start out of range (expected to be in range of [-3, 3], but got 4)",
        lambda t: x(t).narrow(1, 4, 0),
    )
    _both(RuntimeError, "narrow(): length must be non-negative.", lambda t: x(t).narrow(1, 0, -1))
    _both(
        IndexError,
        "select(): index 3 out of range for tensor of size [2, 3, 4] at dimension 1",
        lambda t: x(t).select(1, 3),
    )
    _both(
        RuntimeError,
        "diagonal dimensions cannot be identical 0, 0",
        lambda t: t.diagonal(x(t), 1, 0, 0),
    )
    _both(
        RuntimeError,
        "maximum size for tensor at dimension 1 is 3 but size is 4",
        lambda t: x(t).unfold(1, 4, 1),
    )
    _both(RuntimeError, "step is 0 but must be > 0", lambda t: x(t).unfold(1, 2, 0))


def test_join_and_misc_errors():
    x = lambda t: t.zeros(2, 3, 4)  # noqa: E731
    _both(
        RuntimeError,
        "Tensors must have same number of dimensions: got 3 and 2",
        lambda t: t.cat([x(t), t.ones(2, 3)]),
    )
    _both(
        RuntimeError,
        "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list.",
        lambda t: t.cat([x(t), t.ones(2, 2, 4)]),
    )
    _both(
        RuntimeError,
        "zero-dimensional tensor (at position 1) cannot be concatenated",
        lambda t: t.cat([t.ones(2), t.tensor(1.0)]),
    )
    _both(ValueError, "torch.cat(): expected a non-empty list of Tensors", lambda t: t.cat([]))
    _both(
        TypeError,
        "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor",
        lambda t: t.cat(x(t)),
    )
    _both(
        RuntimeError,
        "stack expects each tensor to be equal size, but got [2, 3, 4] at entry 0 and [2, 3] at entry 1",
        lambda t: t.stack([x(t), t.ones(2, 3)]),
    )
    _both(RuntimeError, "stack expects a non-empty TensorList", lambda t: t.stack([]))
    _both(
        RuntimeError,
        "tril: input tensor must have at least 2 dimensions",
        lambda t: t.tril(t.ones(3)),
    )
    _both(RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D", lambda t: t.diag(x(t)))
    _both(
        RuntimeError,
        "shifts and dimensions must align. shifts: 2, dims:1",
        lambda t: t.roll(x(t), (1, 2), (0,)),
    )
    _both(
        RuntimeError,
        "dim 0 appears multiple times in the list of dims",
        lambda t: t.flip(x(t), (0, 0)),
    )
    _both(RuntimeError, "Input must be >= 2-d.", lambda t: t.fliplr(t.ones(3)))
    _both(
        RuntimeError,
        "expected total rotation dims == 2, but got dims = 1",
        lambda t: t.rot90(x(t), 1, (0,)),
    )
    _both(
        RuntimeError,
        "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0",
        lambda t: t.rot90(x(t), 1, (0, 0)),
    )
    _both(
        RuntimeError,
        "meshgrid expects all tensors to have the same dtype",
        lambda t: t.meshgrid(t.ones(2), t.ones(3, dtype=t.float64), indexing="ij"),
    )
    _both(
        RuntimeError,
        'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo',
        lambda t: t.meshgrid(t.ones(2), indexing="foo"),
    )


def test_out_arguments():
    def run(t):
        a, b = t.arange(6.0).view(2, 3), t.ones(1, 3)
        outs = [t.zeros(3, 3), t.empty(0), t.zeros(2, 3), t.zeros(3, 3)]
        r0 = t.cat([a, b], out=outs[0])
        t.stack([a, a], 1, out=outs[1])  # a wrong-sized out is resized, as in torch
        t.tril(a, out=outs[2])
        t.diag(t.ones(3), out=outs[3])
        return [r0 is outs[0]] + [(o.dtype, o.tolist()) for o in outs]

    assert [str(x) for x in run(ptjax)] == [str(x) for x in run(torch)]
    for lib in (torch, ptjax):
        x = lib.ones(2, requires_grad=True)
        raises(
            RuntimeError,
            "cat(): functions with out=... arguments don't support automatic differentiation",
            lambda x, lib=lib: lib.cat([x], out=lib.zeros(2)),
            x,
        )
