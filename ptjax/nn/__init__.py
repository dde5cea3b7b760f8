"""torch.nn: Module, Parameter, layers, losses, ``functional``, ``init`` and ``utils``."""

import importlib as _importlib  # noqa: I001  (order matters: parameter, modules, the rest)

from ptjax.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from ptjax.nn.modules import *
from ptjax.nn import attention, functional, init, modules, parameter

# bound explicitly: the star import above also brings nn.modules' own ``utils`` submodule
# (torch's _pair helpers), which must not shadow torch.nn.utils
utils = _importlib.import_module("ptjax.nn.utils")

# torch.nn classes ptjax does not provide: using one raises a clear error instead of an
# AttributeError (names that exist are found before __getattr__ is consulted)
_TORCH_NAMES = frozenset(
    """AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveLogSoftmaxWithLoss
    AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d AvgPool1d AvgPool2d AvgPool3d
    BatchNorm1d BatchNorm2d BatchNorm3d ChannelShuffle CircularPad1d CircularPad2d CircularPad3d
    ConstantPad1d ConstantPad2d ConstantPad3d Conv1d Conv2d Conv3d ConvTranspose1d
    ConvTranspose2d ConvTranspose3d CrossMapLRN2d DataParallel Fold FractionalMaxPool2d
    FractionalMaxPool3d GRU GRUCell GroupNorm InstanceNorm1d InstanceNorm2d InstanceNorm3d
    LPPool1d LPPool2d LPPool3d LSTM LSTMCell LayerNorm LazyBatchNorm1d LazyBatchNorm2d
    LazyBatchNorm3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d
    LazyConvTranspose3d LazyInstanceNorm1d LazyInstanceNorm2d LazyInstanceNorm3d
    LinearCrossEntropyLoss LocalResponseNorm MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d
    MaxUnpool2d MaxUnpool3d PixelShuffle PixelUnshuffle RMSNorm RNN RNNBase
    RNNCell RNNCellBase ReflectionPad1d ReflectionPad2d ReflectionPad3d ReplicationPad1d
    ReplicationPad2d ReplicationPad3d SyncBatchNorm Unfold Upsample
    UpsamplingBilinear2d UpsamplingNearest2d ZeroPad1d ZeroPad2d ZeroPad3d parallel""".split()
)


def factory_kwargs(kwargs: dict | None) -> dict:
    """The ``device``/``dtype``/``memory_format`` keyword arguments of a layer's factories,
    checked and merged with an explicit ``factory_kwargs`` entry, as torch.nn.factory_kwargs."""
    if kwargs is None:
        return {}
    simple = {"device", "dtype", "memory_format"}
    if not kwargs.keys() <= simple | {"factory_kwargs"}:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - simple - {'factory_kwargs'}}")
    out = dict(kwargs.get("factory_kwargs", {}))
    for k in simple & kwargs.keys():
        if k in out:
            raise TypeError(f"{k} specified twice, in **kwargs and in factory_kwargs")
        out[k] = kwargs[k]
    return out


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from ptjax._errors import unsupported

        raise unsupported(f"torch.nn.{name}")
    raise AttributeError(f"module 'ptjax.nn' has no attribute '{name}'")
