"""Reductions, scans and softmax with torch's signatures, dtypes, NaN rules and gradients.

Where JAX's derivative differs from torch's (ties of a full ``max()``, ``std``/``var`` at
``correction >= N``, ``logsumexp`` at infinities), the impl carries a
``jax.custom_jvp`` whose tangent is torch's backward formula, so ``jax.vjp`` (and ``jax.jvp``)
give torch's numbers. Value-selecting reductions (``max(dim)``, ``cummax``) compute integer
indices and gather the values with them, so the gradient flows to the returned index as in torch.
"""

from __future__ import annotations

import builtins
import functools
import math

import jax
import jax.numpy as jnp
from jax import lax

from ptjax import _dtype as D
from ptjax import return_types as R
from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._tensor import Tensor, _type_title, _wrap_dim
from ptjax.amp.autocast_mode import CUDA, FP32, autocast_op

__all__ = [
    "sum",
    "nansum",
    "mean",
    "nanmean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "aminmax",
    "argmax",
    "argmin",
    "std",
    "var",
    "std_mean",
    "var_mean",
    "norm",
    "logsumexp",
    "all",
    "any",
    "count_nonzero",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "softmax",
    "log_softmax",
]


# -- argument handling ------------------------------------------------------------------------------


def reduce_dims(dim, ndim: int):
    """Normalise torch's ``dim`` (None, int, or sequence) to a sorted tuple, or None for all.

    An empty sequence means all dimensions, as in torch. A 0-dim tensor accepts dim 0 / -1 and
    its reduction is the whole (single-element) tensor, so None is returned for it.
    """
    if dim is None:
        return None
    if isinstance(dim, int):
        d = _wrap_dim(dim, ndim)
        return (d,) if ndim else None
    dims = tuple(_wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims and ndim else None


def one_dim(dim: int, ndim: int) -> int:
    """Wrap a single ``dim`` argument (0-dim tensors accept 0 and -1)."""
    if not isinstance(dim, int):
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    return _wrap_dim(dim, ndim)


def _reduced_size(shape: tuple, axis) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axis)


def _out_shape(shape: tuple, axis, keepdim: bool) -> tuple:
    if axis is None:
        return (1,) * len(shape) if keepdim else ()
    if keepdim:
        return tuple(1 if i in axis else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axis)


def _check_nonempty(name: str, input: Tensor, axis, dim, *, wrapped: bool = True, sep="()"):
    """torch's errors for reducing an empty tensor with an op that has no identity."""
    shape = tuple(input.shape)
    if axis is None:
        if input.numel() == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return
    for a in axis:
        if shape[a] == 0:
            shown = a if wrapped or isinstance(dim, tuple | list) else dim
            raise IndexError(f"{name}{sep}: Expected reduction dim {shown} to have non-zero size.")


def _finish(result, out):
    """Write ``result`` into ``out=`` when one was given (torch's out-variant)."""
    if out is None:
        return result
    if isinstance(result, tuple):
        for o, r in zip(out, result):
            o._assign(r)
        return out
    return out._assign(result)


def _float_of(d: D.dtype) -> D.dtype:
    return d if d.kind >= 2 else D._default[0]


def _sum_dtype(input: Tensor, dtype) -> D.dtype:
    """sum/prod/cumsum's result dtype: bool and integer inputs accumulate in int64."""
    if dtype is not None:
        return D.to_dtype(dtype)
    d = input.dtype
    return D.int64 if d.kind <= 1 else d


def _is_float(x) -> bool:
    return jnp.issubdtype(x.dtype, jnp.inexact)


def _acc(x):
    """Half-precision inputs compute in float32, as torch's CPU kernels accumulate; cast the
    result back with ``.astype(x.dtype)``."""
    if x.dtype == jnp.float16 or x.dtype == jnp.bfloat16:
        return x.astype(jnp.float32)
    return x


def _on_1d(impl):
    """Run a single-``axis`` impl on a 0-dim input as a 1-element vector, as torch does."""

    @functools.wraps(impl)
    def run(x, *args, **kw):
        if jnp.ndim(x) == 0:
            out = impl(jnp.reshape(x, (1,)), *args, **kw)
            if isinstance(out, tuple):
                return tuple(jnp.reshape(o, ()) if jnp.ndim(o) == 1 else o for o in out)
            return jnp.reshape(out, ())
        return impl(x, *args, **kw)

    return run


def gather_along(x, idx, axis: int, keepdims: bool):
    """``x`` at integer positions ``idx`` (kept-dim shape) along ``axis``; its gradient is a
    scatter to those positions."""
    out = jnp.take_along_axis(x, idx, axis=axis)
    return out if keepdims else jnp.squeeze(out, axis)


# -- sum, mean, prod --------------------------------------------------------------------------------


def _sum(x, *, axis, keepdims, dtype):
    return jnp.sum(x.astype(dtype), axis=axis, keepdims=keepdims)


def _nansum_value(x, axis, keepdims):
    return jnp.sum(jnp.where(jnp.isnan(x), jnp.zeros((), x.dtype), x), axis=axis, keepdims=keepdims)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _nansum_core(x, axis, keepdims):
    return _nansum_value(x, axis, keepdims)


@_nansum_core.defjvp
def _nansum_core_jvp(axis, keepdims, primals, tangents):
    # torch multiplies the gradient by (x == x), so an infinite gradient (nanmean of an all-NaN
    # slice) becomes NaN; a select would turn it into 0
    (x,), (t,) = primals, tangents
    keep = jnp.where(jnp.isnan(x), jnp.zeros((), x.dtype), jnp.ones((), x.dtype))
    return _nansum_value(x, axis, keepdims), jnp.sum(t * keep, axis=axis, keepdims=keepdims)


def _nansum(x, *, axis, keepdims, dtype):
    x = x.astype(dtype)
    if _is_float(x):
        return _nansum_core(x, axis, keepdims)
    return jnp.sum(x, axis=axis, keepdims=keepdims)


def _mean(x, *, axis, keepdims, dtype):
    return jnp.mean(x.astype(dtype), axis=axis, keepdims=keepdims)


def _nanmean(x, *, axis, keepdims, dtype):
    x = x.astype(dtype)
    count = jnp.sum(~jnp.isnan(x), axis=axis, keepdims=keepdims).astype(dtype)
    return _nansum_core(x, axis, keepdims) / count


def _float_result(name: str, input: Tensor, dtype) -> D.dtype:
    which = "Optional" if dtype is not None else "Input"
    d = D.to_dtype(dtype) if dtype is not None else input.dtype
    if d.kind < 2:
        raise RuntimeError(
            f"{name}(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {_type_title(d)}"
        )
    return d


def _mean_dtype(input: Tensor, dtype) -> D.dtype:
    return _float_result("mean", input, dtype)


def _nanmean_dtype(input: Tensor, dtype) -> D.dtype:
    if input.dtype.kind < 2:
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_type_title(input.dtype)}"
        )
    return _float_result("nanmean", input, dtype)


def _dim_reduction(name: str, impl, result_dtype, doc: str, fp32_autocast: tuple[str, ...] = ()):
    """A reduction over ``dim`` (None, int or tuple) whose result dtype is
    ``result_dtype(input, dtype)``; ``fp32_autocast``: the autocast device types whose policy
    computes it in float32."""

    def op(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
        d = result_dtype(input, dtype)
        axis = reduce_dims(dim, input.dim())
        return _finish(apply(impl, input, axis=axis, keepdims=keepdim, dtype=d.np), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return tensor_op(autocast_op(FP32, fp32_autocast)(op) if fp32_autocast else op)


sum = _dim_reduction(  # noqa: A001
    "sum",
    _sum,
    _sum_dtype,
    "Sum over ``dim`` (all dimensions if None); bool and int inputs sum as int64.",
    CUDA,
)
nansum = _dim_reduction(
    "nansum", _nansum, _sum_dtype, "Sum over ``dim`` treating NaN as zero (whose gradient is zero)."
)
mean = _dim_reduction(
    "mean",
    _mean,
    _mean_dtype,
    "Mean over ``dim`` (all dimensions if None); needs a floating point or complex input.",
)
nanmean = _dim_reduction(
    "nanmean",
    _nanmean,
    _nanmean_dtype,
    "Mean of the non-NaN elements over ``dim`` (NaN where all are NaN).",
)


def _prod(x, *, axis, keepdims, dtype):
    # JAX differentiates reduce_prod with products of the other elements, which is exact with
    # zeros in the input, as torch's prod_backward is
    return jnp.prod(x.astype(dtype), axis=axis, keepdims=keepdims)


@tensor_op
@autocast_op(FP32)
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Product over one ``dim`` (all elements if None); bool and int inputs give int64."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(
            f"prod() received an invalid combination of arguments - got ({type(dim).__name__}), "
            "but expected one of: (Tensor input, *, torch.dtype dtype = None) or "
            "(Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None)"
        )
    d = _sum_dtype(input, dtype)
    axis = reduce_dims(dim, input.dim())
    return _finish(apply(_prod, input, axis=axis, keepdims=keepdim, dtype=d.np), out)


# -- max / min family -------------------------------------------------------------------------------


def _evenly_read(fn):
    """A full reduction ``fn(x)`` that returns one of x's values, whose gradient is split evenly
    among the elements equal to the result (among the NaNs when it is NaN), as torch's
    ``evenly_distribute_backward`` does for ``max()``, ``min()``, ``median()``."""

    @jax.custom_jvp
    def f(x):
        return fn(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        out = fn(x)
        mask = jnp.where(jnp.isnan(out), jnp.isnan(x), x == out)
        count = jnp.sum(mask).astype(out.dtype)
        return out, jnp.sum(jnp.where(mask, t, jnp.zeros((), t.dtype))) / count

    def impl(x):
        return f(x) if _is_float(x) else fn(x)

    return impl


def _full_max(x):
    return jnp.max(x)


def _full_min(x):
    return jnp.min(x)


_max_all = _evenly_read(_full_max)
_min_all = _evenly_read(_full_min)
_max_all.__name__, _max_all.backward_name = "_max_all", "MaxBackward1"
_min_all.__name__, _min_all.backward_name = "_min_all", "MinBackward1"


@_on_1d
def _max_dim(x, *, axis, keepdims):
    idx = jnp.expand_dims(jnp.argmax(x, axis=axis), axis)  # first max; NaN wins (first NaN)
    return gather_along(x, idx, axis, keepdims), idx if keepdims else jnp.squeeze(idx, axis)


@_on_1d
def _min_dim(x, *, axis, keepdims):
    idx = jnp.expand_dims(jnp.argmin(x, axis=axis), axis)
    return gather_along(x, idx, axis, keepdims), idx if keepdims else jnp.squeeze(idx, axis)


_max_dim.backward_name = "MaxBackward0"
_min_dim.backward_name = "MinBackward0"


def _extreme(name, full_impl, dim_impl, rtype, elementwise):
    def op(input: Tensor, dim=None, keepdim: bool = False, *, other=None, out=None):
        if other is not None or isinstance(dim, Tensor):
            return _finish(elementwise(input, other if other is not None else dim), out)
        if dim is None:
            _check_nonempty(name, input, None, None)
            return _finish(apply(full_impl, input), out)
        axis = one_dim(dim, input.dim())
        if input.dim():
            _check_nonempty(name, input, (axis,), dim)
        return _finish(rtype(apply(dim_impl, input, axis=axis, keepdims=keepdim)), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"With no ``dim``: the {name}imum of all elements (a tensor). With ``dim``: "
        f"``torch.return_types.{name}(values, indices)`` along ``dim`` (the first {name}imum; "
        f"NaN propagates). With a tensor: the elementwise {name}imum."
    )
    return tensor_op(op)


def _maximum(a, b):
    from ptjax._ops.pointwise import maximum

    return maximum(a, b)


def _minimum(a, b):
    from ptjax._ops.pointwise import minimum

    return minimum(a, b)


max = _extreme("max", _max_all, _max_dim, R.max, _maximum)  # noqa: A001
min = _extreme("min", _min_all, _min_dim, R.min, _minimum)  # noqa: A001


def _extreme_value(x, axis, keepdims, is_max):
    return (jnp.max if is_max else jnp.min)(x, axis=axis, keepdims=keepdims)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _amaxmin_core(x, axis, keepdims, is_max):
    return _extreme_value(x, axis, keepdims, is_max)


@_amaxmin_core.defjvp
def _amaxmin_core_jvp(axis, keepdims, is_max, primals, tangents):
    # torch's scale_grad_by_count: split evenly among the elements equal to the result; a NaN
    # result matches no element, which makes the whole reduced slice's gradient NaN
    (x,), (t,) = primals, tangents
    out = _extreme_value(x, axis, keepdims, is_max)
    r = out if keepdims or axis is None else jnp.expand_dims(out, axis)
    mask = x == r
    count = jnp.sum(mask, axis=axis, keepdims=True).astype(x.dtype)
    # (g / count) * mask, written so that a compiler cannot fold 0 * inf to 0
    none = jnp.where(count == 0, jnp.nan, 0).astype(x.dtype)
    factor = jnp.where(mask, 1 / jnp.where(count == 0, 1, count), none)
    return out, jnp.sum(t * factor, axis=axis, keepdims=keepdims)


def _amax(x, *, axis, keepdims):
    if not _is_float(x):
        return _extreme_value(x, axis, keepdims, True)
    return _amaxmin_core(x, axis, keepdims, True)


def _amin(x, *, axis, keepdims):
    if not _is_float(x):
        return _extreme_value(x, axis, keepdims, False)
    return _amaxmin_core(x, axis, keepdims, False)


def _aminmax(x, *, axis, keepdims):
    return _amin(x, axis=axis, keepdims=keepdims), _amax(x, axis=axis, keepdims=keepdims)


def _amaxmin(name, impl):
    def op(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
        axis = reduce_dims(dim, input.dim())
        _check_nonempty(name, input, axis, dim, wrapped=False)
        return _finish(apply(impl, input, axis=axis, keepdims=keepdim), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"The {name[1:]}imum over ``dim`` (an int or tuple; all dimensions if empty). The "
        "gradient is split evenly among tied elements."
    )
    return tensor_op(op)


amax = _amaxmin("amax", _amax)
amin = _amaxmin("amin", _amin)


@tensor_op
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False, out=None):
    """``torch.return_types.aminmax(min, max)`` over ``dim`` (all elements if None)."""
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                "no identity."
            )
        axis = None
    else:
        axis = reduce_dims(one_dim(dim, input.dim()), input.dim())
        _check_nonempty("aminmax", input, axis, dim, sep="")
    return _finish(R.aminmax(apply(_aminmax, input, axis=axis, keepdims=keepdim)), out)


def _argmax(x, *, axis, keepdims):
    return jnp.argmax(x, axis=axis, keepdims=keepdims).astype(jnp.int64)


def _argmin(x, *, axis, keepdims):
    return jnp.argmin(x, axis=axis, keepdims=keepdims).astype(jnp.int64)


def _argop(name, impl):
    def op(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
        if input.dtype is D.bool:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if input.numel() == 0:
                raise IndexError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                )
            axis = None
        else:
            axis = one_dim(dim, input.dim())
            if input.dim() == 0:
                axis = None
            else:
                _check_nonempty(name, input, (axis,), dim)
        return _finish(apply(impl, input, axis=axis, keepdims=keepdim), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"Index of the {name[3:]}imum along ``dim`` (of the flattened tensor if None): the first "
        "one among ties, the first NaN if there is one. int64."
    )
    return tensor_op(op)


argmax = _argop("argmax", _argmax)
argmin = _argop("argmin", _argmin)


# -- std / var --------------------------------------------------------------------------------------


def _var_parts(x, axis, keepdims, correction):
    """(variance, deviations from the mean, torch's backward factor for a unit gradient)."""
    n = _reduced_size(x.shape, axis)
    m = jnp.mean(x, axis=axis, keepdims=True)
    dev = x - m
    sq = jnp.real(dev * jnp.conj(dev))
    dof = n - correction
    divisor = builtins.max(dof, 0)
    ss = jnp.sum(sq, axis=axis, keepdims=keepdims)
    var = ss / jnp.asarray(divisor, ss.dtype)
    if axis is None and dof <= 0:
        # torch: 2 / (N - correction) is infinite, so the gradient is inf (NaN where x == mean)
        factor = jnp.where(x == m, jnp.nan, jnp.inf).astype(x.dtype)
    else:
        factor = (jnp.asarray(2.0, x.dtype) / jnp.asarray(dof, x.dtype)) * dev
    return var, factor


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4))
def _var_core(x, axis, keepdims, correction, take_sqrt):
    var, _ = _var_parts(x, axis, keepdims, correction)
    return jnp.sqrt(var) if take_sqrt else var


@_var_core.defjvp
def _var_core_jvp(axis, keepdims, correction, take_sqrt, primals, tangents):
    (x,), (t,) = primals, tangents
    var, factor = _var_parts(x, axis, keepdims, correction)
    t_var = jnp.sum(factor * t, axis=axis, keepdims=keepdims)
    if not take_sqrt:
        return var, t_var
    std = jnp.sqrt(var)
    # torch's std_backward: grad / (2 * std), zero where std == 0
    safe = jnp.where(std == 0, jnp.ones((), std.dtype), std)
    return std, jnp.where(std == 0, jnp.zeros((), t_var.dtype), t_var / (2 * safe))


def _var_value(x, axis, keepdims, correction, take_sqrt):
    if jnp.iscomplexobj(x):
        var, _ = _var_parts(x, axis, keepdims, correction)
        return jnp.sqrt(var) if take_sqrt else var
    return _var_core(x, axis, keepdims, correction, take_sqrt)


def _var(x, *, axis, keepdims, correction):
    return _var_value(_acc(x), axis, keepdims, correction, False).astype(x.dtype)


def _std(x, *, axis, keepdims, correction):
    return _var_value(_acc(x), axis, keepdims, correction, True).astype(x.dtype)


def _var_mean(x, *, axis, keepdims, correction):
    return _var(x, axis=axis, keepdims=keepdims, correction=correction), jnp.mean(
        x, axis=axis, keepdims=keepdims
    )


def _std_mean(x, *, axis, keepdims, correction):
    return _std(x, axis=axis, keepdims=keepdims, correction=correction), jnp.mean(
        x, axis=axis, keepdims=keepdims
    )


_var_mean.backward_name = "VarMeanBackward0"
_std_mean.backward_name = "StdMeanBackward0"


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if input.dtype.kind < 2:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # std(input, unbiased) overload
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got both 'unbiased' and "
            "'correction'"
        )
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axis = reduce_dims(dim, input.dim())
    return axis, correction


def _var_family(name, impl):
    def op(
        input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, out=None
    ):
        axis, corr = _var_args(name, input, dim, unbiased, keepdim, correction)
        res = apply(impl, input, axis=axis, keepdims=keepdim, correction=corr)
        return _finish(res, out)

    op.__name__ = op.__qualname__ = name
    return op


std = tensor_op(_var_family("std", _std))
std.__doc__ = (
    "Standard deviation over ``dim`` with ``correction`` (default 1; ``unbiased=False`` means 0)."
)
var = tensor_op(_var_family("var", _var))
var.__doc__ = "Variance over ``dim`` with ``correction`` (default 1; ``unbiased=False`` means 0)."
std_mean = _var_family("std_mean", _std_mean)
std_mean.__doc__ = "``(std, mean)`` over ``dim``, as two tensors."
var_mean = _var_family("var_mean", _var_mean)
var_mean.__doc__ = "``(var, mean)`` over ``dim``, as two tensors."


# -- norms ------------------------------------------------------------------------------------------


@tensor_op
@autocast_op(FP32, CUDA)
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    """torch.norm: the vector ``p``-norm over ``dim`` (all elements if None; ``'fro'`` is the
    2-norm); ``'nuc'``, and ``'fro'`` over more than two dims, go to
    ``torch.linalg.matrix_norm``, as in torch."""
    from ptjax import linalg

    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return _finish(linalg.vector_norm(input, 2, dim, keepdim, dtype=dtype), out)
        dims = tuple(range(input.dim())) if dim is None else dim
        return _finish(linalg.matrix_norm(input, p, dims, keepdim, dtype=dtype), out)
    ord = 2.0 if p is None else p
    return _finish(linalg.vector_norm(input, ord, dim, keepdim, dtype=dtype), out)


# -- logsumexp --------------------------------------------------------------------------------------


def _lse_value(x, axis, keepdims):
    m = lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True))
    m = jnp.where(jnp.isinf(m), jnp.zeros((), x.dtype), m)
    s = jnp.log(jnp.sum(jnp.exp(x - m), axis=axis, keepdims=keepdims))
    return s + (m if keepdims else jnp.squeeze(m, axis))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _lse_core(x, axis, keepdims):
    return _lse_value(x, axis, keepdims)


@_lse_core.defjvp
def _lse_core_jvp(axis, keepdims, primals, tangents):
    (x,), (t,) = primals, tangents
    out = _lse_value(x, axis, keepdims)
    r = out if keepdims else jnp.expand_dims(out, axis)
    return out, jnp.sum(jnp.exp(x - r) * t, axis=axis, keepdims=keepdims)


def _logsumexp(x, *, axis, keepdims, dtype):
    x = x.astype(dtype)
    if x.size == 0:
        return jnp.log(jnp.sum(jnp.exp(x), axis=axis, keepdims=keepdims))
    if axis is None:
        axis = tuple(range(x.ndim))
    return _lse_core(x, axis, keepdims)


@tensor_op
def logsumexp(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed stably (max-subtracted)."""
    axis = reduce_dims(dim, input.dim())
    d = _float_of(input.dtype)
    return _finish(apply(_logsumexp, input, axis=axis, keepdims=keepdim, dtype=d.np), out)


# -- all / any / count_nonzero ----------------------------------------------------------------------


def _all(x, *, axis, keepdims, dtype):
    return jnp.all(x != 0, axis=axis, keepdims=keepdims).astype(dtype)


def _any(x, *, axis, keepdims, dtype):
    return jnp.any(x != 0, axis=axis, keepdims=keepdims).astype(dtype)


def _logical_reduction(name, impl):
    def op(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
        d = D.uint8 if input.dtype is D.uint8 else D.bool
        axis = reduce_dims(dim, input.dim())
        return _finish(apply(impl, input, axis=axis, keepdims=keepdim, dtype=d.np), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"Whether {'all' if name == 'all' else 'any'} elements over ``dim`` are non-zero (bool; "
        "uint8 for uint8 input)."
    )
    return tensor_op(op)


all = _logical_reduction("all", _all)  # noqa: A001
any = _logical_reduction("any", _any)  # noqa: A001


def _count_nonzero(x, *, axis):
    return jnp.sum(x != 0, axis=axis).astype(jnp.int64)


@tensor_op
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements over ``dim`` (int or tuple; all if None), as int64."""
    return apply(_count_nonzero, input, axis=reduce_dims(dim, input.dim()))


# -- scans ------------------------------------------------------------------------------------------


@_on_1d
def _cumsum(x, *, axis, dtype):
    x = x.astype(dtype)
    return jnp.cumsum(_acc(x), axis=axis).astype(dtype)


@_on_1d
def _cumprod(x, *, axis, dtype):
    # lax.cumprod's derivative is exact with zeros in the input, as torch's cumprod_backward
    x = x.astype(dtype)
    return lax.cumprod(_acc(x), axis=axis).astype(dtype)


_cumsum.backward_name = "CumsumBackward0"
_cumprod.backward_name = "CumprodBackward0"


def _scan_dtype(name: str, input: Tensor, dtype) -> D.dtype:
    d = _sum_dtype(input, dtype)
    if d is D.bool:
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    return d


@tensor_op(inplace=True)
@autocast_op(FP32, CUDA)
def cumsum(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Cumulative sum along ``dim``; bool and int inputs accumulate in int64."""
    d = _scan_dtype("cumsum", input, dtype)
    axis = one_dim(dim, input.dim())
    return _finish(apply(_cumsum, input, axis=axis, dtype=d.np), out)


@tensor_op(inplace=True)
@autocast_op(FP32, CUDA)
def cumprod(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Cumulative product along ``dim``; bool and int inputs accumulate in int64."""
    d = _scan_dtype("cumprod", input, dtype)
    axis = one_dim(dim, input.dim())
    return _finish(apply(_cumprod, input, axis=axis, dtype=d.np), out)


def _cum_extreme(x, axis, running):
    """Running max/min values and torch's indices: a later element equal to the running
    extreme (or a later NaN) takes over the index, so the index is the last position where the
    element equals its own running extreme."""
    r = running(x, axis=axis)
    at = x == r
    if _is_float(x):
        at = at | jnp.isnan(x)
    pos = lax.broadcasted_iota(jnp.int64, x.shape, axis)
    idx = lax.cummax(jnp.where(at, pos, 0), axis=axis)
    return jnp.take_along_axis(x, idx, axis=axis), idx


@_on_1d
def _cummax(x, *, axis):
    return _cum_extreme(x, axis, lax.cummax)


@_on_1d
def _cummin(x, *, axis):
    return _cum_extreme(x, axis, lax.cummin)


_cummax.backward_name = "CummaxBackward0"
_cummin.backward_name = "CumminBackward0"


@tensor_op
def cummax(input: Tensor, dim: int, *, out=None):
    """Running maximum along ``dim``: ``torch.return_types.cummax(values, indices)``."""
    axis = one_dim(dim, input.dim())
    return _finish(R.cummax(apply(_cummax, input, axis=axis)), out)


@tensor_op
def cummin(input: Tensor, dim: int, *, out=None):
    """Running minimum along ``dim``: ``torch.return_types.cummin(values, indices)``."""
    axis = one_dim(dim, input.dim())
    return _finish(R.cummin(apply(_cummin, input, axis=axis)), out)


@_on_1d
def _logcumsumexp(x, *, axis):
    return lax.cumlogsumexp(_acc(x), axis=axis).astype(x.dtype)


_logcumsumexp.backward_name = "LogcumsumexpBackward0"


@tensor_op
def logcumsumexp(input: Tensor, dim: int, *, out=None) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably."""
    if input.dtype.kind < 2:
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_type_title(input.dtype)}'"
        )
    axis = one_dim(dim, input.dim())
    return _finish(apply(_logcumsumexp, input, axis=axis), out)


# -- softmax ----------------------------------------------------------------------------------------


def _softmax_value(x, axis):
    # initial=-inf: an empty softmax dimension gives an empty result, as in torch
    m = lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True, initial=-jnp.inf))
    e = jnp.exp(x - m)
    return e / jnp.sum(e, axis=axis, keepdims=True)


def _log_softmax_value(x, axis):
    m = lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True, initial=-jnp.inf))
    shifted = x - m
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=axis, keepdims=True))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _softmax_core(x, axis):
    return _softmax_value(x, axis)


@_softmax_core.defjvp
def _softmax_core_jvp(axis, primals, tangents):
    (x,), (t,) = primals, tangents
    y = _softmax_value(x, axis)
    return y, y * (t - jnp.sum(y * t, axis=axis, keepdims=True))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _log_softmax_core(x, axis):
    return _log_softmax_value(x, axis)


@_log_softmax_core.defjvp
def _log_softmax_core_jvp(axis, primals, tangents):
    (x,), (t,) = primals, tangents
    y = _log_softmax_value(x, axis)
    return y, t - jnp.sum(jnp.exp(y) * t, axis=axis, keepdims=True)


@_on_1d
def _softmax(x, *, axis, dtype):
    return _softmax_core(_acc(x.astype(dtype)), axis).astype(dtype)


@_on_1d
def _log_softmax(x, *, axis, dtype):
    return _log_softmax_core(_acc(x.astype(dtype)), axis).astype(dtype)


_softmax.backward_name = "SoftmaxBackward0"
_log_softmax.backward_name = "LogSoftmaxBackward0"


def _softmax_args(name, input, dim, dtype):
    axis = one_dim(dim, input.dim())
    d = D.to_dtype(dtype) if dtype is not None else input.dtype
    if d.kind < 2:
        kernel = (
            "lastdim_kernel_impl" if axis == builtins.max(input.dim() - 1, 0) else "kernel_impl"
        )
        raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{_type_title(d)}'")
    return axis, d


@tensor_op
@autocast_op(FP32, CUDA)
def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)`` computed with the maximum subtracted; ``dtype`` casts first."""
    axis, d = _softmax_args("softmax", input, dim, dtype)
    return apply(_softmax, input, axis=axis, dtype=d.np)


@tensor_op
@autocast_op(FP32, CUDA)
def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``x - logsumexp(x, dim)`` computed with the maximum subtracted; ``dtype`` casts first."""
    axis, d = _softmax_args("log_softmax", input, dim, dtype)
    return apply(_log_softmax, input, axis=axis, dtype=d.np)


def softmin(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``softmax(-input, dim)`` (torch.nn.functional.softmin)."""
    return softmax(-input if dtype is None else -input.to(dtype), dim)
