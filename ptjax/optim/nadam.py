"""torch.optim.NAdam."""

from __future__ import annotations

from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Adam with Nesterov momentum and momentum decay), as torch.optim.NAdam, with its
    ``mu_product`` state.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate. Default: 2e-3.
        betas: coefficients of the running averages. Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        momentum_decay: momentum decay ``psi``. Default: 4e-3.
        decoupled_weight_decay: AdamW-style decay. Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, capturable: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.NADAM
    _setstate_defaults = _filled_options(
        "maximize", "foreach", "capturable", "differentiable", "decoupled_weight_decay"
    )
    _bool_flags = {"decoupled": "decoupled_weight_decay"}

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_options(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
