"""Collation: merge a list of samples into a batch (``default_collate``), or convert one sample
(``default_convert``), with torch's rules.

Work stays on the host until the batch is complete. The recursion builds the batch with its
tensors as ``HostTensor`` placeholders (numpy arrays, stacked in numpy); ``materialize`` then
moves every placeholder of the batch to the device in one ``jax.device_put`` call. Worker
processes send the unmaterialized batch, so they never need the JAX runtime for it.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import jax
import numpy as np

from ptjax import _dtype as D
from ptjax._tensor import Tensor

__all__ = [
    "collate",
    "collate_tensor_fn",
    "collate_numpy_array_fn",
    "collate_numpy_scalar_fn",
    "collate_float_fn",
    "collate_int_fn",
    "collate_str_fn",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


class HostTensor:
    """A batch tensor still in host memory: a numpy array that ``materialize`` turns into a
    Tensor."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __reduce__(self):
        return (HostTensor, (self.array,))

    def __repr__(self) -> str:
        return f"HostTensor({self.array!r})"


class StackedSamples(collections.abc.Sequence):
    """Samples fetched together (``TensorDataset.__getitems__``), kept as one stacked array per
    field: ``default_collate`` takes the arrays as they are; indexing gives sample ``i`` as the
    tuple of Tensors ``dataset[i]`` returns."""

    __slots__ = ("arrays",)

    def __init__(self, arrays: list) -> None:
        self.arrays = arrays

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return tuple(Tensor._make(jax.numpy.asarray(a[i])) for a in self.arrays)

    def __repr__(self) -> str:
        return repr(list(self))

    def __reduce__(self):
        return (StackedSamples, (self.arrays,))


# -- materialize: placeholders -> Tensors, one device transfer per batch -------------------------


def _collect(obj, out: list, tensors: bool) -> None:
    if type(obj) is HostTensor:
        out.append(obj.array)
    elif isinstance(obj, Tensor):
        if tensors and not obj.requires_grad:
            out.append(obj._value)
    elif isinstance(obj, list | tuple):
        for x in obj:
            _collect(x, out, tensors)
    elif isinstance(obj, collections.abc.Mapping):
        for x in obj.values():
            _collect(x, out, tensors)


def _substitute(obj, values, tensors: bool, device):
    # Placeholders live in containers the collation just built: lists and mutable mappings are
    # updated in place. Moving a user's batch (tensors=True) fills shallow copies instead.
    # Tuples (and namedtuples) are rebuilt.
    if type(obj) is HostTensor:
        return Tensor._make(next(values))
    if isinstance(obj, Tensor):
        if not tensors:
            return obj
        # a tensor in an autograd graph moves with a recorded copy, as Tensor.to does
        if obj.requires_grad:
            return obj if device is None else obj.to(device)
        return Tensor._make(next(values))
    if isinstance(obj, list):
        out = copy.copy(obj) if tensors else obj
        for i, x in enumerate(obj):
            out[i] = _substitute(x, values, tensors, device)
        return out
    if isinstance(obj, tuple):
        items = [_substitute(x, values, tensors, device) for x in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, collections.abc.MutableMapping):
        out = copy.copy(obj) if tensors else obj
        for k in list(obj):
            out[k] = _substitute(obj[k], values, tensors, device)
        return out
    if isinstance(obj, collections.abc.Mapping):
        items = {k: _substitute(v, values, tensors, device) for k, v in obj.items()}
        try:
            return type(obj)(items)
        except TypeError:
            return items
    return obj


def _transfer(data, device, tensors: bool):
    arrays: list = []
    _collect(data, arrays, tensors)
    if not arrays:
        return data
    jdev = None
    if device is not None:
        from ptjax._device import as_device, to_jax_device

        jdev = to_jax_device(as_device(device))
    return _substitute(data, iter(jax.device_put(arrays, jdev)), tensors, device)


def materialize(data):
    """Replace every ``HostTensor`` in ``data`` by a Tensor on the default device,
    transferring all of them with one ``jax.device_put``."""
    if type(data) is HostTensor:
        return Tensor._make(jax.device_put(data.array))
    return _transfer(data, None, tensors=False)


def to_device(data, device):
    """``data`` with every Tensor (and ``HostTensor``) in it on ``device``, all started with one
    asynchronous ``jax.device_put``."""
    return _transfer(data, device, tensors=True)


# -- leaf collation, on the host --------------------------------------------------------------


def _checked_array(a) -> np.ndarray:
    a = np.asarray(a)
    D.from_numpy_dtype(a.dtype)  # torch's TypeError for dtypes a tensor cannot hold
    return a


def _stack(arrays: list, as_tensors) -> HostTensor:
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        from ptjax._ops.shape import stack

        stack(as_tensors())  # raises torch's "stack expects each tensor to be equal size" error
    return HostTensor(np.stack(arrays))


def _host_tensor_fn(batch, *, collate_fn_map=None):
    if any(t.requires_grad for t in batch):
        from ptjax._ops.shape import stack

        return stack(batch, 0)  # keep the autograd graph, as torch.stack does
    return _stack([np.asarray(t._value) for t in batch], lambda: batch)


def _host_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    arrays = [_checked_array(b) for b in batch]
    return _stack(arrays, lambda: [Tensor._make(jax.numpy.asarray(a)) for a in arrays])


def _host_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return HostTensor(_checked_array(batch))


def _host_float_fn(batch, *, collate_fn_map=None):
    return HostTensor(np.array(batch, dtype=np.float64))


def _host_int_fn(batch, *, collate_fn_map=None):
    # torch.tensor(batch): all bools -> bool, a float among ints -> the default float dtype
    from ptjax._ops.creation import _infer_dtype

    return HostTensor(np.array(batch, dtype=_infer_dtype(list(batch)).np))


# The public leaf functions return Tensors, as torch's do; inside a collation the host
# versions run instead so the whole batch moves to the device at once.
def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack a batch of tensors along a new first dimension."""
    return materialize(_host_tensor_fn(batch))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """Stack a batch of numpy arrays into one tensor."""
    return materialize(_host_numpy_array_fn(batch))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """A 1-D tensor of numpy scalars (their dtype kept)."""
    return materialize(_host_numpy_scalar_fn(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """A float64 tensor of Python floats."""
    return materialize(_host_float_fn(batch))


def collate_int_fn(batch, *, collate_fn_map=None):
    """An int64 tensor of Python ints (bool for bools)."""
    return materialize(_host_int_fn(batch))


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes stay as they are."""
    return batch


_HOST = {
    collate_tensor_fn: _host_tensor_fn,
    collate_numpy_array_fn: _host_numpy_array_fn,
    collate_numpy_scalar_fn: _host_numpy_scalar_fn,
    collate_float_fn: _host_float_fn,
    collate_int_fn: _host_int_fn,
}

# Looked up by exact type first, then by isinstance in insertion order (np.float64 is a float
# subclass and must reach the numpy-scalar entry first).
default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


# -- the recursion ----------------------------------------------------------------------------


def _leaf_fn(elem, collate_fn_map):
    if collate_fn_map is None:
        return None
    fn = collate_fn_map.get(type(elem))
    if fn is None:
        for kind, f in collate_fn_map.items():
            if isinstance(elem, kind):
                fn = f
                break
    return _HOST.get(fn, fn)


def _collate(batch, collate_fn_map):
    if type(batch) is StackedSamples and _leaf_fn_is_default(collate_fn_map):
        return [HostTensor(a) for a in batch.arrays]  # a batch of tuples collates to a list
    elem = batch[0]
    fn = _leaf_fn(elem, collate_fn_map)
    if fn is not None:
        return fn(batch, collate_fn_map=collate_fn_map)
    elem_type = type(elem)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: _collate([d[key] for d in batch], collate_fn_map) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                out = copy.copy(elem)  # keeps the mapping's type and any extra attributes
                out.update(fields)
                return out
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(_collate(s, collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [_collate(s, collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # torch returns a list for tuples
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                out = copy.copy(elem)
                for i, c in enumerate(columns):
                    out[i] = c
                return out
            return elem_type(columns)
        except TypeError:
            return columns
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def _leaf_fn_is_default(collate_fn_map) -> bool:
    return collate_fn_map is not None and collate_fn_map.get(Tensor) is collate_tensor_fn


def _convert(data):
    data_type = type(data)
    if isinstance(data, Tensor):
        return data
    if data_type.__module__ == "numpy" and data_type.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return HostTensor(_checked_array(data))
    if isinstance(data, collections.abc.Mapping):
        fields = {key: _convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                out = copy.copy(data)
                out.update(fields)
                return out
            return data_type(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return data_type(*(_convert(d) for d in data))
    if isinstance(data, tuple):
        return [_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                out = copy.copy(data)
                for i, d in enumerate(data):
                    out[i] = _convert(d)
                return out
            return data_type([_convert(d) for d in data])
        except TypeError:
            return [_convert(d) for d in data]
    return data


# -- public entry points ----------------------------------------------------------------------


def collate_host(batch, collate_fn_map=None):
    """``collate`` with the batch's tensors left as ``HostTensor`` placeholders."""
    return _collate(batch, default_collate_fn_map if collate_fn_map is None else collate_fn_map)


def convert_host(data):
    """``default_convert`` with the tensors left as ``HostTensor`` placeholders."""
    return _convert(data)


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a list of samples) recursively; ``collate_fn_map`` maps element types
    to the functions that collate them (exact type first, then ``isinstance`` in order).

    Mappings collate key by key, namedtuples field by field, other sequences position by
    position (tuples give lists); an element type with no entry raises ``TypeError``.
    """
    return materialize(_collate(batch, collate_fn_map))


def default_collate(batch):
    """Merge a list of samples into a batch with a new first dimension of size ``len(batch)``.

    Tensors (and numpy arrays) of shape ``S`` stack to ``(B, *S)``; Python floats give a
    float64 tensor ``(B,)``, ints an int64 one (bools a bool one), numpy scalars keep their
    dtype; str and bytes stay a list; dicts, namedtuples, tuples and lists collate element by
    element (tuples become lists). Example: ``default_collate([(0, 'a'), (1, 'b')])`` is
    ``[tensor([0, 1]), ('a', 'b')]``.
    """
    return materialize(_collate(batch, default_collate_fn_map))


def default_convert(data):
    """Convert numpy arrays and numpy scalars in ``data`` to tensors, leaving everything else
    (numbers, strings, numpy string/object arrays) as it is; containers convert element-wise.
    Used instead of ``default_collate`` when automatic batching is off (``batch_size=None``)."""
    return materialize(_convert(data))


def host_variant(collate_fn):
    """The placeholder-producing form of ``collate_fn`` when it is ``default_collate`` or
    ``default_convert`` (the batch must then go through ``materialize``), else None."""
    if collate_fn is default_collate:
        return collate_host
    if collate_fn is default_convert:
        return convert_host
    return None
