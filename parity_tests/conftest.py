import os
import sys
import zlib

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ptjax  # noqa: E402  (enables x64 before any test touches JAX)


@pytest.fixture(autouse=True)
def _seed_per_test(request):
    """Every test draws from generators seeded by its own id, so its inputs do not depend on
    which tests ran before it in the same worker (pytest-xdist distributes them freely)."""
    import helpers
    import torch

    seed = zlib.crc32(request.node.nodeid.encode())
    helpers.RNG.bit_generator.state = np.random.PCG64(seed).state
    torch.manual_seed(seed)
    ptjax.manual_seed(seed)
