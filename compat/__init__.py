"""Interop with real PyTorch and Flax (checkpoints, modules, the import alias), installed as
``ptjax.compat``."""
