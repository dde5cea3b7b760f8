"""torch.nn: Module, Parameter, layers, losses, ``functional``, ``init`` and ``utils``."""

from ptjax.nn import modules, parameter
from ptjax.nn.modules import *  # noqa: I001
from ptjax.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
