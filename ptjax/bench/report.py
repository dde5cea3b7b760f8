"""Turn the raw cell results into a table, JSON and a PNG bar chart."""

from __future__ import annotations

import json


def _by(results):
    return {(r["model"], r["backend"]): r for r in results}


def add_ratios(results) -> None:
    """Add ``vs_jax`` (time / hand-written JAX time) and ``vs_torch`` (time / torch eager time)."""
    cells = _by(results)
    for r in results:
        if r.get("status") != "ok":
            continue
        for key, ref in (("vs_jax", "jax"), ("vs_torch", "torch")):
            base = cells.get((r["model"], ref))
            ok = base is not None and base.get("status") == "ok" and base["step_s"] > 0
            r[key] = r["step_s"] / base["step_s"] if ok else None


def table(results, models, backends) -> str:
    """A Markdown table: one row per (model, backend)."""
    head = (
        "| model | backend | ms/step | steps/s | x jax floor | x torch eager | first step s "
        "| peak RSS MiB | peak device MiB |"
    )
    lines = [head, "|" + "---|" * 9]
    cells = _by(results)

    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    for m in models:
        for b in backends:
            r = cells.get((m, b))
            if r is None:
                continue
            if r.get("status") != "ok":
                lines.append(f"| {m} | {b} | skipped: {r.get('reason', '')} |||||||")
                continue
            dev = r.get("peak_device_bytes")
            lines.append(
                f"| {m} | {b} | {r['step_s'] * 1e3:.2f} | {r['steps_per_s']:.1f} "
                f"| {num(r.get('vs_jax'), '.2f')} | {num(r.get('vs_torch'), '.2f')} "
                f"| {r['first_step_s']:.2f} | {r['peak_rss_bytes'] / 2**20:.0f} "
                f"| {num(None if dev is None else dev / 2**20, '.0f')} |"
            )
    return "\n".join(lines)


def write_json(path, results, info, config) -> None:
    with open(path, "w") as f:
        json.dump({"machine": info, "config": config, "results": results}, f, indent=2)


def write_png(path, results, models, backends, title="") -> str | None:
    """Grouped bar chart of ms/step (log scale); returns a note instead when matplotlib is
    missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install 'ptjax[bench]'): PNG skipped"
    cells = _by(results)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(models)), 4))
    width = 0.8 / max(len(backends), 1)
    for j, b in enumerate(backends):
        xs, ys = [], []
        for i, m in enumerate(models):
            r = cells.get((m, b))
            if r and r.get("status") == "ok":
                xs.append(i + (j - (len(backends) - 1) / 2) * width)
                ys.append(r["step_s"] * 1e3)
        ax.bar(xs, ys, width, label=b)
    ax.set_xticks(range(len(models)), models)
    ax.set_yscale("log")
    ax.set_ylabel("ms per training step (log)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None
