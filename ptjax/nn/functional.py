# ruff: noqa: F403
"""torch.nn.functional: the stateless forms of the layers and losses.

Each family lives in ``ptjax/nn/_functional/<family>.py`` and is re-exported here with one
import line; torch functional names ptjax does not provide raise a clear error on use.
"""

from ptjax.nn._functional.activation import *  # noqa: I001
from ptjax.nn._functional.conv import *
from ptjax.nn._functional.distance import *
from ptjax.nn._functional.dropout import *
from ptjax.nn._functional.linear import *
from ptjax.nn._functional.loss import *
from ptjax.nn._functional.normalization import *
from ptjax.nn._functional.padding import *
from ptjax.nn._functional.pooling import *
from ptjax.nn._functional.sparse import *
from ptjax.nn._functional.vision import *
