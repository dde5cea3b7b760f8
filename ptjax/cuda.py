"""torch.cuda: what the accelerator JAX sees looks like through torch's API."""

from __future__ import annotations

from ptjax._device import accelerators

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "empty_cache",
    "get_device_name",
    "is_bf16_supported",
]


def is_available() -> bool:
    """True when JAX has a GPU (or other accelerator) backend."""
    return bool(accelerators())


def device_count() -> int:
    """Number of accelerator devices JAX sees."""
    return len(accelerators())


def current_device() -> int:
    """Index of the current accelerator (always 0 here)."""
    if not is_available():
        raise RuntimeError("Torch not compiled with CUDA enabled")
    return 0


def get_device_name(device=None) -> str:
    """The accelerator's name as JAX reports it."""
    devs = accelerators()
    if not devs:
        raise RuntimeError("Torch not compiled with CUDA enabled")
    return devs[0].device_kind


def synchronize(device=None) -> None:
    """Wait for all queued work on the accelerators to finish."""
    import jax

    for d in accelerators():
        jax.device_put(0, d).block_until_ready()


def manual_seed(seed: int) -> None:
    """Seed the random number generator (one generator serves every device in ptjax)."""
    from ptjax.random import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed


def empty_cache() -> None:
    """No-op: XLA manages device memory itself."""


def is_bf16_supported() -> bool:
    """bfloat16 is supported by every XLA backend."""
    return is_available()
