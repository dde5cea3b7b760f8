"""torch.linalg: norms, inverses, determinants, solvers and decompositions.

The implementations live in ``ptjax._ops.linalg_ops`` (next to their top-level forms such as
``torch.det`` and ``torch.svd``); this module gives them torch.linalg's names.
"""

from __future__ import annotations

from ptjax._ops.blas import linalg_cross as cross
from ptjax._ops.linalg_ops import (
    LinAlgError,
    det,
    ldl_factor,
    ldl_factor_ex,
    ldl_solve,
    matrix_exp,
    matrix_power,
)
from ptjax._ops.linalg_ops import linalg_cholesky as cholesky
from ptjax._ops.linalg_ops import linalg_cholesky_ex as cholesky_ex
from ptjax._ops.linalg_ops import linalg_cond as cond
from ptjax._ops.linalg_ops import linalg_diagonal as diagonal
from ptjax._ops.linalg_ops import linalg_eig as eig
from ptjax._ops.linalg_ops import linalg_eigh as eigh
from ptjax._ops.linalg_ops import linalg_eigvals as eigvals
from ptjax._ops.linalg_ops import linalg_eigvalsh as eigvalsh
from ptjax._ops.linalg_ops import linalg_householder_product as householder_product
from ptjax._ops.linalg_ops import linalg_inv as inv
from ptjax._ops.linalg_ops import linalg_inv_ex as inv_ex
from ptjax._ops.linalg_ops import linalg_lstsq as lstsq
from ptjax._ops.linalg_ops import linalg_lu as lu
from ptjax._ops.linalg_ops import linalg_lu_factor as lu_factor
from ptjax._ops.linalg_ops import linalg_lu_factor_ex as lu_factor_ex
from ptjax._ops.linalg_ops import linalg_lu_solve as lu_solve
from ptjax._ops.linalg_ops import linalg_matmul as matmul
from ptjax._ops.linalg_ops import linalg_matrix_norm as matrix_norm
from ptjax._ops.linalg_ops import linalg_matrix_rank as matrix_rank
from ptjax._ops.linalg_ops import linalg_multi_dot as multi_dot
from ptjax._ops.linalg_ops import linalg_norm as norm
from ptjax._ops.linalg_ops import linalg_pinv as pinv
from ptjax._ops.linalg_ops import linalg_qr as qr
from ptjax._ops.linalg_ops import linalg_slogdet as slogdet
from ptjax._ops.linalg_ops import linalg_solve as solve
from ptjax._ops.linalg_ops import linalg_solve_ex as solve_ex
from ptjax._ops.linalg_ops import linalg_solve_triangular as solve_triangular
from ptjax._ops.linalg_ops import linalg_svd as svd
from ptjax._ops.linalg_ops import linalg_svdvals as svdvals
from ptjax._ops.linalg_ops import linalg_tensorinv as tensorinv
from ptjax._ops.linalg_ops import linalg_tensorsolve as tensorsolve
from ptjax._ops.linalg_ops import linalg_vander as vander
from ptjax._ops.linalg_ops import linalg_vecdot as vecdot
from ptjax._ops.linalg_ops import linalg_vector_norm as vector_norm

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "ldl_factor",
    "ldl_factor_ex",
    "ldl_solve",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]
