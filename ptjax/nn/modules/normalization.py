"""LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm, CrossMapLRN2d (statistics per sample)."""

from __future__ import annotations

import numbers

from ptjax._ops.creation import empty
from ptjax._tensor import Tensor
from ptjax.nn import init
from ptjax.nn._functional import normalization as F
from ptjax.nn.modules.module import Module
from ptjax.nn.parameter import Parameter

__all__ = ["LayerNorm"]


def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dimensions:
    input (N, *, *normalized_shape) -> same shape.

    weight (normalized_shape) starts at 1 and bias at 0 when ``elementwise_affine``;
    the variance is biased; statistics come from the input in training and eval alike.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight <- 1, bias <- 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
