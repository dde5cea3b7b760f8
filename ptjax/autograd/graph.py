"""The recorded graph and the engine that walks it backwards.

Every op run with grad enabled leaves one ``Node``. A node keeps what its backward needs (the
JAX values of its inputs, and on tracers the VJP closure JAX already built) and one edge per
differentiable input: ``(node, output_nr)``. Leaves end in an ``AccumulateGrad`` node.

Nodes carry a creation sequence number; since an op's inputs always exist before it runs,
walking the reachable nodes in decreasing sequence order is a topological order, so the engine
needs no dependency counting: by the time a node is reached, every gradient flowing into it has
been summed.
"""

from __future__ import annotations

import itertools
import re
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from ptjax.autograd.grad_mode import state

__all__ = ["Node", "AccumulateGrad", "run_backward"]

_sequence = itertools.count()

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Node:
    """A backward function in the graph (what ``tensor.grad_fn`` returns)."""

    __slots__ = ("next_edges", "seq", "pre_hooks", "hooks", "out_meta", "__weakref__", "metadata")
    _name = "Node"

    def __init__(self, next_edges: tuple, out_meta: tuple) -> None:
        self.next_edges = next_edges  # one (node, nr) or None per gradient this node returns
        self.out_meta = out_meta  # (shape, dtype) of each output, to zero-fill missing grads
        self.seq = next(_sequence)
        self.pre_hooks = None
        self.hooks = None

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name.rsplit('::', 1)[-1]} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple:
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next_edges)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node computes its gradients."""
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(fn)
        return _RemovableHandle(self.hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; it may return replacement gradients."""
        return self._add_pre_hook(None, fn)

    def _add_pre_hook(self, output_nr, fn):
        if self.pre_hooks is None:
            self.pre_hooks = []
        entry = (output_nr, fn)
        self.pre_hooks.append(entry)
        return _RemovableHandle(self.pre_hooks, entry)

    def apply(self, grads: list, create_graph: bool) -> tuple:
        raise NotImplementedError

    def release(self) -> None:
        """Free what backward needed (after a backward without ``retain_graph``)."""


class _RemovableHandle:
    __slots__ = ("_list", "_item")

    def __init__(self, lst, item) -> None:
        self._list, self._item = lst, item

    def remove(self) -> None:
        try:
            self._list.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class AccumulateGrad(Node):
    """The end of the graph for a leaf tensor: adds the incoming gradient into ``leaf.grad``.

    The leaf's own hooks live on the tensor (``_leaf_hooks``, ``_post_acc_hooks``): this node
    is only weakly held by the leaf and is rebuilt when needed.
    """

    __slots__ = ("variable",)
    _name = "torch::autograd::AccumulateGrad"

    def __init__(self, variable) -> None:
        # built once per leaf and backward: only what the engine reads
        self.next_edges = ()
        self.out_meta = _ONE_OUTPUT
        self.seq = -1  # leaves are reached last
        self.pre_hooks = None
        self.hooks = None
        self.variable = variable

    def accumulate(self, grad, create_graph: bool) -> None:
        Tensor = tensor_type()
        var = self.variable
        old = var._grad
        if old is None:
            if isinstance(grad, Tensor):
                var._grad = grad if create_graph else Tensor._make(grad._value)
            else:
                var._grad = Tensor._make(grad)
        elif create_graph or old._rg:
            var._grad = old + grad
        else:
            # torch adds into the existing .grad in place, so references to it see the sum
            g = grad._value if isinstance(grad, Tensor) else grad
            old._val = _add_values(old._value, g)
            old._ver += 1
        if var._post_acc_hooks:
            for hook in list(var._post_acc_hooks):
                hook(var)


class OpNode(Node):
    """The backward of one op dispatched through ``ptjax._dispatch.apply``.

    ``next_edges`` has one edge per differentiable input; ``next_functions`` shows torch's
    view, which also lists (as ``(None, 0)``) the floating inputs that did not require grad.
    """

    __slots__ = ("op", "values", "vjp", "saved", "_layout")

    def __init__(self, op, values, vjp, next_edges, out_meta) -> None:
        # Node.__init__ inlined: one of these is built per recorded op
        self.next_edges = next_edges
        self.out_meta = out_meta
        self.seq = next(_sequence)
        self.pre_hooks = None
        self.hooks = None
        self.op = op  # the _Diff: implementation, static arguments, differentiable positions
        self.values = values  # the JAX values of every input, as the op received them
        self.vjp = vjp  # JAX's own VJP closure when the op ran on tracers
        # [(tensor, version, -1) for saved inputs, (weakref, version, nr) for saved outputs]
        self.saved = None
        self._layout = None  # per torch input: index into next_edges, or -1 (see _edge_layout)

    @property
    def _name(self) -> str:
        return self.op.backward_name

    def release(self) -> None:
        values = self.values
        if self._layout is None and values is not None and len(values) != len(self.next_edges):
            self._layout = self._edge_layout()
        self.values = None
        self.vjp = None
        self.saved = None

    def _edge_layout(self) -> tuple:
        """torch's inputs of this node: for each, its index in ``next_edges`` or -1 (no grad).

        torch has an input per floating tensor argument, and per Python number where its op
        wraps numbers into tensors (``x * 2``): ``impl.wrapped_scalars`` lists those positions.
        """
        if self._layout is not None:
            return self._layout
        values = self.values
        diff_in = self.op.diff_in
        if values is None or len(values) == len(diff_in):
            return tuple(range(len(self.next_edges)))
        wrapped = getattr(self.op.op.impl, "wrapped_scalars", ())
        layout, k = [], 0
        for i, v in enumerate(values):
            if k < len(diff_in) and diff_in[k] == i:
                layout.append(k)
                k += 1
            elif type(v) in _NUMBERS or getattr(v, "weak_type", False):
                # a Python number (dispatch passes numbers as weakly typed 0-d arrays)
                if i in wrapped:
                    layout.append(-1)
            elif getattr(getattr(v, "dtype", None), "kind", "") in "fcV":
                layout.append(-1)
        return tuple(layout)

    @property
    def next_functions(self) -> tuple:
        edges = self.next_edges
        return tuple(
            (edges[k][0], edges[k][1]) if k >= 0 and edges[k] is not None else (None, 0)
            for k in self._edge_layout()
        )

    def _cotangents(self, grads):
        op = self.op
        if self.vjp is not None:
            # JAX's closure wants a cotangent for every output; integer outputs take float0
            cts = [
                g if g is not None else _zeros(shape, dt)
                for g, (shape, dt) in zip(grads, self.out_meta)
            ]
        else:
            cts = [
                grads[p] if grads[p] is not None else _zeros(*self.out_meta[p]) for p in op.diff_out
            ]
        return cts[0] if op.single_out else tuple(cts)

    def apply(self, grads: list, create_graph: bool) -> tuple:
        if self.values is None:
            raise RuntimeError(_FREED)
        if self.saved:
            _check_versions(self)
        if create_graph:
            return self.op.backward_as_op(self, grads)
        cts = self._cotangents(grads)
        if self.vjp is not None:
            return torch_vjp(self.vjp, cts)
        return self.op.backward_jit(self.values, cts)


def _conj_complex(tree):
    return jax.tree_util.tree_map(lambda a: jnp.conj(a) if jnp.iscomplexobj(a) else a, tree)


def torch_vjp(vjp, cts):
    """``vjp(cts)`` in torch's convention for complex values.

    For complex values torch's backward propagates the conjugate of what JAX's VJP does
    (torch's gradient is d/d(conj z), JAX's cotangent d/dz): ``conj(vjp(conj(ct)))``. Real
    values are unchanged, and a real input of a complex function gets the real part as in both.
    """
    return _conj_complex(vjp(_conj_complex(cts)))


def _zeros(shape, dt):
    if jnp.issubdtype(dt, jnp.inexact):
        return jnp.zeros(shape, dt)
    return np.zeros(shape, jax.dtypes.float0)


def _check_versions(node: OpNode) -> None:
    for ref, version, out_nr in node.saved:
        tensor = ref() if type(ref) is weakref.ref else ref
        if tensor is None or tensor._version == version:
            continue
        # torch names the op that made the tensor: this node for a saved output, else the
        # tensor's current grad_fn ("output 0 of Add"); leaves have none
        if out_nr >= 0:
            origin = f", which is output {out_nr} of {_forward_name(node._name)},"
        else:
            fn = tensor.grad_fn
            origin = (
                f", which is output {tensor._out_nr} of {_forward_name(fn.name())},"
                if fn is not None
                else ""
            )
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [torch.{_type_name(tensor)} {list(tensor.shape)}]{origin} is at "
            f"version {tensor._version}; expected version {version} instead. Hint: enable "
            "anomaly detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )


class _Modified:
    """What the version check reports about a saved output changed in place: the tensor
    itself may be gone by backward time (torch's saved variable keeps its version counter)."""

    __slots__ = ("shape", "dtype", "_version")

    def __init__(self, tensor) -> None:
        self.shape, self.dtype, self._version = tensor.shape, tensor.dtype, tensor._version


def note_inplace(fn, root) -> None:
    """``root`` (whose grad_fn was ``fn``) was just changed in place: if ``fn`` saved it as an
    output, remember that, so backward raises torch's error even if ``root`` is gone."""
    saved = fn.saved
    for k, (ref, v, nr) in enumerate(saved):
        if nr >= 0 and type(ref) is weakref.ref and ref() is root:
            saved[k] = (_Modified(root), v, nr)


def resave_after_inplace(node, result, target) -> None:
    """An in-place op computed ``result`` out of place from ``target``, then wrote it into
    ``target``: the node saw ``target``'s value before the write (JAX values are immutable),
    so the write must not count as a later change, and a saved result now lives in ``target``."""
    root = target._base if target._base is not None else target
    version = target._version
    entries = []
    for ref, v, nr in node.saved:
        if nr >= 0:
            if type(ref) is weakref.ref and ref() is result:
                ref, v = weakref.ref(target), version
        elif (ref._base if ref._base is not None else ref) is root:
            v = version
        entries.append((ref, v, nr))
    node.saved = entries


def _forward_name(backward_name: str) -> str:
    """``SigmoidBackward0`` -> ``Sigmoid``, as torch's version-check message names ops."""
    return re.sub(r"Backward\d*$", "", backward_name)


def _type_name(t) -> str:
    from ptjax._dtype import type_title

    return type_title(t.dtype) + "Tensor"


def _gather_nodes(root_nodes) -> list:
    seen = set(root_nodes)
    order = list(seen)
    stack = list(order)
    while stack:
        for e in stack.pop().next_edges:
            if e is not None:
                n = e[0]
                if n not in seen:
                    seen.add(n)
                    order.append(n)
                    stack.append(n)
    order.sort(key=_seq, reverse=True)
    return order


def _seq(node) -> int:
    return node.seq


def _all_none(grads: list) -> bool:
    # not grads.count(None): that compares arrays with ==, which is slow in JAX
    for g in grads:
        if g is not None:
            return False
    return True


_Tensor = None


def tensor_type():
    """``ptjax.Tensor`` (imported on first use: the tensor module imports this one)."""
    global _Tensor
    if _Tensor is None:
        from ptjax._tensor import Tensor

        _Tensor = Tensor
    return _Tensor


def _needed_for(order: list, targets: set) -> set:
    """The nodes from which a target node can be reached (pruning for autograd.grad)."""
    needed = set()
    for node in reversed(order):  # increasing sequence: inputs before consumers
        if node in targets or any(e is not None and e[0] in needed for e in node.next_edges):
            needed.add(node)
    return needed


_NUMBERS = (int, float, complex, bool)
_ONE_OUTPUT = ((None, None),)  # AccumulateGrad's single output; its meta is never read


@jax.jit
def _add_values(a, b):
    # a jitted add takes JAX's fast dispatch path; ``a + b`` on arrays takes the slow one
    return a + b


def _add(a, b):
    if a is None:
        return b
    if isinstance(a, jax.Array) and isinstance(b, jax.Array) and a.shape == b.shape:
        return _add_values(a, b)
    return a + b


def run_backward(
    roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None, accumulate: bool = True
):
    """Backpropagate ``root_grads`` from ``roots``.

    With ``accumulate``, leaves' ``.grad`` receive their gradients (``Tensor.backward``), limited
    to ``inputs`` when given. Without, the gradients of ``inputs`` are returned
    (``autograd.grad``) and no ``.grad`` is touched.
    """
    Tensor = tensor_type()
    buffers: dict = {}  # node -> [gradient of each output]
    root_nodes = []
    for t, g in zip(roots, root_grads):
        node, nr = t._edge()
        slot = buffers.get(node)
        if slot is None:
            slot = buffers[node] = [None] * len(node.out_meta)
        slot[nr] = _add(slot[nr], g)
        root_nodes.append(node)

    order = _gather_nodes(root_nodes)
    captures = None
    needed = None
    if inputs is not None:
        captures = {}
        for i, t in enumerate(inputs):
            node, nr = t._edge()
            captures.setdefault(node, []).append((nr, i))
        needed = _needed_for(order, set(captures))
    results = [None] * (len(inputs) if inputs is not None else 0)

    def as_tensor(g):
        return g if isinstance(g, Tensor) else Tensor._make(g)

    def as_value(g):
        return g if create_graph or not isinstance(g, Tensor) else g._value

    prev_enabled = state.enabled
    state.enabled = create_graph
    try:
        for node in order:
            grads = buffers.pop(node, None)
            if grads is None or _all_none(grads):
                if not retain_graph:
                    node.release()
                continue
            if needed is not None and node not in needed:
                continue
            is_leaf = node.__class__ is AccumulateGrad
            pre_hooks = node.pre_hooks
            if is_leaf and node.variable._leaf_hooks:
                pre_hooks = node.variable._leaf_hooks + (pre_hooks or [])
            if pre_hooks:
                for nr, hook in list(pre_hooks):
                    if nr is None:
                        new = hook(tuple(as_tensor(g) if g is not None else None for g in grads))
                        if new is not None:
                            grads = [as_value(g) if g is not None else None for g in new]
                    elif grads[nr] is not None:
                        new = hook(as_tensor(grads[nr]))
                        if new is not None:
                            grads[nr] = as_value(new)
            if captures is not None and node in captures:
                for nr, i in captures[node]:
                    g = grads[nr]
                    results[i] = as_tensor(g) if g is not None else None
                if not accumulate and is_leaf:
                    continue
            if is_leaf:
                if accumulate and (captures is None or node in captures):
                    node.accumulate(grads[0], create_graph)
                continue
            input_grads = node.apply(grads, create_graph)
            if node.hooks:
                # hooks see torch's inputs (with None for the non-differentiable ones)
                layout = node._edge_layout() if isinstance(node, OpNode) else None
                for hook in node.hooks:
                    gi = tuple(as_tensor(g) if g is not None else None for g in input_grads)
                    if layout is not None:
                        gi = tuple(gi[k] if k >= 0 else None for k in layout)
                    go = tuple(as_tensor(g) if g is not None else None for g in grads)
                    new = hook(gi, go)
                    if new is not None:
                        new = tuple(as_value(g) if g is not None else None for g in new)
                        if layout is not None:
                            new = tuple(new[j] for j, k in enumerate(layout) if k >= 0)
                        input_grads = new
            if not retain_graph:
                node.release()
            for edge, g in zip(node.next_edges, input_grads):
                if edge is None or g is None:
                    continue
                if not create_graph and isinstance(g, Tensor):
                    g = g._value
                nxt = edge[0]
                slot = buffers.get(nxt)
                if slot is None:
                    slot = buffers[nxt] = [None] * len(nxt.out_meta)
                    slot[edge[1]] = g
                else:
                    slot[edge[1]] = _add(slot[edge[1]], g)
    finally:
        state.enabled = prev_enabled
    return results


def accumulator_for(tensor) -> AccumulateGrad:
    """The (cached, weakly held) AccumulateGrad node of a leaf tensor."""
    ref = tensor._grad_acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._grad_acc = weakref.ref(node)
    return node


def is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)
