"""Recurrent layers: RNN, LSTM, GRU and their cells, with torch's parameter layout and gates.

Each layer is one ptjax op whose implementation projects the inputs of all time steps with one
matmul and runs the recurrence with ``jax.lax.scan``, both directions of a bidirectional layer
in the same scan (batched over a direction axis). An eager forward therefore costs one
dispatch per layer, not one per time step, and one scan to compile per layer. The gate
arithmetic follows torch's CPU kernels: ``gates = (h W_hh^T + b_hh) + (x W_ih^T + b_ih)``;
LSTM chunks i, f, g, o with ``c' = f*c + i*g``, ``h' = o*tanh(c')`` (then ``h' W_hr^T`` with a
projection); GRU chunks r, z, n with ``n = tanh(x_n + r*(h W_hn^T + b_hn))`` and
``h' = (h - n)*z + n``.

On CPU the common LSTM layer (no projection, unpacked input) runs ``_lstm_recurrence``
instead, whose hand-written backward avoids what makes scan's derived backward slow there.

Packed sequences run on their padded form: a step past a sequence's end leaves its state as it
is (so the final state is the one at its true length), and the reverse direction reverses each
sequence within its own length.
"""

from __future__ import annotations

import math
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ptjax._dispatch import apply
from ptjax._ops.creation import empty, zeros
from ptjax._ops.shape import cat
from ptjax._tensor import Tensor
from ptjax.nn import init
from ptjax.nn._functional.dropout import dropout as _dropout
from ptjax.nn._functional.linear import _precision
from ptjax.nn.modules._lstm_recurrence import lstm_recurrence
from ptjax.nn.modules.module import Module
from ptjax.nn.parameter import Parameter
from ptjax.nn.utils.rnn import PackedSequence, _host, _pack_time_major, _unpack

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- the recurrence ---------------------------------------------------------------------------


def _linear(x, w, b, precision):
    y = jnp.matmul(x, w.T, precision=precision)
    return y if b is None else y + b


def _gates(mode, xw, hh, h, c):
    """One step from the input projection ``xw`` and hidden projection ``hh`` (..., G) of the
    state ``h`` (and cell ``c``): returns (h', c'), h' before any LSTM projection."""
    if mode == "GRU":
        hr, hz, hn = jnp.split(hh, 3, axis=-1)
        xr, xz, xn = jnp.split(xw, 3, axis=-1)
        r = jax.nn.sigmoid(hr + xr)
        z = jax.nn.sigmoid(hz + xz)
        n = jnp.tanh(xn + hn * r)
        return (h - n) * z + n, None
    gates = hh + xw
    if mode == "RNN_TANH":
        return jnp.tanh(gates), None
    if mode == "RNN_RELU":
        return jax.nn.relu(gates), None
    i, f, g, o = jnp.split(gates, 4, axis=-1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    return jax.nn.sigmoid(o) * jnp.tanh(c), c


def _reverse_index(lengths, steps):
    """(T, B) time index that reverses each sequence within its length (padding stays)."""
    t = jnp.arange(steps)[:, None]
    return jnp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _reverse_time(x, lengths):
    """x (T, B, *) with every sequence reversed in time (within its length when packed)."""
    if lengths is None:
        return x[::-1]
    idx = _reverse_index(lengths, x.shape[0])
    return jnp.take_along_axis(x, idx.reshape(idx.shape + (1,) * (x.ndim - 2)), axis=0)


def _stacked(ws):
    return jnp.stack(ws) if ws else None


def _rnn_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, lengths, *, mode, precision):
    """One layer, every direction in the same scan, over a time-major input x (T, B, I).

    h0/c0 (D, B, H); each weight argument is a tuple with one tensor per direction (empty when
    the layer has none). Returns the outputs (T, B, D*H_out), h_n (D, B, H_out) and, for LSTM,
    c_n (D, B, H).
    """
    steps, directions = x.shape[0], len(w_ih)
    if mode == "LSTM" and not w_hr and lengths is None and jax.default_backend() == "cpu":
        # measured on CPU only; on GPU the scan's one fused dot per step is kept
        return _lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, precision)
    xs = jnp.stack([x, _reverse_time(x, lengths)]) if directions == 2 else x[None]
    w_hh, w_hr = jnp.stack(w_hh), _stacked(w_hr)
    # every step's input projection in one matmul, laid out (T, D, B, G) for the scan
    xw = jnp.einsum("dtbi,dgi->tdbg", xs, jnp.stack(w_ih), precision=precision)
    if b_ih:
        xw = xw + jnp.stack(b_ih)[None, :, None, :]
    b_hh = jnp.stack(b_hh)[:, None, :] if b_hh else None
    mask = None if lengths is None else jnp.arange(steps)[:, None] < lengths[None, :]

    def step(carry, inp):
        h, c = carry
        xw_t, m_t = inp
        hh = jnp.einsum("dbh,dgh->dbg", h, w_hh, precision=precision)
        if b_hh is not None:
            hh = hh + b_hh
        h_new, c_new = _gates(mode, xw_t, hh, h, c)
        if w_hr is not None:
            h_new = jnp.einsum("dbh,dph->dbp", h_new, w_hr, precision=precision)
        if m_t is None:
            return (h_new, c_new), h_new
        # past a sequence's end its state stays and its output is 0
        m = m_t[None, :, None]
        out = jnp.where(m, h_new, jnp.zeros((), h_new.dtype))
        h_new = jnp.where(m, h_new, h)
        if c_new is not None:
            c_new = jnp.where(m, c_new, c)
        return (h_new, c_new), out

    (h, c), ys = lax.scan(step, (h0, c0), (xw, mask))
    outs = [ys[:, 0]] if directions == 1 else [ys[:, 0], _reverse_time(ys[:, 1], lengths)]
    out = outs[0] if directions == 1 else jnp.concatenate(outs, axis=-1)
    return (out, h, c) if mode == "LSTM" else (out, h)


def _lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, precision):
    """The common LSTM layer (no projection, no packing), one ``lstm_recurrence`` per
    direction; same inputs and outputs as ``_rnn_layer``."""
    outs, h_n, c_n = [], [], []
    for d in range(len(w_ih)):
        xd = x if d == 0 else x[::-1]
        xw = _linear(xd, w_ih[d], b_ih[d] if b_ih else None, precision)
        hs, h, c = lstm_recurrence(
            xw, w_hh[d], b_hh[d] if b_hh else None, h0[d], c0[d], precision=precision
        )
        outs.append(hs if d == 0 else hs[::-1])
        h_n.append(h)
        c_n.append(c)
    out = outs[0] if len(outs) == 1 else jnp.concatenate(outs, axis=-1)
    return out, jnp.stack(h_n), jnp.stack(c_n)


def _rnn_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, *, mode, precision):
    xw = _linear(x, w_ih, b_ih, precision)
    h, c = _gates(mode, xw, _linear(h, w_hh, b_hh, precision), h, c)
    return (h, c) if mode == "LSTM" else h


_rnn_layer.backward_name = "ScanBackward0"
_rnn_cell.backward_name = "RnnCellBackward0"


# -- RNN, LSTM, GRU ---------------------------------------------------------------------------


def _permute(hx, permutation):
    if permutation is None or hx is None:
        return hx
    if isinstance(hx, tuple):
        return tuple(h.index_select(1, permutation) for h in hx)
    return hx.index_select(1, permutation)


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters per layer and direction named
    ``weight_ih_l{k}[_reverse]`` (G*H, I_k), ``weight_hh_l{k}`` (G*H, H_out), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (G*H,), ``weight_hr_l{k}`` (proj_size, H) for a projected LSTM, all drawn
    from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                sfx = f"l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [
                    (f"weight_ih_{sfx}", (gate_size, layer_input)),
                    (f"weight_hh_{sfx}", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [(f"bias_ih_{sfx}", (gate_size,)), (f"bias_hh_{sfx}", (gate_size,))]
                if proj_size > 0:
                    shapes.append((f"weight_hr_{sfx}", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                names = [n for n, _ in shapes]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """Parameters per layer and direction, in torch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op: cuDNN's packed weight buffer has no counterpart here."""

    def reset_parameters(self) -> None:
        """Every parameter <- U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- checks (torch's messages) --

    def check_input(self, input: Tensor, batch_sizes) -> None:
        w = self._flat_weights[0]
        if input.dtype is not w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(_host(batch_sizes, "RNN batch_sizes")[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, mini_batch, size)

    def check_hidden_size(
        self, hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}"
    ) -> None:
        if tuple(hx.size()) != tuple(expected):
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        return _permute(hx, permutation)

    # -- forward --

    def _zeros(self, batch: int, size: int, like: Tensor) -> Tensor:
        directions = 2 if self.bidirectional else 1
        return zeros(self.num_layers * directions, batch, size, dtype=like.dtype)

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None, lengths):
        """All layers over time-major x (T, B, I): outputs (T, B, D*H_out), h_n (and c_n)."""
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        sfxs = ("", "_reverse") if self.bidirectional else ("",)
        d = len(sfxs)
        precision = _precision(x)
        hs, cs = [], []
        for layer in range(self.num_layers):

            def weights(kind, layer=layer):
                ws = [getattr(self, f"{kind}_l{layer}{s}", None) for s in sfxs]
                return tuple(w for w in ws if w is not None)

            res = apply(
                _rnn_layer,
                x,
                h0[layer * d : (layer + 1) * d],
                None if c0 is None else c0[layer * d : (layer + 1) * d],
                weights("weight_ih"),
                weights("weight_hh"),
                weights("bias_ih"),
                weights("bias_hh"),
                weights("weight_hr"),
                lengths,
                mode=self.mode,
                precision=precision,
            )
            x = res[0]
            hs.append(res[1])
            if c0 is not None:
                cs.append(res[2])
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = hs[0] if len(hs) == 1 else cat(hs, 0)
        c_n = None if c0 is None else (cs[0] if len(cs) == 1 else cat(cs, 0))
        return x, h_n, c_n

    def _forward(self, input, hx):
        is_lstm = self.mode == "LSTM"
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = _host(batch_sizes, "PackedSequence.batch_sizes")
            batch = int(sizes[0])
            if hx is None:
                hx = self._zeros(batch, real_hidden, data)
                if is_lstm:
                    hx = (hx, self._zeros(batch, self.hidden_size, data))
            else:
                hx = _permute(hx, sorted_indices)
            self._check_args(data, hx, batch_sizes)
            lengths = (sizes[:, None] > np.arange(batch)[None, :]).sum(0).astype(np.int32)
            x = _unpack(data, sizes, sizes.size, np.arange(batch), False, 0.0)
            h0, c0 = hx if is_lstm else (hx, None)
            out, h_n, c_n = self._run(x, h0, c0, lengths)
            out = PackedSequence(
                _pack_time_major(out, sizes, False), batch_sizes, sorted_indices, unsorted_indices
            )
            hidden = (h_n, c_n) if is_lstm else h_n
            return out, _permute(hidden, unsorted_indices)
        if input.dim() not in (2, 3):
            tensor = "" if is_lstm or self.mode == "GRU" else " tensor"
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead"
            )
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        batch = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            hx = self._zeros(batch, real_hidden, input)
            if is_lstm:
                hx = (hx, self._zeros(batch, self.hidden_size, input))
        elif is_lstm:
            want = 3 if batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
            if not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        else:
            want = 3 if batched else 2
            if hx.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor"
                )
            if not batched:
                hx = hx.unsqueeze(1)
        self._check_args(input, hx, None)
        x = input.transpose(0, 1) if self.batch_first else input
        h0, c0 = hx if is_lstm else (hx, None)
        out, h_n, c_n = self._run(x, h0, c0, None)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(batch_dim)
            h_n = h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return out, ((h_n, c_n) if is_lstm else h_n)

    def _check_args(self, input, hx, batch_sizes) -> None:
        self.check_forward_args(input, hx, batch_sizes)


class RNN(RNNBase):
    """Elman RNN, ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` with act = tanh or
    relu. Input (L, N, H_in) (or (N, L, H_in) with batch_first, or unbatched (L, H_in)) or a
    PackedSequence; h_0 (D*num_layers, N, H). Returns (output (L, N, D*H), h_n)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx: Tensor | None = None):
        return self._forward(input, hx)


class LSTM(RNNBase):
    """Long short-term memory with torch's gate order (i, f, g, o) and optional projection
    (proj_size). Input (L, N, H_in) (or (N, L, H_in), unbatched (L, H_in)) or a PackedSequence;
    (h_0, c_0) of (D*num_layers, N, H_out) and (D*num_layers, N, H). Returns
    (output (L, N, D*H_out), (h_n, c_n))."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes) -> tuple:
        expected = self.get_expected_hidden_size(input, batch_sizes)
        return expected[:2] + (self.hidden_size,)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(
            hidden[0],
            self.get_expected_hidden_size(input, batch_sizes),
            "Expected hidden[0] size {}, got {}",
        )
        self.check_hidden_size(
            hidden[1],
            self.get_expected_cell_size(input, batch_sizes),
            "Expected hidden[1] size {}, got {}",
        )

    def forward(self, input, hx: tuple | None = None):
        return self._forward(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit with torch's gate order (r, z, n) and b_hn inside the reset-gated
    term. Input (L, N, H_in) (or (N, L, H_in), unbatched (L, H_in)) or a PackedSequence; h_0
    (D*num_layers, N, H). Returns (output (L, N, D*H), h_n)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx: Tensor | None = None):
        return self._forward(input, hx)


# -- cells ------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,), all drawn from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    _mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((g, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((g, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(g, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(g, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """Every parameter <- U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input: Tensor, hx: tuple) -> None:
        if input.size(1) != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}"
            )
        for k, h in enumerate(hx):
            if input.size(0) != h.size(0):
                raise RuntimeError(
                    f"Input batch size {input.size(0)} doesn't match hidden{k} batch size "
                    f"{h.size(0)}"
                )
            if h.size(1) != self.hidden_size:
                raise RuntimeError(
                    f"hidden{k} has inconsistent hidden_size: got {h.size(1)}, expected "
                    f"{self.hidden_size}"
                )
        w = self.weight_ih
        for t in (input, *hx):
            if t.dtype is not w.dtype:
                names = {"float32": "Float", "float64": "Double", "float16": "Half"}
                raise RuntimeError(
                    "mat1 and mat2 must have the same dtype, but got "
                    f"{names.get(t.dtype.name, t.dtype.name)} and "
                    f"{names.get(w.dtype.name, w.dtype.name)}"
                )

    def _step(self, input: Tensor, hx: tuple, mode: str):
        self._check(input, hx)
        c = hx[1] if mode == "LSTM" else None
        return apply(
            _rnn_cell,
            input,
            hx[0],
            c,
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
            mode=mode,
            precision=_precision(input),
        )

    def _single(self, name: str, input: Tensor, hx: Tensor | None, mode: str | None) -> Tensor:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = zeros(input.size(0), self.hidden_size, dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        if mode is None:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        out = self._step(input, (hx,), mode)
        return out if batched else out.squeeze(0)


class RNNCell(RNNCellBase):
    """One Elman step: input (N, H_in) or (H_in), hidden (N, H) or (H) -> h' (same batch)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        mode = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}.get(self.nonlinearity)
        return self._single("RNNCell", input, hx, mode)


class LSTMCell(RNNCellBase):
    """One LSTM step: input (N, H_in) or (H_in), (h, c) each (N, H) or (H) -> (h', c')."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for k, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{k}] to be 1D or 2D, got {value.dim()}D instead"
                    )
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = self._step(input, tuple(hx), "LSTM")
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: input (N, H_in) or (H_in), hidden (N, H) or (H) -> h'."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._single("GRUCell", input, hx, "GRU")
