"""GradScaler: dynamic loss scaling for float16 training, eager and compiled.

The scale and growth tracker are tensors and every decision (skip the step on inf/nan, grow,
back off) is made with array ops, so a step under ``ptjax.compile`` needs no host sync: a
skipped step is a step whose results are discarded with ``where``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ptjax._tensor import Tensor
from ptjax.autograd.grad_mode import no_grad

__all__ = ["GradScaler"]

_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _is_traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


class GradScaler:
    """Scale the loss, unscale gradients before the step, skip steps with inf/nan gradients,
    and adapt the scale (torch.amp.GradScaler's API)."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device = device
        self._enabled = enabled
        self._init_scale = init_scale
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._scale = Tensor._make(jnp.asarray(init_scale, jnp.float32))
        self._growth_tracker = Tensor._make(jnp.asarray(0, jnp.int32))
        self._per_optimizer = {}

    def _compile_state(self) -> list:
        """Tensors a compiled step reads and writes (see ptjax._compile)."""
        return [self._scale, self._growth_tracker]

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """Multiply a tensor (or an iterable of tensors) by the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale.to(outputs.dtype)
        scaled = [self.scale(o) for o in outputs]
        return type(outputs)(scaled) if isinstance(outputs, tuple | list) else scaled

    def _state_for(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale (in place) and record inf/nan."""
        if not self._enabled:
            return
        st = self._state_for(optimizer)
        if st["stage"] == _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if st["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = 1.0 / self._scale._value.astype(jnp.float64)
        found = jnp.zeros((), jnp.bool_)
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    v = g._value
                    found = found | ~jnp.all(jnp.isfinite(v))
                    g._val = (v * inv.astype(v.dtype)).astype(v.dtype)
                    g._ver += 1
        st["found_inf"] = found
        st["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``unscale_`` if needed, then ``optimizer.step()`` unless a gradient was inf/nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        st = self._state_for(optimizer)
        if st["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] == _READY:
            self.unscale_(optimizer)
        found = st["found_inf"]
        st["stage"] = _STEPPED
        if not _is_traced(found):
            if bool(found):
                return None
            return optimizer.step(*args, **kwargs)
        # compiled: run the step and keep its results only where no inf/nan was found
        before = _snapshot(optimizer)
        ret = optimizer.step(*args, **kwargs)
        for t, old in before:
            t._val = jnp.where(found, old, t._value)
        return ret

    def update(self, new_scale=None) -> None:
        """Back off the scale after a skipped step; grow it after ``growth_interval`` good ones."""
        if not self._enabled:
            return
        if new_scale is not None:
            v = new_scale._value if isinstance(new_scale, Tensor) else new_scale
            self._scale._val = jnp.asarray(v, jnp.float32)
        else:
            founds = [
                s["found_inf"] for s in self._per_optimizer.values() if s["found_inf"] is not None
            ]
            if not founds:
                raise AssertionError("No inf checks were recorded prior to update.")
            found = founds[0]
            for f in founds[1:]:
                found = found | f
            scale, tracker = self._scale._value, self._growth_tracker._value
            grown = tracker + 1
            grow_now = grown >= self._growth_interval
            new_scale_v = jnp.where(
                found,
                scale * self._backoff_factor,
                jnp.where(grow_now, scale * self._growth_factor, scale),
            ).astype(jnp.float32)
            new_tracker = jnp.where(found | grow_now, 0, grown).astype(jnp.int32)
            self._scale._val, self._growth_tracker._val = new_scale_v, new_tracker
        self._scale._ver += 1
        self._per_optimizer = {}

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        return float(self._scale._value) if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        return int(self._growth_tracker._value) if self._enabled else 0

    def state_dict(self) -> dict:
        """torch's layout: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        self._scale._val = jnp.asarray(state_dict["scale"], jnp.float32)
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker._val = jnp.asarray(state_dict["_growth_tracker"], jnp.int32)


def _snapshot(optimizer) -> list:
    """(tensor, value) for every parameter and optimizer-state tensor the step may change."""
    out = []
    for group in optimizer.param_groups:
        for p in group["params"]:
            out.append((p, p._value))
            for v in optimizer.state.get(p, {}).values():
                if isinstance(v, Tensor):
                    out.append((v, v._value))
    return out
