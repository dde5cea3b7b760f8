"""torch.autograd.Function: user-defined forward and backward."""

from __future__ import annotations

import functools
import weakref

from ptjax.autograd.graph import Node

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` passed to a custom Function's forward and backward."""

    def __init__(self) -> None:
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self._non_differentiable = set()
        self.materialize_grads = True
        self._saved_versions = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward (read back as ``ctx.saved_tensors``)."""
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        self._to_save_fwd = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs that get no gradient."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Inputs modified in place by forward (accepted; values are rebound as usual)."""

    def set_materialize_grads(self, value: bool) -> None:
        """Whether undefined output gradients reach backward as zeros (True) or None."""
        self.materialize_grads = value


class BackwardCFunction(Node):
    """The graph node of one custom Function call."""

    __slots__ = ("ctx", "fn_cls", "released", "n_out", "saved")

    def __init__(self, ctx, fn_cls, next_edges, out_meta) -> None:
        super().__init__(next_edges, out_meta)
        self.ctx, self.fn_cls, self.released = ctx, fn_cls, False
        self.saved = None  # as OpNode.saved: what save_for_backward kept, with its version

    @property
    def _name(self) -> str:
        return self.fn_cls.__name__ + "Backward"

    def release(self) -> None:
        self.released = True

    def apply(self, grads: list, create_graph: bool) -> tuple:
        from ptjax._ops.creation import zeros
        from ptjax._tensor import Tensor
        from ptjax.autograd.graph import _FREED, _check_versions

        if self.released:
            raise RuntimeError(_FREED)
        if self.saved:
            _check_versions(self)
        gts = []
        for g, (shape, dt) in zip(grads, self.out_meta):
            if g is None:
                g = zeros(shape, dtype=dt) if self.ctx.materialize_grads else None
            elif not isinstance(g, Tensor):
                g = Tensor._make(g)
            gts.append(g)
        result = self.fn_cls.backward(self.ctx, *gts)
        if not isinstance(result, tuple):
            result = (result,)
        n_inputs = len(self.ctx.needs_input_grad)
        if len(result) < n_inputs:
            raise RuntimeError(
                f"function {self._name} returned an incorrect number of gradients (expected "
                f"{n_inputs}, got {len(result)})"
            )
        grads_in = []
        for k, needs in enumerate(self.ctx.needs_input_grad):
            if needs:
                grads_in.append(result[k])
        return tuple(grads_in)


class _FunctionMeta(type):
    pass


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from ptjax._tensor import Tensor
        from ptjax.autograd.grad_mode import no_grad, state

        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        has_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if has_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        saved = getattr(ctx, "_to_save", ())
        ctx.saved_tensors = tuple(saved)
        ctx._saved_versions = tuple((t, t._version) for t in saved if isinstance(t, Tensor))
        record = state.enabled and any(t._rg for t in tensor_args)
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        if not record:
            return output
        edges = tuple(a._edge() for a in args if isinstance(a, Tensor) and a._rg)
        meta = tuple(
            (tuple(o.shape), o._value.dtype) if isinstance(o, Tensor) else ((), None)
            for o in outputs
        )
        node = BackwardCFunction(ctx, cls, edges, meta)
        input_ids = {id(a) for a in tensor_args}
        wrapped = []
        for nr, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if id(o) in input_ids:
                o = o.view_as(o)  # an input returned as is becomes a new output tensor
            if id(o) in ctx._non_differentiable or not (
                o.dtype.is_floating_point or o.dtype.is_complex
            ):
                wrapped.append(o)
                continue
            o._grad_fn, o._out_nr, o._rg = node, nr, True
            wrapped.append(o)
        # saved tensors are checked for in-place changes before backward, as torch does; a
        # saved output is held weakly (it holds this node)
        entries = []
        for t in saved:
            if not isinstance(t, Tensor):
                continue
            nr = next((k for k, o in enumerate(wrapped) if o is t), -1)
            entries.append((weakref.ref(t), t._version, nr) if nr >= 0 else (t, t._version, -1))
        node.saved = entries or None
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn):
    """Decorator for a backward that cannot itself be differentiated."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from ptjax.autograd.grad_mode import no_grad

        with no_grad():
            return fn(ctx, *args)

    return wrapper
