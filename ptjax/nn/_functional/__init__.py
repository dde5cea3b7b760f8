"""Implementations behind ``ptjax.nn.functional``, one module per family."""
