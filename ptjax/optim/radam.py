"""torch.optim.RAdam."""

from __future__ import annotations

from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (rectified Adam), as torch.optim.RAdam: the adaptive term is used once the
    variance-rectification length ``rho_t`` exceeds 5, plain momentum SGD before.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate. Default: 1e-3.
        betas: coefficients of the running averages. Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        decoupled_weight_decay: AdamW-style decay. Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, capturable: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.RADAM
    _setstate_defaults = _filled_options(
        "foreach", "maximize", "differentiable", "decoupled_weight_decay", "capturable"
    )
    _bool_flags = {"decoupled": "decoupled_weight_decay"}

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
