"""DataLoader: batches from a dataset, in the main process or in worker processes.

A batch stays in numpy on the host until it is complete (``__getitems__`` fetches it, the
default collation stacks it in numpy) and then reaches the device in one transfer. Workers are
separate 'spawn'ed interpreters that send numpy batches back; batches arrive in sampler order
whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import queue
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from ptjax.utils.data._utils import MP_STATUS_CHECK_INTERVAL, ExceptionWrapper, draw_seed
from ptjax.utils.data._utils.collate import (
    default_collate,
    default_convert,
    host_variant,
    materialize,
    to_device,
)
from ptjax.utils.data._utils.fetch import _IterableDatasetFetcher, _MapDatasetFetcher
from ptjax.utils.data._utils.worker import (
    _IterableDatasetStopIteration,
    _ResumeIteration,
    _worker_loop,
    _WorkerReady,
    get_worker_info,
)
from ptjax.utils.data.dataset import Dataset, IterableDataset
from ptjax.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "DataLoader",
    "get_worker_info",
    "default_collate",
    "default_convert",
    "prefetch_to_device",
]

_T_co = TypeVar("_T_co", covariant=True)


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        cls = _MapDatasetFetcher if kind == _DatasetKind.Map else _IterableDatasetFetcher
        return cls(dataset, auto_collation, collate_fn, drop_last)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: ``None`` forever (the dataset decides when to end)."""

    def __iter__(self):
        while True:
            yield None


def _jax_runtime_started() -> bool:
    try:
        from jax._src import xla_bridge

        return xla_bridge.backends_are_initialized()
    except Exception:  # cannot tell: assume it runs
        return True


# Imported by the fork server before it forks any worker: third-party modules that never start
# the JAX runtime on import (ptjax's own modules, or a script's, could).
_FORKSERVER_PRELOAD = ["numpy", "jax", "jax.numpy", "optax"]
_forkserver_is_ours = [False]


def _claim_forkserver() -> bool:
    """Configure the fork server before it starts, and say whether it is ours: its preload is
    jax and numpy but not '__main__' (a script may make tensors at import, starting JAX in
    the server that every worker is forked from)."""
    try:
        from multiprocessing import forkserver

        server = forkserver._forkserver
        if server._forkserver_pid is None:
            keep = [m for m in server._preload_modules if m != "__main__"]
            server._preload_modules = keep + [m for m in _FORKSERVER_PRELOAD if m not in keep]
            _forkserver_is_ours[0] = True
    except Exception:  # a multiprocessing without these internals
        return False
    return _forkserver_is_ours[0]


def _default_context():
    """'forkserver' with jax and numpy preloaded, so a worker starts in a fraction of a second
    (the server is a fresh interpreter that never runs JAX, forked for each worker); 'spawn'
    where there is no fork server, or one that someone else started (it may have imported
    anything)."""
    if "forkserver" in multiprocessing.get_all_start_methods() and _claim_forkserver():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _worker_context(requested):
    """The multiprocessing context for workers: never 'fork' once this process's JAX runtime
    runs (a forked child would inherit its threads and locks in an unusable state)."""
    if requested is None:
        return _default_context()
    method = requested.get_start_method()
    if method == "forkserver":
        _claim_forkserver()
    elif method == "fork" and _jax_runtime_started():
        warnings.warn(
            "DataLoader workers cannot be forked from a process whose JAX runtime is running; "
            "starting them with 'spawn' instead.",
            stacklevel=3,
        )
        return multiprocessing.get_context("spawn")
    return requested


@contextlib.contextmanager
def _jax_on_cpu_in_children():
    """Start child processes with JAX limited to the CPU: a worker (or a script it imports)
    that makes tensors must not claim accelerator memory."""
    old = os.environ.get("JAX_PLATFORMS")
    os.environ["JAX_PLATFORMS"] = "cpu"
    try:
        yield
    finally:
        if old is None:
            del os.environ["JAX_PLATFORMS"]
        else:
            os.environ["JAX_PLATFORMS"] = old


class DataLoader(Generic[_T_co]):
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style ``Dataset`` (or anything with ``__getitem__``/``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch (default 1); ``None`` turns automatic batching off and
            yields single samples passed through ``collate_fn`` (``default_convert``).
        shuffle: a new random order every epoch (drawn from ``generator``, else from the
            default generator, so ``ptjax.manual_seed`` reproduces it).
        sampler: the order of indices (exclusive with ``shuffle``).
        batch_sampler: yields lists of indices (exclusive with ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes that load batches (0: the main process loads them).
            Workers are fresh processes ('forkserver', else 'spawn'), never forks of this
            one: the dataset, ``collate_fn`` and ``worker_init_fn`` must be picklable (defined
            at module top level) and a script needs an ``if __name__ == "__main__":`` guard.
            JAX in a worker is limited to the CPU. ``persistent_workers=True`` saves starting
            them every epoch.
        collate_fn: merges a list of samples into a batch (``default_collate``).
        pin_memory: accepted for compatibility; batches already land on the default device.
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a batch from the workers before raising ``RuntimeError``
            (0: wait as long as the workers are alive).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: a start method name or context ('fork' is replaced by
            'spawn' once the JAX runtime runs).
        generator: the ``ptjax.Generator`` for the shuffle order and the workers' base seed.
        prefetch_factor: batches each worker loads ahead (default 2 with workers).
        persistent_workers: keep the workers (and their dataset copies) across epochs.
        in_order: with workers, ``False`` yields batches as they complete instead of in order.

    Batches are Tensors on the default device, moved there once per batch. To overlap that
    transfer with the step that uses the previous batch, iterate
    ``prefetch_to_device(loader, device, size=2)``: it starts moving the next ``size`` batches
    before handing out the current one.
    """

    __initialized = False

    def __init__(
        self,
        dataset: Dataset[_T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called = None
        self._iterator = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method in "
                        f"{methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a "
                    f"string specifying the start method, but got multiprocessing_context={context}"
                )
        self.__multiprocessing_context = context

    def __setattr__(self, attr, val) -> None:
        if self.__initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
        ):
            raise ValueError(
                f"{attr} attribute should not be set after {self.__class__.__name__} is initialized"
            )
        super().__setattr__(attr, val)

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            # an estimate: the dataset's own length over the batch size
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    length = length // self.batch_size
                else:
                    length = -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn when more workers are asked for than this process may use CPUs."""
        if not self.num_workers:
            return
        cpuset = hasattr(os, "sched_getaffinity")
        cpus = len(os.sched_getaffinity(0)) if cpuset else os.cpu_count()
        if cpus is not None and self.num_workers <= cpus:
            return
        if cpus is None:
            suggestion = (
                "DataLoader is not able to compute a suggested max number of worker in current "
                "system."
            )
        else:
            suggestion = (
                f"Our suggested max number of worker in current system is {cpus}"
                f"{'' if cpuset else ' (`cpuset` is not taken into account)'}, which is smaller "
                "than what this DataLoader is going to create."
            )
        warnings.warn(
            f"This DataLoader will create {self.num_workers} worker processes in total. "
            f"{suggestion} Please be aware that excessive worker creation might get DataLoader "
            "running slow or even freeze, lower the worker number to avoid potential "
            "slowness/freeze if necessary.",
            stacklevel=2,
        )


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        # Keeps what it needs from the loader, not the loader itself: a loader holding its
        # persistent iterator must still be collectable.
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(
                "pin_memory_device is deprecated, the current accelerator will be used as the "
                f"device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                stacklevel=3,
            )
        if loader.pin_memory:
            from ptjax._device import accelerators

            if not accelerators():
                warnings.warn(
                    "'pin_memory' argument is set as true but no accelerator is found, then "
                    "device pinned memory won't be used.",
                    stacklevel=3,
                )
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        host = host_variant(loader.collate_fn)
        self._fetch_collate = host or loader.collate_fn
        self._materialize = host is not None
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = draw_seed(loader.generator)
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_data(self):
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if (
            self._dataset_kind == _DatasetKind.Iterable
            and reported is not None
            and self._num_yielded > reported
        ):
            msg = (
                f"Length of IterableDataset {self._dataset} was reported to be {reported} (when "
                f"accessing len(dataloader)), but {self._num_yielded} samples have been fetched. "
            )
            if self._num_workers > 0:
                msg += (
                    "For multiprocessing data-loading, this could be caused by not properly "
                    "configuring the IterableDataset replica at each worker."
                )
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind,
            self._dataset,
            self._auto_collation,
            self._fetch_collate,
            self._drop_last,
        )

    def _next_data(self):
        data = self._fetcher.fetch(next(self._sampler_iter))
        return materialize(data) if self._materialize else data


class _WorkerPool:
    """The worker processes and their queues. Separate from the iterator so that a finalizer
    can shut them down without keeping the iterator alive."""

    def __init__(self, context, num_workers: int, payload: bytes, base_seed: int) -> None:
        self.result_queue = context.Queue()
        self.done_event = context.Event()
        self.index_queues: list = []
        self.workers: list = []
        self.closed = False
        self.ready = [False] * num_workers
        try:
            with _jax_on_cpu_in_children():
                for i in range(num_workers):
                    index_queue = context.Queue()
                    index_queue.cancel_join_thread()  # exit never waits on unsent requests
                    w = context.Process(
                        target=_worker_loop,
                        args=(
                            payload,
                            index_queue,
                            self.result_queue,
                            self.done_event,
                            i,
                            num_workers,
                            base_seed,
                        ),
                        daemon=True,
                    )
                    w.start()
                    self.index_queues.append(index_queue)
                    self.workers.append(w)
        except BaseException:
            self.shutdown()
            raise

    def shutdown(self) -> None:
        """Stop every worker: ask them to exit, then terminate any still running after a grace
        period (one busy in a slow or hanging ``__getitem__``)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.done_event.set()
            for q in self.index_queues:
                q.put(None)
            deadline = time.monotonic() + MP_STATUS_CHECK_INTERVAL
            for w in self.workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            for w in self.workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=MP_STATUS_CHECK_INTERVAL)
            for q in [*self.index_queues, self.result_queue]:
                q.cancel_join_thread()
                q.close()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Batches from ``num_workers`` worker processes, handed out in sampler order.

    Task ``k`` (the ``k``-th batch of indices) goes to the workers round-robin; at most
    ``prefetch_factor * num_workers`` tasks are outstanding. Answers arriving early wait in
    ``_task_info`` until their turn.
    """

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError(
                "prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter"
            )
        payload = pickle.dumps(
            (
                self._dataset_kind == _DatasetKind.Iterable,
                self._dataset,
                self._auto_collation,
                self._collate_fn,
                self._drop_last,
                loader.worker_init_fn,
            ),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        context = _worker_context(loader.multiprocessing_context)
        self._pool = _WorkerPool(context, self._num_workers, payload, self._base_seed)
        self._shutdown_workers = weakref.finalize(self, self._pool.shutdown)
        self._reset(loader, first_iter=True)

    @property
    def _workers(self) -> list:
        return self._pool.workers

    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        n = self._num_workers
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, list] = {}  # task -> [worker] or [worker, answer]
        self._tasks_outstanding = 0
        self._workers_status = [True] * n
        self._workers_num_tasks = [0] * n
        self._worker_queue_idx_cycle = itertools.cycle(range(n))
        if not first_iter:
            # persistent workers: restart them and drop what is left of the last epoch
            for q in self._pool.index_queues:
                q.put(_ResumeIteration())
            pending = n
            while pending:
                task, _ = self._get_data()
                if isinstance(task, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * n):
            self._try_put_index()

    def _check_workers(self) -> None:
        dead = []
        for i, w in enumerate(self._pool.workers):
            if self._workers_status[i] and not w.is_alive():
                dead.append(w)
                self._mark_worker_as_unavailable(i)
        if dead:
            pids = ", ".join(str(w.pid) for w in dead)
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def _get_data(self):
        """The next ``(task, answer)`` from any worker, checking on the workers while waiting.
        The timeout runs once every worker has started."""
        pool = self._pool
        deadline = None
        while True:
            if self._timeout > 0 and deadline is None and all(pool.ready):
                deadline = time.monotonic() + self._timeout
            wait = MP_STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            try:
                if wait > 0:
                    task, data = pickle.loads(pool.result_queue.get(timeout=wait))
                    if not isinstance(task, _WorkerReady):
                        return task, data
                    pool.ready[task.worker_id] = True
                    continue
            except queue.Empty:
                pass
            self._check_workers()
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self):
        while True:
            # skip tasks that a stopped worker (exhausted IterableDataset) will never answer
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process_data(info[1], info[0])

            task, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if task != self._rcvd_idx:
                if not self._in_order:
                    return self._process_data(data, self._task_info.pop(task)[0])
                self._task_info[task].append(data)
                continue
            del self._task_info[task]
            self._rcvd_idx += 1
            return self._process_data(data, info[0])

    def _try_put_index(self) -> None:
        n = self._num_workers
        max_tasks = self._prefetch_factor * n
        if self._tasks_outstanding >= max_tasks:
            raise AssertionError("Number of outstanding tasks exceeded maximum allowed tasks")
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(n):  # the next active worker, if any
            w = next(self._worker_queue_idx_cycle)
            if self._workers_status[w] and (
                self._in_order
                or self._workers_num_tasks[w] < max_tasks // sum(self._workers_status)
            ):
                break
        else:
            return
        self._pool.index_queues[w].put((self._send_idx, index))
        self._task_info[self._send_idx] = [w]
        self._workers_num_tasks[w] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker: int):
        self._workers_num_tasks[worker] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return materialize(data) if self._materialize else data

    def _mark_worker_as_unavailable(self, worker: int) -> None:
        self._pool.index_queues[worker].put(None)
        self._workers_status[worker] = False


class prefetch_to_device:
    """Iterate ``loader`` with the next ``size`` batches already moving to ``device``.

    ``for x, y in prefetch_to_device(loader, "cuda"):`` hands out batch ``k`` after starting
    the (asynchronous) transfer of batches ``k + 1 ... k + size - 1``, so the copy of the next
    batch overlaps the step that uses this one. ``device=None`` is JAX's default device.
    ``len()`` is the loader's.
    """

    def __init__(self, loader: Iterable, device=None, size: int = 2) -> None:
        if size < 1:
            raise ValueError(f"size should be a positive integer, but got size={size}")
        self.loader = loader
        self.device = device
        self.size = size

    def __iter__(self):
        it = iter(self.loader)
        ahead: deque = deque()
        for batch in itertools.islice(it, self.size):
            ahead.append(to_device(batch, self.device))
        while ahead:
            batch = ahead.popleft()
            for nxt in itertools.islice(it, 1):
                ahead.append(to_device(nxt, self.device))
            yield batch

    def __len__(self) -> int:
        return len(self.loader)
