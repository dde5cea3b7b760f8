"""torch.nn.utils: gradient clipping and parameter/vector conversion."""

from ptjax.nn.utils.clip_grad import *  # noqa: I001
from ptjax.nn.utils.convert_parameters import *
from ptjax.nn.utils import rnn
