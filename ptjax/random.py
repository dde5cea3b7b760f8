"""torch.random: seeding and Generators over JAX's counter-based PRNG.

A Generator holds a JAX key and a counter; each draw folds the counter into the key, so a
seed reproduces the same stream run after run and a draw costs one dispatch. (The numbers
differ from torch's Mersenne/Philox streams: tests compare statistics, not values.)
"""

from __future__ import annotations

import contextlib
import time

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "Generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "default_generator",
    "fork_rng",
]

_DEFAULT_SEED = 67280421310721  # torch's default initial seed


class Generator:
    """A source of random numbers: ``Generator().manual_seed(0)``, passed as ``generator=``."""

    def __init__(self, device="cpu") -> None:
        from ptjax._device import as_device

        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._key = None  # created lazily: building a key is a JAX dispatch
        self._offset = 0

    def manual_seed(self, seed: int) -> Generator:
        """Reset the stream to the one ``seed`` gives; returns self."""
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._key = None
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seed from the clock, and return that seed."""
        s = time.time_ns() & 0xFFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def _base_key(self):
        if self._key is None:
            self._key = jax.random.PRNGKey(np.uint64(self._seed))
        return self._key

    def next_key(self):
        """A fresh JAX key for one draw (the counter advances)."""
        key, offset = self.draw()
        return jax.random.fold_in(key, offset)

    def draw(self):
        """``(base key, counter)`` for one draw; the counter advances.

        ``jax.random.fold_in(key, counter)`` is the draw's key (what ``next_key`` returns);
        sampling ops fold it in inside their compiled function, saving a dispatch.
        """
        offset = self._offset
        self._offset += 1
        return self._base_key(), offset

    def get_state(self):
        """The generator's state as a uint8 tensor (seed and counter)."""
        from ptjax._tensor import Tensor

        state = np.array([self._seed, self._offset], dtype=np.uint64).view(np.uint8)
        return Tensor._make(jnp.asarray(state))

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state()``."""
        arr = np.asarray(new_state._value if hasattr(new_state, "_value") else new_state)
        if arr.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if arr.size != 16:
            raise RuntimeError(
                "Expected a ByteTensor of 16 bytes (from Generator.get_state() or "
                f"torch.get_rng_state()), got {arr.size} elements of type {arr.dtype}"
            )
        seed, offset = arr.astype(np.uint8).view(np.uint64)
        self.manual_seed(int(seed))
        self._offset = int(offset)
        return self

    def get_offset(self) -> int:
        return self._offset

    def set_offset(self, offset: int) -> Generator:
        self._offset = int(offset)
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (the same seed gives the same numbers run after run)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the clock; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's last seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


def next_key(generator: Generator | None = None):
    """A fresh JAX key from ``generator`` (the default one if None)."""
    return (generator if generator is not None else default_generator).next_key()


@contextlib.contextmanager
def fork_rng(
    devices=None,
    enabled: bool = True,
    _caller: str = "fork_rng",
    _devices_kw: str = "devices",
    device_type: str = "cuda",
):
    """Within the block, draws from the default generator are undone on exit.

    Usable as a context manager or a decorator, like ``torch.random.fork_rng``.
    """
    if not enabled:
        yield
        return
    gen = default_generator
    seed_, offset, key = gen._seed, gen._offset, gen._key
    try:
        yield
    finally:
        gen._seed, gen._offset, gen._key = seed_, offset, key
