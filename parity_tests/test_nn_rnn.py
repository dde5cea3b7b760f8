"""Parity of the recurrent layers against torch: RNN (tanh/relu), LSTM (with projections), GRU,
their cells, and nn.utils.rnn packing. Outputs, final states, input and parameter gradients,
eager and inside jax.jit, float32 and float64, batched/unbatched/batch_first/packed inputs,
initial states, and torch's errors."""

import math

import numpy as np
import pytest
import torch
from helpers import assert_close, check, raises, randn
from nn_helpers import check_module
from torch.nn.utils import rnn as TR

import ptjax
import ptjax.nn as pnn
from ptjax.nn.utils import rnn as PR

I, H, L, B = 3, 4, 5, 3  # input size, hidden size, sequence length, batch


def _lib(m):
    return TR if isinstance(m, torch.nn.Module) else PR


def _pair(m, cls, kw):
    return getattr(torch.nn, cls)(I, H, **kw), lambda: getattr(pnn, cls)(I, H, **kw)


# -- RNN / LSTM / GRU over padded input -----------------------------------------------------------

# Each configuration compiles its scans (forward and backward, per layer, direction and dtype),
# which dominates the run time: the plain layers run in float32 and float64 (eager and jit), the
# other configurations in one dtype each.
F32, F64 = (np.float32,), (np.float64,)
CONFIGS = [
    ("RNN", {}, True, (np.float32, np.float64)),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}, False, F64),
    ("RNN", {"bidirectional": True, "bias": False}, False, F32),
    ("LSTM", {}, True, (np.float32, np.float64)),
    ("LSTM", {"num_layers": 2, "bidirectional": True}, False, F32),
    ("LSTM", {"bias": False, "batch_first": True, "bidirectional": True}, True, F64),
    ("LSTM", {"proj_size": 2, "batch_first": True}, False, F64),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bias": False}, False, F64),
    ("GRU", {}, True, (np.float32, np.float64)),
    ("GRU", {"num_layers": 2, "batch_first": True}, False, F32),
]


@pytest.mark.parametrize("cls,kw,jit,dtypes", CONFIGS)
def test_recurrent_layer(cls, kw, jit, dtypes):
    t, p = _pair(None, cls, kw)
    shape = (B, L, I) if kw.get("batch_first") else (L, B, I)
    # train and eval only differ with dropout, tested below: one mode keeps the test fast
    check_module(t, p, [randn(*shape)], modes=("train",), jit=jit, dtypes=dtypes)


@pytest.mark.parametrize(
    "cls,kw",
    [
        ("RNN", {"bidirectional": True}),
        ("LSTM", {"num_layers": 2}),
        ("GRU", {"bidirectional": True}),
    ],
)
def test_recurrent_initial_state(cls, kw):
    t, p = _pair(None, cls, kw)
    x, h0 = randn(L, B, I), randn(2, B, H)
    if cls == "LSTM":
        check_module(
            t,
            p,
            [x, h0, randn(2, B, H)],
            forward=lambda m, x, h, c: m(x, (h, c)),
            modes=("eval",),
            jit=False,
            dtypes=F32,
        )
    else:
        check_module(t, p, [x, h0], modes=("eval",), jit=False, dtypes=F32)


@pytest.mark.parametrize(
    "cls,kw", [("RNN", {}), ("LSTM", {"proj_size": 2}), ("GRU", {"batch_first": True})]
)
def test_recurrent_unbatched(cls, kw):
    t, p = _pair(None, cls, kw)
    real = kw.get("proj_size") or H
    x, h0, c0 = randn(L, I), randn(1, real), randn(1, H)
    check_module(t, p, [x], modes=("eval",), jit=False, dtypes=F32)
    if cls == "LSTM":
        check_module(
            t,
            p,
            [x, h0, c0],
            forward=lambda m, x, h, c: m(x, (h, c)),
            modes=("eval",),
            jit=False,
            dtypes=(np.float64,),
        )
    else:
        check_module(t, p, [x, h0], modes=("eval",), jit=False, dtypes=(np.float64,))


def test_recurrent_dropout():
    # one layer type: the inter-layer dropout is the same code for RNN, LSTM and GRU
    # input_size == hidden_size: every layer has the same shapes, so one scan compiles
    kw = {"num_layers": 3, "dropout": 0.4}
    t, p = torch.nn.LSTM(H, H, **kw), lambda: pnn.LSTM(H, H, **kw)
    # train: dropout draws differ between libraries, so shapes/dtypes only; eval: exact
    check_module(t, p, [randn(L, B, H)], random_train=True, jit=False, dtypes=F32)
    m = p()
    x = ptjax.tensor(randn(L, B, H))
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # the masks change per call
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())


def test_long_sequence_float32_tolerance():
    """30 steps: rounding accumulates through the recurrence, still within torch's defaults
    here because the hidden state is bounded by tanh/sigmoid."""
    t, p = _pair(None, "LSTM", {})
    check_module(t, p, [randn(30, 2, I)], modes=("eval",), jit=False, dtypes=(np.float32,))


def test_lstm_double_backward():
    """The LSTM's hand-written backward is itself differentiable (gradient penalties)."""
    tm = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True).double()
    pm = pnn.LSTM(I, H, num_layers=2, bidirectional=True).double()
    pm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})

    def fn(lib, x, h0, c0):
        out, (h, c) = (tm if lib is torch else pm)(x, (h0, c0))
        (gx,) = lib.autograd.grad((out**2).sum() + (c**3).sum(), x, create_graph=True)
        return (gx**2).sum()

    inputs = [randn(L, B, I), randn(4, B, H), randn(4, B, H)]
    check(fn, [a.astype(np.float64) for a in inputs], jit=False)


# -- packed sequences -----------------------------------------------------------------------------


def _packed_forward(lengths, enforce_sorted, batch_first=False):
    def fwd(m, x, *state):
        R = _lib(m)
        packed = R.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        if len(state) == 2:
            out, hidden = m(packed, tuple(state))
        else:
            out, hidden = m(packed, *state)
        assert isinstance(out, R.PackedSequence)
        padded, lens = R.pad_packed_sequence(out, batch_first, padding_value=-1.0)
        return out.data, padded, lens, hidden

    return fwd


@pytest.mark.parametrize(
    "cls,kw,lengths,sorted_,jit,dtypes",
    [
        ("RNN", {"bidirectional": True}, [5, 3, 2], True, False, F64),
        ("LSTM", {"bidirectional": True, "num_layers": 2}, [2, 5, 3], False, True, F32),
        ("LSTM", {"proj_size": 2, "bidirectional": True}, [3, 5, 1], False, False, F64),
        ("GRU", {"bidirectional": True, "batch_first": True}, [4, 4, 5], False, False, F32),
    ],
)
def test_recurrent_packed(cls, kw, lengths, sorted_, jit, dtypes):
    t, p = _pair(None, cls, kw)
    bf = kw.get("batch_first", False)
    shape = (B, L, I) if bf else (L, B, I)
    check_module(
        t,
        p,
        [randn(*shape)],
        forward=_packed_forward(lengths, sorted_, bf),
        modes=("train",),
        jit=jit,
        dtypes=dtypes,
    )


@pytest.mark.parametrize("cls", ["GRU", "LSTM"])
def test_recurrent_packed_initial_state(cls):
    """h0 is given in the caller's batch order and permuted to the sorted order."""
    t, p = _pair(None, cls, {"bidirectional": True})
    inputs = [randn(L, B, I), randn(2, B, H)] + ([randn(2, B, H)] if cls == "LSTM" else [])
    check_module(
        t,
        p,
        inputs,
        forward=_packed_forward([3, 5, 2], False),
        modes=("eval",),
        jit=False,
        dtypes=(np.float64,),
    )


def test_packed_sequence_from_pack_sequence():
    t, p = _pair(None, "LSTM", {})
    seqs = [randn(n, I) for n in (2, 5, 3)]

    def fwd(m, *xs):
        R = _lib(m)
        out, (h, c) = m(R.pack_sequence(list(xs), enforce_sorted=False))
        return R.unpack_sequence(out), h, c

    check_module(t, p, seqs, forward=fwd, modes=("eval",), jit=False, dtypes=F64)


# -- cells ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls,kw,jit",
    [
        ("RNNCell", {}, True),
        ("RNNCell", {"nonlinearity": "relu", "bias": False}, False),
        ("LSTMCell", {}, True),
        ("GRUCell", {}, True),
        ("GRUCell", {"bias": False}, False),
    ],
)
def test_cell(cls, kw, jit):
    t, p = _pair(None, cls, kw)
    x, h = randn(B, I), randn(B, H)
    check_module(t, p, [x], modes=("eval",), jit=False)
    if cls == "LSTMCell":
        check_module(
            t,
            p,
            [x, h, randn(B, H)],
            forward=lambda m, x, h, c: m(x, (h, c)),
            modes=("eval",),
            jit=jit,
        )
        check_module(
            t,
            p,
            [x[0], h[0], h[1]],
            forward=lambda m, x, h, c: m(x, (h, c)),
            modes=("eval",),
            jit=False,
            dtypes=(np.float64,),
        )
    else:
        check_module(t, p, [x, h], modes=("eval",), jit=jit)
        check_module(t, p, [x[0], h[0]], modes=("eval",), jit=False, dtypes=(np.float64,))


def test_cell_loop_matches_layer():
    """Unrolling a cell by hand in ptjax gives the layer's numbers (same parameters)."""
    layer, cell = pnn.GRU(I, H), pnn.GRUCell(I, H)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).data = getattr(layer, name + "_l0").data
    x = ptjax.tensor(randn(L, B, I))
    h = None
    for step in range(L):
        h = cell(x[step], h)
    assert_close(h.detach(), torch.from_numpy(layer(x)[1][0].detach().numpy()))


# -- structure, init, repr ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls,kw",
    [
        ("RNN", {"num_layers": 2, "nonlinearity": "relu", "batch_first": True}),
        ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2, "dropout": 0.5}),
        ("GRU", {"bias": False, "bidirectional": True}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("LSTMCell", {"bias": False}),
        ("GRUCell", {}),
    ],
)
def test_structure_and_init(cls, kw):
    t, make = _pair(None, cls, kw)
    p = make()
    assert repr(p) == repr(t)
    t_params, p_params = dict(t.named_parameters()), dict(p.named_parameters())
    assert list(p_params) == list(t_params)
    for name, tp in t_params.items():
        assert tuple(p_params[name].shape) == tuple(tp.shape), name
    bound = 1 / math.sqrt(H)
    values = np.concatenate([v.detach().numpy().ravel() for v in p_params.values()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert list(p.state_dict()) == list(t.state_dict())
    if not cls.endswith("Cell"):
        p.flatten_parameters()
        assert [[n for n in w] for w in p._all_weights] == t._all_weights
        assert all(a is b for a, b in zip(p.all_weights[0], p._flat_weights))


# -- errors ---------------------------------------------------------------------------------------


def test_recurrent_errors():
    raises(
        ValueError,
        "Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'.",
        pnn.RNN,
        I,
        H,
        nonlinearity="x",
    )
    raises(
        ValueError,
        "proj_size argument is only supported for LSTM, not RNN or GRU",
        pnn.GRU,
        I,
        H,
        proj_size=1,
    )
    raises(ValueError, "proj_size has to be smaller than hidden_size", pnn.LSTM, I, H, proj_size=H)
    raises(ValueError, "dropout should be a number in range [0, 1]", pnn.LSTM, I, H, dropout=1.5)
    raises(ValueError, "hidden_size must be greater than zero", pnn.GRU, I, 0)
    raises(TypeError, "input_size should be of type int, got: float", pnn.GRU, 3.0, H)
    raises(ValueError, "num_layers must be greater than zero", pnn.RNN, I, H, 0)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        pnn.LSTM(I, H, dropout=0.2)
    rnn, lstm, gru = pnn.RNN(I, H), pnn.LSTM(I, H), pnn.GRU(I, H)
    x = ptjax.zeros(L, B, I)
    raises(ValueError, "RNN: Expected input to be 2D or 3D, got 4D tensor instead", rnn, x[None])
    raises(ValueError, "LSTM: Expected input to be 2D or 3D, got 1D instead", lstm, x[0, 0])
    raises(ValueError, "GRU: Expected input to be 2D or 3D, got 4D instead", gru, x[None])
    raises(
        RuntimeError,
        "input.size(-1) must be equal to input_size. Expected 3, got 2",
        gru,
        x[..., :2],
    )
    raises(
        RuntimeError, "Expected hidden size (1, 3, 4), got [1, 2, 4]", gru, x, ptjax.zeros(1, 2, H)
    )
    raises(
        RuntimeError,
        "For batched 3-D input, hx should also be 3-D but got 2-D tensor",
        rnn,
        x,
        ptjax.zeros(B, H),
    )
    raises(
        RuntimeError,
        "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor",
        rnn,
        x[:, 0],
        ptjax.zeros(1, 1, H),
    )
    raises(
        RuntimeError,
        "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 3-D) tensors",
        lstm,
        x,
        (ptjax.zeros(1, H), ptjax.zeros(1, B, H)),
    )
    raises(
        RuntimeError,
        "Expected hidden[1] size (1, 3, 4), got [1, 3, 2]",
        lstm,
        x,
        (ptjax.zeros(1, B, H), ptjax.zeros(1, B, 2)),
    )
    raises(
        ValueError,
        "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)",
        gru,
        x.double(),
    )
    raises(
        RuntimeError,
        "Expected sequence length to be larger than 0 in RNN",
        lstm,
        ptjax.zeros(0, B, I),
    )


def test_cell_errors():
    c, lc = pnn.RNNCell(I, H), pnn.LSTMCell(I, H)
    raises(
        ValueError,
        "RNNCell: Expected input to be 1D or 2D, got 3D instead",
        c,
        ptjax.zeros(2, 2, I),
    )
    raises(
        ValueError,
        "GRUCell: Expected hidden to be 1D or 2D, got 3D instead",
        pnn.GRUCell(I, H),
        ptjax.zeros(2, I),
        ptjax.zeros(1, 2, H),
    )
    raises(
        ValueError,
        "LSTMCell: Expected hx[1] to be 1D or 2D, got 3D instead",
        lc,
        ptjax.zeros(2, I),
        (ptjax.zeros(2, H), ptjax.zeros(1, 2, H)),
    )
    raises(
        RuntimeError, "input has inconsistent input_size: got 5 expected 3", c, ptjax.zeros(2, 5)
    )
    raises(
        RuntimeError,
        "hidden0 has inconsistent hidden_size: got 5, expected 4",
        c,
        ptjax.zeros(2, I),
        ptjax.zeros(2, 5),
    )
    raises(
        RuntimeError,
        "Input batch size 2 doesn't match hidden0 batch size 3",
        c,
        ptjax.zeros(2, I),
        ptjax.zeros(3, H),
    )
    raises(
        RuntimeError,
        "hidden1 has inconsistent hidden_size: got 5, expected 4",
        lc,
        ptjax.zeros(2, I),
        (ptjax.zeros(2, H), ptjax.zeros(2, 5)),
    )
    raises(
        RuntimeError,
        "Unknown nonlinearity: x",
        pnn.RNNCell(I, H, nonlinearity="x"),
        ptjax.zeros(2, I),
    )
    raises(
        RuntimeError,
        "mat1 and mat2 must have the same dtype, but got Double and Float",
        c,
        ptjax.zeros(2, I).double(),
    )


# -- nn.utils.rnn ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lengths,batch_first,enforce_sorted",
    [([5, 3, 1], False, True), ([2, 5, 2], False, False), ([3, 4, 4], True, False)],
)
def test_pack_pad_roundtrip(lengths, batch_first, enforce_sorted):
    shape = (B, L, 2) if batch_first else (L, B, 2)

    def fn(t, x):
        R = t.nn.utils.rnn
        packed = R.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        padded = R.pad_packed_sequence(packed, batch_first, padding_value=2.5, total_length=L + 1)
        return packed, padded, R.unpack_sequence(packed)

    check(fn, [randn(*shape)], jit=lengths == [2, 5, 2])


def test_pack_padded_sequence_lengths_tensor():
    check(
        lambda t, x: t.nn.utils.rnn.pack_padded_sequence(
            x, t.tensor([4, 1, 3]), enforce_sorted=False
        ),
        [randn(L, B, 1, dtype=np.float64)],
        jit=False,
    )


@pytest.mark.parametrize(
    "kw", [{}, {"batch_first": True, "padding_value": -2.0, "padding_side": "left"}]
)
def test_pad_sequence(kw):
    seqs = [randn(2, 3), randn(4, 3), randn(1, 3)]
    check(lambda t, *xs: t.nn.utils.rnn.pad_sequence(list(xs), **kw), seqs, jit=not kw)
    check(
        lambda t, *xs: t.nn.utils.rnn.pack_sequence(list(xs), enforce_sorted=False), seqs, jit=False
    )


def test_unpad_sequence():
    lengths = [4, 2, 3]

    def fn(t, x):
        return t.nn.utils.rnn.unpad_sequence(x.clone(), t.tensor(lengths))

    check(fn, [randn(4, 3, 2)], jit=False)
    check(
        lambda t, x: t.nn.utils.rnn.unpad_sequence(x, t.tensor(lengths), batch_first=True),
        [randn(3, 4)],
        jit=False,
    )


def test_packed_sequence_object():
    p = PR.pack_sequence([ptjax.zeros(3, 2), ptjax.zeros(2, 2)])
    t = TR.pack_sequence([torch.randn(3, 2), torch.randn(2, 2)])
    assert p._fields == t._fields
    assert p.sorted_indices is None and p.unsorted_indices is None
    d = p.double()
    assert d.data.dtype is ptjax.float64 and d.batch_sizes is p.batch_sizes
    assert p.to(ptjax.float32) is p
    data, sizes, *_ = p
    assert data is p.data and sizes.tolist() == [2, 2, 1]
    perm = ptjax.tensor([2, 0, 1])
    assert (
        PR.invert_permutation(perm).tolist()
        == TR.invert_permutation(torch.tensor([2, 0, 1])).tolist()
    )
    assert PR.invert_permutation(None) is None
    q = PR.PackedSequence(p.data, p.batch_sizes, ptjax.tensor([1, 0]))
    assert q.unsorted_indices.tolist() == [1, 0]


def test_rnn_utils_errors():
    x = ptjax.zeros(3, 2, 1)
    pack = PR.pack_padded_sequence
    raises(
        RuntimeError,
        "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True",
        pack,
        x,
        [2, 3],
    )
    raises(RuntimeError, "Length of all samples has to be greater than 0", pack, x, [3, 0])
    raises(
        RuntimeError,
        "Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=2)",
        pack,
        x,
        [3, 2, 1],
    )
    raises(
        ValueError,
        "Expected total_length to be at least the length of the longest sequence in input, but "
        "got total_length=2 and max sequence length being 3",
        PR.pad_packed_sequence,
        pack(x, [3, 2]),
        total_length=2,
    )
    pad = PR.pad_sequence
    raises(
        RuntimeError,
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
        pad,
        [ptjax.zeros(2, 3), ptjax.zeros(3, 4)],
    )
    raises(
        RuntimeError,
        "Expected padding_side to be one of left or right, but got mid.",
        pad,
        [ptjax.zeros(2)],
        padding_side="mid",
    )
    raises(RuntimeError, "received an empty list of sequences", pad, [])
