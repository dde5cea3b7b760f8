"""Padding layers: zero, constant, reflection, replication and circular padding of the last 1-3
dimensions (``padding`` is (left, right[, top, bottom[, front, back]]), as ``F.pad``)."""

from __future__ import annotations

from ptjax._tensor import Tensor
from ptjax.nn._functional.padding import pad
from ptjax.nn.modules.module import Module
from ptjax.nn.modules.utils import _ntuple, _pair, _quadruple

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]

_EXPAND = {1: _pair, 2: _quadruple, 3: _ntuple(6)}


class _PadNd(Module):
    """Shared body: ``padding`` expanded to 2 * dims ints, applied with ``F.pad``."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _EXPAND[self._dims](padding)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def _check_input_dim(self, input: Tensor) -> None:
        k = self._dims
        if input.dim() not in (k + 1, k + 2):
            raise ValueError(f"expected {k + 1}D or {k + 2}D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Wrap-around padding of the last dimension: (N, C, W) or (C, W) -> (.., W + left + right)."""

    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Wrap-around padding of the last two dimensions: (N, C, H, W) or (C, H, W)."""

    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Wrap-around padding of the last three dimensions: (N, C, D, H, W) or (C, D, H, W)."""

    _dims = 3


class _ConstantPadNd(Module):
    _dims = 1

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.value = value
        self.padding = _EXPAND[self._dims](padding)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``: (*, W) -> (*, W + left + right)."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``: (*, H, W) -> (*, H_out, W_out)."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``: (*, D, H, W) -> (*, D_out, H_out, W_out)."""

    _dims = 3


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Mirror padding (edge not repeated) of the last dimension: (N, C, W) or (C, W)."""

    _dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Mirror padding of the last two dimensions: (N, C, H, W) or (C, H, W)."""

    _dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Mirror padding of the last three dimensions: (N, C, D, H, W) or (C, D, H, W)."""

    _dims = 3


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Edge-value padding of the last dimension: (N, C, W) or (C, W)."""

    _dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Edge-value padding of the last two dimensions: (N, C, H, W) or (C, H, W)."""

    _dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Edge-value padding of the last three dimensions: (N, C, D, H, W) or (C, D, H, W)."""

    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    """ConstantPadNd with value 0.0; listed before ConstantPad{1,2,3}d in each ZeroPad's bases,
    so that class still gives ``_dims`` and isinstance(ZeroPad2d(1), ConstantPad2d) holds."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd, ConstantPad1d):
    """Zero padding of the last dimension: (*, W) -> (*, W + left + right)."""


class ZeroPad2d(_ZeroPadNd, ConstantPad2d):
    """Zero padding of the last two dimensions: (*, H, W) -> (*, H_out, W_out)."""


class ZeroPad3d(_ZeroPadNd, ConstantPad3d):
    """Zero padding of the last three dimensions: (*, D, H, W) -> (*, D_out, H_out, W_out)."""
