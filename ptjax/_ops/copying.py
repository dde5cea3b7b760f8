"""Copying and filling: clone, Tensor.copy_, fill_/zero_, torch.fill, Tensor.fill_diagonal_, and
the memory_format objects that clone (and friends) accept.

JAX arrays are immutable, so a clone shares the array; what makes it a copy is that it is a new
Tensor box that is not a view of ``input``. In-place writes go through ``Tensor._assign``, so
they reach the base tensor when ``self`` is a view, with gradients through the write.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ptjax._dispatch import apply
from ptjax._ops._registry import tensor_op
from ptjax._ops.pointwise import _arg, _broadcast_error, _variant
from ptjax._tensor import Tensor

__all__ = [
    "clone",
    "fill",
    "fill_",
    "zero_",
    "memory_format",
    "contiguous_format",
    "preserve_format",
    "channels_last",
    "channels_last_3d",
]


class memory_format:
    """torch.memory_format: accepted everywhere torch takes one; ptjax tensors are always
    contiguous row-major, so it never changes the result."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name  # pickled by reference to this module's object


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def _clone(x):
    return x


_clone.backward_name = "CloneBackward0"


@tensor_op
def clone(input: Tensor, *, memory_format: memory_format = preserve_format) -> Tensor:
    """A copy of ``input`` (same shape, dtype and values) that is not a view of it; gradients
    flow back to ``input``."""
    return apply(_clone, input)


def _copy_impl(dst, src, *, dtype):
    if jnp.iscomplexobj(src) and not jnp.issubdtype(dtype, jnp.complexfloating):
        src = jnp.real(src)  # torch discards the imaginary part (with a warning)
    # ``dst`` is an input only so that its old value gets a zero gradient, as in torch
    return jnp.broadcast_to(src.astype(dtype), dst.shape)


_copy_impl.backward_name = "CopyBackwards"


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` into ``self`` (broadcast to ``self``'s shape, cast to its dtype); returns
    ``self``. Gradients flow to ``src``; ``self``'s old value gets none."""
    src = _arg(src, "copy_", 1, "src", True)
    if isinstance(src, Tensor) and src.shape != self.shape:
        err = _broadcast_error([tuple(self.shape), tuple(src.shape)])
        if err is not None:
            raise err
        full = np.broadcast_shapes(tuple(self.shape), tuple(src.shape))
        if full != tuple(self.shape):
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(full)}"
            )
    if not isinstance(src, Tensor):
        src = Tensor._make(jnp.asarray(src))
    return self._assign(apply(_copy_impl, self, src, dtype=self.dtype.np))


Tensor.copy_ = copy_


def _fill_impl(x, value, *, dtype):
    # ``x`` is an input so that the result keeps its place in the graph with a zero gradient
    return jnp.full(x.shape, jnp.asarray(value).astype(dtype), dtype)


_fill_impl.backward_name = "FillBackward0"
_fill_inplace_number = _variant(_fill_impl, "FillBackward2")
_fill_inplace_tensor = _variant(_fill_impl, "FillBackward3")
_zero_impl = _variant(_fill_impl, "ZeroBackward0")


def _fill_value(value, op: str):
    value = _arg(value, op, 2, "value", True)
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} "
            "dimensions."
        )
    return value


def fill(input: Tensor, value) -> Tensor:
    """A tensor shaped like ``input`` (same dtype) filled with ``value`` (number or 0-dim tensor;
    a tensor value receives the summed gradient)."""
    return apply(_fill_impl, input, _fill_value(value, "fill"), dtype=input.dtype.np)


def _fill_(self: Tensor, value) -> Tensor:
    value = _fill_value(value, "fill_")
    impl = _fill_inplace_tensor if isinstance(value, Tensor) else _fill_inplace_number
    return self._assign(apply(impl, self, value, dtype=self.dtype.np))


def fill_(input: Tensor, value) -> Tensor:
    """Fill ``input`` with ``value`` in place; returns ``input``."""
    return _fill_(input, value)


def _zero_(self: Tensor) -> Tensor:
    return self._assign(apply(_zero_impl, self, 0, dtype=self.dtype.np))


def zero_(input: Tensor) -> Tensor:
    """Fill ``input`` with zeros in place; returns ``input``."""
    return _zero_(input)


Tensor.fill_ = _fill_
Tensor.zero_ = _zero_


def _fill_diagonal(x, value, *, wrap):
    shape = x.shape
    if wrap and x.ndim == 2 and shape[0] > shape[1] + 1:
        # the diagonal restarts every (columns + 1) elements of the row-major storage
        flat = jnp.arange(x.size).reshape(shape)
        mask = flat % (shape[1] + 1) == 0
    else:
        idx = jnp.indices(shape)
        mask = jnp.all(idx == idx[0], axis=0)
    return jnp.where(mask, jnp.asarray(value).astype(x.dtype), x)


_fill_diagonal.backward_name = "AsStridedBackward0"


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (``i == j == ...``) with ``fill_value`` in place; for a tall
    matrix, ``wrap=True`` restarts the diagonal below every square block."""
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    value = _fill_value(fill_value, "fill_diagonal_")
    return self._assign(apply(_fill_diagonal, self, value, wrap=bool(wrap)))


Tensor.fill_diagonal_ = fill_diagonal_
