"""The benchmark's correctness guard and a CLI smoke run. No timing is ever asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ptjax.bench import models, runner


@pytest.mark.parametrize("name", models.MODELS)
def test_losses_agree(name):
    # tiny widths keep this fast; the math is the same as at full size
    losses = runner.check_losses(name, models.TINY[name], batch=2, steps=3)
    assert set(losses) == {"torch", "ptjax", "ptjax_compile", "jax"}
    ref = np.asarray(losses["torch"])
    for backend, got in losses.items():
        # float32 losses after 3 Adam steps: the backends reduce in different orders (XLA vs
        # ATen kernels), so allow a few float32 ulps of relative error on a loss of order 1,
        # compounded over the steps; torch's float32 default rtol (1.3e-6) is too strict.
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, err_msg=backend)


def test_cli_json(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "ptjax", "bench", "--models", "mlp", "--batch-size", "8"]
    cmd += ["--backends", "ptjax_compile,jax", "--json", str(out), "--steps", "2", "--repeats", "3"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "| mlp | jax |" in proc.stdout
    data = json.loads(out.read_text())
    assert data["config"]["steps"] == 2 and data["config"]["repeats"] == 3
    assert {r["backend"] for r in data["results"]} == {"ptjax_compile", "jax"}
    for r in data["results"]:
        assert r["status"] == "ok", r
        # one window per round, interleaved with the other backend's; the median is reported
        assert len(r["step_s_all"]) == 3 and r["step_s"] == np.median(r["step_s_all"])
        assert r["step_s"] > 0 and np.isfinite(r["final_loss"])
        assert r["first_step_s"] > 0 and r["warmup_s"] > 0
    assert data["machine"]["cores"] >= 1 and data["machine"]["jax"]


def test_cli_rejects_unknown_names():
    cmd = [sys.executable, "-m", "ptjax", "bench", "--quick", "--backends", "jax,tensorflow"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unknown backend 'tensorflow'; choose from torch," in proc.stderr


def test_a_cell_that_cannot_run_is_skipped_with_its_reason():
    # torch's CPU build has no CUDA device: the cell process reports why and the grid goes on
    lines = []
    rows = runner.run_grid(
        ["mlp"],
        ["torch"],
        batch=2,
        steps=1,
        repeats=2,
        device="gpu",
        timeout=120,
        progress=lines.append,
    )
    assert rows[0]["status"] == "skipped" and rows[0]["backend"] == "torch"
    assert "CUDA" in rows[0]["reason"] or "not installed" in rows[0]["reason"]
    assert any("skipped" in line for line in lines)
