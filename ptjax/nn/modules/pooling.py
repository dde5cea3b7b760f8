"""Pooling layers: max, average, power-average, adaptive pooling and max unpooling (no parameters;
the constructor arguments and repr are torch's)."""

from __future__ import annotations

from ptjax._errors import unsupported
from ptjax._tensor import Tensor
from ptjax.nn._functional import pooling as P
from ptjax.nn.modules.module import Module
from ptjax.nn.modules.utils import _pair, _single, _triple

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
]


class _MaxPoolNd(Module):
    _fn = staticmethod(P.max_pool2d)

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        return self._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            "kernel_size={kernel_size}, stride={stride}, padding={padding}"
            ", dilation={dilation}, ceil_mode={ceil_mode}".format(**self.__dict__)
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling: (N, C, L) or (C, L) -> (N, C, L_out) [, indices]."""

    _fn = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) [, indices]."""

    _fn = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    _fn = staticmethod(P.max_pool3d)


class _MaxUnpoolNd(Module):
    _expand = staticmethod(_pair)
    _fn = staticmethod(P.max_unpool2d)

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = self._expand(kernel_size)
        self.stride = self._expand(stride if stride is not None else kernel_size)
        self.padding = self._expand(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return self._fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of MaxPool1d: (N, C, L), indices -> (N, C, L_out), zeros off the maxima."""

    _expand = staticmethod(_single)
    _fn = staticmethod(P.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of MaxPool2d: (N, C, H, W), indices -> (N, C, H_out, W_out)."""

    _expand = staticmethod(_pair)
    _fn = staticmethod(P.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of MaxPool3d: (N, C, D, H, W), indices -> (N, C, D_out, H_out, W_out)."""

    _expand = staticmethod(_triple)
    _fn = staticmethod(P.max_unpool3d)


class _AvgPoolNd(Module):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling: (N, C, L) or (C, L) -> (N, C, L_out)."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return P.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class _AvgPoolOverride(_AvgPoolNd):
    _fn = staticmethod(P.avg_pool2d)

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AvgPool2d(_AvgPoolOverride):
    """2-D average pooling: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out)."""

    _fn = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPoolOverride):
    """3-D average pooling: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    _fn = staticmethod(P.avg_pool3d)


class _Fractional(Module):
    def __init__(self, *args, **kwargs) -> None:
        raise unsupported(f"torch.nn.{type(self).__name__}")


class FractionalMaxPool2d(_Fractional):
    """Randomised fractional max pooling: not supported by ptjax."""


class FractionalMaxPool3d(_Fractional):
    """Randomised fractional max pooling: not supported by ptjax."""


class _LPPoolNd(Module):
    _fn = staticmethod(P.lp_pool2d)

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            "norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, "
            "ceil_mode={ceil_mode}".format(**self.__dict__)
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum x^p)^(1/p)``: (N, C, L) -> (N, C, L_out)."""

    _fn = staticmethod(P.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over 2-D windows: (N, C, H, W) -> (N, C, H_out, W_out)."""

    _fn = staticmethod(P.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over 3-D windows: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    _fn = staticmethod(P.lp_pool3d)


class _AdaptiveMaxPoolNd(Module):
    _fn = staticmethod(P.adaptive_max_pool2d)

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return self._fn(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling: (N, C, L) -> (N, C, output_size) [, indices]."""

    _fn = staticmethod(P.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling: (N, C, H, W) -> (N, C, *output_size) [, indices]."""

    _fn = staticmethod(P.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling: (N, C, D, H, W) -> (N, C, *output_size) [, indices]."""

    _fn = staticmethod(P.adaptive_max_pool3d)


class _AdaptiveAvgPoolNd(Module):
    _fn = staticmethod(P.adaptive_avg_pool2d)

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling: (N, C, L) -> (N, C, output_size)."""

    _fn = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling: (N, C, H, W) -> (N, C, *output_size)."""

    _fn = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling: (N, C, D, H, W) -> (N, C, *output_size)."""

    _fn = staticmethod(P.adaptive_avg_pool3d)
