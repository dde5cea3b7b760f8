"""Run the benchmark grid: one fresh subprocess per (model, backend) cell, timed in-process.

Timing of a cell: the first step (compile or first-call cost) is timed alone; then ``repeats``
windows of ``steps`` steps each, synchronising only at the end of each window; the reported time
per step is the median window time divided by ``steps``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time

from ptjax.bench import backends


def time_cell(backend, name, batch, steps, repeats, device, size=None) -> dict:
    """Time one cell in this process and return its raw numbers."""
    t0 = time.perf_counter()
    cell = backends.make_cell(backend, name, size, batch, device)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    loss = cell.step()
    cell.sync(loss)
    first = time.perf_counter() - t0
    windows = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = cell.step()
        cell.sync(loss)
        windows.append((time.perf_counter() - t0) / steps)
    med = statistics.median(windows)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024
    return {
        "status": "ok",
        "setup_s": setup_s,
        "first_step_s": first,
        "step_s": med,
        "step_s_all": windows,
        "steps_per_s": 1.0 / med if med > 0 else None,
        "final_loss": cell.value(loss),
        "peak_rss_bytes": rss_bytes,
        "peak_device_bytes": _device_peak(backend, device),
    }


def _device_peak(backend, device):
    if device != "gpu":
        return None
    try:
        if backend.startswith("torch"):
            import torch

            return int(torch.cuda.max_memory_allocated())
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return stats.get("peak_bytes_in_use")
    except Exception:
        return None


def run_cell_subprocess(backend, name, batch, steps, repeats, device, timeout) -> dict:
    """Time one cell in a fresh interpreter so its peak memory is its own."""
    args = json.dumps([backend, name, batch, steps, repeats, device])
    cmd = [sys.executable, "-m", "ptjax.bench.runner", args]
    env = dict(os.environ)
    if device == "cpu":
        env.setdefault("JAX_PLATFORMS", "cpu")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "skipped", "reason": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT ") :])
    err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"status": "skipped", "reason": f"failed: {err[:300]}"}


def _fmt_eta(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s"


def run_grid(
    model_names,
    backend_names,
    batch=64,
    steps=20,
    repeats=5,
    device="cpu",
    timeout=600.0,
    progress=print,
) -> list[dict]:
    """Time every (model, backend) cell, printing a line with an ETA as each finishes."""
    cells = [(m, b) for m in model_names for b in backend_names]
    results, start = [], time.perf_counter()
    for i, (m, b) in enumerate(cells, 1):
        reason = backends.available(b)
        if reason:
            r = {"status": "skipped", "reason": reason}
        else:
            r = run_cell_subprocess(b, m, batch, steps, repeats, device, timeout)
        r.update(model=m, backend=b)
        results.append(r)
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(cells) - i)
        what = (
            f"{r['step_s'] * 1e3:9.2f} ms/step  first {r['first_step_s']:.2f} s"
            if r["status"] == "ok"
            else f"skipped ({r['reason']})"
        )
        progress(f"[{i}/{len(cells)}] {m:9s} {b:14s} {what}   ETA {_fmt_eta(eta)}")
    return results


def check_losses(name, size=None, batch=4, steps=3, backend_names=None) -> dict:
    """Losses of each backend over ``steps`` steps from identical weights, dropout off.

    Returns ``{backend: [loss, ...]}`` for the backends that can run here.
    """
    backend_names = backend_names or ("torch", "ptjax", "ptjax_compile", "jax")
    state = backends.reference_state(name, size)
    out = {}
    for b in backend_names:
        try:
            cell = backends.make_cell(b, name, size, batch, "cpu", state=state, dropout=False)
        except backends.Skip:
            continue
        out[b] = [cell.value(cell.step()) for _ in range(steps)]
    return out


def machine_info(device: str) -> dict:
    import platform

    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "device": device,
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    for lib in ("ptjax", "jax", "jaxlib", "optax", "torch", "numpy"):
        try:
            info[lib] = __import__(lib).__version__
        except Exception:
            info[lib] = None
    if device == "gpu":
        try:
            import jax

            info["gpu"] = jax.devices()[0].device_kind
        except Exception:
            info["gpu"] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor()


def _main(argv):  # the per-cell subprocess entry point
    backend, name, batch, steps, repeats, device = json.loads(argv[0])
    try:
        r = time_cell(backend, name, batch, steps, repeats, device)
    except backends.Skip as e:
        r = {"status": "skipped", "reason": str(e)}
    print("BENCH_RESULT " + json.dumps(r), flush=True)


if __name__ == "__main__":
    _main(sys.argv[1:])
