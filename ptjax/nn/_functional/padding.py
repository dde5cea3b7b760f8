"""``F.pad``: constant, reflect, replicate and circular padding with torch's rules.

``pad`` lists (left, right) pairs starting from the last dimension. Negative amounts crop: for
constant padding they are a negative ``lax.pad``; reflect and replicate pad the positive parts
first and crop after (their indices refer to the uncropped input, as in torch's kernels);
circular padding crops first and wraps the cropped input, as torch does.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._tensor import Tensor
from ptjax.amp.autocast_mode import CPU, FP32, cast_inputs

__all__ = ["pad"]

_JNP_MODES = {"reflect": "reflect", "replicate": "edge"}
_KERNELS = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def _pad_constant(x, value, *, pads):
    cfg = [(0, 0, 0)] * (x.ndim - len(pads)) + [(lo, hi, 0) for lo, hi in pads]
    return lax.pad(x, jnp.asarray(value, x.dtype), cfg)


_pad_constant.backward_name = "ConstantPadNdBackward0"


def _crop(x, pads):
    """Drop the negative parts of ``pads`` (the trailing dims of ``x``)."""
    lead = x.ndim - len(pads)
    index = [slice(None)] * lead
    for (lo, hi), n in zip(pads, x.shape[lead:]):
        index.append(slice(max(-lo, 0), n - max(-hi, 0)))
    return x[tuple(index)]


def _grow(x, pads, mode):
    lead = x.ndim - len(pads)
    widths = [(0, 0)] * lead + [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    return jnp.pad(x, widths, mode=mode)


def _pad_edges(x, *, pads, mode):
    return _crop(_grow(x, pads, _JNP_MODES[mode]), pads)


def _pad_circular(x, *, pads):
    return _grow(_crop(x, pads), pads, "wrap")


_pad_circular.backward_name = "CircularPadBackward0"


def _size_list(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _check_edge_mode(input: Tensor, pads: tuple, mode: str) -> None:
    k = len(pads)
    nd = input.dim()
    kernel = f"{_KERNELS[mode]}{k}d"
    if input.dtype is D.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    # every non-batch dimension must be non-empty
    first = 1 if nd == k + 2 else 0
    if any(s == 0 for s in input.shape[first:]):
        raise RuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {_size_list(input)}"
        )
    spatial = input.shape[nd - k :]
    if mode == "reflect":
        # torch checks the last dimension first
        for j, ((lo, hi), n) in reversed(list(enumerate(zip(pads, spatial)))):
            if lo >= n or hi >= n:
                arg = 4 + 2 * (k - 1 - j)
                raise RuntimeError(
                    f"Argument #{arg}: Padding size should be less than the corresponding input "
                    f"dimension, but got: padding ({lo}, {hi}) at dimension {nd - k + j} of "
                    f"input {_size_list(input)}"
                )
    out = [n + lo + hi for (lo, hi), n in zip(pads, spatial)]
    if any(o < 1 for o in out):
        names = ("D", "H", "W")[3 - k :]
        ins = ", ".join(f"{a}: {n}" for a, n in zip(names, spatial))
        outs = " ".join(f"{a}: {o}" for a, o in zip(names, out))
        raise RuntimeError(f"input ({ins}) is too small. Calculated output {outs}")


def _check_circular(input: Tensor, pads: tuple) -> None:
    k = len(pads)
    spatial = input.shape[input.dim() - k :]
    for (lo, hi), n in zip(pads, spatial):
        if lo > n or hi > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        kept = n - max(-lo, 0) - max(-hi, 0)
        if kept < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if lo > kept:
            # torch fills the left part from the output itself, which then overlaps (or reads
            # memory not yet written); wrapping beyond the kept part on the right is well defined
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation."
            )


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dimensions.

    ``pad`` = (left_last, right_last, left_second_last, ...). ``mode``: 'constant' (any rank,
    fill ``value``, default 0), 'reflect', 'replicate' or 'circular' (the last 1-3 dimensions of
    a (C, *) or (N, C, *) input).
    """
    for i, p in enumerate(pad):
        if isinstance(p, float) or not hasattr(p, "__index__"):
            raise TypeError(
                "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                f"type {type(p).__name__} at pos {i}"
            )
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.dim():
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.dim()}"
        )
    # (lo, hi) per dimension, in dimension order
    pads = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k)))
    if mode == "constant":
        spatial = input.shape[input.dim() - k :]
        if any(n + lo + hi < 0 for (lo, hi), n in zip(pads, spatial)):
            raise RuntimeError("narrow(): length must be non-negative.")
        return apply(_pad_constant, input, 0 if value is None else value, pads=pads)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    if mode == "circular":
        _check_circular(input, pads)
        return apply(_pad_circular, input, pads=pads)
    _check_edge_mode(input, pads, mode)
    if mode == "replicate" or k < 3:
        # torch's CPU autocast lists reflection_pad1d/2d and replication_pad1d/2d/3d as float32
        (input,) = cast_inputs(FP32, input, devices=CPU)
    return apply(_pad_edges, input, pads=pads, mode=mode)
