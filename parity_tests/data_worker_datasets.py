"""Datasets for the DataLoader worker tests (``test_data.py``).

Spawned worker processes import this module to unpickle the datasets, so it lives apart from
the test module and imports neither torch nor the test helpers (a worker would pay for both).
"""

from __future__ import annotations

import os
import time

import numpy as np

from ptjax.utils.data import Dataset, IterableDataset, get_worker_info


def _worker_id() -> int:
    info = get_worker_info()
    return -1 if info is None else info.id


class Tagged(Dataset):
    """Sample ``i`` is a dict of an array, a number and a string, tagged with the worker id
    that loaded it (-1 in the main process) and that worker's seed."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "x": np.full(2, i, np.float32),
            "i": i,
            "s": f"s{i}",
            "w": _worker_id(),
            "seed": -1 if info is None else info.seed,
        }


class Failing(Dataset):
    """Sample ``bad`` raises ValueError."""

    def __init__(self, n: int, bad: int) -> None:
        self.n, self.bad = n, bad

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            raise ValueError(f"sample {i} is broken")
        return i


class Hanging(Dataset):
    """Samples from ``stuck`` on never arrive (the worker sleeps)."""

    def __init__(self, n: int, stuck: int) -> None:
        self.n, self.stuck = n, stuck

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if i >= self.stuck:
            time.sleep(60)
        return i


class Dying(Dataset):
    """The worker that loads sample ``at`` exits abruptly."""

    def __init__(self, n: int, at: int) -> None:
        self.n, self.at = n, at

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if i == self.at and get_worker_info() is not None:
            os._exit(3)
        return i


class Shards(IterableDataset):
    """``range(n)``, each worker taking every ``num_workers``-th element from its id."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self) -> int:
        return self.n


class Span(IterableDataset):
    """``range(start, end)``; ``split_span`` gives each worker a contiguous part."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end

    def __iter__(self):
        return iter(range(self.start, self.end))


def split_span(worker_id: int) -> None:
    """worker_init_fn: narrow this worker's copy of a ``Span`` to its contiguous share."""
    info = get_worker_info()
    ds = info.dataset
    per = -(-(ds.end - ds.start) // info.num_workers)
    ds.start = ds.start + worker_id * per
    ds.end = min(ds.start + per, ds.end)
