"""Parity of ptjax.utils.data with torch.utils.data: datasets, samplers, collation, the
DataLoader (in the main process and with worker processes) and prefetching to a device.

Batches are compared exactly (loading copies data, it computes nothing): same structure, same
dtypes, same values. Random orders come from different generators in the two libraries, so
they are checked for their properties (coverage, frequencies, reproducibility), not values.
"""

from __future__ import annotations

import collections
import gc
import math
import warnings

import data_worker_datasets as wd
import numpy as np
import pytest
import torch
from helpers import RNG

import ptjax

Point = collections.namedtuple("Point", ["x", "y"])


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t._value)


def assert_same(p, t, where="batch"):
    """A ptjax batch equals a torch batch: structure, container types, dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(p, ptjax.Tensor), f"{where}: {type(p)} is not a Tensor"
        assert str(p.dtype) == str(t.dtype), f"{where}: dtype {p.dtype} vs {t.dtype}"
        assert tuple(p.shape) == tuple(t.shape), f"{where}: shape {p.shape} vs {t.shape}"
        np.testing.assert_array_equal(_np(p), _np(t), err_msg=where)
        assert p.requires_grad == t.requires_grad, f"{where}: requires_grad"
    elif isinstance(t, dict):
        assert type(p) is type(t) and list(p) == list(t), f"{where}: {p!r} vs {t!r}"
        for k in t:
            assert_same(p[k], t[k], f"{where}[{k!r}]")
    elif isinstance(t, list | tuple):
        assert type(p) is type(t), f"{where}: {type(p)} vs {type(t)}"
        assert len(p) == len(t), f"{where}: length {len(p)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(p, t)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(t, np.ndarray):
        assert isinstance(p, np.ndarray) and p.dtype == t.dtype, where
        np.testing.assert_array_equal(p, t, err_msg=where)
    else:
        assert type(p) is type(t) and p == t, f"{where}: {p!r} vs {t!r}"


def same_batches(make, **loader_kwargs):
    """Build the dataset with ``make(lib)`` in both libraries; the DataLoaders' batches match."""
    t = list(torch.utils.data.DataLoader(make(torch), **loader_kwargs))
    p = list(ptjax.utils.data.DataLoader(make(ptjax), **loader_kwargs))
    assert len(p) == len(t), f"{len(p)} batches vs torch's {len(t)}"
    for k, (a, b) in enumerate(zip(p, t)):
        assert_same(a, b, f"batch {k}")
    return p


def same_error(fn):
    """``fn(lib)`` raises the same exception type with the same message in both libraries."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as p_info:
        fn(ptjax)
    assert p_info.type is t_info.type, f"{p_info.type} vs torch's {t_info.type}: {p_info.value}"
    assert str(p_info.value) == str(t_info.value)


def _tensor(lib, a):
    return lib.from_numpy(a.copy())


# -- batches equal torch's --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True), (10, False)])
def test_tensor_dataset_sequential(dtype, batch_size, drop_last):
    x = RNG.standard_normal((10, 3, 2)).astype(dtype)
    y = RNG.integers(0, 5, size=10)

    def make(lib):
        return lib.utils.data.TensorDataset(_tensor(lib, x), _tensor(lib, y))

    same_batches(make, batch_size=batch_size, drop_last=drop_last)


def test_tensor_dataset_items_and_edge_shapes():
    x = RNG.standard_normal(6).astype(np.float32)  # 1-D: samples are 0-dim tensors
    b = np.array([True, False, True, True, False, False])
    e = np.zeros((6, 0), np.float32)  # empty trailing dimension

    def make(lib):
        return lib.utils.data.TensorDataset(_tensor(lib, x), _tensor(lib, b), _tensor(lib, e))

    assert_same(make(ptjax)[3], make(torch)[3])
    assert_same(make(ptjax)[-1], make(torch)[-1])
    assert_same(make(ptjax)[1:4], make(torch)[1:4])
    assert len(make(ptjax)) == 6
    same_batches(make, batch_size=4)


def test_tensor_dataset_sees_in_place_changes():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)

    def run(lib):
        t = _tensor(lib, x)
        ds = lib.utils.data.TensorDataset(t)
        first = list(lib.utils.data.DataLoader(ds, batch_size=4))
        t[1] = -5.0  # the dataset views the tensor, as torch's does
        t.mul_(2)
        return first, list(lib.utils.data.DataLoader(ds, batch_size=4))

    assert_same(run(ptjax), run(torch))


class Doubled:
    """A TensorDataset whose subclass overrides __getitem__ (built for either library)."""

    @staticmethod
    def make(lib):
        class DoubledDataset(lib.utils.data.TensorDataset):
            def __getitem__(self, i):
                (x,) = super().__getitem__(i)
                return (x * 2, i)

        return DoubledDataset(_tensor(lib, np.arange(5, dtype=np.float32)))


def test_tensor_dataset_subclass_getitem_is_used():
    same_batches(Doubled.make, batch_size=2)


NUMPY_SAMPLES = [
    (np.arange(6, dtype=np.float32).reshape(2, 3) + i, np.full(4, i, np.uint8), np.int16(i))
    for i in range(5)
]
MIXED = [
    {
        "a": np.full(3, i, np.int32),
        "n": i,
        "f": i / 2,
        "b": i % 2 == 0,
        "s": f"s{i}",
        "p": Point(np.float64(i), [i, i + 1]),
        "t": (np.array(i, np.uint8), b"by"),
        "l": [np.float16(i), np.bool_(i > 2)],
    }
    for i in range(7)
]


@pytest.mark.parametrize(
    "name,samples",
    [
        ("numpy arrays", NUMPY_SAMPLES),
        ("dicts of everything", MIXED),
        ("tuples of numbers", [(i, float(i) * 1.5, i > 3) for i in range(6)]),
        ("python ints", list(range(7))),
        ("python floats", [i * 0.25 for i in range(7)]),
        ("strings", [f"item{i}" for i in range(5)]),
        ("namedtuples", [Point(i, np.full(2, i, np.float64)) for i in range(5)]),
        ("nested lists", [[[i, i + 1], [i * 2, i * 3]] for i in range(5)]),
        ("ints promoted by a float", [1, 2.5, 3]),
    ],
)
def test_collated_batches_match(name, samples):
    same_batches(lambda lib: samples, batch_size=3)
    same_batches(lambda lib: samples, batch_size=None)  # default_convert, one sample at a time


def test_tensor_samples_stack():
    xs = [RNG.standard_normal((2, 2)).astype(np.float32) for _ in range(5)]
    same_batches(lambda lib: [(_tensor(lib, a), i) for i, a in enumerate(xs)], batch_size=2)
    same_batches(
        lambda lib: [_tensor(lib, np.array(i, np.float64)) for i in range(5)], batch_size=5
    )
    same_batches(lambda lib: _tensor(lib, xs[0]), batch_size=1)  # a tensor is a dataset too


def _sorting_collate(batch):
    batch.sort(key=lambda sample: -float(sample[0]))  # a list, as torch hands it over
    return batch


def test_custom_collate_fn_gets_a_list():
    x = np.array([2.0, 5.0, 1.0, 4.0], np.float32)
    same_batches(
        lambda lib: lib.utils.data.TensorDataset(_tensor(lib, x)),
        batch_size=3,
        collate_fn=_sorting_collate,
    )


def test_explicit_batch_sampler_indices():
    x = RNG.standard_normal((8, 2)).astype(np.float32)
    batches = [[3, 1, 4], [0], [7, 2, 6, 5]]

    def make(lib):
        return lib.utils.data.TensorDataset(_tensor(lib, x), _tensor(lib, np.arange(8)))

    same_batches(make, batch_sampler=batches)
    same_batches(lambda lib: MIXED, batch_sampler=[[6, 0], [2, 3, 1]])
    same_batches(make, sampler=[7, 0, 3, 3], batch_size=3)


def test_dataset_combinators():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)

    def concat(lib):
        D = lib.utils.data
        a = D.TensorDataset(_tensor(lib, x))
        return D.ConcatDataset([a, D.Subset(a, [4, 0]), a + a])

    def stack(lib):
        D = lib.utils.data
        return D.StackDataset(D.TensorDataset(_tensor(lib, x)), [f"s{i}" for i in range(5)])

    def stack_named(lib):
        D = lib.utils.data
        return D.StackDataset(x=D.TensorDataset(_tensor(lib, x)), n=list(range(5)))

    def subset(lib):
        D = lib.utils.data
        return D.Subset(D.TensorDataset(_tensor(lib, x), _tensor(lib, np.arange(5))), [3, 1, 4])

    def mixed(lib):
        D = lib.utils.data
        rows = [(lib.tensor([9.0, i]),) for i in range(3)]  # a plain list: no __getitems__
        return D.ConcatDataset([D.TensorDataset(_tensor(lib, x)), rows])

    for make in (concat, stack, stack_named, subset, mixed):
        same_batches(make, batch_size=2)
        same_batches(make, batch_sampler=[[len(make(ptjax)) - 1, 0, -2, 1]])
    assert_same(concat(ptjax)[-3], concat(torch)[-3])
    assert concat(ptjax).cumulative_sizes == concat(torch).cumulative_sizes


class Counting:
    """An iterable dataset of 0..n-1 with a length (built for either library)."""

    @staticmethod
    def make(lib, n=7):
        class Count(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(n))

            def __len__(self):
                return n

        return Count()


@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (1, False), (3, False), (3, True)])
def test_iterable_dataset(batch_size, drop_last):
    same_batches(Counting.make, batch_size=batch_size, drop_last=drop_last)
    p = ptjax.utils.data.DataLoader(
        Counting.make(ptjax), batch_size=batch_size, drop_last=drop_last
    )
    t = torch.utils.data.DataLoader(
        Counting.make(torch), batch_size=batch_size, drop_last=drop_last
    )
    assert len(p) == len(t)


def test_chain_dataset():
    def make(lib):
        return lib.utils.data.ChainDataset([Counting.make(lib, 3), Counting.make(lib, 4)])

    same_batches(make, batch_size=3)
    assert len(make(ptjax)) == len(make(torch))
    same_batches(lambda lib: Counting.make(lib, 2) + Counting.make(lib, 2), batch_size=3)


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11])
def test_len(n):
    for kwargs in (
        dict(batch_size=3),
        dict(batch_size=3, drop_last=True),
        dict(batch_size=None),
        dict(batch_size=5, shuffle=True),
        dict(batch_sampler=[[0, 1]] * 4),
    ):

        def run(lib, kwargs=kwargs):
            loader = lib.utils.data.DataLoader(list(range(n)), **kwargs)
            return len(loader), len(list(loader))

        try:
            expected = run(torch)
        except Exception:
            same_error(run)  # an empty dataset cannot shuffle, an index may be out of range
        else:
            assert run(ptjax) == expected, kwargs


# -- default_collate / default_convert --------------------------------------------------------


def test_default_collate_and_convert_direct():
    for samples in (MIXED[:3], [Point(1, "a"), Point(2, "b")], [(0, "a"), (1, "b")]):
        assert_same(
            ptjax.utils.data.default_collate(samples), torch.utils.data.default_collate(samples)
        )
    for data in (MIXED[0], np.float32(3), np.array(["a", "b"]), (np.arange(3), "x"), 7, "s"):
        assert_same(ptjax.utils.data.default_convert(data), torch.utils.data.default_convert(data))


def test_default_collate_keeps_autograd():
    xs = [RNG.standard_normal(3).astype(np.float32) for _ in range(2)]

    def run(lib):
        ts = [lib.tensor(a, requires_grad=True) for a in xs]
        out = lib.utils.data.default_collate(ts)
        (out * lib.tensor(np.arange(3, dtype=np.float32))).sum().backward()
        return out, ts[1].grad

    assert_same(run(ptjax)[1], run(torch)[1])
    assert run(ptjax)[0].requires_grad


def test_collate_errors():
    def collate(batch):
        return lambda lib: lib.utils.data.default_collate(batch)

    same_error(collate([(1, 2), (1,)]))  # each element in list of batch should be of equal size
    same_error(collate([object(), object()]))
    same_error(collate([np.array(["a"]), np.array(["b"])]))
    same_error(collate([np.zeros(2, np.float32), np.zeros(3, np.float32)]))
    same_error(lambda lib: lib.utils.data.default_collate([lib.zeros(2), lib.zeros(3)]))
    same_error(collate([]))


# -- DataLoader arguments ---------------------------------------------------------------------


def test_loader_argument_errors():
    def L(**kw):
        return lambda lib: lib.utils.data.DataLoader(list(range(5)), **kw)

    same_error(L(batch_sampler=[[0]], batch_size=2))
    same_error(L(batch_sampler=[[0]], shuffle=True))
    same_error(L(batch_sampler=[[0]], drop_last=True))
    same_error(L(sampler=[0, 1], shuffle=True))
    same_error(L(num_workers=-1))
    same_error(L(timeout=-1))
    same_error(L(prefetch_factor=2))
    same_error(L(persistent_workers=True))
    same_error(L(batch_size=None, drop_last=True))
    same_error(L(multiprocessing_context="spawn"))
    same_error(L(num_workers=1, multiprocessing_context="nope"))
    same_error(lambda lib: lib.utils.data.DataLoader(Counting.make(lib), shuffle=True))
    same_error(lambda lib: lib.utils.data.DataLoader(Counting.make(lib), sampler=[0]))

    def set_after(lib):
        loader = lib.utils.data.DataLoader(list(range(5)))
        loader.batch_size = 3

    same_error(set_after)
    for lib in (torch, ptjax):
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no"):
            list(lib.utils.data.DataLoader(list(range(3)), pin_memory=True))
    same_error(lambda lib: iter(lib.utils.data.DataLoader(list(range(5)), timeout=1)))


def test_dataset_and_sampler_errors():
    def D(lib):
        return lib.utils.data

    same_error(lambda lib: D(lib).TensorDataset(lib.zeros(3), lib.zeros(4)))
    same_error(lambda lib: D(lib).TensorDataset(lib.zeros(5, 2))[7])
    same_error(lambda lib: D(lib).TensorDataset(lib.zeros(5, 2))[-6])
    for batch in ([[1, 9]], [[-7, 0]]):
        same_error(
            lambda lib, b=batch: list(
                D(lib).DataLoader(D(lib).TensorDataset(lib.zeros(5, 2)), batch_sampler=b)
            )
        )
        same_error(
            lambda lib, b=batch: list(
                D(lib).DataLoader(D(lib).ConcatDataset([[1, 2], [3]]), batch_sampler=b)
            )
        )
    same_error(lambda lib: D(lib).ConcatDataset([]))
    same_error(lambda lib: D(lib).ConcatDataset([Counting.make(lib)]))
    same_error(lambda lib: D(lib).ConcatDataset([[1, 2]])[-3])
    same_error(lambda lib: D(lib).StackDataset([1], [1, 2]))
    same_error(lambda lib: D(lib).StackDataset())
    same_error(lambda lib: D(lib).StackDataset([1], x=[1]))
    same_error(lambda lib: D(lib).RandomSampler(range(3), num_samples=0))
    same_error(lambda lib: D(lib).RandomSampler(range(3), replacement=1))
    same_error(lambda lib: D(lib).BatchSampler(range(3), 0, False))
    same_error(lambda lib: D(lib).BatchSampler(range(3), 2, None))
    same_error(lambda lib: D(lib).WeightedRandomSampler([[1.0, 2.0]], 2))
    same_error(lambda lib: D(lib).WeightedRandomSampler([1.0], 0))
    for w in ([1.0, -1.0], [float("nan"), 1.0], [1.0, float("inf")]):
        for n, replacement in ((1, True), (2, True), (2, False)):
            same_error(
                lambda lib, w=w, n=n, r=replacement: list(D(lib).WeightedRandomSampler(w, n, r))
            )
    same_error(lambda lib: list(D(lib).WeightedRandomSampler([0.0, 0.0], 2)))
    same_error(lambda lib: list(D(lib).WeightedRandomSampler([1.0, 2.0], 3, replacement=False)))
    same_error(lambda lib: D(lib).DistributedSampler(range(4), num_replicas=2, rank=2))
    same_error(lambda lib: D(lib).random_split(range(5), [2, 2]))
    same_error(lambda lib: D(lib).random_split(range(5), [1.5, -0.5]))


# -- samplers ---------------------------------------------------------------------------------


def test_sequential_and_batch_sampler_match():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        t = list(
            torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs, drop)
        )
        p = list(
            ptjax.utils.data.BatchSampler(ptjax.utils.data.SequentialSampler(range(n)), bs, drop)
        )
        assert p == t
        assert len(ptjax.utils.data.BatchSampler(range(n), bs, drop)) == len(t)


def _is_permutation(order, n):
    return sorted(order) == list(range(n))


def test_shuffle_visits_every_sample_once_and_reproduces():
    n = 23
    ds = list(range(n))

    def epoch(loader):
        return [int(v) for b in loader for v in b.tolist()]

    ptjax.manual_seed(0)
    loader = ptjax.utils.data.DataLoader(ds, batch_size=5, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert _is_permutation(first, n) and _is_permutation(second, n)
    assert first != second  # a new order each epoch
    ptjax.manual_seed(0)
    assert epoch(loader) == first  # manual_seed reproduces the sequence of epochs
    assert epoch(loader) == second

    g = ptjax.Generator().manual_seed(7)
    a = epoch(ptjax.utils.data.DataLoader(ds, batch_size=4, shuffle=True, generator=g))
    g.manual_seed(7)
    ptjax.manual_seed(123)  # the default generator plays no part when generator= is given
    b = epoch(ptjax.utils.data.DataLoader(ds, batch_size=4, shuffle=True, generator=g))
    assert a == b and _is_permutation(a, n)
    c = epoch(
        ptjax.utils.data.DataLoader(
            ds, batch_size=4, shuffle=True, generator=ptjax.Generator().manual_seed(8)
        )
    )
    assert c != a


def test_random_sampler():
    D = ptjax.utils.data
    g = ptjax.Generator().manual_seed(1)
    # without replacement: each full pass is a permutation, the remainder distinct indices
    s = D.RandomSampler(range(5), num_samples=13, generator=g)
    order = list(s)
    assert len(s) == len(order) == 13
    assert _is_permutation(order[:5], 5) and _is_permutation(order[5:10], 5)
    assert len(set(order[10:])) == 3
    # with replacement: uniform over the range
    s = D.RandomSampler(range(4), replacement=True, num_samples=20000, generator=g)
    draws = np.array(list(s))
    assert len(s) == draws.size == 20000 and draws.min() >= 0 and draws.max() <= 3
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, 0.25, atol=0.02)  # ~6 standard deviations
    t = torch.utils.data.RandomSampler(range(4), replacement=True, num_samples=7)
    assert len(D.RandomSampler(range(4), replacement=True, num_samples=7)) == len(t)
    # seeded: reproducible
    a = list(D.RandomSampler(range(50), generator=ptjax.Generator().manual_seed(3)))
    b = list(D.RandomSampler(range(50), generator=ptjax.Generator().manual_seed(3)))
    assert a == b and _is_permutation(a, 50)


def test_subset_random_sampler():
    idx = list(range(100, 140))
    g = ptjax.Generator().manual_seed(0)
    s = ptjax.utils.data.SubsetRandomSampler(idx, generator=g)
    order, again = list(s), list(s)
    assert sorted(order) == sorted(again) == idx and len(s) == len(idx)
    assert order != again  # a new order per iteration
    g.manual_seed(0)
    assert list(s) == order  # reproduced by the seed


def test_weighted_random_sampler_frequencies():
    w = [0.1, 0.0, 0.4, 0.2, 0.3]
    g = ptjax.Generator().manual_seed(5)
    s = ptjax.utils.data.WeightedRandomSampler(w, 40000, generator=g)
    draws = np.array(list(s))
    freq = np.bincount(draws, minlength=5) / draws.size
    np.testing.assert_allclose(freq, w, atol=0.012)  # > 5 standard deviations at 40000 draws
    assert freq[1] == 0
    assert_same(s.weights, torch.utils.data.WeightedRandomSampler(w, 3).weights)
    # without replacement: distinct indices, heavier ones first more often
    firsts = collections.Counter()
    for _ in range(3000):
        d = list(ptjax.utils.data.WeightedRandomSampler(w, 4, replacement=False, generator=g))
        assert len(set(d)) == 4 and 1 not in d
        firsts[d[0]] += 1
    np.testing.assert_allclose(
        [firsts[i] / 3000 for i in range(5)], w, atol=0.04
    )  # > 4 standard deviations at 3000 draws
    # more samples than nonzero weights: zero-weight indices fill up, as in torch
    assert sorted(ptjax.utils.data.WeightedRandomSampler([1.0, 0.0, 0.0], 3, False)) == [0, 1, 2]


@pytest.mark.parametrize("n", [10, 11, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler(n, drop_last):
    P, T = ptjax.utils.data, torch.utils.data
    for replicas in (1, 3, 4):
        parts = []
        for rank in range(replicas):
            kw = dict(num_replicas=replicas, rank=rank, drop_last=drop_last)
            t = T.DistributedSampler(range(n), shuffle=False, **kw)
            p = P.DistributedSampler(range(n), shuffle=False, **kw)
            assert list(p) == list(t) and len(p) == len(t)
            s = P.DistributedSampler(range(n), seed=4, **kw)
            s.set_epoch(2)
            order = list(s)
            assert len(order) == len(s) == len(t)
            parts.append(order)
            again = P.DistributedSampler(range(n), seed=4, **kw)
            again.set_epoch(2)
            assert list(again) == order  # every process computes the same order
            if replicas == 1 and n > 3:
                s.set_epoch(3)
                assert list(s) != order
        got = collections.Counter(i for part in parts for i in part)
        if drop_last:
            assert all(c == 1 for c in got.values()) and len(got) == len(parts[0]) * replicas
        else:
            assert set(got) == set(range(n))  # every sample, some twice as padding
            assert sum(got.values()) == math.ceil(n / replicas) * replicas


# -- random_split -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n,lengths",
    [(10, [3, 7]), (10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1] * 10), (5, [1.0, 0.0])],
)
def test_random_split(n, lengths):
    with pytest.warns(UserWarning) if 0 in _torch_split_sizes(n, lengths) else _nothing():
        parts = ptjax.utils.data.random_split(range(n), lengths)
    assert [len(p) for p in parts] == _torch_split_sizes(n, lengths)
    seen = [i for p in parts for i in p]
    assert sorted(seen) == list(range(n))  # disjoint and complete
    assert all(isinstance(p, ptjax.utils.data.Subset) for p in parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length splits warn (checked above)
        a, b = (
            ptjax.utils.data.random_split(
                range(n), lengths, generator=ptjax.Generator().manual_seed(1)
            )
            for _ in range(2)
        )
    assert [list(p) for p in a] == [list(p) for p in b]


def _torch_split_sizes(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [len(p) for p in torch.utils.data.random_split(range(n), lengths)]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_random_split_of_tensor_dataset_loads_in_batches():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ds = ptjax.utils.data.TensorDataset(ptjax.from_numpy(x))
    train, val = ptjax.utils.data.random_split(ds, [0.8, 0.2])
    (xb,) = next(iter(ptjax.utils.data.DataLoader(val, batch_size=2)))
    np.testing.assert_array_equal(xb.numpy(), x[val.indices])


# -- prefetch to device -----------------------------------------------------------------------


def test_prefetch_to_device():
    x = RNG.standard_normal((9, 2)).astype(np.float32)
    ds = ptjax.utils.data.TensorDataset(ptjax.from_numpy(x), ptjax.arange(9))
    loader = ptjax.utils.data.DataLoader(ds, batch_size=4)
    for size in (1, 2, 5):
        pre = ptjax.utils.data.prefetch_to_device(loader, "cpu", size=size)
        assert len(pre) == len(loader) == 3
        got = list(pre)
        for a, b in zip(got, loader):
            assert a[0].device == ptjax.device("cpu")
            np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
            np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
        assert len(got) == 3
    with pytest.raises(ValueError):
        ptjax.utils.data.prefetch_to_device(loader, size=0)
    # any iterable of batches; the caller's containers are left as they were
    t = ptjax.arange(3)
    batches = [[t, {"a": t, "s": "x"}, Point(t, 1)]]
    (moved,) = ptjax.utils.data.prefetch_to_device(batches, "cpu")
    assert batches[0][0] is t and batches[0][1]["a"] is t
    assert type(moved) is list and type(moved[2]) is Point and moved[1]["s"] == "x"
    np.testing.assert_array_equal(moved[1]["a"].numpy(), [0, 1, 2])


# -- worker processes -------------------------------------------------------------------------


def test_workers_keep_order_and_persist():
    ds = wd.Tagged(11)
    reference = list(torch.utils.data.DataLoader(ds, batch_size=3))
    loader = ptjax.utils.data.DataLoader(
        ds, batch_size=3, num_workers=2, persistent_workers=True, prefetch_factor=1
    )
    for epoch in range(2):
        got = list(loader)
        assert len(got) == len(reference) == len(loader)
        for k, (p, t) in enumerate(zip(got, reference)):
            for key in ("x", "i", "s"):
                assert_same(p[key], t[key], f"epoch {epoch} batch {k} {key}")
            # task k goes to worker k % 2, and a worker's samples carry its seed
            assert p["w"].tolist() == [k % 2] * len(p["s"])
            assert len(set(p["seed"].tolist())) == 1
        seeds = [int(b["seed"][0]) for b in got[:2]]
        assert seeds[1] == seeds[0] + 1  # base seed + worker id, as in torch
    # the same loader with 0 workers, and shuffled with a seeded generator, gives the same
    # order as the workers do
    g = ptjax.Generator()
    shuffled = ptjax.utils.data.DataLoader(
        ds, batch_size=4, shuffle=True, generator=g, num_workers=2, persistent_workers=True
    )
    g.manual_seed(3)
    with_workers = [b["i"].tolist() for b in shuffled]
    g.manual_seed(3)
    without = [
        b["i"].tolist()
        for b in ptjax.utils.data.DataLoader(ds, batch_size=4, shuffle=True, generator=g)
    ]
    assert with_workers == without
    # workers stop when the loader is collected
    workers = list(loader._iterator._workers) + list(shuffled._iterator._workers)
    assert all(w.is_alive() for w in workers)
    del loader, shuffled
    gc.collect()
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()


def test_worker_error_is_reraised_with_its_traceback():
    loader = ptjax.utils.data.DataLoader(wd.Failing(8, bad=5), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    assert next(it).tolist() == [2, 3]
    with pytest.raises(ValueError) as info:
        next(it)
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
    assert "sample 5 is broken" in msg and "data_worker_datasets.py" in msg
    assert next(it).tolist() == [6, 7]  # the worker lives on, as in torch
    workers = it._workers
    with pytest.raises(StopIteration):
        next(it)
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()  # iteration ended: the workers shut down


def test_worker_timeout_and_death_never_hang():
    loader = ptjax.utils.data.DataLoader(
        wd.Hanging(6, stuck=2), batch_size=2, num_workers=2, timeout=1.5
    )
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 1.5 seconds$"):
        next(it)
    workers = it._workers
    del it
    gc.collect()
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()

    dying = ptjax.utils.data.DataLoader(wd.Dying(6, at=3), batch_size=1, num_workers=2)
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        list(dying)


def test_workers_out_of_order():
    loader = ptjax.utils.data.DataLoader(wd.Tagged(9), batch_size=2, num_workers=2, in_order=False)
    got = sorted(v for b in loader for v in b["i"].tolist())
    assert got == list(range(9))


def test_workers_are_never_forked_from_a_running_jax():
    ptjax.ones(1)  # the JAX runtime runs in this process
    loader = ptjax.utils.data.DataLoader(
        wd.Tagged(4), batch_size=2, num_workers=1, multiprocessing_context="fork"
    )
    with pytest.warns(UserWarning, match="cannot be forked from a process whose JAX runtime"):
        it = iter(loader)
    assert it._workers[0]._popen.method == "spawn"
    assert [b["i"].tolist() for b in it] == [[0, 1], [2, 3]]


def test_iterable_dataset_with_workers():
    # sharded inside __iter__ with get_worker_info: worker batches interleave
    got = [
        b.tolist() for b in ptjax.utils.data.DataLoader(wd.Shards(9), batch_size=2, num_workers=2)
    ]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8]]
    # sharded by a worker_init_fn (torch's documented example): [3, 5, 4, 6]
    loader = ptjax.utils.data.DataLoader(
        wd.Span(3, 7), batch_size=None, num_workers=2, worker_init_fn=wd.split_span
    )
    assert [int(v) for v in loader] == [3, 5, 4, 6]
    assert ptjax.utils.data.get_worker_info() is None
