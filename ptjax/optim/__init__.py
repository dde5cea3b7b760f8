"""torch.optim: optimizers whose update runs as one compiled JAX program per param group, with
torch's exact formulas. ``ptjax.optim.transforms`` has the same math as Optax transformations,
``ptjax.optim.schedules`` the lr schedules as Optax schedules."""

from ptjax.optim import lr_scheduler, schedules, transforms
from ptjax.optim.adadelta import Adadelta
from ptjax.optim.adagrad import Adagrad
from ptjax.optim.adam import Adam
from ptjax.optim.adamax import Adamax
from ptjax.optim.adamw import AdamW
from ptjax.optim.lbfgs import LBFGS
from ptjax.optim.nadam import NAdam
from ptjax.optim.optimizer import Optimizer
from ptjax.optim.radam import RAdam
from ptjax.optim.rmsprop import RMSprop
from ptjax.optim.sgd import SGD

__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "AdamW",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "SGD",
    "lr_scheduler",
    "schedules",
    "transforms",
]
