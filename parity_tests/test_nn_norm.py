"""Parity of the normalisation layers and functions against torch: LayerNorm, GroupNorm,
RMSNorm, LocalResponseNorm, BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d (outputs, input and
parameter gradients, running-stat buffers after a training forward, eager and jit, errors)."""

import numpy as np
import pytest
import torch
from helpers import assert_close, check, raises, randn
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
    x = ptjax.zeros(2, 3, requires_grad=True)
    assert PF.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"


def test_layer_norm_errors():
    x = ptjax.zeros(2, 3, 4)
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


# -- BatchNorm ------------------------------------------------------------------------------------


def _randomize(m: torch.nn.Module, batches: int = 3) -> torch.nn.Module:
    """Non-trivial parameters and running statistics, so every term of the formulas shows."""
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape))
        if getattr(m, "running_mean", None) is not None:
            m.running_mean.copy_(torch.randn(m.running_mean.shape))
            m.running_var.copy_(torch.rand(m.running_var.shape) + 0.5)
            m.num_batches_tracked.fill_(batches)
    return m


@pytest.mark.parametrize(
    "cls,shape,jit",
    [
        ("BatchNorm1d", (4, 3), True),
        ("BatchNorm1d", (3, 3, 4), False),
        ("BatchNorm2d", (2, 3, 2, 3), True),
        ("BatchNorm3d", (2, 3, 2, 1, 2), False),
        ("SyncBatchNorm", (2, 3, 2, 2), False),
    ],
)
def test_batch_norm_module(cls, shape, jit):
    check_module(
        _randomize(getattr(torch.nn, cls)(3)),
        lambda: getattr(pnn, cls)(3),
        [randn(*shape)],
        jit=jit,
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"affine": False},
        {"bias": False, "eps": 1e-3},
        {"momentum": 0.3},
        {"momentum": None},
        {"track_running_stats": False},
        {"track_running_stats": False, "affine": False},
    ],
)
def test_batch_norm_options(kw):
    check_module(
        _randomize(torch.nn.BatchNorm2d(3, **kw)),
        lambda: pnn.BatchNorm2d(3, **kw),
        [randn(3, 3, 2, 2)],
        jit=kw == {"momentum": None},  # the cumulative average reads the counter inside the op
    )


def test_batch_norm_running_stats_over_steps():
    """Several training forwards then eval, both momentum rules: buffers track torch's."""
    for momentum in (0.1, None):
        t, p = torch.nn.BatchNorm1d(3, momentum=momentum), pnn.BatchNorm1d(3, momentum=momentum)
        for _ in range(3):
            x = randn(5, 3, 2, dtype=np.float64)
            t(torch.from_numpy(x).float())
            p(ptjax.tensor(x).float())
        for name, buf in t.named_buffers():
            assert_close(p.get_buffer(name), buf, msg=name)
        assert p.num_batches_tracked.dtype is ptjax.int64 and p.num_batches_tracked.item() == 3
        t.eval(), p.eval()
        x = randn(2, 3, 2)
        assert_close(p(ptjax.tensor(x)).detach(), t(torch.from_numpy(x)).detach())
        assert p.num_batches_tracked.item() == 3  # eval does not count


def test_batch_norm_compiled_step_updates_buffers():
    """Buffers written in place inside a compiled step reach the module, as in eager mode."""
    t, p = torch.nn.BatchNorm1d(3), pnn.BatchNorm1d(3)
    step = ptjax.compile(lambda x: p(x).sum())
    for _ in range(2):
        x = randn(4, 3)
        t(torch.from_numpy(x))
        step(ptjax.tensor(x))
    for name, buf in t.named_buffers():
        assert_close(p.get_buffer(name), buf, msg=name)


def test_batch_norm_state_and_repr():
    for kw in ({}, {"affine": False, "momentum": None}, {"track_running_stats": False}):
        t, p = torch.nn.BatchNorm2d(4, **kw), pnn.BatchNorm2d(4, **kw)
        assert repr(p) == repr(t)
        assert list(p.state_dict()) == list(t.state_dict())
    assert repr(pnn.SyncBatchNorm(3)) == repr(torch.nn.SyncBatchNorm(3))
    p = pnn.BatchNorm1d(3)
    p.running_mean.add_(1.0)
    p.num_batches_tracked.add_(2)
    p.reset_running_stats()
    assert p.running_mean.tolist() == [0.0] * 3 and p.num_batches_tracked.item() == 0
    # a pre-version-2 checkpoint without num_batches_tracked loads with the counter at 0
    sd = {k: v for k, v in pnn.BatchNorm1d(3).state_dict().items() if k != "num_batches_tracked"}
    from collections import OrderedDict

    old = OrderedDict(sd)
    old._metadata = {"": {"version": 1}}
    p.load_state_dict(old)
    assert p.num_batches_tracked.item() == 0
    raises(NotImplementedError, "torch.nn.LazyBatchNorm2d", pnn.LazyBatchNorm2d)


def test_sync_batch_norm_convert():
    model = pnn.Sequential(pnn.Linear(3, 3), pnn.BatchNorm1d(3))
    conv = pnn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(conv[1], pnn.SyncBatchNorm) and conv[1].weight is model[1].weight
    assert conv[1].running_mean is model[1].running_mean


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_functional(dtype):
    rm, rv = randn(3, dtype=dtype), randn(3, dtype=dtype, low=0.5, high=1.5)

    def eval_fn(t, x, w, b):
        return t.nn.functional.batch_norm(x, t.tensor(rm), t.tensor(rv), w, b, eps=1e-3)

    x, w, b = randn(2, 3, 4, dtype=dtype), randn(3, dtype=dtype), randn(3, dtype=dtype)
    check(eval_fn, [x, w, b])
    check(lambda t, x: t.nn.functional.batch_norm(x, None, None, training=True), [x])
    check(
        lambda t, x, w: t.nn.functional.batch_norm(x, None, None, w, None, True, 0.1, 1e-2),
        [randn(5, 3, dtype=dtype), w],
        jit=False,
    )
    # an empty batch: empty output, running statistics untouched
    check(
        lambda t, x: t.nn.functional.batch_norm(x, t.tensor(rm), t.tensor(rv), training=True),
        [randn(0, 3, dtype=dtype)],
        jit=False,
    )


def test_batch_norm_functional_updates_in_place():
    x = randn(4, 3, 2)
    stats = [randn(3), randn(3, low=0.5, high=1.5)]
    t_stats = [torch.from_numpy(s.copy()) for s in stats]
    p_stats = [ptjax.tensor(s) for s in stats]
    ty = torch.nn.functional.batch_norm(torch.from_numpy(x), *t_stats, training=True, momentum=0.2)
    py = PF.batch_norm(ptjax.tensor(x), *p_stats, training=True, momentum=0.2)
    assert_close(py, ty)
    for p, t in zip(p_stats, t_stats):
        assert_close(p, t)
        assert not p.requires_grad


def test_batch_norm_grad_fn_name():
    x = ptjax.zeros(3, 2, requires_grad=True)
    assert PF.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"


def test_batch_norm_errors():
    raises(
        ValueError,
        "expected 2D or 3D input (got 4D input)",
        pnn.BatchNorm1d(3),
        ptjax.zeros(2, 3, 2, 2),
    )
    raises(ValueError, "expected 4D input (got 3D input)", pnn.BatchNorm2d(3), ptjax.zeros(2, 3, 2))
    raises(
        ValueError, "expected 5D input (got 4D input)", pnn.BatchNorm3d(3), ptjax.zeros(2, 3, 2, 2)
    )
    raises(
        ValueError,
        "expected at least 2D input (got 1D input)",
        pnn.SyncBatchNorm(3),
        ptjax.zeros(3),
    )
    raises(
        ValueError,
        "Expected more than 1 value per channel when training, got input size torch.Size([1, 3])",
        pnn.BatchNorm1d(3),
        ptjax.zeros(1, 3),
    )
    m = pnn.BatchNorm1d(3).eval()
    assert m(ptjax.zeros(1, 3)).shape == (1, 3)  # eval needs no batch statistics
    F = PF.batch_norm
    x, rm, rv = ptjax.zeros(2, 3, 4), ptjax.zeros(3), ptjax.ones(3)
    raises(RuntimeError, "running_mean should contain 3 elements not 4", F, x, ptjax.zeros(4), rv)
    raises(RuntimeError, "running_var should contain 3 elements not 4", F, x, rm, ptjax.ones(4))
    raises(RuntimeError, "weight should contain 3 elements not 4", F, x, rm, rv, ptjax.ones(4))
    raises(RuntimeError, "bias should contain 3 elements not 4", F, x, rm, rv, None, ptjax.ones(4))
    raises(RuntimeError, "running_mean must be defined in evaluation mode", F, x, None, None)
    raises(ValueError, "must either both be None or neither be None", F, x, rm, None, training=True)
    raises(
        ValueError,
        "batch_norm eps must be positive during training, but got 0.0",
        F,
        x,
        None,
        None,
        training=True,
        eps=0.0,
    )
    raises(NotImplementedError, "\"batch_norm\" not implemented for 'Int'", F, x.int(), rm, rv)
    raises(
        RuntimeError,
        "expect parameter to have scalar type of Float",
        F,
        x,
        rm.double(),
        rv.double(),
    )
    raises(RuntimeError, "all inputs must share same datatype", F, x.double(), rm, rv)


# -- InstanceNorm ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls,shape,kw,jit",
    [
        ("InstanceNorm1d", (2, 3, 4), {}, True),
        ("InstanceNorm1d", (3, 4), {"affine": True}, False),
        ("InstanceNorm2d", (2, 3, 2, 3), {"affine": True, "track_running_stats": True}, True),
        ("InstanceNorm2d", (3, 2, 2), {"track_running_stats": True, "momentum": 0.3}, False),
        ("InstanceNorm3d", (2, 3, 2, 1, 2), {"affine": True, "bias": False}, False),
        ("InstanceNorm3d", (3, 2, 2, 1), {"track_running_stats": True}, False),
    ],
)
def test_instance_norm_module(cls, shape, kw, jit):
    check_module(
        _randomize(getattr(torch.nn, cls)(3, **kw)),
        lambda: getattr(pnn, cls)(3, **kw),
        [randn(*shape)],
        jit=jit,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_instance_norm_functional(dtype):
    x, w, b = randn(2, 3, 4, dtype=dtype), randn(3, dtype=dtype), randn(3, dtype=dtype)
    rm, rv = randn(3, dtype=dtype), randn(3, dtype=dtype, low=0.5, high=1.5)
    check(lambda t, x, w, b: t.nn.functional.instance_norm(x, weight=w, bias=b), [x, w, b])
    check(
        lambda t, x: t.nn.functional.instance_norm(
            x, t.tensor(rm), t.tensor(rv), use_input_stats=False, eps=1e-3
        ),
        [x],
        jit=False,
    )


def test_instance_norm_updates_in_place_and_repr():
    x = randn(3, 2, 5)
    stats = [randn(2), randn(2, low=0.5, high=1.5)]
    t_stats = [torch.from_numpy(s.copy()) for s in stats]
    p_stats = [ptjax.tensor(s) for s in stats]
    torch.nn.functional.instance_norm(torch.from_numpy(x), *t_stats, momentum=0.4)
    PF.instance_norm(ptjax.tensor(x), *p_stats, momentum=0.4)
    for p, t in zip(p_stats, t_stats):
        assert_close(p, t)
    for kw in ({}, {"affine": True, "track_running_stats": True}):
        assert repr(pnn.InstanceNorm2d(3, **kw)) == repr(torch.nn.InstanceNorm2d(3, **kw))
        p_sd, t_sd = (
            pnn.InstanceNorm2d(3, **kw).state_dict(),
            torch.nn.InstanceNorm2d(3, **kw).state_dict(),
        )
        assert list(p_sd) == list(t_sd)


def test_instance_norm_errors():
    raises(
        ValueError,
        "expected 2D or 3D input (got 4D input)",
        pnn.InstanceNorm1d(3),
        ptjax.zeros(2, 3, 2, 2),
    )
    raises(
        ValueError,
        "expected 3D or 4D input (got 2D input)",
        pnn.InstanceNorm2d(3),
        ptjax.zeros(2, 3),
    )
    raises(
        ValueError,
        "expected 4D or 5D input (got 3D input)",
        pnn.InstanceNorm3d(3),
        ptjax.zeros(2, 3, 2),
    )
    raises(
        ValueError,
        "Expected more than 1 spatial element when training, got input size torch.Size([2, 3, 1])",
        pnn.InstanceNorm1d(3),
        ptjax.zeros(2, 3, 1),
    )
    raises(
        ValueError,
        "expected input's size at dim=1 to match num_features (4), but got: 3.",
        pnn.InstanceNorm1d(4, affine=True),
        ptjax.zeros(2, 3, 5),
    )
    with pytest.warns(UserWarning, match="does not match num_features"):
        pnn.InstanceNorm1d(4)(ptjax.zeros(2, 3, 5))
    raises(
        RuntimeError,
        "Expected running_mean and running_var to be defined when use_input_stats is false",
        PF.instance_norm,
        ptjax.zeros(2, 3, 4),
        use_input_stats=False,
    )
    raises(
        RuntimeError,
        "running_mean should contain 6 elements not 8",
        PF.instance_norm,
        ptjax.zeros(2, 3, 4),
        ptjax.zeros(4),
        ptjax.ones(4),
    )
    raises(NotImplementedError, "torch.nn.LazyInstanceNorm1d", pnn.LazyInstanceNorm1d)


# -- GroupNorm ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "groups,shape,kw,jit",
    [
        (2, (2, 4, 3), {}, True),
        (1, (2, 4), {}, False),
        (4, (2, 4, 2, 2), {"eps": 1e-3}, False),
        (2, (3, 4, 2), {"affine": False}, False),
        (2, (1, 4, 2, 1, 2), {"bias": False}, False),
    ],
)
def test_group_norm_module(groups, shape, kw, jit):
    check_module(
        _randomize(torch.nn.GroupNorm(groups, 4, **kw)),
        lambda: pnn.GroupNorm(groups, 4, **kw),
        [randn(*shape)],
        modes=("train",),
        jit=jit,
    )


def test_group_norm_functional_and_errors():
    check(
        lambda t, x, w: t.nn.functional.group_norm(x, 3, w, None, 1e-4),
        [randn(2, 6, 2, dtype=np.float64), randn(6, dtype=np.float64)],
        jit=False,
    )
    check(lambda t, x: t.nn.functional.group_norm(x, 2), [randn(0, 4, 2)], jit=False)
    assert repr(pnn.GroupNorm(2, 4)) == repr(torch.nn.GroupNorm(2, 4))
    raises(ValueError, "num_channels (5) must be divisible by num_groups (2)", pnn.GroupNorm, 2, 5)
    F, x = PF.group_norm, ptjax.zeros(2, 6, 4)
    raises(
        RuntimeError,
        "Expected number of channels in input to be divisible by num_groups, but got input of "
        "shape [2, 6, 4] and num_groups=4",
        F,
        x,
        4,
    )
    raises(
        RuntimeError,
        "Expected weight to be a vector of size equal to the number of channels in input, but "
        "got weight of shape [5] and input of shape [2, 6, 4]",
        F,
        x,
        3,
        ptjax.ones(5),
    )
    raises(RuntimeError, "Expected bias to be a vector of size equal", F, x, 3, None, ptjax.ones(5))
    raises(
        RuntimeError,
        "Expected at least 2 dimensions for input tensor but received 1",
        F,
        ptjax.zeros(2),
        1,
    )
    raises(
        ValueError,
        "Expected more than 1 value per channel when training, got input size [1, 3]",
        F,
        ptjax.zeros(1, 3),
        3,
    )


# -- RMSNorm --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,norm,kw,jit",
    [
        ((2, 3, 4), 4, {}, True),
        ((2, 3, 4), (3, 4), {"eps": 1e-3}, False),
        ((3, 5), [5], {"elementwise_affine": False}, False),
        ((4,), 4, {"eps": 0.5}, False),
    ],
)
def test_rms_norm_module(shape, norm, kw, jit):
    check_module(
        _randomize(torch.nn.RMSNorm(norm, **kw)),
        lambda: pnn.RMSNorm(norm, **kw),
        [randn(*shape)],
        modes=("train",),
        jit=jit,
    )


def test_rms_norm_functional_and_errors():
    for dtype in (np.float32, np.float64):
        check(
            lambda t, x, w: t.nn.functional.rms_norm(x, (3,), w),
            [randn(2, 3, dtype=dtype), randn(3, dtype=dtype)],
            jit=False,
        )
    # zeros: only eps keeps rsqrt finite (its default is the dtype's machine epsilon)
    check(lambda t, x: t.nn.functional.rms_norm(x, (3,)), [np.zeros((2, 3), np.float32)], jit=False)
    for kw in ({}, {"eps": 1e-4, "elementwise_affine": False}):
        assert repr(pnn.RMSNorm((2, 3), **kw)) == repr(torch.nn.RMSNorm((2, 3), **kw))
    F, x = PF.rms_norm, ptjax.zeros(2, 3, 4)
    raises(
        RuntimeError,
        "expected input with shape [*2, 4], but got input of size[2, 3, 4]",
        F,
        x,
        (2, 4),
    )
    raises(
        RuntimeError,
        "Expected weight to be of same shape as normalized_shape",
        F,
        x,
        (4,),
        ptjax.ones(3, 4),
    )
    raises(
        TypeError,
        "rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int",
        F,
        x,
        4,
    )
    raises(NotImplementedError, "\"rms_norm\" not implemented for 'Int'", F, x.int(), (4,))


# -- LocalResponseNorm, CrossMapLRN2d -------------------------------------------------------------


@pytest.mark.parametrize(
    "size,shape,kw,jit",
    [
        (2, (2, 5, 3), {}, True),
        (3, (2, 4, 2, 2), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, False),
        (4, (1, 5, 2, 1, 2), {"alpha": 0.5}, False),
        (1, (2, 3, 2), {"alpha": 0.3}, False),
    ],
)
def test_local_response_norm(size, shape, kw, jit):
    check_module(
        torch.nn.LocalResponseNorm(size, **kw),
        lambda: pnn.LocalResponseNorm(size, **kw),
        [randn(*shape)],
        modes=("train",),
        jit=jit,
    )


def test_local_response_norm_functional_and_errors():
    check(
        lambda t, x: t.nn.functional.local_response_norm(x, 3, 0.2, 0.6, 1.5),
        [randn(2, 4, 3, dtype=np.float64)],
        jit=False,
    )
    assert repr(pnn.LocalResponseNorm(3)) == repr(torch.nn.LocalResponseNorm(3))
    raises(
        ValueError,
        "Expected 3D or higher dimensionality",
        PF.local_response_norm,
        ptjax.zeros(2, 3),
        2,
    )
    assert PF.local_response_norm(ptjax.zeros(0, 3, 2), 2).shape == (0, 3, 2)


@pytest.mark.parametrize("size,channels", [(3, 5), (2, 4), (5, 3), (4, 6)])
def test_cross_map_lrn2d(size, channels):
    # torch's hand-written backward (not the derivative of its forward) is what ptjax returns
    check_module(
        torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.7, k=1.5),
        lambda: pnn.CrossMapLRN2d(size, alpha=0.5, beta=0.7, k=1.5),
        [randn(2, channels, 2, 2)],
        modes=("train",),
        jit=size == 3,
    )
    assert repr(pnn.CrossMapLRN2d(size)) == repr(torch.nn.CrossMapLRN2d(size))
    raises(
        ValueError,
        "CrossMapLRN2d: Expected input to be 4D, got 3D instead.",
        pnn.CrossMapLRN2d(3),
        ptjax.zeros(2, 3, 2),
    )
