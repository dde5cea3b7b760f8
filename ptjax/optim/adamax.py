"""torch.optim.Adamax."""

from __future__ import annotations

from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as torch.optim.Adamax.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate. Default: 2e-3.
        betas: coefficients of the running average and the infinity norm. Default: (0.9, 0.999).
        eps: added to the norm. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, capturable: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.ADAMAX
    _setstate_defaults = _filled_options("foreach", "maximize", "differentiable", "capturable")

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
