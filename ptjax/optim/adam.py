"""torch.optim.Adam."""

from __future__ import annotations

from ptjax._tensor import Tensor
from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options, _to_scalar

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as torch.optim.Adam (torch's bias-correction and eps placement, AMSGrad on the raw
    second moment).

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate (float or 1-element tensor). Default: 1e-3.
        betas: coefficients of the running averages of the gradient and its square.
            Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        weight_decay: L2 penalty (decoupled when ``decoupled_weight_decay``). Default: 0.
        amsgrad: use the AMSGrad variant. Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        decoupled_weight_decay: AdamW-style decay. Default: False.
        foreach, capturable, fused: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.ADAM
    _setstate_defaults = _filled_options(
        "amsgrad",
        "maximize",
        "foreach",
        "capturable",
        "differentiable",
        "decoupled_weight_decay",
        "fused",
    )
    _bool_flags = {"decoupled": "decoupled_weight_decay", "amsgrad": "amsgrad"}

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError(
                    "lr as a Tensor is not supported for capturable=False and foreach=True"
                )
        _check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(
                        f"betas[{i}] as a Tensor is not supported for capturable=False and "
                        "foreach=True"
                    )
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
