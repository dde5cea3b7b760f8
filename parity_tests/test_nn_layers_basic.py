"""Parity of the basic layers against torch: Linear, Bilinear, Identity, Flatten/Unflatten,
every activation (gradients at the kinks included), dropout, Embedding/EmbeddingBag, nn.init
and nn.utils."""

import math
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_close, check, raises, randn
from nn_helpers import check_module

import ptjax
import ptjax.nn as pnn
import ptjax.nn.functional as PF

# values at every activation's kinks: 0, +-1 (hardtanh), +-3 (hardswish), 6 (relu6),
# +-0.5 (shrinks), the softplus threshold (20)
KINKS = np.array([-20.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 20.0, 21.0])


def kinked(*shape, dtype=np.float32):
    x = randn(*shape, dtype=dtype).reshape(-1)
    x[: len(KINKS)] = KINKS[: x.size]
    return x.reshape(shape)


# -- Linear family --------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    check_module(
        torch.nn.Linear(3, 4, bias=bias),
        lambda: pnn.Linear(3, 4, bias=bias),
        [randn(2, 3)],
        modes=("eval",),
    )


def test_linear_no_batch_and_3d():
    check_module(
        torch.nn.Linear(3, 2), lambda: pnn.Linear(3, 2), [randn(3)], jit=False, modes=("eval",)
    )
    check_module(
        torch.nn.Linear(3, 2),
        lambda: pnn.Linear(3, 2),
        [randn(2, 4, 3)],
        jit=False,
        modes=("eval",),
        dtypes=(np.float64,),
    )


def test_linear_default_init_and_repr():
    m, t = pnn.Linear(50, 40), torch.nn.Linear(50, 40)
    assert repr(m) == repr(t)
    assert repr(pnn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))
    bound = 1 / math.sqrt(50)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (40, 50) and b.shape == (40,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound) has std bound / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert m.weight.dtype is ptjax.float32 and m.weight.requires_grad
    assert pnn.Linear(2, 2, dtype=ptjax.float64).weight.dtype is ptjax.float64
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_linear_errors():
    raises(
        RuntimeError,
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
        PF.linear,
        ptjax.zeros(2, 3),
        ptjax.zeros(5, 4),
    )
    raises(
        RuntimeError,
        "expected m1 and m2 to have the same dtype, but got: float != double",
        PF.linear,
        ptjax.zeros(2, 3),
        ptjax.zeros(5, 3, dtype=ptjax.float64),
    )
    raises(NotImplementedError, "torch.nn.LazyLinear", pnn.LazyLinear, 3)


def test_bilinear():
    check_module(
        torch.nn.Bilinear(3, 2, 4),
        lambda: pnn.Bilinear(3, 2, 4),
        [randn(5, 3), randn(5, 2)],
        modes=("eval",),
    )
    check_module(
        torch.nn.Bilinear(3, 2, 4, bias=False),
        lambda: pnn.Bilinear(3, 2, 4, bias=False),
        [randn(3), randn(2)],
        modes=("eval",),
        jit=False,
    )
    assert repr(pnn.Bilinear(3, 2, 4)) == repr(torch.nn.Bilinear(3, 2, 4))
    raises(
        RuntimeError,
        "bilinear(): input2 size does not match weight size: got 4 but expected 2",
        PF.bilinear,
        ptjax.zeros(2, 3),
        ptjax.zeros(2, 4),
        ptjax.zeros(5, 3, 2),
    )


def test_identity_flatten_unflatten():
    check_module(
        torch.nn.Identity(3, k=1),
        lambda: pnn.Identity(3, k=1),
        [randn(2, 3)],
        modes=("eval",),
        jit=False,
    )
    check_module(torch.nn.Flatten(), pnn.Flatten, [randn(2, 3, 4)], modes=("eval",))
    check_module(
        torch.nn.Flatten(0, 1),
        lambda: pnn.Flatten(0, 1),
        [randn(2, 3, 4)],
        modes=("eval",),
        jit=False,
    )
    check_module(
        torch.nn.Unflatten(1, (2, 3)),
        lambda: pnn.Unflatten(1, (2, 3)),
        [randn(4, 6)],
        modes=("eval",),
        jit=False,
    )
    for m, t in [
        (pnn.Flatten(), torch.nn.Flatten()),
        (pnn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3))),
        (pnn.Identity(), torch.nn.Identity()),
    ]:
        assert repr(m) == repr(t)
    raises(
        TypeError,
        "unflattened_size must be tuple of ints, but found element of type float",
        pnn.Unflatten,
        1,
        (2, 3.0),
    )


# -- activations ----------------------------------------------------------------------------------

ACTIVATIONS = [
    ("ReLU", (), {}),
    ("ReLU6", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {"alpha": 0.7}),
    ("SELU", (), {}),
    ("CELU", (), {"alpha": 1.3}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("Mish", (), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (), {"beta": 2.0, "threshold": 5.0}),
    ("Softsign", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3.0), {}),
    ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}),
    ("LogSigmoid", (), {}),
    ("Threshold", (0.5, -2.0), {}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (1.0,), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (1.0,), {}),
    ("Softmax", (1,), {}),
    ("LogSoftmax", (1,), {}),
    ("Softmin", (1,), {}),
    ("Softmax", (-1,), {}),
    ("GLU", (), {}),
    ("GLU", (0,), {}),
]


@pytest.mark.parametrize(("name", "args", "kw"), ACTIVATIONS)
def test_activation(name, args, kw):
    tm = getattr(torch.nn, name)(*args, **kw)
    pm = getattr(pnn, name)(*args, **kw)
    assert repr(pm) == repr(tm)
    # the kink values are in the input: gradients at 0, +-1, +-3, ... must equal torch's
    check_module(tm, pm, [kinked(4, 6)], modes=("eval",))


@pytest.mark.parametrize("name", ["ReLU", "ELU", "Tanh", "Softmax", "GELU", "Hardswish"])
def test_activation_0d_and_empty(name):
    args = (0,) if name == "Softmax" else ()
    tm, pm = getattr(torch.nn, name)(*args), getattr(pnn, name)(*args)
    check_module(
        tm, pm, [np.array(0.7, np.float32)], modes=("eval",), jit=False, dtypes=(np.float32,)
    )
    check_module(tm, pm, [randn(0, 3)], modes=("eval",), jit=False, dtypes=(np.float32,))


INPLACE = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "CELU",
    "SiLU",
    "Mish",
    "Hardtanh",
    "Hardswish",
    "Hardsigmoid",
]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_activation_modifies_input(name):
    tm, pm = getattr(torch.nn, name)(inplace=True), getattr(pnn, name)(inplace=True)
    assert repr(pm) == repr(tm)

    def fn(lib, x):
        y = x * 1  # a non-leaf, so the in-place write is allowed and differentiable
        out = (tm if lib is torch else pm)(y)
        assert out is y
        return y * 2

    check(fn, [kinked(3, 4)], jit=False)


def test_inplace_on_leaf_raises_as_torch():
    x = ptjax.ones(3, requires_grad=True)
    raises(RuntimeError, "a leaf Variable that requires grad", PF.relu, x, inplace=True)
    y = ptjax.tensor([-1.0, 2.0])
    assert PF.relu_(y) is y and y.tolist() == [0.0, 2.0]
    z = ptjax.tensor([-1.0, 2.0])
    PF.threshold_(z, 0.5, 9.0)
    assert z.tolist() == [9.0, 2.0]


def test_prelu():
    check_module(torch.nn.PReLU(), pnn.PReLU, [kinked(2, 3, 4)], modes=("eval",))
    check_module(
        torch.nn.PReLU(3, init=0.1),
        lambda: pnn.PReLU(3, init=0.1),
        [kinked(2, 3, 4)],
        modes=("eval",),
        jit=False,
    )
    check_module(torch.nn.PReLU(), pnn.PReLU, [kinked(5)], modes=("eval",), jit=False)
    assert repr(pnn.PReLU(3)) == repr(torch.nn.PReLU(3))
    raises(
        RuntimeError,
        "Mismatch of parameter numbers and input channel size",
        PF.prelu,
        ptjax.zeros(2, 3),
        ptjax.zeros(2),
    )


def test_softmax2d():
    check_module(torch.nn.Softmax2d(), pnn.Softmax2d, [randn(2, 3, 2, 2)], modes=("eval",))
    check_module(torch.nn.Softmax2d(), pnn.Softmax2d, [randn(3, 2, 2)], modes=("eval",), jit=False)
    raises(
        ValueError,
        "Softmax2d: expected input to be 3D or 4D, got 2D instead",
        pnn.Softmax2d(),
        ptjax.zeros(2, 2),
    )


def test_softmax_dtype_and_implicit_dim():
    check(lambda t, x: t.nn.functional.softmax(x, 1, dtype=t.float64), [randn(2, 3)], jit=False)
    check(lambda t, x: t.nn.functional.log_softmax(x, 0, dtype=t.float64), [randn(2, 3)], jit=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = PF.softmax(ptjax.tensor([[1.0, 2.0]]))
    assert any("Implicit dimension choice for softmax" in str(x.message) for x in w)
    assert_close(out, torch.softmax(torch.tensor([[1.0, 2.0]]), 1))


def test_rrelu():
    tm, pm = torch.nn.RReLU(0.1, 0.3), pnn.RReLU(0.1, 0.3)
    assert repr(pm) == repr(tm)
    # eval: deterministic leaky relu with the midpoint slope
    check_module(tm, pm, [kinked(3, 4)], modes=("eval",))
    # train: each negative element is scaled by a slope in [lower, upper]; positive unchanged
    pm.train()
    x = ptjax.tensor(randn(2000), requires_grad=True)
    y = pm(x)
    ratio = (y / x).detach().numpy()
    xv = x.detach().numpy()
    assert np.allclose(ratio[xv > 0], 1)
    neg = ratio[xv < 0]
    assert neg.min() >= 0.1 and neg.max() <= 0.3 and abs(neg.mean() - 0.2) < 0.01
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), ratio, rtol=1e-5)  # the gradient is the drawn slope
    raises(
        RuntimeError,
        "Lower bound should be less than or equal to the upper bound",
        PF.rrelu,
        ptjax.zeros(2),
        0.5,
        0.1,
    )


def test_gumbel_softmax():
    logits = ptjax.tensor(
        np.log(np.array([[0.1, 0.2, 0.7]] * 4000, np.float32)), requires_grad=True
    )
    soft = PF.gumbel_softmax(logits, tau=0.5)
    assert np.allclose(soft.detach().numpy().sum(1), 1, atol=1e-5)
    hard = PF.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert ((h == 0) | (h == 1)).all() and (h.sum(1) == 1).all()
    # a Gumbel-max sample picks each class with its softmax probability
    assert np.allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.03)
    (hard * ptjax.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    assert tuple(PF.gumbel_softmax(ptjax.zeros(2, 3, 4), dim=1).shape) == (2, 3, 4)


def test_activation_errors():
    raises(
        RuntimeError,
        "approximate argument must be either none or tanh.",
        PF.gelu,
        ptjax.zeros(2),
        approximate="foo",
    )
    raises(
        RuntimeError,
        "Halving dimension must be even, but dimension 1 is size 3",
        PF.glu,
        ptjax.zeros(3, 3),
        1,
    )
    raises(RuntimeError, "glu does not support scalars", PF.glu, ptjax.tensor(1.0))
    raises(ValueError, "min_val cannot be greater than max_val", PF.hardtanh, ptjax.zeros(2), 2, 1)
    raises(
        AssertionError, "max_val (1.0) must be greater than min_val (2.0)", pnn.Hardtanh, 2.0, 1.0
    )
    raises(RuntimeError, "lambda must be in range", PF.softshrink, ptjax.zeros(2), -0.5)
    raises(RuntimeError, "alpha cannot be 0 for CELU", PF.celu, ptjax.zeros(2), 0.0)
    raises(
        NotImplementedError, "\"elu_cpu\" not implemented for 'Long'", PF.elu, ptjax.tensor([1, 2])
    )
    assert PF.relu(ptjax.tensor([-1, 2])).tolist() == [0, 2]


# -- dropout --------------------------------------------------------------------------------------

DROPOUTS = [
    ("Dropout", (2, 50, 40)),
    ("Dropout1d", (4, 50, 10)),
    ("Dropout2d", (4, 50, 3, 3)),
    ("Dropout3d", (4, 50, 2, 2, 2)),
    ("AlphaDropout", (2, 50, 40)),
    ("FeatureAlphaDropout", (40, 50, 2, 2)),
]


@pytest.mark.parametrize(("name", "shape"), DROPOUTS)
def test_dropout_eval_is_identity_and_repr(name, shape):
    # train mode is random: its statistics are tested below
    tm, pm = getattr(torch.nn, name)(0.3), getattr(pnn, name)(0.3)
    assert repr(pm) == repr(tm)
    small = (2,) + shape[1:2] + tuple(min(s, 2) for s in shape[2:])
    check_module(
        tm, pm, [randn(*small)], random_train=True, jit=name == "Dropout", dtypes=(np.float32,)
    )


@pytest.mark.parametrize(
    ("name", "shape", "p"), [(n, s, 0.2 if i % 2 else 0.5) for i, (n, s) in enumerate(DROPOUTS)]
)
def test_dropout_train_statistics(name, shape, p):
    pm = getattr(pnn, name)(p).train()
    x = ptjax.ones(*shape, requires_grad=True)
    y = pm(x)
    v = y.detach().numpy()
    units = v.size if name in ("Dropout", "AlphaDropout") else shape[0] * shape[1]
    if "Alpha" in name:
        # alpha dropout keeps mean 0 / variance 1 of standard normal inputs
        out = pm(ptjax.tensor(randn(*shape))).numpy()
        tol = 4.5 / math.sqrt(units)  # the mask has `units` independent entries
        assert abs(out.mean()) < tol and abs(out.std() - 1) < tol
        return
    kept = v != 0
    assert np.allclose(v[kept], 1 / (1 - p), rtol=1e-6)  # torch's scaling
    assert abs(kept.mean() - (1 - p)) < 4 * math.sqrt(p * (1 - p) / units)
    if name != "Dropout":  # channel-wise: a whole (n, c) slice is kept or dropped
        per_channel = kept.reshape(shape[0], shape[1], -1)
        assert (per_channel.all(-1) | (~per_channel).all(-1)).all()
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), v)  # d(x * mask / (1 - p)) / dx = mask / (1 - p)


def test_dropout_edge_cases():
    x = ptjax.tensor(randn(4, 5))
    assert PF.dropout(x, 0.0) is x and PF.dropout(x, 0.5, training=False) is x
    assert (PF.dropout(x, 1.0).numpy() == 0).all()
    raises(
        ValueError, "dropout probability has to be between 0 and 1, but got 1.5", pnn.Dropout, 1.5
    )
    raises(
        ValueError,
        "dropout probability has to be between 0 and 1, but got -0.1",
        PF.dropout,
        x,
        -0.1,
    )
    raises(
        RuntimeError,
        "dropout1d: Expected 2D or 3D input, but received a 4D input",
        PF.dropout1d,
        ptjax.zeros(1, 2, 3, 4),
    )
    y = ptjax.ones(3, 10, 5)
    PF.dropout1d(y[0], 0.5, inplace=False)  # unbatched (C, L)
    z = ptjax.ones(20, 10)
    out = PF.dropout(z, 0.5, inplace=True)
    assert out is z and ((z.numpy() == 0) | (z.numpy() == 2)).all()
    ptjax.manual_seed(3)
    a = PF.dropout(ptjax.ones(10), 0.5).numpy()
    ptjax.manual_seed(3)
    assert (PF.dropout(ptjax.ones(10), 0.5).numpy() == a).all()


# -- embeddings -----------------------------------------------------------------------------------


def test_embedding():
    idx = np.array([[0, 2, 4], [4, 3, 2]])
    check_module(torch.nn.Embedding(5, 3), lambda: pnn.Embedding(5, 3), [idx], modes=("eval",))
    check_module(
        torch.nn.Embedding(5, 3, padding_idx=2),
        lambda: pnn.Embedding(5, 3, padding_idx=2),
        [idx],
        modes=("eval",),
        jit=False,
    )
    check_module(
        torch.nn.Embedding(5, 3, padding_idx=-1),
        lambda: pnn.Embedding(5, 3, padding_idx=-1),
        [np.array(4)],
        modes=("eval",),
        jit=False,
    )
    check_module(
        torch.nn.Embedding(5, 3, scale_grad_by_freq=True),
        lambda: pnn.Embedding(5, 3, scale_grad_by_freq=True),
        [idx],
        modes=("eval",),
        jit=False,
    )


def test_embedding_max_norm_renormalises_in_place():
    for norm_type in (2.0, 1.0):
        t = torch.nn.Embedding(6, 4, max_norm=1.0, norm_type=norm_type)
        with torch.no_grad():
            t.weight.mul_(3)
        p = pnn.Embedding(6, 4, max_norm=1.0, norm_type=norm_type)
        p.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
        idx = np.array([1, 3, 3])
        tw = t(torch.from_numpy(idx))
        pw = p(ptjax.tensor(idx))
        assert_close(pw, tw)
        assert_close(p.weight, t.weight)  # rows 1 and 3 rescaled in place, the others not


def test_embedding_init_repr_and_from_pretrained():
    e = pnn.Embedding(200, 50, padding_idx=0)
    w = e.weight.detach().numpy()
    assert (w[0] == 0).all() and abs(w[1:].std() - 1) < 0.05 and abs(w[1:].mean()) < 0.05
    for args, kw in [
        ((5, 3), {}),
        ((5, 3), {"padding_idx": 1, "max_norm": 2.0}),
        ((5, 3), {"norm_type": 1.0, "scale_grad_by_freq": True}),
    ]:
        assert repr(pnn.Embedding(*args, **kw)) == repr(torch.nn.Embedding(*args, **kw))
    table = ptjax.tensor(randn(4, 2))
    frozen = pnn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert pnn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert_close(frozen(ptjax.tensor([3])), torch.from_numpy(table.numpy()[[3]]))
    raises(NotImplementedError, "torch.nn.Embedding(sparse=True)", pnn.Embedding, 3, 2, sparse=True)
    raises(
        AssertionError,
        "Padding_idx must be within num_embeddings",
        pnn.Embedding,
        3,
        2,
        padding_idx=3,
    )
    raises(IndexError, "index out of range in self", e, ptjax.tensor([200]))
    raises(
        RuntimeError,
        "Expected tensor for argument #1 'indices' to have one of the following "
        "scalar types: Long, Int; but got torch.FloatTensor instead",
        e,
        ptjax.tensor([1.0]),
    )


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    check_module(
        torch.nn.EmbeddingBag(6, 3, mode=mode),
        lambda: pnn.EmbeddingBag(6, 3, mode=mode),
        [np.array([[0, 2, 5], [1, 1, 4]])],
        modes=("eval",),
        dtypes=(np.float64,),
    )
    idx, offsets = np.array([1, 2, 4, 5, 4, 3, 2]), np.array([0, 2, 2, 5])  # bag 1 is empty
    check_module(
        torch.nn.EmbeddingBag(6, 3, mode=mode),
        lambda: pnn.EmbeddingBag(6, 3, mode=mode),
        [idx, offsets],
        modes=("eval",),
        jit=False,
    )
    assert repr(pnn.EmbeddingBag(6, 3, mode=mode)) == repr(torch.nn.EmbeddingBag(6, 3, mode=mode))


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_embedding_bag_padding_and_last_offset(mode):
    idx = np.array([1, 2, 4, 5, 4, 3, 2])
    kw = {"mode": mode, "padding_idx": 2, "include_last_offset": True}
    check_module(
        torch.nn.EmbeddingBag(6, 3, **kw),
        lambda: pnn.EmbeddingBag(6, 3, **kw),
        [idx, np.array([0, 2, 5, 7])],
        modes=("eval",),
        jit=False,
        dtypes=(np.float64,),
    )
    assert repr(pnn.EmbeddingBag(6, 3, **kw)) == repr(torch.nn.EmbeddingBag(6, 3, **kw))


def test_embedding_bag_per_sample_weights_and_errors():
    idx, offsets, psw = np.array([1, 2, 4, 5, 3]), np.array([0, 2]), randn(5)
    check_module(
        torch.nn.EmbeddingBag(6, 3, mode="sum"),
        lambda: pnn.EmbeddingBag(6, 3, mode="sum"),
        [idx, offsets, psw],
        modes=("eval",),
    )
    w = ptjax.zeros(6, 3)
    raises(
        NotImplementedError,
        "per_sample_weights is only supported for mode='sum'",
        PF.embedding_bag,
        ptjax.tensor(idx),
        w,
        ptjax.tensor(offsets),
        mode="mean",
        per_sample_weights=ptjax.tensor(psw),
    )
    raises(
        ValueError,
        "if input is 2D, then offsets has to be None",
        PF.embedding_bag,
        ptjax.tensor([[1, 2]]),
        w,
        ptjax.tensor([0]),
    )
    raises(
        ValueError,
        "offsets has to be a 1D Tensor but got None",
        PF.embedding_bag,
        ptjax.tensor([1, 2]),
        w,
    )
    raises(
        RuntimeError,
        "offsets[0] has to be 0",
        PF.embedding_bag,
        ptjax.tensor([1, 2]),
        w,
        ptjax.tensor([1]),
    )
    raises(
        ValueError,
        "mode has to be one of sum, mean or max",
        PF.embedding_bag,
        ptjax.tensor([[1, 2]]),
        w,
        mode="min",
    )


def test_one_hot():
    check(lambda t, x: t.nn.functional.one_hot(x, 5), [np.array([0, 3, 4, 1])], grad=False)
    check(
        lambda t, x: t.nn.functional.one_hot(x), [np.array([[0, 3], [2, 1]])], grad=False, jit=False
    )
    raises(
        RuntimeError,
        "Class values must be smaller than num_classes.",
        PF.one_hot,
        ptjax.tensor([1, 5]),
        3,
    )


# -- distances ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
def test_pairwise_distance(p):
    check_module(
        torch.nn.PairwiseDistance(p),
        lambda: pnn.PairwiseDistance(p),
        [randn(3, 4), randn(3, 4)],
        modes=("eval",),
        jit=p == 2.0,
    )


def test_cosine_similarity_normalize_pdist():
    check_module(
        torch.nn.CosineSimilarity(),
        pnn.CosineSimilarity,
        [randn(3, 4), randn(3, 4)],
        modes=("eval",),
    )
    check(
        lambda t, x, y: t.nn.functional.cosine_similarity(x, y, dim=0),
        [randn(4, 2), randn(4, 1)],
        jit=False,
    )
    check(lambda t, x: t.nn.functional.normalize(x, dim=1), [randn(3, 4)], jit=False)
    check(lambda t, x: t.nn.functional.normalize(x, p=1.0, dim=0), [randn(3, 4)], jit=False)
    check(lambda t, x: t.nn.functional.pdist(x), [randn(4, 3)], jit=False)


# -- init -----------------------------------------------------------------------------------------


def test_calculate_gain_matches_torch():
    for nl in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]:
        assert pnn.init.calculate_gain(nl) == torch.nn.init.calculate_gain(nl)
    assert pnn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain(
        "leaky_relu", 0.2
    )
    raises(ValueError, "Unsupported nonlinearity foo", pnn.init.calculate_gain, "foo")
    raises(
        ValueError,
        "negative_slope True not a valid number",
        pnn.init.calculate_gain,
        "leaky_relu",
        True,
    )


def test_fan_in_fan_out():
    for shape in [(3, 4), (5, 3, 2, 2), (2, 6, 3)]:
        assert pnn.init._calculate_fan_in_and_fan_out(
            ptjax.empty(*shape)
        ) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    raises(
        ValueError,
        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
        pnn.init.xavier_uniform_,
        ptjax.empty(3),
    )
    raises(
        ValueError,
        "Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']",
        pnn.init.kaiming_normal_,
        ptjax.empty(3, 3),
        mode="fan_avg",
    )


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


def test_init_distributions():
    n = (300, 200)
    w = ptjax.empty(*n)
    lo, hi, mean, std = _stats(pnn.init.uniform_(w, -2.0, 3.0))
    assert lo >= -2 and hi < 3 and abs(mean - 0.5) < 0.02 and abs(std - 5 / math.sqrt(12)) < 0.02
    _, _, mean, std = _stats(pnn.init.normal_(w, 1.0, 0.5))
    assert abs(mean - 1) < 0.01 and abs(std - 0.5) < 0.01
    lo, hi, mean, _ = _stats(pnn.init.trunc_normal_(w, 0.0, 1.0, -1.0, 2.0))
    assert lo >= -1 and hi <= 2 and abs(mean - 0.2288) < 0.02  # the truncated normal's mean
    lo, hi, _, _ = _stats(pnn.init.trunc_normal_(w, 0.0, 1.0, 2.0, 3.0))  # far tail
    assert lo >= 2 and hi <= 3
    bound = math.sqrt(6 / (300 + 200))
    lo, hi, _, std = _stats(pnn.init.xavier_uniform_(w))
    assert -bound <= lo and hi <= bound and abs(std - bound / math.sqrt(3)) < 0.01 * 3
    _, _, _, std = _stats(pnn.init.xavier_normal_(w, gain=2.0))
    assert abs(std - 2 * math.sqrt(2 / 500)) < 0.005
    _, _, _, std = _stats(pnn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"))
    assert abs(std - math.sqrt(2 / 300)) < 0.003
    lo, hi, _, _ = _stats(pnn.init.kaiming_uniform_(w, a=math.sqrt(5)))
    assert -1 / math.sqrt(200) <= lo and hi <= 1 / math.sqrt(200)
    pnn.init.constant_(w, 0.3)
    assert (w.numpy() == np.float32(0.3)).all()
    assert (pnn.init.zeros_(w).numpy() == 0).all() and (pnn.init.ones_(w).numpy() == 1).all()


def test_init_structured():
    assert_close(pnn.init.eye_(ptjax.empty(3, 5)), torch.nn.init.eye_(torch.empty(3, 5)))
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)]:
        assert_close(
            pnn.init.dirac_(ptjax.empty(*shape), groups),
            torch.nn.init.dirac_(torch.empty(*shape), groups),
        )
    for shape in [(5, 8), (8, 5), (4, 2, 3)]:
        q = pnn.init.orthogonal_(ptjax.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        eye = q @ q.T if shape[0] <= q.shape[1] else q.T @ q
        assert np.allclose(eye, 4 * np.eye(eye.shape[0]), atol=1e-5)
    s = pnn.init.sparse_(ptjax.empty(10, 6), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all()
    raises(
        ValueError,
        "Only tensors with 2 dimensions are supported",
        pnn.init.eye_,
        ptjax.empty(2, 2, 2),
    )
    raises(
        ValueError,
        "Only tensors with 3, 4, or 5 dimensions are supported",
        pnn.init.dirac_,
        ptjax.empty(2, 2),
    )
    raises(
        ValueError,
        "Only tensors with 2 or more dimensions are supported",
        pnn.init.orthogonal_,
        ptjax.empty(2),
    )


def test_init_is_in_place_no_grad_and_seeded():
    p = pnn.Parameter(ptjax.empty(3, 4))
    out = pnn.init.normal_(p)
    assert out is p and p.requires_grad and p.grad_fn is None and p.is_leaf
    g = ptjax.Generator().manual_seed(5)
    a = pnn.init.uniform_(ptjax.empty(4), generator=g).numpy()
    g.manual_seed(5)
    assert (pnn.init.uniform_(ptjax.empty(4), generator=g).numpy() == a).all()
    ptjax.manual_seed(0)
    m1 = pnn.Linear(3, 3).weight.detach().numpy()
    ptjax.manual_seed(0)
    assert (pnn.Linear(3, 3).weight.detach().numpy() == m1).all()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        pnn.init.kaiming_uniform_(ptjax.empty(0, 3))
        pnn.init.normal(ptjax.empty(2))
    msgs = [str(x.message) for x in w]
    assert "Initializing zero-element tensors is a no-op" in msgs
    assert "`nn.init.normal` is now deprecated in favor of `nn.init.normal_`." in msgs


# -- nn.utils -------------------------------------------------------------------------------------


def _grads_model(lib, seed=0):
    rng = np.random.default_rng(seed)
    ps = [
        lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
        for s in [(3, 4), (4,), (2,)]
    ]
    loss = sum(((p * p).sum() * (i + 1)) for i, p in enumerate(ps[:2]))
    loss.backward()
    return ps  # the last one has no gradient


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
def test_clip_grad_norm(norm_type):
    tp, pp = _grads_model(torch), _grads_model(ptjax)
    t_total = torch.nn.utils.clip_grad_norm_(tp, 0.5, norm_type=norm_type)
    p_total = pnn.utils.clip_grad_norm_(pp, 0.5, norm_type=norm_type)
    assert_close(p_total, t_total)
    for p, t in zip(pp[:2], tp[:2]):
        assert_close(p.grad, t.grad)
    assert pp[2].grad is None


def test_clip_grad_value_and_errors():
    tp, pp = _grads_model(torch), _grads_model(ptjax)
    held = pp[0].grad
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    pnn.utils.clip_grad_value_(pp, 0.7)
    for p, t in zip(pp[:2], tp[:2]):
        assert_close(p.grad, t.grad)
    assert held is pp[0].grad  # clipped in place
    bad = ptjax.tensor([1.0], requires_grad=True)
    bad.grad = ptjax.tensor([math.inf])
    raises(
        RuntimeError,
        "The total norm of order 2.0 for gradients from `parameters` is non-finite",
        pnn.utils.clip_grad_norm_,
        [bad],
        1.0,
        error_if_nonfinite=True,
    )
    assert float(pnn.utils.clip_grad_norm_([], 1.0)) == 0.0


def test_clip_grad_norm_inside_jit():
    import jax

    def step(a):
        p = ptjax.Tensor._make(a).requires_grad_()
        (p * p).sum().backward()
        total = pnn.utils.clip_grad_norm_([p], 1.0)
        return total._value, p.grad._value

    a = randn(5)
    total, grad = jax.jit(step)(a)
    tp = torch.tensor(a, requires_grad=True)
    (tp * tp).sum().backward()
    assert_close(total, torch.nn.utils.clip_grad_norm_([tp], 1.0))
    assert_close(grad, tp.grad)


def test_parameters_to_vector_and_back():
    tm, pm = torch.nn.Linear(3, 2), pnn.Linear(3, 2)
    pm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    tv = torch.nn.utils.parameters_to_vector(tm.parameters())
    pv = pnn.utils.parameters_to_vector(pm.parameters())
    assert_close(pv, tv)
    assert pv.requires_grad
    new = randn(8)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new), tm.parameters())
    pnn.utils.vector_to_parameters(ptjax.tensor(new), pm.parameters())
    assert_close(pm.weight, tm.weight)
    assert_close(pm.bias, tm.bias)
    raises(
        TypeError,
        "expected torch.Tensor, but got: numpy.ndarray",
        pnn.utils.vector_to_parameters,
        new,
        pm.parameters(),
    )
