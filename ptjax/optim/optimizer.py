"""torch.optim.Optimizer: param groups, state, state_dict, hooks, and the compiled group update.

An optimizer built on a :class:`~ptjax.optim.transforms.Rule` steps each param group with one
jitted call over all its parameters that have a gradient (``transforms.group_step``): numeric
hyperparameters (``group['lr']``, betas, weight decay...) are traced arguments, so editing them
(by hand or through an ``lr_scheduler``) takes effect at the next step without recompiling. The
new values are written back into the same parameter and state tensors, as torch updates in
place, so references held by the user (``state_dict()``, ``optimizer.state[p]``) see them.

``foreach``, ``fused`` and ``capturable`` are accepted for compatibility and select nothing: the
update is always torch's single-tensor formula, compiled by XLA. ``differentiable=True``
(autograd through ``step()``) is not supported.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._errors import unsupported
from ptjax._tensor import Tensor
from ptjax.autograd.grad_mode import enable_grad, no_grad
from ptjax.optim import transforms

__all__ = [
    "Optimizer",
    "required",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]

StateDict = dict[str, Any]


class _RequiredParameter:
    """Marks an optimizer option that every param group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class RemovableHandle:
    """Removes a hook from the ordered dict it was registered in."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``."""
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    return _add_hook(_global_post_hooks, hook)


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("", "builtins") else f"{module}.{name}"


def _to_scalar(x):
    """A 1-element hyperparameter tensor squeezed to 0-dim, as torch does; numbers unchanged."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _is_negative(value, nan_ok: bool) -> bool:
    # torch's SGD tests `x < 0.0` (NaN passes), its other optimizers `not 0.0 <= x` (NaN fails)
    return value < 0.0 if nan_ok else not 0.0 <= value


def _check_lr(lr, *, nan_ok: bool = False) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if _is_negative(lr, nan_ok):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_options(*, nan_ok: bool = False, **options) -> None:
    """Raise torch's ``ValueError`` for the first out-of-range constructor option, checking them
    in the order given (each optimizer's order in torch).

    ``lr`` may be a 1-element tensor; each of ``betas`` lies in [0, 1) and ``rho`` in [0, 1];
    every other option must be non-negative. ``nan_ok`` lets NaN through, as torch's SGD does.
    """
    for name, value in options.items():
        if name == "lr":
            _check_lr(value, nan_ok=nan_ok)
        elif name == "betas":
            for i in (0, 1):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
        elif _is_negative(value, nan_ok) or (name == "rho" and not value <= 1.0):
            label = "epsilon" if name == "eps" else name
            raise ValueError(f"Invalid {label} value: {value}")


def _check_impl_flags(foreach, fused, differentiable) -> None:
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise unsupported(
            "torch.optim differentiable=True", "ptjax optimizer steps are not recorded by autograd"
        )


#: the value torch's ``__setstate__`` gives a group option that an older state_dict lacks
_OPTION_FILL: dict[str, Any] = {
    "foreach": None,
    "maximize": False,
    "differentiable": False,
    "capturable": False,
    "fused": None,
    "amsgrad": False,
    "decoupled_weight_decay": False,
    "nesterov": False,
    "centered": False,
    "momentum": 0,
}


def _filled_options(*names: str, **values: Any) -> dict[str, Any]:
    """An optimizer's ``_setstate_defaults``: the options its torch ``__setstate__`` fills in, in
    torch's order, with the usual values (``_OPTION_FILL``) or those given by keyword."""
    return {**{name: _OPTION_FILL[name] for name in names}, **values}


def _scalar_dtype():
    """torch keeps ``step`` in float64 when that is the default dtype, else float32."""
    return np.float64 if D.get_default_dtype() is D.float64 else np.float32


def _set_value(t: Tensor, value) -> None:
    """Rebind ``t`` to ``value`` in place, outside autograd (a parameter or state update)."""
    if t._base is None:
        t._val = value
        t._ver += 1
    else:
        with no_grad():
            t._assign(Tensor._make(value))


def _as_ptjax(value) -> Tensor:
    """A ptjax tensor from a ptjax, numpy or foreign (e.g. real torch) tensor."""
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    return Tensor._make(jnp.asarray(np.asarray(value)))


def _is_array_like(value) -> bool:
    return isinstance(value, Tensor | np.ndarray | np.generic) or (
        hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype")
    )


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts defining
            parameter groups.
        defaults: default values of the optimization options, used when a parameter group
            doesn't give them.
    """

    #: the update math of optimizers built on a transforms.Rule (None: ``step`` is custom)
    _rule: transforms.Rule | None = None
    #: set by ptjax.compile while tracing: {id(group): traced hyperparameters}
    _traced_hyper: dict | None = None
    #: group options that torch fills in when loading a state_dict saved without them
    _setstate_defaults: dict = {}
    #: static flags of the rule read as ``bool(group[option])``, as {flag: option}
    _bool_flags: dict[str, str] = {}

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)
        if self._rule is not None:
            # the rule-based optimizers accept these for compatibility; torch checks them here,
            # once the groups exist
            _check_impl_flags(
                defaults.get("foreach"), defaults.get("fused"), defaults.get("differentiable")
            )

    # -- pickling and printing ------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks",
            "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks",
            "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks",
            "_optimizer_load_state_dict_post_hooks",
        ):
            self.__dict__.setdefault(name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._setstate_defaults.items():
                group.setdefault(key, value)
            for p in group["params"]:
                st = self.state.get(p)
                for key in ("step", "mu_product"):
                    if st and key in st and not isinstance(st[key], Tensor):
                        # older state_dicts hold these scalars as numbers
                        st[key] = Tensor._make(jnp.asarray(float(st[key]), _scalar_dtype()))

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # -- step hooks -----------------------------------------------------------------------------

    @staticmethod
    def profile_hook_step(func: Callable) -> Callable:
        """Wrap ``step`` so the registered pre/post hooks run around it."""

        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in chain(
                _global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{func} must return None or a tuple of (new_args, new_kwargs), but "
                            f"got {result}."
                        )
            out = func(*args, **kwargs)
            for post_hook in chain(
                self._optimizer_step_post_hooks.values(), _global_post_hooks.values()
            ):
                post_hook(self, args, kwargs)
            return out

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        wrapper.__wrapped__ = func
        wrapper.hooked = True
        return wrapper

    def _patch_step_function(self) -> None:
        cls = self.__class__
        if not getattr(cls.step, "hooked", None):
            cls.step = self.profile_hook_step(cls.step)

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs)`` to run before ``step``; it may return new
        ``(args, kwargs)``."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs)`` to run after ``step``."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """Register ``hook(optimizer)`` to run before ``state_dict``."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """Register ``hook(optimizer, state_dict)`` to run after ``state_dict``; it may return a
        replacement."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """Register ``hook(optimizer, state_dict)`` to run before ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """Register ``hook(optimizer)`` to run after ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- param groups -----------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group (a dict with ``params`` and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    + name
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )

        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {txt} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients ------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None by default, else to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                _set_value(g, jnp.zeros_like(g._value))

    # -- the update -----------------------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        if self._rule is None:
            raise NotImplementedError
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _flags(self, group: dict) -> dict:
        """The options torch branches on in Python for this group (static in the program)."""
        flags = {"maximize": bool(group["maximize"]), "use_wd": float(group["weight_decay"]) != 0}
        flags.update({flag: bool(group[option]) for flag, option in self._bool_flags.items()})
        return flags

    def _hyper(self, group: dict) -> dict:
        """The group's numeric hyperparameters as float64 scalars (traced, never recompiling)."""
        traced = self._traced_hyper
        if traced is not None and id(group) in traced:  # inside ptjax.compile: lifted inputs
            return traced[id(group)]
        out = {}
        for k in self._rule.hyper:
            if k == "beta1":
                v = group["betas"][0]
            elif k == "beta2":
                v = group["betas"][1]
            else:
                v = group[k]
            out[k] = np.float64(float(v))
        return out

    def _init_state(self, p: Tensor, group: dict, flags: dict) -> dict:
        """torch's lazy per-parameter state, created at the parameter's first step."""
        init = self._rule.init(p._value, _scalar_dtype(), **flags)
        return {k: Tensor._make(v) for k, v in init.items()}

    def _update_group(self, group: dict) -> None:
        flags = self._flags(group)
        params, grads, states, entries = [], [], [], []
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            st = self.state.get(p)
            if not st:
                init = self._init_state(p, group, flags)
                if init:
                    st = self.state[p]
                    st.update(init)
            params.append(p._value)
            grads.append(g._value)
            states.append(
                {k: v._value for k, v in st.items() if isinstance(v, Tensor)} if st else {}
            )
            entries.append(p)
        if not params:
            return
        fn = transforms.group_step(self._rule, tuple(sorted(flags.items())))
        new_params, new_states = fn(params, grads, states, self._hyper(group))
        for p, new_p, new_s in zip(entries, new_params, new_states):
            _set_value(p, new_p)
            if not new_s:
                continue
            st = self.state[p]
            for k, v in new_s.items():
                t = st.get(k)
                if isinstance(t, Tensor) and t._value.shape == v.shape:
                    _set_value(t, v if v.dtype == t._value.dtype else v.astype(t._value.dtype))
                else:
                    st[k] = Tensor._make(v)

    # -- state_dict -----------------------------------------------------------------------------

    def state_dict(self) -> StateDict:
        """The optimizer state as torch lays it out: ``{'state': {index: {...}}, 'param_groups':
        [{..., 'params': [index, ...]}]}``, indices numbering parameters in group order."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update(
                {id(p): i for i, p in enumerate(group["params"], start) if id(p) not in mapping}
            )
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        value = _as_ptjax(value)
        if key == "step":
            return value.to(D.float32) if capturable or fused else value
        if param.is_floating_point():
            return value.to(param.dtype)
        return value

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Load a state dict from ``state_dict()``; its tensors may be ptjax, numpy or torch."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )

        def cast(param, value, param_id=None, key=None):
            if _is_array_like(value):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, state_dict["param_groups"], key
                )
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, str):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, param_id=k)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)
