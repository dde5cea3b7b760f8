"""torch.nn.attention: backend selection for scaled_dot_product_attention.

XLA picks its own attention lowering, so ``sdpa_kernel`` is accepted and changes nothing.
"""

from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """torch's attention backends (names only: ptjax always lets XLA choose)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Accepted for compatibility; XLA chooses the attention kernel."""
    yield
