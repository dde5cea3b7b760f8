# ruff: noqa: F403
"""torch.nn.functional: the stateless forms of the layers and losses.

Each family lives in ``ptjax/nn/_functional/<family>.py`` and is re-exported here with one
import line; torch functional names ptjax does not provide raise a clear error on use.
"""

from ptjax.nn._functional.activation import *  # noqa: I001
from ptjax.nn._functional.attention import *
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

# torch.nn.functional names ptjax does not provide: using one raises a clear error
_TORCH_NAMES = frozenset(
    """adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d
    adaptive_max_pool1d_with_indices adaptive_max_pool2d adaptive_max_pool2d_with_indices
    adaptive_max_pool3d adaptive_max_pool3d_with_indices affine_grid avg_pool1d avg_pool2d
    avg_pool3d batch_norm channel_shuffle conv1d conv2d conv3d conv_tbc conv_transpose1d
    conv_transpose2d conv_transpose3d fold fractional_max_pool2d
    fractional_max_pool2d_with_indices fractional_max_pool3d fractional_max_pool3d_with_indices
    grid_sample group_norm grouped_mm instance_norm interpolate layer_norm
    linear_cross_entropy local_response_norm lp_pool1d lp_pool2d lp_pool3d max_pool1d
    max_pool1d_with_indices max_pool2d max_pool2d_with_indices max_pool3d
    max_pool3d_with_indices max_unpool1d max_unpool2d max_unpool3d
    native_channel_shuffle pad pixel_shuffle pixel_unshuffle rms_norm
    scaled_grouped_mm scaled_mm unfold upsample upsample_bilinear upsample_nearest""".split()
)


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from ptjax._errors import unsupported

        raise unsupported(f"torch.nn.functional.{name}")
    raise AttributeError(f"module 'ptjax.nn.functional' has no attribute '{name}'")
