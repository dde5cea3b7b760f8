"""Parity of the convolution layers and F.conv* against torch: every constructor option, batched
and unbatched input, float32 and float64, outputs and input/weight/bias gradients (eager, and in
jax.jit for one configuration per layer), default initialisation, repr and torch's errors."""

import math

import numpy as np
import pytest
import torch
from helpers import assert_close, check, raises, randn
from nn_helpers import check_module, training_step

import ptjax
import ptjax.nn as pnn
import ptjax.nn.functional as PF

EVAL = ("eval",)  # convolutions behave the same in train and eval mode


def _pair(torch_cls, ptjax_cls, *args, **kwargs):
    return torch_cls(*args, **kwargs), lambda: ptjax_cls(*args, **kwargs)


# -- layers ---------------------------------------------------------------------------------------

CONV_CASES = [
    # (name, args, kwargs, input shape, jit)
    ("Conv1d", (3, 4, 3), {}, (2, 3, 7), True),
    (
        "Conv1d",
        (4, 6, 3),
        dict(stride=2, padding=2, dilation=2, groups=2, bias=False),
        (4, 9),
        False,
    ),
    ("Conv1d", (2, 3, 4), dict(padding="same", dilation=2), (2, 2, 6), False),
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 5, 6), True),
    (
        "Conv2d",
        (4, 6, (3, 2)),
        dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
        (4, 5, 6),
        False,
    ),
    ("Conv2d", (2, 3, (4, 3)), dict(padding="same", dilation=(1, 2)), (1, 2, 5, 6), False),
    ("Conv2d", (2, 3, 3), dict(padding="valid", stride=2), (2, 2, 5, 6), False),
    ("Conv2d", (4, 4, 3), dict(groups=4, padding=1, bias=False), (1, 4, 5, 5), False),
    ("Conv3d", (2, 3, 2), {}, (1, 2, 3, 4, 5), True),
    (
        "Conv3d",
        (2, 4, (2, 3, 2)),
        dict(stride=(1, 2, 1), padding=(1, 1, 0), groups=2),
        (2, 3, 5, 4),
        False,
    ),
]


@pytest.mark.parametrize("name,args,kwargs,shape,jit", CONV_CASES)
def test_conv(name, args, kwargs, shape, jit):
    t, p = _pair(getattr(torch.nn, name), getattr(pnn, name), *args, **kwargs)
    check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(mode):
    t, p = _pair(torch.nn.Conv2d, pnn.Conv2d, 2, 3, 3, padding=(1, 2), padding_mode=mode)
    check_module(t, p, [randn(2, 2, 5, 6)], modes=EVAL, jit=mode == "reflect")
    # 'same' with an even kernel pads asymmetrically before the convolution
    t, p = _pair(torch.nn.Conv1d, pnn.Conv1d, 2, 3, 4, padding="same", padding_mode=mode)
    check_module(t, p, [randn(2, 7)], modes=EVAL, jit=False, dtypes=(np.float64,))
    if mode == "circular":
        t, p = _pair(torch.nn.Conv3d, pnn.Conv3d, 1, 2, 2, padding=1, padding_mode=mode)
        check_module(t, p, [randn(1, 1, 3, 4, 3)], modes=EVAL, jit=False, dtypes=(np.float32,))


TRANSPOSE_CASES = [
    ("ConvTranspose1d", (3, 4, 3), dict(stride=2), (2, 3, 5), True),
    (
        "ConvTranspose1d",
        (4, 2, 3),
        dict(stride=3, padding=1, output_padding=2, groups=2, dilation=2),
        (4, 5),
        False,
    ),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 4, 5), True),
    (
        "ConvTranspose2d",
        (4, 6, (3, 2)),
        dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1), groups=2, bias=False),
        (4, 4, 3),
        False,
    ),
    # padding beyond dilation * (kernel - 1): the output is cropped
    ("ConvTranspose2d", (2, 3, 2), dict(padding=2), (1, 2, 5, 6), False),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 2, 3, 2), True),
    (
        "ConvTranspose3d",
        (2, 2, (2, 3, 2)),
        dict(stride=(2, 1, 2), padding=(0, 1, 1), output_padding=(1, 0, 1), groups=2),
        (2, 3, 3, 2),
        False,
    ),
]


@pytest.mark.parametrize("name,args,kwargs,shape,jit", TRANSPOSE_CASES)
def test_conv_transpose(name, args, kwargs, shape, jit):
    t, p = _pair(getattr(torch.nn, name), getattr(pnn, name), *args, **kwargs)
    check_module(t, p, [randn(*shape)], modes=EVAL, jit=jit)


def test_conv_transpose_output_size():
    t, p = _pair(torch.nn.ConvTranspose2d, pnn.ConvTranspose2d, 3, 2, 3, stride=(2, 3), padding=1)
    for size in ([8, 10], [1, 2, 7, 12]):
        check_module(t, p, [randn(1, 3, 4, 4)], kwargs={"output_size": size}, modes=EVAL, jit=False)
    t, p = _pair(torch.nn.ConvTranspose1d, pnn.ConvTranspose1d, 2, 2, 2, stride=3)
    check_module(
        t,
        p,
        [randn(2, 4)],
        kwargs={"output_size": [12]},
        modes=EVAL,
        jit=False,
        dtypes=(np.float64,),
    )
    m = pnn.ConvTranspose2d(4, 4, 3)
    raises(
        ValueError,
        "requested an output size of [9, 9], but valid sizes range from [5, 5] to [5, 5] (for an "
        "input of torch.Size([3, 3]))",
        m,
        ptjax.zeros(1, 4, 3, 3),
        output_size=[9, 9],
    )
    raises(
        ValueError,
        "ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements (got 1)",
        m,
        ptjax.zeros(1, 4, 3, 3),
        output_size=[9],
    )


# -- functional forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_conv(dtype):
    check(
        lambda t, x, w, b: t.nn.functional.conv2d(x, w, b, 2, 1, 1, 1),
        [randn(2, 3, 5, 6, dtype=dtype), randn(4, 3, 3, 3, dtype=dtype), randn(4, dtype=dtype)],
    )
    check(
        lambda t, x, w: t.nn.functional.conv1d(x, w, stride=[2], padding=[1], groups=2),
        [randn(1, 4, 6, dtype=dtype), randn(2, 2, 3, dtype=dtype)],
        jit=False,
    )
    check(
        lambda t, x, w, b: t.nn.functional.conv_transpose2d(
            x, w, b, stride=2, padding=1, output_padding=1, groups=2, dilation=1
        ),
        [randn(2, 4, 3, 3, dtype=dtype), randn(4, 1, 3, 3, dtype=dtype), randn(2, dtype=dtype)],
        jit=False,
    )


@pytest.mark.parametrize("grad", [True, False])
def test_both_cpu_forms_of_conv(grad):
    """On CPU a convolution whose gradient will be taken runs as a matmul over its patches,
    otherwise as XLA's convolution: both agree with torch (strided, dilated, padded, 1-d/3-d)."""
    cases = [
        (lambda t, x, w, b: t.nn.functional.conv2d(x, w, b, (2, 1), (1, 2), (1, 2)), (2, 3, 7, 8)),
        (lambda t, x, w, b: t.nn.functional.conv1d(x, w, b, 1, "same", 2), (2, 3, 9)),
        (lambda t, x, w, b: t.nn.functional.conv3d(x, w, b, 1, 1), (1, 3, 4, 5, 3)),
    ]
    for fn, shape in cases:
        nd = len(shape) - 2
        w = randn(4, 3, *(3,) * nd, dtype=np.float64)
        check(fn, [randn(*shape, dtype=np.float64), w, randn(4, dtype=np.float64)], grad=grad)


def test_conv_edge_shapes():
    # empty batch, integer convolution (no gradients)
    check(
        lambda t, x, w, b: t.nn.functional.conv2d(x, w, b, padding=1),
        [randn(0, 3, 4, 4), randn(2, 3, 3, 3), randn(2)],
        jit=False,
    )
    check(
        lambda t, x, w: t.nn.functional.conv2d(x, w, stride=2),
        [np.arange(50).reshape(1, 2, 5, 5), np.arange(36).reshape(2, 2, 3, 3) - 10],
        grad=False,
        jit=False,
    )


def test_conv_in_sequential_and_state_dict_roundtrip():
    tm = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 2, 3, stride=2),
        torch.nn.ConvTranspose2d(2, 1, 2, stride=2),
    )
    pm = pnn.Sequential(
        pnn.Conv2d(1, 4, 3, padding=1),
        pnn.ReLU(),
        pnn.Conv2d(4, 2, 3, stride=2),
        pnn.ConvTranspose2d(2, 1, 2, stride=2),
    )
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    check_module(tm, pm, [randn(2, 1, 7, 7)], modes=EVAL, jit=False, dtypes=(np.float32,))


# -- initialisation and repr ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,kwargs",
    [
        ("Conv1d", (4, 4, 3), dict(padding=(1,))),
        ("Conv2d", (4, 8, 3), dict(padding="same", padding_mode="reflect")),
        ("Conv2d", (4, 8, (3, 5)), dict(stride=2, dilation=(1, 2), groups=2, bias=False)),
        ("Conv2d", (4, 4, 3), dict(padding="valid", padding_mode="circular")),
        ("Conv3d", (2, 4, 3), dict(padding=1, stride=(1, 2, 1))),
        ("ConvTranspose1d", (2, 4, 3), dict(output_padding=1, stride=2)),
        (
            "ConvTranspose2d",
            (4, 4, 3),
            dict(stride=2, output_padding=1, groups=2, bias=False, dilation=2),
        ),
        ("ConvTranspose3d", (2, 2, 2), dict(padding=1)),
    ],
)
def test_init_shapes_and_repr(name, args, kwargs):
    t = getattr(torch.nn, name)(*args, **kwargs)
    p = getattr(pnn, name)(*args, **kwargs)
    assert repr(p) == repr(t)
    assert [(n, tuple(v.shape)) for n, v in p.named_parameters()] == [
        (n, tuple(v.shape)) for n, v in t.named_parameters()
    ]
    for attr in ("kernel_size", "stride", "padding", "dilation", "output_padding", "groups"):
        assert getattr(p, attr) == getattr(t, attr), attr
    assert p._reversed_padding_repeated_twice == list(t._reversed_padding_repeated_twice)
    assert p.weight.dtype is ptjax.float32 and p.weight.requires_grad


def test_default_init_distribution():
    m = pnn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(w.mean()) < 0.05 * bound
    # transposed: fan_in is computed from weight dim 1 (out_channels / groups) as torch does
    mt, tt = pnn.ConvTranspose2d(8, 6, 3, groups=2), torch.nn.ConvTranspose2d(8, 6, 3, groups=2)
    bt = 1 / math.sqrt(3 * 9)
    assert np.abs(mt.bias.detach().numpy()).max() <= bt
    assert np.abs(tt.bias.detach().numpy()).max() <= bt
    d = pnn.Conv1d(2, 2, 3, dtype=ptjax.float64)
    assert d.weight.dtype is ptjax.float64 and d.bias.dtype is ptjax.float64
    ptjax.manual_seed(0)
    a = pnn.Conv2d(2, 2, 3).weight.detach().numpy()
    ptjax.manual_seed(0)
    assert np.array_equal(a, pnn.Conv2d(2, 2, 3).weight.detach().numpy())


# -- errors ---------------------------------------------------------------------------------------


def test_constructor_errors():
    for kwargs, msg in [
        (
            dict(stride=2, padding="same"),
            "padding='same' is not supported for strided convolutions",
        ),
        (dict(padding="foo"), "Invalid padding string 'foo', should be one of {'same', 'valid'}"),
        (dict(groups=0), "groups must be a positive integer"),
        (dict(padding_mode="foo"), "padding_mode must be one of"),
    ]:
        raises(ValueError, msg, pnn.Conv2d, 4, 4, 3, **kwargs)
        with pytest.raises(ValueError):
            torch.nn.Conv2d(4, 4, 3, **kwargs)
    raises(ValueError, "in_channels must be divisible by groups", pnn.Conv2d, 3, 4, 3, groups=2)
    raises(ValueError, "out_channels must be divisible by groups", pnn.Conv2d, 4, 3, 3, groups=2)
    raises(
        ValueError,
        'Only "zeros" padding mode is supported for ConvTranspose2d',
        pnn.ConvTranspose2d,
        4,
        4,
        3,
        padding_mode="reflect",
    )
    raises(NotImplementedError, "torch.nn.LazyConv2d", pnn.LazyConv2d, 4, 3)


def _z(*shape):
    return ptjax.zeros(*shape)


def _same_error(fn, *shapes, **kwargs):
    """ptjax raises torch's exception type and message for the same call."""
    with pytest.raises(Exception) as t_err:
        fn(torch, *[torch.zeros(*s) for s in shapes], **kwargs)
    raises(type(t_err.value), str(t_err.value), fn, ptjax, *[_z(*s) for s in shapes], **kwargs)


@pytest.mark.parametrize(
    "fn,shapes,kwargs",
    [
        (lambda t, x, w: t.nn.functional.conv2d(x, w), [(2, 3), (8, 3, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv1d(x, w), [(3,), (8, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv3d(x, w), [(3, 4, 4), (8, 3, 3, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv2d(x, w), [(1, 4, 5, 5), (8, 3, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv2d(x, w), [(4, 5, 5), (8, 3, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv2d(x, w, groups=3), [(1, 4, 5, 5), (8, 2, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv2d(x, w), [(1, 3, 5, 5), (0, 3, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv2d(x, w), [(1, 3, 2, 2), (8, 3, 3, 3)], {}),
        (
            lambda t, x, w: t.nn.functional.conv2d(x, w, dilation=2),
            [(1, 3, 4, 4), (8, 3, 3, 3)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv2d(x, w, stride=2, padding="same"),
            [(1, 3, 5, 5), (8, 3, 3, 3)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv2d(x, w, padding="foo"),
            [(1, 3, 5, 5), (8, 3, 3, 3)],
            {},
        ),
        (lambda t, x, w: t.nn.functional.conv2d(x, w, stride=0), [(1, 3, 5, 5), (8, 3, 3, 3)], {}),
        (
            lambda t, x, w: t.nn.functional.conv2d(x, w, padding=-1),
            [(1, 3, 5, 5), (8, 3, 3, 3)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv2d(x, w, dilation=0),
            [(1, 3, 5, 5), (8, 3, 3, 3)],
            {},
        ),
        (lambda t, x, w: t.nn.functional.conv2d(x, w, groups=0), [(1, 3, 5, 5), (8, 3, 3, 3)], {}),
        (
            lambda t, x, w: t.nn.functional.conv2d(x, w, stride=(1, 1, 1)),
            [(1, 3, 5, 5), (8, 3, 3, 3)],
            {},
        ),
        (
            lambda t, x, w, b: t.nn.functional.conv2d(x, w, b),
            [(1, 3, 5, 5), (8, 3, 3, 3), (7,)],
            {},
        ),
        (lambda t, x, w: t.nn.functional.conv_transpose2d(x, w), [(1, 4, 5, 5), (3, 8, 3, 3)], {}),
        (lambda t, x, w: t.nn.functional.conv_transpose2d(x, w), [(2, 3), (3, 8, 3, 3)], {}),
        (
            lambda t, x, w: t.nn.functional.conv_transpose2d(x, w, output_padding=1),
            [(1, 3, 5, 5), (3, 8, 3, 3)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv_transpose1d(x, w, output_padding=1),
            [(1, 3, 5), (3, 8, 3)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv_transpose3d(x, w, output_padding=1),
            [(1, 3, 3, 3, 3), (3, 8, 2, 2, 2)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv_transpose2d(x, w, padding=5),
            [(1, 3, 5, 5), (3, 8, 3, 3)],
            {},
        ),
        (
            lambda t, x, w, b: t.nn.functional.conv_transpose2d(x, w, b),
            [(1, 3, 5, 5), (3, 8, 3, 3), (7,)],
            {},
        ),
        (
            lambda t, x, w: t.nn.functional.conv_transpose2d(x, w, groups=3),
            [(1, 4, 5, 5), (4, 2, 3, 3)],
            {},
        ),
    ],
)
def test_functional_errors(fn, shapes, kwargs):
    _same_error(fn, *shapes, **kwargs)


def test_dtype_errors():
    for x, w, b in [
        ((1, 3, 5, 5), (8, 3, 3, 3), None),
    ]:
        with pytest.raises(RuntimeError) as e:
            torch.nn.functional.conv2d(torch.zeros(*x, dtype=torch.float64), torch.zeros(*w))
        raises(
            RuntimeError,
            str(e.value),
            PF.conv2d,
            ptjax.zeros(*x, dtype=ptjax.float64),
            ptjax.zeros(*w),
            b,
        )
    with pytest.raises(RuntimeError) as e:
        torch.nn.functional.conv2d(
            torch.zeros(1, 3, 5, 5), torch.zeros(8, 3, 3, 3), torch.zeros(8, dtype=torch.float64)
        )
    raises(
        RuntimeError,
        str(e.value),
        PF.conv2d,
        ptjax.zeros(1, 3, 5, 5),
        ptjax.zeros(8, 3, 3, 3),
        ptjax.zeros(8, dtype=ptjax.float64),
    )
    raises(
        RuntimeError,
        "Argument #4: Padding size should be less than the corresponding input dimension",
        pnn.Conv2d(4, 4, 3, padding_mode="reflect", padding=4),
        ptjax.zeros(1, 4, 3, 3),
    )


def test_float32_precision_setting_reaches_conv():
    # the precision is part of the op's static configuration: changing it must not break conv
    x, w = ptjax.tensor(randn(1, 2, 4, 4)), ptjax.tensor(randn(3, 2, 3, 3))
    before = PF.conv2d(x, w).numpy()
    ptjax.set_float32_matmul_precision("high")
    try:
        after = PF.conv2d(x, w).numpy()
    finally:
        ptjax.set_float32_matmul_precision("highest")
    # on CPU both run in full float32
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-5)


# -- training loop --------------------------------------------------------------------------------


def _cnn(lib):
    return lib.nn.Sequential(
        lib.nn.Conv2d(1, 4, 3, padding=1),
        lib.nn.ReLU(),
        lib.nn.MaxPool2d(2),
        lib.nn.Conv2d(4, 6, 3, padding="same", padding_mode="reflect"),
        lib.nn.ReLU(),
        lib.nn.AdaptiveAvgPool2d(2),
        lib.nn.Flatten(),
        lib.nn.Linear(24, 3),
    )


@pytest.mark.parametrize("compiled", [False, True])
def test_cnn_training_steps_match_torch(compiled):
    """A small CNN trained for 3 SGD steps: losses and final weights equal torch's, eagerly
    and as one compiled step (forward, backward and optimizer update in one jax.jit)."""
    tm, pm = _cnn(torch), _cnn(ptjax)
    pm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    popt = ptjax.optim.SGD(pm.parameters(), lr=0.1, momentum=0.9)
    tstep = training_step(tm, topt, torch.nn.CrossEntropyLoss())
    pstep = training_step(pm, popt, ptjax.nn.CrossEntropyLoss())
    if compiled:
        pstep = ptjax.compile(pstep)
    for _ in range(3):
        x, y = randn(4, 1, 6, 6), np.random.default_rng(1).integers(0, 3, 4)
        tl = tstep(torch.from_numpy(x), torch.from_numpy(y))
        pl = pstep(ptjax.tensor(x), ptjax.tensor(y))
        assert_close(pl, tl.detach())
    for (name, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
        assert_close(pp, tp.detach(), msg=name)


def test_top_level_forms():
    check(
        lambda t, x, w, wt: (
            t.conv1d(x, w, None, 1, 1),
            t.conv2d(x[..., None], w[..., None], padding="same"),
            t.conv3d(x[..., None, None], w[..., None, None]),
            t.conv_transpose1d(x, wt, None, 2),
            t.conv_transpose2d(x[..., None], wt[..., None], stride=2),
            t.conv_transpose3d(x[..., None, None], wt[..., None, None]),
        ),
        [
            randn(3, 6, dtype=np.float64),
            randn(2, 3, 3, dtype=np.float64),
            randn(3, 2, 2, dtype=np.float64),
        ],
        jit=False,
    )
