"""torch.device on JAX devices: 'cpu' is the host, 'cuda' is whatever accelerator JAX has."""

from __future__ import annotations

import builtins
import functools
import re

import jax

__all__ = ["device"]


_TYPES = (
    "cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, vulkan, "
    "mps, meta, hpu, mtia, privateuseone"
)
_TYPE_SET = frozenset(_TYPES.split(", "))
_DEVICE_RE = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")


class device:
    """A device as torch names it: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device | int, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            # a bare index names the current accelerator, as in torch
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            if not accelerators():
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type, index = "cuda", type
        elif isinstance(type, str):
            m = _DEVICE_RE.fullmatch(type)
            if m is None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            name, idx = m.groups()
            if name not in _TYPE_SET:
                raise RuntimeError(
                    f"Expected one of {_TYPES} device type at start of device string: {name}"
                )
            if idx is not None:
                if index is not None:
                    raise RuntimeError(
                        "type (string) must not include an index because index was passed "
                        f"explicitly: {type}"
                    )
                index = int(idx)
            type = name
        else:
            raise TypeError(
                "device() received an invalid combination of arguments - got "
                f"({builtins.type(type).__name__})"
            )
        if index is not None:
            if not isinstance(index, int) or isinstance(index, bool):
                raise TypeError(
                    f"device(): argument 'index' (position 2) must be int, not "
                    f"{index.__class__.__name__}"
                )
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        # torch compares devices only with devices: device('cpu') == 'cpu' is False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

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
        # torch built without CUDA raises exactly this (an AssertionError) on any use of 'cuda'
        raise AssertionError("Torch not compiled with CUDA enabled")
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
