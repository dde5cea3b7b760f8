"""Random sampling ops: rand, randn, randint, randperm, normal, bernoulli, multinomial, ..."""

from __future__ import annotations

__all__: list = []
