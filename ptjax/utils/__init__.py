"""torch.utils: data loading (``ptjax.utils.data``)."""

from ptjax.utils import data
