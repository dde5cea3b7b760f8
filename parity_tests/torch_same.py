"""``same(fn)``: run ``fn(torch)`` and ``fn(ptjax)`` and compare everything they return
(tensors exactly or with torch's tolerances, dtypes, devices, sizes, nested containers,
numbers) or that both raise the same exception type."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ptjax

__all__ = ["same"]


def same(fn, *, exact: bool = True, values: bool = True, message: bool = False):
    """Run ``fn(torch)`` and ``fn(ptjax)``; compare results (or raised exceptions) recursively.

    ``message`` also requires an exception's message to equal torch's.
    """
    try:
        expected = fn(torch)
    except Exception as e:  # noqa: BLE001 - the torch error is what ptjax must reproduce
        with pytest.raises(type(e)) as info:
            fn(ptjax)
        if message:
            assert str(info.value) == str(e), f"ptjax: {info.value}\ntorch: {e}"
        return e, info.value
    actual = fn(ptjax)
    _compare(actual, expected, exact=exact, values=values, where="result")
    return expected, actual


def _compare(a, e, *, exact, values, where):
    if isinstance(e, torch.Tensor):
        assert isinstance(a, ptjax.Tensor), f"{where}: {type(a)} is not a Tensor"
        assert repr(a.dtype) == repr(e.dtype), f"{where}: dtype {a.dtype} vs {e.dtype}"
        assert tuple(a.shape) == tuple(e.shape), f"{where}: shape {a.shape} vs {e.shape}"
        assert a.requires_grad == e.requires_grad, f"{where}: requires_grad"
        if not values:
            return
        ev = e.detach()
        if ev.dtype == torch.bfloat16:
            ev = ev.float()
            av = np.asarray(a._value).astype(np.float32)
        else:
            av = np.asarray(a._value)
        if exact:
            np.testing.assert_array_equal(av, ev.numpy(), err_msg=where, strict=True)
        else:
            torch.testing.assert_close(torch.from_numpy(np.array(av)), ev, equal_nan=True)
    elif isinstance(e, torch.dtype):
        assert repr(a) == repr(e), f"{where}: {a!r} vs {e!r}"
    elif isinstance(e, torch.device):
        assert isinstance(a, ptjax.device), f"{where}: {type(a)}"
        assert (repr(a), str(a)) == (repr(e), str(e)), f"{where}: {a!r} vs {e!r}"
    elif isinstance(e, torch.Size):
        assert isinstance(a, ptjax.Size) and repr(a) == repr(e), f"{where}: {a!r} vs {e!r}"
    elif isinstance(e, list | tuple):
        assert type(a) is type(e) and len(a) == len(e), f"{where}: {a!r} vs {e!r}"
        for k, (x, y) in enumerate(zip(a, e)):
            _compare(x, y, exact=exact, values=values, where=f"{where}[{k}]")
    elif isinstance(e, np.ndarray):
        assert isinstance(a, np.ndarray), f"{where}: {type(a)}"
        np.testing.assert_array_equal(a, e, strict=True)
    elif isinstance(e, float) and math.isnan(e):
        assert isinstance(a, float) and math.isnan(a), f"{where}: {a!r} vs nan"
    else:
        assert type(a) is type(e) and a == e, f"{where}: {a!r} vs {e!r}"
