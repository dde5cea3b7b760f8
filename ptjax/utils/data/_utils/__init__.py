"""Helpers shared by the DataLoader, its samplers and its worker processes.

Random orders are drawn on the host with numpy: each draw takes one step of a ptjax
``Generator``'s counter and seeds a numpy generator from (seed, counter), so a seeded generator
reproduces every order, successive draws differ, and no JAX work happens per sample (worker
processes never need the JAX runtime for that).
"""

from __future__ import annotations

import sys
import traceback

import numpy as np

from ptjax import random as _random

__all__ = ["MP_STATUS_CHECK_INTERVAL", "ExceptionWrapper", "draw_seed", "host_rng"]

MP_STATUS_CHECK_INTERVAL = 1.0
"""Seconds between liveness checks while waiting on another process (the loader for its
workers, a worker for its parent), so a dead process is noticed rather than waited on forever."""

# Separates the streams drawn for different purposes from the same (seed, counter) pair.
_STREAM = 0x5054_4A41_5844_4154  # "PTJAXDAT"


def draw_seed(generator=None) -> int:
    """A fresh 63-bit seed from ``generator`` (ptjax's default generator when None).

    One draw advances the generator's counter by one, as any other draw from it does.
    """
    g = generator if generator is not None else _random.default_generator
    offset = g.get_offset()
    g.set_offset(offset + 1)
    state = np.random.SeedSequence([g.initial_seed(), offset, _STREAM]).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def host_rng(generator=None) -> np.random.Generator:
    """A numpy generator seeded by one draw from ``generator``."""
    return np.random.default_rng(draw_seed(generator))


def seeded_rng(seed: int) -> np.random.Generator:
    """The numpy generator that a plain integer seed names (the same in every process)."""
    return np.random.default_rng([int(seed) & 0xFFFF_FFFF_FFFF_FFFF, _STREAM])


class KeyErrorMessage(str):
    """A str whose repr is itself: KeyError reprs its argument, which would garble a traceback."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception and its formatted traceback, carried across a process boundary."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        # Keep only the type and the text: a live traceback holds frames and cannot be pickled.
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the wrapped exception here, its message carrying the original traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # an exception type whose constructor wants other arguments
            raise RuntimeError(msg) from None
        raise exception


# last: these modules use the helpers above
from ptjax.utils.data._utils import collate, fetch, worker  # noqa: E402
