"""Parity of scaled_dot_product_attention, MultiheadAttention and the Transformer family."""

import numpy as np
import pytest
import torch
from helpers import check, raises, randn
from nn_helpers import check_module

import ptjax

E, H = 8, 2  # embed dim, heads
L, S, N = 3, 4, 2  # query length, key length, batch


def _causal_bool(l, s):
    return np.tril(np.ones((l, s), bool))


@pytest.mark.parametrize(
    "case",
    ["plain", "bool_mask", "float_mask", "causal", "scale", "gqa", "batched_mask"],
)
def test_scaled_dot_product_attention(case):
    q, k, v = randn(N, H, L, E), randn(N, H, S, E), randn(N, H, S, 5)
    inputs, kw = [q, k, v], {}
    if case == "bool_mask":
        inputs.append(_causal_bool(L, S))
    elif case == "float_mask":
        inputs.append(randn(L, S))
    elif case == "batched_mask":
        inputs.append(randn(N, 1, L, S))
    elif case == "causal":
        kw = {"is_causal": True}
    elif case == "scale":
        kw = {"scale": 0.3}
    elif case == "gqa":
        inputs = [randn(N, 4, L, E), k, v]
        kw = {"enable_gqa": True}

    def fn(t, q, k, v, mask=None):
        return t.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)

    check(fn, inputs, jit=case in ("plain", "bool_mask"))


def test_sdpa_float64_and_errors():
    check(
        lambda t, q, k, v: t.nn.functional.scaled_dot_product_attention(q, k, v),
        [
            randn(2, L, E, dtype=np.float64),
            randn(2, S, E, dtype=np.float64),
            randn(2, S, E, dtype=np.float64),
        ],
        jit=False,
    )
    q = ptjax.tensor(randn(1, L, E))
    raises(
        RuntimeError,
        "Explicit attn_mask should not be set when is_causal=True",
        ptjax.nn.functional.scaled_dot_product_attention,
        q,
        q,
        q,
        attn_mask=ptjax.ones(L, L, dtype=ptjax.bool),
        is_causal=True,
    )


def _mha_forward(kwargs):
    def forward(m, q, k, v, *masks):
        kw = dict(kwargs)
        names = kw.pop("_masks", ())
        kw.update(dict(zip(names, masks)))
        return m(q, k, v, **kw)

    return forward


MHA_CASES = {
    "self_weights": ({}, {}, "self", ()),
    "cross_no_weights": ({}, {"need_weights": False}, "cross", ()),
    "per_head_weights": ({}, {"average_attn_weights": False}, "cross", ()),
    "kpm_and_mask": ({}, {"_masks": ("key_padding_mask", "attn_mask")}, "cross", ("kpm", "mask2d")),
    "kpm_no_weights": (
        {},
        {"need_weights": False, "_masks": ("key_padding_mask",)},
        "cross",
        ("kpm",),
    ),
    "mask3d": ({}, {"_masks": ("attn_mask",)}, "cross", ("mask3d",)),
    "batch_first": ({"batch_first": True}, {}, "self", ()),
    "kdim_vdim": ({"kdim": 5, "vdim": 6}, {}, "kdim", ()),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {}, "cross", ()),
    "no_bias": ({"bias": False}, {}, "self", ()),
    "causal": (
        {},
        {"need_weights": False, "is_causal": True, "_masks": ("attn_mask",)},
        "self",
        ("causal",),
    ),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention(case):
    ctor_kw, call_kw, kind, masks = MHA_CASES[case]
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H, **ctor_kw)
    bf = ctor_kw.get("batch_first", False)
    qshape = (N, L, E) if bf else (L, N, E)
    q = randn(*qshape)
    if kind == "self":
        inputs = [q, q, q]
    elif kind == "kdim":
        inputs = [q, randn(S, N, 5), randn(S, N, 6)]
    else:
        k = randn(S, N, E)
        inputs = [q, k, k]
    for name in masks:
        if name == "kpm":
            kpm = np.zeros((N, S), bool)
            kpm[0, -1] = True
            inputs.append(kpm)
        elif name == "mask2d":
            inputs.append(randn(L, S))
        elif name == "mask3d":
            inputs.append(~_causal_bool(L, S)[None].repeat(N * H, 0))
        elif name == "causal":
            inputs.append(np.triu(np.full((L, L), -np.inf, np.float32), 1))
    # self-attention must pass the same tensor object three times, as torch's packed path sees
    forward = _mha_forward(call_kw)
    if kind == "self":
        base = forward

        def forward(m, q, k, v, *ms):
            return base(m, q, q, q, *ms)

        inputs = [inputs[0], inputs[0][:0], inputs[0][:0]] + inputs[3:]
    check_module(
        tm,
        lambda: ptjax.nn.MultiheadAttention(E, H, **ctor_kw),
        inputs,
        forward=forward,
        modes=("eval",),
        jit=case in ("self_weights", "kpm_and_mask"),
    )


def test_multihead_attention_unbatched_and_dropout():
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H)
    q = randn(L, E)

    def forward(m, q):
        return m(q, q, q)

    check_module(
        tm,
        lambda: ptjax.nn.MultiheadAttention(E, H),
        [q],
        forward=forward,
        modes=("eval",),
        jit=False,
    )
    m = ptjax.nn.MultiheadAttention(E, H, dropout=0.5)
    x = ptjax.tensor(randn(L, N, E))
    m.eval()
    a = m(x, x, x)[1].detach()
    m.train()
    b = m(x, x, x)[1].detach()
    assert a.shape == b.shape == (N, L, L)
    assert not np.allclose(a.numpy(), b.numpy())  # dropout changed the weights


def test_multihead_attention_repr_and_state_dict_keys():
    t = torch.nn.MultiheadAttention(E, H, kdim=5, vdim=6, add_bias_kv=True)
    p = ptjax.nn.MultiheadAttention(E, H, kdim=5, vdim=6, add_bias_kv=True)
    assert repr(p) == repr(t)
    assert list(p.state_dict()) == list(t.state_dict())


LAYER_CASES = {
    "post_norm_relu": {},
    "pre_norm_gelu": {"norm_first": True, "activation": "gelu"},
    "batch_first": {"batch_first": True},
}


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_transformer_encoder_layer(case):
    kw = LAYER_CASES[case]
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, **kw)
    x = randn(N, L, E) if kw.get("batch_first") else randn(L, N, E)
    check_module(
        tm,
        lambda: ptjax.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, **kw),
        [x],
        jit=case == "post_norm_relu",
        modes=("train",),
    )


def test_transformer_encoder_with_masks():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0)
    tm = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(E))
    player = ptjax.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0)
    mask = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    kpm = np.zeros((N, L), bool)
    kpm[1, -1] = True

    def forward(m, x, mask, kpm):
        return m(x, mask=mask, src_key_padding_mask=kpm)

    check_module(
        tm,
        lambda: ptjax.nn.TransformerEncoder(player, 2, norm=ptjax.nn.LayerNorm(E)),
        [randn(L, N, E), mask, kpm],
        forward=forward,
        modes=("eval",),
    )


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("layer", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
def test_transformer_layer_registration_order(layer, norm_first):
    t = getattr(torch.nn, layer)(E, H, 16, norm_first=norm_first)
    p = getattr(ptjax.nn, layer)(E, H, 16, norm_first=norm_first)
    assert list(p.state_dict()) == list(t.state_dict())
    assert [n for n, _ in p.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in p.named_modules()] == [n for n, _ in t.named_modules()]
    assert repr(p) == repr(t)


def test_transformer_decoder_layer_and_full_transformer():
    torch.manual_seed(0)
    tm = torch.nn.TransformerDecoderLayer(E, H, 16, dropout=0.0, norm_first=True)
    check_module(
        tm,
        lambda: ptjax.nn.TransformerDecoderLayer(E, H, 16, dropout=0.0, norm_first=True),
        [randn(L, N, E), randn(S, N, E)],
        modes=("eval",),
        jit=False,
    )
    torch.manual_seed(0)
    tt = torch.nn.Transformer(E, H, 1, 1, 16, dropout=0.0, batch_first=True)
    # a boolean mask: a float causal mask would be recognised by torch (and by eager ptjax) and
    # dropped for the causal kernel, so it would get no gradient, while inside jax.jit its
    # values are unknown and it is applied explicitly (same outputs, but a mask gradient)
    tgt_mask = ~np.tril(np.ones((L, L), bool))

    def forward(m, src, tgt, tgt_mask):
        return m(src, tgt, tgt_mask=tgt_mask)

    check_module(
        tt,
        lambda: ptjax.nn.Transformer(E, H, 1, 1, 16, dropout=0.0, batch_first=True),
        [randn(N, S, E), randn(N, L, E), tgt_mask],
        forward=forward,
        modes=("eval",),
    )


def test_transformer_repr_mask_and_errors():
    t = torch.nn.Transformer(E, H, 1, 1, 16)
    p = ptjax.nn.Transformer(E, H, 1, 1, 16)
    assert repr(p) == repr(t)
    assert list(p.state_dict()) == list(t.state_dict())
    np.testing.assert_array_equal(
        ptjax.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
    )
    raises(
        RuntimeError,
        "the feature number of src and tgt must be equal to d_model",
        p,
        ptjax.zeros(2, 1, E),
        ptjax.zeros(2, 1, E + 1),
    )
    raises(
        RuntimeError,
        "the batch number of src and tgt must be equal",
        p,
        ptjax.zeros(2, 1, E),
        ptjax.zeros(2, 3, E),
    )
    raises(
        RuntimeError,
        "activation should be relu/gelu, not tanh",
        ptjax.nn.TransformerEncoderLayer,
        E,
        H,
        activation="tanh",
    )
