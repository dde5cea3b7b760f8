"""ptjax: the PyTorch API on JAX.

``import ptjax as torch`` gives tensors, autograd, ``nn``, ``optim`` and ``utils.data`` with
PyTorch's numerics, running on JAX (XLA on CPU, GPU and TPU).
"""

import builtins as _builtins

import jax as _jax

# torch code relies on int64 labels and float64 tensors: JAX's 64-bit types must exist.
# Every ptjax op passes explicit dtypes, so float32 stays the default float.
_jax.config.update("jax_enable_x64", True)

from ptjax import _dtype, autograd, cuda, linalg, random, utils
from ptjax._device import device
from ptjax._dtype import *
from ptjax._ops import *
from ptjax._ops.blas import get_float32_matmul_precision, set_float32_matmul_precision
from ptjax._tensor import Size, Tensor, is_tensor
from ptjax._tensor_str import set_printoptions
from ptjax.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ptjax.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

# isort: split
# after the ops: layers and optimizers build on them
from ptjax import nn, optim  # noqa: E402

__version__ = "0.1.0"

FloatTensor = DoubleTensor = LongTensor = IntTensor = BoolTensor = Tensor


def is_storage(obj) -> bool:
    """ptjax has no separate storages."""
    return False


def numel(input: Tensor) -> int:
    """Number of elements of ``input``."""
    return input.numel()


def is_nonzero(input: Tensor) -> bool:
    """The truth value of a one-element tensor."""
    return _builtins.bool(input)


from ptjax import amp  # noqa: E402
from ptjax._compile import compile  # noqa: E402
from ptjax.amp import autocast  # noqa: E402
from ptjax.nn._functional.distance import cdist  # noqa: E402
from ptjax.nn.functional import (  # noqa: E402  (torch's top-level forms of nn ops)
    adaptive_avg_pool1d,
    avg_pool1d,
    channel_shuffle,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    cosine_similarity,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool3d,
    pairwise_distance,
    pdist,
    pixel_shuffle,
    pixel_unshuffle,
)
from ptjax.nn.functional import (  # noqa: E402  (torch.adaptive_max_pool1d returns the indices too)
    adaptive_max_pool1d_with_indices as adaptive_max_pool1d,
)
