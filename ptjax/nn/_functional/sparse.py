"""Embedding lookups: embedding, embedding_bag, one_hot."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ptjax import _dtype as D
from ptjax._dispatch import apply
from ptjax._errors import unsupported
from ptjax._tensor import Tensor
from ptjax.autograd.grad_mode import no_grad

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _concrete(t: Tensor):
    """The numpy value of ``t`` when it is known (not a tracer inside jax.jit), else None."""
    v = t._value
    return None if isinstance(v, jax.core.Tracer) else np.asarray(v)


def _check_indices(indices: Tensor, fn: str) -> None:
    if indices.dtype not in (D.int64, D.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {indices.type()} instead (while checking arguments for "
            f"{fn})"
        )


def _check_range(idx, n: int) -> None:
    if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")


def _renorm(w, idx, *, max_norm, norm_type):
    used = jnp.zeros(w.shape[0], bool).at[idx.reshape(-1)].set(True)
    norms = jnp.linalg.norm(w, ord=norm_type, axis=1)
    scale = jnp.where(used & (norms > max_norm), max_norm / (norms + 1e-7), 1.0)
    return w * scale[:, None].astype(w.dtype)


def _embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale, in place and outside autograd, the rows of ``weight`` that ``indices`` use and
    whose ``norm_type``-norm exceeds ``max_norm`` (torch.embedding_renorm_)."""
    with no_grad():
        new = apply(_renorm, weight.detach(), indices, max_norm=max_norm, norm_type=norm_type)
        weight._assign(new)


def _embedding(w, idx, *, padding_idx, scale_grad_by_freq):
    if padding_idx is not None:
        # the padding row takes part in the forward but never receives a gradient
        w = w.at[padding_idx].set(jax.lax.stop_gradient(w[padding_idx]))
    out = jnp.take(w, idx, axis=0)
    if scale_grad_by_freq:
        counts = jnp.zeros(w.shape[0], w.dtype).at[idx.reshape(-1)].add(1)
        scale = (1.0 / counts[idx])[..., None]
        frozen = jax.lax.stop_gradient(out)
        out = frozen + (out - frozen) * scale  # same values; gradient divided by frequency
    return out


_embedding.backward_name = "EmbeddingBackward0"


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by integer ``input`` (*):
    output (*, embedding_dim)."""
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    if sparse:
        raise unsupported("torch.nn.functional.embedding(sparse=True)", "gradients are dense")
    _check_indices(input, "embedding")
    _check_range(_concrete(input), n)
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return apply(
        _embedding,
        weight,
        input,
        padding_idx=padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
    )


def _embedding_bag(w, idx, offsets, psw, *, mode, end_offset, padding_idx, scale_grad_by_freq):
    n = idx.shape[0]
    num_bags = offsets.shape[0] - (1 if end_offset else 0)
    starts = offsets[:num_bags]
    pos = jnp.arange(n)
    seg = jnp.searchsorted(starts, pos, side="right") - 1
    valid = pos < (offsets[-1] if end_offset else n)
    if padding_idx is not None:
        valid = valid & (idx != padding_idx)
    emb = _embedding(w, idx, padding_idx=None, scale_grad_by_freq=scale_grad_by_freq)
    seg = jnp.where(valid, seg, num_bags)  # invalid positions go to a spare segment
    if mode == "max":
        neg = jnp.asarray(-jnp.inf, emb.dtype)
        out = jax.ops.segment_max(
            jnp.where(valid[:, None], emb, neg), seg, num_segments=num_bags + 1
        )[:num_bags]
        return jnp.where(jnp.isneginf(out), jnp.zeros_like(out), out)
    if psw is not None:
        emb = emb * psw[:, None].astype(emb.dtype)
    emb = jnp.where(valid[:, None], emb, jnp.zeros_like(emb))
    out = jax.ops.segment_sum(emb, seg, num_segments=num_bags + 1)[:num_bags]
    if mode == "mean":
        counts = jax.ops.segment_sum(valid.astype(emb.dtype), seg, num_segments=num_bags + 1)
        out = out / jnp.maximum(counts[:num_bags], 1)[:, None]
    return out


_embedding_bag.backward_name = "EmbeddingBagBackward0"


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxes of bags of embeddings: ``input`` (B, N) holds B fixed-size bags, or
    1-D ``input`` with ``offsets`` (B,) marks where each bag starts. Output (B, embedding_dim)."""
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}"
        )
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        b, length = input.shape
        offsets = Tensor._make(jnp.arange(0, b * length, max(length, 1), dtype=jnp.int64))
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise unsupported("torch.nn.functional.embedding_bag(sparse=True)", "gradients are dense")
    _check_indices(input, "embedding_bag")
    n = weight.shape[0]
    idx, offs = _concrete(input), _concrete(offsets)
    if idx is not None:
        for i, v in enumerate(idx):
            if not 0 <= v < n:
                raise RuntimeError(
                    f"Index {i} of input takes value {v} which is not in the valid range [0, {n})"
                )
    if offs is not None and offs.size:
        if offs[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                f"from position 0. However, got {offs[0]}"
            )
        if offs[-1] > input.shape[0]:
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length {input.shape[0]} but got "
                f"offsets[-1] of {offs[-1]}"
            )
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return apply(
        _embedding_bag,
        weight,
        input,
        offsets,
        per_sample_weights,
        mode=mode,
        end_offset=include_last_offset,
        padding_idx=padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
    )


def _one_hot(x, *, num_classes):
    return (x[..., None] == jnp.arange(num_classes)).astype(jnp.int64)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices (*) -> int64 one-hot vectors (*, num_classes)."""
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = _concrete(tensor)
    if num_classes == -1:
        if values is None:
            raise RuntimeError(
                "one_hot with num_classes=-1 needs the data's maximum, which is unknown inside a "
                "compiled function; pass num_classes explicitly"
            )
        if values.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values is not None and values.size:
        if values.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if values.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return apply(_one_hot, tensor, num_classes=num_classes)
