"""The five ways to run one training step, behind one interface.

``make_cell(backend, model, size, batch, device, state, dropout)`` returns a ``Cell`` with
``step()`` (one full training step, returning the loss handle without waiting for it),
``sync(loss)`` (block until the device has finished) and ``value(loss)`` (the loss as a float).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ptjax.bench import models

BACKENDS = ("torch", "torch_compile", "ptjax", "ptjax_compile", "jax")


class Skip(Exception):
    """A backend that cannot run here (not installed, no device...)."""


@dataclass
class Cell:
    step: Callable[[], Any]
    sync: Callable[[Any], None]
    value: Callable[[Any], float]


def available(backend: str) -> str | None:
    """None when ``backend`` can run, else the reason it cannot."""
    if backend in ("torch", "torch_compile") and importlib.util.find_spec("torch") is None:
        return "torch is not installed"
    if backend == "jax" and importlib.util.find_spec("optax") is None:
        return "optax is not installed"
    return None


def training_step(model, optimizer, criterion):
    """The PyTorch training step every backend times (and the parity tests run):
    ``zero_grad``, loss, ``backward``, ``step``; works with torch's and ptjax's objects."""

    def step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def _lib_step(lib, name, size, batch, device, state, dropout, compiled, no_device):
    """torch and ptjax run the same source: the model, its batch and one step with ``lib``.

    Returns ``(model, run, dev)`` where ``run()`` performs one training step.
    """
    dev = "cuda" if device == "gpu" else "cpu"
    if dev == "cuda" and not lib.cuda.is_available():
        raise Skip(no_device)
    lib.manual_seed(0)
    model = models.build(name, lib, size, dropout)
    if state is not None:
        model.load_state_dict({k: lib.from_numpy(np.array(v)) for k, v in state.items()})
    model.to(dev).train()
    xn, yn = models.make_batch(name, batch, size)
    x, y = lib.from_numpy(xn).to(dev), lib.from_numpy(yn).to(dev)
    step = training_step(
        model, lib.optim.Adam(model.parameters(), lr=1e-3), lib.nn.CrossEntropyLoss()
    )
    if compiled:
        step = lib.compile(step)
    return model, (lambda: step(x, y)), dev


def _torch_cell(name, size, batch, device, state, dropout, compiled):
    import torch

    args = (name, size, batch, device, state, dropout, compiled, "torch has no CUDA device")
    _, run, dev = _lib_step(torch, *args)

    def sync(loss):
        if dev == "cuda":
            torch.cuda.synchronize()

    return Cell(run, sync, lambda loss: float(loss.item()))


def _ptjax_cell(name, size, batch, device, state, dropout, compiled):
    import ptjax

    args = (name, size, batch, device, state, dropout, compiled, "JAX has no GPU device")
    model, run, _ = _lib_step(ptjax, *args)
    params = list(model.parameters())

    def sync(loss):
        import jax

        # the step's last writes are the parameters: wait for them as well as the loss
        jax.block_until_ready([loss._value] + [p._value for p in params])

    return Cell(run, sync, lambda loss: float(loss.item()))


def _jax_cell(name, size, batch, device, state, dropout, compiled):
    import jax

    from ptjax.bench import jax_models

    if device == "gpu":
        try:
            dev = jax.devices("gpu")[0]
        except RuntimeError as e:
            raise Skip("JAX has no GPU device") from e
    else:
        dev = jax.devices("cpu")[0]
    if state is None:
        import ptjax

        ptjax.manual_seed(0)
        m = models.build(name, ptjax, size, dropout)
        state = jax_models.to_numpy_state(m.state_dict())
        pnames = {k for k, _ in m.named_parameters()}
    else:
        pnames = set(state["__params__"])
    state = {k: v for k, v in state.items() if k != "__params__"}
    sz = dict(size or {})
    if name == "cnn" and not dropout:
        sz["p_drop"] = 0.0
    with jax.default_device(dev):
        params, bufs = jax_models.split_state(state, pnames)
        step_fn, opt = jax_models.make_step(name, sz)
        opt_state = opt.init(params)
        key = jax.random.key(0)
        xn, yn = models.make_batch(name, batch, size)
    # committed to the device, as the step's outputs are: otherwise step 2 compiles again
    box = jax.device_put([params, bufs, opt_state, key], dev)
    x, y = jax.device_put(xn, dev), jax.device_put(yn, dev)

    def step():
        loss, box[0], box[1], box[2], box[3] = step_fn(*box, x, y)
        return loss

    def sync(loss):
        jax.block_until_ready((loss, box[0]))

    return Cell(step, sync, lambda loss: float(loss))


def make_cell(backend, name, size=None, batch=64, device="cpu", state=None, dropout=True) -> Cell:
    """Build the model, data and compiled/eager step for one (backend, model) cell."""
    reason = available(backend)
    if reason:
        raise Skip(reason)
    if backend in ("torch", "torch_compile"):
        st = None if state is None else {k: v for k, v in state.items() if k != "__params__"}
        return _torch_cell(name, size, batch, device, st, dropout, backend == "torch_compile")
    if backend in ("ptjax", "ptjax_compile"):
        st = None if state is None else {k: v for k, v in state.items() if k != "__params__"}
        return _ptjax_cell(name, size, batch, device, st, dropout, backend == "ptjax_compile")
    if backend == "jax":
        return _jax_cell(name, size, batch, device, state, dropout, True)
    raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


def reference_state(name: str, size: dict | None = None) -> dict:
    """Initial weights for the loss-agreement check: torch's init (ptjax's if torch is absent),
    as numpy arrays, plus ``__params__`` naming which entries are parameters."""
    try:
        import torch as lib
    except ImportError:  # pragma: no cover
        import ptjax as lib
    lib.manual_seed(0)
    m = models.build(name, lib, size, dropout=False)
    state = {k: v.detach().cpu().numpy().copy() for k, v in m.state_dict().items()}
    state["__params__"] = [k for k, _ in m.named_parameters()]
    return state
