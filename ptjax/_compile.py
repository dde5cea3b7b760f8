"""ptjax.compile: a whole PyTorch-style training step as one ``jax.jit`` program.

A step function reads and writes state that lives in the user's objects: parameters and their
``.grad``, buffers (BatchNorm statistics), optimizer state and hyperparameters, the RNG. To
compile it, that state is *lifted*: ``CompiledFunction`` finds the objects the function can reach
(its arguments, closure and the globals it names), collects their tensors, and jits a pure
function ``(state, inputs) -> (outputs, new state)`` that installs the traced state into those
same objects, runs the user's code (forward, ``backward()``, ``optimizer.step()`` all record and
replay on tracers), and reads the state back out. After each call the new values are written
into the user's objects, so they behave exactly as after an eager step.

The state a step updates is donated: XLA writes the new values into the old arrays' memory, so
a compiled step holds one copy of the parameters and optimizer state, not two (an array that
something else also holds is copied once first; see ``_private``).

What is part of the compile-cache key (a change recompiles): input shapes and dtypes, non-tensor
arguments, which parameters have a ``.grad``, train/eval flags, the optimizer-state layout.
Learning rates and other numeric hyperparameters are inputs, so schedulers never recompile.
"""

from __future__ import annotations

import collections
import functools
import sys
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ptjax._tensor import Tensor

__all__ = ["compile", "CompiledFunction", "OptimizedModule", "is_compiling"]

_state = types.SimpleNamespace(compiling=0)
RECOMPILE_WARN_LIMIT = 8


def is_compiling() -> bool:
    """True while ptjax.compile is tracing a function."""
    return _state.compiling > 0


# -- finding the state a function can reach ---------------------------------------------------------


def _is_module(obj) -> bool:
    return (
        hasattr(obj, "_parameters") and hasattr(obj, "named_buffers") and hasattr(obj, "training")
    )


def _is_optimizer(obj) -> bool:
    return hasattr(obj, "param_groups") and hasattr(obj, "state") and hasattr(obj, "step")


def _code_names(code, seen=None) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _reachable_roots(fn, args, kwargs) -> list:
    """Objects the step can touch: its arguments, closure cells, and the globals it names."""
    # tensors passed as arguments are inputs, not state; modules/optimizers passed are state
    roots = [a for a in list(args) + list(kwargs.values()) if not isinstance(a, Tensor)]
    target = fn
    if isinstance(fn, functools.partial):
        roots += list(fn.args) + list(fn.keywords.values())
        target = fn.func
    if hasattr(target, "__self__"):
        roots.append(target.__self__)
        target = target.__func__
    code = getattr(target, "__code__", None)
    if code is not None:
        for cell in target.__closure__ or ():
            try:
                roots.append(cell.cell_contents)
            except ValueError:
                pass
        glob = target.__globals__
        for name in _code_names(code):
            if name in glob:
                roots.append(glob[name])
    return roots


class _StateLayout:
    """The tensors, leaves, optimizers and generators a compiled step reads and writes."""

    def __init__(self, roots) -> None:
        self.modules, self.optimizers, self.scalers, self.tensors = [], [], [], []
        seen = set()

        def add_tensor(t):
            if id(t) not in seen:
                seen.add(id(t))
                self.tensors.append(t)

        def visit(obj, depth):
            if id(obj) in seen or depth > 2:
                return
            if isinstance(obj, Tensor):
                add_tensor(obj)
                return
            if isinstance(obj, types.ModuleType | type | types.FunctionType):
                return
            seen.add(id(obj))
            if _is_module(obj):
                self.modules.append(obj)
                for _, p in obj.named_parameters():
                    add_tensor(p)
                for _, b in obj.named_buffers():
                    add_tensor(b)
            elif _is_optimizer(obj):
                self.optimizers.append(obj)
                for g in obj.param_groups:
                    for p in g["params"]:
                        add_tensor(p)
            elif hasattr(obj, "optimizer") and _is_optimizer(obj.optimizer):  # a scheduler
                visit(obj.optimizer, depth + 1)
            elif hasattr(obj, "_compile_state"):  # e.g. GradScaler
                self.scalers.append(obj)
                for t in obj._compile_state():
                    add_tensor(t)
            elif isinstance(obj, list | tuple):
                for x in obj:
                    visit(x, depth + 1)
            elif isinstance(obj, dict):
                for x in obj.values():
                    visit(x, depth + 1)
            elif hasattr(obj, "__dict__") and depth < 1 and not callable(obj):
                for x in vars(obj).values():
                    visit(x, depth + 1)

        for r in roots:
            visit(r, 0)
        self.leaves = [t for t in self.tensors if t._rg and t._grad_fn is None]
        # train()/eval() flags of every submodule are part of the cache key, read at each call
        self.all_modules = [m for root in self.modules for m in root.modules()]

    # Optimizer state and hyperparameters change layout over time (state appears at the first
    # step), so they are read fresh at each call.
    def optimizer_state(self):
        entries = []
        for opt in self.optimizers:
            for p, st in opt.state.items():
                for k, v in st.items():
                    if isinstance(v, Tensor):
                        entries.append((opt, p, k, v))
        return entries

    def hyperparameters(self):
        """Per optimizer group: the traced hyperparameters and the static part of the key.

        Optimizers built on a ``transforms.Rule`` name their traced hyperparameters
        (``_rule.hyper``) and the options they branch on in Python (``_flags``): the former
        are inputs of the compiled step (one float64 vector per group, so one transfer), the
        latter part of its cache key. Any other optimizer's numeric options are compile-time
        constants in the key, so a change recompiles instead of running with stale values.

        Returns ``(entries, values, static)``: ``entries`` holds ``(optimizer, group, names)``
        and ``values`` the matching vectors.
        """
        entries, values, static = [], [], []
        for opt in self.optimizers:
            rule = getattr(opt, "_rule", None)
            for g in opt.param_groups:
                if rule is not None and hasattr(opt, "_hyper"):
                    hyper = opt._hyper(g)
                    names = tuple(hyper)
                    entries.append((opt, g, names))
                    values.append(np.array([hyper[k] for k in names], np.float64))
                    static.append((names, tuple(sorted(opt._flags(g).items()))))
                else:
                    static.append(
                        tuple(
                            sorted(
                                (k, v)
                                for k, v in g.items()
                                if k != "params" and isinstance(v, int | float | bool | str | tuple)
                            )
                        )
                    )
        return entries, values, tuple(static)


# -- the compiled function ------------------------------------------------------------------------


def _to_value(x):
    return x._value if isinstance(x, Tensor) else x


def _is_array_leaf(x) -> bool:
    return isinstance(x, Tensor | jax.Array)


class _Probe:
    pass


_probe = _Probe()
_probe.value = object()
# references to an object held by exactly one attribute, as `sys.getrefcount(obj.attr)` counts
# them on this interpreter (the count of the temporary argument differs between versions)
_SOLE_OWNER_REFS = sys.getrefcount(_probe.value)
del _probe


def _private(t: Tensor):
    """``t``'s array, first copied if anything else holds it, so that donating it is safe.

    A compiled step donates the state it updates (parameters, buffers, grads, optimizer state):
    XLA reuses their memory for the new values, and the old arrays are deleted. An array that
    another tensor also holds (``clone()``, a loaded ``state_dict``, an argument of the same
    call) must survive, so the state tensor gets its own copy, once.
    """
    if sys.getrefcount(t._val) > _SOLE_OWNER_REFS:
        t._val = jnp.array(t._val, copy=True)
    return t._val


def _committed(x):
    return x if x is None or x.committed else jax.device_put(x, x.device)


class CompiledFunction:
    """A step function compiled as one XLA program per input signature."""

    def __init__(
        self, fn, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None
    ) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._layout = None
        self._jitted = {}
        self.compile_count = 0
        self._probing = False
        self._recent_keys = collections.deque(maxlen=RECOMPILE_WARN_LIMIT + 1)

    def _pure(self, static, tensor_vals, opt_vals, grad_vals, hyper_vals, base_key, offset, args):
        """The step as a pure function of the lifted state; runs only under ``jax.jit``."""
        layout = self._layout
        tree_def, non_arrays, opt_entries, hyper_entries, array_mask = static
        saved = [(t, t._val, t._grad) for t in layout.tensors]
        # the whole per-parameter state, so that state the step creates is removed again
        saved_opt = [
            (opt, {p: (st, dict(st)) for p, st in opt.state.items()}) for opt in layout.optimizers
        ]
        from ptjax.random import default_generator

        saved_rng = (default_generator._key, default_generator._offset)
        if not self._probing:
            self.compile_count += 1
        _state.compiling += 1
        try:
            for t, v in zip(layout.tensors, tensor_vals):
                t._val = v
            for t, g in zip(layout.leaves, grad_vals):
                t._grad = None if g is None else Tensor._make(g)
            for (opt, p, k, _), v in zip(opt_entries, opt_vals):
                opt.state[p][k] = Tensor._make(v)
            for (opt, g, names), hv in zip(hyper_entries, hyper_vals):
                if opt._traced_hyper is None:
                    opt._traced_hyper = {}
                opt._traced_hyper[id(g)] = dict(zip(names, hv))
            default_generator._key = jax.random.fold_in(base_key, offset)
            default_generator._offset = 0
            it = iter(args)
            leaves = [Tensor._make(next(it)) if a else na for a, na in zip(array_mask, non_arrays)]
            args, kwargs = jax.tree_util.tree_unflatten(tree_def, leaves)
            out = self._fn(*args, **kwargs)
            out_leaves, out_def = jax.tree_util.tree_flatten(out, is_leaf=_is_array_leaf)
            out_mask = tuple(isinstance(x, Tensor) for x in out_leaves)
            out_vals = [x._value if m else None for x, m in zip(out_leaves, out_mask)]
            static_out = [x if not m else None for x, m in zip(out_leaves, out_mask)]
            new_tensors = [t._value for t in layout.tensors]
            changed = tuple(n is not v for n, v in zip(new_tensors, tensor_vals))
            new_grads = [None if t._grad is None else t._grad._value for t in layout.leaves]
            new_opt = layout.optimizer_state()
            opt_out = [(opt, p, k) for opt, p, k, _ in new_opt]
            opt_out_vals = [v._value for *_, v in new_opt]
            self._last_out = (out_def, out_mask, static_out, opt_out, changed)
            self._last_grads_set = tuple(g is not None for g in new_grads)
            # State first, in the order of the donated inputs: JAX pairs each output with the
            # first unpaired donated input of its shape, so that makes every update in place.
            # Grads go last: a step that starts with zero_grad() never reads them, XLA prunes
            # those inputs, and pairing the new grads with other state would force copies.
            return new_tensors, opt_out_vals, new_grads, out_vals
        finally:
            _state.compiling -= 1
            for t, v, g in saved:
                t._val, t._grad = v, g
                t._grad_fn = None
            for opt, before in saved_opt:
                for p in [p for p in opt.state if p not in before]:
                    del opt.state[p]
                for st, items in before.values():
                    st.clear()
                    st.update(items)
            for opt, _, _ in hyper_entries:
                opt._traced_hyper = None
            default_generator._key, default_generator._offset = saved_rng

    def _signature(self, leaves, tree_def):
        """The lifted state of this call and the compile-cache key it implies."""
        layout = self._layout
        array_mask = tuple(_is_array_leaf(x) for x in leaves)
        arg_vals = [_to_value(x) for x, a in zip(leaves, array_mask) if a]
        non_arrays = tuple(None if a else x for x, a in zip(leaves, array_mask))
        grads = [t._grad for t in layout.leaves]
        opt_entries = layout.optimizer_state()
        hyper_entries, hyper_vals, hyper_static = layout.hyperparameters()
        structure = (
            tree_def,
            non_arrays,
            tuple((id(opt), id(p), k) for opt, p, k, _ in opt_entries),
            hyper_static,
            array_mask,
            tuple(g is None for g in grads),
            tuple(m.training for m in layout.all_modules),
            tuple((v.shape, v.dtype) for v in arg_vals),
        )
        static = (tree_def, non_arrays, opt_entries, hyper_entries, array_mask)
        return structure, static, grads, opt_entries, hyper_vals, arg_vals

    def _create_first_step_state(self, static, inputs) -> bool:
        """Before the first compile, create the state the step itself would create.

        At a first call no parameter has a ``.grad`` and no optimizer has state yet (torch
        creates both lazily), so the program traced for it differs from every later call's and
        a second compile would follow. Tracing the step once without compiling shows which
        grads and which optimizer state exist after it; creating them now — zero grads (a
        gradient accumulated into zeros is the same gradient) and each optimizer's own state
        initialisation (exactly what its first step runs before updating) — makes the first
        call run the steady-state program. Optimizers whose state is not an initialisation
        (SGD's momentum buffer is a copy of the first gradient) keep their lazy state.
        Returns whether anything was created.
        """
        self._probing = True
        try:
            jax.eval_shape(lambda *a: self._pure(static, *a), *inputs)
        finally:
            self._probing = False
        created = False
        for t, has_grad in zip(self._layout.leaves, self._last_grads_set):
            if has_grad and t._grad is None:
                t._grad = Tensor._make(jnp.zeros_like(t._val))
                created = True
        group_of = {}
        for opt in self._layout.optimizers:
            for g in opt.param_groups:
                for p in g["params"]:
                    group_of[(id(opt), id(p))] = g
        for opt, p, _ in self._last_out[3]:
            rule = getattr(opt, "_rule", None)
            if rule is None or rule.lazy or opt.state.get(p):
                continue
            group = group_of.get((id(opt), id(p)))
            if group is not None:
                opt.state[p].update(opt._init_state(p, group, opt._flags(group)))
                created = True
        return created

    def __call__(self, *args, **kwargs):
        from ptjax.random import default_generator

        if self._layout is None:
            self._layout = _StateLayout(_reachable_roots(self._fn, args, kwargs))
        layout = self._layout
        leaves, tree_def = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_array_leaf)
        structure, static, grads, opt_entries, hyper_vals, arg_vals = self._signature(
            leaves, tree_def
        )
        try:
            entry = self._jitted.get(structure)
        except TypeError:  # an unhashable non-tensor argument
            raise TypeError(
                "ptjax.compile: non-tensor arguments must be hashable (they are compile-time "
                "constants)"
            ) from None
        if entry is None and not self._jitted:
            probe_inputs = (
                [t._val for t in layout.tensors],
                [v._val for *_, v in opt_entries],
                [None if g is None else g._val for g in grads],
                hyper_vals,
                default_generator._base_key(),  # only shapes matter to the probe
                np.uint32(0),
                arg_vals,
            )
            if self._create_first_step_state(static, probe_inputs):
                structure, static, grads, opt_entries, hyper_vals, arg_vals = self._signature(
                    leaves, tree_def
                )
        if entry is None:
            self._note_recompile(structure)
            # a fresh closure, not functools.partial: jax.jit treats a partial's bound arguments
            # as inputs and would share its cache across compiled functions

            def pure(*inputs, _static=static):
                return self._pure(_static, *inputs)

            jitted = jax.jit(pure, donate_argnums=(0, 1, 2))
            entry = self._jitted[structure] = [jitted, None]
        base_key, offset = default_generator.draw()
        inputs = (
            [_private(t) for t in layout.tensors],
            [_private(v) for *_, v in opt_entries],
            [None if g is None else _private(g) for g in grads],
            hyper_vals,
            base_key,
            np.uint32(offset),
            arg_vals,
        )
        if entry[1] is None:
            # JAX keys its cache on whether an input is committed to its device: a program's
            # outputs are, fresh arrays (a new model's parameters) are not, so without this the
            # second call would compile the same program again
            inputs = (*(list(map(_committed, state)) for state in inputs[:3]), *inputs[3:])
            with warnings.catch_warnings():
                # state the step drops (grads set to None) is donated and simply freed
                warnings.filterwarnings("ignore", "Some donated buffers were not usable")
                new_tensors, opt_vals, new_grads, out_vals = entry[0](*inputs)
            entry[1] = self._last_out
        else:
            new_tensors, opt_vals, new_grads, out_vals = entry[0](*inputs)
        out_def, out_mask, static_out, opt_out, changed = entry[1]
        for t, v, c in zip(layout.tensors, new_tensors, changed):
            t._val = v
            if c:
                t._ver += 1
        for t, g in zip(layout.leaves, new_grads):
            if g is None:
                t._grad = None
            elif t._grad is None:
                t._grad = Tensor._make(g)
            else:
                t._grad._val = g
        for (opt, p, k), v in zip(opt_out, opt_vals):
            st = opt.state[p]
            cur = st.get(k)
            if isinstance(cur, Tensor):
                cur._val = v
            else:
                st[k] = Tensor._make(v)
        it = iter(out_vals)
        outs = [
            Tensor._make(next(it)) if m else (next(it), s)[1] for m, s in zip(out_mask, static_out)
        ]
        return jax.tree_util.tree_unflatten(out_def, outs)

    def _note_recompile(self, structure) -> None:
        if self._recent_keys:
            prev = self._recent_keys[-1]
            causes = []
            names = (
                "argument structure",
                "non-tensor argument values",
                "optimizer state layout",
                "optimizer options that change the program (e.g. weight_decay 0 vs not)",
                "tensor/non-tensor arguments",
                "which parameters have .grad",
                "train()/eval() mode",
                "input shapes/dtypes",
            )
            for name, a, b in zip(names, prev, structure):
                if a != b:
                    causes.append(name)
            self._last_cause = ", ".join(causes) or "unknown"
            if len(self._jitted) >= RECOMPILE_WARN_LIMIT:
                warnings.warn(
                    f"ptjax.compile: {self.__name__} has been compiled {len(self._jitted) + 1} "
                    f"times; the last recompilation was caused by a change in: "
                    f"{self._last_cause}. Keep these fixed (e.g. pad batches to one shape, use "
                    "drop_last=True) to avoid recompiling.",
                    stacklevel=3,
                )
        self._recent_keys.append(structure)

    @property
    def cache_size(self) -> int:
        """Number of distinct compiled programs (one per input signature / configuration)."""
        return len(self._jitted)


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,
    disable: bool = False,
):
    """Compile a function or module with XLA (torch.compile's signature).

    Args:
        model: a step function (forward, loss, ``backward()``, ``optimizer.step()``...) or an
            ``nn.Module``. May be used as a decorator, with or without arguments.
        fullgraph: accepted; ptjax always compiles the whole function as one graph, and code
            that needs a concrete value (``.item()``, ``print``, Python ``if`` on a tensor)
            raises an error naming the line instead of breaking the graph.
        dynamic: accepted; shapes are always static in XLA, a new shape compiles once more.
        backend: accepted and ignored: the backend is always XLA.
        mode: accepted and ignored ("default", "reduce-overhead", "max-autotune"...).
        options: accepted and ignored.
        disable: return ``model`` unchanged.
    """
    if model is None:
        return functools.partial(
            compile,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            disable=disable,
        )
    if disable:
        return model
    if _is_module(model):
        return OptimizedModule(model)
    if not callable(model):
        raise RuntimeError("compile() expects a callable or an nn.Module")
    return CompiledFunction(
        model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options
    )


class OptimizedModule:
    """A module whose forward (and its backward) runs as one compiled op.

    The forward becomes a single recorded op of the autograd graph: its inputs are the
    module's parameters, buffers and the call's tensors; its VJP is compiled too. Buffer
    updates (BatchNorm statistics) are written back after each call.
    """

    def __init__(self, module) -> None:
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_impls", {})

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __repr__(self) -> str:
        return f"OptimizedModule(\n  (_orig_mod): {self._orig_mod!r}\n)".replace("\n", "\n", 1)

    def _impl_for(self, structure):
        impl = self._impls.get(structure)
        if impl is not None:
            return impl
        module = self._orig_mod
        params = [p for _, p in module.named_parameters()]
        buffers = [b for _, b in module.named_buffers()]
        tree_def, mask, non_arrays = structure[0], structure[1], structure[2]

        def forward_impl(*flat):
            from ptjax.autograd.grad_mode import no_grad
            from ptjax.random import default_generator

            n_p, n_b = len(params), len(buffers)
            pv, bv = flat[:n_p], flat[n_p : n_p + n_b]
            base_key, offset, av = flat[n_p + n_b], flat[n_p + n_b + 1], flat[n_p + n_b + 2 :]
            saved = [(t, t._val) for t in params + buffers]
            rng = (default_generator._key, default_generator._offset)
            _state.compiling += 1
            try:
                for t, v in zip(params + buffers, list(pv) + list(bv)):
                    t._val = v
                default_generator._key = jax.random.fold_in(base_key, offset)
                default_generator._offset = 0
                it = iter(av)
                leaves = [Tensor._make(next(it)) if m else x for m, x in zip(mask, non_arrays)]
                args, kwargs = jax.tree_util.tree_unflatten(tree_def, leaves)
                with no_grad():
                    out = module(*args, **kwargs)
                out_leaves, out_def = jax.tree_util.tree_flatten(out, is_leaf=_is_array_leaf)
                forward_impl.out_def = out_def
                return tuple(x._value for x in out_leaves) + tuple(b._value for b in buffers)
            finally:
                _state.compiling -= 1
                for t, v in saved:
                    t._val = v
                default_generator._key, default_generator._offset = rng

        forward_impl.backward_name = "CompiledFunctionBackward"
        self._impls[structure] = forward_impl
        return forward_impl

    def __call__(self, *args, **kwargs):
        from ptjax._dispatch import apply
        from ptjax.random import default_generator

        module = self._orig_mod
        leaves, tree_def = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_array_leaf)
        mask = tuple(_is_array_leaf(x) for x in leaves)
        non_arrays = tuple(None if m else x for x, m in zip(leaves, mask))
        structure = (tree_def, mask, non_arrays, tuple(m.training for m in module.modules()))
        impl = self._impl_for(structure)
        params = [p for _, p in module.named_parameters()]
        buffers = [b for _, b in module.named_buffers()]
        tensors = [
            x if isinstance(x, Tensor) else Tensor._make(jnp.asarray(x))
            for x, m in zip(leaves, mask)
            if m
        ]
        # the key is folded in inside the op: an eager fold_in costs several dispatches
        base_key, offset = default_generator.draw()
        outs = apply(impl, *params, *buffers, base_key, np.uint32(offset), *tensors)
        if not isinstance(outs, tuple):
            outs = (outs,)
        n_out = len(outs) - len(buffers)
        for b, nb in zip(buffers, outs[n_out:]):
            b._val = nb._val
            b._ver += 1
        return jax.tree_util.tree_unflatten(impl.out_def, list(outs[:n_out]))
