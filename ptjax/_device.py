"""torch.device on JAX devices: 'cpu' is the host, 'cuda' is whatever accelerator JAX has."""

from __future__ import annotations

import functools

import jax

__all__ = ["device"]


class device:
    """A device as torch names it: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            type, _, idx = type.partition(":")
            if index is not None:
                raise RuntimeError(
                    "type (string) must not include an index because index was "
                    "passed explicitly: " + f"{type}:{idx}"
                )
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "meta", "xla", "tpu"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta, xla, tpu device type at start of device "
                f"string: {type}"
            )
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def accelerators() -> list:
    """JAX's non-CPU devices (what ptjax calls 'cuda')."""
    try:
        return [d for d in jax.devices() if d.platform != "cpu"]
    except RuntimeError:
        return []


@functools.lru_cache(maxsize=64)
def to_jax_device(dev: device):
    """The JAX device a ptjax device names."""
    if dev.type == "cpu":
        return jax.devices("cpu")[0]
    if dev.type == "meta":
        raise NotImplementedError("ptjax has no 'meta' device (torch.device('meta'))")
    accel = accelerators()
    if not accel:
        raise RuntimeError(
            "Torch not compiled with CUDA enabled: no accelerator is visible to JAX on this machine"
        )
    index = dev.index or 0
    if index >= len(accel):
        raise RuntimeError(f"CUDA error: invalid device ordinal {index}")
    return accel[index]


@functools.lru_cache(maxsize=64)
def from_jax_device(jdev) -> device:
    """The ptjax device of a JAX device."""
    if jdev.platform == "cpu":
        return device("cpu")
    return device("cuda", accelerators().index(jdev))


def as_device(d) -> device | None:
    if d is None or isinstance(d, device):
        return d
    return device(d)
