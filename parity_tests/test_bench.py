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


def test_cli_quick_json(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "ptjax", "bench", "--quick", "--models", "mlp"]
    cmd += ["--backends", "ptjax_compile,jax", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "| mlp | jax |" in proc.stdout
    data = json.loads(out.read_text())
    assert data["config"]["steps"] == 2 and data["config"]["repeats"] == 1
    assert {r["backend"] for r in data["results"]} == {"ptjax_compile", "jax"}
    for r in data["results"]:
        assert r["status"] == "ok", r
        assert r["step_s"] > 0 and np.isfinite(r["final_loss"])
    assert data["machine"]["cores"] >= 1 and data["machine"]["jax"]
