"""torch.amp: autocast (per-op mixed precision) and GradScaler (dynamic loss scaling)."""

from ptjax.amp.autocast_mode import autocast, autocast_dtype, is_autocast_available
from ptjax.amp.grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available", "autocast_dtype"]
