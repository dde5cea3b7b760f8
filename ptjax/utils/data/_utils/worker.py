"""The loop a DataLoader worker process runs, and ``get_worker_info``.

Workers are started with 'spawn' (a fresh interpreter), never forked from a process whose JAX
runtime is running. A worker limits JAX to the CPU before it unpickles the dataset, so a
dataset that makes tensors in a worker never claims accelerator memory, and the default
collation sends numpy batches back (``HostTensor``), so for datasets such as ``TensorDataset``
a worker never starts the JAX runtime at all.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a worker knows about itself: ``id`` (0 to ``num_workers - 1``), ``num_workers``,
    ``seed`` (this worker's seed) and ``dataset`` (this process's copy of the dataset)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its ``WorkerInfo`` (``id``, ``num_workers``, ``seed``,
    ``dataset``), e.g. for an ``IterableDataset`` to pick its shard; None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose IterableDataset copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _WorkerReady:
    """Sent once by a worker that has started and unpickled its dataset: the loader's
    ``timeout`` counts only once every worker is ready, not the interpreter's start-up."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at a new epoch; echoed back once the worker has reset."""

    seed: int | None = None


def _keep_jax_on_cpu() -> None:
    try:
        import jax
        from jax._src import xla_bridge

        if not xla_bridge.backends_are_initialized():
            jax.config.update("jax_platforms", "cpu")
    except Exception:  # a JAX without these hooks: leave its configuration alone
        pass


def _seed_everything(base_seed: int, worker_id: int) -> int:
    from ptjax.random import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _worker_loop(
    payload: bytes,
    index_queue,
    data_queue,
    done_event,
    worker_id: int,
    num_workers: int,
    base_seed: int,
) -> None:
    """Serve ``(task index, sampler indices)`` requests from ``index_queue`` until told to stop
    (``None``) or the parent dies; each answer is the pickled ``(task index, batch)``."""
    from ptjax.utils.data._utils import MP_STATUS_CHECK_INTERVAL, ExceptionWrapper
    from ptjax.utils.data._utils.collate import host_variant
    from ptjax.utils.data._utils.fetch import _IterableDatasetFetcher, _MapDatasetFetcher

    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        _keep_jax_on_cpu()
        seed = _seed_everything(base_seed, worker_id)
        init_error = fetcher = None
        iterable = False
        try:
            iterable, dataset, auto_collation, collate_fn, drop_last, init_fn = pickle.loads(
                payload
            )
        except Exception:
            init_error, dataset = ExceptionWrapper(where=where), None
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        data_queue.put(pickle.dumps((_WorkerReady(worker_id), None)))

        def make_fetcher():
            cls = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
            fn = host_variant(collate_fn) or collate_fn
            return cls(dataset, auto_collation, fn, drop_last)

        if init_error is None:
            try:
                if init_fn is not None:
                    init_fn(worker_id)
                fetcher = make_fetcher()
            except Exception:
                init_error = ExceptionWrapper(where=where)

        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:  # a worker whose loader died exits by itself
            try:
                request = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(request, _ResumeIteration):
                iteration_end = False
                if init_error is None:
                    fetcher = make_fetcher()  # an IterableDataset starts over
                data_queue.put(pickle.dumps((request, None), protocol=pickle.HIGHEST_PROTOCOL))
                continue
            if request is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            task, index = request
            if fetcher is None:
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            # Pickle here rather than in the queue's feeder thread, where a failure would be
            # printed and the batch silently lost (the loader would wait for it forever).
            try:
                message = pickle.dumps((task, data), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                message = pickle.dumps((task, ExceptionWrapper(where=where)))
            data_queue.put(message)
            del data, message
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # the loader no longer reads: do not block exit flushing unread batches
        data_queue.cancel_join_thread()
        data_queue.close()
