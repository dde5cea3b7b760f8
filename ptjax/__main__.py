"""The ``ptjax`` command line: ``ptjax bench ...`` (also ``python -m ptjax bench``)."""

from __future__ import annotations

import argparse
import sys


def _bench_parser(sub) -> None:
    from ptjax.bench.backends import BACKENDS
    from ptjax.bench.models import MODELS

    p = sub.add_parser("bench", help="time one training step across backends")
    p.add_argument(
        "--models", default=",".join(MODELS), help="comma-separated: " + ",".join(MODELS)
    )
    p.add_argument(
        "--backends", default=",".join(BACKENDS), help="comma-separated: " + ",".join(BACKENDS)
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="steps per timed window")
    p.add_argument("--repeats", type=int, default=5, help="timed windows (median is reported)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None, help="default: gpu if any")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per cell")
    p.add_argument("--json", default=None, help="write all raw numbers here")
    p.add_argument("--png", default=None, help="write a bar chart here (needs matplotlib)")
    p.add_argument("--quick", action="store_true", help="1 repeat of 2 steps, batch 8")


def _default_device() -> str:
    import jax

    try:
        return "gpu" if jax.devices("gpu") else "cpu"
    except RuntimeError:
        return "cpu"


def bench(args) -> int:
    from ptjax.bench import report, runner
    from ptjax.bench.backends import BACKENDS
    from ptjax.bench.models import MODELS

    if args.quick:
        args.steps, args.repeats, args.batch_size = 2, 1, min(args.batch_size, 8)
    models = [m for m in args.models.split(",") if m]
    backends = [b for b in args.backends.split(",") if b]
    for kind, names, known in (("model", models, MODELS), ("backend", backends, BACKENDS)):
        unknown = [n for n in names if n not in known]
        if unknown:
            print(
                f"ptjax bench: unknown {kind} {unknown[0]!r}; choose from {', '.join(known)}",
                file=sys.stderr,
            )
            return 2
    device = args.device or _default_device()
    print(
        f"ptjax bench: device={device} batch={args.batch_size} steps={args.steps} "
        f"repeats={args.repeats} ({len(models) * len(backends)} cells)",
        flush=True,
    )
    results = runner.run_grid(
        models,
        backends,
        batch=args.batch_size,
        steps=args.steps,
        repeats=args.repeats,
        device=device,
        timeout=args.timeout,
        progress=lambda s: print(s, flush=True),
    )
    report.add_ratios(results)
    print()
    print(report.table(results, models, backends))
    config = {
        "models": models,
        "backends": backends,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "repeats": args.repeats,
        "device": device,
    }
    info = runner.machine_info(device)
    if args.json:
        report.write_json(args.json, results, info, config)
        print(f"\nJSON written to {args.json}")
    if args.png:
        note = report.write_png(args.png, results, models, backends, f"{info['cpu']} ({device})")
        print(note or f"PNG written to {args.png}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ptjax`` command."""
    parser = argparse.ArgumentParser(prog="ptjax")
    sub = parser.add_subparsers(dest="command", required=True)
    _bench_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench(args)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
