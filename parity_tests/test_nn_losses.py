"""Parity of every loss (functional and Module forms) against torch: values and gradients of
inputs (and of float targets where torch differentiates them), reductions none/mean/sum, the
legacy size_average/reduce arguments, options, edge cases and error messages."""

import math
import warnings

import numpy as np
import pytest
import torch
from helpers import check, randint, randn

import ptjax
import ptjax.nn as pnn

REDUCTIONS = ["none", "mean", "sum"]
# each reduction once, both dtypes; jax.jit for the float32 'mean' case (compiles are the cost)
RED_DTYPE = [("mean", np.float32), ("none", np.float64), ("sum", np.float32)]


def probs(*shape, dtype=np.float32):
    return randn(*shape, dtype=dtype, low=0.05, high=0.95)


def log_probs(*shape, axis=-1, dtype=np.float32):
    x = randn(*shape, dtype=np.float64)
    x = x - np.log(np.exp(x).sum(axis=axis, keepdims=True))
    return x.astype(dtype)


def signs(*shape, dtype=np.float32):
    return np.where(randn(*shape) > 0, 1.0, -1.0).astype(dtype)


def const(lib, a):
    """``a`` as a tensor that does not require grad (targets torch does not differentiate)."""
    return lib.tensor(a)


def same_error(fn, *inputs):
    """``fn(lib, *tensors)`` raises the same exception type and message in torch and ptjax."""
    got = {}
    for lib in (torch, ptjax):
        args = [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in inputs]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn(lib, *args)
        except Exception as e:  # noqa: BLE001
            got[lib.__name__] = (type(e), str(e).split("\n")[0])
        else:
            got[lib.__name__] = None
    assert got["torch"] is not None, "torch did not raise"
    assert got["ptjax"] == got["torch"]


# -- regression -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses(name, red, dtype):
    x = randn(3, 4, dtype=dtype)
    y = x.copy()
    y[1:] = randn(2, 4, dtype=dtype)  # row 0: exact ties, |d| = 0 is l1's kink
    check(
        lambda t, a, b: getattr(t.nn.functional, name)(a, b, reduction=red),
        [x, y],
        jit=red == "mean",
    )


def test_regression_options_and_modules():
    x, y = randn(3, 4, dtype=np.float64), randn(3, 4, dtype=np.float64)
    check(lambda t, a, b: t.nn.SmoothL1Loss(beta=0.5)(a, b), [x, y], jit=False)
    check(lambda t, a, b: t.nn.SmoothL1Loss(beta=0.0)(a, b), [x, y], jit=False)
    check(lambda t, a, b: t.nn.HuberLoss(delta=0.3, reduction="sum")(a, b), [x, y], jit=False)
    check(lambda t, a, b: t.nn.MSELoss()(a, b), [x, y], jit=False)
    check(lambda t, a, b: t.nn.L1Loss(reduction="none")(a, b), [x, y], jit=False)
    # d = beta and d = delta exactly: the piecewise boundaries
    z = x + np.where(np.arange(4) % 2, 0.5, -0.3)
    check(lambda t, a, b: t.nn.functional.smooth_l1_loss(a, b, beta=0.5), [z, x], jit=False)
    check(lambda t, a, b: t.nn.functional.huber_loss(a, b, delta=0.3), [z, x], jit=False)


@pytest.mark.parametrize("red", REDUCTIONS)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
def test_weighted_regression(name, red):
    w = randn(3, 4, low=0.1, high=2.0)
    check(
        lambda t, a, b: getattr(t.nn.functional, name)(a, b, reduction=red, weight=t.tensor(w)),
        [randn(3, 4), randn(3, 4)],
        jit=False,
    )


def test_regression_broadcast_0d_and_empty():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch (and ptjax) warn about the broadcast
        check(lambda t, a, b: t.nn.functional.mse_loss(a, b), [randn(3, 4), randn(4)], jit=False)
    check(lambda t, a, b: t.nn.functional.l1_loss(a, b), [randn(), randn()], jit=False)
    check(
        lambda t, a, b: t.nn.functional.mse_loss(a, b, reduction="sum"),
        [randn(0, 3), randn(0, 3)],
        jit=False,
    )
    check(lambda t, a, b: t.nn.functional.mse_loss(a, b), [randn(0, 3), randn(0, 3)], jit=False)


def test_size_mismatch_warning_and_legacy_args():
    for lib in (torch, ptjax):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.functional.mse_loss(lib.zeros(3, 1), lib.zeros(3))
        assert any(
            "Using a target size (torch.Size([3])) that is different to the input size "
            "(torch.Size([3, 1]))" in str(x.message)
            for x in w
        ), lib
    for kw in [{"size_average": False}, {"reduce": False}, {"size_average": True, "reduce": True}]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert pnn.MSELoss(**kw).reduction == torch.nn.MSELoss(**kw).reduction
            assert pnn.CrossEntropyLoss(**kw).reduction == torch.nn.CrossEntropyLoss(**kw).reduction
            check(
                lambda t, a, b, kw=kw: t.nn.functional.l1_loss(a, b, **kw),
                [randn(2, 3), randn(2, 3)],
                jit=False,
            )


def test_regression_errors():
    same_error(lambda t, a, b: t.nn.functional.mse_loss(a, b, reduction="foo"), randn(2), randn(2))
    same_error(
        lambda t, a, b: t.nn.functional.mse_loss(a, b, reduction="foo", weight=t.ones(2)),
        randn(2),
        randn(2),
    )
    same_error(lambda t, a, b: t.nn.functional.l1_loss(a, b, weight=t.ones(3)), randn(2), randn(2))
    same_error(lambda t, a, b: t.nn.functional.smooth_l1_loss(a, b, beta=-1.0), randn(2), randn(2))
    same_error(lambda t, a, b: t.nn.functional.huber_loss(a, b, delta=0.0), randn(2), randn(2))
    same_error(lambda t: t.nn.HuberLoss(delta="x"))


# -- KL, BCE, Poisson, Gaussian -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("red", "log_target"), [("batchmean", False), ("mean", True), ("none", False), ("sum", True)]
)
def test_kl_div(red, log_target):
    target = log_probs(3, 4) if log_target else np.exp(log_probs(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'mean' warns in both
        check(
            lambda t, a, b: t.nn.KLDivLoss(reduction=red, log_target=log_target)(a, b),
            [log_probs(3, 4), target],
            jit=red == "batchmean",
        )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_bce(red):
    check(
        lambda t, a, b: t.nn.functional.binary_cross_entropy(a, b, reduction=red),
        [probs(3, 4), probs(3, 4)],
        jit=red == "mean",
    )
    w = randn(4, low=0.5, high=2.0)
    check(
        lambda t, a, b: t.nn.BCELoss(weight=t.tensor(w).to(a.dtype), reduction=red)(a, b),
        [probs(3, 4, dtype=np.float64), probs(3, 4, dtype=np.float64)],
        jit=False,
    )


def test_bce_extremes_clamp_log_at_minus_100():
    x = np.array([0.0, 1.0, 1e-30, 0.5], np.float32)
    y = np.array([1.0, 0.0, 1.0, 0.5], np.float32)
    check(
        lambda t, a: t.nn.functional.binary_cross_entropy(a, t.tensor(y), reduction="none"),
        [x],
        jit=False,
    )


def test_bce_errors():
    same_error(lambda t, a, b: t.nn.functional.binary_cross_entropy(a, b), probs(3), probs(3, 1))
    same_error(
        lambda t, a, b: t.nn.functional.binary_cross_entropy(a, b),
        np.array([1.5], np.float32),
        np.array([1.0], np.float32),
    )
    same_error(
        lambda t, a, b: t.nn.functional.binary_cross_entropy_with_logits(a, b),
        randn(3),
        randn(3, 1),
    )
    same_error(
        lambda t, a, b: t.nn.functional.binary_cross_entropy(a, b, reduction="x"),
        probs(3),
        probs(3),
    )


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_bce_with_logits(red, dtype):
    x, y = randn(3, 4, dtype=dtype) * 3, probs(3, 4, dtype=dtype)
    check(
        lambda t, a, b: t.nn.functional.binary_cross_entropy_with_logits(a, b, reduction=red),
        [x, y],
        jit=red == "mean",
    )
    pw, w = randn(4, low=0.5, high=3.0, dtype=dtype), randn(3, 1, low=0.5, high=2.0, dtype=dtype)
    check(
        lambda t, a, b: t.nn.BCEWithLogitsLoss(
            weight=t.tensor(w), pos_weight=t.tensor(pw), reduction=red
        )(a, b),
        [x, y],
        jit=False,
    )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_poisson_nll(red):
    check(
        lambda t, a, b: t.nn.functional.poisson_nll_loss(a, b, reduction=red),
        [randn(3, 4), randn(3, 4, low=0.0, high=4.0)],
        jit=red == "mean",
    )
    target = np.array([[0.0, 1.0, 2.0, 5.0]], np.float64)
    check(
        lambda t, a, b: t.nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-6, reduction=red)(
            a, b
        ),
        [randn(1, 4, low=0.1, high=3.0, dtype=np.float64), target],
        jit=False,
    )
    check(
        lambda t, a, b: t.nn.PoissonNLLLoss(full=True, reduction=red)(a, b),
        [randn(1, 4), target.astype(np.float32)],
        jit=False,
    )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_gaussian_nll(red):
    var = randn(3, 4, low=0.0, high=2.0)
    var[0, 0] = 1e-9  # below eps: clamped in value, gradient passes through as in torch
    check(
        lambda t, a, b, v: t.nn.functional.gaussian_nll_loss(a, b, v, reduction=red),
        [randn(3, 4), randn(3, 4), var],
        jit=red == "mean",
    )
    check(
        lambda t, a, b, v: t.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction=red)(a, b, v),
        [
            randn(3, 4, dtype=np.float64),
            randn(3, 4, dtype=np.float64),
            randn(3, low=0.1, high=2.0, dtype=np.float64),
        ],
        jit=False,
    )  # var: input's shape[:-1]
    check(
        lambda t, a, b, v: t.nn.functional.gaussian_nll_loss(a, b, v, reduction=red),
        [randn(3, 4), randn(3, 4), randn(3, 1, low=0.1, high=2.0)],
        jit=False,
    )  # one dim is 1
    check(
        lambda t, a, b: t.nn.functional.gaussian_nll_loss(a, b, 0.5, reduction=red),
        [randn(3, 4), randn(3, 4)],
        jit=False,
    )


def test_gaussian_nll_errors():
    same_error(
        lambda t, a, b, v: t.nn.functional.gaussian_nll_loss(a, b, v),
        randn(3, 4),
        randn(3, 4),
        np.ones((2, 4), np.float32),
    )
    same_error(
        lambda t, a, b, v: t.nn.functional.gaussian_nll_loss(a, b, v),
        randn(3, 4),
        randn(3, 4),
        -np.ones((3, 4), np.float32),
    )
    same_error(
        lambda t, a, b, v: t.nn.functional.gaussian_nll_loss(a, b, v, reduction="x"),
        randn(3, 4),
        randn(3, 4),
        np.ones((3, 4), np.float32),
    )


# -- classification -------------------------------------------------------------------------------


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_cross_entropy_indices(red, dtype):
    check(
        lambda t, a, b: t.nn.functional.cross_entropy(a, b, reduction=red),
        [randn(4, 5, dtype=dtype), randint(0, 5, 4)],
        jit=red == "mean",
    )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_cross_entropy_weight_ignore_index_smoothing(red):
    w = randn(5, low=0.2, high=2.0, dtype=np.float64)
    target = np.array([0, 4, -100, 2, 4, 1])
    # torch's formulas for the weighted mean and for label smoothing with ignored targets
    for weight in (None, w):
        check(
            lambda t, a, b, weight=weight: t.nn.functional.cross_entropy(
                a,
                b,
                weight=None if weight is None else t.tensor(weight),
                reduction=red,
                label_smoothing=0.3,
            ),
            [randn(6, 5, dtype=np.float64), target],
            jit=False,
        )
    if red == "mean":
        check(
            lambda t, a, b: t.nn.CrossEntropyLoss(weight=t.tensor(w).float(), ignore_index=4)(a, b),
            [randn(6, 5), target.clip(0)],
        )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_cross_entropy_kdim_and_unbatched(red):
    target = randint(0, 3, 2, 4, 5)
    target[0, 0, 0] = -100
    check(
        lambda t, a, b: t.nn.functional.cross_entropy(a, b, reduction=red, label_smoothing=0.1),
        [randn(2, 3, 4, 5), target],
        jit=red == "mean",
    )
    if red == "sum":
        check(
            lambda t, a, b: t.nn.functional.cross_entropy(a, b), [randn(5), np.array(3)], jit=False
        )
        check(
            lambda t, a, b: t.nn.functional.nll_loss(a, b, reduction="none"),
            [log_probs(2, 3, 4, axis=1), randint(0, 3, 2, 4)],
            jit=False,
        )


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_cross_entropy_probabilities(red, dtype):
    target = np.exp(log_probs(4, 5, dtype=dtype))
    w = randn(5, low=0.2, high=2.0, dtype=dtype)
    check(
        lambda t, a, b: t.nn.functional.cross_entropy(
            a, b, weight=t.tensor(w), reduction=red, label_smoothing=0.2
        ),
        [randn(4, 5, dtype=dtype), target],
        jit=red == "mean",
    )
    if red == "none":
        check(
            lambda t, a, b: t.nn.functional.cross_entropy(a, b),
            [randn(2, 3, 4), np.exp(log_probs(2, 3, 4, axis=1))],
            jit=False,
        )


def test_cross_entropy_all_ignored_and_empty():
    check(
        lambda t, a, b: t.nn.functional.cross_entropy(a, b),
        [randn(3, 4), np.array([-100, -100, -100])],
        jit=False,
    )
    check(
        lambda t, a, b: t.nn.functional.cross_entropy(a, b, reduction="sum"),
        [randn(0, 4), np.zeros(0, np.int64)],
        jit=False,
    )


def test_cross_entropy_errors():
    ce = lambda t, a, b, **kw: t.nn.functional.cross_entropy(a, b, **kw)  # noqa: E731
    same_error(ce, randn(3, 4), np.array([0, 5, 1]))
    same_error(ce, randn(3, 4), np.array([0, -3, 1]))
    same_error(ce, randn(3, 4), np.array([0.0, 1.0, 1.0], np.float32))
    same_error(ce, randn(3, 4), np.zeros((3, 4), np.int64))
    same_error(ce, randn(3, 4), np.array([0, 1]))
    same_error(ce, randn(2, 3, 4), np.zeros((2, 5), np.int64))
    same_error(lambda t, a, b: ce(t, a, b, weight=t.ones(3)), randn(3, 4), np.array([0, 1, 1]))
    same_error(ce, randn(3, 4), randn(3, 5))
    same_error(lambda t, a, b: ce(t, a, b, reduction="foo"), randn(3, 4), np.array([0, 1, 1]))
    same_error(lambda t, a, b: ce(t, a, b, label_smoothing=1.5), randn(3, 4), np.array([0, 1, 1]))
    same_error(
        lambda t, a, b: t.nn.functional.nll_loss(a, b), randn(3, 4), np.zeros((3, 2), np.int64)
    )


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_nll_loss(red, dtype):
    w = randn(4, low=0.2, high=2.0, dtype=dtype)
    check(
        lambda t, a, b: t.nn.NLLLoss(weight=t.tensor(w), reduction=red, ignore_index=2)(a, b),
        [log_probs(5, 4, dtype=dtype), np.array([0, 2, 3, 3, 1])],
        jit=red == "mean",
    )
    if red == "none":
        check(
            lambda t, a, b: t.nn.functional.nll_loss(a, b), [log_probs(4), np.array(2)], jit=False
        )


@pytest.mark.parametrize(
    ("red", "dtype", "p", "margin"),
    [("mean", np.float32, 1, 1.0), ("none", np.float64, 2, 0.5), ("sum", np.float32, 2, 1.0)],
)
def test_multi_margin(red, dtype, p, margin):
    w = randn(4, low=0.2, high=2.0, dtype=dtype)
    check(
        lambda t, a, b: t.nn.MultiMarginLoss(p=p, margin=margin, reduction=red)(a, b),
        [randn(5, 4, dtype=dtype), randint(0, 4, 5)],
        jit=red == "mean",
    )
    check(
        lambda t, a, b: t.nn.functional.multi_margin_loss(
            a, b, p=p, weight=t.tensor(w), reduction=red
        ),
        [randn(5, 4, dtype=dtype), randint(0, 4, 5)],
        jit=False,
    )
    if red == "none":
        check(
            lambda t, a, b: t.nn.functional.multi_margin_loss(a, b),
            [randn(4), np.array(1)],
            jit=False,
        )


def test_multi_margin_errors():
    same_error(
        lambda t, a, b: t.nn.functional.multi_margin_loss(a, b), randn(3, 4), np.array([0, 4, 1])
    )
    same_error(
        lambda t, a, b: t.nn.functional.multi_margin_loss(a, b, p=3),
        randn(3, 4),
        np.array([0, 1, 1]),
    )
    same_error(lambda t: t.nn.MultiMarginLoss(weight=t.ones(2, 2)))


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_multilabel_margin(red, dtype):
    target = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, 2]])
    check(
        lambda t, a, b: t.nn.MultiLabelMarginLoss(reduction=red)(a, b),
        [randn(3, 4, dtype=dtype), target],
        jit=red == "mean",
    )
    if red == "none":
        check(
            lambda t, a, b: t.nn.functional.multilabel_margin_loss(a, b, reduction=red),
            [randn(4, dtype=np.float64), np.array([2, -1, 0, 0])],
            jit=False,
        )
        same_error(
            lambda t, a, b: t.nn.functional.multilabel_margin_loss(a, b),
            randn(2, 4),
            np.array([[0, 4, -1, 0], [0, 1, -1, 0]]),
        )


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_multilabel_soft_margin(red, dtype):
    w = randn(4, low=0.2, high=2.0, dtype=dtype)
    target = (randn(3, 4) > 0).astype(dtype)
    check(
        lambda t, a, b: t.nn.MultiLabelSoftMarginLoss(weight=t.tensor(w), reduction=red)(a, b),
        [randn(3, 4, dtype=dtype), target],
        jit=red == "mean",
    )
    if red == "sum":
        check(
            lambda t, a, b: t.nn.MultiLabelSoftMarginLoss()(a, b), [randn(3, 4), target], jit=False
        )
        same_error(
            lambda t, a, b: t.nn.functional.multilabel_soft_margin_loss(a, b, reduction="x"),
            randn(3, 4),
            target,
        )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_soft_margin(red):
    y = signs(3, 4)
    check(
        lambda t, a: t.nn.SoftMarginLoss(reduction=red)(a, const(t, y)),
        [randn(3, 4)],
        jit=red == "mean",
    )


# -- embedding / ranking losses -------------------------------------------------------------------


@pytest.mark.parametrize(("red", "margin"), [("mean", 0.0), ("none", 0.3), ("sum", 0.3)])
def test_cosine_embedding(red, margin):
    y = signs(5)
    check(
        lambda t, a, b: t.nn.CosineEmbeddingLoss(margin=margin, reduction=red)(a, b, const(t, y)),
        [randn(5, 3), randn(5, 3)],
        jit=red == "mean",
    )
    if red == "none":
        check(
            lambda t, a, b: t.nn.functional.cosine_embedding_loss(
                a, b, const(t, np.float64(-1.0)), reduction=red
            ),
            [randn(3, dtype=np.float64), randn(3, dtype=np.float64)],
            jit=False,
        )


def test_cosine_embedding_errors():
    f = lambda t, a, b, y: t.nn.functional.cosine_embedding_loss(a, b, y)  # noqa: E731
    same_error(f, randn(3, 4), randn(3, 4), np.ones((3, 1), np.float32))
    same_error(f, randn(3, 4), randn(3, 4), np.array(1.0, np.float32))
    same_error(f, randn(3), randn(3), np.ones(3, np.float32))


@pytest.mark.parametrize("red", REDUCTIONS)
def test_margin_ranking_and_hinge_embedding(red):
    y = signs(5)
    x1 = randn(5)
    x2 = x1.copy()
    x2[:2] = x1[:2] + np.float32(0.25) * y[:2]  # hinge exactly at 0 for margin 0.25
    x2[2:] = randn(3)
    check(
        lambda t, a, b: t.nn.MarginRankingLoss(margin=0.25, reduction=red)(a, b, const(t, y)),
        [x1, x2],
        jit=red == "mean",
    )
    check(
        lambda t, a: t.nn.HingeEmbeddingLoss(margin=0.5, reduction=red)(a, const(t, y)),
        [randn(5)],
        jit=red == "mean",
    )
    y2 = signs(2, 3, dtype=np.float64)  # drawn once: both libraries see the same labels
    check(
        lambda t, a: t.nn.functional.hinge_embedding_loss(a, const(t, y2), reduction=red),
        [randn(2, 3, dtype=np.float64)],
        jit=False,
    )
    same_error(
        lambda t, a, b, c: t.nn.functional.margin_ranking_loss(a, b, c),
        randn(3),
        randn(3, 1),
        signs(3),
    )


@pytest.mark.parametrize(
    ("red", "p", "swap"), [("mean", 2.0, False), ("none", 1.0, True), ("sum", 3.0, True)]
)
def test_triplet_margin(red, p, swap):
    check(
        lambda t, a, b, c: t.nn.TripletMarginLoss(margin=0.7, p=p, swap=swap, reduction=red)(
            a, b, c
        ),
        [randn(4, 3), randn(4, 3), randn(4, 3)],
        jit=red == "mean",
    )
    if red == "none":
        check(
            lambda t, a, b, c: t.nn.functional.triplet_margin_loss(a, b, c, p=p, swap=swap),
            [randn(3, dtype=np.float64), randn(3, dtype=np.float64), randn(3, dtype=np.float64)],
            jit=False,
        )


@pytest.mark.parametrize("red", REDUCTIONS)
def test_triplet_margin_with_distance(red):
    if red == "mean":
        check(
            lambda t, a, b, c: t.nn.TripletMarginWithDistanceLoss()(a, b, c),
            [randn(4, 3), randn(4, 3), randn(4, 3)],
        )

    def cos_dist(t):
        return lambda x, y: 1.0 - t.nn.functional.cosine_similarity(x, y)

    check(
        lambda t, a, b, c: t.nn.TripletMarginWithDistanceLoss(
            distance_function=cos_dist(t), margin=0.5, swap=True, reduction=red
        )(a, b, c),
        [randn(4, 3), randn(4, 3), randn(4, 3)],
        jit=False,
    )


def test_triplet_errors():
    same_error(
        lambda t, a, b, c: t.nn.functional.triplet_margin_loss(a, b, c),
        randn(3, 2),
        randn(2),
        randn(3, 2),
    )
    same_error(
        lambda t, a, b, c: t.nn.functional.triplet_margin_loss(a, b, c, margin=0.0),
        randn(3, 2),
        randn(3, 2),
        randn(3, 2),
    )
    same_error(lambda t: t.nn.TripletMarginLoss(margin=-1.0))
    same_error(lambda t: t.nn.TripletMarginWithDistanceLoss(margin=0.0))
    same_error(
        lambda t, a, b, c: t.nn.functional.triplet_margin_with_distance_loss(
            a, b, c, reduction="x"
        ),
        randn(3, 2),
        randn(3, 2),
        randn(3, 2),
    )


# -- CTC ------------------------------------------------------------------------------------------


def _ctc_inputs(t_max=6, n=3, c=5, s=3, dtype=np.float32):
    lp = log_probs(t_max, n, c, dtype=dtype)
    targets = randint(1, c, n, s)
    targets[0, 1] = targets[0, 0]  # a repeated label needs a blank between
    in_len = np.array([t_max, t_max - 1, 4])
    tgt_len = np.array([s, 2, 0])  # the last sample has an empty target
    return lp, targets, in_len, tgt_len


@pytest.mark.parametrize(("red", "dtype"), RED_DTYPE)
def test_ctc_loss(red, dtype):
    lp, targets, in_len, tgt_len = _ctc_inputs(dtype=dtype)
    check(
        lambda t, a, b, il, tl: t.nn.CTCLoss(reduction=red)(a, b, il, tl),
        [lp, targets, in_len, tgt_len],
        jit=red == "mean",
    )


def test_ctc_concatenated_targets_blank_and_unbatched():
    lp, targets, in_len, tgt_len = _ctc_inputs(dtype=np.float64)
    flat = np.concatenate([targets[i, : tgt_len[i]] for i in range(3)])
    check(
        lambda t, a, b, il, tl: t.nn.functional.ctc_loss(a, b, il, tl, reduction="sum"),
        [lp, flat, in_len, tgt_len],
        jit=False,
    )
    check(
        lambda t, a, b: t.nn.functional.ctc_loss(
            a, b, tuple(in_len), tuple(tgt_len), blank=4, reduction="none"
        ),
        [lp, np.where(targets == 4, 1, targets)],
        jit=False,
    )
    check(
        lambda t, a, b, il, tl: t.nn.functional.ctc_loss(a, b, il, tl, reduction="none"),
        [lp[:, 0], targets[0], np.array(6), np.array(3)],
        jit=False,
    )


def test_ctc_zero_infinity():
    lp = log_probs(3, 2, 4, dtype=np.float64)
    targets = np.array([[1, 2, 1, 3], [1, 1, 2, 2]])  # needs at least 5 steps: impossible
    in_len, tgt_len = np.array([3, 3]), np.array([4, 1])
    check(
        lambda t, a, b, il, tl: t.nn.functional.ctc_loss(a, b, il, tl, zero_infinity=True),
        [lp, targets, in_len, tgt_len],
        jit=False,
    )


def test_ctc_through_log_softmax():
    # the usual pipeline: logits -> log_softmax -> CTC, gradients w.r.t. the logits
    _, targets, in_len, tgt_len = _ctc_inputs()
    check(
        lambda t, x, b, il, tl: t.nn.functional.ctc_loss(x.log_softmax(2), b, il, tl),
        [randn(6, 3, 5), targets, in_len, tgt_len],
        jit=False,
    )


def test_ctc_errors():
    lp, targets, in_len, tgt_len = _ctc_inputs()
    same_error(
        lambda t, a, b, il, tl: t.nn.functional.ctc_loss(a, b, il, tl),
        lp,
        targets,
        np.array([7, 6, 4]),
        tgt_len,
    )
    same_error(
        lambda t, a, b, il, tl: t.nn.functional.ctc_loss(a, b, il, tl, reduction="x"),
        lp,
        targets,
        in_len,
        tgt_len,
    )


# -- module reprs and buffers ---------------------------------------------------------------------


def test_loss_module_reprs_and_weight_buffers():
    for name in [
        "CrossEntropyLoss",
        "NLLLoss",
        "MSELoss",
        "BCEWithLogitsLoss",
        "CTCLoss",
        "TripletMarginLoss",
        "KLDivLoss",
        "HuberLoss",
        "GaussianNLLLoss",
    ]:
        assert repr(getattr(pnn, name)()) == repr(getattr(torch.nn, name)())
    keys = {}
    for lib in (torch, ptjax):
        m = lib.nn.CrossEntropyLoss(weight=lib.ones(3))
        b = lib.nn.BCEWithLogitsLoss(pos_weight=lib.ones(2))
        keys[lib] = (list(m.state_dict()), list(b.state_dict()), [n for n, _ in b.named_buffers()])
    assert keys[ptjax] == keys[torch]
    assert math.isclose(
        float(pnn.CrossEntropyLoss()(ptjax.zeros(1, 2), ptjax.tensor([0]))),
        math.log(2),
        rel_tol=1e-6,
    )
