"""torch.nn: Module, Parameter, layers, losses, ``functional``, ``init`` and ``utils``."""

from ptjax.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: I001
from ptjax.nn.modules import *
from ptjax.nn import functional, init, modules, parameter, utils
