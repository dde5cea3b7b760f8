"""Every torch op, written once as a JAX function with torch semantics.

Each module here owns one family; importing this package registers their Tensor methods.
"""

from ptjax._ops.blas import *
from ptjax._ops.copying import *
from ptjax._ops.creation import *
from ptjax._ops.indexing import *
from ptjax._ops.linalg_ops import *
from ptjax._ops.pointwise import *
from ptjax._ops.reduction import *
from ptjax._ops.sampling import *
from ptjax._ops.shape import *
from ptjax._ops.sorting import *
