"""torch.optim.SGD."""

from __future__ import annotations

from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as torch.optim.SGD.

    The first step's momentum buffer is a copy of the gradient (no dampening), as in torch;
    with ``momentum=0`` no state is kept.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate (float or 1-element tensor). Default: 1e-3.
        momentum: momentum factor. Default: 0.
        dampening: dampening for momentum. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        nesterov: use Nesterov momentum. Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, fused: accepted for compatibility; the update is always one compiled program.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.SGD
    _setstate_defaults = _filled_options(
        "nesterov", "maximize", "foreach", "differentiable", fused=False
    )
    _bool_flags = {"nesterov": "nesterov"}

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_options(lr=lr, momentum=momentum, weight_decay=weight_decay, nan_ok=True)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _flags(self, group: dict) -> dict:
        flags = super()._flags(group)
        flags["use_momentum"] = float(group["momentum"]) != 0
        return flags

    def _init_state(self, p, group, flags) -> dict:
        return {}  # the momentum buffer appears with the first update
