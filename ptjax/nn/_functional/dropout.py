"""Dropout functions: elementwise, channel-wise (1d/2d/3d) and the SELU-preserving alpha forms.

Masks are drawn from ptjax's default Generator (one draw per call, folded into the key inside
the compiled op) and scaled as torch scales them:
kept elements are multiplied by ``1 / (1 - p)``; alpha dropout sets dropped elements to the
SELU saturation value and applies torch's affine correction.
"""

from __future__ import annotations

import math
import warnings

import jax

from ptjax._dispatch import apply
from ptjax._tensor import Tensor
from ptjax.random import default_generator

__all__ = [
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
]

_SELU_SATURATION = 1.7580993408473766  # -(SELU's negative limit): scale * alpha


def _dropout(x, key, counter, *, p, feature, alpha):
    key = jax.random.fold_in(key, counter)
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = jax.random.bernoulli(key, 1.0 - p, shape).astype(x.dtype)
    if alpha:
        a = 1.0 / math.sqrt((_SELU_SATURATION**2 * p + 1) * (1 - p))
        b = (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
        return x * (keep * a) + b
    return x * (keep / (1.0 - p))


_dropout.backward_name = "MulBackward0"


def _zero(x):
    return x * 0


_zero.backward_name = "MulBackward0"


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _run(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool):
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if feature and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        out = apply(_zero, input)
    else:
        key, counter = default_generator.draw()
        out = apply(_dropout, input, key, counter, p=p, feature=feature, alpha=alpha)
    return input._assign(out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    return _run(input, p, training, inplace, False, False)


def _channelwise(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    """Channel dropout; an unbatched input gets a batch dimension for the draw, as in torch."""
    if batched:
        return _run(input, p, training, inplace, True, False)
    if not training or p == 0:
        return input
    out = _run(input.unsqueeze(0), p, training, False, True, False).squeeze(0)
    return input._assign(out) if inplace else out


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels: input (N, C, L) or (C, L)."""
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _channelwise(input, p, training, inplace, d == 3)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels: input (N, C, H, W) (a 3-D input is read as (N, C, L), as torch)."""
    _check_p(p)
    d = input.dim()
    if d not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _run(input, p, training, inplace, True, False)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels: input (N, C, D, H, W) or (C, D, H, W)."""
    _check_p(p)
    d = input.dim()
    if d not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _channelwise(input, p, training, inplace, d == 5)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps SELU activations' mean and variance."""
    return _run(input, p, training, inplace, False, True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels (dimension 1)."""
    return _run(input, p, training, inplace, True, True)
