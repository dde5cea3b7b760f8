"""torch's learning-rate schedules as Optax schedules: functions of the update count.

``schedule(count)`` is the lr torch's scheduler gives at ``last_epoch == count``, i.e. for the
``count``-th optimizer step (0-based) when ``scheduler.step()`` follows each
``optimizer.step()``. Pass them as hyperparameters of the ``ptjax.optim.transforms``
transformations (``transforms.sgd(lr=step_lr(0.1, 30))``) or of any Optax optimizer. They
are jit-traceable closed forms computed in float64; torch's schedulers update the lr
recursively, so the two agree to float64 rounding.

:func:`reduce_lr_on_plateau` is an ``optax`` stateful schedule stepped by the ``value=`` extra
argument of ``update``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ptjax.optim.lr_scheduler import _one_cycle_phases

__all__ = [
    "lambda_lr",
    "multiplicative_lr",
    "step_lr",
    "multi_step_lr",
    "constant_lr",
    "linear_lr",
    "exponential_lr",
    "polynomial_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "cyclic_momentum",
    "one_cycle_lr",
    "one_cycle_momentum",
    "sequential_lr",
    "chained_lr",
    "reduce_lr_on_plateau",
]

_F64 = jnp.float64
Schedule = Callable[[jax.Array], jax.Array]


def _count(count):
    return jnp.asarray(count, _F64)


def lambda_lr(base_lr: float, lr_lambda: Callable) -> Schedule:
    """LambdaLR: ``base_lr * lr_lambda(count)`` (``lr_lambda`` must be jit-traceable)."""
    return lambda count: base_lr * lr_lambda(count)


def multiplicative_lr(base_lr: float, lr_lambda: Callable) -> Schedule:
    """MultiplicativeLR: ``base_lr * prod(lr_lambda(e) for e in 1..count)``."""

    def schedule(count):
        return jax.lax.fori_loop(
            1, jnp.asarray(count) + 1, lambda e, lr: lr * lr_lambda(e), jnp.asarray(base_lr, _F64)
        )

    return schedule


def step_lr(base_lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """StepLR: decay by ``gamma`` every ``step_size`` steps."""
    return lambda count: base_lr * gamma ** (jnp.asarray(count) // step_size).astype(_F64)


def multi_step_lr(base_lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """MultiStepLR: decay by ``gamma`` at each milestone (repeats compound)."""
    ms = jnp.asarray(sorted(milestones), jnp.int64)

    def schedule(count):
        n = jnp.searchsorted(ms, jnp.asarray(count), side="right")
        return base_lr * gamma ** n.astype(_F64)

    return schedule


def constant_lr(base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """ConstantLR: ``base_lr * factor`` before ``total_iters``, ``base_lr`` after."""
    return lambda count: (
        base_lr * (factor + (jnp.asarray(count) >= total_iters).astype(_F64) * (1 - factor))
    )


def linear_lr(
    base_lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Schedule:
    """LinearLR: the factor goes linearly from ``start_factor`` to ``end_factor``."""

    def schedule(count):
        done = jnp.minimum(_count(count), total_iters)
        return base_lr * (start_factor + (end_factor - start_factor) * done / total_iters)

    return schedule


def exponential_lr(base_lr: float, gamma: float) -> Schedule:
    """ExponentialLR: ``base_lr * gamma ** count``."""
    return lambda count: base_lr * gamma ** _count(count)


def polynomial_lr(base_lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """PolynomialLR: ``base_lr * (1 - min(count, total_iters) / total_iters) ** power``."""
    return lambda count: (
        base_lr * ((1.0 - jnp.minimum(_count(count), total_iters) / total_iters) ** power)
    )


def cosine_annealing_lr(base_lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """CosineAnnealingLR; past ``T_max`` the cosine continues, as in torch (Optax's
    ``cosine_decay_schedule`` stays at its minimum instead)."""
    return lambda count: (
        eta_min + (base_lr - eta_min) * (1 + jnp.cos(math.pi * _count(count) / T_max)) / 2
    )


def cosine_annealing_warm_restarts(
    base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> Schedule:
    """CosineAnnealingWarmRestarts: restart every ``T_i`` steps, ``T_i *= T_mult`` each time."""

    def schedule(count):
        def body(c):
            t_cur, t_i = c
            return t_cur - t_i, t_i * T_mult

        # integer cycle arithmetic, as the recursive torch scheduler (no log rounding)
        t_cur, t_i = jax.lax.while_loop(
            lambda c: c[0] >= c[1], body, (jnp.asarray(count, jnp.int64), jnp.int64(T_0))
        )
        return (
            eta_min
            + (base_lr - eta_min)
            * (1 + jnp.cos(math.pi * t_cur.astype(_F64) / t_i.astype(_F64)))
            / 2
        )

    return schedule


def _cyclic(low: float, high: float, options: dict, *, rising: bool) -> Schedule:
    """CyclicLR's triangle between ``low`` and ``high``; ``options`` holds the public function's
    arguments, of which the shape options are read by torch's names (``step_size_up``...)."""
    up = float(options["step_size_up"])
    down = float(options["step_size_down"]) if options["step_size_down"] is not None else up
    total = up + down
    ratio = up / total
    mode, gamma = options["mode"], options["gamma"]
    scale_fn, scale_mode = options["scale_fn"], options["scale_mode"]
    if scale_fn is None:
        if mode == "triangular":
            scale_fn, scale_mode = (lambda x: 1.0), "cycle"
        elif mode == "triangular2":
            scale_fn, scale_mode = (lambda x: 1 / (2.0 ** (x - 1))), "cycle"
        elif mode == "exp_range":
            scale_fn, scale_mode = (lambda x: gamma**x), "iterations"
        else:
            raise ValueError("mode is invalid and scale_fn is None")

    def schedule(count):
        c = _count(count)
        cycle = jnp.floor(1 + c / total)
        x = 1.0 + c / total - cycle
        factor = jnp.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        scale = scale_fn(cycle if scale_mode == "cycle" else c)
        height = (high - low) * factor
        return low + height * scale if rising else high - height * scale

    return schedule


def cyclic_lr(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable | None = None,
    scale_mode: str = "cycle",
) -> Schedule:
    """CyclicLR's learning rate."""
    return _cyclic(base_lr, max_lr, locals(), rising=True)


def cyclic_momentum(
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable | None = None,
    scale_mode: str = "cycle",
) -> Schedule:
    """CyclicLR's momentum (or beta1), cycling opposite to the lr."""
    return _cyclic(base_momentum, max_momentum, locals(), rising=False)


def _anneal(strategy: str):
    if strategy == "cos":
        return lambda start, end, pct: end + (start - end) / 2.0 * (jnp.cos(math.pi * pct) + 1)
    if strategy == "linear":
        return lambda start, end, pct: (end - start) * pct + start
    raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {strategy}")


def _phased(values: dict, total_steps, pct_start, anneal_strategy, three_phase, which) -> Schedule:
    phases = _one_cycle_phases(total_steps, pct_start, three_phase)
    anneal = _anneal(anneal_strategy)

    def schedule(count):
        c = _count(count)
        out = None
        start = 0.0
        # the first phase whose end is not passed (the last one catches everything after)
        for i in reversed(range(len(phases))):
            ph = phases[i]
            start = 0.0 if i == 0 else phases[i - 1]["end_step"]
            v = anneal(
                values[ph["start_" + which]],
                values[ph["end_" + which]],
                (c - start) / (ph["end_step"] - start),
            )
            out = v if out is None else jnp.where(c <= ph["end_step"], v, out)
        return out

    return schedule


def one_cycle_lr(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """OneCycleLR's learning rate (torch's step numbering: count 0 is ``max_lr / div_factor``).
    Optax's ``cosine_onecycle_schedule`` is one step off from this and cycles no momentum."""
    initial = max_lr / div_factor
    values = {"initial_lr": initial, "max_lr": max_lr, "min_lr": initial / final_div_factor}
    return _phased(values, total_steps, pct_start, anneal_strategy, three_phase, "lr")


def one_cycle_momentum(
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    three_phase: bool = False,
) -> Schedule:
    """OneCycleLR's momentum (or beta1): from ``max_momentum`` down and back up."""
    values = {"base_momentum": base_momentum, "max_momentum": max_momentum}
    return _phased(values, total_steps, pct_start, anneal_strategy, three_phase, "momentum")


def sequential_lr(schedules: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """SequentialLR: schedule ``i`` runs from milestone ``i - 1``, restarted at count 0."""
    if len(milestones) != len(schedules) - 1:
        raise ValueError(
            "Sequential Schedulers expects number of schedulers provided to be one more than the "
            f"number of milestone points, but got number of schedulers {len(schedules)} and the "
            f"number of milestones to be equal to {len(milestones)}"
        )
    return optax.join_schedules(list(schedules), list(milestones))


def chained_lr(base_lr: float, schedules: Sequence[Schedule]) -> Schedule:
    """ChainedScheduler: each schedule's factor ``s(count) / base_lr`` applies on top of the
    others (for schedules built from the same ``base_lr``)."""

    def schedule(count):
        lr = jnp.asarray(base_lr, _F64)
        for s in schedules:
            lr = lr * (s(count) / base_lr)
        return lr

    return schedule


class PlateauState(NamedTuple):
    """ReduceLROnPlateau's state: current lr, best metric, bad epochs and cooldown left."""

    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array


class reduce_lr_on_plateau:  # noqa: N801 - a schedule factory, named like the others
    """ReduceLROnPlateau as an Optax stateful schedule: ``transforms.sgd(lr=reduce_lr_on_plateau(
    0.1, patience=2))``; each ``update(..., value=metric)`` counts as one epoch (updates without
    ``value`` leave it unchanged). Same rules as torch's: ``threshold`` relative or absolute,
    ``cooldown`` epochs ignored after a reduction, no change smaller than ``eps``."""

    def __init__(
        self,
        lr: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps

    def init(self) -> PlateauState:
        worst = np.inf if self.mode == "min" else -np.inf
        return PlateauState(
            jnp.asarray(self.lr, _F64), jnp.asarray(worst, _F64), jnp.int64(0), jnp.int64(0)
        )

    def _is_better(self, a, best):
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def update(self, state: PlateauState, value=None, **extra_args) -> PlateauState:
        if value is None:
            return state
        current = jnp.asarray(value, _F64)
        better = self._is_better(current, state.best)
        best = jnp.where(better, current, state.best)
        bad = jnp.where(better, 0, state.num_bad_epochs + 1)
        in_cooldown = state.cooldown_counter > 0
        cooldown = jnp.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
        bad = jnp.where(in_cooldown, 0, bad)
        reduce = bad > self.patience
        new_lr = jnp.maximum(state.lr * self.factor, self.min_lr)
        lr = jnp.where(reduce & (state.lr - new_lr > self.eps), new_lr, state.lr)
        cooldown = jnp.where(reduce, self.cooldown, cooldown)
        bad = jnp.where(reduce, 0, bad)
        return PlateauState(lr, best, bad, cooldown)

    def __call__(self, state: PlateauState, **extra_args):
        return state.lr
