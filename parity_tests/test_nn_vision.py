"""Parity of the vision layers and functions against torch: padding (F.pad and the 15 padding
layers), interpolate/Upsample, pixel (un)shuffle, fold/unfold, affine_grid/grid_sample, and the
distances (one_hot, normalize, cosine_similarity, pairwise_distance, cdist); float32 and float64,
batched and unbatched, eager and (one configuration per layer) jax.jit; repr and errors."""

import math

import numpy as np
import pytest
import torch
from helpers import check, raises, randn
from nn_helpers import check_module

import ptjax
import ptjax.nn as pnn
import ptjax.nn.functional as PF

EVAL = ("eval",)  # none of these layers depends on train/eval mode


def _pair(name, *args, **kwargs):
    return getattr(torch.nn, name)(*args, **kwargs), lambda: getattr(pnn, name)(*args, **kwargs)


def _same_error(call, *arrays):
    """ptjax raises torch's exception type with torch's message for the same call."""
    with pytest.raises(Exception) as t_err:
        call(torch, *[torch.from_numpy(np.asarray(a)) for a in arrays])
    raises(type(t_err.value), str(t_err.value), call, ptjax, *[ptjax.tensor(a) for a in arrays])


# -- padding --------------------------------------------------------------------------------------

PAD_CASES = [
    # (name, args, input shape, jit)
    ("ZeroPad1d", ((1, 2),), (2, 3, 4), True),
    ("ZeroPad2d", ((1, 0, 2, -1),), (3, 4, 5), False),
    ("ZeroPad3d", (1,), (1, 2, 2, 3, 2), False),
    ("ConstantPad1d", (2, 3.5), (3, 4), True),
    ("ConstantPad2d", ((-1, 2, 0, 1), -1.0), (2, 2, 3, 4), False),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5), (2, 3, 2, 2), False),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 4), True),
    ("ReflectionPad2d", ((1, 2, 2, 0),), (3, 4, 5), False),
    ("ReflectionPad2d", ((-1, 2, 1, -1),), (1, 2, 4, 5), False),
    ("ReflectionPad3d", (1,), (1, 2, 3, 3, 2), False),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4), True),
    ("ReplicationPad2d", ((1, 2, 3, 0),), (3, 2, 3), False),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), (2, 2, 3, 2), False),
    ("CircularPad1d", ((2, 1),), (2, 3, 4), True),
    ("CircularPad2d", ((1, 2, 2, 0),), (3, 4, 5), False),
    ("CircularPad2d", ((-1, 2, 1, -1),), (1, 2, 4, 5), False),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 2), False),
]


@pytest.mark.parametrize("name,args,shape,jit", PAD_CASES)
def test_padding_layers(name, args, shape, jit):
    t, p = _pair(name, *args)
    check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit)
    assert repr(p()) == repr(t)


@pytest.mark.parametrize(
    "pad,mode,value,shape",
    [
        ((1, 2), "constant", None, (3,)),  # any rank for constant padding
        ((1, -2, 0, 1, 2, 0), "constant", 2.0, (2, 3, 4, 2)),
        ((-2, -1), "constant", None, (2, 3)),
        ((-1, 2), "reflect", None, (1, 2, 3)),
        ((2, -1, 1, 1), "replicate", None, (2, 3, 3)),
        ((3, 3), "circular", None, (1, 2, 4)),
        ((2, -1), "circular", None, (1, 2, 4)),
        ((1, 1), "reflect", 0.0, (2, 3, 4)),  # a zero value is accepted by every mode
    ],
)
def test_functional_pad(pad, mode, value, shape):
    check(lambda t, x: t.nn.functional.pad(x, pad, mode, value), [randn(*shape)], jit=False)


def test_functional_pad_int_and_dtypes():
    x = np.arange(12).reshape(2, 6)
    # the fill value is cast to the tensor's type
    check(lambda t, x: t.nn.functional.pad(x, (1, 1), value=1.7), [x], grad=False, jit=False)
    check(
        lambda t, x: t.nn.functional.pad(x, (2, 1), mode="replicate"),
        [x.reshape(1, 2, 6)],
        grad=False,
        jit=False,
    )
    check(
        lambda t, x: t.nn.functional.pad(x, [1, 1, 1, 1], mode="reflect"),
        [randn(0, 2, 3, 3, dtype=np.float64)],
        jit=False,
    )


@pytest.mark.parametrize(
    "pad,mode,value,shape",
    [
        ((1,), "constant", None, (2, 3)),
        ((1, 1, 1, 1, 1, 1), "constant", None, (2, 3)),
        ((-2, -2), "constant", None, (2, 3)),
        ((1, 1), "reflect", None, (3,)),
        ((3, 1), "reflect", None, (1, 2, 3)),
        ((0, 0, 2, 1), "reflect", None, (1, 2, 3)),
        ((1, 1), "reflect", 1.0, (1, 2, 3)),
        ((1, 1), "reflect", None, (1, 1, 2, 3)),
        ((1, 1), "replicate", None, (1, 1, 1, 1, 2, 3)),
        ((1, 1), "foo", None, (1, 2, 3)),
        ((1, 1), "reflect", None, (1, 0, 3)),
        ((1, 1), "replicate", None, (1, 2, 0)),
        ((-4, 1), "replicate", None, (1, 2, 3)),
        ((-1, 4), "circular", None, (1, 2, 3)),
    ],
)
def test_pad_errors(pad, mode, value, shape):
    _same_error(lambda t, x: t.nn.functional.pad(x, pad, mode, value), np.zeros(shape, np.float32))


def test_pad_layer_errors():
    raises(
        ValueError,
        "expected 3D or 4D input (got 2D input)",
        pnn.CircularPad2d(1),
        ptjax.zeros(2, 3),
    )
    raises(
        TypeError,
        "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
        "float at pos 0",
        PF.pad,
        ptjax.zeros(2, 3),
        (1.0, 1),
    )


# -- interpolate / Upsample -----------------------------------------------------------------------

INTERP_CASES = [
    # (input shape, interpolate kwargs, jit, dtypes): both dtypes where the weights' precision
    # follows the input's (linear and cubic modes with inexact scales)
    ((2, 3, 5, 6), dict(scale_factor=2), True, "f"),
    ((2, 3, 5, 6), dict(size=(3, 8)), False, "d"),
    ((2, 3, 5, 6), dict(scale_factor=1.7), False, "f"),
    ((2, 3, 5, 6), dict(scale_factor=(0.6, 1.5), mode="nearest-exact"), False, "d"),
    ((2, 3, 7), dict(size=4, mode="nearest-exact"), False, "f"),
    ((1, 2, 3, 4, 5), dict(size=(4, 2, 7)), False, "d"),
    ((2, 3, 7), dict(scale_factor=2.5, mode="linear"), False, "fd"),
    ((2, 3, 7), dict(size=4, mode="linear", align_corners=True), False, "d"),
    ((2, 3, 5, 6), dict(scale_factor=1.3, mode="bilinear"), True, "fd"),
    ((2, 3, 5, 6), dict(size=(7, 3), mode="bilinear", align_corners=True), False, "fd"),
    ((2, 3, 5, 6), dict(size=(5, 6), mode="bilinear"), False, "f"),  # same size: a copy
    (
        (2, 3, 5, 6),
        dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
        False,
        "d",
    ),
    ((2, 3, 5, 6), dict(scale_factor=(1.5, 0.6), mode="bicubic"), True, "fd"),
    ((2, 3, 5, 6), dict(size=(8, 9), mode="bicubic", align_corners=True), False, "f"),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode="trilinear"), True, "fd"),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 3), mode="trilinear", align_corners=True), False, "d"),
    ((2, 3, 5, 7), dict(size=(3, 4), mode="area"), False, "f"),
    ((2, 3, 6), dict(scale_factor=0.5, mode="area"), False, "d"),
]
_DT = {"f": np.float32, "d": np.float64}


@pytest.mark.parametrize(
    "shape,kwargs,jit,dtype",
    [(s, k, j and d == "f", _DT[d]) for s, k, j, ds in INTERP_CASES for d in ds],
)
def test_interpolate(shape, kwargs, jit, dtype):
    check(
        lambda t, x: t.nn.functional.interpolate(x, **kwargs),
        [randn(*shape, dtype=dtype)],
        jit=jit,
    )


@pytest.mark.parametrize(
    "name,args,kwargs,shape,jit",
    [
        ("Upsample", (), dict(scale_factor=2), (2, 3, 4, 5), True),
        (
            "Upsample",
            (),
            dict(size=(3, 7), mode="bilinear", align_corners=False),
            (2, 2, 4, 5),
            False,
        ),
        ("Upsample", (), dict(scale_factor=(2, 1.5), mode="bicubic"), (1, 2, 4, 5), False),
        (
            "Upsample",
            (),
            dict(scale_factor=0.7, mode="linear", recompute_scale_factor=True),
            (2, 3, 9),
            False,
        ),
        ("UpsamplingNearest2d", (), dict(size=7), (2, 2, 4, 5), False),
        ("UpsamplingBilinear2d", (), dict(scale_factor=2), (2, 2, 4, 5), True),
    ],
)
def test_upsample_layers(name, args, kwargs, shape, jit):
    t, p = _pair(name, *args, **kwargs)
    check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit)
    assert repr(p()) == repr(t)


def test_deprecated_upsample_functions():
    with pytest.warns(UserWarning):
        check(
            lambda t, x: t.nn.functional.upsample_bilinear(x, scale_factor=2),
            [randn(1, 2, 3, 3)],
            jit=False,
        )
    with pytest.warns(UserWarning):
        check(
            lambda t, x: t.nn.functional.upsample_nearest(x, size=5),
            [randn(1, 2, 3, 3)],
            jit=False,
        )


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((1, 2, 5, 5), dict(size=(3,), mode="bilinear")),
        ((1, 2, 5, 5), dict(size=(3, 0), mode="bilinear")),
        ((1, 2, 5, 5), dict(scale_factor=0.1, mode="bilinear")),
        ((1, 2, 5, 5), dict(size=3, mode="linear")),
        ((1, 2, 5), dict(size=3, mode="bilinear")),
        ((1, 2, 5, 5, 5), dict(size=3, mode="bilinear")),
        ((2, 5), dict(size=3)),
        ((1, 2, 5, 5), dict(size=3, mode="foo")),
        ((1, 2, 5, 5), dict(size=3, align_corners=True)),
        ((1, 2, 5, 5), dict(size=3, scale_factor=2)),
        ((1, 2, 5, 5), dict()),
        ((1, 2, 5, 5), dict(size=3, recompute_scale_factor=True)),
        ((1, 2, 5, 5), dict(size=(3.0, 2))),
        ((1, 2, 5, 5), dict(scale_factor=(2, 3, 4))),
        ((1, 2, 5, 5), dict(scale_factor=2, antialias=True)),
        ((1, 0, 5, 5), dict(scale_factor=2, mode="bilinear")),
    ],
)
def test_interpolate_errors(shape, kwargs):
    _same_error(lambda t, x: t.nn.functional.interpolate(x, **kwargs), np.zeros(shape, np.float32))


# -- pixel shuffle --------------------------------------------------------------------------------


def test_pixel_shuffle_layers():
    for name, r, shape, jit in [
        ("PixelShuffle", 2, (2, 8, 3, 4), True),
        ("PixelShuffle", 3, (9, 2, 2), False),
        ("PixelUnshuffle", 2, (2, 3, 4, 6), True),
        ("PixelUnshuffle", 3, (2, 1, 2, 3, 6), False),
    ]:
        t, p = _pair(name, r)
        dtypes = (np.float32, np.float64) if jit else (np.float64,)
        check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit, dtypes=dtypes)
        assert repr(p()) == repr(t)
    # shuffle then unshuffle is the identity
    x = ptjax.tensor(randn(2, 8, 3, 3))
    np.testing.assert_array_equal(PF.pixel_unshuffle(PF.pixel_shuffle(x, 2), 2).numpy(), x.numpy())
    t, p = _pair("ChannelShuffle", 3)
    check_module(t, p, [randn(2, 6, 2, 2)], modes=EVAL, jit=False, dtypes=(np.float32,))
    assert repr(p()) == repr(t)


@pytest.mark.parametrize(
    "call,shape",
    [
        (lambda t, x: t.nn.functional.pixel_shuffle(x, 2), (1, 7, 2, 2)),
        (lambda t, x: t.nn.functional.pixel_shuffle(x, 2), (7, 2)),
        (lambda t, x: t.nn.functional.pixel_shuffle(x, 0), (8, 2, 2)),
        (lambda t, x: t.nn.functional.pixel_unshuffle(x, 2), (1, 2, 3, 4)),
        (lambda t, x: t.nn.functional.pixel_unshuffle(x, 2), (1, 2, 4, 3)),
        (lambda t, x: t.nn.functional.pixel_unshuffle(x, 0), (1, 2, 4, 4)),
        (lambda t, x: t.nn.functional.pixel_unshuffle(x, 2), (2, 4)),
        (lambda t, x: t.nn.functional.channel_shuffle(x, 3), (2, 6)),
        (lambda t, x: t.nn.functional.channel_shuffle(x, 4), (2, 6, 2)),
        (lambda t, x: t.nn.functional.channel_shuffle(x, 0), (2, 6, 2)),
    ],
)
def test_pixel_shuffle_errors(call, shape):
    _same_error(call, np.zeros(shape, np.float32))


# -- fold / unfold --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,kwargs,shape,jit",
    [
        ("Unfold", (2,), {}, (2, 3, 4, 5), True),
        ("Unfold", ((2, 3),), dict(dilation=(1, 2), padding=1, stride=(2, 1)), (3, 5, 6), False),
        ("Fold", ((4, 5), 2), {}, (2, 12, 12), True),
        (
            "Fold",
            ((5, 6), (2, 3)),
            dict(dilation=(1, 2), padding=1, stride=(2, 1)),
            (12, 12),
            False,
        ),
        ("Fold", (5, 3), dict(stride=2), (1, 9, 4), False),
    ],
)
def test_fold_unfold_layers(name, args, kwargs, shape, jit):
    t, p = _pair(name, *args, **kwargs)
    check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit)
    assert repr(p()) == repr(t)


def test_fold_of_unfold_counts_overlaps():
    # fold(unfold(x)) multiplies each pixel by the number of blocks covering it
    def fn(t, x):
        cols = t.nn.functional.unfold(x, 3, padding=1, stride=2)
        return t.nn.functional.fold(cols, (5, 6), 3, padding=1, stride=2)

    check(fn, [randn(1, 2, 5, 6, dtype=np.float64)], jit=False)


@pytest.mark.parametrize(
    "call,shape",
    [
        (lambda t, x: t.nn.functional.unfold(x, 6), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.unfold(x, 0), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.unfold(x, 2, stride=0), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.unfold(x, 2, padding=-1), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.unfold(x, 2, dilation=0), (1, 2, 5, 5)),
        (lambda t, x: t.nn.functional.unfold(x, 2), (1, 2, 5, 5, 5)),
        (lambda t, x: t.nn.functional.fold(x, (5, 5), 2), (1, 7, 16)),
        (lambda t, x: t.nn.functional.fold(x, (5, 5), 2), (1, 8, 15)),
        (lambda t, x: t.nn.functional.fold(x, (5, 5), 2), (8,)),
        (lambda t, x: t.nn.functional.fold(x, (5, 5, 5), 2), (1, 8, 16)),
    ],
)
def test_fold_errors(call, shape):
    _same_error(call, np.zeros(shape, np.float32))


# -- affine_grid / grid_sample --------------------------------------------------------------------


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_grid(align_corners, dtype):
    check(
        lambda t, th: t.nn.functional.affine_grid(th, (2, 3, 5, 6), align_corners=align_corners),
        [randn(2, 2, 3, dtype=dtype)],
        jit=False,  # compiled in test_spatial_transformer_pipeline
    )
    check(
        lambda t, th: t.nn.functional.affine_grid(th, [2, 3, 3, 1, 4], align_corners),
        [randn(2, 3, 4, dtype=dtype)],
        jit=False,
    )


GRID_CASES = [
    # (mode, padding_mode, align_corners, jit, dtypes)
    ("bilinear", "zeros", False, False, "fd"),  # jit: test_spatial_transformer_pipeline
    ("bilinear", "border", True, False, "fd"),
    ("bilinear", "reflection", False, False, "fd"),
    ("bilinear", "reflection", True, False, "fd"),
    ("nearest", "zeros", True, False, "f"),
    ("nearest", "border", False, False, "d"),
    ("nearest", "reflection", False, False, "f"),
    ("bicubic", "zeros", False, False, "fd"),
    ("bicubic", "border", True, False, "d"),
    ("bicubic", "reflection", False, False, "d"),
]


@pytest.mark.parametrize(
    "mode,padding_mode,align_corners,jit,dtype",
    [(m, p, a, j and d == "f", _DT[d]) for m, p, a, j, ds in GRID_CASES for d in ds],
)
def test_grid_sample(mode, padding_mode, align_corners, jit, dtype):
    # torch's bicubic grid gradient sums 16 taps x channels of cubic-coefficient derivatives in
    # its own order; in float32 those sums differ from ours by a few ulps of values near 1
    loose = mode == "bicubic" and dtype == np.float32
    check(
        lambda t, x, g: t.nn.functional.grid_sample(
            x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners
        ),
        [randn(2, 3, 5, 6, dtype=dtype), randn(2, 4, 3, 2, dtype=dtype) * 1.3],
        jit=jit,
        rtol=1e-4 if loose else None,
        atol=1e-4 if loose else None,
    )


@pytest.mark.parametrize("mode,padding_mode", [("bilinear", "reflection"), ("nearest", "border")])
def test_grid_sample_3d(mode, padding_mode):
    check(
        lambda t, x, g: t.nn.functional.grid_sample(
            x, g, mode=mode, padding_mode=padding_mode, align_corners=False
        ),
        [randn(2, 2, 3, 4, 5, dtype=np.float64), randn(2, 3, 2, 2, 3, dtype=np.float64) * 1.3],
        jit=False,
    )


def test_spatial_transformer_pipeline():
    # affine_grid -> grid_sample, differentiated w.r.t. theta (a spatial transformer network)
    def fn(t, x, theta):
        grid = t.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
        return t.nn.functional.grid_sample(x, grid, align_corners=False)

    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]]] * 2, np.float32)
    check(fn, [randn(2, 2, 4, 5), theta], jit=True)


def test_grid_sample_errors():
    x, g = ptjax.zeros(1, 2, 3, 3), ptjax.zeros(1, 2, 2, 2)
    raises(
        ValueError,
        "expected mode to be 'bilinear', 'nearest' or 'bicubic'",
        PF.grid_sample,
        x,
        g,
        mode="foo",
    )
    raises(
        ValueError,
        "expected padding_mode to be 'zeros', 'border', or 'reflection'",
        PF.grid_sample,
        x,
        g,
        padding_mode="foo",
    )
    _same_error(
        lambda t, x, g: t.nn.functional.grid_sample(x, g, align_corners=False),
        np.zeros((2, 2, 3, 3), np.float32),
        np.zeros((1, 2, 2, 2), np.float32),
    )
    _same_error(
        lambda t, x, g: t.nn.functional.grid_sample(x, g, align_corners=False),
        np.zeros((1, 2, 3, 3), np.float32),
        np.zeros((1, 2, 2, 3), np.float32),
    )
    _same_error(
        lambda t, th: t.nn.functional.affine_grid(th, (1, 2, 3, 3), align_corners=False),
        np.zeros((1, 3, 4), np.float32),
    )
    _same_error(
        lambda t, th: t.nn.functional.affine_grid(th, (1, 2, 3), align_corners=False),
        np.zeros((1, 2, 3), np.float32),
    )


# -- distances ------------------------------------------------------------------------------------


def test_distances():
    zero_row = randn(2, 4, dtype=np.float64)
    zero_row[0] = 0  # norms of zero rows are clamped at eps, with torch's finite gradients
    f, d = np.float32, np.float64
    for fn, inputs, dtype in [
        (
            lambda t, a, b: t.nn.functional.cosine_similarity(a, b, dim=-1),
            [randn(3, 4), randn(4)],
            f,
        ),
        (
            lambda t, a, b: t.nn.functional.cosine_similarity(a, b, 1, 0.5),
            [randn(3, 4) * 0.1, randn(3, 4) * 0.1],
            d,
        ),
        (lambda t, a, b: t.nn.functional.cosine_similarity(a, b), [zero_row, randn(2, 4)], f),
        (lambda t, a, b: t.nn.functional.pairwise_distance(a, b), [randn(4), randn(4)], d),
        (
            lambda t, a, b: t.nn.functional.pairwise_distance(a, b, keepdim=True),
            [randn(3, 4), randn(4)],
            f,
        ),
        (
            lambda t, a, b: t.nn.functional.pairwise_distance(a, b, p=0.5),
            [randn(3, 4), randn(3, 4)],
            d,
        ),
        (
            lambda t, a, b: t.nn.functional.pairwise_distance(a, b, p=-math.inf),
            [randn(3, 4), randn(3, 4)],
            f,
        ),
        (lambda t, a: t.nn.functional.normalize(a, p=3, dim=-1, eps=1e-3), [randn(3, 4)], d),
        (lambda t, a: t.nn.functional.normalize(a, dim=1), [zero_row], f),
        (lambda t, a: t.nn.functional.normalize(a, p=math.inf, dim=0), [randn(3, 4)], d),
        (lambda t, a: t.nn.functional.normalize(a), [randn(0, 4)], f),
    ]:
        check(fn, [np.asarray(a, dtype) for a in inputs], jit=False)


def test_top_level_forms():
    check(
        lambda t, x, y: (
            t.pixel_shuffle(x, 2),
            t.pixel_unshuffle(x, 2),
            t.channel_shuffle(x, 2),
            t.pdist(y),
            t.cosine_similarity(y, y.flip(0)),
            t.pairwise_distance(y, y.flip(0)),
        ),
        [randn(2, 4, 2, 2, dtype=np.float64), randn(4, 3, dtype=np.float64)],
        jit=False,
    )


def test_distance_layers():
    check_module(
        torch.nn.CosineSimilarity(dim=0, eps=1e-6),
        lambda: pnn.CosineSimilarity(dim=0, eps=1e-6),
        [randn(4, 3), randn(4, 1)],
        modes=EVAL,
        jit=False,
        dtypes=(np.float32,),
    )
    check_module(
        torch.nn.PairwiseDistance(p=3.0, keepdim=True),
        lambda: pnn.PairwiseDistance(p=3.0, keepdim=True),
        [randn(3, 4), randn(3, 4)],
        modes=EVAL,
        jit=False,
        dtypes=(np.float64,),
    )


def test_one_hot():
    for x, n in [
        (np.array([0, 3, 1]), -1),
        (np.array([[0, 3], [1, 4]]), 5),
        (np.zeros((0,), np.int64), 3),
        (np.array(2), -1),
    ]:
        check(lambda t, x, n=n: t.nn.functional.one_hot(x, n), [x], grad=False, jit=False)
    out = PF.one_hot(ptjax.tensor([1, 0]), 3)
    assert out.dtype is ptjax.int64
    for x, n in [
        (np.array([0, 3]), 3),
        (np.array([-1, 0]), 3),
        (np.zeros((0,), np.int64), -1),
        (np.array([0.0, 1.0]), 3),
    ]:
        _same_error(lambda t, x, n=n: t.nn.functional.one_hot(x, n), x)


CDIST_CASES = [
    # (p, compute_mode, shapes, jit, dtypes)
    (2.0, "use_mm_for_euclid_dist_if_necessary", ((2, 3, 4), (5, 4)), True, "fd"),
    (2.0, "use_mm_for_euclid_dist_if_necessary", ((30, 3), (4, 3)), False, "fd"),  # mm: > 25 rows
    (2.0, "use_mm_for_euclid_dist", ((3, 4), (5, 4)), False, "d"),
    (2.0, "donot_use_mm_for_euclid_dist", ((30, 3), (4, 3)), False, "f"),
    (1.0, "use_mm_for_euclid_dist", ((2, 3, 4), (1, 5, 4)), False, "f"),
    (3.0, "use_mm_for_euclid_dist_if_necessary", ((3, 4), (5, 4)), False, "d"),
    (0.5, "use_mm_for_euclid_dist_if_necessary", ((3, 4), (5, 4)), False, "f"),
    (0.0, "use_mm_for_euclid_dist_if_necessary", ((3, 4), (5, 4)), False, "d"),
    (math.inf, "use_mm_for_euclid_dist_if_necessary", ((3, 4), (5, 4)), False, "f"),
]


@pytest.mark.parametrize(
    "p,mode,shapes,jit,dtype",
    [(p, m, s, j and d == "f", _DT[d]) for p, m, s, j, ds in CDIST_CASES for d in ds],
)
def test_cdist(p, mode, shapes, jit, dtype):
    check(
        lambda t, a, b: t.cdist(a, b, p=p, compute_mode=mode),
        [randn(*s, dtype=dtype) for s in shapes],
        jit=jit,
    )


@pytest.mark.parametrize(
    "kwargs,shapes,dtypes",
    [
        ({}, ((3,), (3,)), ("float32", "float32")),
        ({}, ((2, 3), (4, 4)), ("float32", "float32")),
        (dict(p=-1.0), ((2, 3), (4, 3)), ("float32", "float32")),
        ({}, ((2, 3), (4, 3)), ("int64", "int64")),
        ({}, ((2, 3), (4, 3)), ("float32", "float64")),
        (dict(compute_mode="foo"), ((2, 3), (4, 3)), ("float32", "float32")),
        ({}, ((5, 2, 3), (3, 4, 3)), ("float32", "float32")),
    ],
)
def test_cdist_errors(kwargs, shapes, dtypes):
    arrays = [np.zeros(s, d) for s, d in zip(shapes, dtypes)]
    _same_error(lambda t, a, b: t.cdist(a, b, **kwargs), *arrays)
