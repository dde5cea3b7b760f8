"""Run the benchmark grid: one subprocess per (model, backend) cell, timed in interleaved rounds.

All cells of one model are started (one after another, so compilation never overlaps), then
timed in ``repeats`` rounds: in each round every cell runs one window of ``steps`` steps while
the others wait, and the order rotates between rounds. A drift in machine speed (a noisy VM, a
thermal throttle) therefore reaches every backend alike, so the ratios between backends are
measured in the same moments. Each window synchronises once at its end; a cell's time per step is
its median window time divided by ``steps``. The first step (compile or first-call cost) is timed
alone at start-up, then ``WARMUP_STEPS`` more untimed steps (see ``_serve``).
"""

from __future__ import annotations

import json
import os
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from ptjax.bench import backends

WARMUP_STEPS = 2


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


def _serve(backend, name, batch, steps, device) -> None:
    """The cell subprocess: build, time the first step, then run one window per request."""
    try:
        t0 = time.perf_counter()
        cell = backends.make_cell(backend, name, None, batch, device)
        setup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        loss = cell.step()
        cell.sync(loss)
        first = time.perf_counter() - t0
        # steps 2 and 3 stay out of the windows: a backend may compile again once the state
        # created at step 1 exists (torch.compile's guards; ptjax with SGD momentum, whose
        # buffer is a copy of the first gradient)
        t0 = time.perf_counter()
        for _ in range(WARMUP_STEPS):
            loss = cell.step()
        cell.sync(loss)
        warmup = time.perf_counter() - t0
    except backends.Skip as e:
        _reply({"status": "skipped", "reason": str(e)})
        return
    _reply({"status": "ready", "setup_s": setup_s, "first_step_s": first, "warmup_s": warmup})
    for line in sys.stdin:
        if line.strip() != "window":
            break
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = cell.step()
        cell.sync(loss)
        _reply({"window_s": (time.perf_counter() - t0) / steps})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _reply(
        {
            "final_loss": cell.value(loss),
            "peak_rss_bytes": rss if sys.platform == "darwin" else rss * 1024,
            "peak_device_bytes": _device_peak(backend, device),
        }
    )


def _reply(obj) -> None:
    print("BENCH " + json.dumps(obj), flush=True)


class _Worker:
    """A cell subprocess and the replies it sends, read by a thread so waits can time out."""

    def __init__(self, backend, name, batch, steps, device) -> None:
        env = dict(os.environ)
        if device == "cpu":
            env.setdefault("JAX_PLATFORMS", "cpu")
        else:  # several processes share the GPU: JAX must not take 75% of it up front
            env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        args = json.dumps([backend, name, batch, steps, device])
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ptjax.bench.runner", args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self._replies = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("BENCH "):
                self._replies.put(json.loads(line[len("BENCH ") :]))
        self._replies.put(None)  # the process ended

    def ask(self, command: str | None, timeout: float) -> dict:
        """Send ``command`` (if any) and wait for the reply; a failure becomes ``skipped``."""
        try:
            if command is not None:
                self.proc.stdin.write(command + "\n")
                self.proc.stdin.flush()
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.close()
            return {"status": "skipped", "reason": f"timed out after {timeout:.0f} s"}
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            self.proc.wait()
            self._stderr.seek(0)
            err = (self._stderr.read().strip().splitlines() or ["no output"])[-1]
            self.close()
            return {"status": "skipped", "reason": f"failed: {err[:300]}"}
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if not self._stderr.closed:
            self._stderr.close()


def run_model(name, backend_names, batch, steps, repeats, device, timeout, progress) -> list:
    """Time every backend of one model in interleaved rounds; returns one result per backend."""
    results, workers = {}, {}
    for b in backend_names:
        reason = backends.available(b)
        if reason:
            results[b] = {"status": "skipped", "reason": reason}
            continue
        w = _Worker(b, name, batch, steps, device)
        r = w.ask(None, timeout)
        if r.get("status") == "ready":
            workers[b], r["step_s_all"] = w, []
            progress(f"  {name:9s} {b:14s} ready, first step {r['first_step_s']:.2f} s")
        else:
            w.close()
            progress(f"  {name:9s} {b:14s} skipped ({r['reason']})")
        results[b] = r
    for i in range(repeats):
        order = list(workers)
        order = order[i % len(order) :] + order[: i % len(order)] if order else order
        for b in order:
            r = workers[b].ask("window", timeout)
            if "window_s" in r:
                results[b]["step_s_all"].append(r["window_s"])
            else:
                results[b] = r
                del workers[b]
        progress(f"  {name:9s} round {i + 1}/{repeats}")
    for b, w in workers.items():
        r = w.ask("finish", timeout)
        w.close()
        if "final_loss" not in r:
            results[b] = r
            continue
        med = statistics.median(results[b]["step_s_all"])
        results[b].update(r, status="ok", step_s=med, steps_per_s=1.0 / med if med > 0 else None)
    return [dict(results[b], model=name, backend=b) for b in backend_names]


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
    """Time every (model, backend) cell, printing progress and an ETA as each model finishes.

    ``timeout`` bounds each wait on a cell: its start-up (build and first step), each window.
    """
    results, start = [], time.perf_counter()
    for i, m in enumerate(model_names, 1):
        rows = run_model(m, backend_names, batch, steps, repeats, device, timeout, progress)
        results += rows
        eta = (time.perf_counter() - start) / i * (len(model_names) - i)
        for r in rows:
            what = (
                f"{r['step_s'] * 1e3:9.2f} ms/step  first {r['first_step_s']:.2f} s"
                if r["status"] == "ok"
                else f"skipped ({r['reason']})"
            )
            progress(f"[{i}/{len(model_names)}] {m:9s} {r['backend']:14s} {what}")
        progress(f"[{i}/{len(model_names)}] {m} done   ETA {_fmt_eta(eta)}")
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


def _main(argv):  # the cell subprocess's entry point
    backend, name, batch, steps, device = json.loads(argv[0])
    _serve(backend, name, batch, steps, device)


if __name__ == "__main__":
    _main(sys.argv[1:])
