"""Shape ops: reshaping, transposing, broadcasting, splitting, joining, flipping, diagonals.

Ops that are views in torch (view, reshape, flatten, unflatten, ravel, squeeze, unsqueeze,
permute, transpose, t, T, mT, movedim, view_as_real, view_as_complex, real, imag, expand,
broadcast_to, narrow, select, split, chunk, tensor_split, unbind, diagonal, unfold, atleast_*,
meshgrid) return views here too: each is a pure selection/reshape (or complex <-> real-pair reinterpretation) of
its input run through ``view_op``, so in-place changes through them reach the base tensor and a
view sees later in-place changes of its base.
"""

from __future__ import annotations

import builtins
import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import _backward_name, apply
from ptjax._errors import unsupported
from ptjax._ops._registry import alias, tensor_op
from ptjax._ops.pointwise import _out
from ptjax._tensor import (
    _LEAF_INPLACE,
    _VIEW_LEAF_INPLACE,
    Size,
    Tensor,
    _wrap_dim,
    chain_positions,
)
from ptjax.autograd.grad_mode import state as _grad_state

__all__ = [
    "reshape",
    "flatten",
    "unflatten",
    "ravel",
    "squeeze",
    "unsqueeze",
    "permute",
    "transpose",
    "t",
    "adjoint",
    "movedim",
    "view_as_real",
    "view_as_complex",
    "real",
    "imag",
    "expand_copy",
    "broadcast_to",
    "broadcast_tensors",
    "broadcast_shapes",
    "repeat_interleave",
    "tile",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
    "narrow",
    "narrow_copy",
    "select",
    "split",
    "chunk",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "unbind",
    "cat",
    "stack",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "tril",
    "triu",
    "diag",
    "diagonal",
    "diag_embed",
    "diagflat",
    "meshgrid",
    "as_strided",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
]


# -- the view machinery ---------------------------------------------------------------------------


def view_op(input: Tensor, impl, **static) -> Tensor:
    """Run a view function and mark its result as a view of ``input``."""
    out = apply(impl, input, **static)._as_view_of(input, impl, static)
    if input._multi:
        # a view of a split/unbind output inherits torch's ban on in-place changes
        out._multi = "Output 0 of " + _backward_name(impl).replace("Backward0", "")
    return out


def _multi_view(input: Tensor, impl, parts: list, multi: bool = True, **static) -> tuple:
    """Run ``impl`` (one output per part) in one dispatch and mark each output as a view.

    ``parts[i]`` is ``(view_impl, static)``, the single-output view function that recomputes
    output ``i`` from ``input`` (used to refresh it and to write through it). With ``multi``,
    in-place changes of the outputs while recording gradients are refused, as torch does for
    split/chunk/unbind.
    """
    if not parts:
        return ()
    outs = apply(impl, input, **static)
    name = _backward_name(impl).replace("Backward0", "")
    views = []
    for i, (o, (f, s)) in enumerate(zip(outs, parts)):
        o._as_view_of(input, f, s)
        if multi:
            o._multi = f"Output {i} of {name}"
        views.append(o)
    return tuple(views)


def _inplace_view(self: Tensor, out: Tensor) -> Tensor:
    """Make ``self`` become ``out``, a view of it with a new shape (``squeeze_``, ``t_``...)."""
    base = self._base
    if _grad_state.enabled:
        if self._rg and self._grad_fn is None and base is None:
            raise RuntimeError(_LEAF_INPLACE)
        if base is not None and not self._alias and base._rg and base._grad_fn is None:
            raise RuntimeError(_VIEW_LEAF_INPLACE)
    self._val = out._val
    if base is not None:
        self._vfn, self._vver = out._vfn, out._vver
    if out._grad_fn is not None:
        self._grad_fn, self._out_nr, self._rg = out._grad_fn, out._out_nr, out._rg
    return self


def _inplace_view_of(fn, name: str):
    def inplace(self, *args, **kwargs):
        return _inplace_view(self, fn(self, *args, **kwargs))

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"In-place version of :meth:`Tensor.{fn.__name__}` (changes the shape)."
    return inplace


def _sizes(shape) -> tuple:
    """torch's ``*size`` argument: ints, or one sequence (list, tuple, torch.Size) of ints."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    return tuple(_int(s) for s in shape)


def _int(v) -> int:
    if isinstance(v, Tensor):
        return int(v.item())
    return int(v)


def _dims(dims) -> tuple:
    return (dims,) if isinstance(dims, int) else tuple(_sizes(dims))


def _unique_dims(dims, ndim: int) -> tuple:
    dims = tuple(_wrap_dim(d, ndim) for d in dims)
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims


# -- reshaping ------------------------------------------------------------------------------------


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one ``-1`` in ``shape`` and check the element count, with torch's messages."""
    neg = None
    for i, s in enumerate(shape):
        if s == -1:
            if neg is not None:
                raise RuntimeError("only one dimension can be inferred")
            neg = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if neg is not None:
        if known == 0:
            if numel == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                    "unspecified dimension size -1 can be any value and is ambiguous"
                )
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape(x, *, shape):
    return jnp.reshape(x, shape)


_reshape.backward_name = "ViewBackward0"


def _alias(x):
    return x


_alias.backward_name = "AliasBackward0"


# -- memory layout of views ------------------------------------------------------------------------
# A view's elements lie in its root's row-major buffer at ``offset + sum(i_k * strides_k)``, as
# in torch. Reshaping a view is itself a view only where torch's stride rules allow it; otherwise
# ``reshape`` copies and ``view`` refuses, so writes reach the base exactly when they do in torch.


def _row_major(shape: tuple) -> tuple:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


@functools.lru_cache(maxsize=2048)
def _chain_layout(chain: tuple, root_shape: tuple) -> tuple:
    idx = chain_positions(chain, root_shape)
    if idx.size == 0:
        return _row_major(idx.shape), 0
    offset = int(idx.flat[0])
    strides = list(_row_major(idx.shape))
    for k, n in enumerate(idx.shape):
        if n > 1:
            strides[k] = int(idx[(0,) * k + (1,) + (0,) * (idx.ndim - k - 1)]) - offset
    return tuple(strides), offset


def view_layout(t: Tensor) -> tuple:
    """``(strides, storage_offset)`` of ``t`` in its root's row-major buffer."""
    if t._base is None:
        return _row_major(tuple(t.shape)), 0
    return _chain_layout(t._vfn, tuple(t._base.shape))


def view_is_contiguous(t: Tensor) -> bool:
    """torch's ``is_contiguous()``: row-major strides, ignoring dimensions of size 1."""
    if t._base is None or not t._vfn:
        return True
    shape = tuple(t.shape)
    if 0 in shape:
        return True
    strides = view_layout(t)[0]
    return all(a == b for n, a, b in zip(shape, strides, _row_major(shape)) if n != 1)


def _viewable(t: Tensor, new: tuple) -> bool:
    """Whether torch can show ``t`` with shape ``new`` without copying (its computeStride)."""
    if t._base is None or not t._vfn:
        return True
    shape = tuple(t.shape)
    if not shape or math.prod(shape) <= 1:
        return True
    strides = view_layout(t)[0]
    v = len(new) - 1
    chunk_stride = strides[-1]
    have = want = 1
    for d in range(len(shape) - 1, -1, -1):
        have *= shape[d]
        # a chunk of dims that is contiguous in memory ends here
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != have * chunk_stride):
            while v >= 0 and (want < have or new[v] == 1):
                want *= new[v]
                v -= 1
            if want != have:
                return False
            if d > 0:
                chunk_stride, have, want = strides[d - 1], 1, 1
    return v == -1


def _reshape_copy(x, *, shape):
    return jnp.reshape(x, shape)


_reshape_copy.backward_name = "UnsafeViewBackward0"


@tensor_op
def reshape(input: Tensor, *shape) -> Tensor:
    """The same data with a new shape (one dimension may be -1): a view of ``input`` where its
    memory layout allows one (always, unless ``input`` is a transposed/strided view), else a
    copy."""
    shape = infer_shape(_sizes(shape), input.numel())
    if shape == tuple(input.shape):
        return view_op(input, _alias)
    if not _viewable(input, shape):
        return apply(_reshape_copy, input, shape=shape)
    return view_op(input, _reshape, shape=shape)


def view(self: Tensor, *shape) -> Tensor:
    """A view with a new shape (one dimension may be -1); ``view(dtype)`` is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list | Tensor):
        raise unsupported("Tensor.view(dtype)", "reinterpreting bits has no JAX equivalent here")
    shape = infer_shape(_sizes(shape), self.numel())
    if shape == tuple(self.shape):
        return view_op(self, _alias)
    if not _viewable(self, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return view_op(self, _reshape, shape=shape)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.view(other.shape)``."""
    return view(self, tuple(other.shape))


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.reshape(other.shape)``."""
    return reshape(self, tuple(other.shape))


Tensor.view = view
Tensor.view_as = view_as
Tensor.reshape_as = reshape_as


@tensor_op
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (a 0-dim input becomes shape (1,))."""
    shape = tuple(input.shape)
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if not shape:
        return reshape(input, (1,))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


@tensor_op
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    shape = tuple(input.shape)
    d = _wrap_dim(dim, len(shape))
    sizes = _sizes((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if -1 not in sizes and math.prod(sizes) != shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
            f"({shape[d]}) in the input tensor"
        )
    try:
        sizes = infer_shape(sizes, shape[d])
    except RuntimeError as e:
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


@tensor_op
def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor: a view if ``input`` is contiguous, else a copy."""
    return reshape(input, (-1,))


def _squeeze(x, *, dims):
    return jnp.squeeze(x, dims)


def _expand_dims(x, *, dim):
    return jnp.expand_dims(x, dim)


_expand_dims.backward_name = "UnsqueezeBackward0"


@tensor_op
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or those among ``dim``: an int or a tuple)."""
    shape = tuple(input.shape)
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = sorted({_wrap_dim(d, len(shape)) for d in _dims(dim)})
        dims = tuple(d for d in dims if shape and shape[d] == 1)
    return view_op(input, _squeeze, dims=dims)


@tensor_op
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    return view_op(input, _expand_dims, dim=_wrap_dim(dim, input.dim() + 1))


def _permute(x, *, dims):
    return jnp.transpose(x, dims)


@tensor_op
def permute(input: Tensor, *dims) -> Tensor:
    """Reorder dimensions: output dimension ``i`` is input dimension ``dims[i]``."""
    dims = _sizes(dims)
    n = input.dim()
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view_op(input, _permute, dims=dims)


def _swapaxes(x, *, a, b):
    return jnp.swapaxes(x, a, b)


_swapaxes.backward_name = "TransposeBackward0"


@tensor_op(aliases=("swapaxes", "swapdims"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions ``dim0`` and ``dim1``."""
    n = input.dim()
    a, b = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    if a == b or n < 2:
        return view_op(input, _alias)
    return view_op(input, _swapaxes, a=a, b=b)


def _swapaxes_method(self: Tensor, axis0: int, axis1: int) -> Tensor:
    return transpose(self, axis0, axis1)


def _swapdims_method(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return transpose(self, dim0, dim1)


def _t(x):
    return jnp.swapaxes(x, 0, 1)


@tensor_op
def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions (0-D and 1-D are returned as they are)."""
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.dim()}D")
    return view_op(input, _t) if input.dim() == 2 else view_op(input, _alias)


def _reverse_dims(self: Tensor) -> Tensor:
    n = self.dim()
    return permute(self, tuple(range(n - 1, -1, -1))) if n > 2 else t(self)


def _T(self: Tensor) -> Tensor:
    n = self.dim()
    if n == 0:
        warnings.warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
            UserWarning,
            stacklevel=2,
        )
    elif n != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return _reverse_dims(self)


def _mT(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. "
            f"Got {self.dim()}-D tensor."
        )
    return transpose(self, -2, -1)


def _conj(x: Tensor) -> Tensor:
    return x.conj() if x.is_complex() else x


def _H(self: Tensor) -> Tensor:
    n = self.dim()
    if n == 0:
        return _conj(view_op(self, _alias))
    if n != 2:
        hint = " For batches of matrices, consider using tensor.mH" if n > 2 else ""
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor.{hint}"
        )
    return _conj(transpose(self, 0, 1))


def _mH(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(
            "tensor.mH is only supported on matrices or batches of matrices. "
            f"Got {self.dim()}-D tensor."
        )
    return _conj(transpose(self, -2, -1))


@tensor_op
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dimensions (``input.mH``)."""
    return _mH(input)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_H)
Tensor.mH = property(_mH)
Tensor.squeeze_ = _inplace_view_of(squeeze, "squeeze_")
Tensor.unsqueeze_ = _inplace_view_of(unsqueeze, "unsqueeze_")
Tensor.transpose_ = _inplace_view_of(transpose, "transpose_")
Tensor.swapaxes = _swapaxes_method
Tensor.swapdims = _swapdims_method
Tensor.swapaxes_ = _inplace_view_of(_swapaxes_method, "swapaxes_")
Tensor.swapdims_ = _inplace_view_of(_swapdims_method, "swapdims_")
Tensor.t_ = _inplace_view_of(t, "t_")


def _moveaxis(x, *, src, dst):
    return jnp.moveaxis(x, src, dst)


_moveaxis.backward_name = "PermuteBackward0"


@tensor_op(aliases=("moveaxis",))
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``; the others keep their order."""
    n = input.dim()
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(_dims(source))})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(_dims(destination))})")
    return view_op(input, _moveaxis, src=src, dst=dst)


# -- complex numbers as pairs of reals -------------------------------------------------------------
# torch reinterprets the storage: a complex element is two adjacent reals. These views change
# the element type, so ``chain_positions`` counts positions in the unit of each step's output.


def _view_as_real(x):
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


_view_as_real.backward_name = "ViewAsRealBackward0"
_view_as_real.reinterprets_as = "real"


def _view_as_complex(x):
    return jax.lax.complex(x[..., 0], x[..., 1])


_view_as_complex.backward_name = "ViewAsComplexBackward0"
_view_as_complex.reinterprets_as = "complex"


@tensor_op(method=False)
def view_as_real(input: Tensor) -> Tensor:
    """A real view of a complex tensor: shape ``(*)`` becomes ``(*, 2)`` holding the real and
    imaginary parts, in the matching real dtype (complex64 -> float32, complex128 -> float64)."""
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return view_op(input, _view_as_real)


@tensor_op(method=False)
def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a real tensor of shape ``(*, 2)``: the last dimension's two entries are
    the real and imaginary parts, so the result has shape ``(*)`` (float32 -> complex64,
    float64 -> complex128). The pairs must be adjacent in memory, as torch requires."""
    d = input.dtype
    if d.name == "float16":
        raise unsupported("torch.view_as_complex of a float16 tensor", "JAX has no complex32")
    if d.name not in ("float32", "float64"):
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a "
            f"tensor of scalar type: {D.type_title(d)}"
        )
    shape = tuple(input.shape)
    if not shape:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides, offset = view_layout(input)
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    # the stride of a size-1 dimension is never used (our layout gives it the row-major one)
    if any(st % 2 for n, st in zip(shape[:-1], strides[:-1]) if n != 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if offset % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return view_op(input, _view_as_complex)


@tensor_op(method=False)
def real(input: Tensor) -> Tensor:
    """The real part of a complex tensor (*), as a view: writes to it change ``input``. For a
    real tensor, ``input`` itself."""
    return select(view_as_real(input), -1, 0) if input.dtype.is_complex else input


@tensor_op(method=False)
def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor (*), as a view: writes to it change ``input``."""
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(input), -1, 1)


# `z.real = v` writes v into the real part, as in torch
Tensor.real = property(real, lambda self, value: real(self).copy_(value))
Tensor.imag = property(imag, lambda self, value: imag(self).copy_(value))


# -- broadcasting and repetition -------------------------------------------------------------------


def _expand(x, *, shape):
    return jnp.broadcast_to(x, shape)


_expand.backward_name = "ExpandBackward0"


def _expanded_shape(input: Tensor, sizes: tuple) -> tuple:
    shape = tuple(input.shape)
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            out.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            s = have
        elif have != 1 and s != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}"
            )
        out.append(s)
    return tuple(out)


def expand(self: Tensor, *sizes) -> Tensor:
    """A view broadcasting size-1 dimensions to ``sizes`` (-1 keeps a size); no data is copied,
    so the result refuses in-place writes that would reach one element twice."""
    shape = _expanded_shape(self, _sizes(sizes))
    if shape == tuple(self.shape):
        return view_op(self, _alias)
    return view_op(self, _expand, shape=shape)


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.expand(other.size())``."""
    return expand(self, tuple(other.shape))


Tensor.expand = expand
Tensor.expand_as = expand_as


def expand_copy(input: Tensor, size, *, implicit: bool = False) -> Tensor:
    """``input.expand(size)`` as a new tensor."""
    return apply(_expand, input, shape=_expanded_shape(input, _sizes((size,))))


@tensor_op
def broadcast_to(input: Tensor, size) -> Tensor:
    """``input.expand(size)``: a view broadcasting ``input`` to ``size``."""
    return expand(input, _sizes((size,)))


def broadcast_shapes(*shapes) -> Size:
    """The shape the given shapes broadcast to (each an int or a sequence of ints)."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    n = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i in range(1, len(s) + 1):
            if s[-i] < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {s[-i]}: {list(s)}"
                )
            if out[-i] == 1:
                out[-i] = s[-i]
    for k, s in enumerate(shapes):
        for i in range(1, len(s) + 1):
            if s[-i] != 1 and s[-i] != out[-i]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {s[-i]} at -{i}! Mismatching "
                    f"argument at index {k} had {tuple(s)}; but expected shape should be "
                    f"broadcastable to {out}"
                )
    return Size(out)


def _broadcast_pair_error(a: tuple, b: tuple) -> RuntimeError | None:
    for i in range(1, builtins.min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            n = builtins.max(len(a), len(b))
            return RuntimeError(
                f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at "
                f"non-singleton dimension {n - i}"
            )
    return None


def broadcast_tensors(*tensors) -> tuple:
    """Expand all tensors to their common broadcast shape (views of the inputs)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    shape: tuple = ()
    for x in tensors:
        err = _broadcast_pair_error(shape, tuple(x.shape))
        if err is not None:
            raise err
        shape = tuple(np.broadcast_shapes(shape, tuple(x.shape)))
    return tuple(expand(x, shape) for x in tensors)


def _tile(x, *, reps):
    x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    return jnp.tile(x, reps)


_tile.backward_name = "RepeatBackward0"


def repeat(self: Tensor, *sizes) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along each dimension (new leading dims allowed)."""
    reps = _sizes(sizes)
    if len(reps) < self.dim():
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    for r in reps:
        if r < 0:
            shape = (1,) * (len(reps) - self.dim()) + tuple(self.shape)
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {r}: "
                f"{[a * b for a, b in zip(shape, reps)]}"
            )
    return apply(_tile, self, reps=reps)


Tensor.repeat = repeat


@tensor_op
def tile(input: Tensor, dims) -> Tensor:
    """``repeat`` with ``dims`` padded by leading ones to ``input.dim()`` entries."""
    dims = _dims(dims)
    return repeat(input, (1,) * (input.dim() - len(dims)) + dims)


def _repeat_static(x, *, repeats, axis):
    return jnp.repeat(x, repeats, axis=axis)


_repeat_static.backward_name = "IndexSelectBackward0"


def _repeat_dynamic(x, repeats, *, axis, total):
    return jnp.repeat(x, repeats, axis=axis, total_repeat_length=total)


_repeat_dynamic.backward_name = "IndexSelectBackward0"


@tensor_op
def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (of the flattened input if None).

    ``repeats`` is an int or a 0-D/1-D integer tensor (one count per element along ``dim``).
    ``repeat_interleave(counts)`` gives ``arange(len(counts))`` repeated by ``counts``. Inside
    a compiled function a tensor of counts needs ``output_size`` (the output length).
    """
    if repeats is None:
        from ptjax._ops.creation import arange

        counts = input
        if counts.dim() != 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        return repeat_interleave(
            arange(counts.shape[0], dtype=counts.dtype), counts, 0, output_size=output_size
        )
    if dim is None:
        input = flatten(input)
        dim = 0
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d] if input.dim() else 1
    if isinstance(repeats, Tensor):
        if repeats.dim() > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.dtype.kind != 1:
            raise RuntimeError(
                "repeat_interleave only accept int32 and int64 but got "
                f"{repeats.dtype.name.capitalize()}"
            )
        if repeats.numel() == 1:
            rv = repeats.reshape(())._value
            if isinstance(rv, jax.core.Tracer):
                repeats = repeats.reshape(()).expand(n)
            else:
                repeats = int(rv)
        elif repeats.shape[0] != n:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {repeats.shape[0]} and input.size({d}) = {n}"
            )
    if isinstance(repeats, Tensor):
        rv = repeats._value
        if isinstance(rv, jax.core.Tracer):
            if output_size is None:
                raise RuntimeError(
                    "repeat_interleave with a tensor of repeats inside a compiled function has a "
                    "data-dependent output size; pass output_size=<total length>"
                )
            total = int(output_size)
        else:
            counts = np.asarray(rv)
            if (counts < 0).any():
                raise RuntimeError("repeats can not be negative")
            total = int(counts.sum())
            if output_size is not None and output_size != total:
                raise RuntimeError("allocated size does not match required size")
        return apply(_repeat_dynamic, input, repeats, axis=d, total=total)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != repeats * n:
        raise RuntimeError("allocated size does not match required size")
    return apply(_repeat_static, input, repeats=repeats, axis=d)


# -- flipping and rotating -------------------------------------------------------------------------


def _flip(x, *, dims):
    return jnp.flip(x, dims) if dims else x


@tensor_op
def flip(input: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    return apply(_flip, input, dims=_unique_dims(_sizes(dims), input.dim()))


@tensor_op
def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dimension 1) of a tensor with at least 2 dimensions."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@tensor_op
def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dimension 0) of a tensor with at least 1 dimension."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def _roll(x, *, shifts, dims):
    if dims is None:
        return jnp.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
    return jnp.roll(x, shifts, dims)


@tensor_op
def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (of the flattened tensor if None)."""
    shifts = _dims(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return apply(_roll, input, shifts=shifts, dims=None)
    dims = _dims(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    dims = tuple(_wrap_dim(d, input.dim()) for d in dims)
    return apply(_roll, input, shifts=shifts, dims=dims)


def _rot90(x, *, k, dims):
    return jnp.rot90(x, k, dims)


@tensor_op
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims``, from the first axis to the second."""
    dims = _dims(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    a, b = (_wrap_dim(d, input.dim()) for d in dims)
    if a == b:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}"
        )
    return apply(_rot90, input, k=k % 4, dims=(a, b))


# -- narrowing and splitting -----------------------------------------------------------------------


def _narrow(x, *, axis, start, length):
    return jax.lax.slice_in_dim(x, start, start + length, axis=axis)


_narrow.backward_name = "SliceBackward0"


def _select(x, *, axis, index):
    return jax.lax.index_in_dim(x, index, axis, keepdims=False)


_select.backward_name = "SelectBackward0"


def _narrow_args(input: Tensor, dim: int, start, length) -> dict:
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    start, length = _int(start), _int(length)
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return {"axis": d, "start": start, "length": length}


@tensor_op
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The view ``input[..., start:start + length, ...]`` along ``dim``; ``start`` may be a
    0-dim integer tensor."""
    return view_op(input, _narrow, **_narrow_args(input, dim, start, length))


@tensor_op
def narrow_copy(input: Tensor, dim: int, start, length: int) -> Tensor:
    """``narrow`` as a new tensor."""
    return apply(_narrow, input, **_narrow_args(input, dim, start, length))


@tensor_op
def select(input: Tensor, dim: int, index) -> Tensor:
    """The view of ``input`` at ``index`` along ``dim``, which is removed."""
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    index = _int(index)
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {d}"
        )
    return view_op(input, _select, axis=d, index=index % size)


def _split_parts(x, *, axis, bounds):
    return tuple(jax.lax.slice_in_dim(x, s, e, axis=axis) for s, e in bounds)


def _split(x, *, axis, bounds):
    return _split_parts(x, axis=axis, bounds=bounds)


def _split_with_sizes(x, *, axis, bounds):
    return _split_parts(x, axis=axis, bounds=bounds)


def _tensor_split(x, *, axis, bounds):
    return _split_parts(x, axis=axis, bounds=bounds)


_tensor_split.backward_name = "SliceBackward0"


def _split_views(input: Tensor, impl, d: int, bounds: tuple) -> tuple:
    parts = [(_narrow, {"axis": d, "start": s, "length": e - s}) for s, e in bounds]
    return _multi_view(input, impl, parts, impl is not _tensor_split, axis=d, bounds=bounds)


def _bounds(sizes) -> tuple:
    out, s = [], 0
    for n in sizes:
        out.append((s, s + n))
        s += n
    return tuple(out)


def _require_dims(input: Tensor, what: str) -> None:
    if input.dim() == 0:
        raise IndexError(f"Dimension specified as 0 but tensor has no dimensions{what}")


@tensor_op
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into views of ``split_size`` along ``dim`` (the last may be smaller), or into
    pieces of the listed sizes."""
    _require_dims(tensor, "")
    d = _wrap_dim(dim, tensor.dim())
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, list | tuple):
        sizes = tuple(_int(s) for s in split_size_or_sections)
        if builtins.any(s < 0 for s in sizes):
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={list(sizes)}"
            )
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={list(sizes)}"
            )
        return _split_views(tensor, _split_with_sizes, d, _bounds(sizes))
    size = _int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
        )
    count = builtins.max(-(-n // size), 1) if size else 1
    sizes = [size] * (count - 1) + [n - size * (count - 1)]
    return _split_views(tensor, _split, d, _bounds(sizes))


def split_with_sizes(self: Tensor, split_sizes, dim: int = 0) -> tuple:
    """Split into pieces of the listed sizes along ``dim``."""
    return split(self, list(split_sizes), dim)


Tensor.split_with_sizes = split_with_sizes


@tensor_op
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` views of equal size along ``dim`` (the last may be smaller, and
    fewer chunks may be returned)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    _require_dims(input, "")
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    size = -(-n // chunks)
    if size == 0 and n == 0:
        return split(input, [0] * chunks, d)
    return split(input, size, d)


@tensor_op
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Split into ``sections`` nearly equal views, or at the given indices, along ``dim``."""
    _require_dims(input, "")
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.name != "int64":
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{ios.dtype}"
            )
        if ios.dim() > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {ios.dim()} dims"
            )
        ios = int(ios.item()) if ios.dim() == 0 else [int(i) for i in ios.tolist()]
    if isinstance(ios, list | tuple):
        points = [0] + [_int(i) for i in ios] + [n]
        bounds = tuple(_slice_bounds(a, b, n) for a, b in zip(points[:-1], points[1:]))
        return _split_views(input, _tensor_split, d, bounds)
    sections = _int(ios)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    base, extra = divmod(n, sections)
    return _split_views(
        input, _tensor_split, d, _bounds([base + 1] * extra + [base] * (sections - extra))
    )


def _slice_bounds(a: int, b: int, n: int) -> tuple:
    """torch's slice(start, end) bounds: negatives count from the end, then clamp to [0, n]."""
    a = a + n if a < 0 else a
    b = b + n if b < 0 else b
    a = builtins.min(builtins.max(a, 0), n)
    return a, builtins.min(builtins.max(b, a), n)


def _dim_split(name: str, input: Tensor, ios, d: int, min_dim: int) -> tuple:
    if input.dim() < min_dim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a "
            f"tensor with {input.dim()} dimensions!"
        )
    if isinstance(ios, int) or (isinstance(ios, Tensor) and ios.dim() == 0):
        sections = _int(ios)
        size = input.shape[d]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {d}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, ios, d)


@tensor_op
def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dimension 1 (dimension 0 for 1-D tensors)."""
    return _dim_split("hsplit", input, indices_or_sections, 1 if input.dim() > 1 else 0, 1)


@tensor_op
def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dimension 0 of a tensor with at least 2 dimensions."""
    return _dim_split("vsplit", input, indices_or_sections, 0, 2)


@tensor_op
def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dimension 2 of a tensor with at least 3 dimensions."""
    return _dim_split("dsplit", input, indices_or_sections, 2, 3)


def _unbind(x, *, axis):
    return tuple(jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis]))


@tensor_op
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim`` as a tuple of views, with ``dim`` removed."""
    _require_dims(input, "")
    d = _wrap_dim(dim, input.dim())
    parts = [(_select, {"axis": d, "index": i}) for i in range(input.shape[d])]
    return _multi_view(input, _unbind, parts, axis=d)


# -- joining ---------------------------------------------------------------------------------------


def _concat(xs, *, axis, dtype, skip=()):
    # the skipped legacy empty tensors still take part, so they get (empty) gradients
    return jnp.concatenate([x.astype(dtype) for i, x in enumerate(xs) if i not in skip], axis=axis)


_concat.backward_name = "CatBackward0"


def _seq_dtype(tensors):
    from ptjax._ops.pointwise import promote

    return promote(*tensors) if len(tensors) > 1 else tensors[0].dtype


def _tensor_list(tensors, name: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(
            f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )
    tensors = list(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}"
            )
    return tensors


@tensor_op(method=False, aliases=("concat", "concatenate"))
def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate tensors along ``dim``; all must have the same shape except in ``dim``.

    1-D empty tensors (shape ``(0,)``) are skipped, as in torch; they still take part in type
    promotion.
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dt = _seq_dtype(tensors)
    kept = [(i, x) for i, x in enumerate(tensors) if x.shape != (0,)]
    if not kept:
        _wrap_dim(dim, 1)
        return _out(apply(_concat, tuple(tensors), axis=0, dtype=dt.np), out, "cat")
    ref = kept[0][1]
    d = _wrap_dim(dim, ref.dim())
    for i, x in kept:
        if x.dim() != ref.dim():
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.dim()} and {x.dim()}"
            )
        for k in range(ref.dim()):
            if k != d and x.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {x.shape[k]} for tensor number {i} in the list."
                )
    skip = tuple(i for i, x in enumerate(tensors) if x.shape == (0,))
    return _out(apply(_concat, tuple(tensors), axis=d, dtype=dt.np, skip=skip), out, "cat")


def _stack(xs, *, axis, dtype):
    return jnp.stack([x.astype(dtype) for x in xs], axis=axis)


_stack.backward_name = "StackBackward0"


@tensor_op(method=False)
def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Stack same-shaped tensors along a new dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0].shape
    for i, x in enumerate(tensors):
        if x.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                f"{list(x.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, len(ref) + 1)
    return _out(apply(_stack, tuple(tensors), axis=d, dtype=_seq_dtype(tensors).np), out, "stack")


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        return tuple(fn(x) for x in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(x) for x in tensors)


def _at_least_1d(x: Tensor) -> Tensor:
    return reshape(x, (1,)) if x.dim() == 0 else x


def _at_least_2d(x: Tensor) -> Tensor:
    return reshape(x, (1, -1) if x.dim() else (1, 1)) if x.dim() < 2 else x


def _at_least_3d(x: Tensor) -> Tensor:
    n = x.dim()
    if n == 0:
        return reshape(x, (1, 1, 1))
    if n == 1:
        return reshape(x, (1, x.shape[0], 1))
    if n == 2:
        return unsqueeze(x, -1)
    return x


def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dimension (one tensor in, one out; else a tuple)."""
    return _atleast(tensors, _at_least_1d)


def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dimensions (new dimensions in front)."""
    return _atleast(tensors, _at_least_2d)


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dimensions: (n,) -> (1, n, 1), (a, b) -> (a, b, 1)."""
    return _atleast(tensors, _at_least_3d)


def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate column-wise: along dimension 1, or 0 for 1-D (and 0-D) tensors."""
    tensors = [_at_least_1d(x) for x in _tensor_list(tensors, "hstack")]
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate row-wise (dimension 0) after viewing each tensor as at least 2-D."""
    return cat([_at_least_2d(x) for x in _tensor_list(tensors, "vstack")], 0, out=out)


def dstack(tensors, *, out=None) -> Tensor:
    """Concatenate depth-wise (dimension 2) after viewing each tensor as at least 3-D."""
    return cat([_at_least_3d(x) for x in _tensor_list(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out=None) -> Tensor:
    """Stack as columns: 0-D and 1-D tensors become (n, 1) columns, then concatenate on dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [reshape(x, (x.numel(), 1)) if x.dim() <= 1 else x for x in tensors]
    return cat(cols, 1, out=out)


alias(vstack, "row_stack", method=False)


# -- triangles and diagonals -----------------------------------------------------------------------


def _tril(x, *, k):
    return jnp.tril(x, k)


def _triu(x, *, k):
    return jnp.triu(x, k)


@tensor_op(inplace=True)
def tril(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """Zero the elements above the ``diagonal``-th diagonal of the last two dimensions."""
    if input.dim() < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _out(apply(_tril, input, k=int(diagonal)), out, "tril")


@tensor_op(inplace=True)
def triu(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """Zero the elements below the ``diagonal``-th diagonal of the last two dimensions."""
    if input.dim() < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _out(apply(_triu, input, k=int(diagonal)), out, "triu")


def _diagonal(x, *, offset, dim1, dim2):
    return jnp.diagonal(x, offset, dim1, dim2)


def _diagonal_args(input: Tensor, dim1: int, dim2: int) -> tuple:
    n = input.dim()
    a, b = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return a, b


@tensor_op
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The view of the ``offset``-th diagonal of the planes ``(dim1, dim2)``, appended as the
    last dimension."""
    a, b = _diagonal_args(input, dim1, dim2)
    return view_op(input, _diagonal, offset=int(offset), dim1=a, dim2=b)


def _diag_embed(x, *, offset, dim1, dim2):
    m = x.shape[-1]
    n = m + abs(offset)
    rows = jnp.arange(m) + builtins.max(-offset, 0)
    cols = jnp.arange(m) + builtins.max(offset, 0)
    out = jnp.zeros(x.shape[:-1] + (n, n), x.dtype).at[..., rows, cols].set(x)
    return jnp.moveaxis(out, (-2, -1), (dim1, dim2))


@tensor_op
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Place the last dimension of ``input`` on the ``offset``-th diagonal of new planes
    ``(dim1, dim2)``; the output has one more dimension, zero off the diagonal."""
    n = input.dim() + 1
    a, b = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(_diag_embed, input, offset=int(offset), dim1=a, dim2=b)


def _diag(x, *, offset):
    return jnp.diag(x, offset)


@tensor_op
def diag(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """A 1-D input becomes a square matrix with it on the ``diagonal``-th diagonal; a 2-D input
    gives its ``diagonal``-th diagonal (a new tensor)."""
    if input.dim() not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    return _out(apply(_diag, input, offset=int(diagonal)), out, "diag")


@tensor_op
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened ``input`` on the ``offset``-th diagonal."""
    return apply(_diag, flatten(input), offset=int(offset))


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 0-D/1-D tensors: output ``i`` varies along dimension ``i``
    (``indexing='ij'``, the default) or with the first two dimensions swapped (``'xy'``).
    The outputs are expanded views of the inputs."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for x in tensors:
        if x.dim() > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {x}"
            )
        if x.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors = (tensors[1], tensors[0]) + tuple(tensors[2:])
    shape = tuple(x.numel() for x in tensors)
    outs = [
        expand(reshape(x, tuple(-1 if k == i else 1 for k in range(len(tensors)))), shape)
        for i, x in enumerate(tensors)
    ]
    if swap:
        outs[0], outs[1] = outs[1], outs[0]
    return tuple(outs)


def _unfold(x, *, axis, size, step):
    if x.ndim == 0:
        return x.reshape(1)[:size]
    count = (x.shape[axis] - size) // step + 1
    idx = jnp.arange(count)[:, None] * step + jnp.arange(size)[None, :]
    return jnp.moveaxis(jnp.take(x, idx, axis=axis), axis + 1, -1)


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of all windows of ``size`` elements along ``dimension``, ``step`` apart: that
    dimension becomes the window count and a last dimension of ``size`` is added."""
    d = _wrap_dim(dimension, self.dim())
    length = self.shape[d] if self.dim() else 1
    if size > length:
        raise RuntimeError(
            f"maximum size for tensor at dimension {d} is {length} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return view_op(self, _unfold, axis=d, size=int(size), step=int(step))


_unfold.backward_name = "UnfoldBackward0"
Tensor.unfold = unfold


def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """Not supported: ptjax tensors are JAX arrays, which have no strides to reinterpret."""
    raise unsupported(
        "torch.as_strided",
        "JAX arrays have no strides or shared storage; use view/expand/unfold/indexing instead",
    )


Tensor.as_strided = as_strided
Tensor.as_strided_ = as_strided


# -- scatter forms of views (the view's elements replaced by ``src``) ------------------------------


def _embed(x, src, *, view, static):
    idx = jnp.arange(x.size).reshape(x.shape)
    pos = view(idx, **dict(static))
    return x.reshape(-1).at[pos.reshape(-1)].set(src.reshape(-1).astype(x.dtype)).reshape(x.shape)


def _scatter_into(input: Tensor, src: Tensor, v: Tensor) -> Tensor:
    if tuple(src.shape) != tuple(v.shape):
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(v.shape)}"
        )
    ((impl, static),) = v._vfn[-1:]
    return apply(_embed, input, src, view=impl, static=static)


@tensor_op
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    return _scatter_into(input, src, select(input.detach(), dim, index))


@tensor_op
def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1
) -> Tensor:
    """A copy of ``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by
    ``src``."""
    d = _wrap_dim(dim, input.dim())
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, input.detach()[key])


@tensor_op
def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """A copy of ``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    return _scatter_into(input, src, diagonal(input.detach(), offset, dim1, dim2))
