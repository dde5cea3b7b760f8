"""Resampling and rearranging images: interpolate/upsample, pixel_shuffle/unshuffle,
channel_shuffle, unfold/fold (im2col/col2im), affine_grid and grid_sample.

Interpolation follows torch's CPU kernels: source indices and weights are computed on the host
with torch's formulas and precision (float32 for nearest indices; the input's dtype for linear
and cubic weights), and the result is separable gathers along each dimension, innermost first,
which is the order in which torch's kernels accumulate. Gradients are JAX's transposes of those
gathers (scatter-adds), the same sums torch's backward kernels compute.
"""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._errors import unsupported
from ptjax._ops.creation import _linspace_values
from ptjax._tensor import Tensor
from ptjax.amp.autocast_mode import CPU, FP32, autocast_op
from ptjax.nn._functional.pooling import (
    _strided_windows,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
)

__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "native_channel_shuffle",
    "unfold",
    "fold",
    "affine_grid",
    "grid_sample",
]

_MODES_TEXT = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}
_CUBIC_A = -0.75


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


# -- source indices and weights (host side, torch's formulas) ------------------------------------


def _scale_value(n_in: int, n_out: int, scale, ft):
    """compute_scales_value: 1 / scale_factor when given, else in / out, in type ``ft``."""
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(n_in) / ft(n_out)


def _nearest_index(n_in: int, n_out: int, scale, exact: bool) -> np.ndarray:
    dst = np.arange(n_out)
    if not exact:
        if n_out == n_in:
            return dst
        if n_out == 2 * n_in:
            return dst >> 1
    s = _scale_value(n_in, n_out, scale, np.float32)
    if exact:
        # (dst + 0.5) is a double in torch; the product is rounded to float by floorf
        src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _source_coords(n_in: int, n_out: int, align_corners: bool, scale, ft, cubic: bool):
    """area_pixel_compute_source_index for every output position, in type ``ft``."""
    dst = np.arange(n_out).astype(ft)
    if align_corners:
        s = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        return (s * dst).astype(ft)
    s = _scale_value(n_in, n_out, scale, ft)
    src = (s * (dst + ft(0.5)) - ft(0.5)).astype(ft)
    return src if cubic else np.maximum(src, ft(0))


def _linear_taps(n_in, n_out, align_corners, scale, ft):
    """Indices (2, n_out) and weights (2, n_out) of linear interpolation."""
    if n_in == n_out:  # torch copies
        i = np.arange(n_out)
        return np.stack([i, i]), np.stack([np.ones(n_out, ft), np.zeros(n_out, ft)])
    src = _source_coords(n_in, n_out, align_corners, scale, ft, False)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(ft), 0, 1).astype(ft)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1]), np.stack([(ft(1) - lam).astype(ft), lam])


def _cubic_taps(n_in, n_out, align_corners, scale, ft):
    """Indices (4, n_out) and weights (4, n_out) of bicubic interpolation (A = -0.75)."""
    src = _source_coords(n_in, n_out, align_corners, scale, ft, True)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(ft), 0, 1).astype(ft)
    w = np.stack([c.astype(ft) for c in _cubic_coeffs(t)])
    idx = np.stack([np.clip(i0 - 1 + j, 0, n_in - 1) for j in range(4)])
    return idx, w


# -- interpolation kernels ------------------------------------------------------------------------


def _gather_weighted(x, axis, idx, w):
    """sum_j w[j] * x[idx[j]] along ``axis``, accumulated in tap order as torch."""
    shape = [1] * x.ndim
    shape[axis] = idx.shape[1]
    out = None
    for j in range(idx.shape[0]):
        term = jnp.take(x, jnp.asarray(idx[j]), axis=axis) * jnp.asarray(w[j], x.dtype).reshape(
            shape
        )
        out = term if out is None else out + term
    return out


def _interp(x, *, mode, out, align_corners, scales):
    nd = len(out)
    lead = x.ndim - nd
    ft = np.float64 if x.dtype == jnp.float64 else np.float32
    # innermost dimension first: torch's kernels nest the outer dimensions around it
    for i in reversed(range(nd)):
        axis = lead + i
        n_in, n_out, scale = x.shape[axis], out[i], scales[i]
        if mode in ("nearest", "nearest-exact"):
            idx = _nearest_index(n_in, n_out, scale, mode == "nearest-exact")
            x = jnp.take(x, jnp.asarray(idx), axis=axis)
        elif mode == "bicubic":
            idx, w = _cubic_taps(n_in, n_out, align_corners, scale, ft)
            x = _gather_weighted(x, axis, idx, w)
        else:
            idx, w = _linear_taps(n_in, n_out, align_corners, scale, ft)
            x = _gather_weighted(x, axis, idx, w)
    return x


_interp.backward_name = "UpsampleBilinear2DBackward0"


def _is_integer(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | np.integer):
        return True
    return isinstance(v, Tensor) and not v.is_floating_point()


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dimensions of (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Modes: 'nearest' and 'nearest-exact' (any of 1-3 spatial dims), 'linear' (3-D input),
    'bilinear' and 'bicubic' (4-D), 'trilinear' (5-D), 'area' (adaptive average pooling).
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, list | tuple):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(v) for v in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"{[type(v) for v in size]}"
                )
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, list | tuple):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, "
                    "C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
            "a 4-D tensor as input"
        )
    if antialias or mode == "lanczos":
        raise unsupported("torch.nn.functional.interpolate", "antialiased resampling")
    if dim not in (1, 2, 3) or mode not in (
        "nearest",
        "nearest-exact",
        "area",
        "linear",
        "bilinear",
        "bicubic",
        "trilinear",
    ):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: {_MODES_TEXT} (got {mode})"
        )
    if mode == "bicubic" and dim != 2:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: {_MODES_TEXT} (got {mode})"
        )
    need = _LINEAR_MODES.get(mode)
    if need is not None and need != dim:
        raise NotImplementedError(
            f"Got {input.dim()}D input, but {mode} mode needs {need + 2}D input"
        )
    if output_size is None:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1]
        return pool(input, output_size)
    spatial = list(input.shape[2:])
    if any(s <= 0 for s in spatial) or any(o <= 0 for o in output_size):
        names = ("D", "H", "W")[3 - dim :]
        ins = ", ".join(f"{n}: {s}" for n, s in zip(names, spatial))
        outs = ", ".join(f"{n}: {o}" for n, o in zip(names, output_size))
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({ins}) output "
            f"({outs})"
        )
    if input.shape[1] == 0:
        raise RuntimeError(
            f"Non-empty {dim + 2}D data tensor expected but got a tensor with sizes "
            f"{_sizes(input.shape)}"
        )
    if mode not in ("nearest", "nearest-exact") and not input.is_floating_point():
        kernel = {1: "upsample_linear1d", 2: "upsample_bilinear2d", 3: "upsample_trilinear3d"}
        name = "upsample_bicubic2d" if mode == "bicubic" else kernel[dim]
        raise NotImplementedError(f"\"{name}\" not implemented for '{_scalar(input.dtype)}'")
    scales = tuple(scale_factors) if scale_factors is not None else (None,) * dim
    return apply(
        _interp,
        input,
        mode=mode,
        out=tuple(output_size),
        align_corners=bool(align_corners),
        scales=scales,
    )


def _scalar(dt: D.dtype) -> str:
    return {"int64": "Long", "int32": "Int", "uint8": "Byte", "bool": "Bool"}.get(
        dt.name, dt.name.title()
    )


def _warn_deprecated(name: str) -> None:
    warnings.warn(
        f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=3,
    )


def upsample(input: Tensor, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate`."""
    _warn_deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    _warn_deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    _warn_deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel and channel shuffles -------------------------------------------------------------------


def _pixel_shuffle(x, *, r):
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    x = x.reshape((*lead, oc, r, r, h, w))
    n = len(lead)
    x = x.transpose((*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape((*lead, oc, h * r, w * r))


def _pixel_unshuffle(x, *, r):
    *lead, c, h, w = x.shape
    x = x.reshape((*lead, c, h // r, r, w // r, r))
    n = len(lead)
    x = x.transpose((*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape((*lead, c * r * r, h // r, w // r))


def _shuffle_factor(input: Tensor, fname: str, arg: str, factor) -> int:
    if input.dim() < 3:
        raise RuntimeError(
            f"{fname} expects input to have at least 3 dimensions, but got input with "
            f"{input.dim()} dimension(s)"
        )
    r = int(factor)
    if r <= 0:
        raise RuntimeError(f"{fname} expects a positive {arg}, but got {r}")
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = _shuffle_factor(input, "pixel_shuffle", "upscale_factor", upscale_factor)
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    return apply(_pixel_shuffle, input, r=r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = _shuffle_factor(input, "pixel_unshuffle", "downscale_factor", downscale_factor)
    for axis, name in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({axis})={input.shape[axis]} is not divisible by {r}"
            )
    return apply(_pixel_unshuffle, input, r=r)


def _channel_shuffle(x, *, groups):
    n, c = x.shape[:2]
    rest = x.shape[2:]
    x = x.reshape((n, groups, c // groups) + rest)
    return jnp.swapaxes(x, 1, 2).reshape((n, c) + rest)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with channels regrouped: (N, g, C / g, *) -> (N, C / g, g, *) -> (N, C, *)."""
    if input.dim() <= 2:
        raise RuntimeError(
            "channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{_sizes(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    if input.shape[1] % groups:
        raise RuntimeError(
            "Number of channels must be divisible by groups. Got "
            f"{input.shape[1]} channels and {groups} groups."
        )
    return apply(_channel_shuffle, input, groups=int(groups))


native_channel_shuffle = channel_shuffle


# -- unfold / fold --------------------------------------------------------------------------------


def _pair_arg(v, name: str, fname: str) -> tuple:
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return v


def _check_block_args(kernel, dilation, padding, stride) -> None:
    if min(kernel) <= 0:
        raise RuntimeError(
            "kernel size should be greater than zero, but got kernel_height: "
            f"{kernel[0]} kernel_width: {kernel[1]}"
        )
    if min(stride) <= 0:
        raise RuntimeError(
            "stride should be greater than zero, but got stride_height: "
            f"{stride[0]} stride_width: {stride[1]}"
        )
    if min(padding) < 0:
        raise RuntimeError(
            f"padding should be non-negative, but got pad_height: {padding[0]} pad_width: "
            f"{padding[1]}"
        )
    if min(dilation) <= 0:
        raise RuntimeError(
            "dilation should be greater than zero, but got dilation_height: "
            f"{dilation[0]} dilation_width: {dilation[1]}"
        )


def _blocks(spatial, kernel, dilation, padding, stride) -> tuple:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, d, p, s in zip(spatial, kernel, dilation, padding, stride)
    )


def _unfold(x, *, kernel, dilation, padding, stride, blocks, batched):
    if not batched:
        x = x[None]
    wins = _strided_windows(x, 2, kernel, stride, padding, dilation, blocks, 0)
    y = jnp.stack(wins, axis=2)  # (N, C, kh * kw, bh, bw)
    n, c = x.shape[:2]
    y = y.reshape(n, c * len(wins), blocks[0] * blocks[1])
    return y if batched else y[0]


_unfold.backward_name = "Im2ColBackward0"


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks (im2col): (N, C, H, W) or (C, H, W) -> (N, C kh kw, L), L the number of
    blocks; each column lists channel-major then kernel positions row-major."""
    kernel = _pair_arg(kernel_size, "kernel_size", "unfold")
    dilation = _pair_arg(dilation, "dilation", "unfold")
    padding = _pair_arg(padding, "padding", "unfold")
    stride = _pair_arg(stride, "stride", "unfold")
    _check_block_args(kernel, dilation, padding, stride)
    if input.dim() not in (3, 4) or any(s == 0 for s in input.shape[input.dim() - 3 :]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {_sizes(input.shape)}"
        )
    spatial = tuple(input.shape[-2:])
    blocks = _blocks(spatial, kernel, dilation, padding, stride)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size ({spatial[0]}, {spatial[1]}), kernel_size=({kernel[0]}, "
            f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
            f"{padding[1]}), calculated shape of the array of sliding blocks as ({blocks[0]}, "
            f"{blocks[1]}), but its components must be at least one."
        )
    return apply(
        _unfold,
        input,
        kernel=kernel,
        dilation=dilation,
        padding=padding,
        stride=stride,
        blocks=blocks,
        batched=input.dim() == 4,
    )


def _fold(x, *, out, kernel, dilation, padding, stride, blocks, batched):
    if not batched:
        x = x[None]
    n, ck, _ = x.shape
    k = kernel[0] * kernel[1]
    x = x.reshape(n, ck // k, k, blocks[0], blocks[1])
    size = tuple(o + 2 * p for o, p in zip(out, padding))
    y = None
    for j, (jh, jw) in enumerate(np.ndindex(*kernel)):
        cfg = [(0, 0, 0), (0, 0, 0)]
        for off, b, s, full in zip((jh * dilation[0], jw * dilation[1]), blocks, stride, size):
            cfg.append((off, full - off - (b - 1) * s - 1, s - 1))
        # interior padding places the blocks at their strided positions: the adjoint of unfold
        part = lax.pad(x[:, :, j], jnp.zeros((), x.dtype), cfg)
        y = part if y is None else y + part
    y = y[:, :, padding[0] : padding[0] + out[0], padding[1] : padding[1] + out[1]]
    return y if batched else y[0]


_fold.backward_name = "Col2ImBackward0"


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into an image (col2im): (N, C kh kw, L) or (C kh kw, L)
    -> (N, C, *output_size); overlapping values add up."""
    out = _pair_arg(output_size, "output_size", "fold")
    kernel = _pair_arg(kernel_size, "kernel_size", "fold")
    dilation = _pair_arg(dilation, "dilation", "fold")
    padding = _pair_arg(padding, "padding", "fold")
    stride = _pair_arg(stride, "stride", "fold")
    _check_block_args(kernel, dilation, padding, stride)
    if input.dim() not in (2, 3) or any(s == 0 for s in input.shape[input.dim() - 2 :]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {_sizes(input.shape)}"
        )
    batched = input.dim() == 3
    ck, length = input.shape[-2:]
    k = kernel[0] * kernel[1]
    if ck % k:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={ck} and kernel_size=({kernel[0]}, {kernel[1]})."
        )
    blocks = _blocks(out, kernel, dilation, padding, stride)
    if min(blocks) < 1 or blocks[0] * blocks[1] != length:
        raise RuntimeError(
            f"Given output_size=({out[0]}, {out[1]}), kernel_size=({kernel[0]}, {kernel[1]}), "
            f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), "
            f"stride=({stride[0]}, {stride[1]}), expected size of input's dimension 2 to match "
            f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={length}."
        )
    return apply(
        _fold,
        input,
        out=out,
        kernel=kernel,
        dilation=dilation,
        padding=padding,
        stride=stride,
        blocks=blocks,
        batched=batched,
    )


# -- affine_grid / grid_sample --------------------------------------------------------------------


def _base_coords(n: int, align_corners: bool, dt) -> np.ndarray:
    """torch's normalised pixel coordinates: linspace(-1, 1, n), scaled by (n - 1) / n when
    the corners are not aligned; a single pixel sits at 0."""
    d = D.float64 if dt == jnp.float64 else D.float32
    if n <= 1:
        return np.zeros(n, d.np)
    c = _linspace_values(-1.0, 1.0, n, d)
    return c if align_corners else (c * d.np.type(n - 1) / d.np.type(n)).astype(d.np)


def _affine_grid(theta, *, size, align_corners):
    dt = theta.dtype
    spatial = size[2:]
    nd = len(spatial)
    # coordinate k (x, y[, z]) varies along spatial axis nd - 1 - k
    parts = []
    for k in range(nd):
        shape = [1] * nd
        shape[nd - 1 - k] = spatial[nd - 1 - k]
        axis = _base_coords(spatial[nd - 1 - k], align_corners, dt).reshape(shape)
        parts.append(np.broadcast_to(axis, spatial))
    parts.append(np.ones(spatial, parts[0].dtype))
    base = jnp.asarray(np.stack(parts, axis=-1).reshape(-1, nd + 1))
    grid = jnp.einsum("pk,njk->npj", base, theta, precision="highest")
    return grid.reshape((size[0], *spatial, nd))


_affine_grid.backward_name = "AffineGridGeneratorBackward0"


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid of an affine transform: theta (N, 2, 3) -> (N, H, W, 2) for size
    (N, C, H, W); theta (N, 3, 4) -> (N, D, H, W, 3) for size (N, C, D, H, W)."""
    if align_corners is None:
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                "Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                f"{given}. Got {_torch_size(theta.shape)}."
            )
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                "Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                f"{given}. Got {_torch_size(theta.shape)}."
            )
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {given}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    return apply(_affine_grid, theta, size=size, align_corners=bool(align_corners))


def _torch_size(shape) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in shape) + "])"


def _unnormalize(coord, n: int, align_corners: bool):
    if align_corners:
        return (coord + 1) / 2 * (n - 1)
    return ((coord + 1) * n - 1) / 2


def _reflect(coord, lo2: float, hi2: float):
    """torch's reflect_coordinates with twice-scaled bounds."""
    if lo2 == hi2:
        return jnp.zeros_like(coord)
    lo = lo2 / 2
    span = (hi2 - lo2) / 2
    c = coord - lo
    c = jnp.where(c < 0, -c, c)  # torch's gradient sign: +1 at the reflection point
    extra = jnp.fmod(c, span)
    flips = jnp.floor(c / span)
    return jnp.where(flips % 2 == 0, extra + lo, span - extra + lo)


def _clip(c, n: int):
    # torch's clip_coordinates: the gradient is zero at and beyond the borders
    return jnp.where(c <= 0, jnp.zeros_like(c), jnp.where(c >= n - 1, jnp.full_like(c, n - 1), c))


def _pad_coord(c, n: int, padding_mode: str, align_corners: bool):
    if padding_mode == "border":
        return _clip(c, n)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        return _clip(c, n)
    return c


def _gather_points(x, idx_list):
    """x (N, C, *spatial) at integer positions (N, *out) per dimension; zero outside."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    valid, flat_idx = None, None
    for i, idx in enumerate(idx_list):
        ok = (idx >= 0) & (idx < spatial[i])
        valid = ok if valid is None else valid & ok
        safe = jnp.clip(idx, 0, spatial[i] - 1)
        flat_idx = safe if flat_idx is None else flat_idx * spatial[i] + safe
    points = math.prod(idx_list[0].shape[1:])
    vals = jnp.take_along_axis(
        x.reshape(n, c, math.prod(spatial)), flat_idx.reshape(n, 1, points), axis=2
    )
    vals = vals.reshape((n, c) + idx_list[0].shape[1:])
    return jnp.where(valid[:, None], vals, jnp.zeros((), x.dtype))


def _bilinear2d_parts(x, grid, padding_mode, align_corners):
    """Corner values, torch's weight factors and d(pixel coordinate)/d(grid) per axis."""
    h, w = x.shape[2:]

    def coord(g, n):
        return _pad_coord(_unnormalize(g, n, align_corners), n, padding_mode, align_corners)

    gx, gy = grid[..., 0], grid[..., 1]
    ix, mult_x = jax.jvp(lambda g: coord(g, w), (gx,), (jnp.ones_like(gx),))
    iy, mult_y = jax.jvp(lambda g: coord(g, h), (gy,), (jnp.ones_like(gy),))
    x0, y0 = jnp.floor(ix), jnp.floor(iy)
    fw = ix - x0  # distances to the west / north neighbours, as torch's CPU kernel
    fn = iy - y0
    fe, fs = 1 - fw, 1 - fn
    x0, y0 = x0.astype(jnp.int64), y0.astype(jnp.int64)
    vals = [_gather_points(x, [y0 + b, x0 + a]) for b, a in ((0, 0), (0, 1), (1, 0), (1, 1))]
    return vals, (fw, fe, fn, fs), (mult_x, mult_y)


def _bilinear2d_value(vals, factors):
    nw, ne, sw, se = vals
    fw, fe, fn, fs = factors
    return (
        nw * (fs * fe)[:, None]
        + ne * (fs * fw)[:, None]
        + sw * (fn * fe)[:, None]
        + se * (fn * fw)[:, None]
    )


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _bilinear2d(x, grid, padding_mode, align_corners):
    vals, factors, _ = _bilinear2d_parts(x, grid, padding_mode, align_corners)
    return _bilinear2d_value(vals, factors)


def _bilinear2d_fwd(x, grid, padding_mode, align_corners):
    return _bilinear2d(x, grid, padding_mode, align_corners), (x, grid)


def _bilinear2d_bwd(padding_mode, align_corners, res, g):
    x, grid = res
    vals, factors, (mult_x, mult_y) = _bilinear2d_parts(x, grid, padding_mode, align_corners)
    _, pull = jax.vjp(
        lambda xx: _bilinear2d_value(
            _bilinear2d_parts(xx, grid, padding_mode, align_corners)[0], factors
        ),
        x,
    )
    (gx_in,) = pull(g)
    nw, ne, sw, se = vals
    fw, fe, fn, fs = factors
    # torch's grid gradient, accumulated over channels
    gx = jnp.sum(((ne - nw) * fs[:, None] + (se - sw) * fn[:, None]) * g, axis=1) * mult_x
    gy = jnp.sum(((sw - nw) * fe[:, None] + (se - ne) * fw[:, None]) * g, axis=1) * mult_y
    return gx_in, jnp.stack([gx, gy], axis=-1)


_bilinear2d.defvjp(_bilinear2d_fwd, _bilinear2d_bwd)


def _grid_sample(x, grid, *, mode, padding_mode, align_corners):
    nd = grid.shape[-1]
    spatial = x.shape[2:]
    # grid's last axis is (x, y[, z]): coordinate k indexes spatial dimension nd - 1 - k
    raw = [_unnormalize(grid[..., nd - 1 - i], spatial[i], align_corners) for i in range(nd)]

    def gather(idx_list):
        return _gather_points(x, idx_list)

    if mode == "bilinear" and nd == 2:
        return _bilinear2d(x, grid, padding_mode, align_corners)
    if mode != "bicubic":
        coords = [_pad_coord(r, spatial[i], padding_mode, align_corners) for i, r in enumerate(raw)]
    if mode == "nearest":
        # nearbyint: round half to even, as torch
        return gather([jnp.round(cc).astype(jnp.int64) for cc in coords])
    if mode == "bilinear":
        lo = [jnp.floor(cc) for cc in coords]
        # torch's corner weights: (x0 + 1 - x) and (x - x0), multiplied x first
        w_lo = [(f + 1) - cc for f, cc in zip(lo, coords)]
        w_hi = [cc - f for f, cc in zip(lo, coords)]
        lo = [f.astype(jnp.int64) for f in lo]
        out = None
        for corner in np.ndindex(*(2,) * nd):
            w = None
            for i in reversed(range(nd)):
                wi = w_hi[i] if corner[i] else w_lo[i]
                w = wi if w is None else w * wi
            term = gather([lo[i] + b for i, b in enumerate(corner)]) * w[:, None]
            out = term if out is None else out + term
        return out
    # bicubic (2-D): 4 x 4 taps around the unpadded position, each tap padded on its own,
    # gathered at once; rows are summed over x first, then over y, as torch
    cy, cx = raw
    fy, fx = jnp.floor(cy), jnp.floor(cx)
    wy, wx = _cubic_coeffs(cy - fy), _cubic_coeffs(cx - fx)
    ys = jnp.stack(
        [_pad_coord(fy - 1 + j, spatial[0], padding_mode, align_corners) for j in range(4)], 1
    )
    xs = jnp.stack(
        [_pad_coord(fx - 1 + i, spatial[1], padding_mode, align_corners) for i in range(4)], 1
    )
    ys = jax.lax.stop_gradient(ys).astype(jnp.int64)[:, :, None]  # (N, 4, 1, Ho, Wo)
    xs = jax.lax.stop_gradient(xs).astype(jnp.int64)[:, None, :]  # (N, 1, 4, Ho, Wo)
    shape = xs.shape[:1] + (4, 4) + xs.shape[3:]
    taps = gather([jnp.broadcast_to(ys, shape), jnp.broadcast_to(xs, shape)])
    out = None
    for j in range(4):
        row = None
        for i in range(4):
            term = taps[:, :, j, i] * wx[i][:, None]
            row = term if row is None else row + term
        term = row * wy[j][:, None]
        out = term if out is None else out + term
    return out


def _cubic_coeffs(t):
    """torch's get_cubic_upsample_coefficients (A = -0.75) for fractional offsets ``t``."""
    a = _CUBIC_A

    def near(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [far(t + 1), near(t), near(1 - t), far((1 - t) + 1)]


_grid_sample.backward_name = "GridSampler2DBackward0"


@autocast_op(FP32, CPU)
def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, H_out, W_out, 2) normalised (x, y) in
    [-1, 1] -> (N, C, H_out, W_out); 5-D input with a (N, D, H, W, 3) grid for volumes."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        align_corners = False
    if input.dim() not in (4, 5):
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {_sizes(input.shape)} and grid with sizes "
            f"{_sizes(grid.shape)}"
        )
    if grid.dim() != input.dim():
        raise RuntimeError(
            "grid_sampler(): expected grid to have same number of dimensions as input, but got "
            f"input with sizes {_sizes(input.shape)} and grid with sizes {_sizes(grid.shape)}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with "
            f"sizes {_sizes(input.shape)} and grid with sizes {_sizes(grid.shape)}"
        )
    nd = input.dim() - 2
    if grid.shape[-1] != nd:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid "
            f"with sizes {_sizes(grid.shape)}"
        )
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype is not grid.dtype:
        raise RuntimeError(
            "grid_sampler(): expected input and grid to have same dtype, but input has "
            f"{input.dtype} and grid has {grid.dtype}"
        )
    return apply(
        _grid_sample,
        input,
        grid,
        mode=mode,
        padding_mode=padding_mode,
        align_corners=bool(align_corners),
    )
