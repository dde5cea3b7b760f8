"""DistributedSampler: each of ``num_replicas`` processes loads its own share of a dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TypeVar

from ptjax.utils.data._utils import seeded_rng
from ptjax.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]

_T_co = TypeVar("_T_co", covariant=True)


class DistributedSampler(Sampler[_T_co]):
    """The indices of ``dataset`` that replica ``rank`` of ``num_replicas`` loads.

    Indices are (optionally shuffled with ``seed + epoch``, the same order in every process,
    then) padded by repeating from the start so every replica gets ``ceil(len / num_replicas)``
    of them, or truncated with ``drop_last``; replica ``rank`` takes every ``num_replicas``-th
    index from position ``rank``. Call ``set_epoch(epoch)`` before each epoch to reshuffle.
    ``num_replicas`` and ``rank`` default to JAX's process count and index.
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            import jax

            if num_replicas is None:
                num_replicas = jax.process_count()
            if rank is None:
                rank = jax.process_index()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[_T_co]:
        n = len(self.dataset)
        if self.shuffle:
            indices = seeded_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        else:
            pad = self.total_size - len(indices)
            repeats = math.ceil(pad / len(indices)) if indices else 0
            indices += (indices * repeats)[:pad]
        if len(indices) != self.total_size:
            raise AssertionError(
                f"Number of indices ({len(indices)}) does not match total_size ({self.total_size})"
            )
        indices = indices[self.rank : self.total_size : self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(
                f"Number of subsampled indices ({len(indices)}) does not match num_samples "
                f"({self.num_samples})"
            )
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch: with ``shuffle=True`` each epoch gives a different order."""
        self.epoch = epoch
