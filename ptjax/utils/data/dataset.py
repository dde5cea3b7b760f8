"""Datasets: map-style (``__getitem__``/``__len__``) and iterable-style (``__iter__``), and the
combinators torch provides (TensorDataset, Subset, ConcatDataset, ChainDataset, StackDataset,
random_split)."""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import jax.numpy as jnp
import numpy as np

from ptjax import random as _random
from ptjax._tensor import Tensor
from ptjax.utils.data._utils import host_rng
from ptjax.utils.data._utils.collate import StackedSamples

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

_T_co = TypeVar("_T_co", covariant=True)


class Dataset(Generic[_T_co]):
    """A map from keys to samples: subclasses define ``__getitem__`` (and usually
    ``__len__``); ``__getitems__(indices)``, when defined, fetches a whole batch at once and
    is what the DataLoader uses."""

    def __getitem__(self, index) -> _T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[_T_co]) -> ConcatDataset[_T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """A stream of samples: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy of the dataset; use
    ``get_worker_info()`` inside ``__iter__`` (or a ``worker_init_fn``) to give each worker
    its own shard, or every sample arrives ``num_workers`` times.
    """

    def __add__(self, other: Dataset[_T_co]):
        return ChainDataset([self, other])


def _is_index(i) -> bool:
    return isinstance(i, int | np.integer) and not isinstance(i, bool)


def _check_bounds(idx: np.ndarray, n: int) -> None:
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        i = int(idx[bad].flat[0])
        raise IndexError(f"index {i} is out of bounds for dimension 0 with size {n}")


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the rows of ``tensors`` along the first dimension: ``dataset[i]`` is
    ``tuple(t[i] for t in tensors)``.

    The data is kept as host (numpy) arrays, taken once at construction and again only after
    an in-place change to a tensor, so a batch is gathered with one numpy indexing per tensor
    (``__getitems__``) and no JAX work per sample; worker processes receive only the arrays.
    """

    _tensors = None
    _arrays: list = []
    _versions: tuple = ()

    def __init__(self, *tensors: Tensor) -> None:
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        if self._tensors is None:  # unpickled in a worker: made on first use only
            self._tensors = tuple(Tensor._make(jnp.asarray(a)) for a in self._arrays)
            self._versions = tuple(t._version for t in self._tensors)
        return self._tensors

    @tensors.setter
    def tensors(self, tensors) -> None:
        self._tensors = tuple(tensors)
        self._snapshot()

    def _snapshot(self) -> None:
        self._arrays = [np.asarray(t._value) for t in self._tensors]
        self._versions = tuple(t._version for t in self._tensors)

    def _host_arrays(self) -> list:
        ts = self._tensors
        if ts is not None and any(t._version != v for t, v in zip(ts, self._versions)):
            self._snapshot()  # a tensor changed in place since the last read
        return self._arrays

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_arrays"] = self._host_arrays()
        state["_tensors"] = state["_versions"] = None
        return state

    def __getitem__(self, index):
        if _is_index(index) and not self._needs_autograd():
            arrays = self._host_arrays()
            _check_bounds(np.asarray(index), len(arrays[0]))
            return tuple(Tensor._make(jnp.asarray(a[index])) for a in arrays)
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: list):
        if type(self).__getitem__ is not TensorDataset.__getitem__ or self._needs_autograd():
            return [self[i] for i in indices]  # a subclass's own __getitem__ decides
        arrays = self._host_arrays()
        idx = np.asarray(indices, dtype=np.int64)
        _check_bounds(idx, len(arrays[0]))
        return StackedSamples([a[idx] for a in arrays])

    def _needs_autograd(self) -> bool:
        return self._tensors is not None and any(t.requires_grad for t in self._tensors)

    def __len__(self) -> int:
        return self._host_arrays()[0].shape[0]


class StackDataset(Dataset):
    """Samples of several same-length datasets side by side: ``StackDataset(a, b)[i]`` is
    ``(a[i], b[i])``; ``StackDataset(x=a, y=b)[i]`` is ``{"x": a[i], "y": b[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(self._length != len(d) for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list):
        named = isinstance(self.datasets, dict)
        keys = list(self.datasets) if named else range(len(self.datasets))
        columns = []
        for k in keys:
            d = self.datasets[k]
            getitems = getattr(d, "__getitems__", None)
            if callable(getitems):
                items = getitems(indices)
                if len(items) != len(indices):
                    raise ValueError(
                        "Nested dataset's output size mismatch. "
                        f"Expected {len(indices)}, got {len(items)}"
                    )
            else:
                items = [d[i] for i in indices]
            columns.append(items)
        if named:
            return [dict(zip(keys, row)) for row in zip(*columns)]
        return [tuple(row) for row in zip(*columns)]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[_T_co]):
    """Several datasets one after another; ``cumulative_sizes[k]`` is the length of the first
    ``k + 1`` of them."""

    @staticmethod
    def cumsum(sequence) -> list[int]:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        super().__init__()
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[k][idx - (self.cumulative_sizes[k - 1] if k else 0)]

    def __getitems__(self, indices: list):
        if type(self).__getitem__ is not ConcatDataset.__getitem__:
            return [self[i] for i in indices]  # a subclass's own __getitem__ decides
        idx = np.asarray(indices, dtype=np.int64)
        n = len(self)
        if ((idx < -n) | (idx >= n)).any():
            return [self[i] for i in indices]  # raises what __getitem__ raises
        idx = np.where(idx < 0, idx + n, idx)
        which = np.searchsorted(self.cumulative_sizes, idx, side="right")
        starts = np.asarray([0, *self.cumulative_sizes[:-1]])
        parts, positions = [], []
        for k in np.unique(which).tolist():
            at = np.flatnonzero(which == k)
            local = (idx[at] - starts[k]).tolist()
            d = self.datasets[k]
            getitems = getattr(d, "__getitems__", None)
            parts.append(getitems(local) if callable(getitems) else [d[i] for i in local])
            positions.append(at)
        order = np.argsort(np.concatenate(positions), kind="stable")
        if (
            all(type(p) is StackedSamples for p in parts)
            and len({len(p.arrays) for p in parts}) == 1
        ):
            # batches of TensorDatasets stay stacked arrays: one gather per field
            fields = zip(*(p.arrays for p in parts))
            return StackedSamples([np.concatenate(f)[order] for f in fields])
        samples = [s for p in parts for s in p]
        return [samples[i] for i in order.tolist()]

    @property
    def cummulative_sizes(self) -> list[int]:
        warnings.warn(
            "`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
            FutureWarning,
            stacklevel=2,
        )
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """Several iterable datasets, one stream after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        super().__init__()
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset[_T_co]):
    """The samples of ``dataset`` at ``indices``: ``Subset(d, idx)[i]`` is ``d[idx[i]]``.

    A subclass that overrides ``__getitem__`` must override ``__getitems__`` too (the
    DataLoader fetches batches through it).
    """

    def __init__(self, dataset: Dataset[_T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        if (
            type(self).__getitem__ is not Subset.__getitem__
            and type(self).__getitems__ is Subset.__getitems__
        ):
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__. When "
                "subclassing Subset and overriding __getitem__, you must also override "
                "__getitems__ to ensure DataLoader works correctly with your custom logic. A "
                "simple implementation:\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]"
            )

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], generator=_random.default_generator
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping Subsets of the given ``lengths``.

    ``lengths`` may be fractions summing to 1: each split gets ``floor(frac * len(dataset))``
    and the remainder is dealt one by one, round-robin, from the first split.
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(math.floor(len(dataset) * frac))
        for i in range(len(dataset) - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
        for i, n in enumerate(lengths):
            if n == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = host_rng(generator).permutation(sum(lengths)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - n : end]) for end, n in zip(ends, lengths)]
