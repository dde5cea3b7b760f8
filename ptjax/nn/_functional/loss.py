"""Loss functions of torch.nn.functional.

Each loss is one JAX implementation (elementwise loss and reduction together, so eagerly it is
one cached dispatch) with torch's formula, including torch's choices where the math leaves room:
BCE's logs clamped at -100, cross-entropy's weighted-mean denominator, label smoothing's
normalisation, CTC's gradient convention, clamp_min's gradient at the hinge (passes at 0).
Argument checks that need values (class indices in range, probabilities in [0, 1]) run eagerly
and are skipped inside ``jax.jit``, where values are unknown.
"""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops.pointwise import promote
from ptjax._tensor import Tensor, _type_title
from ptjax.amp.autocast_mode import BANNED, CPU, CUDA, FP32, autocast_op
from ptjax.nn._functional.distance import _pnorm, pairwise_distance

__all__ = [
    "l1_loss",
    "mse_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "ctc_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "multilabel_soft_margin_loss",
    "multilabel_margin_loss",
    "multi_margin_loss",
    "soft_margin_loss",
]

# -- reductions -----------------------------------------------------------------------------------


def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:
    """torch's mapping of the deprecated ``size_average``/``reduce`` pair to ``reduction``."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' "
            "instead.",
            stacklevel=3,
        )
    return ret


def _check_reduction(reduction: str) -> str:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    return _check_reduction(reduction)


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _weighted_reduce(loss, w, reduction: str):
    """``loss`` scaled by the (optional) elementwise weight ``w``, then reduced plainly."""
    return _reduce(loss if w is None else loss * w, reduction)


def _hinge(x):
    """``clamp_min(x, 0)`` with torch's gradient (1 where ``x >= 0``)."""
    return jnp.where(x >= 0, x, jnp.zeros_like(x))


def _abs(x):
    """``|x|`` whose gradient at 0 is 0, as torch's sign-based backward gives."""
    return x * jnp.sign(x)


def _concrete(t):
    if not isinstance(t, Tensor):
        return None
    v = t._value
    return None if isinstance(v, jax.core.Tracer) else np.asarray(v)


def _size_warning(input: Tensor, target: Tensor) -> None:
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _dtype_of(*xs) -> D.dtype:
    dt = promote(*[x for x in xs if x is not None])
    return dt if dt.kind >= 2 else D.get_default_dtype()


# -- regression losses ----------------------------------------------------------------------------


def _pointwise_loss(x, y, w, *, kind, reduction, param, dtype):
    x, y = jnp.broadcast_arrays(jnp.asarray(x, dtype), jnp.asarray(y, dtype))
    d = x - y
    if kind == "l1":
        loss = _abs(d)
    elif kind == "mse":
        loss = d * d
    elif kind == "smooth_l1":
        ad = _abs(d)
        loss = jnp.where(ad < param, 0.5 * d * d / param, ad - 0.5 * param)
    else:  # huber
        ad = _abs(d)
        loss = jnp.where(ad <= param, 0.5 * d * d, param * (ad - 0.5 * param))
    if w is None:
        return _reduce(loss, reduction)
    loss = loss * w
    if reduction == "mean" and kind != "huber":
        return jnp.sum(loss) / jnp.sum(w)  # torch's weighted mean for l1/mse
    return _reduce(loss, reduction)


def _weighted_reduction(reduction: str) -> str:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(
            f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'."
        )
    return reduction


def _regression(kind, input, target, weight, reduction, param=None):
    _size_warning(input, target)
    if weight is not None:
        if weight.size() != input.size():
            raise ValueError("Weights and input must have the same size.")
        _weighted_reduction(reduction)
    else:
        _check_reduction(reduction)
    dt = _dtype_of(input, target)
    return apply(
        _pointwise_loss,
        input,
        target,
        weight,
        kind=kind,
        reduction=reduction,
        param=param,
        dtype=dt.np,
    )


def _weighted_regression_loss(kind: str, doc: str):
    """l1_loss / mse_loss: torch's signature, with the legacy arguments and per-element weight."""

    def loss(
        input: Tensor,
        target: Tensor,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        weight: Tensor | None = None,
    ) -> Tensor:
        if size_average is not None or reduce is not None:
            reduction = legacy_get_string(size_average, reduce)
        return _regression(kind, input, target, weight, reduction)

    loss.__name__ = loss.__qualname__ = f"{kind}_loss"
    loss.__doc__ = doc
    return autocast_op(FP32)(loss)


l1_loss = _weighted_regression_loss(
    "l1", "Mean absolute error ``|input - target|`` (optionally weighted per element)."
)
mse_loss = _weighted_regression_loss(
    "mse", "Mean squared error ``(input - target)^2`` (optionally weighted per element)."
)


@autocast_op(FP32)
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return _regression("l1", input, target, None, reduction)
    return _regression("smooth_l1", input, target, None, reduction, float(beta))


@autocast_op(FP32)
def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _regression("huber", input, target, weight, reduction, float(delta))


def _kl_div(x, y, *, log_target, reduction, batch, dtype):
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    if log_target:
        loss = jnp.exp(y) * (y - x)
    else:
        loss = jax.scipy.special.xlogy(y, y) - y * x
    if reduction == "batchmean":
        out = jnp.sum(loss)
        return out / batch if batch else out
    return _reduce(loss, reduction)


_kl_div.backward_name = "KlDivBackward0"


@autocast_op(FP32)
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL divergence ``target * (log target - input)`` with ``input`` given as log-probabilities
    (``target`` too if ``log_target``); ``'batchmean'`` divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.",
                stacklevel=2,
            )
        if reduction not in ("none", "mean", "sum", "batchmean"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
    batch = input.shape[0] if input.dim() != 0 else 0
    return apply(
        _kl_div,
        input,
        target,
        log_target=log_target,
        reduction=reduction,
        batch=batch,
        dtype=_dtype_of(input, target).np,
    )


# -- binary classification ------------------------------------------------------------------------


@jax.custom_vjp
def _bce_elem(x, y):
    log_x = jnp.maximum(jnp.log(x), -100.0)
    log_1mx = jnp.maximum(jnp.log1p(-x), -100.0)
    return -(y * log_x + (1 - y) * log_1mx)


def _bce_fwd(x, y):
    return _bce_elem(x, y), (x, y)


def _bce_bwd(res, g):
    x, y = res
    # torch's binary_cross_entropy_backward: (x - y) / max(x (1 - x), 1e-12)
    gx = g * (x - y) / jnp.maximum((1 - x) * x, 1e-12)
    gy = g * (jnp.maximum(jnp.log1p(-x), -100.0) - jnp.maximum(jnp.log(x), -100.0))
    return gx, gy


_bce_elem.defvjp(_bce_fwd, _bce_bwd)


def _bce(x, y, w, *, reduction, dtype):
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    return _weighted_reduce(_bce_elem(x, y), w, reduction)


_bce.backward_name = "BinaryCrossEntropyBackward0"


@autocast_op(BANNED, CUDA)
@autocast_op(FP32, CPU)
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``-w (y log x + (1 - y) log(1 - x))`` for probabilities ``x``; logs clamped at -100."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size."
        )
    x = _concrete(input)
    if x is not None and x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None:
        weight = weight.expand(*np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
    return apply(_bce, input, target, weight, reduction=reduction, dtype=input.dtype.np)


def _bce_logits(x, y, w, pw, *, reduction, dtype):
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    log_sig = jax.nn.log_sigmoid(x)
    if pw is None:
        loss = (1 - y) * x - log_sig
    else:
        log_weight = (pw - 1) * y + 1
        loss = (1 - y) * x - log_weight * log_sig
    return _weighted_reduce(loss, w, reduction)


_bce_logits.backward_name = "BinaryCrossEntropyWithLogitsBackward0"


@autocast_op(FP32)
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + BCE in one stable formula; ``pos_weight`` (C,) weighs positive examples."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Target size ({target.size()}) must be the same as input size ({input.size()})"
        )
    return apply(
        _bce_logits,
        input,
        target,
        weight,
        pos_weight,
        reduction=reduction,
        dtype=input.dtype.np,
    )


# -- multi-class classification -------------------------------------------------------------------


def _class_axis(ndim: int) -> int:
    return 1 if ndim >= 2 else 0


def _nll_parts(logp, t, w, *, ignore_index, ca):
    """Per-element ``-w[t] logp[t]`` and ``w[t]`` (0 where ``t == ignore_index``)."""
    valid = t != ignore_index
    ts = jnp.where(valid, t, 0)
    picked = jnp.squeeze(jnp.take_along_axis(logp, jnp.expand_dims(ts, ca), axis=ca), ca)
    wt = (w[ts] if w is not None else jnp.ones_like(picked)) * valid.astype(logp.dtype)
    return -picked * wt, wt, valid


def _nll_reduce(loss, wt, reduction: str):
    """torch's NLL reduction: the mean divides by the total weight of the kept targets."""
    return jnp.sum(loss) / jnp.sum(wt) if reduction == "mean" else _reduce(loss, reduction)


def _nll(logp, t, w, *, ignore_index, reduction, ca):
    loss, wt, _ = _nll_parts(logp, t, w, ignore_index=ignore_index, ca=ca)
    return _nll_reduce(loss, wt, reduction)


_nll.backward_name = "NllLossBackward0"


def _broadcast_weight(w, ndim, ca):
    shape = [1] * ndim
    shape[ca] = w.shape[0]
    return w.reshape(shape)


def _ce_indices(x, t, w, *, ignore_index, reduction, ca, smoothing):
    logp = jax.nn.log_softmax(x, axis=ca)
    loss, wt, valid = _nll_parts(logp, t, w, ignore_index=ignore_index, ca=ca)
    nll = _nll_reduce(loss, wt, reduction)
    if smoothing == 0:
        return nll
    c = x.shape[ca]
    weighted = logp * _broadcast_weight(w, x.ndim, ca) if w is not None else logp
    smooth = jnp.where(valid, -jnp.sum(weighted, axis=ca), 0)
    if reduction == "mean":
        # torch normalises by the targets' total weight (or the count of kept targets)
        denom = jnp.sum(wt) if w is not None else jnp.sum(valid)
        smooth = jnp.sum(smooth) / denom
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - smoothing) * nll + smooth * (smoothing / c)


_ce_indices.backward_name = "NllLossBackward0"


def _ce_probs(x, p, w, *, reduction, ca, smoothing):
    logp = jax.nn.log_softmax(x, axis=ca)
    c = x.shape[ca]
    if smoothing > 0:
        p = p * (1 - smoothing) + smoothing / c
    prod = logp * p
    if w is not None:
        prod = prod * _broadcast_weight(w, x.ndim, ca)
    loss = -jnp.sum(prod, axis=ca)
    if reduction == "mean":
        return jnp.sum(loss) / (x.size // c if c else 0)
    return _reduce(loss, reduction)


_ce_probs.backward_name = "SumBackward1"


def _check_class_weight(weight, c: int) -> None:
    if weight is not None and weight.numel() != c:
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )


def _check_class_indices(input: Tensor, target: Tensor, weight, ignore_index: int) -> int:
    """torch's shape/dtype/range checks for class-index targets; returns the class axis."""
    nd = input.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    ca = _class_axis(nd)
    if nd == 1:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif nd == 2:
        if target.dim() != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.shape[0] != target.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0]})."
            )
    else:
        want = [input.shape[0], *input.shape[2:]]
        if input.shape[0] != (target.shape[0] if target.dim() else -1):
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0] if target.dim() else 0})."
            )
        if list(target.shape) != want:
            raise RuntimeError(f"Expected target size {want}, got {list(target.shape)}")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_type_title(target.dtype)}"
        )
    c = input.shape[ca]
    _check_class_weight(weight, c)
    t = _concrete(target)
    if t is not None and t.size:
        bad = t[(t != ignore_index) & ((t < 0) | (t >= c))]
        if bad.size:
            raise IndexError(f"Target {int(bad.flat[0])} is out of bounds.")
    return ca


@autocast_op(FP32)
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of log-probabilities ``input`` (N, C, d1, ...) or (C,) at class
    indices ``target`` (N, d1, ...) or (); ``weight`` (C,) weighs classes; the weighted mean
    divides by the total weight of the non-ignored targets."""
    reduction = _reduction(size_average, reduce, reduction)
    ca = _check_class_indices(input, target, weight, ignore_index)
    return apply(_nll, input, target, weight, ignore_index=ignore_index, reduction=reduction, ca=ca)


@autocast_op(FP32)
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of unnormalised logits ``input`` (N, C, d1, ...) or (C,) with class indices
    (N, d1, ...) or class probabilities (same shape as ``input``) as ``target``."""
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape:
        if not target.dtype.is_floating_point:
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, got "
                f"{_type_title(target.dtype)}"
            )
        ca = _class_axis(input.dim())
        _check_class_weight(weight, input.shape[ca] if input.dim() else 1)
        return apply(
            _ce_probs,
            input,
            target,
            weight,
            reduction=reduction,
            ca=ca,
            smoothing=float(label_smoothing),
        )
    ca = _check_class_indices(input, target, weight, ignore_index)
    return apply(
        _ce_indices,
        input,
        target,
        weight,
        ignore_index=ignore_index,
        reduction=reduction,
        ca=ca,
        smoothing=float(label_smoothing),
    )


def _multi_margin(x, t, w, *, p, margin, reduction):
    ca = x.ndim - 1
    c = x.shape[ca]
    xt = jnp.take_along_axis(x, jnp.expand_dims(t, ca), axis=ca)
    z = margin - xt + x
    h = jnp.where(z > 0, z if p == 1 else z * z, jnp.zeros_like(z))
    h = jnp.where(jnp.arange(c) == jnp.expand_dims(t, ca), 0, h)
    if w is not None:
        h = h * jnp.expand_dims(w[t], ca)
    return _reduce(jnp.sum(h, axis=ca) / c, reduction)


_multi_margin.backward_name = "MultiMarginLossBackward0"


@autocast_op(FP32)
def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per sample;
    input (N, C) or (C,), target (N,) or ()."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    c = input.shape[-1] if input.dim() else 1
    t = _concrete(target)
    if t is not None and t.size and ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    return apply(
        _multi_margin, input, target, weight, p=p, margin=float(margin), reduction=reduction
    )


def _multilabel_margin(x, t, *, reduction):
    c = x.shape[-1]
    # targets are the entries before the first -1
    stop = jnp.cumsum(t < 0, axis=-1) > 0
    slot_ok = ~stop
    ts = jnp.where(slot_ok, t, 0)
    is_target = jnp.any(
        (ts[..., :, None] == jnp.arange(c)) & slot_ok[..., :, None], axis=-2
    )  # (..., C)
    xt = jnp.take_along_axis(x, ts, axis=-1)  # (..., slots)
    z = 1 - xt[..., :, None] + x[..., None, :]  # (..., slots, C)
    keep = slot_ok[..., :, None] & ~is_target[..., None, :]
    h = jnp.where(keep & (z > 0), z, jnp.zeros_like(z))
    return _reduce(jnp.sum(h, axis=(-2, -1)) / c, reduction)


_multilabel_margin.backward_name = "MultilabelMarginLossBackward0"


@autocast_op(FP32)
def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Multi-label hinge: target (N, C) or (C,) lists class indices, ended by -1."""
    reduction = _reduction(size_average, reduce, reduction)
    c = input.shape[-1] if input.dim() else 1
    t = _concrete(target)
    if t is not None and t.size and ((t < -1) | (t >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    return apply(_multilabel_margin, input, target, reduction=reduction)


def _multilabel_soft_margin(x, y, w, *, reduction):
    loss = -(y * jax.nn.log_sigmoid(x) + (1 - y) * jax.nn.log_sigmoid(-x))
    if w is not None:
        loss = loss * w
    ca = x.ndim - 1
    loss = jnp.sum(loss, axis=ca) / x.shape[ca]
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss averaged over classes: input and target (N, C)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return apply(_multilabel_soft_margin, input, target, weight, reduction=reduction)


def _soft_margin(x, y, *, reduction):
    return _reduce(jnp.log1p(jnp.exp(-x * y)), reduction)


@autocast_op(FP32)
def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))``, y in {1, -1}."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(_soft_margin, input, target, reduction=reduction)


# -- probabilistic regression ---------------------------------------------------------------------


def _poisson_nll(x, y, *, log_input, full, eps, reduction):
    if log_input:
        loss = jnp.exp(x) - y * x
    else:
        loss = x - y * jnp.log(x + eps)
    if full:
        # computed on every target and masked after, as torch does (so the target's gradient
        # is NaN where it is 0, exactly as in torch)
        stirling = y * jnp.log(y) - y + 0.5 * jnp.log(2 * math.pi * y)
        loss = loss + jnp.where(y > 1, stirling, jnp.zeros_like(stirling))
    return _reduce(loss, reduction)


@autocast_op(FP32)
def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log likelihood; ``input`` is the log-rate if ``log_input``."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(
        _poisson_nll,
        input,
        target,
        log_input=log_input,
        full=full,
        eps=eps,
        reduction=reduction,
    )


def _gaussian_nll(x, y, var, *, full, eps, reduction):
    # torch clamps var in place under no_grad: the value is clamped, the gradient passes as is
    var = var + jax.lax.stop_gradient(jnp.maximum(var, eps) - var)
    loss = 0.5 * (jnp.log(var) + (x - y) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log likelihood with predicted variance ``var`` (same shape as input,
    one dimension of size 1, input's shape minus the last dimension, or a number)."""
    if isinstance(var, int | float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(jnp.full(tuple(input.shape), float(var), input._value.dtype))
    else:
        v = _concrete(var)
        if v is not None and (v < 0).any():
            raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and (
            sum(b for a, b in zip(input.size(), var.size()) if a != b) == 1
        ):
            pass  # heteroscedastic: one dimension of var has size 1
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return apply(_gaussian_nll, input, target, var, full=full, eps=eps, reduction=reduction)


# -- embedding and ranking losses -----------------------------------------------------------------


def _cosine_embedding(x1, x2, y, *, margin, reduction, dim):
    eps = 1e-12
    prod = jnp.sum(x1 * x2, axis=dim)
    m1 = jnp.sum(x1 * x1, axis=dim) + eps
    m2 = jnp.sum(x2 * x2, axis=dim) + eps
    cos = prod / jnp.sqrt(m1 * m2)
    zeros = jnp.zeros_like(cos)
    out = jnp.where(y == 1, 1 - cos, zeros) + jnp.where(y == -1, _hinge(cos - margin), zeros)
    return _reduce(out, reduction)


@autocast_op(FP32)
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` for y = 1, ``max(0, cos(x1, x2) - margin)`` for y = -1."""
    reduction = _reduction(size_average, reduce, reduction)
    td = target.dim()
    s1, s2 = list(input1.shape), list(input2.shape)
    if td == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(
                f"1D target tensor expects 2D input tensors, but found inputs with sizes {s1} "
                f"and {s2}."
            )
    elif td == 0:
        if input1.dim() != 1 or input2.dim() != 1:
            raise RuntimeError(
                f"0D target tensor expects 1D input tensors, but found inputs with sizes {s1} "
                f"and {s2}."
            )
    else:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    return apply(
        _cosine_embedding,
        input1,
        input2,
        target,
        margin=float(margin),
        reduction=reduction,
        dim=input1.dim() - 1,
    )


def _margin_ranking(x1, x2, y, *, margin, reduction):
    return _reduce(_hinge(-y * (x1 - x2) + margin), reduction)


@autocast_op(FP32)
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return apply(_margin_ranking, input1, input2, target, margin=float(margin), reduction=reduction)


def _hinge_embedding(x, y, *, margin, reduction):
    zeros = jnp.zeros_like(x)
    out = jnp.where(y != 1, _hinge(margin - x), zeros) + jnp.where(y != -1, x, zeros)
    return _reduce(out, reduction)


@autocast_op(FP32)
def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` for y = 1 and ``max(0, margin - x)`` for y = -1."""
    reduction = _reduction(size_average, reduce, reduction)
    return apply(_hinge_embedding, input, target, margin=float(margin), reduction=reduction)


def _triplet_tail(dp, dn, ds, *, margin, reduction):
    if ds is not None:
        dn = jnp.minimum(dn, ds)
    return _reduce(_hinge(margin + dp - dn), reduction)


def _triplet(a, p, n, *, margin, norm, eps, swap, reduction):
    dist = lambda u, v: _pnorm(u - v + eps, norm, -1)  # noqa: E731  (pairwise_distance)
    ds = dist(p, n) if swap else None
    return _triplet_tail(dist(a, p), dist(a, n), ds, margin=margin, reduction=reduction)


def _check_triplet_args(anchor, positive, negative, margin: float) -> None:
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == p == n):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )


@autocast_op(FP32)
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with the ``p``-norm pairwise distance;
    ``swap`` uses ``min(d(a, n), d(p, n))``. Inputs (N, D) or (D,)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_triplet_args(anchor, positive, negative, margin)
    return apply(
        _triplet,
        anchor,
        positive,
        negative,
        margin=float(margin),
        norm=float(p),
        eps=eps,
        swap=swap,
        reduction=reduction,
    )


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss with any ``distance_function(x1, x2)`` (default: pairwise_distance)."""
    _check_reduction(reduction)
    _check_triplet_args(anchor, positive, negative, margin)
    dist = distance_function if distance_function is not None else pairwise_distance
    dp = dist(anchor, positive)
    dn = dist(anchor, negative)
    ds = dist(positive, negative) if swap else None
    return apply(_triplet_tail, dp, dn, ds, margin=float(margin), reduction=reduction)


# -- CTC ------------------------------------------------------------------------------------------


def _lse3(a, b, c):
    """log(e^a + e^b + e^c) with zero (not NaN) gradients where all three are -inf."""
    m = jnp.maximum(jnp.maximum(a, b), c)
    m = jnp.where(jnp.isfinite(m), m, 0)
    s = jnp.exp(a - m) + jnp.exp(b - m) + jnp.exp(c - m)
    empty = s == 0
    return jnp.where(empty, -jnp.inf, m + jnp.log(jnp.where(empty, 1, s)))


def _ctc_nll_core(lp, targets, in_len, tgt_len, blank):
    """Per-sample -log p(target | input) by the CTC forward recursion: lp (T, N, C)."""
    t_max, n, _ = lp.shape
    s_max = targets.shape[1]
    length = 2 * s_max + 1
    s = jnp.arange(length)
    label = targets[:, jnp.clip((s - 1) // 2, 0, max(s_max - 1, 0))] if s_max else 0
    ext = jnp.where(s % 2 == 0, blank, label) * jnp.ones((n, 1), targets.dtype)
    ext_m2 = jnp.pad(ext, ((0, 0), (2, 0)), constant_values=blank)[:, :length]
    can_skip = (s % 2 == 1) & (ext != ext_m2) & (s >= 2)
    lp_ext = jnp.take_along_axis(lp, jnp.broadcast_to(ext[None], (t_max, n, length)), axis=2)
    neg = jnp.asarray(-jnp.inf, lp.dtype)
    alpha0 = jnp.where(s < 2, lp_ext[0], neg)

    def step(alpha, inp):
        t, lpt = inp
        a1 = jnp.pad(alpha, ((0, 0), (1, 0)), constant_values=neg)[:, :length]
        a2 = jnp.pad(alpha, ((0, 0), (2, 0)), constant_values=neg)[:, :length]
        new = _lse3(alpha, a1, jnp.where(can_skip, a2, neg)) + lpt
        return jnp.where((t < in_len)[:, None], new, alpha), None

    alpha, _ = jax.lax.scan(step, alpha0, (jnp.arange(1, t_max), lp_ext[1:]))
    end = 2 * tgt_len + 1
    last = jnp.take_along_axis(alpha, (end - 1)[:, None], axis=1)[:, 0]
    prev = jnp.take_along_axis(alpha, jnp.maximum(end - 2, 0)[:, None], axis=1)[:, 0]
    prev = jnp.where(end >= 2, prev, neg)
    return -_lse3(last, prev, jnp.full_like(last, neg))


@functools.partial(jax.custom_vjp, nondiff_argnums=(4, 5))
def _ctc_nll(lp, targets, in_len, tgt_len, blank, zero_inf):
    nll = _ctc_nll_core(lp, targets, in_len, tgt_len, blank)
    return jnp.where(zero_inf & jnp.isinf(nll), 0, nll)


def _ctc_fwd(lp, targets, in_len, tgt_len, blank, zero_inf):
    nll, vjp = jax.vjp(lambda x: _ctc_nll_core(x, targets, in_len, tgt_len, blank), lp)
    out = jnp.where(zero_inf & jnp.isinf(nll), 0, nll)
    return out, (vjp, lp, in_len, nll)


def _ctc_bwd(blank, zero_inf, res, g):
    vjp, lp, in_len, nll = res
    g = jnp.where(jnp.isinf(nll) & zero_inf, 0, g)
    (grad,) = vjp(g)
    # torch returns exp(lp) - occupancy rather than -occupancy: the two differ by a term that
    # log_softmax's backward removes, and parity tests compare the raw gradient
    active = (jnp.arange(lp.shape[0])[:, None] < in_len[None, :])[..., None]
    grad = grad + jnp.where(active, jnp.exp(lp) * g[None, :, None], 0)
    return grad, None, None, None


_ctc_nll.defvjp(_ctc_fwd, _ctc_bwd)


def _ctc(lp, targets, in_len, tgt_len, *, blank, reduction, zero_infinity, s_max, batched):
    if not batched:
        lp, targets = lp[:, None], targets[None]
        in_len, tgt_len = in_len.reshape(1), tgt_len.reshape(1)
    in_len, tgt_len = in_len.astype(jnp.int64), tgt_len.astype(jnp.int64)
    if targets.ndim == 1:  # concatenated targets: pad them to (N, s_max)
        starts = jnp.cumsum(tgt_len) - tgt_len
        idx = jnp.clip(starts[:, None] + jnp.arange(s_max)[None], 0, max(targets.shape[0] - 1, 0))
        targets = targets[idx] if targets.shape[0] else jnp.zeros((len(tgt_len), s_max), int)
    nll = _ctc_nll(lp, targets.astype(jnp.int64), in_len, tgt_len, blank, zero_infinity)
    if reduction == "mean":
        return jnp.mean(nll / jnp.maximum(tgt_len, 1).astype(nll.dtype))
    if reduction == "sum":
        return jnp.sum(nll)
    return nll if batched else nll[0]


_ctc.backward_name = "CtcLossBackward0"


def _lengths(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._make(jnp.asarray(np.asarray(x, dtype=np.int64)))


@autocast_op(FP32)
def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist Temporal Classification loss.

    log_probs (T, N, C) or (T, C) (log_softmax outputs); targets (N, S) padded, or the
    concatenation of all targets (sum(target_lengths),); input_lengths and target_lengths (N,).
    ``'mean'`` divides each sample's loss by its target length, then averages.
    """
    _check_reduction(reduction)
    batched = log_probs.dim() == 3
    in_len, tgt_len = _lengths(input_lengths), _lengths(target_lengths)
    t_max = log_probs.shape[0]
    il = _concrete(in_len)
    if il is not None and il.size and il.max() > t_max:
        raise RuntimeError(
            f"Expected input_lengths to have value at most {t_max}, but got value "
            f"{int(il.max())} (while checking arguments for ctc_loss_allocate_outputs)"
        )
    tl = _concrete(tgt_len)
    if targets.dim() == (2 if batched else 1) and batched and tl is not None and tl.size:
        if tl.max() > targets.shape[1]:
            raise RuntimeError(
                f"Expected tensor to have size at least {int(tl.max())} at dimension 1, but got "
                f"size {targets.shape[1]} for argument #2 'targets' (while checking arguments "
                "for ctc_loss_allocate_outputs)"
            )
    s_max = 0
    if batched and targets.dim() == 1:
        s_max = int(tl.max()) if tl is not None and tl.size else targets.shape[0]
    return apply(
        _ctc,
        log_probs,
        targets,
        in_len,
        tgt_len,
        blank=blank,
        reduction=reduction,
        zero_infinity=zero_infinity,
        s_max=s_max,
        batched=batched,
    )
