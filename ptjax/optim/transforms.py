"""torch.optim's update rules as pure JAX functions and as Optax ``GradientTransformation`` s.

Each optimizer is one *rule*: ``update(p, g, state, hyper, **flags) -> (p, state)`` for a single
parameter array, written in torch's exact formula order (its single-tensor CPU implementation),
so float32 trajectories match PyTorch to rounding:

- ``state`` is a dict keyed by torch's state names (``step``, ``exp_avg``, ``momentum_buffer``...);
- ``hyper`` holds the group's numeric hyperparameters (``lr``, ``beta1``, ``weight_decay``...) as
  float64 scalars. They are traced, so changing them never recompiles. Scalar arithmetic
  on them happens in float64, as torch does it in Python floats, and the result is cast to the
  parameter's dtype where it meets a tensor, as torch casts a Python scalar;
- ``flags`` are the options torch branches on in Python (``amsgrad``, ``nesterov``,
  ``maximize``, whether ``weight_decay``/``momentum`` is non-zero): static, part of the
  compiled program.

``ptjax.optim.Optimizer`` runs one jitted :func:`group_step` per param group; JAX users get the
same math as Optax transformations (``adam(lr=1e-3)``, ``sgd(lr=0.1, momentum=0.9)``...), built
with ``optax.inject_hyperparams`` so ``state.hyperparams['lr']`` can be edited or scheduled.

Differences from Optax's own optimizers that these rules exist to fix: RMSprop (torch's
``alpha=0.99``, eps outside the sqrt, lr applied after the momentum trace), SGD ``dampening``
and its first-step momentum buffer, AMSGrad on the raw second moment, NAdam's ``mu_product``
formulation, Adagrad's zero initial accumulator and ``eps=1e-10``, AdamW's default weight decay
of 1e-2, RAdam's rectification threshold of 5.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

__all__ = [
    "Rule",
    "group_step",
    "trace_count",
    "sgd",
    "adam",
    "adamw",
    "rmsprop",
    "adagrad",
    "adadelta",
    "adamax",
    "nadam",
    "radam",
    "lbfgs",
    "LBFGSState",
]

_F64 = jnp.float64


class Rule(NamedTuple):
    """One torch optimizer's math.

    ``init(p, scalar_dtype, **flags)`` is torch's lazy state initialisation for parameter ``p``;
    ``update(p, g, state, hyper, **flags)`` one step. ``lazy`` marks rules whose state only
    appears at the first update (SGD's momentum buffer is a copy of the first gradient).
    """

    name: str
    init: Callable
    update: Callable
    hyper: tuple
    lazy: bool = False


# -- scalar helpers: torch's Python-float arithmetic meeting tensors ------------------------------


def _c(x, like):
    """A float64 hyperparameter expression as torch passes it to a tensor op: cast to the dtype."""
    return jnp.asarray(x, _F64).astype(like.dtype)


def _lerp(a, b, w):
    """``a.lerp_(b, w)`` with a scalar weight, using torch's two-sided formula for precision."""
    w = _c(w, a)
    diff = b - a
    return jnp.where(jnp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))


def _ema_sq(v, g, beta):
    """``v.mul_(beta).addcmul_(g, g, value=1 - beta)``."""
    return v * _c(beta, v) + _c(1 - beta, v) * g * g


def _prepare(p, g, h, *, maximize: bool, use_wd: bool, decoupled: bool = False):
    """The gradient every rule starts from: negated to maximize, then L2 (``grad += wd * p``) or
    decoupled (``p *= 1 - lr * wd``) weight decay, as torch orders it. Returns ``(p, g)``."""
    if maximize:
        g = -g
    if use_wd:
        if decoupled:
            p = p * _c(1 - h["lr"] * h["weight_decay"], p)
        else:
            g = g + _c(h["weight_decay"], p) * p
    return p, g


def _next_step(s):
    step = s["step"] + 1
    return step, step.astype(_F64)


def _buffers(p, *names):
    """A zero buffer like ``p`` for each state name."""
    return {name: jnp.zeros_like(p) for name in names}


def _fresh_state(p, scalar_dtype, *names):
    """torch's state before the first step: ``step`` at 0, then a zero buffer per name."""
    return {"step": jnp.zeros((), scalar_dtype), **_buffers(p, *names)}


def _moments(s, g, h):
    """Adam's running averages of the gradient and its square (also NAdam's and RAdam's)."""
    return _lerp(s["exp_avg"], g, 1 - h["beta1"]), _ema_sq(s["exp_avg_sq"], g, h["beta2"])


# -- the rules -----------------------------------------------------------------------------------


def _sgd_init(p, scalar_dtype, **flags):
    return {}


def _sgd_update(p, g, s, h, *, maximize, use_wd, use_momentum, nesterov):
    _, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd)
    out = {}
    if use_momentum:
        m = _c(h["momentum"], p)
        buf = s.get("momentum_buffer")
        buf = g if buf is None else buf * m + _c(1 - h["dampening"], p) * g
        out["momentum_buffer"] = buf
        g = g + m * buf if nesterov else buf
    return p + _c(-h["lr"], p) * g, out


SGD = Rule(
    "SGD", _sgd_init, _sgd_update, ("lr", "momentum", "dampening", "weight_decay"), lazy=True
)


def _adam_init(p, scalar_dtype, *, amsgrad=False, **flags):
    # also RAdam's (which has no amsgrad)
    return _fresh_state(
        p, scalar_dtype, "exp_avg", "exp_avg_sq", *(["max_exp_avg_sq"] if amsgrad else [])
    )


def _adam_update(p, g, s, h, *, maximize, use_wd, decoupled, amsgrad):
    step, t = _next_step(s)
    p, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd, decoupled=decoupled)
    exp_avg, exp_avg_sq = _moments(s, g, h)
    step_size = h["lr"] / (1 - h["beta1"] ** t)
    bc2_sqrt = jnp.sqrt(1 - h["beta2"] ** t)
    out = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    second = exp_avg_sq
    if amsgrad:
        second = out["max_exp_avg_sq"] = jnp.maximum(s["max_exp_avg_sq"], exp_avg_sq)
    denom = jnp.sqrt(second) / _c(bc2_sqrt, p) + _c(h["eps"], p)
    return p + _c(-step_size, p) * (exp_avg / denom), out


ADAM = Rule("Adam", _adam_init, _adam_update, ("lr", "beta1", "beta2", "eps", "weight_decay"))


def _rmsprop_init(p, scalar_dtype, *, use_momentum, centered, **flags):
    optional = (["momentum_buffer"] if use_momentum else []) + (["grad_avg"] if centered else [])
    return _fresh_state(p, scalar_dtype, "square_avg", *optional)


def _rmsprop_update(p, g, s, h, *, maximize, use_wd, use_momentum, centered):
    step, _ = _next_step(s)
    _, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd)
    alpha = h["alpha"]
    square_avg = _ema_sq(s["square_avg"], g, alpha)
    out = {"step": step, "square_avg": square_avg}
    if centered:
        grad_avg = out["grad_avg"] = _lerp(s["grad_avg"], g, 1 - alpha)
        avg = jnp.sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = jnp.sqrt(square_avg)
    avg = avg + _c(h["eps"], p)
    lr = _c(-h["lr"], p)
    if use_momentum:
        buf = out["momentum_buffer"] = s["momentum_buffer"] * _c(h["momentum"], p) + g / avg
        return p + lr * buf, out
    return p + lr * (g / avg), out


RMSPROP = Rule(
    "RMSprop", _rmsprop_init, _rmsprop_update, ("lr", "alpha", "eps", "weight_decay", "momentum")
)


def _adagrad_init(p, scalar_dtype, *, initial_accumulator_value=0.0, **flags):
    fill = initial_accumulator_value
    if jnp.iscomplexobj(p):
        fill = complex(fill, fill)
    return {"step": jnp.zeros((), scalar_dtype), "sum": jnp.full_like(p, fill)}


def _adagrad_update(p, g, s, h, *, maximize, use_wd, initial_accumulator_value=None):
    # initial_accumulator_value only shapes the initial state (see _adagrad_init)
    step, t = _next_step(s)
    _, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd)
    clr = h["lr"] / (1 + (t - 1) * h["lr_decay"])
    total = s["sum"] + g * g
    std = jnp.sqrt(total) + _c(h["eps"], p)
    return p + _c(-clr, p) * (g / std), {"step": step, "sum": total}


ADAGRAD = Rule("Adagrad", _adagrad_init, _adagrad_update, ("lr", "lr_decay", "eps", "weight_decay"))


def _adadelta_init(p, scalar_dtype, **flags):
    return _fresh_state(p, scalar_dtype, "square_avg", "acc_delta")


def _adadelta_update(p, g, s, h, *, maximize, use_wd):
    step, _ = _next_step(s)
    _, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd)
    rho, eps = h["rho"], _c(h["eps"], p)
    square_avg = _ema_sq(s["square_avg"], g, rho)
    std = jnp.sqrt(square_avg + eps)
    delta = jnp.sqrt(s["acc_delta"] + eps) / std * g
    acc_delta = _ema_sq(s["acc_delta"], delta, rho)
    out = {"step": step, "square_avg": square_avg, "acc_delta": acc_delta}
    return p + _c(-h["lr"], p) * delta, out


ADADELTA = Rule("Adadelta", _adadelta_init, _adadelta_update, ("lr", "rho", "eps", "weight_decay"))


def _adamax_init(p, scalar_dtype, **flags):
    return _fresh_state(p, scalar_dtype, "exp_avg", "exp_inf")


def _adamax_update(p, g, s, h, *, maximize, use_wd):
    step, t = _next_step(s)
    _, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd)
    exp_avg = _lerp(s["exp_avg"], g, 1 - h["beta1"])
    exp_inf = jnp.maximum(s["exp_inf"] * _c(h["beta2"], p), jnp.abs(g) + _c(h["eps"], p))
    clr = h["lr"] / (1 - h["beta1"] ** t)
    out = {"step": step, "exp_avg": exp_avg, "exp_inf": exp_inf}
    return p + _c(-clr, p) * (exp_avg / exp_inf), out


ADAMAX = Rule(
    "Adamax", _adamax_init, _adamax_update, ("lr", "beta1", "beta2", "eps", "weight_decay")
)


def _nadam_init(p, scalar_dtype, **flags):
    return {
        "step": jnp.zeros((), scalar_dtype),
        "mu_product": jnp.ones((), scalar_dtype),
        **_buffers(p, "exp_avg", "exp_avg_sq"),
    }


def _nadam_update(p, g, s, h, *, maximize, use_wd, decoupled):
    step, t = _next_step(s)
    b1, b2, lr = h["beta1"], h["beta2"], h["lr"]
    bias_correction2 = 1 - b2**t
    p, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd, decoupled=decoupled)
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * h["momentum_decay"]))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * h["momentum_decay"]))
    # torch keeps mu_product as a scalar tensor (float32 by default): the product rounds there
    mu_product = s["mu_product"] * _c(mu, s["mu_product"])
    exp_avg, exp_avg_sq = _moments(s, g, h)
    denom = jnp.sqrt(exp_avg_sq / _c(bias_correction2, p)) + _c(h["eps"], p)
    mp = mu_product.astype(_F64)
    p = p + _c(-lr * (1.0 - mu) / (1.0 - mp), p) * (g / denom)
    p = p + _c((-lr * mu_next) / (1.0 - mp * mu_next), p) * (exp_avg / denom)
    out = {"step": step, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    return p, out


NADAM = Rule(
    "NAdam",
    _nadam_init,
    _nadam_update,
    ("lr", "beta1", "beta2", "eps", "weight_decay", "momentum_decay"),
)


def _radam_update(p, g, s, h, *, maximize, use_wd, decoupled):
    step, t = _next_step(s)
    b1, b2 = h["beta1"], h["beta2"]
    p, g = _prepare(p, g, h, maximize=maximize, use_wd=use_wd, decoupled=decoupled)
    exp_avg, exp_avg_sq = _moments(s, g, h)
    bias_correction2 = 1 - b2**t
    corrected = exp_avg / _c(1 - b1**t, p)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * (b2**t) / bias_correction2
    rect = jnp.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    # torch evaluates `float / tensor` as tensor.reciprocal() * float
    adaptive = (1 / (jnp.sqrt(exp_avg_sq) + _c(h["eps"], p))) * _c(jnp.sqrt(bias_correction2), p)
    lr = _c(h["lr"], p)
    # torch branches on rho_t in Python; both sides are computed and one is selected
    update = jnp.where(rho_t > 5.0, corrected * lr * adaptive * _c(rect, p), corrected * lr)
    return p - update, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


RADAM = Rule("RAdam", _adam_init, _radam_update, ("lr", "beta1", "beta2", "eps", "weight_decay"))


# -- complex parameters: torch runs the math on view_as_real -------------------------------------


def _as_real(x):
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


def _as_complex(x):
    return jax.lax.complex(x[..., 0], x[..., 1])


def _apply_rule(rule: Rule, p, g, s, h, flags: dict):
    if not jnp.iscomplexobj(p):
        return rule.update(p, g, s, h, **flags)
    s = {k: _as_real(v) if jnp.iscomplexobj(v) else v for k, v in s.items()}
    new_p, new_s = rule.update(_as_real(p), _as_real(g), s, h, **flags)
    new_s = {k: _as_complex(v) if v.shape == new_p.shape else v for k, v in new_s.items()}
    return _as_complex(new_p), new_s


# -- one compiled update per param group ---------------------------------------------------------

_traces = [0]


def trace_count() -> int:
    """How many times an optimizer update has been traced (compiled) in this process."""
    return _traces[0]


@functools.cache
def group_step(rule: Rule, flags: tuple) -> Callable:
    """The jitted update of a whole param group: ``(params, grads, states, hyper) -> (params,
    states)`` over lists of arrays, a list of state dicts and a dict of float64 scalars.

    ``flags`` (static, a tuple of items) select the program; hyperparameter values do not.
    """
    kw = dict(flags)

    def step(params, grads, states, hyper):
        _traces[0] += 1
        out = [_apply_rule(rule, p, g, s, hyper, kw) for p, g, s in zip(params, grads, states)]
        return [o[0] for o in out], [o[1] for o in out]

    return jax.jit(step)


# -- Optax ---------------------------------------------------------------------------------------


class TorchState(NamedTuple):
    """Inner state of a torch-rule transformation: the update count and, for each parameter leaf,
    a dict of torch-named state arrays."""

    count: jax.Array
    per_param: Any


def _scalar_dtype():
    from ptjax import _dtype

    return (
        _dtype.get_default_dtype().np
        if _dtype.get_default_dtype().name == "float64"
        else np.float32
    )


def _rule_transform(rule: Rule, hyper: dict, flags: dict) -> optax.GradientTransformation:
    def init_fn(params):
        sd = _scalar_dtype()
        leaves, treedef = jax.tree.flatten(params)
        if rule.lazy:
            # the state's full structure is known only after one update: trace one to get it
            per = []
            for p in leaves:
                shape = jax.eval_shape(lambda p: _apply_rule(rule, p, p, {}, hyper, flags)[1], p)
                per.append(jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), shape))
        else:
            per = [rule.init(p, sd, **flags) for p in leaves]
        return TorchState(jnp.zeros((), jnp.int32), treedef.unflatten(per))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(
                f"torch {rule.name} needs the parameters: call update(grads, state, params)"
            )
        leaves, treedef = jax.tree.flatten(params)
        grads = treedef.flatten_up_to(updates)
        states = treedef.flatten_up_to(state.per_param)
        new_u, new_s = [], []
        for p, g, s in zip(leaves, grads, states):
            if rule.lazy:
                new_p, s2 = jax.lax.cond(
                    state.count == 0,
                    lambda p, g, s: _apply_rule(rule, p, g, {}, hyper, flags),
                    lambda p, g, s: _apply_rule(rule, p, g, s, hyper, flags),
                    p,
                    g,
                    s,
                )
            else:
                new_p, s2 = _apply_rule(rule, p, g, s, hyper, flags)
            # Optax adds updates to params; the class path writes new_p itself, exactly
            new_u.append(new_p - p)
            new_s.append(s2)
        count = optax.safe_increment(state.count)
        return treedef.unflatten(new_u), TorchState(count, treedef.unflatten(new_s))

    return optax.GradientTransformation(init_fn, update_fn)


def _torch_transform(rule: Rule, args: dict, **flags) -> optax.GradientTransformationExtraArgs:
    """``rule`` as an Optax transformation whose hyperparameters (``rule.hyper``, taken from
    ``args``) live in an ``optax.inject_hyperparams`` state, in float64 like torch's Python
    floats; ``flags`` are static. Weight decay stays in the program (with 0 it adds exactly 0)."""
    hyper = {k: args[k] for k in rule.hyper}
    flags.setdefault("use_wd", True)

    def factory(**kw):
        h = {k: kw[k] for k in hyper}
        return _rule_transform(rule, h, {k: kw[k] for k in flags})

    # inject_hyperparams binds arguments by signature: name every one
    kind = inspect.Parameter.KEYWORD_ONLY
    factory.__signature__ = inspect.Signature(
        [inspect.Parameter(k, kind) for k in (*hyper, *flags)]
    )
    static = tuple(k for k, v in flags.items() if not isinstance(v, bool))
    return optax.inject_hyperparams(factory, static_args=static, hyperparam_dtype=_F64)(
        **hyper, **flags
    )


def _nonzero(x) -> bool:
    # a scheduled momentum may become non-zero: keep the buffer in the program
    return not isinstance(x, int | float) or x != 0


def sgd(
    lr=1e-3,
    momentum=0.0,
    dampening=0.0,
    weight_decay=0.0,
    nesterov: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.SGD as an Optax transformation (hyperparameters may be schedules).

    A momentum buffer exists when ``momentum`` is not the number 0, as in torch.
    """
    return _torch_transform(
        SGD, locals(), nesterov=nesterov, maximize=maximize, use_momentum=_nonzero(momentum)
    )


def adam(
    lr=1e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=0.0,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.Adam as an Optax transformation (``betas`` split into ``beta1``/``beta2``)."""
    return _torch_transform(
        ADAM, locals(), amsgrad=amsgrad, maximize=maximize, decoupled=decoupled_weight_decay
    )


def adamw(
    lr=1e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.AdamW (decoupled weight decay, default 1e-2) as an Optax transformation."""
    return _torch_transform(ADAM, locals(), amsgrad=amsgrad, maximize=maximize, decoupled=True)


def rmsprop(
    lr=1e-2,
    alpha=0.99,
    eps=1e-8,
    weight_decay=0.0,
    momentum=0.0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.RMSprop as an Optax transformation."""
    return _torch_transform(
        RMSPROP, locals(), centered=centered, maximize=maximize, use_momentum=_nonzero(momentum)
    )


def adagrad(
    lr=1e-2,
    lr_decay=0.0,
    weight_decay=0.0,
    initial_accumulator_value: float = 0.0,
    eps=1e-10,
    *,
    maximize: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.Adagrad as an Optax transformation."""
    return _torch_transform(
        ADAGRAD,
        locals(),
        maximize=maximize,
        initial_accumulator_value=float(initial_accumulator_value),
    )


def adadelta(
    lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, maximize: bool = False
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.Adadelta as an Optax transformation."""
    return _torch_transform(ADADELTA, locals(), maximize=maximize)


def adamax(
    lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, *, maximize: bool = False
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.Adamax as an Optax transformation."""
    return _torch_transform(ADAMAX, locals(), maximize=maximize)


def nadam(
    lr=2e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.NAdam as an Optax transformation."""
    return _torch_transform(NADAM, locals(), maximize=maximize, decoupled=decoupled_weight_decay)


def radam(
    lr=1e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """torch.optim.RAdam as an Optax transformation."""
    return _torch_transform(RADAM, locals(), maximize=maximize, decoupled=decoupled_weight_decay)


from ptjax.optim._lbfgs_transform import LBFGSState, lbfgs  # noqa: E402
