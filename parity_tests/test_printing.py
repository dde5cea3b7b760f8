"""repr/str of tensors must be exactly torch's: notation choice, precision, widths, wrapping,
summarization, suffixes (dtype, size, requires_grad, grad_fn) and print options."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ptjax


def _r(*shape, scale=1.0, dtype=np.float32):
    """Fixed random data: the same for the torch and the ptjax call of a case."""
    rng = np.random.default_rng(abs(hash(shape)) % 1000)
    return (rng.standard_normal(shape) * scale).astype(dtype)


CASES = {
    "0d_float": lambda t: t.tensor(1.5),
    "0d_int": lambda t: t.tensor(3),
    "0d_bool": lambda t: t.tensor(True),
    "0d_neg": lambda t: t.tensor(-0.25),
    "0d_big": lambda t: t.tensor(123456789.0),
    "0d_small": lambda t: t.tensor(1e-7),
    "0d_nan": lambda t: t.tensor(float("nan")),
    "0d_f64": lambda t: t.tensor(2.0, dtype=t.float64),
    "int_mode": lambda t: t.tensor([1.0, 2.0, -3.0]),
    "int_mode_big": lambda t: t.tensor([1.0, 1e5]),
    "fixed": lambda t: t.tensor([1.5, -2.25, 3.125]),
    "fixed_f32_rounding": lambda t: t.tensor([0.1, 0.2, 0.3]),
    "fixed_width": lambda t: t.tensor([1.5, -200.25, 3.0]),
    "sci_ratio": lambda t: t.tensor([1.0, 1e4]),
    "sci_small": lambda t: t.tensor([1e-5, 0.5]),
    "sci_big": lambda t: t.tensor([1e9, 2.5]),
    "sci_int_mode": lambda t: t.tensor([1.0, 1e9]),
    "zeros": lambda t: t.zeros(3),
    "zeros_2d": lambda t: t.zeros(2, 2),
    "neg_zero": lambda t: t.tensor([-0.0, 1.0]),
    "neg_zero_only": lambda t: t.tensor([-0.0, 0.0]),
    "nan_inf": lambda t: t.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "nan_inf_int_mode": lambda t: t.tensor([float("nan"), float("inf"), 2.0]),
    "only_nan": lambda t: t.tensor([float("nan"), float("nan")]),
    "int": lambda t: t.tensor([1, -20, 300]),
    "int_2d": lambda t: t.tensor([[1, 2], [30, -4]]),
    "int32": lambda t: t.tensor([1, 2], dtype=t.int32),
    "uint8": lambda t: t.tensor([1, 255], dtype=t.uint8),
    "int16": lambda t: t.tensor([7], dtype=t.int16),
    "bool": lambda t: t.tensor([True, False, True]),
    "bool_2d": lambda t: t.tensor([[True], [False]]),
    "f64": lambda t: t.tensor([1.5, 2.5], dtype=t.float64),
    "f64_int_mode": lambda t: t.tensor([1.0, 2.0], dtype=t.float64),
    "f16": lambda t: t.tensor([1.5, 2.1], dtype=t.float16),
    "bf16": lambda t: t.tensor([1.5, 2.1], dtype=t.bfloat16),
    "complex": lambda t: t.tensor([1 + 2j, -3.5 - 1j]),
    "complex_int_mode": lambda t: t.tensor([1 + 2j, 3 + 0j]),
    "complex128": lambda t: t.tensor([0.5 + 1e-5j], dtype=t.complex128),
    "complex_neg_zero": lambda t: t.tensor([complex(1.0, -0.0)]),
    "2d": lambda t: t.tensor(_r(3, 4)),
    "3d": lambda t: t.tensor(_r(2, 2, 3)),
    "4d": lambda t: t.tensor(_r(2, 1, 2, 2)),
    "wrap": lambda t: t.tensor(_r(30)),
    "wrap_2d": lambda t: t.tensor(_r(2, 20)),
    "wrap_int": lambda t: t.arange(100),
    "wrap_sci": lambda t: t.tensor(_r(20, scale=1e6)),
    "summarize_1d": lambda t: t.arange(2000.0),
    "summarize_int": lambda t: t.arange(1001),
    "summarize_2d": lambda t: t.tensor(_r(50, 40)),
    "summarize_3d": lambda t: t.ones(20, 10, 10),
    "summarize_col": lambda t: t.tensor(_r(1001, 1)),
    "summarize_row": lambda t: t.tensor(_r(1, 1001)),
    "summarize_small_dim": lambda t: t.arange(3000).reshape(1000, 3),
    "summarize_notation_from_edges": lambda t: t.cat(
        [t.ones(3), t.full((1000,), 1e-9), t.full((3,), 2.5)]
    ),
    "empty": lambda t: t.tensor([]),
    "empty_2d": lambda t: t.zeros(0, 3),
    "empty_int": lambda t: t.zeros(0, dtype=t.int64),
    "empty_f64": lambda t: t.zeros(2, 0, dtype=t.float64),
    "empty_bool": lambda t: t.zeros(0, dtype=t.bool),
    "requires_grad": lambda t: t.ones(2, requires_grad=True),
    "requires_grad_0d": lambda t: t.tensor(2.0, requires_grad=True),
    "grad_fn_add": lambda t: t.ones(2, requires_grad=True) + 1,
    "grad_fn_mul": lambda t: t.ones(2, requires_grad=True) * 2,
    "grad_fn_sum": lambda t: t.ones(2, requires_grad=True).sum(),
    "grad_fn_f64": lambda t: t.ones(2, dtype=t.float64, requires_grad=True).exp(),
    "grad_fn_view": lambda t: t.ones(2, 2, requires_grad=True).view(4),
    "grad_fn_copyslices": lambda t: _setitem(t),
    "grad_fn_wrap": lambda t: t.tensor(_r(12), requires_grad=True) * 3,
    "suffix_wrap": lambda t: t.tensor(_r(9, dtype=np.float64), requires_grad=True),
    "suffix_wrap_2d": lambda t: t.tensor(_r(2, 9, dtype=np.float64), requires_grad=True).exp(),
    "detached": lambda t: (t.ones(2, requires_grad=True) * 2).detach(),
}


def _setitem(t):
    y = t.ones(3, requires_grad=True) * 1
    y[0:2].mul_(2)
    return y


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches_torch(name):
    expected = repr(CASES[name](torch))
    actual = repr(CASES[name](ptjax))
    assert actual == expected, f"\nptjax: {actual}\ntorch: {expected}"
    assert str(CASES[name](ptjax)) == expected


def test_str_format_and_print(capsys):
    x = [1.5, 2.25]
    print(ptjax.tensor(x))
    out = capsys.readouterr().out
    print(torch.tensor(x))
    assert out == capsys.readouterr().out
    assert f"{ptjax.tensor(x)}" == f"{torch.tensor(x)}"


def test_default_dtype_suffixes():
    try:
        for lib in (torch, ptjax):
            lib.set_default_dtype(lib.float64)
        for name in ("fixed", "f64", "2d", "complex", "complex128", "empty", "empty_f64", "int"):
            assert repr(CASES[name](ptjax)) == repr(CASES[name](torch)), name
        assert repr(ptjax.ones(2, dtype=ptjax.float32)) == repr(torch.ones(2, dtype=torch.float32))
    finally:
        for lib in (torch, ptjax):
            lib.set_default_dtype(lib.float32)


OPTIONS = [
    {"precision": 2},
    {"precision": 8},
    {"precision": 0},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]

OPTION_CASES = [
    "fixed",
    "sci_ratio",
    "sci_big",
    "int_mode",
    "2d",
    "3d",
    "wrap",
    "wrap_int",
    "summarize_1d",
    "summarize_2d",
    "complex",
    "0d_float",
    "suffix_wrap",
]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_printoptions(opts):
    try:
        torch.set_printoptions(**opts)
        ptjax.set_printoptions(**opts)
        for name in OPTION_CASES:
            if opts.get("profile") == "full" and name.startswith("summarize"):
                continue  # prints thousands of lines
            expected = repr(CASES[name](torch))
            actual = repr(CASES[name](ptjax))
            assert actual == expected, f"{name}\nptjax: {actual}\ntorch: {expected}"
    finally:
        torch.set_printoptions(profile="default")
        ptjax.set_printoptions(profile="default")


def test_printoptions_context_and_get():
    from ptjax._tensor_str import get_printoptions, printoptions

    before = get_printoptions()
    with printoptions(precision=1):
        assert repr(ptjax.tensor([1.25])) == "tensor([1.2])"
    assert get_printoptions() == before == torch._tensor_str.get_printoptions()


def test_repr_inside_jit_does_not_fail():
    import jax

    seen = []

    def f(a):
        seen.append(repr(ptjax.Tensor._make(a)))
        return a

    jax.jit(f)(jax.numpy.ones(3))
    assert seen[0].startswith("tensor(<traced")
