"""torch.optim.Adagrad."""

from __future__ import annotations

from ptjax._tensor import Tensor
from ptjax.optim import transforms
from ptjax.optim.optimizer import Optimizer, _check_options, _filled_options, _scalar_dtype

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as torch.optim.Adagrad (accumulator starts at ``initial_accumulator_value``,
    ``eps=1e-10`` added outside the square root). State is created for every parameter at
    construction, as torch does.

    Args:
        params: tensors or param-group dicts to optimize.
        lr: learning rate. Default: 1e-2.
        lr_decay: learning rate decay. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        initial_accumulator_value: initial value of the sum of squares. Default: 0.
        eps: added to the denominator. Default: 1e-10.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, fused: accepted for compatibility.
        differentiable: not supported (raises if True).
    """

    _rule = transforms.ADAGRAD
    _setstate_defaults = _filled_options("foreach", "maximize", "differentiable", "fused")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_options(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._accumulator(p, initial_accumulator_value)

    @staticmethod
    def _accumulator(p: Tensor, value: float) -> dict:
        init = transforms._adagrad_init(
            p._value, _scalar_dtype(), initial_accumulator_value=float(value)
        )
        return {k: Tensor._make(v) for k, v in init.items()}

    def _init_state(self, p, group, flags) -> dict:
        # torch reads the constructor's value here, not the group's
        return self._accumulator(p, self.defaults["initial_accumulator_value"])

    def share_memory(self) -> None:
        """A no-op: ptjax state lives in JAX arrays."""
