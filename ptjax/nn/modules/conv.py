"""Conv1d/2d/3d and ConvTranspose1d/2d/3d, with torch's weight layout, initialisation and repr.

weight: (out_channels, in_channels / groups, *kernel_size) for convolutions and
(in_channels, out_channels / groups, *kernel_size) for transposed ones, drawn from
kaiming_uniform(a=sqrt(5)); bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

from ptjax._errors import unsupported
from ptjax._ops.creation import empty
from ptjax._tensor import Tensor
from ptjax.nn import init
from ptjax.nn._functional.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from ptjax.nn._functional.padding import pad
from ptjax.nn.modules.module import Module
from ptjax.nn.modules.utils import _pair, _reverse_repeat_tuple, _single, _triple
from ptjax.nn.parameter import Parameter

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """State and initialisation shared by every convolution layer."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: tuple,
        stride: tuple,
        padding,
        dilation: tuple,
        transposed: bool,
        output_padding: tuple,
        groups: int,
        bias: bool,
        padding_mode: str,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad amounts (last dimension first) for the non-zero padding modes
        if isinstance(padding, str):
            rev = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    rev[2 * i] = total // 2
                    rev[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = rev
        else:
            self._reversed_padding_repeated_twice = list(_reverse_repeat_tuple(padding, 2))
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight (kaiming_uniform, a=sqrt(5)) and bias (U(+-1/sqrt(fan_in)))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


class _Conv(_ConvNd):
    _expand = staticmethod(_pair)
    _fn = staticmethod(conv2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        ex = self._expand
        super().__init__(
            in_channels,
            out_channels,
            ex(kernel_size),
            ex(stride),
            padding if isinstance(padding, str) else ex(padding),
            ex(dilation),
            False,
            ex(0),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        padding = self.padding
        if self.padding_mode != "zeros":
            # F.pad does the padding; the convolution itself then pads nothing
            input = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = self._expand(0)
        return self._fn(input, weight, bias, self.stride, padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution: (N, C_in, L) or (C_in, L) -> (N, C_out, L_out); weight
    (out_channels, in_channels / groups, kernel_size)."""

    _expand = staticmethod(_single)
    _fn = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-D convolution: (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out); weight
    (out_channels, in_channels / groups, kH, kW)."""

    _expand = staticmethod(_pair)
    _fn = staticmethod(conv2d)


class Conv3d(_Conv):
    """3-D convolution: (N, C_in, D, H, W) or (C_in, D, H, W) -> (N, C_out, D_out, H_out,
    W_out); weight (out_channels, in_channels / groups, kD, kH, kW)."""

    _expand = staticmethod(_triple)
    _fn = staticmethod(conv3d)


class _ConvTransposeNd(_ConvNd):
    _expand = staticmethod(_pair)
    _fn = staticmethod(conv_transpose2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}'
            )
        ex = self._expand
        super().__init__(
            in_channels,
            out_channels,
            ex(kernel_size),
            ex(stride),
            ex(padding),
            ex(dilation),
            True,
            ex(output_padding),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _output_padding(
        self,
        input: Tensor,
        output_size,
        stride,
        padding,
        kernel_size,
        num_spatial_dims: int,
        dilation=None,
    ) -> list:
        """The output_padding that makes the output ``output_size`` (torch's rule and errors)."""
        if output_size is None:
            return list(_single(self.output_padding))
        has_batch = input.dim() == num_spatial_dims + 2
        lead = 2 if has_batch else 1
        output_size = list(output_size)
        if len(output_size) == lead + num_spatial_dims:
            output_size = output_size[lead:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must "
                f"have {num_spatial_dims} or {lead + num_spatial_dims} elements (got "
                f"{len(output_size)})"
            )
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dil = dilation[d] if dilation is not None else 1
            size = (
                (input.size(d + lead) - 1) * stride[d]
                - 2 * padding[d]
                + dil * (kernel_size[d] - 1)
                + 1
            )
            min_sizes.append(size)
            max_sizes.append(size + stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {input.size()[lead:]})"
                )
        return [o - m for o, m in zip(output_size, min_sizes)]

    def forward(self, input: Tensor, output_size: list[int] | None = None) -> Tensor:
        if self.padding_mode != "zeros":
            raise ValueError(
                f"Only `zeros` padding mode is supported for {self.__class__.__name__}"
            )
        output_padding = self._output_padding(
            input,
            output_size,
            self.stride,
            self.padding,
            self.kernel_size,
            len(self.kernel_size),
            self.dilation,
        )
        return self._fn(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (N, C_in, L) -> (N, C_out, L_out); weight
    (in_channels, out_channels / groups, kernel_size)."""

    _expand = staticmethod(_single)
    _fn = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight
    (in_channels, out_channels / groups, kH, kW)."""

    _expand = staticmethod(_pair)
    _fn = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out);
    weight (in_channels, out_channels / groups, kD, kH, kW)."""

    _expand = staticmethod(_triple)
    _fn = staticmethod(conv_transpose3d)


def _lazy(name: str):
    class _Lazy(Module):
        def __init__(self, *args, **kwargs) -> None:
            raise unsupported(f"torch.nn.{name}", f"give {name[4:]} its in_channels")

    _Lazy.__name__ = _Lazy.__qualname__ = name
    _Lazy.__doc__ = f"{name[4:]} with in_channels inferred at the first call: not supported."
    return _Lazy


LazyConv1d = _lazy("LazyConv1d")
LazyConv2d = _lazy("LazyConv2d")
LazyConv3d = _lazy("LazyConv3d")
LazyConvTranspose1d = _lazy("LazyConvTranspose1d")
LazyConvTranspose2d = _lazy("LazyConvTranspose2d")
LazyConvTranspose3d = _lazy("LazyConvTranspose3d")
