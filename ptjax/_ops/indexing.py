"""Indexing: ``tensor[key]`` and ``tensor[key] = value`` with torch's rules.

Basic indexing (ints, slices, None, Ellipsis) gives a view, so writes through it reach the base.
Advanced indexing (integer or boolean tensors, lists, arrays) gives a copy. A key is split into
a hashable template (the static part of the compile-cache key) and the index arrays, which are
passed as dynamic arguments.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._tensor import Tensor

__all__ = ["nonzero"]

_ARRAY = "array"  # placeholder in a key template for a dynamic index array


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _split_key(key, shape: tuple):
    """Return (template, arrays, is_basic) for an indexing key on a tensor of ``shape``."""
    if not isinstance(key, tuple):
        key = (key,)
    template, arrays = [], []
    basic = True
    # count the dims the key consumes, to place Ellipsis and check int bounds
    consumed = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if isinstance(k, Tensor) and k.dtype is D.bool:
            consumed += k.dim()
        elif isinstance(k, np.ndarray) and k.dtype == np.bool_:
            consumed += k.ndim
        else:
            consumed += 1
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    for k in key:
        if k is Ellipsis:
            template.append(("ellipsis",))
            dim += len(shape) - consumed
        elif k is None:
            template.append(("none",))
        elif isinstance(k, bool):
            basic = False
            arrays.append(np.asarray(k))
            template.append((_ARRAY,))
        elif isinstance(k, int | np.integer) or (
            isinstance(k, Tensor)
            and k.dim() == 0
            and k.dtype.kind == 1
            and not _is_tracer(k._value)
        ):
            i = int(k)
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            template.append(("int", i % size))
            dim += 1
        elif isinstance(k, slice):
            start, stop, step = (_int_or_none(v) for v in (k.start, k.stop, k.step))
            if step is not None and step <= 0:
                raise ValueError("step must be greater than zero")
            template.append(("slice", start, stop, step))
            dim += 1
        else:
            basic = False
            if isinstance(k, Tensor):
                v = k._value
            elif isinstance(k, list | tuple | range):
                v = np.asarray(_unwrap_list(k))
                if v.dtype == np.float64 and v.size == 0:
                    v = v.astype(np.int64)
            else:
                v = k
            dt = np.dtype(v.dtype)
            if dt == np.bool_:
                dim += v.ndim
            else:
                if dt.kind not in "iu":
                    raise IndexError(
                        "tensors used as indices must be long, int, byte or bool tensors"
                    )
                if not _is_tracer(v) and np.size(v):
                    size = shape[dim]
                    a = np.asarray(v)
                    bad = a[(a < -size) | (a >= size)]
                    if bad.size:
                        raise IndexError(
                            f"index {int(bad.flat[0])} is out of bounds for dimension {dim} "
                            f"with size {size}"
                        )
                dim += 1
            arrays.append(v)
            template.append((_ARRAY,))
    return tuple(template), arrays, basic


def _unwrap_list(k):
    return [
        _unwrap_list(x)
        if isinstance(x, list | tuple)
        else (x.item() if isinstance(x, Tensor) else x)
        for x in k
    ]


def _int_or_none(v):
    if v is None:
        return None
    return int(v)


def _build_key(template, arrays):
    it = iter(arrays)
    key = []
    for t in template:
        kind = t[0]
        if kind == "int":
            key.append(t[1])
        elif kind == "slice":
            key.append(slice(t[1], t[2], t[3]))
        elif kind == "none":
            key.append(None)
        elif kind == "ellipsis":
            key.append(Ellipsis)
        else:
            key.append(next(it))
    return tuple(key)


def _basic_index(x, *, template):
    return x[_build_key(template, ())]


_basic_index.backward_name = "SliceBackward0"


def _advanced_index(x, *arrays, template):
    return x[_build_key(template, arrays)]


_advanced_index.backward_name = "IndexBackward0"


def _concretize_masks(arrays):
    """Boolean masks become integer indices eagerly (their result's shape depends on values)."""
    out = []
    for a in arrays:
        if np.dtype(a.dtype) == np.bool_ and np.ndim(a) > 0:
            if _is_tracer(a):
                raise IndexError(
                    "boolean mask indexing inside a compiled function gives a result whose "
                    "shape depends on the data, which XLA cannot compile; use torch.where(mask, "
                    "x, other) or masked_fill instead"
                )
            out.extend(np.nonzero(np.asarray(a)))
        else:
            out.append(a)
    return out


def _expand_template(template, arrays):
    """Replace each boolean-mask slot by as many integer slots as the mask has dimensions."""
    new, it = [], iter(arrays)
    for t in template:
        if t[0] == _ARRAY:
            a = next(it)
            if np.dtype(a.dtype) == np.bool_ and np.ndim(a) > 0:
                new.extend([(_ARRAY,)] * np.ndim(a))
                continue
        new.append(t)
    return tuple(new)


def getitem(self: Tensor, key) -> Tensor:
    template, arrays, basic = _split_key(key, tuple(self.shape))
    if basic:
        from ptjax._ops.shape import view_op

        return view_op(self, _basic_index, template=template)
    template = _expand_template(template, arrays)
    arrays = _concretize_masks(arrays)
    return apply(_advanced_index, self, *arrays, template=template)


def _index_put(x, value, *arrays, template, accumulate):
    value = value.astype(x.dtype)
    key = _build_key(template, arrays)
    if accumulate:
        return x.at[key].add(value)
    return x.at[key].set(value)


_index_put.backward_name = "IndexPutBackward0"


def _mask_put(x, mask, value):
    mask = mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim))
    return jnp.where(mask, value.astype(x.dtype), x)


_mask_put.backward_name = "MaskedFillBackward0"


def setitem(self: Tensor, key, value) -> None:
    template, arrays, basic = _split_key(key, tuple(self.shape))
    if not isinstance(value, Tensor):
        value = Tensor._make(jnp.asarray(value, dtype=self.dtype.np))
    if (
        len(arrays) == 1
        and len(template) == 1
        and np.dtype(arrays[0].dtype) == np.bool_
        and _is_tracer(arrays[0])
        and value.numel() == 1
    ):
        new = apply(_mask_put, self, arrays[0], value.reshape(()))
    else:
        template = _expand_template(template, arrays)
        arrays = _concretize_masks(arrays)
        new = apply(_index_put, self, value, *arrays, template=template, accumulate=False)
    self._assign(new)


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


def _nonzero_np(a):
    return np.stack(np.nonzero(a), axis=1) if np.ndim(a) else np.zeros((int(bool(a)), 0), np.int64)


@tensor_op
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or one tensor per dimension."""
    v = input._value
    if _is_tracer(v):
        raise RuntimeError(
            "nonzero() inside a compiled function has a data-dependent output shape that XLA "
            "cannot compile; use torch.where(cond, a, b) or a mask multiply instead"
        )
    a = np.asarray(v)
    if as_tuple:
        idx = np.nonzero(a) if a.ndim else (np.zeros(int(bool(a)), np.int64),)
        return tuple(Tensor._make(jnp.asarray(i, jnp.int64)) for i in idx)
    return Tensor._make(jnp.asarray(_nonzero_np(a), jnp.int64))
