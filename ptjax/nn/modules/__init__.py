"""torch.nn.modules: every layer class. Each family lives in its own file and is re-exported
here with one star-import line."""

from ptjax.nn.modules.module import *  # noqa: I001  (Module first: the others build on it)
from ptjax.nn.modules.container import *
from ptjax.nn.modules.conv import *
from ptjax.nn.modules.activation import *
from ptjax.nn.modules.channelshuffle import *
from ptjax.nn.modules.batchnorm import *
from ptjax.nn.modules.distance import *
from ptjax.nn.modules.dropout import *
from ptjax.nn.modules.flatten import *
from ptjax.nn.modules.fold import *
from ptjax.nn.modules.instancenorm import *
from ptjax.nn.modules.linear import *
from ptjax.nn.modules.loss import *
from ptjax.nn.modules.normalization import *
from ptjax.nn.modules.padding import *
from ptjax.nn.modules.pixelshuffle import *
from ptjax.nn.modules.pooling import *
from ptjax.nn.modules.rnn import *
from ptjax.nn.modules.sparse import *
from ptjax.nn.modules.transformer import *
from ptjax.nn.modules.upsampling import *
