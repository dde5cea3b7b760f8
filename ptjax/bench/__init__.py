"""Cross-backend training-step benchmark (``ptjax bench``).

The same PyTorch-style training step for five models runs on PyTorch eager, torch.compile,
ptjax eager, ptjax compiled and a hand-written ``jax.jit`` + Optax floor.
"""
