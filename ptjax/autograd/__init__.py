"""torch.autograd: backward, grad, grad modes and custom Functions."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from ptjax.autograd import graph
from ptjax.autograd.function import Function, FunctionCtx, once_differentiable
from ptjax.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "graph",
]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, graph.tensor_type()):
        return (x,)
    return tuple(x)


_ONES: dict = {}


def _ones(shape: tuple, dtype):
    """The implicit ``1`` gradient of a scalar output, made once per shape and dtype."""
    key = (shape, dtype)
    g = _ONES.get(key)
    if g is None:
        g = jnp.ones(shape, dtype)
        if len(_ONES) < 256:
            _ONES[key] = g
    return g


def _root_grads(outputs, grad_outputs, create_graph):
    Tensor = graph.tensor_type()
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if not out._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not (out.dtype.is_floating_point or out.dtype.is_complex):
                raise RuntimeError(
                    f"grad can be computed only for real floating point outputs but got {out.dtype}"
                )
            v = out._value
            # a cached array must never enter a trace (see _dispatch._literals)
            g = (
                jnp.ones(v.shape, v.dtype)
                if isinstance(v, jax.core.Tracer)
                else _ones(v.shape, v.dtype)
            )
        elif isinstance(g, Tensor):
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {out.shape}."
                )
            g = g if create_graph else g._value
        else:
            g = jnp.asarray(g, out._value.dtype)
        grads.append(g)
    return grads


def backward(
    tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None
) -> None:
    """Accumulate into leaves' ``.grad`` the gradients of ``tensors`` (see torch.autograd)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tensors, grad_tensors, create_graph)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    graph.run_backward(tensors, roots, retain_graph, create_graph, inputs=inputs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused=None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned instead of stored in ``.grad``."""
    if is_grads_batched:
        from ptjax._errors import unsupported

        raise unsupported("torch.autograd.grad(is_grads_batched=True)")
    outputs = _as_tuple(outputs)
    single_input = not isinstance(inputs, Sequence)
    inputs = _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _root_grads(outputs, _as_tuple(grad_outputs), create_graph)
    results = graph.run_backward(
        outputs, roots, retain_graph, create_graph, inputs=inputs, accumulate=False
    )
    out = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if materialize_grads:
                from ptjax._ops.creation import zeros_like

                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        out.append(g)
    del single_input
    return tuple(out)
