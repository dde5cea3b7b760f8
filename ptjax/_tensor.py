"""torch.Tensor: a box around one JAX value (an Array, or a tracer inside jax.jit) plus autograd
metadata.

In-place operations rebind the box to a new value. A view (``x[0]``, ``x.view(-1)``,
``x.t()``, ``p.data``) remembers its root tensor and the chain of view functions that produce it;
an in-place change to a view is written back into the root through that chain, and a view
whose root changed recomputes itself the next time it is read. That is how writes through views
reach the base tensor although JAX arrays are immutable.
"""

from __future__ import annotations

import builtins
import copy as _copy
import functools
import math
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax import autograd as _autograd
from ptjax._device import as_device, from_jax_device, to_jax_device
from ptjax._device import device as Device
from ptjax.autograd import graph as _graph
from ptjax.autograd.grad_mode import state as _grad_state

__all__ = ["Tensor", "Size", "is_tensor"]


class Size(tuple):
    """torch.Size: the shape of a tensor, a tuple of ints."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = super().__getitem__(item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


def is_tensor(obj) -> bool:
    """True if ``obj`` is a ptjax Tensor."""
    return isinstance(obj, Tensor)


_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_LEAF_INPLACE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
_MULTI_VIEW_INPLACE = (
    " is a view and is being modified inplace. This view is the output of a function that returns "
    "multiple views. Such functions do not allow the output views to be modified inplace. You "
    "should replace the inplace operation by an out-of-place one."
)


class Tensor:
    """A multi-dimensional array with PyTorch's API and autograd, backed by a JAX value.

    ``Tensor(data)`` builds a default-dtype tensor from data, ``Tensor(*sizes)`` an
    uninitialised (zero-filled) one, as the legacy torch constructor does.
    """

    # class-level defaults keep creation cheap: an op result sets only what differs
    _base = None  # the root tensor this one is a view of
    _vfn = ()  # view chain: ((impl, static_items), ...) from the root's value to this value
    _vver = 0  # root version this view's value was computed at
    _alias = False  # a detached alias of the root (.data / .detach()): writes bypass autograd
    _multi = None  # "Output i of Op" on views from multi-output view ops (split, unbind)
    _ver = 0  # version counter (bumped by in-place ops); views share their root's
    _dw = 0  # writes through .data: they bump _ver (views refresh) but not autograd's version
    _data = False  # an alias made by .data (torch gives it its own version counter)
    _leaf_hooks = None  # [(0, hook)] gradient hooks of a leaf, run by its AccumulateGrad
    _post_acc_hooks = None  # hooks run after the gradient is accumulated into this leaf
    _rg = False
    _grad_fn = None
    _out_nr = 0
    _grad = None
    _grad_acc = None
    _hooks_retain = None
    _is_param = False
    __array_priority__ = 1000

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, device=None, dtype=None) -> None:
        from ptjax._ops.creation import _legacy_constructor_value

        self._val = _legacy_constructor_value(args, dtype, device)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _register_pytree(cls)

    @classmethod
    def _make(cls, value, requires_grad: bool = False) -> Tensor:
        t = object.__new__(Tensor)
        t._val = value
        if requires_grad:
            t._rg = True
        return t

    # -- the value, and views ------------------------------------------------------------------

    @property
    def _value(self):
        base = self._base
        if base is not None and self._vver != base._ver:
            self._refresh_view()
        return self._val

    def _refresh_view(self) -> None:
        base = self._base
        if self._alias:
            self._val = _apply_chain(base._value, self._vfn)
        else:
            from ptjax._dispatch import apply

            t = base
            for impl, static in self._vfn:
                t = apply(impl, t, **dict(static))
            self._val, self._grad_fn, self._out_nr = t._val, t._grad_fn, t._out_nr
            self._rg = t._rg
        self._vver = base._ver

    def _as_view_of(self, parent: Tensor, impl, static: dict) -> Tensor:
        """Mark this (fresh op result) as a view of ``parent`` produced by ``impl(**static)``."""
        root = parent._base if parent._base is not None else parent
        self._base = root
        self._vfn = parent._vfn + ((impl, tuple(static.items())),)
        self._vver = root._ver
        if parent._alias:
            self._alias = True
            if parent._data:
                self._data = True
        return self

    def _alias_of(self, data: bool = False) -> Tensor:
        """A detached tensor sharing this one's data (``.data`` with ``data``, ``.detach()``)."""
        t = Tensor._make(self._value)
        root = self._base if self._base is not None else self
        t._base = root
        t._vfn = self._vfn
        t._vver = root._ver
        t._alias = True
        if data:
            t._data = True
        return t

    @property
    def _version(self) -> int:
        """autograd's version counter: in-place changes since creation (not via ``.data``)."""
        root = self._base if self._base is not None else self
        return root._ver - root._dw

    def _assign(self, new: Tensor) -> Tensor:
        """Complete an in-place op: ``new`` (computed out of place) becomes this tensor's value."""
        if new.shape != self.shape:
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(new.shape)}"
            )
        if new.dtype is not self.dtype:
            if not D.can_cast(new.dtype, self.dtype):
                raise RuntimeError(
                    f"result type {_type_title(new.dtype)} can't be cast to the desired output "
                    f"type {_type_title(self.dtype)}"
                )
            new = new.to(self.dtype)
        recording = _grad_state.enabled
        base = self._base
        root = base if base is not None else self
        root_fn = root._grad_fn  # before the write: it may have saved root as its output
        if recording:
            if self._rg and self._grad_fn is None and base is None:
                raise RuntimeError(_LEAF_INPLACE)
            if self._multi and base is not None and not self._alias and (base._rg or new._rg):
                raise RuntimeError(self._multi + _MULTI_VIEW_INPLACE)
            if base is not None and not self._alias and base._rg and base._grad_fn is None:
                raise RuntimeError(_VIEW_LEAF_INPLACE)
        if base is None:
            self._val = new._val
            if new._grad_fn is not None or (recording and self._grad_fn is not None):
                self._grad_fn, self._out_nr, self._rg = new._grad_fn, new._out_nr, new._rg
            self._ver += 1
            if getattr(root_fn, "saved", None):
                _graph.note_inplace(root_fn, self)
            if getattr(new._grad_fn, "saved", None):
                _graph.resave_after_inplace(new._grad_fn, new, self)
            return self
        if self._alias or not (recording and (base._rg or new._rg)):
            base._val = _write_view_value(base._value, new._val, self._vfn)
        else:
            from ptjax._dispatch import apply

            merged = apply(_write_view, base, new, chain=self._vfn)
            base._val, base._grad_fn, base._out_nr = merged._val, merged._grad_fn, merged._out_nr
            base._rg = merged._rg
        base._ver += 1
        if self._data:
            base._dw += 1
        self._val = new._val
        if not self._alias:
            self._grad_fn, self._out_nr, self._rg = new._grad_fn, new._out_nr, new._rg
        self._vver = base._ver
        if getattr(root_fn, "saved", None):
            _graph.note_inplace(root_fn, base)
        if getattr(new._grad_fn, "saved", None):
            _graph.resave_after_inplace(new._grad_fn, new, self)
        return self

    # -- autograd ------------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether autograd records operations on this tensor."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = builtins.bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        """The Node that created this tensor (None for leaves)."""
        if self._base is not None:
            self._value  # noqa: B018 - refresh a stale view first
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors not created by a recorded operation."""
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until then)."""
        if self._grad_fn is not None and self._hooks_retain is None:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad "
                    f"of type {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    def _edge(self):
        if self._base is not None:
            self._value  # noqa: B018
        if self._grad_fn is not None:
            return (self._grad_fn, self._out_nr)
        return (_graph.accumulator_for(self), 0)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Compute the gradient of this tensor w.r.t. graph leaves, accumulating into ``.grad``."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            # a leaf keeps its hooks itself: its AccumulateGrad node is only weakly held
            if self._leaf_hooks is None:
                self._leaf_hooks = []
            entry = (0, hook)
            self._leaf_hooks.append(entry)
            return _graph._RemovableHandle(self._leaf_hooks, entry)
        node, nr = self._edge()
        return node._add_pre_hook(nr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after the gradient is accumulated into this leaf's ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _graph._RemovableHandle(self._post_acc_hooks, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._hooks_retain is not None:
            return
        ref = weakref.ref(self)

        def store(grad):
            t = ref()
            if t is not None:
                g = grad.detach() if not grad._rg or not _grad_state.enabled else grad
                t._grad = g if t._grad is None else t._grad + g
            return None

        self._hooks_retain = self.register_hook(store)

    @property
    def retains_grad(self) -> bool:
        return self._hooks_retain is not None

    def detach(self) -> Tensor:
        """A new tensor sharing this one's data, cut out of the graph."""
        return self._alias_of()

    def detach_(self) -> Tensor:
        """Cut this tensor out of the graph in place."""
        self._grad_fn = None
        self._rg = False
        return self

    @property
    def data(self) -> Tensor:
        """The tensor's data without autograd history; in-place changes reach this tensor."""
        return self._alias_of(data=True)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._val = value._value if isinstance(value, Tensor) else jnp.asarray(value)
        if self._base is None:
            self._ver += 1  # views of this tensor recompute; autograd's version is unchanged
            self._dw += 1

    # -- properties -----------------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        return Size(self._value.shape)

    def size(self, dim: int | None = None):
        """The shape as a ``torch.Size``, or one dimension's size."""
        shape = self._value.shape
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))]

    def dim(self) -> int:
        """Number of dimensions."""
        return len(self._value.shape)

    ndimension = dim

    @property
    def ndim(self) -> int:
        return len(self._value.shape)

    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self._value.shape)

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return D.of_np(self._value.dtype)

    @property
    def device(self) -> Device:
        v = self._value
        if isinstance(v, jax.core.Tracer):
            return from_jax_device(jax.devices()[0])
        try:
            (jdev,) = v.devices()
        except (AttributeError, ValueError):
            return from_jax_device(jax.devices()[0])
        return from_jax_device(jdev)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def layout(self):
        return "torch.strided"

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return False

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements lie in row-major order in the base's memory, as in torch
        (a tensor that is not a view always does; ``x.t()`` does not)."""
        if self._base is None:
            return True
        from ptjax._ops.shape import view_is_contiguous

        return view_is_contiguous(self)

    def stride(self, dim: int | None = None):
        """The strides torch would have: row-major, or a view's layout in its base."""
        shape = self._value.shape
        if self._base is None:
            strides, acc = [], 1
            for s in reversed(shape):
                strides.append(acc)
                acc *= max(s, 1)
            strides = tuple(reversed(strides))
        else:
            from ptjax._ops.shape import view_layout

            strides = view_layout(self)[0]
        return strides if dim is None else strides[_wrap_dim(dim, len(shape))]

    def storage_offset(self) -> int:
        if self._base is None:
            return 0
        from ptjax._ops.shape import view_layout

        return view_layout(self)[1]

    def data_ptr(self) -> int:
        return id(self._value)

    def get_device(self) -> int:
        d = self.device
        return -1 if d.type == "cpu" else (d.index or 0)

    # -- conversion -----------------------------------------------------------------------------

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar"
            )
        v = self._value
        if isinstance(v, jax.core.Tracer):
            from ptjax._errors import traced_value_error

            raise traced_value_error("Tensor.item()")
        return np.asarray(v).reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self._concrete("Tensor.tolist()").tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a numpy array (a copy: JAX arrays are immutable)."""
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return np.array(self._concrete("Tensor.numpy()"))

    def _concrete(self, what: str) -> np.ndarray:
        v = self._value
        if isinstance(v, jax.core.Tracer):
            from ptjax._errors import traced_value_error

            raise traced_value_error(what)
        return np.asarray(v)

    def __array__(self, dtype=None, copy=None):
        a = self._concrete("numpy.asarray(tensor)")
        return a.astype(dtype) if dtype is not None else a

    def __jax_array__(self):
        return self._value

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype and/or device: ``to(dtype)``, ``to(device, dtype)``, ``to(other)``."""
        dtype, device, copy = _parse_to(args, kwargs)
        out = self
        if dtype is not None and dtype is not self.dtype:
            out = _convert(out, dtype)
        if device is not None and device != self.device:
            out = _move(out, device)
        if copy and out is self:
            out = _convert(self, self.dtype)
        return out

    def type(self, dtype=None, non_blocking: bool = False):
        """With no argument, the torch type string (``'torch.FloatTensor'``); else ``to(dtype)``."""
        if dtype is None:
            return "torch." + D.type_title(self.dtype) + "Tensor"
        if isinstance(dtype, str):
            dtype = _TYPE_STRINGS[dtype]
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """Convert to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(D.float32)

    def double(self) -> Tensor:
        return self.to(D.float64)

    def half(self) -> Tensor:
        return self.to(D.float16)

    def bfloat16(self) -> Tensor:
        return self.to(D.bfloat16)

    def long(self) -> Tensor:
        return self.to(D.int64)

    def int(self) -> Tensor:
        return self.to(D.int32)

    def short(self) -> Tensor:
        return self.to(D.int16)

    def char(self) -> Tensor:
        return self.to(D.int8)

    def byte(self) -> Tensor:
        return self.to(D.uint8)

    def bool(self) -> Tensor:
        return self.to(D.bool)

    def cfloat(self) -> Tensor:
        return self.to(D.complex64)

    def cdouble(self) -> Tensor:
        return self.to(D.complex128)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        return self.to(
            Device("cuda", device if isinstance(device, builtins.int) else None)
            if not isinstance(device, str | Device)
            else device
        )

    def contiguous(self, memory_format=None) -> Tensor:
        """Self if it is contiguous, else a row-major copy (so writes no longer reach a base)."""
        return self if self.is_contiguous() else self.clone()

    def pin_memory(self) -> Tensor:
        return self

    def is_pinned(self) -> bool:
        return False

    def share_memory_(self) -> Tensor:
        return self

    # -- Python protocols -----------------------------------------------------------------------

    def __repr__(self, *, tensor_contents=None) -> str:
        from ptjax._tensor_str import tensor_repr

        return tensor_repr(self)

    def __format__(self, format_spec: str) -> str:
        if self._value.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __bool__(self) -> builtins.bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'more than one value' if self.numel() else 'no values'}"
                " is ambiguous"
            )
        if isinstance(self._value, jax.core.Tracer):
            from ptjax._errors import traced_value_error

            raise traced_value_error("bool(tensor) (a Python `if`/`while` on a tensor value)")
        return builtins.bool(self.item())

    def _scalar(self):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> builtins.float:
        return builtins.float(self._scalar())

    def __int__(self) -> builtins.int:
        return builtins.int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __index__(self) -> builtins.int:
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __len__(self) -> builtins.int:
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reversed__(self):
        return self if self._value.ndim == 0 else self.flip(0)

    def __contains__(self, element) -> builtins.bool:
        if not isinstance(element, Tensor | builtins.int | builtins.float | complex):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        return builtins.bool(jnp.any((self == element)._value))

    def __hash__(self) -> builtins.int:
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (np.asarray(self._value), self._rg, type(self)))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                "because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        new = object.__new__(type(self))
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            if k in _NOT_DEEPCOPIED:
                continue
            new.__dict__[k] = _copy.deepcopy(v, memo)
        new._val = self._value  # JAX arrays are immutable: sharing is a copy
        return new

    def __copy__(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __dlpack__(self, *args, **kwargs):
        return self._value.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._value.__dlpack_device__()


_NOT_DEEPCOPIED = frozenset(
    ("_base", "_vfn", "_vver", "_alias", "_data", "_dw", "_grad_acc", "_hooks_retain")
    + ("_leaf_hooks", "_post_acc_hooks", "_multi")
)


def _rebuild_tensor(array, requires_grad, cls=Tensor):
    t = object.__new__(cls)
    t._val = jnp.asarray(array)
    t._rg = requires_grad
    return t


_TYPE_STRINGS = {
    "torch.FloatTensor": D.float32,
    "torch.DoubleTensor": D.float64,
    "torch.HalfTensor": D.float16,
    "torch.BFloat16Tensor": D.bfloat16,
    "torch.LongTensor": D.int64,
    "torch.IntTensor": D.int32,
    "torch.ShortTensor": D.int16,
    "torch.CharTensor": D.int8,
    "torch.ByteTensor": D.uint8,
    "torch.BoolTensor": D.bool,
}


def _type_title(d: D.dtype) -> str:
    return D.type_title(d)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n if ndim else 0


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, str | Device | builtins.int):
            device = a
        elif a is None:
            continue
        elif isinstance(a, builtins.bool):
            continue  # non_blocking / copy passed positionally
        else:
            dtype = D.to_dtype(a)
    if dtype is not None:
        dtype = D.to_dtype(dtype)
    return dtype, as_device(device), copy


def _astype(x, *, dtype):
    if jnp.issubdtype(x.dtype, jnp.complexfloating) and not jnp.issubdtype(
        dtype, jnp.complexfloating
    ):
        x = jnp.real(x)
    return x.astype(dtype)


_astype.backward_name = "ToCopyBackward0"


def _convert(t: Tensor, dtype: D.dtype) -> Tensor:
    from ptjax._dispatch import apply

    out = apply(_astype, t, dtype=dtype.np)
    if not (dtype.is_floating_point or dtype.is_complex) and out._rg:
        out._rg, out._grad_fn = False, None
    return out


def _to_device(x, *, device):
    return jax.device_put(x, device)


_to_device.backward_name = "ToCopyBackward0"


def _move(t: Tensor, device: Device) -> Tensor:
    jdev = to_jax_device(device)
    if isinstance(t._value, jax.core.Tracer):
        return t
    from ptjax._dispatch import apply

    if t._rg and _grad_state.enabled:
        return apply(_to_device, t, device=jdev)
    out = Tensor._make(jax.device_put(t._value, jdev))
    return out


def chain_positions(chain: tuple, shape: tuple) -> np.ndarray:
    """For each element of the view ``chain`` makes of a root of ``shape``, its position in the
    root's row-major buffer, counted in the view's own elements.

    A step whose impl has ``reinterprets_as`` (``view_as_real``/``view_as_complex``) changes
    the unit: complex element ``k`` is the pair of reals ``2k, 2k + 1``, as in torch's storage.
    """
    with jax.ensure_compile_time_eval():
        idx = jnp.arange(builtins.max(int(np.prod(shape)), 0), dtype=jnp.int64).reshape(shape)
        for impl, static in chain:
            unit = getattr(impl, "reinterprets_as", None)
            if unit == "real":
                idx = 2 * idx[..., None] + jnp.arange(2, dtype=jnp.int64)
            elif unit == "complex":
                # view_as_complex checked that each pair starts at an even real
                idx = idx[..., 0] // 2
            else:
                idx = impl(idx, **dict(static))
        return np.asarray(idx)


@functools.lru_cache(maxsize=1024)
def _view_index(chain: tuple, shape: tuple) -> np.ndarray:
    """For each element of the view, the flat index of the root element it shows."""
    idx = chain_positions(chain, shape)
    if np.unique(idx).size != idx.size:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    return idx


def _apply_chain(value, chain):
    for impl, static in chain:
        value = impl(value, **dict(static))
    return value


def _as_real_pairs(x):
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


def _write_view_value(root, new, chain):
    if not chain:
        return new.astype(root.dtype)
    idx = _view_index(chain, tuple(root.shape))
    root_complex = jnp.iscomplexobj(root)
    if root_complex == jnp.iscomplexobj(new):
        flat = root.reshape(-1).at[idx.reshape(-1)].set(new.reshape(-1).astype(root.dtype))
        return flat.reshape(root.shape)
    # a view_as_real/view_as_complex in the chain: write real pairs into the reals of the root
    if not root_complex:
        idx, new = 2 * idx[..., None] + np.arange(2), _as_real_pairs(new)
    reals = _as_real_pairs(root) if root_complex else root
    reals = reals.reshape(-1).at[idx.reshape(-1)].set(new.reshape(-1)).reshape(reals.shape)
    return jax.lax.complex(reals[..., 0], reals[..., 1]) if root_complex else reals


def _write_view(root, new, *, chain):
    return _write_view_value(root, new, chain)


_write_view.backward_name = "torch::autograd::CopySlices"


_INT_OPERAND = (D.int64, 2)
_BOOL_OPERAND = (D.bool, 2)


def promotion_signature(args) -> tuple:
    """``(dtype, category)`` of each operand, for torch's promotion rules (see ``_dtype``)."""
    sig = []
    for a in args:
        cls = a.__class__
        if cls is builtins.float:
            sig.append((D._default[0], 2))
        elif cls is builtins.int:
            sig.append(_INT_OPERAND)
        elif isinstance(a, Tensor):
            v = a._val if a._base is None else a._value
            sig.append((D.of_np(v.dtype), 0 if v.shape else 1))
        elif cls is builtins.bool:
            sig.append(_BOOL_OPERAND)
        elif isinstance(a, builtins.bool | builtins.int | builtins.float | complex):
            sig.append((D.scalar_dtype(a), 2))
        elif isinstance(a, np.ndarray | jax.Array | np.generic):
            sig.append((D._FROM_NP[np.dtype(a.dtype)], 0 if np.ndim(a) else 1))
    return tuple(sig)


def _flatten(t: Tensor):
    return (t._value,), t._rg


def _unflatten(cls):
    def unflatten(rg, children):
        t = object.__new__(cls)
        t._val = children[0]
        if rg:
            t._rg = True
        return t

    return unflatten


def _register_pytree(cls) -> None:
    jax.tree_util.register_pytree_node(cls, _flatten, _unflatten(cls))


_register_pytree(Tensor)
