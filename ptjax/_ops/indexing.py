"""Indexing: ``tensor[key]``, ``tensor[key] = value`` and the index ops (gather, scatter,
index_*, masked_*, take, put) with torch's rules.

A key is applied the way torch applies it: first its basic part (ints, slices, None, Ellipsis),
which gives a view, so writes through it reach the base; then its advanced part (integer or
boolean tensors, lists, arrays) on that view, which gives a copy. Integers are therefore removed
before the advanced indices are placed: ``x[0, :, [0, 1]]`` has shape ``(3, 2)`` for ``x`` of
shape ``(2, 3, 4)`` (numpy would give ``(2, 3)``); for the advanced part torch and numpy agree
(non-adjacent index tensors put their broadcast dimensions first).

The static structure of a key (the compile-cache key) is a hashable template; index arrays are
dynamic arguments. Boolean masks become integer indices eagerly; inside ``jax.jit`` a mask can
still be assigned to (``x[mask] = 0``), never read (the result's shape would depend on data).
"""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._ops.pointwise import _out
from ptjax._ops.shape import _expanded_shape, view_op
from ptjax._tensor import Tensor, _type_title, _wrap_dim

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_reduce",
    "masked_fill",
    "masked_scatter",
    "masked_select",
    "take",
    "take_along_dim",
    "put",
    "nonzero",
    "nonzero_static",
    "argwhere",
]

# Entries of an advanced template, one per dimension of the basic result (trailing ones omitted)
_S = "s"  # a full slice
_A = "a"  # an integer index array
_D = "d"  # a traced 0-dim integer: a select whose position is known only at run time
_M = "m"  # a traced boolean mask over several dimensions: ("m", ndim)


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


_SEQ_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result"
)


def _as_tuple(key) -> tuple:
    if isinstance(key, tuple):
        return key
    # torch (after numpy's old rule) reads a short list holding a slice, None, Ellipsis, a
    # sequence or a tensor as a tuple of indices
    if isinstance(key, list) and len(key) < 32:
        for k in key:
            if k is None or k is Ellipsis or isinstance(k, slice | list | tuple | Tensor):
                warnings.warn(_SEQ_WARNING, UserWarning, stacklevel=3)
                return tuple(key)
            if isinstance(k, np.ndarray):
                warnings.warn(_SEQ_WARNING, UserWarning, stacklevel=3)
                return tuple(key)
    return (key,)


def _unwrap_list(k):
    return [
        _unwrap_list(x)
        if isinstance(x, list | tuple)
        else (x.item() if isinstance(x, Tensor) else x)
        for x in k
    ]


def _int_or_none(v):
    return None if v is None else int(v)


def _classify(k, items: list) -> int:
    """Append ``(kind, value)`` for one key element; return how many input dims it consumes."""
    if k is None:
        items.append(("none", None))
        return 0
    if k is Ellipsis:
        items.append(("ellipsis", None))
        return 0
    if isinstance(k, bool | np.bool_):
        items.append(("bool", bool(k)))
        return 0
    if isinstance(k, int | np.integer):
        items.append(("int", int(k)))
        return 1
    if isinstance(k, slice):
        step = _int_or_none(k.step)
        if step is not None and step <= 0:
            raise ValueError("step must be greater than zero")
        items.append(("slice", (_int_or_none(k.start), _int_or_none(k.stop), step)))
        return 1
    if isinstance(k, Tensor):
        v = k._value
    elif isinstance(k, list | tuple | range):
        v = np.asarray(_unwrap_list(k))
        if v.size == 0 and v.dtype == np.float64:
            v = v.astype(np.int64)
    elif isinstance(k, np.ndarray | jax.Array):
        v = k
    else:
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            f"valid indices (got {type(k).__name__})"
        )
    dt = np.dtype(v.dtype)
    if dt == np.uint8:
        warnings.warn(
            "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
            "instead.",
            UserWarning,
            stacklevel=4,
        )
        v = v.astype(bool) if _is_tracer(v) else np.asarray(v).astype(bool)
        dt = np.dtype(bool)
    if dt == np.bool_:
        if v.ndim == 0:
            if _is_tracer(v):
                raise IndexError(
                    "indexing with a traced 0-dim bool tensor inside a compiled function gives a "
                    "result whose shape depends on the data; use torch.where instead"
                )
            items.append(("bool", bool(v)))
            return 0
        items.append(("mask", v))
        return v.ndim
    if dt.kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if v.ndim == 0:
        if _is_tracer(v):
            items.append(("dyn", v))
        else:
            items.append(("int", int(v)))
        return 1
    items.append(("index", v))
    return 1


def _check_index_bounds(v, size: int, dim: int) -> None:
    # torch numbers ``dim`` among the index tensors of the key, not among the input's dims
    if _is_tracer(v) or not np.size(v):
        return
    a = np.asarray(v)
    bad = a[(a < -size) | (a >= size)]
    if bad.size:
        raise IndexError(
            f"index {int(bad.flat[0])} is out of bounds for dimension {dim} with size {size}"
        )


class _Key:
    """A parsed key: ``basic`` (static, applied first; None if it selects everything), ``adv``
    (static template over the basic result; None if there is no advanced part) and ``arrays``
    (the dynamic index arrays of ``adv``, in order)."""

    __slots__ = ("basic", "adv", "arrays", "single_mask")

    def __init__(self, basic, adv, arrays, single_mask):
        self.basic, self.adv, self.arrays, self.single_mask = basic, adv, arrays, single_mask


def _parse(key, shape: tuple, *, mask_as_index: bool = True) -> _Key:
    """Parse an indexing key for a tensor of ``shape``, with torch's checks and messages.

    With ``mask_as_index`` eager boolean masks become integer index arrays; traced masks stay
    masks (``_M`` entries), which only assignment can use.
    """
    items: list = []
    consumed = sum(_classify(k, items) for k in _as_tuple(key))
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    basic, adv, arrays = [], [], []
    dim = 0
    for kind, v in items:
        if kind == "ellipsis":
            # torch lets every Ellipsis stand for the unindexed dims (numpy allows one)
            n = max(0, min(len(shape) - consumed, len(shape) - dim))
            basic += [(None, None, None)] * n
            adv += [_S] * n
            dim += n
        elif kind == "none":
            basic.append(None)
            adv.append(_S)
        elif kind == "bool":
            basic.append(None)
            adv.append(_A)
            arrays.append(np.zeros(int(v), np.int64))
        elif kind == "int":
            size = shape[dim]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {dim} with size {size}")
            basic.append(v % size)
            dim += 1
        elif kind == "slice":
            basic.append(v)
            adv.append(_S)
            dim += 1
        elif kind == "dyn":
            basic.append((None, None, None))
            adv.append(_D)
            arrays.append(v)
            dim += 1
        elif kind == "mask":
            k = v.ndim
            for j in range(k):
                if j + dim >= len(shape) or v.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(v.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
            basic += [(None, None, None)] * k
            if _is_tracer(v) or not mask_as_index:
                adv.append((_M, k))
                arrays.append(v)
            else:
                nz = np.nonzero(np.asarray(v))
                adv += [_A] * k
                arrays += list(nz)
            dim += k
        else:  # integer index array
            _check_index_bounds(v, shape[dim], sum(1 for e in adv if e == _A))
            basic.append((None, None, None))
            adv.append(_A)
            arrays.append(v)
            dim += 1
    single_mask = len(adv) == 1 and isinstance(adv[0], tuple)
    if all(b == (None, None, None) for b in basic):
        basic = None
    else:
        basic = tuple(basic)
    if not arrays:
        adv = None
    else:
        while adv and adv[-1] == _S:
            adv.pop()
        adv = tuple(adv)
        _check_broadcast(arrays, adv)
    return _Key(basic, adv, arrays, single_mask)


def _array_shapes(arrays, adv) -> list:
    """The shapes the index arrays take part in broadcasting with (a mask counts as its
    padded nonzero indices)."""
    shapes, it = [], iter(arrays)
    for e in adv:
        if e == _S:
            continue
        a = next(it)
        if e == _A:
            shapes.append(tuple(np.shape(a)))
        elif e != _D:
            shapes.append((int(np.size(a)),))
    return shapes


def _check_broadcast(arrays, adv) -> None:
    shapes = _array_shapes(arrays, adv)
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(list(s)) for s in shapes)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {listed}"
        ) from None


# -- applying a key -------------------------------------------------------------------------------


def _basic_key(basic) -> tuple:
    return tuple(slice(*b) if isinstance(b, tuple) else b for b in basic)


def _basic_index(x, *, template):
    return x[_basic_key(template)]


_basic_index.backward_name = "SliceBackward0"


def _take_dynamic(x, arrays: list, adv: tuple):
    """Apply the traced 0-dim selects of ``adv``; return the rest of the key."""
    arrays, adv = list(arrays), list(adv)
    while _D in adv:
        i = adv.index(_D)
        k = sum(1 for e in adv[:i] if e != _S)
        idx = arrays.pop(k)
        idx = jnp.where(idx < 0, idx + x.shape[i], idx)
        x = jax.lax.dynamic_index_in_dim(x, idx, i, keepdims=False)
        del adv[i]
    return x, arrays, adv


def _adv_key(arrays, adv) -> tuple:
    """The numpy key of an advanced template; a traced mask becomes its nonzero indices padded
    with out-of-range values (``mode='drop'`` scatters ignore those)."""
    key, it = [], iter(arrays)
    for e in adv:
        if e == _S:
            key.append(slice(None))
        elif e == _A:
            key.append(next(it))
        else:
            m = next(it)
            key += jnp.nonzero(m, size=m.size, fill_value=max(m.shape))
    return tuple(key)


def _adv_entries(adv) -> list:
    out = []
    for e in adv:
        out += [_A] * e[1] if isinstance(e, tuple) else [e]
    return out


def _adv_shape(shape: tuple, entries: list, arr_shapes: list) -> tuple:
    """numpy's result shape of advanced indexing (entries ``_S``/``_A`` over leading dims)."""
    b = tuple(np.broadcast_shapes(*arr_shapes))
    pos = [i for i, e in enumerate(entries) if e == _A]
    tail = tuple(shape[len(entries) :])
    if pos == list(range(pos[0], pos[-1] + 1)):
        return tuple(shape[: pos[0]]) + b + tuple(shape[pos[-1] + 1 : len(entries)]) + tail
    return b + tuple(s for s, e in zip(shape, entries) if e == _S) + tail


def _index(x, *arrays, basic, adv):
    if basic is not None:
        x = x[_basic_key(basic)]
    if adv is not None:
        x, arrays, adv = _take_dynamic(x, arrays, adv)
        if adv:
            x = x[_adv_key(arrays, adv)]
    return x


_index.backward_name = "IndexBackward0"


def _result_shape(shape: tuple, k: _Key) -> tuple:
    """The shape ``x[key]`` has (for assignment: a traced mask counts as its padded indices)."""
    if k.adv is None:
        return _shape_after(shape, k.basic, None, ())
    return _shape_after(shape, k.basic, k.adv, tuple(_array_shapes(k.arrays, k.adv)))


@functools.lru_cache(maxsize=4096)
def _shape_after(shape: tuple, basic, adv, arr_shapes: tuple) -> tuple:
    if basic is not None:
        shape = np.broadcast_to(np.empty((), np.int8), shape)[_basic_key(basic)].shape
    if adv is None:
        return tuple(shape)
    shape, adv, arr_shapes = list(shape), list(adv), list(arr_shapes)
    while _D in adv:
        i = adv.index(_D)
        del adv[i], shape[i]
    if not adv:
        return tuple(shape)
    return _adv_shape(tuple(shape), _adv_entries(adv), arr_shapes)


def getitem(self: Tensor, key) -> Tensor:
    """``self[key]``: a view for ints, slices, None and Ellipsis; a copy with index tensors."""
    k = _parse(key, tuple(self.shape))
    if k.adv is None:
        return view_op(self, _basic_index, template=k.basic or ())
    for a in k.arrays:
        if np.dtype(a.dtype) == np.bool_:
            raise IndexError(
                "boolean mask indexing inside a compiled function gives a result whose shape "
                "depends on the data, which XLA cannot compile; use torch.where(mask, x, other) "
                "or masked_fill instead"
            )
    return apply(_index, self, *k.arrays, basic=k.basic, adv=k.adv)


# -- assignment -----------------------------------------------------------------------------------


def _scatter_set_fwd(tmpl, x, v, *arrays):
    return _scatter_set(tmpl, x, v, *arrays), arrays


def _scatter_set_bwd(tmpl, arrays, ct):
    key = _adv_key(arrays, tmpl)
    return (
        ct.at[key].set(0, mode="drop"),
        ct.at[key].get(mode="fill", fill_value=0),
        *(None for _ in arrays),
    )


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _scatter_set(tmpl, x, v, *arrays):
    """``x.at[key].set(v)`` with torch's gradient: every written position of ``v`` gets the
    incoming gradient there, duplicates included (JAX would give it to one writer only)."""
    return x.at[_adv_key(arrays, tmpl)].set(v, mode="drop")


_scatter_set.defvjp(_scatter_set_fwd, _scatter_set_bwd)


def _adv_put(x, v, arrays, adv, accumulate):
    adv, arrays = list(adv), list(arrays)
    if _D in adv:
        i = adv.index(_D)
        k = sum(1 for e in adv[:i] if e != _S)
        idx = arrays.pop(k)
        idx = jnp.where(idx < 0, idx + x.shape[i], idx)
        del adv[i]
        inner = jax.lax.dynamic_index_in_dim(x, idx, i, keepdims=False)
        inner = _adv_put(inner, v, arrays, adv, accumulate) if adv else _fill(inner, v, accumulate)
        return jax.lax.dynamic_update_index_in_dim(x, jnp.expand_dims(inner, i), idx, i)
    key = _adv_key(arrays, adv)
    shapes = [jnp.shape(a) for a in key if not isinstance(a, slice)]
    target = _adv_shape(x.shape, [_S if isinstance(a, slice) else _A for a in key], shapes)
    v = jnp.broadcast_to(v, target)
    if accumulate:
        return x.at[key].add(v, mode="drop")
    tmpl = tuple(_S if isinstance(a, slice) else _A for a in key)
    return _scatter_set(tmpl, x, v, *(a for a in key if not isinstance(a, slice)))


def _fill(x, v, accumulate):
    v = jnp.broadcast_to(v, x.shape)
    return x + v if accumulate else v


def _index_put(x, v, *arrays, basic, adv, accumulate):
    v = jnp.asarray(v).astype(x.dtype)
    if basic is None:
        return _adv_put(x, v, arrays, adv, accumulate) if adv else _fill(x, v, accumulate)
    key = _basic_key(basic)
    sub = x[key]
    sub = _adv_put(sub, v, arrays, adv, accumulate) if adv else _fill(sub, v, accumulate)
    # None entries only add size-1 dimensions: drop them to write back
    key = tuple(b for b in key if b is not None)
    return x.at[key].set(sub.reshape(x[key].shape))


_index_put.backward_name = "IndexPutBackward0"


def _mask_fill(x, mask, value):
    mask = mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim))
    return jnp.where(mask, jnp.asarray(value).astype(x.dtype), x)


_mask_fill.backward_name = "IndexPutBackward0"


def _vshape(value) -> tuple:
    return tuple(value.shape) if isinstance(value, Tensor) else ()


def _strip_leading_ones(value, ndim: int):
    """torch drops leading size-1 dims of an assigned value beyond the target's dims."""
    if not isinstance(value, Tensor):
        return value
    shape = tuple(value.shape)
    k = 0
    while len(shape) - k > ndim and shape[k] == 1:
        k += 1
    return value.reshape(shape[k:]) if k else value


def _value_of(self: Tensor, value):
    """The assigned value: a Tensor, or a Python number (cast inside the op: no transfer)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | complex):
        return value
    raise TypeError(f"can't assign a {_qualname(value)} to a torch.{_type_name(self)}")


def _qualname(v) -> str:
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _type_name(t: Tensor) -> str:
    return t.type().split(".", 1)[1]


def _put(self: Tensor, k: _Key, value, accumulate: bool, exact_dtype: bool) -> Tensor:
    """``self`` with ``value`` (a Tensor or a number) written (or added) at the parsed key, as a
    new tensor."""
    is_tensor = isinstance(value, Tensor)
    if exact_dtype and is_tensor and value.dtype is not self.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_type_title(self.dtype)} for the destination and {_type_title(value.dtype)} for "
            "the source."
        )
    target = _result_shape(tuple(self.shape), k)
    value = _strip_leading_ones(value, len(target))
    vshape = _vshape(value)
    if k.adv is None:
        if is_tensor:
            _expanded_shape(value, target)  # torch's copy_ messages
    else:
        ok = len(vshape) <= len(target)
        if ok:
            try:
                ok = tuple(np.broadcast_shapes(vshape, target)) == tuple(target)
            except ValueError:
                ok = False
        if ok and any(isinstance(e, tuple) for e in k.adv):
            # a traced mask's nonzero count is unknown: the value may not depend on it, so it
            # must also fit the target with one more padded index
            big = _Key(k.basic, k.adv, [_grow(a) for a in k.arrays], False)
            try:
                np.broadcast_shapes(vshape, _result_shape(tuple(self.shape), big))
            except ValueError:
                ok = False
        if not ok:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                f"indexing result of shape {list(target)}"
            )
    if k.single_mask and not accumulate and _fits_mask_fill(self, k, value):
        return apply(_mask_fill, self, k.arrays[0], value)
    return apply(
        _index_put, self, value, *k.arrays, basic=k.basic, adv=k.adv, accumulate=accumulate
    )


def _grow(a):
    """A stand-in with one more element, for the shape check of a traced mask."""
    return np.zeros(int(np.size(a)) + 1, bool) if np.dtype(a.dtype) == np.bool_ else a


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value``: writes into ``self`` (and, through views, into its base)."""
    value = _value_of(self, value)
    k = _parse(key, tuple(self.shape), mask_as_index=False)
    # a mask alone with a 0-dim value is torch's masked_fill_, which casts the value
    exact = k.adv is not None and not (k.single_mask and not _vshape(value))
    if any(isinstance(e, tuple) for e in k.adv or ()) and not _fits_mask_fill(self, k, value):
        if any(_is_tracer(a) for a in k.arrays if np.dtype(a.dtype) == np.bool_):
            pass  # traced masks stay masks: the padded-index path checks the value's shape
        else:
            k = _parse(key, tuple(self.shape))
    self._assign(_put(self, k, value, False, exact))


def _fits_mask_fill(self: Tensor, k: _Key, value: Tensor) -> bool:
    """Whether ``self[mask] = value`` can be a ``where``: a mask alone, and a value that does
    not depend on how many elements the mask selects."""
    if not k.single_mask:
        return False
    n = self.dim() - k.arrays[0].ndim
    return len(_vshape(_strip_leading_ones(value, n))) <= n


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


@tensor_op(inplace=True)
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``values`` written at ``input[indices]`` (added if ``accumulate``);
    ``indices`` is a tuple of index tensors, None meaning a whole dimension."""
    for n, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(
                f"expected Tensor as element {n} in argument 0, but got {type(i).__name__}"
            )
    key = tuple(indices)
    values = _value_of(input, values)
    return _put(input, _parse(key, tuple(input.shape)), values, accumulate, True)


# -- gather / scatter -----------------------------------------------------------------------------

_DTYPE_C = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _check_index_dtype(index: Tensor, op: str) -> None:
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")


def _check_dim_bounds(index: Tensor, size: int, dim: int) -> None:
    v = index._value
    if _is_tracer(v) or not index.numel():
        return
    a = np.asarray(v)
    bad = a[(a < 0) | (a >= size)]
    if bad.size:
        raise RuntimeError(
            f"index {int(bad.flat[0])} is out of bounds for dimension {dim} with size {size}"
        )


def _grid(index, axis: int) -> tuple:
    """The full integer key that addresses ``index``'s positions with ``index`` along ``axis``."""
    grid = jnp.indices(index.shape, sparse=True)
    return tuple(index if d == axis else grid[d] for d in range(index.ndim))


def _prefix(x, shape) -> jnp.ndarray:
    return x[tuple(slice(0, n) for n in shape)]


def _gather(x, index, *, axis):
    if x.ndim == 0:
        return x.reshape(1)[index.reshape(-1)].reshape(index.shape)
    sl = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
    return jnp.take_along_axis(x[sl], index, axis=axis)


@tensor_op
def gather(
    input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out=None
) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (for ``dim=0``): values picked along
    ``dim``; ``index`` has ``input``'s number of dimensions and is no larger apart from ``dim``."""
    _check_index_dtype(index, "gather")
    n = input.dim()
    d = _wrap_dim(dim, n)
    if max(index.dim(), 1) != max(n, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(index.dim()):
        if k != d and index.shape[k] > input.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(index.shape)} to be "
                f"no larger than self {list(input.shape)} apart from dimension {d}"
            )
    _check_dim_bounds(index, input.shape[d] if n else 1, d)
    return _out(apply(_gather, input, index, axis=d), out, "gather")


def _scatter_checks(input: Tensor, d: int, index: Tensor, src) -> None:
    _check_index_dtype(index, "scatter")
    if max(index.dim(), 1) != max(input.dim(), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if max(src.dim(), 1) != max(index.dim(), 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k in range(index.dim()):
        too_big = k != d and index.shape[k] > input.shape[k]
        if isinstance(src, Tensor) and src.dim():
            too_big = too_big or index.shape[k] > src.shape[k]
        if too_big:
            msg = (
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {d}"
            )
            if isinstance(src, Tensor):
                msg += f" and to be no larger size than src {list(src.shape)}"
            raise RuntimeError(msg)
    _check_dim_bounds(index, input.shape[d] if input.dim() else 1, d)


def _scatter_key(x, index, axis):
    if x.ndim == 0:
        return (index.reshape(-1),)
    return _grid(index, axis)


def _scatter_src(src, index, dtype):
    src = jnp.asarray(src).astype(dtype)
    if src.ndim == 0:
        return jnp.broadcast_to(src, index.shape)
    return _prefix(src, index.shape)


def _scatter_impl(x, index, src, *, axis, reduce):
    key = _scatter_key(x, index, axis)
    v = _scatter_src(src, index, x.dtype).reshape(key[0].shape if x.ndim == 0 else index.shape)
    flat = x.reshape(-1) if x.ndim == 0 else x
    if reduce is None:
        tmpl = (_A,) * len(key)
        out = _scatter_set(tmpl, flat, v, *key)
    elif reduce == "add":
        out = flat.at[key].add(v)
    else:
        out = flat.at[key].multiply(v)
    return out.reshape(x.shape)


_scatter_impl.backward_name = "ScatterBackward0"


@jax.custom_vjp
def _no_derivative(x):
    return x


def _no_derivative_fwd(x):
    return x, None


def _no_derivative_bwd(_, ct):
    raise RuntimeError("derivative for aten::scatter is not implemented")


_no_derivative.defvjp(_no_derivative_fwd, _no_derivative_bwd)


def _scatter_reduce_legacy(x, index, src, *, axis, reduce):
    # torch has no derivative for scatter with reduce=: differentiating it raises as in torch
    return _no_derivative(_scatter_impl(x, index, src, axis=axis, reduce=reduce))


_scatter_reduce_legacy.backward_name = "NotImplemented"


@tensor_op(inplace=True)
def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """``input`` with ``src`` (a tensor, or the number ``value``) written at ``index`` along
    ``dim``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``. ``reduce='add'``/``'multiply'``
    combines instead of overwriting."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    d = _wrap_dim(dim, input.dim())
    _scatter_checks(input, d, index, src)
    if reduce is None:
        return apply(_scatter_impl, input, index, src, axis=d, reduce=None)
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
            "reduction options.",
            UserWarning,
            stacklevel=2,
        )
    return apply(_scatter_reduce_legacy, input, index, src, axis=d, reduce=reduce)


def _scatter_add(x, index, src, *, axis):
    key = _scatter_key(x, index, axis)
    v = _scatter_src(src, index, x.dtype).reshape(key[0].shape if x.ndim == 0 else index.shape)
    flat = x.reshape(-1) if x.ndim == 0 else x
    return flat.at[key].add(v).reshape(x.shape)


@tensor_op(inplace=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    d = _wrap_dim(dim, input.dim())
    _scatter_checks(input, d, index, src)
    return apply(_scatter_add, input, index, src, axis=d)


# scatter_reduce: forward and torch's backward formulas (FunctionsManual scatter_reduce_backward)


def _init_value(reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if jnp.issubdtype(dtype, jnp.floating):
        return -jnp.inf if reduce == "amax" else jnp.inf
    info = jnp.iinfo(dtype) if jnp.issubdtype(dtype, jnp.integer) else None
    if info is None:
        return reduce == "amin"  # bool
    return info.min if reduce == "amax" else info.max


def _sr_forward(x, index, src, axis, reduce, include_self):
    key = _scatter_key(x, index, axis)
    v = src.reshape(key[0].shape) if x.ndim == 0 else src
    flat = x.reshape(-1) if x.ndim == 0 else x
    base = flat if include_self else flat.at[key].set(_init_value(reduce, x.dtype))
    if reduce == "sum":
        out = base.at[key].add(v)
    elif reduce == "prod":
        out = base.at[key].multiply(v)
    elif reduce == "amax":
        out = base.at[key].max(v)
    elif reduce == "amin":
        out = base.at[key].min(v)
    else:
        total = base.at[key].add(v)
        count = jnp.zeros(flat.shape, x.dtype).at[key].add(jnp.ones_like(v))
        if include_self:
            count = count + 1
        safe = jnp.where(count == 0, 1, count)
        if jnp.issubdtype(x.dtype, jnp.integer):
            out = jnp.floor_divide(total, safe)
        else:
            out = total / safe
        out = jnp.where(count == 0, flat, out)
    return out.reshape(x.shape)


def _gather_at(t, index, axis):
    if t.ndim == 0:
        return t.reshape(1)[index.reshape(-1)].reshape(index.shape)
    return t[_grid(index, axis)]


def _scatter_add_at(t, index, v, axis):
    return _sr_forward(t, index, v, axis, "sum", True)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5))
def _sr_custom(x, index, src, axis, reduce, include_self):
    return _sr_forward(x, index, src, axis, reduce, include_self)


def _sr_custom_fwd(x, index, src, axis, reduce, include_self):
    out = _sr_forward(x, index, src, axis, reduce, include_self)
    return out, (x, index, src, out)


def _scattered_mask(x, index, axis):
    key = _scatter_key(x, index, axis)
    hit = jnp.zeros(x.shape if x.ndim else (1,), bool).at[key].set(True)
    return hit.reshape(x.shape)


def _sr_custom_bwd(axis, reduce, include_self, res, grad):
    x, index, src, result = res
    if reduce == "prod":
        gx, gs = _prod_backward(x, index, src, result, grad, axis, include_self)
    else:
        value = _gather_at(result, index, axis)
        self_is = (x == result).astype(x.dtype)
        src_is = (src == value).astype(x.dtype)
        n = _scatter_add_at(self_is, index, src_is, axis)
        dist = grad / n
        gx = self_is * dist
        gs = src_is * _gather_at(dist, index, axis)
    if not include_self:
        gx = jnp.where(_scattered_mask(x, index, axis), 0, gx)
    return gx, None, gs


def _prod_backward(x, index, src, result, grad, axis, include_self):
    masked_self = jnp.where(x == 0, 1, x)
    masked_self_result = _sr_forward(masked_self, index, src, axis, "prod", include_self)
    gx = grad * masked_self_result / masked_self
    src_zero = src == 0
    zeros = _scatter_add_at(jnp.zeros_like(x), index, src_zero.astype(x.dtype), axis)
    src_single_zero = src_zero & (_gather_at(zeros, index, axis) == 1)
    masked_src = jnp.where(src_single_zero, 1, src)
    masked_src_result = _sr_forward(x, index, masked_src, axis, "prod", include_self)
    gs = jnp.where(
        src_single_zero,
        _gather_at(grad * masked_src_result, index, axis),
        _gather_at(grad * result, index, axis) / jnp.where(src_zero, 1, src),
    )
    return gx, gs


_sr_custom.defvjp(_sr_custom_fwd, _sr_custom_bwd)


def _scatter_reduce(x, index, src, *, axis, reduce, include_self):
    src = _prefix(src.astype(x.dtype), index.shape) if src.ndim else src.astype(x.dtype)
    if reduce in ("sum", "mean") or not jnp.issubdtype(x.dtype, jnp.inexact):
        return _sr_forward(x, index, src, axis, reduce, include_self)
    return _sr_custom(x, index, src, axis, reduce, include_self)


_scatter_reduce.backward_name = "ScatterReduceBackward0"


@tensor_op(inplace=True)
def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with ``src`` reduced into it at ``index`` along ``dim``; ``reduce`` is one of
    ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``. With ``include_self=False`` the
    positions written to forget their value in ``input``. Gradients follow torch's (ties of
    amax/amin share the gradient evenly)."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    d = _wrap_dim(dim, input.dim())
    _scatter_checks(input, d, index, src)
    return apply(
        _scatter_reduce, input, index, src, axis=d, reduce=reduce, include_self=include_self
    )


# -- index_* ---------------------------------------------------------------------------------------


def _index_vector(index: Tensor, op: str) -> None:
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")


def _bad_indices(index: Tensor, low: int, high: int):
    """The first value of a concrete ``index`` outside ``[low, high)``, or None."""
    v = index._value
    if _is_tracer(v) or not index.numel():
        return None
    a = np.asarray(v)
    bad = a[(a < low) | (a >= high)]
    return int(bad.flat[0]) if bad.size else None


def _index_select(x, index, *, axis):
    if x.ndim == 0:
        return x
    return jnp.take(x, index.reshape(-1), axis=axis)


@tensor_op
def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    """The slices of ``input`` at the positions ``index`` (1-D) along ``dim``."""
    _index_vector(index, "index_select")
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = _wrap_dim(dim, input.dim())
    if _bad_indices(index, 0, input.shape[d] if input.dim() else 1) is not None:
        raise IndexError("index out of range in self")
    return _out(apply(_index_select, input, index, axis=d), out, "index_select")


def _check_source(input: Tensor, d: int, index: Tensor, source: Tensor, op: str) -> None:
    """torch's checks that ``source`` has ``input``'s shape with ``len(index)`` at ``dim``."""
    n = index.numel()
    if input.dim() == 0 and source.dim() == 0:
        return
    sd = source.shape[d] if source.dim() > d else 1
    if op == "index_copy_":
        if sd != n:
            raise IndexError(
                f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) ({sd})"
            )
        rest_i = list(input.shape[:d]) + list(input.shape[d + 1 :])
        rest_s = list(source.shape[:d]) + list(source.shape[d + 1 :])
        if rest_i != rest_s:
            fmt = " ".join
            raise RuntimeError(
                "index_copy_(): Source/destination tensor must have same slice shapes. "
                f"Destination slice shape: {fmt(map(str, rest_i))} at dimension {d} and source "
                f"slice shape: {fmt(map(str, rest_s))} at dimension 0."
            )
        return
    if source.dim() == input.dim() and sd != n:
        raise RuntimeError(
            f"{op}(): Number of indices ({n}) should be equal to source.size(dim): ({sd}), for "
            f"dim: {d}"
        )
    want = tuple(input.shape[:d]) + (n,) + tuple(input.shape[d + 1 :])
    if tuple(source.shape) != want:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}"
        )


def _index_add(x, index, source, *, axis, alpha):
    source = jnp.asarray(source).astype(x.dtype)
    if alpha != 1:
        source = source * jnp.asarray(alpha, x.dtype)
    if x.ndim == 0:
        return x + jnp.sum(source)
    return x.at[(slice(None),) * axis + (index.reshape(-1),)].add(source)


@tensor_op(inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats accumulate)."""
    _index_vector(index, "index_add_")
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index")
    d = _wrap_dim(dim, input.dim())
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_add_(): self ({_type_title(input.dtype)}) and source "
            f"({_type_title(source.dtype)}) must have the same scalar type"
        )
    _check_source(input, d, index, source, "index_add_")
    size = input.shape[d] if input.dim() else 1
    bad = _bad_indices(index, 0, size)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return apply(_index_add, input, index, source, axis=d, alpha=alpha)


def _index_copy(x, index, source, *, axis):
    source = source.astype(x.dtype)
    if x.ndim == 0:
        return source.reshape(())
    return _scatter_set((_S,) * axis + (_A,), x, source, index.reshape(-1))


@tensor_op(inplace=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with the slices of ``source`` copied to positions ``index`` along ``dim``."""
    _index_vector(index, "index_copy_")
    if index.dtype.name != "int64":
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {_type_title(index.dtype)}"
        )
    d = _wrap_dim(dim, input.dim())
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got "
            f"(self) {_type_title(input.dtype)} and (source) {_type_title(source.dtype)}"
        )
    _check_source(input, d, index, source, "index_copy_")
    size = input.shape[d] if input.dim() else 1
    bad = _bad_indices(index, 0, size)
    if bad is not None:
        raise IndexError(
            f"index_copy_(): index {bad} is out of bounds for dimension {d} with size {size}"
        )
    return apply(_index_copy, input, index, source, axis=d)


def _index_fill(x, index, value, *, axis):
    if x.ndim == 0:
        return jnp.asarray(value).astype(x.dtype)
    # a mask, so that a repeated index fills (and takes the gradient of ``value``) once
    hit = jnp.zeros(x.shape[axis], bool).at[index.reshape(-1)].set(True)
    hit = hit.reshape((-1,) + (1,) * (x.ndim - axis - 1))
    return jnp.where(hit, jnp.asarray(value).astype(x.dtype), x)


@tensor_op(inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-dim tensor)."""
    _index_vector(index, "index_fill_")
    if index.dtype.name != "int64":
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if isinstance(value, Tensor) and value.dim():
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.dim()} dimension(s)."
        )
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d] if input.dim() else 1
    bad = _bad_indices(index, -size, size)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return apply(_index_fill, input, index, value, axis=d)


@tensor_op(inplace=True)
def index_reduce(
    input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self=True
) -> Tensor:
    """``input`` with ``source``'s slices reduced (``'prod'``, ``'mean'``, ``'amax'``,
    ``'amin'``) into the positions ``index`` along ``dim``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    _index_vector(index, "index_reduce_")
    d = _wrap_dim(dim, input.dim())
    _check_source(input, d, index, source, "index_reduce_")
    shape = [1] * source.dim()
    shape[d] = -1
    full = index.reshape(shape).expand(tuple(source.shape))
    return scatter_reduce(input, d, full, source, reduce, include_self=include_self)


# -- masks ----------------------------------------------------------------------------------------


def _check_mask(mask: Tensor, op: str) -> None:
    if mask.dtype is not D.bool:
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype "
            f"{_DTYPE_C.get(mask.dtype.name, mask.dtype.name)}"
        )


def _masked_fill(x, mask, value):
    return jnp.where(mask, jnp.asarray(value).astype(x.dtype), x)


def _masked_fill_t(x, mask, value):
    return _masked_fill(x, mask, value)


_masked_fill.backward_name = "MaskedFillBackward0"
_masked_fill_t.backward_name = "MaskedFillBackward1"


@tensor_op(inplace=True)
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-dim tensor) where ``mask`` (bool, broadcast
    with ``input``) is True."""
    _check_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.dim()} dimension(s)."
            )
        return apply(_masked_fill_t, input, mask, value)
    return apply(_masked_fill, input, mask, value)


def _masked_scatter(x, mask, source):
    x, mask = jnp.broadcast_arrays(x, mask)
    if source.size == 0:
        return x
    m = mask.reshape(-1)
    pos = jnp.clip(jnp.cumsum(m) - 1, 0, source.size - 1)
    vals = source.reshape(-1)[pos].astype(x.dtype)
    return jnp.where(m, vals, x.reshape(-1)).reshape(x.shape)


@tensor_op(inplace=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the elements of ``source``, in order, copied where ``mask`` is True."""
    _check_mask(mask, "masked_scatter_")
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "masked_scatter_: expected self and source to have same dtypes but got "
            f"{_type_title(input.dtype)} and {_type_title(source.dtype)}"
        )
    mv = mask._value
    if not _is_tracer(mv):
        full = np.broadcast_to(np.asarray(mv), np.broadcast_shapes(mv.shape, tuple(input.shape)))
        if int(full.sum()) > source.numel():
            raise RuntimeError("Number of elements of source < number of ones in mask")
    return apply(_masked_scatter, input, mask, source)


def _masked_select(x, *idx, shape):
    return jnp.broadcast_to(x, shape)[idx]


_masked_select.backward_name = "MaskedSelectBackward0"


@tensor_op
def masked_select(input: Tensor, mask: Tensor, *, out=None) -> Tensor:
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, as a 1-D tensor."""
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    mv = mask._value
    if _is_tracer(mv):
        raise RuntimeError(
            "masked_select() inside a compiled function has a data-dependent output shape that "
            "XLA cannot compile; use torch.where(mask, input, 0) instead"
        )
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(mask.shape)))
    idx = np.nonzero(np.broadcast_to(np.asarray(mv), shape))
    return _out(apply(_masked_select, input, *idx, shape=shape), out, "masked_select")


# -- flat indexing ----------------------------------------------------------------------------------


def _check_flat_bounds(index: Tensor, n: int) -> None:
    v = index._value
    if _is_tracer(v) or not index.numel():
        return
    a = np.asarray(v)
    bad = a[(a < -n) | (a >= n)]
    if bad.size:
        raise IndexError(
            f"out of range: tried to access index {int(bad.flat[0])} on a tensor of {n} elements."
        )


def _take(x, index):
    return x.reshape(-1)[index]


@tensor_op
def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` read as 1-D at ``index`` (negative indices count from the end); the result has
    ``index``'s shape."""
    if index.dtype.name != "int64":
        raise RuntimeError(
            f"take(): Expected a long tensor for index, but got {_type_title(index.dtype)}"
        )
    _check_flat_bounds(index, input.numel())
    return apply(_take, input, index)


def _take_along(x, index, *, axis):
    if axis is None:
        return x.reshape(-1)[index.reshape(-1)]
    return jnp.take_along_axis(x, index, axis=axis)


_take_along.backward_name = "GatherBackward0"


@tensor_op
def take_along_dim(input: Tensor, indices: Tensor, dim=None, *, out=None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (both broadcast apart from ``dim``), or
    of the flattened ``input`` at the flattened ``indices`` when ``dim`` is None."""
    if indices.dtype.name != "int64":
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{_type_title(indices.dtype)}"
        )
    if dim is None:
        return _out(apply(_take_along, input, indices, axis=None), out, "take_along_dim")
    if input.dim() != indices.dim():
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.dim()} dimensions for input, and {indices.dim()} "
            "dimensions for indices"
        )
    result = apply(_take_along, input, indices, axis=_wrap_dim(dim, input.dim()))
    return _out(result, out, "take_along_dim")


def _put_flat(x, index, source, *, accumulate):
    flat = x.reshape(-1)
    idx = index.reshape(-1)
    src = source.reshape(-1).astype(x.dtype)
    if accumulate:
        out = flat.at[idx].add(src)
    else:
        out = _scatter_set((_A,), flat, src, idx)
    return out.reshape(x.shape)


_put_flat.backward_name = "PutBackward0"


@tensor_op(inplace=True)
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` (read as 1-D) with ``source``'s elements written (or added) at ``index``."""
    if index.dtype.name != "int64":
        raise RuntimeError(
            f"put_(): Expected a long tensor for index, but got {_type_title(index.dtype)}"
        )
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_type_title(input.dtype)} and source.dtype = {_type_title(source.dtype)}"
        )
    if source.numel() != index.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    _check_flat_bounds(index, input.numel())
    return apply(_put_flat, input, index, source, accumulate=bool(accumulate))


# -- nonzero --------------------------------------------------------------------------------------


def _nonzero_np(a):
    return np.stack(np.nonzero(a), axis=1) if np.ndim(a) else np.zeros((int(bool(a)), 0), np.int64)


@tensor_op
def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or one tensor per dimension."""
    v = input._value
    if _is_tracer(v):
        raise RuntimeError(
            "nonzero() inside a compiled function has a data-dependent output shape that XLA "
            "cannot compile; use torch.nonzero_static(input, size=...) or torch.where(cond, a, b)"
        )
    a = np.asarray(v)
    if as_tuple:
        idx = np.nonzero(a) if a.ndim else (np.zeros(int(bool(a)), np.int64),)
        return tuple(Tensor._make(jnp.asarray(i, jnp.int64)) for i in idx)
    return _out(Tensor._make(jnp.asarray(_nonzero_np(a), jnp.int64)), out, "nonzero")


@tensor_op
def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


def _nonzero_static(x, *, size, fill_value):
    if x.ndim == 0:
        return jnp.zeros((size, 0), jnp.int64)
    idx = jnp.nonzero(x, size=size, fill_value=fill_value)
    return jnp.stack(idx, axis=1).astype(jnp.int64)


@tensor_op
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """The first ``size`` rows of ``nonzero(input)``, padded with ``fill_value``: a fixed output
    shape, so it works inside compiled functions."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    return apply(_nonzero_static, input, size=int(size), fill_value=int(fill_value))
