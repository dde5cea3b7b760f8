"""Shape ops. Those that are views in torch (view, reshape, transpose, permute, squeeze,
unsqueeze, expand, narrow, flatten, unflatten, movedim, diagonal, split/chunk/unbind, T, mT)
return views here too: in-place changes through them reach the base tensor."""

from __future__ import annotations

import math

import jax.numpy as jnp

from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._tensor import Tensor, _wrap_dim

__all__ = [
    "reshape",
    "flatten",
    "unflatten",
    "squeeze",
    "unsqueeze",
    "permute",
    "transpose",
    "t",
    "movedim",
    "cat",
    "stack",
]


def view_op(input: Tensor, impl, **static) -> Tensor:
    """Run a view function and mark its result as a view of ``input``."""
    return apply(impl, input, **static)._as_view_of(input, impl, static)


def _sizes(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one ``-1`` in ``shape`` and check the element count, with torch's messages."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape(x, *, shape):
    return jnp.reshape(x, shape)


_reshape.backward_name = "ViewBackward0"


@tensor_op
def reshape(input: Tensor, *shape) -> Tensor:
    """The same data with a new shape (one dimension may be -1)."""
    shape = infer_shape(_sizes(shape), input.numel())
    if shape == tuple(input.shape):
        return view_op(input, _alias)
    return view_op(input, _reshape, shape=shape)


def _alias(x):
    return x


_alias.backward_name = "AliasBackward0"


def view(self: Tensor, *shape) -> Tensor:
    """A view with a new shape; ``view(dtype)`` is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list):
        from ptjax._errors import unsupported

        raise unsupported("Tensor.view(dtype)", "reinterpreting bits has no JAX equivalent here")
    return reshape(self, *shape)


Tensor.view = view
Tensor.view_as = lambda self, other: reshape(self, tuple(other.shape))
Tensor.reshape_as = lambda self, other: reshape(self, tuple(other.shape))


@tensor_op
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    shape = tuple(input.shape)
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    new = shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :]
    return reshape(input, new)


@tensor_op
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    shape = tuple(input.shape)
    d = _wrap_dim(dim, len(shape))
    sizes = infer_shape(tuple(sizes), shape[d])
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def _squeeze(x, *, dims):
    return jnp.squeeze(x, dims)


def _expand_dims(x, *, dim):
    return jnp.expand_dims(x, dim)


_expand_dims.backward_name = "UnsqueezeBackward0"


@tensor_op(inplace=True)
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all, or those in ``dim``)."""
    shape = tuple(input.shape)
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(sorted({_wrap_dim(d, len(shape)) for d in dims}))
        dims = tuple(d for d in dims if shape and shape[d] == 1)
    return view_op(input, _squeeze, dims=dims)


@tensor_op(inplace=True)
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    return view_op(input, _expand_dims, dim=_wrap_dim(dim, input.dim() + 1))


def _permute(x, *, dims):
    return jnp.transpose(x, dims)


@tensor_op
def permute(input: Tensor, *dims) -> Tensor:
    """Reorder dimensions."""
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


@tensor_op(inplace=True, aliases=("swapaxes", "swapdims"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions ``dim0`` and ``dim1``."""
    n = input.dim()
    return view_op(input, _swapaxes, a=_wrap_dim(dim0, n), b=_wrap_dim(dim1, n))


@tensor_op(inplace=True)
def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions."""
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.dim()}D")
    return transpose(input, 0, 1) if input.dim() == 2 else view_op(input, _alias)


def _T(self: Tensor) -> Tensor:
    n = self.dim()
    if n == 2:
        return transpose(self, 0, 1)
    return permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. "
            f"Got {self.dim()}-D tensor."
        )
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(lambda self: _T(self).conj() if self.is_complex() else _T(self))
Tensor.mH = property(lambda self: _mT(self).conj() if self.is_complex() else _mT(self))


def _moveaxis(x, *, src, dst):
    return jnp.moveaxis(x, src, dst)


_moveaxis.backward_name = "PermuteBackward0"


@tensor_op(aliases=("moveaxis",))
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``."""
    n = input.dim()
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    return view_op(input, _moveaxis, src=src, dst=dst)


def _concat(xs, *, axis, dtype):
    return jnp.concatenate([x.astype(dtype) for x in xs], axis=axis)


_concat.backward_name = "CatBackward0"


def _seq_dtype(tensors):
    from ptjax._ops.pointwise import promote

    return promote(*tensors) if len(tensors) > 1 else tensors[0].dtype


@tensor_op(method=False, aliases=("concat", "concatenate"))
def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate tensors along ``dim`` (1-D empty tensors are skipped, as in torch)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}"
            )
    dt = _seq_dtype(tensors)
    kept = [x for x in tensors if not (x.dim() == 1 and x.shape[0] == 0)] or tensors[:1]
    ref = kept[0]
    d = _wrap_dim(dim, ref.dim())
    for i, x in enumerate(kept):
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
    return apply(_concat, tuple(kept), axis=d, dtype=dt.np)


def _stack(xs, *, axis, dtype):
    return jnp.stack([x.astype(dtype) for x in xs], axis=axis)


_stack.backward_name = "StackBackward0"


@tensor_op(method=False)
def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Stack same-shaped tensors along a new dimension ``dim``."""
    tensors = list(tensors)
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
    return apply(_stack, tuple(tensors), axis=d, dtype=_seq_dtype(tensors).np)
