"""torch.optim.Adadelta."""

from __future__ import annotations

from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, as torch.optim.Adadelta.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: coefficient scaling delta before it is applied. Default: 1.0.
        rho: coefficient of the running averages. Default: 0.9.
        eps: added inside the square roots. Default: 1e-6.
        weight_decay: L2 penalty. Default: 0.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, capturable: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.ADADELTA
    _setstate_defaults = _filled_options("foreach", "maximize", "differentiable", "capturable")

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_options(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
