"""Top-level linear algebra ops (torch.dot, torch.outer, torch.einsum, torch.det, ...)."""

from __future__ import annotations

__all__: list = []
