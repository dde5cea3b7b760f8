"""torch.nn.parameter: Parameter (a Tensor that a Module registers as trainable) and Buffer."""

from __future__ import annotations

import jax.numpy as jnp

from ptjax._errors import unsupported
from ptjax._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


def _value_of(data):
    if data is None:
        return jnp.zeros((0,), jnp.float32)
    if isinstance(data, Tensor):
        return data._value
    return jnp.asarray(data)


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one as a Module attribute registers it.

    ``Parameter(data=None, requires_grad=True)`` takes ``data``'s values, detached from any graph.
    """

    _is_param = True

    def __new__(cls, data=None, requires_grad: bool = True):
        t = object.__new__(cls)
        t._val = _value_of(data)
        if requires_grad:
            if not jnp.issubdtype(t._val.dtype, jnp.inexact):
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients"
                )
            t._rg = True
        return t

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__; Tensor.__init__ must not run

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        # torch copies a Parameter's data and requires_grad only (not .grad)
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self), None, False)
        new._val = self._value
        new._rg = self._rg
        memo[id(self)] = new
        return new


class _BufferMeta(type):
    # Buffer(...) returns a plain Tensor marked as a buffer, as torch does
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """A tensor that a Module registers as a buffer when assigned as an attribute.

    ``Buffer(data=None, *, persistent=True)``: non-persistent buffers are left out of
    ``state_dict()``.
    """

    def __new__(cls, data=None, *, persistent: bool = True):
        t = Tensor._make(_value_of(data))
        if isinstance(data, Tensor) and data.requires_grad:
            t._rg = True
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedParameter(Parameter):
    """Lazy modules' parameter of unknown shape: not supported by ptjax."""

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        raise unsupported("torch.nn.UninitializedParameter", "lazy modules are not supported")


class UninitializedBuffer(Tensor):
    """Lazy modules' buffer of unknown shape: not supported by ptjax."""

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent=True):
        raise unsupported("torch.nn.UninitializedBuffer", "lazy modules are not supported")


def is_lazy(param) -> bool:
    """True for uninitialized (lazy) parameters and buffers; ptjax has none."""
    return isinstance(param, UninitializedParameter | UninitializedBuffer)
