"""torch.nn.utils.rnn: PackedSequence and packing/padding of variable-length sequences.

Sequence lengths decide shapes, so they are host values (as torch keeps ``batch_sizes`` on the
CPU). Every pack/unpack is one gather with an index table computed on the host: rows of the
padded tensor to packed rows and back, the sort permutation folded in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


def _host(t, what: str) -> np.ndarray:
    """Host value of lengths / batch sizes / permutations (a list, array or Tensor)."""
    if isinstance(t, Tensor):
        known = getattr(t, "_host_index", None)
        if known is not None and known[0] is t._val:
            return known[1]
        return t._concrete(what)
    return np.asarray(t)


def _index_tensor(a: np.ndarray) -> Tensor:
    """An int64 index Tensor that remembers its host value: inside jax.jit even a constant
    becomes a tracer, and packing needs the numbers on the host."""
    a = np.asarray(a, np.int64)
    t = Tensor._make(jnp.asarray(a))
    t._host_index = (t._val, a)
    return t


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences packed time step by time step.

    ``data`` (sum(lengths), *) holds step 0 of every sequence, then step 1 of those still
    running, ...; ``batch_sizes`` (max_length,) int64 counts the sequences at each step;
    ``sorted_indices`` / ``unsorted_indices`` map between the caller's batch order and the
    length-sorted order (None when the batch was already sorted). Build one with
    pack_padded_sequence or pack_sequence.
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, list | tuple) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)``; the index tensors follow its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return type(self)(
            self.data.cuda(*args, **kwargs),
            self.batch_sizes,
            self.sorted_indices,
            self.unsorted_indices,
        )

    def pin_memory(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(dtype=D.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=D.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=D.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=D.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=D.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=D.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=D.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of ``range(n)`` (None stays None)."""
    if permutation is None:
        return None
    p = _host(permutation, "invert_permutation")
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return _index_tensor(inv)


# -- index tables (host) ------------------------------------------------------------------------


def _lengths_of(batch_sizes: np.ndarray) -> np.ndarray:
    """Sorted sequence lengths from the per-step batch sizes."""
    b = int(batch_sizes[0]) if batch_sizes.size else 0
    return (batch_sizes[:, None] > np.arange(b)[None, :]).sum(0).astype(np.int64)


def _packed_rows(batch_sizes: np.ndarray, steps: int, order: np.ndarray, batch_first: bool):
    """For a padded layout of ``steps`` steps whose batch column j holds sorted sequence
    ``order[j]``: the packed row feeding each padded position (-1 for padding), flat."""
    batch = int(batch_sizes[0])
    pos = np.full((steps, batch), -1, np.int64)
    row = 0
    for t, n in enumerate(batch_sizes):
        pos[t, :n] = np.arange(row, row + n)
        row += n
    pos = pos[:, order]
    return (pos.T if batch_first else pos).reshape(-1)


def _take_rows(x, idx):
    return jnp.take(x, idx, axis=0)


_take_rows.backward_name = "IndexSelectBackward0"


def _pad_rows(data, idx, *, shape, padding_value):
    pad = jnp.full((1,) + data.shape[1:], padding_value, data.dtype)
    full = jnp.concatenate([data, pad], axis=0)
    return jnp.take(full, jnp.where(idx < 0, data.shape[0], idx), axis=0).reshape(shape)


_pad_rows.backward_name = "PadPackedSequenceBackward0"


def _pack_time_major(input: Tensor, batch_sizes: np.ndarray, batch_first: bool) -> Tensor:
    """Packed data from a padded (T, B, *) (or (B, T, *)) tensor in sorted batch order."""
    t_len, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    rows = []
    for t, n in enumerate(batch_sizes):
        b = np.arange(n)
        rows.append(b * t_len + t if batch_first else t * batch + b)
    idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    flat = input.reshape((-1,) + tuple(input.shape[2:]))
    return apply(_take_rows, flat, idx)


def _unpack(
    data: Tensor,
    batch_sizes: np.ndarray,
    steps: int,
    order: np.ndarray,
    batch_first: bool,
    padding_value: float,
) -> Tensor:
    """Padded (steps, B, *) (or (B, steps, *)) tensor from packed data; column j holds sorted
    sequence ``order[j]``."""
    batch = int(batch_sizes[0])
    idx = _packed_rows(batch_sizes, steps, order, batch_first)
    lead = (batch, steps) if batch_first else (steps, batch)
    shape = lead + tuple(data.shape[1:])
    return apply(_pad_rows, data, idx, shape=shape, padding_value=float(padding_value))


# -- public functions ---------------------------------------------------------------------------


def pack_padded_sequence(
    input: Tensor,
    lengths,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences with the
    given ``lengths`` (B,). Unless ``enforce_sorted``, the batch is sorted by decreasing length
    first and the permutation is kept in the PackedSequence."""
    lens = _host(lengths, "pack_padded_sequence lengths").astype(np.int64).reshape(-1)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _index_tensor(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    batch = input.shape[0] if batch_first else input.shape[1]
    if lens.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
            f"(batch_size={batch})"
        )
    if lens.size and lens[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if np.any(np.diff(lens) > 0):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability."
        )
    steps = input.shape[1] if batch_first else input.shape[0]
    if lens.size and lens[0] > steps:
        raise RuntimeError(
            f"Expected the longest length ({int(lens[0])}) to be at most the padded sequence "
            f"length ({steps})"
        )
    batch_sizes = (np.arange(int(lens[0]) if lens.size else 0)[:, None] < lens[None, :]).sum(1)
    data = _pack_time_major(input, batch_sizes, batch_first)
    return PackedSequence(data, _index_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Inverse of pack_padded_sequence: returns the padded batch (T, B, *) (or (B, T, *)) in
    the caller's original order, and the lengths (B,) int64."""
    batch_sizes = _host(sequence.batch_sizes, "pad_packed_sequence batch_sizes")
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    lengths = _lengths_of(batch_sizes)
    order = np.arange(lengths.size)
    if sequence.unsorted_indices is not None:
        order = _host(sequence.unsorted_indices, "pad_packed_sequence unsorted_indices")
        lengths = lengths[order]
    padded = _unpack(sequence.data, batch_sizes, steps, order, batch_first, padding_value)
    return padded, _index_tensor(lengths)


def _pad_sequence(seqs, *, steps, batch_first, padding_value, left):
    out = []
    for s in seqs:
        n = steps - s.shape[0]
        widths = [(n, 0) if left else (0, n)] + [(0, 0)] * (s.ndim - 1)
        out.append(jnp.pad(s.astype(seqs[0].dtype), widths, constant_values=padding_value))
    return jnp.stack(out, axis=0 if batch_first else 1)


_pad_sequence.backward_name = "PadSequenceBackward0"


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences (L_i, *) into a padded (max L, B, *) (or (B, max L, *)) tensor, filling
    with ``padding_value`` on the ``padding_side``; the result has the first sequence's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    seqs = list(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(seqs[0].shape[1:])
    for s in seqs[1:]:
        other = tuple(s.shape[1:])
        if len(other) != len(trailing):
            raise RuntimeError(
                f"Expected all sequences to have the same number of dimensions, but got "
                f"{seqs[0].dim()} and {s.dim()}"
            )
        for i, (a, b) in enumerate(zip(trailing, other)):
            if a != b:
                raise RuntimeError(
                    f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                    f"non-singleton dimension {i + 1}"
                )
    steps = max(s.shape[0] for s in seqs)
    return apply(
        _pad_sequence,
        seqs,
        steps=steps,
        batch_first=bool(batch_first),
        padding_value=float(padding_value),
        left=padding_side == "left",
    )


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch (T, B, *) (or (B, T, *)) into its sequences (lengths[i], *).

    Unlike torch (which transposes a time-major input in place), the input is left as it is.
    """
    lens = _host(lengths, "unpad_sequence lengths").reshape(-1)
    if lens.size != padded_sequences.shape[0 if batch_first else 1]:
        raise ValueError("zip() argument 2 is shorter than argument 1")
    batch_dim = 0 if batch_first else 1
    return [padded_sequences.select(batch_dim, b).narrow(0, 0, int(n)) for b, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *), longest first unless ``enforce_sorted=False``."""
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences (L_i, *) of a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
