"""The benchmark models, each written once against a library module (``torch`` or ``ptjax``).

``build(name, lib, **size)`` returns ``(model, make_batch)`` where the model is an ``nn.Module``
of ``lib.nn``; torch and ptjax therefore run the very same source.
"""

from __future__ import annotations

import numpy as np

MODELS = ("mlp", "cnn", "lstm", "gpt", "resnet18")


def mlp(lib, hidden=(256, 128)):
    """784-256-128-10 MLP on flattened 28x28 images."""
    nn = lib.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[1])
            self.fc3 = nn.Linear(hidden[1], 10)

        def forward(self, x):
            x = x.reshape(x.shape[0], -1)
            x = lib.nn.functional.relu(self.fc1(x))
            x = lib.nn.functional.relu(self.fc2(x))
            return self.fc3(x)

    return MLP()


def cnn(lib, width=(32, 64), fc=128, p_drop=0.5):
    """The seed CNN: two 3x3 convs with 2x2 max-pooling, 28x28 input, dropout."""
    nn, F = lib.nn, lib.nn.functional
    c1, c2 = width

    class CNN(nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(1, c1, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(c2 * 7 * 7, fc)
            self.fc2 = nn.Linear(fc, num_classes)
            self.dropout = nn.Dropout(p_drop)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, c2 * 7 * 7)
            x = F.relu(self.fc1(x))
            x = self.dropout(x)
            return self.fc2(x)

    return CNN()


def lstm(lib, hidden=128):
    """LSTM(28, hidden) over 28 steps of a 28x28 image, Linear on the last output."""
    nn = lib.nn

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, 10)

        def forward(self, x):
            out, _ = self.lstm(x.reshape(x.shape[0], 28, 28))
            return self.fc(out[:, -1, :])

    return LSTMClassifier()


def gpt(lib, layers=4, d=256, heads=4, seq=128, vocab=256):
    """Pre-norm GPT: token + learned position embeddings, causal SDPA blocks, LM head."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.ln2 = nn.LayerNorm(d)
            self.fc = nn.Linear(d, 4 * d)
            self.fc_out = nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q = q.view(b, t, heads, d // heads).transpose(1, 2)
            k = k.view(b, t, heads, d // heads).transpose(1, 2)
            v = v.view(b, t, heads, d // heads).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
            return x + self.fc_out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(seq, d)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab)

        def forward(self, idx):
            t = idx.shape[1]
            pos = lib.arange(t, device=idx.device)
            x = self.tok(idx) + self.pos(pos)
            for blk in self.blocks:
                x = blk(x)
            logits = self.head(self.ln_f(x))
            # next-token loss: flatten (batch, seq) so CrossEntropyLoss sees (N, vocab)
            return logits.reshape(-1, vocab)

    return GPT()


def resnet18(lib, width=64, blocks=(2, 2, 2, 2)):
    """CIFAR-style ResNet-18: 3x3 stem, no max-pool, BasicBlocks, global average pool."""
    nn, F = lib.nn, lib.nn.functional

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class ResNet(nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, width, 3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            layers, cin = [], width
            for i, n in enumerate(blocks):
                cout = width * 2**i
                for j in range(n):
                    layers.append(BasicBlock(cin, cout, 2 if (i > 0 and j == 0) else 1))
                    cin = cout
            self.layers = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, num_classes)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = self.pool(self.layers(x))
            return self.fc(x.flatten(1))

    return ResNet()


BUILDERS = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "gpt": gpt, "resnet18": resnet18}

# tiny sizes for the correctness check in the tests
TINY = {
    "mlp": {"hidden": (16, 8)},
    "cnn": {"width": (4, 8), "fc": 16},
    "lstm": {"hidden": 8},
    "gpt": {"layers": 2, "d": 16, "heads": 2, "seq": 8, "vocab": 32},
    "resnet18": {"width": 4, "blocks": (1, 1, 1, 1)},
}


def make_batch(name: str, batch: int, size: dict | None = None, seed: int = 0):
    """Fixed synthetic numpy batch ``(x, y)`` for a model; the same arrays feed every backend."""
    size = size or {}
    rng = np.random.default_rng(seed)
    if name == "gpt":
        seq = size.get("seq", 128)
        vocab = size.get("vocab", 256)
        tokens = rng.integers(0, vocab, size=(batch, seq + 1))
        return tokens[:, :-1].astype(np.int64), tokens[:, 1:].reshape(-1).astype(np.int64)
    y = rng.integers(0, 10, size=(batch,)).astype(np.int64)
    if name == "resnet18":
        return rng.standard_normal((batch, 3, 32, 32)).astype(np.float32), y
    return rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), y


def build(name: str, lib, size: dict | None = None, dropout: bool = True):
    """The model ``name`` built from ``lib.nn`` with optional size overrides."""
    kwargs = dict(size or {})
    if not dropout and name == "cnn":
        kwargs["p_drop"] = 0.0
    return BUILDERS[name](lib, **kwargs)
