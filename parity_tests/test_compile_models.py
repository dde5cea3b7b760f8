"""Each benchmark model's training step: torch == ptjax eager == ptjax.compile, step by step.

Small widths of the five benchmark models (``ptjax.bench.models.TINY``), identical initial
weights and batches, Adam and SGD with momentum; after every step the loss, and after the last
one every parameter, gradient, buffer (BatchNorm statistics) and optimizer-state tensor.
"""

import numpy as np
import pytest
import torch
from helpers import assert_close
from nn_helpers import training_step

import ptjax
from ptjax.bench import models

STEPS = 3
# float32 training over a few steps: XLA and ATen reduce in different orders, and Adam divides
# by sqrt(v), which magnifies last-bit gradient differences for near-zero gradients. These
# bound the drift after STEPS steps; a real error (wrong grad, wrong update) is orders larger.
TOL = {"rtol": 1e-4, "atol": 1e-5}
# Adam's update is about lr * sign(grad) wherever |grad| is near eps, so a gradient element of
# rounding-noise size moves its weight by a visible fraction of lr (1e-2 here) in any backend;
# weights are compared to 1% of one step there.
ADAM_WEIGHT_TOL = {"rtol": 1e-4, "atol": 1e-4}


def _optimizer(lib, params, name):
    if name == "adam":
        # eps above torch's 1e-8: the key part of GPT's qkv bias has an exactly-zero gradient
        # (softmax ignores a shift shared by all scores), so each backend's rounding noise
        # (~1e-9) would be normalised by Adam into a full +-lr step in a random direction.
        return lib.optim.Adam(params, lr=1e-2, eps=1e-6)
    return lib.optim.SGD(params, lr=1e-2, momentum=0.9)


def _setup(lib, name, opt_name, state=None):
    lib.manual_seed(0)
    model = models.build(name, lib, models.TINY[name], dropout=False)
    if state is not None:
        model.load_state_dict({k: ptjax.tensor(v) for k, v in state.items()})
    opt = _optimizer(lib, model.parameters(), opt_name)
    return model, opt, training_step(model, opt, lib.nn.CrossEntropyLoss())


@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
@pytest.mark.parametrize("name", models.MODELS)
def test_compiled_step_matches_eager_and_torch(name, opt_name):
    tm, topt, tstep = _setup(torch, name, opt_name)
    state = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items()}
    em, eopt, estep = _setup(ptjax, name, opt_name, state)
    cm, copt, cstep = _setup(ptjax, name, opt_name, state)
    cstep = ptjax.compile(cstep)
    for i in range(STEPS):
        xn, yn = models.make_batch(name, 2, models.TINY[name], seed=i)
        tl = tstep(torch.from_numpy(xn), torch.from_numpy(yn)).item()
        el = estep(ptjax.from_numpy(xn), ptjax.from_numpy(yn)).item()
        cl = cstep(ptjax.from_numpy(xn), ptjax.from_numpy(yn)).item()
        np.testing.assert_allclose(el, tl, **TOL, err_msg=f"eager loss, step {i}")
        np.testing.assert_allclose(cl, tl, **TOL, err_msg=f"compiled loss, step {i}")
    tsd, esd, csd = tm.state_dict(), em.state_dict(), cm.state_dict()
    assert set(esd) == set(csd) == set(tsd)
    wtol = ADAM_WEIGHT_TOL if opt_name == "adam" else TOL
    for k, tv in tsd.items():
        assert_close(esd[k], tv, **wtol, msg=f"eager {k}")
        assert_close(csd[k], tv, **wtol, msg=f"compiled {k}")
    for (k, tp), (_, ep), (_, cp) in zip(
        tm.named_parameters(), em.named_parameters(), cm.named_parameters()
    ):
        assert_close(ep.grad, tp.grad, **TOL, msg=f"eager grad {k}")
        assert_close(cp.grad, tp.grad, **TOL, msg=f"compiled grad {k}")
    tstate = topt.state_dict()["state"]
    for got in (eopt.state_dict()["state"], copt.state_dict()["state"]):
        assert set(got) == set(tstate)
        for i, st in tstate.items():
            assert set(got[i]) == set(st)
            for key, v in st.items():
                assert_close(got[i][key], v, **TOL, msg=f"optimizer state {i}.{key}")
    # one program for Adam (its state is created before the first compile); SGD's momentum
    # buffer appears at step 1 and compiles once more
    assert cstep.cache_size == cstep.compile_count == (1 if opt_name == "adam" else 2)
