"""Running an op: unwrap tensors, call a cached ``jax.jit`` of its JAX implementation, record it.

Every torch op in ptjax is a small public function that validates its arguments and then calls
``apply(impl, *dynamic, **static)``: positional arguments are the values that flow through the
computation (tensors, numbers, sequences of tensors), keyword arguments are static
configuration (dims, flags, dtypes), hashable and part of the compile-cache key.

Eagerly, the forward is one call of a jitted function cached per (implementation, static
arguments); JAX's own cache then keys on shapes and dtypes. The backward is a second cached
jitted function that recomputes the VJP from the saved inputs. On tracers (inside ``jax.jit``)
the VJP closure is built once at forward time instead, so a compiled step traces exactly what
``jax.vjp`` of the whole function would.
"""

from __future__ import annotations

import functools
import re
import weakref

import jax
import jax.numpy as jnp

from ptjax._tensor import Tensor
from ptjax.autograd.grad_mode import state as _grad_state
from ptjax.autograd.graph import OpNode, torch_vjp

__all__ = ["apply", "op_cache_info"]

_Tracer = jax.core.Tracer


def _unflatten(spec, flat):
    """Rebuild positional arguments from flat values; ``spec`` gives -1 or a sequence length."""
    out, i = [], 0
    for n in spec:
        if n < 0:
            out.append(flat[i])
            i += 1
        else:
            out.append(tuple(flat[i : i + n]))
            i += n
    return out


def _backward_name(fn) -> str:
    name = getattr(fn, "backward_name", None)
    if name:
        return name
    base = re.sub(r"^_+|_impl$", "", fn.__name__)
    return "".join(w.capitalize() for w in base.split("_")) + "Backward0"


class _Op:
    """One implementation with fixed static arguments and argument structure."""

    __slots__ = (
        "impl",
        "static",
        "spec",
        "call",
        "fwd",
        "backward_name",
        "_diffs",
        "saves",
        "saves_output",
    )

    def __init__(self, impl, static: tuple, spec) -> None:
        self.impl = impl
        self.static = static
        self.spec = spec
        kwargs = dict(static)
        if spec is None:
            call = functools.partial(impl, **kwargs) if kwargs else impl
        else:

            def call(*flat):
                return impl(*_unflatten(spec, flat), **kwargs)

        self.call = call
        self.fwd = jax.jit(call)
        self.backward_name = _backward_name(impl)
        self._diffs = {}
        self.saves = _saves_spec(impl)
        self.saves_output = getattr(impl, "saves_output", False)

    def restricted(self, values, diff_in: tuple, pick=None):
        """The op as a function of its differentiable inputs only (outputs ``pick``ed if given)."""
        call = self.call

        def f(*d):
            full = list(values)
            for i, x in zip(diff_in, d):
                full[i] = x
            out = call(*full)
            if pick is None:
                return out
            return out if pick == () else tuple(out[p] for p in pick)

        return f


class _Diff:
    """The backward of an ``_Op`` for one choice of differentiable inputs and outputs."""

    __slots__ = (
        "op",
        "diff_in",
        "diff_out",
        "single_out",
        "backward_jit",
        "_as_op",
        "backward_name",
    )

    def __init__(self, op: _Op, diff_in: tuple, diff_out: tuple, single_out: bool) -> None:
        self.op, self.diff_in, self.diff_out, self.single_out = op, diff_in, diff_out, single_out
        self.backward_name = op.backward_name
        self.backward_jit = jax.jit(self._vjp)
        self._as_op = None

    def _vjp(self, values, cts):
        pick = () if self.single_out else self.diff_out
        f = self.op.restricted(values, self.diff_in, pick)
        _, vjp = jax.vjp(f, *[values[i] for i in self.diff_in])
        return torch_vjp(vjp, cts)

    def backward_as_op(self, node, grads):
        """Backward as a recorded op over tensors, so its result can be differentiated again."""
        from ptjax._tensor import Tensor

        n = len(node.values)
        if self._as_op is None:
            single = self.single_out

            def backward_impl(*args):
                vals, cts = args[:n], args[n:]
                return tuple(self._vjp(vals, cts[0] if single else tuple(cts)))

            backward_impl.backward_name = self.backward_name.replace("Backward0", "Backward1")
            self._as_op = backward_impl
        args = []
        diff_pos = {i: k for k, i in enumerate(self.diff_in)}
        for i, v in enumerate(node.values):
            k = diff_pos.get(i)
            if k is None or node.next_edges[k] is None:
                args.append(v)
            else:
                # the saved input, re-attached to where its gradient flows
                snap = Tensor._make(v, True)
                snap._grad_fn, snap._out_nr = node.next_edges[k]
                args.append(snap)
        for pos in self.diff_out:
            g = grads[pos]
            if g is None:
                shape, dt = node.out_meta[pos]
                g = Tensor._make(jnp.zeros(shape, dt))
            elif not isinstance(g, Tensor):
                g = Tensor._make(g)
            args.append(g)
        return apply(self._as_op, *args)


def _saves_spec(impl):
    """``impl.saves`` as ``((position, needed_by), ...)``.

    torch keeps some inputs for the backward, and an in-place change to one of them before
    backward is an error. ``impl.saves = (0,)`` says input 0 is kept whenever the op is
    recorded; ``impl.saves = {0: (1,), 1: (0,)}`` says input 0 is kept only when input 1
    requires grad and vice versa (a product's gradient w.r.t. one factor needs the other).
    ``impl.saves_output = True`` says the result is kept (``sigmoid``, ``exp``, ``tanh``).
    Positions count the flat positional arguments.
    """
    saves = getattr(impl, "saves", None)
    if not saves:
        return None
    if isinstance(saves, dict):
        return tuple((p, tuple(n)) for p, n in saves.items())
    return tuple((p, None) for p in saves)


def _flat_args(args) -> list:
    flat = []
    for a in args:
        if type(a) is list or type(a) is tuple:
            flat.extend(a)
        else:
            flat.append(a)
    return flat


def _saved_entries(op: _Op, args, diff_in: tuple, wrapped: list, diff_out: tuple, Tensor):
    saved = []
    if op.saves is not None:
        flat = _flat_args(args) if op.spec is not None else args
        for p, needers in op.saves:
            t = flat[p] if p < len(flat) else None
            if isinstance(t, Tensor) and (needers is None or any(n in diff_in for n in needers)):
                saved.append((t, t._version, -1))
    if op.saves_output:
        for p in diff_out:
            o = wrapped[p]
            saved.append((weakref.ref(o), o._version, p))
    return saved or None


_ops: dict = {}


def _get_op(impl, static: tuple, spec) -> _Op:
    key = (impl, static, spec)
    op = _ops.get(key)
    if op is None:
        op = _ops[key] = _Op(impl, static, spec)
    return op


def _get_diff(op: _Op, diff_in: tuple, diff_out: tuple, single: bool) -> _Diff:
    key = (diff_in, diff_out)
    d = op._diffs.get(key)
    if d is None:
        d = op._diffs[key] = _Diff(op, diff_in, diff_out, single)
    return d


def op_cache_info() -> dict:
    """How many distinct (op, static arguments) forwards and backwards are cached."""
    return {"ops": len(_ops), "backwards": sum(len(o._diffs) for o in _ops.values())}


# -- Python numbers as device scalars ---------------------------------------------------------
# A Python number passed to a jitted function is copied to the device on every call (a few
# microseconds, as much as a small op itself). Numbers recur (``x * 2``, ``alpha=1``), so each
# is converted once: ``jnp.asarray`` keeps JAX's weak type, so the compiled program and its
# result dtype are the same as for the number itself.
_SCALARS: dict = {}
_SCALAR_CACHE_MAX = 4096
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _scalar(v):
    cls = v.__class__
    if cls is float:
        if v == 0.0 or v != v:
            # -0.0 == 0.0 and nan != nan: keyed by their bits instead
            key = (float, v.hex())
        else:
            key = (float, v)
    elif cls is int and not _INT64_MIN <= v <= _INT64_MAX:
        return v
    else:
        key = (cls, v)
    arr = _SCALARS.get(key)
    if arr is None:
        if len(_SCALARS) >= _SCALAR_CACHE_MAX:
            return v
        # concrete even when first met inside a trace: a cached tracer would leak
        with jax.ensure_compile_time_eval():
            arr = _SCALARS[key] = jnp.asarray(v)
        _SCALAR_OF_ID[id(arr)] = v
    return arr


# The cached arrays must not reach a trace: JAX hoists a concrete array captured by a traced
# program into an extra executable argument, and when two traces capture the same array object
# into otherwise identical programs, the second reuses the first's executable with a different
# argument count ("Execution supplied 6 arguments but compiled program expected 7").
_SCALAR_OF_ID: dict = {}


def _literals(vals: list) -> list:
    """``vals`` for a trace: cached scalar arrays back to the Python numbers they stand for."""
    return [_SCALAR_OF_ID.get(id(v), v) if v.__class__ is not _Tracer else v for v in vals]


_SCALAR_TYPES = frozenset((int, float, bool, complex))


def apply(impl, *args, **static):
    """Run ``impl(*args, **static)`` on tensors' JAX values and record it for autograd.

    Returns a Tensor, or a tuple of Tensors when ``impl`` returns a tuple.
    """
    record = _grad_state.enabled
    vals = []
    diff = None  # (flat position, tensor) of the inputs that require grad
    spec = None
    for a in args:
        if isinstance(a, Tensor):
            vals.append(a._val if a._base is None else a._value)
            if record and a._rg:
                if diff is None:
                    diff = []
                diff.append((len(vals) - 1, a))
        elif a.__class__ in _SCALAR_TYPES:
            vals.append(_scalar(a))
        elif a.__class__ is list or a.__class__ is tuple:
            spec = _sequence_args(args, vals, record)
            diff = [(i, t) for i, t in spec[1]] or None
            spec = spec[0]
            break
        else:
            vals.append(a)
    key = (impl, tuple(static.items()), spec)
    op = _ops.get(key)
    if op is None:
        op = _ops[key] = _Op(impl, key[1], spec)
    if diff is None:
        for v in vals:
            if isinstance(v, _Tracer):
                # inside a trace, inline the op: a nested jit adds nothing there, and XLA sees
                # one flat program
                out = op.call(*_literals(vals))
                break
        else:
            out = op.fwd(*vals)
        if out.__class__ is tuple or out.__class__ is list:
            return tuple(_wrap(o) for o in out)
        t = _new(Tensor)
        t._val = out
        return t
    return _record(op, vals, diff, args)


def _sequence_args(args, vals: list, record: bool):
    """Flatten arguments of which some are sequences (``cat([a, b])``): returns the spec (see
    ``_unflatten``) and the differentiable ``(flat position, tensor)`` pairs; fills ``vals``."""
    vals.clear()
    spec, diff = [], []
    for a in args:
        items = a if a.__class__ is list or a.__class__ is tuple else None
        for x in items if items is not None else (a,):
            if isinstance(x, Tensor):
                vals.append(x._val if x._base is None else x._value)
                if record and x._rg:
                    diff.append((len(vals) - 1, x))
            elif x.__class__ in _SCALAR_TYPES:
                vals.append(_scalar(x))
            else:
                vals.append(x)
        spec.append(len(items) if items is not None else -1)
    return tuple(spec), diff


_new = object.__new__


def _wrap(value):
    t = _new(Tensor)
    t._val = value
    return t


_FLOAT_KINDS = frozenset("fcV")  # float, complex, and ml_dtypes' bfloat16/float8 ('V')


def _record(op: _Op, vals: list, diff: list, args):
    diff_in = tuple([i for i, _ in diff])
    vjp = None
    for v in vals:
        if isinstance(v, _Tracer):
            # On tracers JAX builds the VJP now, so a compiled step traces exactly jax.vjp's
            # program and nothing is recomputed. Integer outputs get float0 cotangents.
            vals = _literals(vals)
            out, vjp = jax.vjp(op.restricted(vals, diff_in), *[vals[i] for i in diff_in])
            break
    else:
        out = op.fwd(*vals)
    cls = out.__class__
    if cls is not tuple and cls is not list:
        single = True
        outs = (out,)
        diff_out = (0,) if out.dtype.kind in _FLOAT_KINDS else ()
    else:
        single = False
        outs = tuple(out)
        diff_out = tuple([p for p, o in enumerate(outs) if o.dtype.kind in _FLOAT_KINDS])
    d = op._diffs.get((diff_in, diff_out))
    if d is None:
        d = op._diffs[(diff_in, diff_out)] = _Diff(op, diff_in, diff_out, single)
    node = OpNode(
        d,
        tuple(vals),
        vjp,
        tuple([t._edge() for _, t in diff]),
        tuple([(o.shape, o.dtype) for o in outs]),
    )
    wrapped = []
    for p, o in enumerate(outs):
        t = _new(Tensor)
        t._val = o
        if p in diff_out:
            t._rg = True
            t._grad_fn = node
            t._out_nr = p
        wrapped.append(t)
    if op.saves is not None or op.saves_output:
        node.saved = _saved_entries(op, args, diff_in, wrapped, diff_out, Tensor)
    return wrapped[0] if single else tuple(wrapped)
