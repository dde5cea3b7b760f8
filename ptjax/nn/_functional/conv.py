"""Convolutions of torch.nn.functional: conv1d/2d/3d and conv_transpose1d/2d/3d.

Layouts are torch's (input N, C, *spatial; weight out, in / groups, *kernel; transposed weight
in, out / groups, *kernel), so a PyTorch state_dict loads with no transposes. Both forms are one
``jax.lax.conv_general_dilated`` each; a transposed convolution is the plain one over the
stride-dilated input with the kernel flipped and its in/out axes swapped per group, which is
exactly the gradient torch's transposed convolution computes. float32 runs at the precision of
``set_float32_matmul_precision`` (full precision by default, as torch).
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
from jax import lax

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._ops.blas import precision_for
from ptjax._tensor import Tensor
from ptjax.amp.autocast_mode import LOWER, autocast_op
from ptjax.autograd.grad_mode import is_grad_enabled

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]

_LAYOUTS = {
    1: ("NCH", "OIH", "NCH"),
    2: ("NCHW", "OIHW", "NCHW"),
    3: ("NCDHW", "OIDHW", "NCDHW"),
}
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int"}


def _sizes(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _tuple_arg(value, name: str, n: int) -> tuple:
    """``value`` (int or sequence) as an n-tuple of ints, with torch's length error."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the "
            f"convolution dimensions, but got {name}={list(value)}"
        )
    return value


def _check_common(input: Tensor, weight: Tensor, bias, nd: int, fname: str) -> bool:
    """Rank and dtype checks shared by both forms; returns whether ``input`` is batched."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, but got "
            f"input of size: {_sizes(input)}"
        )
    if weight.dim() != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional input for {nd + 2}-dimensional weight "
            f"{_sizes(weight)}, but got {input.dim()}-dimensional input of size "
            f"{_sizes(input)} instead"
        )
    if input.dtype is not weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_SCALAR_NAMES.get(input.dtype.name, input.dtype.name)} but "
            f"found {_SCALAR_NAMES.get(weight.dtype.name, weight.dtype.name)}"
        )
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(
            f"Input type ({_C_NAMES.get(input.dtype.name, input.dtype.name)}) and bias type "
            f"({_C_NAMES.get(bias.dtype.name, bias.dtype.name)}) should be the same"
        )
    if input.dtype is D.bool or input.is_complex():
        raise NotImplementedError(f"{fname} is not implemented for {input.dtype}")
    return input.dim() == nd + 2


def _check_geometry(stride, padding, dilation, groups: int) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if padding is not None and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_groups(weight: Tensor, groups: int) -> None:
    if weight.shape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
            f"got weight of size {_sizes(weight)} instead"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_sizes(weight)}] instead"
        )


def _check_in_channels(
    input: Tensor, weight: Tensor, batched: bool, n: int, *, transposed: bool, groups: int
) -> None:
    """The input must have ``n`` channels (torch's message names the weight and the batched
    input size)."""
    cin = input.shape[1 if batched else 0]
    if cin != n:
        lead = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
        shape = tuple(input.shape) if batched else (1, *input.shape)
        raise RuntimeError(
            f"{lead} of size {_sizes(weight)}, expected input[{', '.join(map(str, shape))}] to "
            f"have {n} channels, but got {cin} channels instead"
        )


def _check_bias(bias, weight: Tensor, n: int, transposed: bool) -> None:
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != n):
        lead = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(
            f"{lead} of size {_sizes(weight)}, expected bias to be 1-dimensional with {n} "
            f"elements, but got bias of size {_sizes(bias)} instead"
        )


def _acc_type(dt):
    # integer convolutions accumulate in their own type, as torch's CPU kernels do
    return dt if jnp.issubdtype(dt, jnp.integer) else None


def _add_bias(y, b, nd: int):
    if b is None:
        return y
    return y + b.reshape((1, -1) + (1,) * nd)


def _out_shape(spatial, kernel, stride, padding, dilation) -> list:
    return [
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), d in zip(spatial, kernel, stride, padding, dilation)
    ]


# patches bigger than this (bytes) are not materialised; XLA's own convolution runs instead
_PATCHES_LIMIT = 1 << 28


def _use_matmul_form(input: Tensor, weight: Tensor, bias, groups: int, out_shape) -> bool:
    """Whether to run a convolution as a matmul over its patches (``_conv_as_matmul``).

    On CPU that form trains faster than XLA's convolution, whose backward is slow there, but
    its forward alone is slower for wide layers, so it is chosen only when a gradient will be
    taken. GPU/TPU convolutions (cuDNN...) beat materialised patches.
    """
    if groups != 1 or not input.dtype.is_floating_point or jax.default_backend() != "cpu":
        return False
    if not is_grad_enabled() or not any(t is not None and t._rg for t in (input, weight, bias)):
        return False
    batch = input.shape[0] if input.dim() == weight.dim() else 1
    itemsize = jnp.dtype(input._value.dtype).itemsize
    patches = batch * math.prod(out_shape) * math.prod(weight.shape[1:]) * itemsize
    return patches <= _PATCHES_LIMIT


def _conv_as_matmul(x, w, out_shape, *, stride, padding, dilation, precision):
    """The convolution as (N*out, K*C) patches x (K*C, O) kernel, channels-last.

    Forward + backward on CPU (2 cores, 3x3 kernels, batch 64), XLA's convolution vs this:
    1->32 channels at 28x28 12.1 -> 3.5 ms; 32->64 at 14x14 37.4 -> 18.3 ms; 64->64 at 32x32
    399 -> 311 ms. Both operands are 2-D and contracted on their inner dimension: with a
    transposed operand XLA's CPU dot is 2-3x slower.
    """
    xt = jnp.moveaxis(x, 1, -1)
    xt = jnp.pad(xt, ((0, 0), *padding, (0, 0)))
    patches = []
    for offsets in itertools.product(*(range(k) for k in w.shape[2:])):
        window = tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s)
            for o, d, n, s in zip(offsets, dilation, out_shape, stride)
        )
        patches.append(xt[(slice(None), *window)])
    cols = patches[0] if len(patches) == 1 else jnp.concatenate(patches, axis=-1)
    # (*k, C, O) matches the patches' order
    kernel = jnp.transpose(w, (*range(2, w.ndim), 1, 0)).reshape(cols.shape[-1], w.shape[0])
    rows = math.prod(cols.shape[:-1])
    y = jnp.matmul(cols.reshape(rows, cols.shape[-1]), kernel, precision=precision)
    return jnp.moveaxis(y.reshape(*cols.shape[:-1], w.shape[0]), -1, 1)


def _xla_conv(x, w, groups: int, precision, **geometry):
    """``lax.conv_general_dilated`` of batched ``x`` and ``w`` (out, in / groups, *kernel) in
    torch's layouts; ``geometry`` is its window_strides, padding and dilation arguments."""
    return lax.conv_general_dilated(
        x,
        w,
        dimension_numbers=_LAYOUTS[w.ndim - 2],
        feature_group_count=groups,
        precision=precision,
        preferred_element_type=_acc_type(x.dtype),
        **geometry,
    )


def _convolution(
    x, w, b, *, stride, padding, dilation, groups, precision, batched, matmul_form=False
):
    nd = w.ndim - 2
    if not batched:
        x = x[None]
    if matmul_form:
        out_shape = _out_shape(x.shape[2:], w.shape[2:], stride, padding, dilation)
        y = _conv_as_matmul(
            x, w, out_shape, stride=stride, padding=padding, dilation=dilation, precision=precision
        )
    else:
        y = _xla_conv(
            x, w, groups, precision, window_strides=stride, padding=padding, rhs_dilation=dilation
        )
    y = _add_bias(y, b, nd)
    return y if batched else y[0]


def _conv_transpose(x, w, b, *, stride, padding, dilation, groups, precision, batched):
    nd = w.ndim - 2
    if not batched:
        x = x[None]
    cin, cout_g, *k = w.shape
    # (in, out/g, *k) -> (out, in/g, *k) per group, kernel flipped: the adjoint of the forward
    wt = w.reshape((groups, cin // groups, cout_g, *k))
    wt = jnp.swapaxes(wt, 1, 2).reshape((groups * cout_g, cin // groups, *k))
    wt = jnp.flip(wt, axis=tuple(range(2, 2 + nd)))
    y = _xla_conv(
        x,
        wt,
        groups,
        precision,
        window_strides=(1,) * nd,
        padding=padding,
        lhs_dilation=stride,
        rhs_dilation=dilation,
    )
    y = _add_bias(y, b, nd)
    return y if batched else y[0]


_convolution.backward_name = _conv_transpose.backward_name = "ConvolutionBackward0"


def _same_padding(weight: Tensor, dilation: tuple, nd: int) -> tuple:
    pads = []
    for d, k in zip(dilation, weight.shape[2:]):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _convnd(nd: int, fname: str, input, weight, bias, stride, padding, dilation, groups):
    batched = _check_common(input, weight, bias, nd, fname)
    stride = _tuple_arg(stride, "stride", nd)
    dilation = _tuple_arg(dilation, "dilation", nd)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        _check_geometry(stride, None, dilation, groups)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = _same_padding(weight, dilation, nd)
        else:
            pads = ((0, 0),) * nd
    else:
        padding = _tuple_arg(padding, "padding", nd)
        _check_geometry(stride, padding, dilation, groups)
        pads = tuple((p, p) for p in padding)
    _check_groups(weight, groups)
    _check_in_channels(
        input, weight, batched, weight.shape[1] * groups, transposed=False, groups=groups
    )
    spatial = input.shape[-nd:]
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads)]
    kernel = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
    if any(p < k for p, k in zip(padded, kernel)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than "
            "actual input size"
        )
    _check_bias(bias, weight, weight.shape[0], False)
    out_shape = _out_shape(spatial, weight.shape[2:], stride, pads, dilation)
    return apply(
        _convolution,
        input,
        weight,
        bias,
        stride=stride,
        padding=pads,
        dilation=dilation,
        groups=groups,
        precision=precision_for(input._value.dtype),
        batched=batched,
        matmul_form=_use_matmul_form(input, weight, bias, groups, out_shape),
    )


def _conv_transposend(
    nd: int, fname: str, input, weight, bias, stride, padding, output_padding, groups, dilation
):
    batched = _check_common(input, weight, bias, nd, fname)
    if isinstance(padding, str):
        raise TypeError(f"{fname}(): argument 'padding' must be tuple of ints, not str")
    stride = _tuple_arg(stride, "stride", nd)
    padding = _tuple_arg(padding, "padding", nd)
    output_padding = _tuple_arg(output_padding, "output_padding", nd)
    dilation = _tuple_arg(dilation, "dilation", nd)
    _check_geometry(stride, padding, dilation, groups)
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")[3 - max(nd, 2) :]
        op2, s2, d2 = (
            ((0,) * (len(names) - nd) + tuple(v)) for v in (output_padding, stride, dilation)
        )
        parts = (
            [f"output_padding_{n}: {v}" for n, v in zip(names, op2)]
            + [f"stride_{n}: {v}" for n, v in zip(names, s2)]
            + [f"dilation_{n}: {v}" for n, v in zip(names, d2)]
        )
        if nd == 1:  # torch checks 1-d as 2-d with a unit height
            parts[2] = "stride_height: 1"
            parts[4] = "dilation_height: 1"
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts)
        )
    _check_groups(weight, groups)
    _check_in_channels(input, weight, batched, weight.shape[0], transposed=True, groups=groups)
    spatial = input.shape[-nd:]
    out = [
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip(
            spatial, stride, padding, dilation, weight.shape[2:], output_padding
        )
    ]
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, spatial))}). Calculated output "
            f"size per channel: ({' x '.join(map(str, out))}). Output size is too small"
        )
    _check_bias(bias, weight, weight.shape[1] * groups, True)
    # the adjoint's padding; negative values crop (padding beyond the dilated kernel)
    pads = tuple(
        (d * (k - 1) - p, d * (k - 1) - p + op)
        for p, d, k, op in zip(padding, dilation, weight.shape[2:], output_padding)
    )
    return apply(
        _conv_transpose,
        input,
        weight,
        bias,
        stride=stride,
        padding=pads,
        dilation=dilation,
        groups=groups,
        precision=precision_for(input._value.dtype),
        batched=batched,
    )


_SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _shapes(nd: int) -> tuple:
    dims = _SPATIAL[nd]
    x = ", ".join(dims)
    k = ", ".join("k" + d for d in dims) if nd > 1 else "k"
    out = ", ".join(d + "_out" for d in dims)
    return x, k, out


def _as_public(fn, name: str, doc: str):
    """``fn`` named and documented as the public ``name``, run under autocast's lower-precision
    policy."""
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return autocast_op(LOWER)(fn)


def _make_conv(nd: int):
    name = f"conv{nd}d"

    def conv(
        input: Tensor,
        weight: Tensor,
        bias: Tensor | None = None,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
    ) -> Tensor:
        return _convnd(nd, name, input, weight, bias, stride, padding, dilation, groups)

    x, k, out = _shapes(nd)
    return _as_public(
        conv,
        name,
        f"{nd}-D cross-correlation: input (N, C_in, {x}) or (C_in, {x}), weight "
        f"(C_out, C_in / groups, {k}), bias (C_out,) -> (N, C_out, {out}). ``padding`` is an "
        "int, a tuple, 'valid' or 'same'.",
    )


def _make_conv_transpose(nd: int):
    name = f"conv_transpose{nd}d"

    def conv_transpose(
        input: Tensor,
        weight: Tensor,
        bias: Tensor | None = None,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        dilation=1,
    ) -> Tensor:
        return _conv_transposend(
            nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation
        )

    x, k, out = _shapes(nd)
    return _as_public(
        conv_transpose,
        name,
        f"{nd}-D transposed convolution: input (N, C_in, {x}) or (C_in, {x}), weight "
        f"(C_in, C_out / groups, {k}), bias (C_out,) -> (N, C_out, {out}), each size "
        "(n - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.",
    )


conv1d, conv2d, conv3d = (_make_conv(nd) for nd in (1, 2, 3))
conv_transpose1d, conv_transpose2d, conv_transpose3d = (
    _make_conv_transpose(nd) for nd in (1, 2, 3)
)
