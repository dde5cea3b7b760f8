"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, multinomial, poisson, the
``*_like`` forms and the in-place ``Tensor.uniform_/normal_/bernoulli_/random_/exponential_/
geometric_/cauchy_/log_normal_``.

Every draw takes ``(key, counter)`` from a ``ptjax.random.Generator`` (the default one unless
``generator=`` is given) and folds the counter into the key inside the op's compiled function,
so a seed reproduces the same numbers and a draw costs one dispatch. Distribution parameters
are dynamic arguments: ``w.uniform_(-b, b)`` for many different ``b`` compiles once.
Samples carry no gradient: an output of an input that requires grad gets zero gradients, as
in torch.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax import random as _random
from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._ops.creation import _finish, parse_size
from ptjax._tensor import Tensor, _type_title

__all__ = [
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
    "rand_like",
    "randn_like",
    "randint_like",
]


def _draw(generator):
    gen = generator if generator is not None else _random.default_generator
    key, offset = gen.draw()
    # a numpy scalar, not a Python int: every draw has a new counter, and dispatch caches
    # Python numbers as device scalars (the counter would fill that cache)
    return key, np.uint32(offset & 0xFFFF_FFFF)


def _shape(x, shape):
    return x.shape if shape is None else shape


def _fmt(v) -> str:
    """A number as torch prints it in these messages (``-1`` for -1.0, ``1.5``)."""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _not_implemented(kernel: str, d: D.dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_title(d)}'")


def _eager(*values) -> bool:
    return not any(isinstance(getattr(v, "_value", v), jax.core.Tracer) for v in values)


# -- implementations: (x or None, key, counter, *params) -> sample ----------------------------------
# ``x`` is the tensor an in-place draw overwrites (its shape is the sample's shape; its values
# are unused) or None for a factory, which passes ``shape``.


def _uniform(x, key, off, low, high, *, shape, dtype):
    k = jax.random.fold_in(key, off)
    u = jax.random.uniform(k, _shape(x, shape), dtype)
    low = jnp.asarray(low, dtype)
    return low + u * (jnp.asarray(high, dtype) - low)


def _normal(x, key, off, mean, std, *, shape, dtype):
    k = jax.random.fold_in(key, off)
    z = jax.random.normal(k, _shape(x, shape), dtype)
    mean = jax.lax.stop_gradient(jnp.asarray(mean, dtype))
    std = jax.lax.stop_gradient(jnp.asarray(std, dtype))
    return z * std + mean


_normal.backward_name = "NormalBackward0"


def _randint(x, key, off, low, high, *, shape, dtype):
    k = jax.random.fold_in(key, off)
    r = jax.random.randint(k, _shape(x, shape), low, high, dtype=jnp.int64)
    return r.astype(dtype)


def _random_full(x, key, off, *, dtype):
    """``random_()`` on int64: the whole range ``[0, 2**63 - 1]``."""
    k = jax.random.fold_in(key, off)
    bits = jax.random.bits(k, x.shape, jnp.uint64)
    return (bits >> 1).astype(dtype)


_random_full.backward_name = "RandomBackward0"


def _randperm(key, off, *, n, dtype):
    k = jax.random.fold_in(key, off)
    return jax.random.permutation(k, n).astype(dtype)


def _bernoulli(x, key, off, p, *, dtype):
    k = jax.random.fold_in(key, off)
    p = jax.lax.stop_gradient(p)
    pt = jnp.asarray(p, jnp.float64 if dtype == jnp.float64 else jnp.float32)
    u = jax.random.uniform(k, x.shape, pt.dtype)
    return (u < pt).astype(dtype)


def _multinomial(p, key, off, *, n, replacement):
    k = jax.random.fold_in(key, off)
    p = jax.lax.stop_gradient(p)
    if replacement:
        logits = jnp.log(p)
        batch = p.shape[:-1]
        draws = jax.random.categorical(k, logits, axis=-1, shape=(n,) + batch)
        return jnp.moveaxis(draws, 0, -1).astype(jnp.int64)
    # sampling without replacement: the n largest p / E with E ~ Exp(1), as torch does
    e = jax.random.exponential(k, p.shape, p.dtype)
    _, idx = jax.lax.top_k(p / e, n)
    return idx.astype(jnp.int64)


def _poisson(rate, key, off, *, dtype):
    k = jax.random.fold_in(key, off)
    rate = jax.lax.stop_gradient(rate)
    return jax.random.poisson(k, rate.astype(jnp.float64), rate.shape).astype(dtype)


def _exponential(x, key, off, lambd, *, dtype):
    k = jax.random.fold_in(key, off)
    return jax.random.exponential(k, x.shape, dtype) / jnp.asarray(lambd, dtype)


def _geometric(x, key, off, p, *, dtype):
    k = jax.random.fold_in(key, off)
    fdt = jnp.float64 if dtype in (jnp.float64, jnp.int64) else jnp.float32
    u = jax.random.uniform(k, x.shape, fdt, minval=jnp.finfo(fdt).tiny, maxval=1.0)
    trials = jnp.ceil(jnp.log(u) / jnp.log1p(-jnp.asarray(p, fdt)))
    return jnp.maximum(trials, 1).astype(dtype)


def _cauchy(x, key, off, median, sigma, *, dtype):
    k = jax.random.fold_in(key, off)
    c = jax.random.cauchy(k, x.shape, dtype)
    return jnp.asarray(median, dtype) + jnp.asarray(sigma, dtype) * c


def _log_normal(x, key, off, mean, std, *, dtype):
    k = jax.random.fold_in(key, off)
    z = jax.random.normal(k, x.shape, dtype)
    return jnp.exp(z * jnp.asarray(std, dtype) + jnp.asarray(mean, dtype))


_log_normal.backward_name = "LogNormalBackward0"


# -- factories -------------------------------------------------------------------------------------


def _factory_dtype(dtype, kernel: str) -> D.dtype:
    d = D._default[0] if dtype is None else D.to_dtype(dtype)
    if d.kind < 2:
        raise _not_implemented(kernel, d)
    return d


def _sizes(size, fn: str) -> tuple:
    if not size:
        raise TypeError(
            f"{fn}() received an invalid combination of arguments - got (), but expected one of: "
            "(tuple of ints size, *, torch.Generator generator, Tensor out, torch.dtype dtype, "
            "torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)"
        )
    return parse_size(size)


def _made(t: Tensor, device, requires_grad: bool) -> Tensor:
    return _finish(t._value, device, requires_grad)


def rand(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Uniform samples in ``[0, 1)`` of the given size (default float dtype)."""
    d = _factory_dtype(dtype, "check_uniform_bounds")
    shape = _sizes(size, "rand")
    key, off = _draw(generator)
    t = apply(_uniform, None, key, off, 0.0, 1.0, shape=shape, dtype=d.np)
    return _made(t, device, requires_grad)


def randn(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Standard normal samples of the given size (default float dtype)."""
    d = _factory_dtype(dtype, "normal_kernel_cpu")
    shape = _sizes(size, "randn")
    key, off = _draw(generator)
    t = apply(_normal, None, key, off, 0.0, 1.0, shape=shape, dtype=d.np)
    return _made(t, device, requires_grad)


def _check_range(low: int, high: int) -> None:
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )


# the C++ names torch prints for integer dtypes in Cauchy's error
_CPP_LONG = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char"}

_CPP_TYPE = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short",
    "int32": "int",
    "int64": "long",
}


def _check_bounds(low: int, high: int, d: D.dtype) -> None:
    """torch's check that ``[low, high - 1]`` is representable in integer dtype ``d``."""
    if d.kind == 2:
        digits = np.finfo(d.np).nmant + 1
        limit = 2**digits
        for name, v in (("from", low), ("to - 1", high - 1)):
            if not -limit <= v <= limit:
                warnings.warn(
                    f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    "limitations float can support discrete uniform distribution only within "
                    "this range.",
                    UserWarning,
                    stacklevel=3,
                )
        return
    info = D.iinfo(d)
    name = _CPP_TYPE.get(d.name, d.name)
    if low < info.min or low > info.max:
        raise RuntimeError(f"from is out of bounds for {name}")
    if high - 1 < info.min or high - 1 > info.max:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def randint(
    *args,
    low=None,
    high=None,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Integers uniform in ``[low, high)`` (``low`` defaults to 0) of shape ``size``:
    ``randint(high, size)`` or ``randint(low, high, size)``; int64 unless ``dtype``."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if high is None:
        if not args:
            raise TypeError("randint() missing required argument 'high'")
        high = args.pop()
    if args:
        low = args.pop()
    if args:
        raise TypeError("randint() received too many positional arguments")
    low = 0 if low is None else int(_number(low))
    high = int(_number(high))
    shape = parse_size((size,))
    d = D.int64 if dtype is None else D.to_dtype(dtype)
    _check_range(low, high)
    _check_bounds(low, high, d)
    key, off = _draw(generator)
    t = apply(_randint, None, key, off, low, high, shape=shape, dtype=d.np)
    return _made(t, device, requires_grad)


def randperm(
    n: int,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A random permutation of ``0..n-1`` (int64 unless ``dtype``)."""
    n = int(_number(n))
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = D.int64 if dtype is None else D.to_dtype(dtype)
    key, off = _draw(generator)
    t = apply(_randperm, key, off, n=n, dtype=d.np)
    return _made(t, device, requires_grad)


def _like_dtype(input: Tensor, dtype) -> D.dtype:
    return input.dtype if dtype is None else D.to_dtype(dtype)


def rand_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    """``rand`` with the shape (and dtype, device unless given) of ``input``."""
    d = _like_dtype(input, dtype)
    return rand(
        tuple(input.shape),
        generator=generator,
        dtype=d,
        device=device if device is not None else input.device,
        requires_grad=requires_grad,
    )


def randn_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    """``randn`` with the shape (and dtype, device unless given) of ``input``."""
    d = _like_dtype(input, dtype)
    return randn(
        tuple(input.shape),
        generator=generator,
        dtype=d,
        device=device if device is not None else input.device,
        requires_grad=requires_grad,
    )


def randint_like(
    input: Tensor,
    *args,
    low=None,
    high=None,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    """``randint`` with the shape (and dtype unless given) of ``input``:
    ``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    return randint(
        0 if low is None else low,
        high,
        tuple(input.shape),
        generator=generator,
        dtype=_like_dtype(input, dtype),
        device=device if device is not None else input.device,
        requires_grad=requires_grad,
    )


# -- distributions with tensor parameters ---------------------------------------------------------


def _check_std(std, fn: str = "normal") -> None:
    if isinstance(std, Tensor):
        if _eager(std) and std.numel() and bool(np.any(np.asarray(std._value) < 0)):
            raise RuntimeError(f"{fn} expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"{fn} expects std >= 0.0, but found std {_fmt(std)}")


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples with the given mean and standard deviation.

    ``mean``/``std`` as tensors (broadcast together; the result has their shape) or numbers
    with ``size`` (the result has that shape).
    """
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments - got (float, float), "
                "but expected a size when mean and std are numbers"
            )
        _check_std(std)
        d = _factory_dtype(dtype, "normal_kernel_cpu")
        key, off = _draw(generator)
        shape = parse_size((size,))
        t = apply(_normal, None, key, off, float(mean), float(std), shape=shape, dtype=d.np)
        return _made(t, device, requires_grad)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    d = tensors[0].dtype  # torch samples in mean's dtype (std's when mean is a number)
    if d.kind < 2:
        raise _not_implemented("normal_kernel_cpu", d)
    _check_std(std)
    shapes = [tuple(t.shape) for t in tensors]
    try:
        shape = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        from ptjax._ops.blas import _raise_broadcast

        _raise_broadcast(*shapes)
    key, off = _draw(generator)
    return apply(_normal, None, key, off, mean, std, shape=shape, dtype=d.np)


def _check_p(p: float, fn: str = "bernoulli_") -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"{fn} expects p to be in [0, 1], but got p={_fmt(p)}")


def _check_p_tensor(p: Tensor) -> None:
    if _eager(p) and p.numel():
        v = np.asarray(p._value)
        if not bool(np.all((v >= 0) & (v <= 1))):
            raise RuntimeError(
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                "message be improved?  If so, please report an enhancement request to PyTorch.)"
            )


@tensor_op
def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or ``p`` when given), in ``input``'s shape
    and dtype."""
    if p is None:
        if input.dtype.kind < 2:
            raise _not_implemented("bernoulli_tensor_cpu_p_", input.dtype)
        _check_p_tensor(input)
        p = input
    else:
        _check_p(float(p))
        p = float(p)
    key, off = _draw(generator)
    return apply(_bernoulli, input, key, off, p, dtype=input._value.dtype)


@tensor_op
def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator=None, out=None
) -> Tensor:
    """Category indices (int64) drawn from the weights in each row of ``input`` (1-D or 2-D):
    ``(num_samples,)`` or ``(rows, num_samples)``."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: "
            f"{_type_title(input.dtype)}"
        )
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n_cat = input.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if _eager(input) and input.numel():
        v = np.asarray(input._value, np.float64)
        if not np.all(np.isfinite(v) & (v >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(v.sum(-1) <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    key, off = _draw(generator)
    return apply(
        _multinomial, input.detach(), key, off, n=int(num_samples), replacement=replacement
    )


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with rates ``input``, in ``input``'s shape and dtype."""
    if input.dtype.kind < 2:
        raise _not_implemented("poisson_cpu", input.dtype)
    if _eager(input) and input.numel() and bool(np.any(np.asarray(input._value) < 0)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    key, off = _draw(generator)
    return apply(_poisson, input, key, off, dtype=input._value.dtype)


# -- in-place draws (Tensor methods) -------------------------------------------------------------


def _fill(self: Tensor, generator, impl, *params, **static) -> Tensor:
    key, off = _draw(generator)
    return self._assign(apply(impl, self, key, off, *params, dtype=self._value.dtype, **static))


def uniform_(self: Tensor, from_: float = 0, to: float = 1, *, generator=None, **kw) -> Tensor:
    """Fill with samples uniform in ``[from, to)``."""
    from_ = kw.pop("from", from_)
    if kw:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kw))}'")
    if self.dtype.kind < 2:
        raise _not_implemented("check_uniform_bounds", self.dtype)
    from_, to = float(_number(from_)), float(_number(to))
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={_fmt(from_)} > "
            f"to={_fmt(to)}"
        )
    return _fill(self, generator, _uniform, from_, to, shape=None)


def normal_(self: Tensor, mean: float = 0, std: float = 1, *, generator=None) -> Tensor:
    """Fill with normal samples of the given mean and standard deviation."""
    if self.dtype.kind < 2:
        raise _not_implemented("normal_kernel_cpu", self.dtype)
    mean, std = float(_number(mean)), float(_number(std))
    _check_std(std)
    return _fill(self, generator, _normal, mean, std, shape=None)


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a broadcastable tensor)."""
    if isinstance(p, Tensor):
        if p.dtype.kind < 2:
            raise _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
        _check_p_tensor(p)
    else:
        _check_p(float(p))
        p = float(p)
    return _fill(self, generator, _bernoulli, p)


def _random_bounds(d: D.dtype):
    """``random_()``'s default range ``[0, to)`` for dtype ``d``."""
    if d is D.bool:
        return 2
    if d.kind == 2:
        return 2 ** (np.finfo(d.np).nmant + 1) + 1
    return int(D.iinfo(d).max) + 1


def random_(self: Tensor, *args, generator=None, **kw) -> Tensor:
    """Fill with integers uniform in ``[from, to)``: ``random_(from, to)``, ``random_(to)``
    (from 0), or ``random_()`` for the dtype's range (``[0, 2**mantissa]`` for floats)."""
    from_, to = 0, None
    if len(args) == 2:
        from_, to = args
    elif len(args) == 1:
        to = args[0]
    elif len(args) > 2:
        raise TypeError("random_() takes at most 2 positional arguments")
    from_ = kw.pop("from", from_)
    to = kw.pop("to", to)
    if kw:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kw))}'")
    d = self.dtype
    from_ = int(_number(from_))
    if to is None:
        if d is D.int64:
            return _fill(self, generator, _random_full)
        to = _random_bounds(d)
    else:
        to = int(_number(to))
        _check_range(from_, to)
        _check_bounds(from_, to, d)
    return _fill(self, generator, _randint, from_, to, shape=None)


def exponential_(self: Tensor, lambd: float = 1, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate ``lambd``."""
    if self.dtype.kind < 2:
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {_type_title(self.dtype)}"
        )
    lambd = float(_number(lambd))
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    return _fill(self, generator, _exponential, lambd)


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (>= 1)."""
    p = float(_number(p))
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    return _fill(self, generator, _geometric, p)


def cauchy_(self: Tensor, median: float = 0, sigma: float = 1, *, generator=None) -> Tensor:
    """Fill with Cauchy samples of the given median and scale."""
    if self.dtype.kind < 2:
        raise RuntimeError(
            "Cauchy distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {_CPP_LONG.get(self.dtype.name, self.dtype.name)}"
        )
    median, sigma = float(_number(median)), float(_number(sigma))
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    return _fill(self, generator, _cauchy, median, sigma)


def log_normal_(self: Tensor, mean: float = 1, std: float = 2, *, generator=None) -> Tensor:
    """Fill with ``exp(N(mean, std))`` samples."""
    if self.dtype.kind < 2:
        raise _not_implemented("log_normal_cpu", self.dtype)
    mean, std = float(_number(mean)), float(_number(std))
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    return _fill(self, generator, _log_normal, mean, std)


for _fn in (uniform_, normal_, bernoulli_, random_, exponential_, geometric_, cauchy_):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.log_normal_ = log_normal_
