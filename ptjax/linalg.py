"""torch.linalg: norm, inv, det, solve, qr, svd, cholesky, eigh, ..."""

from __future__ import annotations

__all__: list = []
