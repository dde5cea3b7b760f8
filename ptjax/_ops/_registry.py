"""One definition per op: the public function becomes the Tensor method, the in-place variant
(``add_``) and any aliases, all generated here from that one function."""

from __future__ import annotations

import sys

from ptjax._tensor import Tensor

__all__ = ["tensor_op", "alias"]


def _inplace_of(fn, name: str):
    def inplace(self, *args, **kwargs):
        return self._assign(fn(self, *args, **kwargs))

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"In-place version of :meth:`Tensor.{fn.__name__}`."
    return inplace


def tensor_op(fn=None, *, method: bool = True, inplace: bool = False, aliases: tuple = ()):
    """Register a public op: ``Tensor.<name>`` method, ``<name>_`` in-place form and aliases.

    Aliases become both module-level functions (exported through the module's ``__all__``)
    and Tensor methods.
    """

    def register(f):
        name = f.__name__
        if method:
            setattr(Tensor, name, f)
        if inplace:
            setattr(Tensor, name + "_", _inplace_of(f, name + "_"))
        for a in aliases:
            alias(f, a, method=method, inplace=inplace)
        return f

    return register(fn) if fn is not None else register


def alias(fn, name: str, *, method: bool = True, inplace: bool = False) -> None:
    """Expose ``fn`` under another torch name, in its module and (optionally) on Tensor."""
    module = sys.modules[fn.__module__]
    setattr(module, name, fn)
    exported = getattr(module, "__all__", None)
    if exported is not None and name not in exported:
        exported.append(name)
    if method:
        setattr(Tensor, name, fn)
    if inplace:
        setattr(Tensor, name + "_", _inplace_of(fn, name + "_"))
