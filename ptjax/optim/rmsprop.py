"""torch.optim.RMSprop."""

from __future__ import annotations

from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as torch.optim.RMSprop: ``alpha`` smoothing, ``eps`` added outside the square
    root, and with momentum the learning rate applied after the momentum buffer.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate. Default: 1e-2.
        alpha: smoothing constant. Default: 0.99.
        eps: added to the denominator. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        momentum: momentum factor. Default: 0.
        centered: normalize by an estimate of the gradient's variance. Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        capturable, foreach: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.RMSPROP
    _setstate_defaults = _filled_options(
        "momentum", "centered", "foreach", "maximize", "differentiable", "capturable"
    )
    _bool_flags = {"centered": "centered"}

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_options(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _flags(self, group: dict) -> dict:
        flags = super()._flags(group)
        flags["use_momentum"] = float(group["momentum"]) > 0
        return flags
