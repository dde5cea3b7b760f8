"""Random sampling against torch: shapes, dtypes, ranges, distribution statistics, seeding and
errors. ptjax's streams are JAX's, so values are compared only with themselves (reproducibility);
distributions are compared with their known moments (20k samples, a few standard errors)."""

import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from helpers import raises

import ptjax

N = 20_000


@pytest.fixture(autouse=True)
def _seed():
    ptjax.manual_seed(1234)  # every test is deterministic, whatever ran before it


def np_of(t):
    return np.asarray(t._value)


def assert_mean(samples, mean, std, k=5.0, what=""):
    """The sample mean is within ``k`` standard errors of ``mean``."""
    x = np.asarray(samples, np.float64).reshape(-1)
    se = std / math.sqrt(x.size)
    assert abs(x.mean() - mean) < k * se, f"{what} mean {x.mean()} vs {mean} (se {se})"


def assert_std(samples, std, rel=0.03, what=""):
    x = np.asarray(samples, np.float64).reshape(-1)
    assert abs(x.std() - std) < rel * std, f"{what} std {x.std()} vs {std}"


# -- shapes, dtypes, requires_grad: the same as torch for the same call ----------------------------

FACTORIES = [
    lambda t: t.rand(2, 3),
    lambda t: t.rand((2, 3)),
    lambda t: t.rand([2, 3]),
    lambda t: t.rand(t.Size([2, 3])),
    lambda t: t.rand(()),
    lambda t: t.rand(0, 3),
    lambda t: t.rand(2, dtype=t.float64),
    lambda t: t.rand(2, dtype=t.float16),
    lambda t: t.rand(2, requires_grad=True),
    lambda t: t.rand(2, device="cpu"),
    lambda t: t.randn(4, 2),
    lambda t: t.randn(3, dtype=t.float64, requires_grad=True),
    lambda t: t.randint(10, (3,)),
    lambda t: t.randint(3, 10, (2, 2)),
    lambda t: t.randint(0, 10, size=(2,)),
    lambda t: t.randint(low=2, high=10, size=(2,)),
    lambda t: t.randint(0, 10, (2,), dtype=t.float32),
    lambda t: t.randint(0, 10, (2,), dtype=t.int32),
    lambda t: t.randint(0, 2, (2,), dtype=t.bool),
    lambda t: t.randperm(5),
    lambda t: t.randperm(0),
    lambda t: t.randperm(4, dtype=t.float32),
    lambda t: t.normal(t.zeros(3), t.ones(3)),
    lambda t: t.normal(0.0, t.ones(2, 3)),
    lambda t: t.normal(t.zeros(2, 3), 2.0),
    lambda t: t.normal(t.zeros(2, 3), t.ones(3)),
    lambda t: t.normal(t.zeros(3, dtype=t.float64), t.ones(3)),
    lambda t: t.normal(t.zeros(3), t.ones(3, dtype=t.float64)),
    lambda t: t.normal(2, 3, size=(1, 4)),
    lambda t: t.normal(0.0, 1.0, (2,), dtype=t.float64),
    lambda t: t.normal(t.zeros(3, requires_grad=True), 1.0),
    lambda t: t.bernoulli(t.full((3,), 0.5)),
    lambda t: t.bernoulli(t.full((3,), 0.5, dtype=t.float64)),
    lambda t: t.bernoulli(t.ones(3), 0.2),
    lambda t: t.ones(3).bernoulli(p=0.3),
    lambda t: t.bernoulli(t.full((3,), 0.5, requires_grad=True)),
    lambda t: t.multinomial(t.ones(3), 2),
    lambda t: t.multinomial(t.ones(2, 3), 5, replacement=True),
    lambda t: t.ones(2, 3).multinomial(3),
    lambda t: t.poisson(t.ones(3)),
    lambda t: t.poisson(t.ones(2, dtype=t.float64)),
    lambda t: t.rand_like(t.ones(2, 3, dtype=t.float64)),
    lambda t: t.randn_like(t.ones(2)),
    lambda t: t.randn_like(t.ones(2), dtype=t.float64, requires_grad=True),
    lambda t: t.randint_like(t.ones(2), 10),
    lambda t: t.randint_like(t.ones(2, dtype=t.int64), 3, 10),
    lambda t: t.empty(2, 3).uniform_(-1, 1),
    lambda t: t.empty(2, dtype=t.float64).normal_(),
    lambda t: t.empty(3, dtype=t.int64).random_(),
    lambda t: t.empty(3, dtype=t.int32).random_(5),
    lambda t: t.empty(3).random_(2, 9),
    lambda t: t.empty(3, dtype=t.bool).random_(),
    lambda t: t.empty(3, dtype=t.uint8).random_(),
    lambda t: t.empty(3).exponential_(),
    lambda t: t.empty(3, dtype=t.int64).geometric_(0.5),
    lambda t: t.empty(3).cauchy_(),
    lambda t: t.empty(3).log_normal_(),
    lambda t: t.empty(3, dtype=t.int64).bernoulli_(0.5),
    lambda t: t.empty(3).bernoulli_(t.full((3,), 0.25)),
]


@pytest.mark.parametrize("k", range(len(FACTORIES)))
def test_shapes_dtypes_like_torch(k):
    fn = FACTORIES[k]
    p, t = fn(ptjax), fn(torch)
    assert tuple(p.shape) == tuple(t.shape)
    assert p.dtype.name == str(t.dtype).replace("torch.", "")
    assert p.requires_grad == t.requires_grad
    assert p.is_leaf == t.is_leaf


# -- ranges and statistics -----------------------------------------------------------------------


def test_rand_randn_statistics():
    u = np_of(ptjax.rand(N))
    assert u.min() >= 0 and u.max() < 1
    assert_mean(u, 0.5, math.sqrt(1 / 12), what="rand")
    assert_std(u, math.sqrt(1 / 12), what="rand")
    z = np_of(ptjax.randn(N, dtype=ptjax.float64))
    assert_mean(z, 0, 1, what="randn")
    assert_std(z, 1, what="randn")
    h = np_of(ptjax.rand(N, dtype=ptjax.float16)).astype(np.float64)
    assert h.min() >= 0 and h.max() < 1
    assert_mean(h, 0.5, math.sqrt(1 / 12), what="rand f16")


def test_randint_uniform_on_range():
    r = np_of(ptjax.randint(-3, 5, (N,)))
    assert r.dtype == np.int64 and r.min() == -3 and r.max() == 4
    counts = np.bincount(r + 3, minlength=8)
    expected = N / 8
    assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected)), counts
    big = np_of(ptjax.randint(2**40, 2**40 + 10, (100,)))
    assert big.min() >= 2**40 and big.max() < 2**40 + 10


def test_randperm_is_permutation():
    for n in (1, 7, 1000):
        p = np_of(ptjax.randperm(n))
        assert p.dtype == np.int64
        assert np.array_equal(np.sort(p), np.arange(n))
    firsts = np.array([int(ptjax.randperm(5)[0]) for _ in range(200)])
    assert set(firsts) == set(range(5))  # not a fixed permutation


def test_normal_overloads_statistics():
    m = ptjax.tensor(np.tile([-2.0, 0.0, 3.0], (N, 1)).astype(np.float32))
    s = ptjax.tensor([0.5, 1.0, 2.0])
    x = np_of(ptjax.normal(m, s))
    for j, (mu, sd) in enumerate([(-2, 0.5), (0, 1), (3, 2)]):
        assert_mean(x[:, j], mu, sd, what=f"normal col {j}")
        assert_std(x[:, j], sd, what=f"normal col {j}")
    y = np_of(ptjax.normal(1.5, 0.25, (N,)))
    assert_mean(y, 1.5, 0.25)
    assert_std(y, 0.25)
    z = np_of(ptjax.normal(ptjax.full((N,), -1.0), 3.0))
    assert_mean(z, -1, 3)
    w = np_of(ptjax.normal(4.0, ptjax.full((N,), 0.1)))
    assert_mean(w, 4, 0.1)


def test_inplace_distributions_statistics():
    u = np_of(ptjax.empty(N).uniform_(-2, 6))
    assert u.min() >= -2 and u.max() < 6
    assert_mean(u, 2, 8 / math.sqrt(12), what="uniform_")
    n = np_of(ptjax.empty(N, dtype=ptjax.float64).normal_(3, 0.5))
    assert_mean(n, 3, 0.5, what="normal_")
    assert_std(n, 0.5, what="normal_")
    e = np_of(ptjax.empty(N).exponential_(4.0))
    assert e.min() >= 0
    assert_mean(e, 0.25, 0.25, what="exponential_")
    p = 0.3
    g = np_of(ptjax.empty(N).geometric_(p))
    assert g.min() >= 1 and np.all(g == np.round(g))
    assert_mean(g, 1 / p, math.sqrt(1 - p) / p, what="geometric_")
    c = np_of(ptjax.empty(N, dtype=ptjax.float64).cauchy_(1.0, 2.0))
    q25, q50, q75 = np.quantile(c, [0.25, 0.5, 0.75])
    assert abs(q50 - 1.0) < 0.1 and abs((q75 - q25) - 4.0) < 0.25, (q25, q50, q75)
    ln = np.log(np_of(ptjax.empty(N, dtype=ptjax.float64).log_normal_(0.5, 0.3)))
    assert_mean(ln, 0.5, 0.3, what="log_normal_")
    assert_std(ln, 0.3, what="log_normal_")
    b = np_of(ptjax.empty(N).bernoulli_(0.2))
    assert set(np.unique(b)) <= {0.0, 1.0}
    assert_mean(b, 0.2, math.sqrt(0.2 * 0.8), what="bernoulli_")


def test_random_ranges_by_dtype():
    f = np_of(ptjax.empty(N).random_())
    assert f.min() >= 0 and f.max() <= 2**24 and np.all(f == np.round(f))
    assert f.max() > 2**23  # the whole [0, 2**24] range is used
    i = np_of(ptjax.empty(N, dtype=ptjax.int64).random_())
    assert i.min() >= 0 and i.max() > 2**62
    i32 = np_of(ptjax.empty(N, dtype=ptjax.int32).random_())
    assert i32.min() >= 0 and i32.max() > 2**30
    u8 = np_of(ptjax.empty(N, dtype=ptjax.uint8).random_())
    assert u8.min() == 0 and u8.max() == 255
    b = np_of(ptjax.empty(N, dtype=ptjax.bool).random_())
    assert set(np.unique(b)) == {False, True}
    r = np_of(ptjax.empty(N).random_(3, 7))
    assert set(np.unique(r)) == {3.0, 4.0, 5.0, 6.0}
    r = np_of(ptjax.empty(N, dtype=ptjax.int8).random_(5))
    assert set(np.unique(r)) == {0, 1, 2, 3, 4}


def test_bernoulli_rates():
    p = ptjax.tensor(np.tile([0.0, 0.1, 0.5, 1.0], (N // 4, 1)).astype(np.float32))
    b = np_of(ptjax.bernoulli(p))
    assert np.all(b[:, 0] == 0) and np.all(b[:, 3] == 1)
    n = b.shape[0]
    assert_mean(b[:, 1], 0.1, math.sqrt(0.09), what="p=0.1")
    assert_mean(b[:, 2], 0.5, 0.5, what="p=0.5")
    assert b.shape == (n, 4)
    c = np_of(ptjax.bernoulli(ptjax.zeros(N), 0.7))
    assert_mean(c, 0.7, math.sqrt(0.21))


def test_multinomial_frequencies():
    w = np.array([1.0, 2.0, 0.0, 5.0])
    probs = w / w.sum()
    s = np_of(ptjax.multinomial(ptjax.tensor(w), N, replacement=True))
    assert s.dtype == np.int64
    freq = np.bincount(s, minlength=4) / N
    se = np.sqrt(probs * (1 - probs) / N)
    assert np.all(np.abs(freq - probs) <= 5 * se + 1e-12), freq
    # without replacement: distinct draws per row, the first one distributed as the weights
    rows = ptjax.tensor(np.tile(w, (N // 4, 1)))
    d = np_of(ptjax.multinomial(rows, 3))
    assert all(len(set(r)) == 3 for r in d[:200])
    # a zero-weight category is drawn only after all the others
    assert np.all(d[:, 0] != 2) and np.all(d[:, 1] != 2) and np.all(d[:, 2] != 2)
    first = np.bincount(d[:, 0], minlength=4) / d.shape[0]
    se = np.sqrt(probs * (1 - probs) / d.shape[0])
    assert np.all(np.abs(first - probs) <= 5 * se + 1e-12), first
    all4 = np_of(ptjax.multinomial(ptjax.tensor(w), 4))
    assert sorted(all4.tolist()) == [0, 1, 2, 3] and all4[-1] == 2


def test_poisson_statistics():
    lam = ptjax.tensor(np.tile([0.0, 0.5, 7.0], (N // 2, 1)).astype(np.float32))
    x = np_of(ptjax.poisson(lam))
    assert np.all(x == np.round(x)) and np.all(x[:, 0] == 0)
    assert_mean(x[:, 1], 0.5, math.sqrt(0.5))
    assert_mean(x[:, 2], 7.0, math.sqrt(7.0))


def test_like_variants():
    x = ptjax.ones(2, 3, dtype=ptjax.float64)
    r = ptjax.rand_like(x)
    assert r.dtype is ptjax.float64 and tuple(r.shape) == (2, 3)
    ri = np_of(ptjax.randint_like(ptjax.ones(N), 3, 6))
    assert set(np.unique(ri)) == {3.0, 4.0, 5.0}
    rn = np_of(ptjax.randn_like(ptjax.ones(N)))
    assert_mean(rn, 0, 1)


# -- seeding, generators, state --------------------------------------------------------------------


def _draws(gen=None):
    return [
        np_of(ptjax.rand(3, generator=gen)),
        np_of(ptjax.randn(2, 2, generator=gen)),
        np_of(ptjax.randint(0, 100, (4,), generator=gen)),
        np_of(ptjax.randperm(6, generator=gen)),
        np_of(ptjax.normal(ptjax.zeros(3), 1.0, generator=gen)),
        np_of(ptjax.bernoulli(ptjax.full((4,), 0.5), generator=gen)),
        np_of(ptjax.multinomial(ptjax.ones(5), 3, generator=gen)),
        np_of(ptjax.empty(3).uniform_(generator=gen)),
        np_of(ptjax.empty(3).normal_(generator=gen)),
    ]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_manual_seed_reproduces_and_seeds_differ():
    ptjax.manual_seed(7)
    a = _draws()
    ptjax.manual_seed(7)
    b = _draws()
    assert _same(a, b)
    ptjax.manual_seed(8)
    c = _draws()
    assert not any(np.array_equal(x, y) for x, y in zip(a[:3], c[:3]))
    assert ptjax.initial_seed() == 8
    assert not np.array_equal(a[0], _draws()[0])  # the stream moves on


def test_seed_reproduces_in_fresh_process():
    code = (
        "import numpy as np, ptjax; ptjax.manual_seed(11); "
        "print(np.asarray(ptjax.rand(4)._value).tolist(), ptjax.randint(0, 1000, (3,)).tolist())"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        ).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1] and outs[0].strip()
    ptjax.manual_seed(11)
    here = f"{np_of(ptjax.rand(4)).tolist()} {ptjax.randint(0, 1000, (3,)).tolist()}"
    assert outs[0].strip() == here


def test_generator_is_independent_of_global_stream():
    g = ptjax.Generator().manual_seed(3)
    assert g.initial_seed() == 3
    ptjax.manual_seed(5)
    x1 = np_of(ptjax.rand(3))
    ptjax.manual_seed(5)
    gen_draws = _draws(g)
    x2 = np_of(ptjax.rand(3))
    assert np.array_equal(x1, x2)  # drawing from g did not advance the global stream
    g2 = ptjax.Generator().manual_seed(3)
    assert _same(gen_draws, _draws(g2))
    assert ptjax.Generator().initial_seed() == torch.Generator().initial_seed()


def test_rng_state_roundtrip():
    ptjax.manual_seed(9)
    ptjax.rand(2)
    state = ptjax.get_rng_state()
    assert state.dtype is ptjax.uint8
    a = _draws()
    ptjax.set_rng_state(state)
    assert _same(a, _draws())
    g = ptjax.Generator().manual_seed(4)
    s = g.get_state()
    ga = _draws(g)
    g.set_state(s)
    assert _same(ga, _draws(g))
    raises(TypeError, "RNG state must be a torch.ByteTensor", ptjax.set_rng_state, ptjax.zeros(3))


def test_fork_rng_restores_on_exit():
    ptjax.manual_seed(2)
    ref = _draws()
    ptjax.manual_seed(2)
    with ptjax.random.fork_rng():
        ptjax.manual_seed(99)
        _draws()
    assert _same(ref, _draws())

    @ptjax.random.fork_rng()
    def consume():
        return ptjax.rand(5)

    ptjax.manual_seed(2)
    consume()
    assert np.array_equal(ref[0], np_of(ptjax.rand(3)))


def test_next_key_advances():
    g = ptjax.Generator().manual_seed(0)
    k1, k2 = ptjax.random.next_key(g), ptjax.random.next_key(g)
    assert not np.array_equal(np.asarray(k1), np.asarray(k2))
    assert g.get_offset() == 2


def test_seed_overflow_error():
    for lib in (torch, ptjax):
        raises(ValueError, "Overflow when unpacking long long", lib.Generator().manual_seed, 2**64)
    assert ptjax.Generator().manual_seed(-1).initial_seed() == 2**64 - 1


# -- autograd, jit ---------------------------------------------------------------------------------


def test_gradients_through_samples_are_zero():
    for lib in (torch, ptjax):
        m = lib.zeros(3, requires_grad=True)
        s = lib.ones(3, requires_grad=True)
        out = lib.normal(m, s)
        assert out.requires_grad
        out.sum().backward()
        assert np.allclose(np.asarray(m.grad), 0) and np.allclose(np.asarray(s.grad), 0)
        p = lib.full((3,), 0.5, requires_grad=True)
        lib.bernoulli(p).sum().backward()
        assert np.allclose(np.asarray(p.grad), 0)
        x = lib.zeros(3, requires_grad=True)
        y = x * 1
        y.uniform_()
        assert y.requires_grad
        y.sum().backward()
        assert np.allclose(np.asarray(x.grad), 0)


def test_inplace_on_leaf_requires_no_grad():
    msg = "a leaf Variable that requires grad is being used in an in-place operation."
    for lib in (torch, ptjax):
        w = lib.empty(3, requires_grad=True)
        raises(RuntimeError, msg, w.uniform_)
        with lib.no_grad():
            w.uniform_(-0.1, 0.1)  # the nn.init pattern
        assert w.requires_grad and w.is_leaf
        assert float(w.detach().abs().max()) <= 0.1


def test_inplace_through_view_reaches_base():
    x = ptjax.zeros(4, 3)
    x[1].normal_()
    v = np_of(x)
    assert np.all(v[0] == 0) and np.all(v[2:] == 0) and np.any(v[1, :2] != 0)


def test_sampling_inside_jit():
    ptjax.manual_seed(0)

    @jax.jit
    def step(x):
        t = ptjax.Tensor._make(x)
        noise = ptjax.randn(*x.shape)
        mask = ptjax.bernoulli(ptjax.full(x.shape, 0.5))
        w = ptjax.empty(3).uniform_(-1, 1)
        n = ptjax.normal(t, 0.1)
        perm = ptjax.randperm(5)
        return (t + noise)._value, mask._value, w._value, n._value, perm._value

    out = step(jnp.zeros((2, 3)))
    assert out[0].shape == (2, 3) and set(np.unique(np.asarray(out[1]))) <= {0.0, 1.0}
    assert np.all(np.abs(np.asarray(out[2])) <= 1)
    assert sorted(np.asarray(out[4]).tolist()) == [0, 1, 2, 3, 4]
    # the same draws eagerly: the counter-based stream gives the same numbers in and out of jit
    ptjax.manual_seed(0)
    eager = np_of(ptjax.randn(2, 3))
    assert np.allclose(np.asarray(out[0]), eager)


# -- errors ----------------------------------------------------------------------------------------

ERRORS = [
    (
        RuntimeError,
        "random_ expects 'from' to be less than 'to', but got from=5 >= to=5",
        lambda t: t.randint(5, 5, (3,)),
    ),
    (
        RuntimeError,
        "random_ expects 'from' to be less than 'to', but got from=0 >= to=-1",
        lambda t: t.randint(-1, (2,)),
    ),
    (
        RuntimeError,
        "to - 1 is out of bounds for bool",
        lambda t: t.randint(0, 10, (2,), dtype=t.bool),
    ),
    (
        RuntimeError,
        "to - 1 is out of bounds for unsigned char",
        lambda t: t.randint(0, 300, (2,), dtype=t.uint8),
    ),
    (
        RuntimeError,
        "from is out of bounds for unsigned char",
        lambda t: t.empty(3, dtype=t.uint8).random_(-1, 3),
    ),
    (
        RuntimeError,
        "Trying to create tensor with negative dimension -1: [-1]",
        lambda t: t.randperm(-1),
    ),
    (
        RuntimeError,
        "Trying to create tensor with negative dimension -1: [-1]",
        lambda t: t.rand(-1),
    ),
    (
        NotImplementedError,
        "\"check_uniform_bounds\" not implemented for 'Long'",
        lambda t: t.rand(2, dtype=t.long),
    ),
    (
        NotImplementedError,
        "\"normal_kernel_cpu\" not implemented for 'Long'",
        lambda t: t.randn(2, dtype=t.long),
    ),
    (
        NotImplementedError,
        "\"normal_kernel_cpu\" not implemented for 'Long'",
        lambda t: t.normal(t.zeros(3, dtype=t.long), t.ones(3)),
    ),
    (
        RuntimeError,
        "normal expects std >= 0.0, but found std -1",
        lambda t: t.normal(0.0, -1.0, size=(2,)),
    ),
    (
        RuntimeError,
        "normal expects std >= 0.0, but found std -1",
        lambda t: t.normal(t.zeros(3), -1.0),
    ),
    (
        RuntimeError,
        "normal expects all elements of std >= 0.0",
        lambda t: t.normal(t.zeros(3), -t.ones(3)),
    ),
    (
        RuntimeError,
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0",
        lambda t: t.normal(t.zeros(3), t.ones(4)),
    ),
    (
        RuntimeError,
        "Expected p_in >= 0 && p_in <= 1 to be true, but got false.",
        lambda t: t.bernoulli(t.full((3,), 1.5)),
    ),
    (
        RuntimeError,
        "bernoulli_ expects p to be in [0, 1], but got p=1.5",
        lambda t: t.bernoulli(t.ones(3), 1.5),
    ),
    (
        NotImplementedError,
        "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'",
        lambda t: t.bernoulli(t.ones(3, dtype=t.long)),
    ),
    (
        RuntimeError,
        "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
        lambda t: t.multinomial(t.ones(3), 4),
    ),
    (RuntimeError, "prob_dist must be 1 or 2 dim", lambda t: t.multinomial(t.ones(2, 2, 3), 2)),
    (
        RuntimeError,
        "probability tensor contains either `inf`, `nan` or element < 0",
        lambda t: t.multinomial(-t.ones(3), 2),
    ),
    (
        RuntimeError,
        "probability tensor contains either `inf`, `nan` or element < 0",
        lambda t: t.multinomial(t.tensor([1.0, float("nan")]), 1),
    ),
    (
        RuntimeError,
        "invalid multinomial distribution (sum of probabilities <= 0)",
        lambda t: t.multinomial(t.zeros(3), 2),
    ),
    (RuntimeError, "cannot sample n_sample <= 0 samples", lambda t: t.multinomial(t.ones(3), 0)),
    (
        RuntimeError,
        "multinomial only supports floating-point dtypes for input, got: Long",
        lambda t: t.multinomial(t.ones(3, dtype=t.long), 1),
    ),
    (
        RuntimeError,
        "invalid Poisson rate, expected rate to be non-negative",
        lambda t: t.poisson(-t.ones(3)),
    ),
    (
        RuntimeError,
        "uniform_ expects to return a [from, to) range, but found from=2 > to=1",
        lambda t: t.empty(3).uniform_(2, 1),
    ),
    (
        RuntimeError,
        "normal expects std >= 0.0, but found std -1",
        lambda t: t.empty(3).normal_(0, -1),
    ),
    (
        RuntimeError,
        "exponential_ expects lambda > 0.0, but found lambda=-1",
        lambda t: t.empty(3).exponential_(-1),
    ),
    (
        RuntimeError,
        "exponential_ expects lambda > 0.0, but found lambda=0",
        lambda t: t.empty(3).exponential_(0),
    ),
    (
        RuntimeError,
        "geometric_ expects p to be in (0, 1), but got p=0",
        lambda t: t.empty(3).geometric_(0),
    ),
    (
        RuntimeError,
        "geometric_ expects p to be in (0, 1), but got p=1.5",
        lambda t: t.empty(3).geometric_(1.5),
    ),
    (
        RuntimeError,
        "cauchy_ expects sigma > 0.0, but found sigma=0",
        lambda t: t.empty(3).cauchy_(0, 0),
    ),
    (
        RuntimeError,
        "log_normal_ expects std > 0.0, but found std=0",
        lambda t: t.empty(3).log_normal_(1, 0),
    ),
    (
        RuntimeError,
        "bernoulli_ expects p to be in [0, 1], but got p=1.5",
        lambda t: t.empty(3).bernoulli_(1.5),
    ),
    (
        RuntimeError,
        "random_ expects 'from' to be less than 'to', but got from=5 >= to=5",
        lambda t: t.empty(3).random_(5, 5),
    ),
    (
        RuntimeError,
        "random_ expects 'from' to be less than 'to', but got from=0 >= to=0",
        lambda t: t.empty(3).random_(0),
    ),
    (
        NotImplementedError,
        "\"check_uniform_bounds\" not implemented for 'Long'",
        lambda t: t.empty(3, dtype=t.long).uniform_(),
    ),
    (
        NotImplementedError,
        "\"normal_kernel_cpu\" not implemented for 'Long'",
        lambda t: t.empty(3, dtype=t.long).normal_(),
    ),
    (
        RuntimeError,
        "Exponential distribution is a continuous probability distribution. dtype must be a "
        "floating point but you specified Long",
        lambda t: t.empty(3, dtype=t.long).exponential_(),
    ),
    (
        RuntimeError,
        "Cauchy distribution is a continuous probability distribution. dtype must be a floating "
        "point but you specified long int",
        lambda t: t.empty(3, dtype=t.long).cauchy_(),
    ),
    (
        NotImplementedError,
        "\"log_normal_cpu\" not implemented for 'Long'",
        lambda t: t.empty(3, dtype=t.long).log_normal_(),
    ),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_as_torch(k):
    exc, msg, fn = ERRORS[k]
    raises(exc, msg, fn, torch)
    raises(exc, msg, fn, ptjax)


def test_float_random_out_of_range_warns():
    for lib in (torch, ptjax):
        with pytest.warns(UserWarning, match="to - 1 is out of bounds"):
            lib.empty(3).random_(0, 2**25)
