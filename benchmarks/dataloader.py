"""One epoch of DataLoader over an in-memory TensorDataset: PyTorch against ptjax.

    python benchmarks/dataloader.py [--n 20000] [--batch-size 256] [--repeat 5] [--workers 0 2]

The dataset is ``n`` x 784 float32 samples with int64 labels (MNIST-sized), loaded with
``shuffle=True``. Each figure is the median over ``repeat`` epochs of the time to receive every
batch, after one warm-up epoch; ptjax's batches are waited on (``block_until_ready``) as a
training step would. With workers, both loaders keep them (``persistent_workers=True``), so
the figure is the steady-state epoch, not worker start-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import torch

import ptjax


def _epoch_seconds(loader, sync) -> float:
    start = time.perf_counter()
    n = 0
    for x, y in loader:
        sync(x, y)
        n += 1
    assert n == len(loader)
    return time.perf_counter() - start


def _ptjax_sync(x, y) -> None:
    x._value.block_until_ready()
    y._value.block_until_ready()


def _torch_sync(x, y) -> None:
    pass


def _loader(lib, x, y, batch_size: int, workers: int):
    kwargs = dict(batch_size=batch_size, shuffle=True, num_workers=workers)
    if workers:
        kwargs["persistent_workers"] = True
    ds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    return lib.utils.data.DataLoader(ds, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[0])
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.n, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=args.n).astype(np.int64)
    torch.manual_seed(0)
    ptjax.manual_seed(0)

    print(f"TensorDataset {args.n} x 784 float32, batch_size={args.batch_size}, shuffle=True")
    print(f"{'workers':>8} {'torch ms/epoch':>15} {'ptjax ms/epoch':>15} {'torch / ptjax':>14}")
    for workers in args.workers:
        times = {}
        for name, lib, sync in (("torch", torch, _torch_sync), ("ptjax", ptjax, _ptjax_sync)):
            loader = _loader(lib, x, y, args.batch_size, workers)
            _epoch_seconds(loader, sync)  # warm-up: caches, worker start
            times[name] = statistics.median(
                _epoch_seconds(loader, sync) for _ in range(args.repeat)
            )
            del loader
        ratio = times["torch"] / times["ptjax"]
        print(
            f"{workers:>8} {times['torch'] * 1e3:>15.1f} {times['ptjax'] * 1e3:>15.1f} "
            f"{ratio:>13.1f}x"
        )


if __name__ == "__main__":
    main()
