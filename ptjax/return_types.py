"""torch.return_types: the named tuples returned by ops with several outputs.

``x.max(dim=1)`` returns ``torch.return_types.max(values=..., indices=...)``: a tuple subclass
whose fields are also attributes, printed as torch prints it. Each type is a JAX pytree node,
so it can be returned from a ``jax.jit`` function.
"""

from __future__ import annotations

import operator

import jax

__all__ = [
    "aminmax",
    "cummax",
    "cummin",
    "frexp",
    "geqrf",
    "histogram",
    "histogramdd",
    "kthvalue",
    "linalg_cholesky_ex",
    "linalg_eig",
    "linalg_eigh",
    "linalg_inv_ex",
    "linalg_ldl_factor",
    "linalg_ldl_factor_ex",
    "linalg_lstsq",
    "linalg_lu",
    "linalg_lu_factor",
    "linalg_lu_factor_ex",
    "linalg_qr",
    "linalg_slogdet",
    "linalg_solve_ex",
    "linalg_svd",
    "lu_unpack",
    "max",
    "median",
    "min",
    "mode",
    "nanmedian",
    "qr",
    "slogdet",
    "sort",
    "svd",
    "topk",
    "triangular_solve",
    "all_return_types",
]


class _ReturnType(tuple):
    """A fixed-length tuple with named fields, built from one sequence as torch's are."""

    __slots__ = ()
    _fields: tuple = ()
    n_fields = n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, sequence=(), dict=None):  # noqa: A002 - torch's parameter name
        seq = tuple(sequence)
        n = len(cls._fields)
        if len(seq) != n:
            raise TypeError(
                f"torch.return_types.{cls.__name__}() takes a {n}-sequence "
                f"({len(seq)}-sequence given)"
            )
        return tuple.__new__(cls, seq)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _make(name: str, *fields: str) -> type:
    ns = {f: property(operator.itemgetter(i)) for i, f in enumerate(fields)}
    ns.update(
        _fields=fields,
        n_fields=len(fields),
        n_sequence_fields=len(fields),
        __slots__=(),
        __module__=__name__,
        __qualname__=name,
    )
    cls = type(name, (_ReturnType,), ns)
    jax.tree_util.register_pytree_node(
        cls, lambda r: (tuple(r), None), lambda _, children, c=cls: c(children)
    )
    return cls


_VALUES_INDICES = ("values", "indices")
max = _make("max", *_VALUES_INDICES)  # noqa: A001 - torch's name
min = _make("min", *_VALUES_INDICES)  # noqa: A001
median = _make("median", *_VALUES_INDICES)
nanmedian = _make("nanmedian", *_VALUES_INDICES)
mode = _make("mode", *_VALUES_INDICES)
kthvalue = _make("kthvalue", *_VALUES_INDICES)
sort = _make("sort", *_VALUES_INDICES)
topk = _make("topk", *_VALUES_INDICES)
cummax = _make("cummax", *_VALUES_INDICES)
cummin = _make("cummin", *_VALUES_INDICES)
aminmax = _make("aminmax", "min", "max")
frexp = _make("frexp", "mantissa", "exponent")
geqrf = _make("geqrf", "a", "tau")
histogram = _make("histogram", "hist", "bin_edges")
histogramdd = _make("histogramdd", "hist", "bin_edges")
linalg_cholesky_ex = _make("linalg_cholesky_ex", "L", "info")
linalg_eig = _make("linalg_eig", "eigenvalues", "eigenvectors")
linalg_eigh = _make("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_inv_ex = _make("linalg_inv_ex", "inverse", "info")
linalg_ldl_factor = _make("linalg_ldl_factor", "LD", "pivots")
linalg_ldl_factor_ex = _make("linalg_ldl_factor_ex", "LD", "pivots", "info")
linalg_lstsq = _make("linalg_lstsq", "solution", "residuals", "rank", "singular_values")
linalg_lu = _make("linalg_lu", "P", "L", "U")
linalg_lu_factor = _make("linalg_lu_factor", "LU", "pivots")
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", "LU", "pivots", "info")
linalg_qr = _make("linalg_qr", "Q", "R")
linalg_slogdet = _make("linalg_slogdet", "sign", "logabsdet")
linalg_solve_ex = _make("linalg_solve_ex", "result", "info")
linalg_svd = _make("linalg_svd", "U", "S", "Vh")
lu_unpack = _make("lu_unpack", "P", "L", "U")
qr = _make("qr", "Q", "R")
slogdet = _make("slogdet", "sign", "logabsdet")
svd = _make("svd", "U", "S", "V")
triangular_solve = _make("triangular_solve", "solution", "cloned_coefficient")

all_return_types = [globals()[n] for n in __all__ if n != "all_return_types"]
